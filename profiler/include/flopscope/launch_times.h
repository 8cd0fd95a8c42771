#pragma once
/// The durations of one profile record's launches, in memory that does not
/// grow with the launch count: a training run launches millions of kernels,
/// and one double per launch grew the profiled process by 8 bytes a launch.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "flopscope/stats.h"

namespace flopscope {

class LaunchTimes {
 public:
  /// Every duration is kept, in launch order, up to this many launches (as
  /// many samples as a profile record writes); past it, they go to buckets.
  static constexpr size_t kExactLaunches = 1000;
  /// Bucket i holds the durations in [r^i, r^(i+1)) seconds, r = 1 + this:
  /// a bucket's mean is within 0.1% of each duration in it.
  static constexpr double kBucketWidth = 1e-3;

  /// A duration in seconds; 0 (a clock-resolution operation) is kept as 0,
  /// and so is a value no duration has (negative, NaN, infinite).
  void add(double seconds);
  uint64_t count() const { return count_; }
  /// Whether every duration is held (kExactLaunches or fewer).
  bool exact() const { return !bucketed_; }
  /// The buckets held (24 bytes each), those with a launch in them: what the
  /// memory grows with once bucketed, no more than the launches nor the
  /// buckets the durations span, 0.1% each.
  size_t bucket_count() const { return buckets_.size(); }
  /// Median, p10, p90 and at most k samples; count() > 0. Exact: as
  /// `summarize` gives them (the samples in launch order, or
  /// equal_share_means when more than k). Bucketed: each percentile as
  /// summarize takes it (between the launches nearest q x (n - 1)), each
  /// launch read as its bucket's mean, so within 0.1% of it; the samples
  /// weighted_summary's of the buckets' means, whose mean is every launch's.
  TimeStats summary(size_t k) const;

 private:
  struct Bucket {
    int32_t index = 0;  ///< holds [r^index, r^(index+1)) seconds
    uint64_t count = 0;
    double sum_s = 0;
  };
  void to_buckets();
  void add_to_bucket(double seconds);

  std::vector<double> exact_;
  bool bucketed_ = false;
  std::vector<Bucket> buckets_;  ///< by index, none empty
  Bucket zeros_;                 ///< durations of 0
  uint64_t count_ = 0;
};

}  // namespace flopscope
