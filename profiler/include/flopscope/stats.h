#pragma once
/// Order statistics for timing samples.
#include <cstddef>
#include <vector>

namespace flopscope {

/// Percentile by linear interpolation between closest ranks (q in [0, 1]).
/// Throws bad_input on an empty sample or q outside [0, 1].
double percentile(std::vector<double> samples, double q);
inline double median(const std::vector<double>& s) { return percentile(s, 0.5); }

/// cudaEventElapsedTime's float milliseconds in seconds: the double nearest
/// the float's shortest decimal (0.18848f ms is 188.48 us, as a contract's
/// `time <= 188.48us` reads it, not the float's 188.480005 us).
double seconds_of_event_ms(float ms);

struct TimeStats {
  double median = 0, p10 = 0, p90 = 0;
  /// Seconds, in the order measured (profile: of more than 1000 launches,
  /// the means of 1000 equal shares, weighted_summary's, which are sorted).
  std::vector<double> samples;
};
TimeStats summarize(std::vector<double> samples);

/// At most `k` evenly spaced order statistics of `samples` (the middle of each
/// of k equal shares of the sorted sample), sorted; all of them, in their
/// order, when there are no more than k. Sorting first keeps the
/// distribution's shape (its percentiles); every n/k-th measurement
/// instead lets a pattern in measurement order (alternating slow and fast
/// launches) alias.
std::vector<double> spread_of(std::vector<double> samples, size_t k);

/// A sample that stands for `weight` launches: a launch, or one of profile's
/// share means when processes are merged.
struct WeightedSample {
  double value = 0, weight = 1;
};
/// The stats of the launches weighted samples stand for: median, p10 and p90
/// the first value whose cumulative weight reaches that share, and `samples`
/// the means of k shares of equal weight (their mean is the launches' mean).
TimeStats weighted_summary(std::vector<WeightedSample> samples, size_t k);
/// `samples` as at most k: the means of k equal shares of them, sorted
/// (weighted_summary's); all of them, in their order, when there are no more.
std::vector<double> equal_share_means(const std::vector<double>& samples, size_t k);
/// summarize(samples) with at most k samples kept (equal_share_means).
TimeStats summarize_at_most(const std::vector<double>& samples, size_t k);

}  // namespace flopscope
