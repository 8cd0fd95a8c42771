#include "flopscope/stats.h"

#include <algorithm>
#include <cmath>

#include "flopscope/error.h"

namespace flopscope {

double percentile(std::vector<double> s, double q) {
  if (s.empty()) throw_bad_input("percentile of an empty sample");
  if (!(q >= 0.0 && q <= 1.0)) throw_bad_input("percentile q must lie in [0, 1]");
  std::sort(s.begin(), s.end());
  const double pos = q * double(s.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, s.size() - 1);
  const double frac = pos - double(lo);
  return s[lo] + (s[hi] - s[lo]) * frac;
}

TimeStats summarize(std::vector<double> samples) {
  TimeStats t;
  t.median = percentile(samples, 0.5);
  t.p10 = percentile(samples, 0.1);
  t.p90 = percentile(samples, 0.9);
  t.samples = std::move(samples);
  return t;
}

}  // namespace flopscope
