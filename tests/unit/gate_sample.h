#pragma once
// Simulated timing samples and results documents for the gate's tests. The
// noise model: log-normal jitter (sigma = coefficient of variation), a few
// outliers 20-50% slow (preemption, a late launch), and, for a throttling
// runner, a share of repetitions slowed by a fixed factor. Fixed seeds only.
#include <cmath>
#include <random>
#include <vector>

#include "unit/sample_doc.h"

namespace flopscope::test {

struct Noise {
  double sigma = 0.03;           ///< log-normal jitter, about the CV
  double outlier_p = 0.02;       ///< chance a sample is an outlier
  double throttle_share = 0;     ///< chance a sample ran throttled
  double throttle_factor = 1.3;  ///< how much slower a throttled sample is
};

inline std::vector<double> noisy_samples(std::mt19937_64& rng, int n, double median, Noise noise) {
  std::normal_distribution<double> jitter(0, noise.sigma);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> v;
  v.reserve(size_t(n));
  for (int i = 0; i < n; ++i) {
    double t = median * std::exp(jitter(rng));
    if (u(rng) < noise.outlier_p) t *= 1.2 + 0.3 * u(rng);
    if (u(rng) < noise.throttle_share) t *= noise.throttle_factor;
    v.push_back(t);
  }
  return v;
}

/// sample_doc() with `n` noisy samples per run around its recorded median,
/// times `slowdown`; derived figures recomputed.
inline ResultsDoc noisy_doc(uint64_t seed, int n = 30, double slowdown = 1.0, Noise noise = {}) {
  std::mt19937_64 rng(seed);
  ResultsDoc doc = sample_doc();
  for (auto& r : doc.runs) {
    r.time_s = summarize(noisy_samples(rng, n, r.time_s.median * slowdown, noise));
    compute_derived(r, doc.peaks.datasheet);
  }
  return doc;
}

}  // namespace flopscope::test
