// Simulations of the gate's timing statistic, with fixed seeds: how often it
// cries wolf on noise, how often it catches a 10% slowdown, and what it says
// about a throttling runner. Sized to run in about a second under ASan.
#include <gtest/gtest.h>

#include <array>

#include "flopscope/gate.h"
#include "unit/gate_sample.h"

using namespace flopscope;
using flopscope::test::Noise;
using flopscope::test::noisy_samples;

namespace {

struct Tally {
  std::array<int, 4> n{};
  int total = 0;
  void add(Verdict v) {
    ++n[size_t(v)];
    ++total;
  }
  int operator[](Verdict v) const { return n[size_t(v)]; }
  double share(Verdict v) const { return double((*this)[v]) / double(total); }
};

constexpr int kN = kRecommendedSamples;  // the repetition count the gate is calibrated for

/// `reps` comparisons of baseline (noise `nb`) against current (noise `nc`,
/// median times `slowdown`), `n` samples each, default options.
Tally simulate(uint64_t seed, int reps, int n, double slowdown, Noise nb, Noise nc) {
  std::mt19937_64 rng(seed);
  GateOptions opt;
  Tally t;
  for (int i = 0; i < reps; ++i) {
    auto base = noisy_samples(rng, n, 1e-3, nb);
    auto cur = noisy_samples(rng, n, 1e-3 * slowdown, nc);
    t.add(compare_timings(base, cur, opt).verdict);
  }
  return t;
}

/// simulate() at the calibrated sample count, with the default noise at CV
/// `sigma` on both sides.
Tally simulate_jitter(uint64_t seed, int reps, double slowdown, double sigma) {
  Noise noise;
  noise.sigma = sigma;
  return simulate(seed, reps, kN, slowdown, noise, noise);
}

std::string describe(const Tally& t) {
  return "unchanged " + std::to_string(t[Verdict::unchanged]) + ", faster " +
         std::to_string(t[Verdict::faster]) + ", slower " + std::to_string(t[Verdict::slower]) +
         ", inconclusive " + std::to_string(t[Verdict::inconclusive]) + " of " +
         std::to_string(t.total);
}

}  // namespace

// Identical distributions: at most 1% "slower" (and as few "faster"), at
// every noise level, including noise as large as the threshold.
TEST(GateSimulation, IdenticalNoisySamplesRarelySaySlower) {
  for (double sigma : {0.01, 0.03, 0.05, 0.08}) {
    const Tally t = simulate_jitter(1000 + uint64_t(sigma * 1000), 400, 1.0, sigma);
    SCOPED_TRACE("sigma " + std::to_string(sigma) + ": " + describe(t));
    EXPECT_LE(t.share(Verdict::slower), 0.01);
    EXPECT_LE(t.share(Verdict::faster), 0.01);
    // And it is useful: quiet runners get "unchanged", not a shrug.
    if (sigma <= 0.03) {
      EXPECT_GE(t.share(Verdict::unchanged), 0.95);
    }
    // Noise costs decisiveness (docs/ci.md quotes these shares): with these
    // seeds 25 of 400 are inconclusive at CV 5%, 243 of 400 at CV 8%.
    if (sigma == 0.05) {
      EXPECT_GE(t.share(Verdict::inconclusive), 0.03);
      EXPECT_LE(t.share(Verdict::inconclusive), 0.12);
    }
    if (sigma == 0.08) {
      EXPECT_GE(t.share(Verdict::inconclusive), 0.45);
      EXPECT_LE(t.share(Verdict::inconclusive), 0.75);
    }
  }
}

// Identical distributions are rarely inconclusive for bimodality: a few
// outliers are not a mode, nor is one hump of noise split in two, and modes
// all within the threshold of the other run leave "unchanged" standing
// (docs/ci.md quotes these counts). With these seeds 0 of 2000 pairs at CV 2%
// and 2 at CV 3%; 9 and 9 before "unchanged" could stand with two modes, 39
// and 41 before a mode had to hold 15% of the samples nearer its median than
// the other's, and 25 before the middle had to thin out.
TEST(GateSimulation, IdenticalNoisySamplesAreRarelyBimodal) {
  for (double sigma : {0.02, 0.03}) {
    std::mt19937_64 rng(4000 + uint64_t(sigma * 1000));
    Noise noise;
    noise.sigma = sigma;
    int bimodal = 0;
    constexpr int kPairs = 2000;
    for (int i = 0; i < kPairs; ++i) {
      const auto r = compare_timings(noisy_samples(rng, kN, 1e-3, noise), noisy_samples(rng, kN, 1e-3, noise),
                                     GateOptions{});
      bimodal += r.verdict == Verdict::inconclusive && r.reason.find("bimodal") != std::string::npos;
    }
    SCOPED_TRACE("sigma " + std::to_string(sigma) + ": bimodal " + std::to_string(bimodal) + " of " +
                 std::to_string(kPairs));
    EXPECT_LE(bimodal, kPairs * 25 / 10000);
  }
}

// Timer quantization makes many ties, and modes whose samples all read the
// same tick: 0.5 us steps on a 5 us kernel, 1 us steps on a 30 us kernel.
// Identical distributions are not slower, and not bimodal either (two
// neighbouring ticks are one mode): nearly all come out unchanged.
TEST(GateSimulation, QuantizedTimingsAreUnchanged) {
  struct Timer {
    double median, step, sigma, min_unchanged;
  };
  for (const Timer& c : {Timer{5e-6, 0.5e-6, 0.05, 0.90}, Timer{30e-6, 1e-6, 0.01, 0.95},
                         Timer{30e-6, 1e-6, 0.02, 0.95}, Timer{30e-6, 1e-6, 0.03, 0.95}}) {
    std::mt19937_64 rng(7);
    Noise noise;
    noise.sigma = c.sigma;
    auto q = [&] {
      auto v = noisy_samples(rng, kN, c.median, noise);
      for (double& s : v) s = std::max(c.step, std::round(s / c.step) * c.step);
      return v;
    };
    Tally t;
    int bimodal = 0;
    for (int i = 0; i < 300; ++i) {
      const auto r = compare_timings(q(), q(), GateOptions{});
      t.add(r.verdict);
      bimodal += r.verdict == Verdict::inconclusive && r.reason.find("bimodal") != std::string::npos;
    }
    SCOPED_TRACE(std::to_string(c.median * 1e6) + " us in steps of " + std::to_string(c.step * 1e6) +
                 " us, sigma " + std::to_string(c.sigma) + ": " + describe(t) + ", bimodal " +
                 std::to_string(bimodal));
    EXPECT_LE(t.share(Verdict::slower), 0.01);
    EXPECT_LE(bimodal, 3);  // 1%: a cluster of outliers can still form a mode
    EXPECT_GE(t.share(Verdict::unchanged), c.min_unchanged);
  }
}

// Short kernels on an H200's 32 ns event ticks at a steady clock (CV 1%):
// 400 ns to 1 us read two or three neighbouring ticks. Identical runs are
// unchanged, and a 10% slowdown is slower; both were called bimodal and
// inconclusive (exit 4) almost every time while two readings one tick apart
// counted as two modes.
TEST(GateSimulation, ShortKernelsOnCoarseTicksAreCalled) {
  for (double median : {400e-9, 620e-9, 1000e-9}) {
    Noise noise;
    noise.sigma = 0.01;
    noise.outlier_p = 0;
    std::mt19937_64 rng(31);
    auto q = [&](double m) {
      auto v = noisy_samples(rng, kN, m, noise);
      for (double& x : v) x = std::max(32e-9, std::round(x / 32e-9) * 32e-9);
      return v;
    };
    Tally same, slower;
    for (int i = 0; i < 200; ++i) {
      same.add(compare_timings(q(median), q(median), GateOptions{}).verdict);
      slower.add(compare_timings(q(median), q(median * 1.10), GateOptions{}).verdict);
    }
    SCOPED_TRACE(std::to_string(median * 1e9) + " ns: identical " + describe(same) + "; 10% slower " +
                 describe(slower));
    EXPECT_GE(same.share(Verdict::unchanged), 0.9);
    EXPECT_EQ(same[Verdict::slower], 0);
    EXPECT_GE(slower.share(Verdict::slower), 0.9);
  }
}

// A 10% slowdown at 30 samples: caught at least 95% of the time with noise
// up to 5% CV (GPU kernels with warm-up and an L2 flush usually show 1-3%).
TEST(GateSimulation, TenPercentSlowdownIsDetected) {
  for (double sigma : {0.01, 0.03, 0.05}) {
    const Tally t = simulate_jitter(2000 + uint64_t(sigma * 1000), 400, 1.10, sigma);
    SCOPED_TRACE("sigma " + std::to_string(sigma) + ": " + describe(t));
    EXPECT_GE(t.share(Verdict::slower), 0.95);
    EXPECT_EQ(t[Verdict::faster], 0);
    EXPECT_EQ(t[Verdict::unchanged], 0);
  }
  // And a 10% speed-up is called faster.
  Noise noise;
  const Tally f = simulate(2100, 300, kN, 1 / 1.10, noise, noise);
  SCOPED_TRACE(describe(f));
  EXPECT_GE(f.share(Verdict::faster), 0.95);
}

// A change smaller than the threshold is not a regression.
TEST(GateSimulation, ChangeBelowThresholdIsNotSlower) {
  const Tally t = simulate_jitter(2500, 300, 1.02, 0.02);
  SCOPED_TRACE(describe(t));
  EXPECT_LE(t.share(Verdict::slower), 0.01);
}

// But a true change just under the threshold, on a noisy runner, can be: the
// estimate lands past the threshold and the interval excludes no change, while
// reaching below the threshold. A 3% slowdown at CV 6% is called slower in
// about 10% of comparisons (68 of 600; docs/ci.md quotes this test).
TEST(GateSimulation, ChangeJustBelowThresholdIsSometimesSlower) {
  const Tally t = simulate_jitter(2600, 600, 1.03, 0.06);
  SCOPED_TRACE(describe(t));
  EXPECT_GE(t.share(Verdict::slower), 0.04);
  EXPECT_LE(t.share(Verdict::slower), 0.16);
  EXPECT_EQ(t[Verdict::faster], 0);
}

// A runner that throttles a quarter to three quarters of the repetitions by
// 25-40% (power or thermal capping): inconclusive, not slower. Both runs on
// it: the same two modes, in shares that differ by sampling alone, are
// unchanged (mode against mode), in most comparisons; in shares a third apart
// or more, another mix, inconclusive.
TEST(GateSimulation, BimodalTimingsAreInconclusiveNotSlower) {
  std::mt19937_64 rng(3000);
  std::uniform_real_distribution<double> u(0, 1);
  Tally throttled_current, throttled_baseline, same_state, other_state;
  for (int i = 0; i < 300; ++i) {
    Noise clean;
    clean.sigma = 0.02 + 0.01 * u(rng);
    Noise throttled = clean;
    throttled.throttle_share = 0.25 + 0.5 * u(rng);
    throttled.throttle_factor = 1.25 + 0.15 * u(rng);
    Noise other = throttled;
    other.throttle_share = throttled.throttle_share < 0.5 ? throttled.throttle_share + 0.35 + 0.15 * u(rng)
                                                          : throttled.throttle_share - 0.35 - 0.15 * u(rng);
    const auto base = noisy_samples(rng, kN, 1e-3, clean);
    const auto cur = noisy_samples(rng, kN, 1e-3, throttled);
    const auto again = noisy_samples(rng, kN, 1e-3, throttled);
    const auto mixed_otherwise = noisy_samples(rng, kN, 1e-3, other);
    throttled_current.add(compare_timings(base, cur, GateOptions{}).verdict);
    throttled_baseline.add(compare_timings(cur, base, GateOptions{}).verdict);
    same_state.add(compare_timings(cur, again, GateOptions{}).verdict);
    other_state.add(compare_timings(cur, mixed_otherwise, GateOptions{}).verdict);
  }
  for (const Tally* t : {&throttled_current, &throttled_baseline, &same_state, &other_state}) {
    SCOPED_TRACE(describe(*t));
    EXPECT_LE(t->share(Verdict::slower), 0.01);
    EXPECT_LE(t->share(Verdict::faster), 0.01);
    if (t != &same_state) {
      EXPECT_GE(t->share(Verdict::inconclusive), 0.95);
    }
  }
  SCOPED_TRACE(describe(same_state));
  EXPECT_GE(same_state.share(Verdict::unchanged), 0.5);
}

// A runner that throttles at two levels (+8-15% and +25-40%) in 30-70% of the
// current run's repetitions: the unthrottled samples and the first level fall
// into one "fast mode" past the threshold, so "every mode moved" read true
// while the unthrottled share did not move. The tails must move as well. At
// CV 0.5-1% that holds; at 2% p10 (in the unthrottled samples) passes by noise
// now and then: a limit docs/ci.md states.
TEST(GateSimulation, TwoThrottleLevelsAreNotSlower) {
  std::mt19937_64 rng(3200);
  std::uniform_real_distribution<double> u(0, 1);
  for (double sigma : {0.005, 0.01, 0.02}) {
    Tally t;
    std::normal_distribution<double> jitter(0, sigma);
    for (int i = 0; i < 300; ++i) {
      const double share = 0.3 + 0.4 * u(rng), first = share * (0.2 + 0.3 * u(rng));
      const double level1 = 1.08 + 0.07 * u(rng), level2 = 1.25 + 0.15 * u(rng);
      std::vector<double> base, cur;
      for (int k = 0; k < kN; ++k) base.push_back(1e-3 * std::exp(jitter(rng)));
      for (int k = 0; k < kN; ++k) {
        const double r = u(rng), f = r < first ? level1 : r < share ? level2 : 1.0;
        cur.push_back(1e-3 * f * std::exp(jitter(rng)));
      }
      t.add(compare_timings(base, cur, GateOptions{}).verdict);
    }
    SCOPED_TRACE("sigma " + std::to_string(sigma) + ": " + describe(t));
    EXPECT_LE(t.share(Verdict::slower), sigma < 0.02 ? 0.03 : 0.10);
    EXPECT_EQ(t[Verdict::faster], 0);
  }
}

// A runner with two states close together (+5-8%, in 25-50% of the
// repetitions of both runs): a 10% slowdown of the kernel moves each state's
// mode past the threshold, while neither run's fast mode clears the other's
// slow one; it is slower state for state (a reviewer's case; with the fixed
// seed 187 and 175 of 200, 9 and 74 before). The same runner with no change
// is not slower (0 and 0).
TEST(GateSimulation, TwoCloseStatesSlowerStateForStateIsSlower) {
  std::mt19937_64 rng(3300);
  std::uniform_real_distribution<double> u(0, 1);
  for (double sigma : {0.003, 0.01}) {
    Tally moved, same;
    for (int i = 0; i < 200; ++i) {
      Noise states;
      states.sigma = sigma;
      states.throttle_share = 0.25 + 0.25 * u(rng);
      states.throttle_factor = 1.05 + 0.03 * u(rng);
      const auto base = noisy_samples(rng, kN, 1e-3, states);
      moved.add(compare_timings(base, noisy_samples(rng, kN, 1.1e-3, states), GateOptions{}).verdict);
      same.add(compare_timings(base, noisy_samples(rng, kN, 1e-3, states), GateOptions{}).verdict);
    }
    SCOPED_TRACE("sigma " + std::to_string(sigma) + ": moved " + describe(moved) + "; same " +
                 describe(same));
    EXPECT_GE(moved.share(Verdict::slower), 0.85);
    EXPECT_LE(same.share(Verdict::slower), 0.01);
    EXPECT_EQ(same[Verdict::faster] + moved[Verdict::faster], 0);
  }
}

// The price of the rule above (a reviewer's case): on the three-state runner of
// TwoThrottleLevelsAreNotSlower, kernel unchanged, a baseline throttled in
// 30-70% of its repetitions against a hotter current run throttled in 92-100%
// at the same two levels: the current run's fast mode is the baseline's slow
// state, and state for state reads slower. No statistic of the samples tells
// this from a 10% slowdown on a two-state runner; the clocks can, so compare
// pairs states only where both runs' clocks are recorded (docs/ci.md). With
// the fixed seed, slower in 49, 53 and 67 of 300 at CV 0.5, 1 and 2% with the
// pairing, 19, 18 and 55 without it (as before the rule).
TEST(GateSimulation, AHotterThreeStateRunnerIsSometimesSlower) {
  std::mt19937_64 rng(3400);
  std::uniform_real_distribution<double> u(0, 1);
  GateOptions unpaired;
  unpaired.pair_states = false;
  for (double sigma : {0.005, 0.01, 0.02}) {
    Tally t, without;
    std::normal_distribution<double> jitter(0, sigma);
    for (int i = 0; i < 300; ++i) {
      const double level1 = 1.08 + 0.07 * u(rng), level2 = 1.25 + 0.15 * u(rng);
      auto run = [&](double share) {
        const double first = share * (0.3 + 0.4 * u(rng));
        std::vector<double> v;
        for (int k = 0; k < kN; ++k) {
          const double r = u(rng), f = r < first ? level1 : r < share ? level2 : 1.0;
          v.push_back(1e-3 * f * std::exp(jitter(rng)));
        }
        return v;
      };
      const auto base = run(0.3 + 0.4 * u(rng)), cur = run(0.92 + 0.08 * u(rng));
      t.add(compare_timings(base, cur, GateOptions{}).verdict);
      without.add(compare_timings(base, cur, unpaired).verdict);
    }
    SCOPED_TRACE("sigma " + std::to_string(sigma) + ": paired " + describe(t) + "; unpaired " +
                 describe(without));
    EXPECT_LE(t.share(Verdict::slower), 0.25);
    EXPECT_LE(without.share(Verdict::slower), sigma < 0.02 ? 0.08 : 0.20);
    EXPECT_LE(without[Verdict::slower], t[Verdict::slower]);
    EXPECT_EQ(t[Verdict::faster] + without[Verdict::faster], 0);
  }
}

// But a real slowdown on a throttling runner, where every mode moved by more
// than the threshold, is still called.
TEST(GateSimulation, EveryModeMovedIsStillSlower) {
  std::mt19937_64 rng(3100);
  Noise throttled;
  throttled.sigma = 0.02;
  throttled.throttle_share = 0.5;
  throttled.throttle_factor = 1.3;
  Tally t;
  for (int i = 0; i < 100; ++i) {
    const auto base = noisy_samples(rng, kN, 1e-3, throttled);
    const auto cur = noisy_samples(rng, kN, 1.6e-3, throttled);
    t.add(compare_timings(base, cur, GateOptions{}).verdict);
  }
  SCOPED_TRACE(describe(t));
  EXPECT_GE(t.share(Verdict::slower), 0.95);
}
