#include "flopscope/stats.h"

#include <algorithm>
#include <cmath>

#include "flopscope/error.h"

namespace flopscope {

namespace {
double percentile_of_sorted(const std::vector<double>& s, double q) {
  const double pos = q * double(s.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - double(lo));
}
}  // namespace

double percentile(std::vector<double> s, double q) {
  if (s.empty()) throw_bad_input("percentile of an empty sample");
  if (!(q >= 0.0 && q <= 1.0)) throw_bad_input("percentile q must lie in [0, 1]");
  std::sort(s.begin(), s.end());
  return percentile_of_sorted(s, q);
}

TimeStats summarize(std::vector<double> samples) {
  if (samples.empty()) throw_bad_input("percentile of an empty sample");
  std::vector<double> sorted = samples;  // once for the three percentiles; samples keep their order
  std::sort(sorted.begin(), sorted.end());
  TimeStats t;
  t.median = percentile_of_sorted(sorted, 0.5);
  t.p10 = percentile_of_sorted(sorted, 0.1);
  t.p90 = percentile_of_sorted(sorted, 0.9);
  t.samples = std::move(samples);
  return t;
}

std::vector<double> spread_of(std::vector<double> samples, size_t k) {
  if (samples.size() <= k) return samples;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  std::vector<double> out(k);
  for (size_t i = 0; i < k; ++i) out[i] = samples[(2 * i + 1) * n / (2 * k)];
  return out;
}

std::vector<double> share_means(std::vector<double> samples, size_t k) {
  if (samples.size() <= k) return samples;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  std::vector<double> out(k);
  for (size_t i = 0; i < k; ++i) {
    const size_t b = i * n / k, e = (i + 1) * n / k;  // e > b: n > k
    double sum = 0;
    for (size_t j = b; j < e; ++j) sum += samples[j];
    out[i] = sum / double(e - b);
  }
  return out;
}

}  // namespace flopscope
