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

  /// A duration in seconds; 0 (a clock-resolution operation) is kept as 0.
  void add(double seconds);
  uint64_t count() const { return count_; }
  /// Whether every duration is held (kExactLaunches or fewer).
  bool exact() const { return !bucketed_; }
  /// The buckets held (16 bytes each): what the memory grows with once bucketed,
  /// the span of the durations, not their count.
  size_t bucket_count() const { return buckets_.size(); }
  /// Median, p10, p90 and at most k samples; count() > 0. Exact: as `summarize` gives them
  /// (the samples in launch order, or equal_share_means when more than k).
  /// Bucketed: weighted_summary of the buckets' means, each weighted by its
  /// count, so each percentile is within 0.1% of the launch at its rank and
  /// the samples' mean is every launch's.
  TimeStats summary(size_t k) const;

 private:
  struct Bucket {
    uint64_t count = 0;
    double sum_s = 0;
  };
  void to_buckets();
  void add_to_bucket(double seconds);

  std::vector<double> exact_;
  bool bucketed_ = false;
  int32_t first_ = 0;            ///< the bucket index of buckets_[0]
  std::vector<Bucket> buckets_;  ///< indices first_, first_ + 1, ... (dense)
  Bucket zeros_;                 ///< durations of 0
  uint64_t count_ = 0;
};

}  // namespace flopscope
