#pragma once
/// Order statistics for timing samples.
#include <vector>

namespace flopscope {

/// Percentile by linear interpolation between closest ranks (q in [0, 1]).
/// Throws bad_input on an empty sample or q outside [0, 1].
double percentile(std::vector<double> samples, double q);
inline double median(const std::vector<double>& s) { return percentile(s, 0.5); }

struct TimeStats {
  double median = 0, p10 = 0, p90 = 0;
  std::vector<double> samples;  ///< seconds, in the order measured
};
TimeStats summarize(std::vector<double> samples);

}  // namespace flopscope
