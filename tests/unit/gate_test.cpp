// `compare`: matching, work (deterministic) changes, clocks, outcomes and the
// CI reporters.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <initializer_list>
#include <regex>

#include "flopscope/ci_report.h"
#include "flopscope/error.h"
#include "flopscope/gate.h"
#include "flopscope/views.h"
#include "unit/gate_sample.h"
#include "unit/xml_check.h"

using namespace flopscope;
using flopscope::test::noisy_doc;

namespace {

std::vector<double> shifted(std::vector<double> v, double f) {
  for (double& x : v) x *= f;
  return v;
}

const RunComparison& find(const CompareReport& rep, const std::string& id) {
  for (const auto& r : rep.runs)
    if (r.key.id == id) return r;
  throw std::runtime_error("no run " + id);
}

const WorkDelta* delta(const RunComparison& r, const std::string& q) {
  for (const auto& d : r.work)
    if (d.quantity == q) return &d;
  return nullptr;
}

CompareReport cmp(const ResultsDoc& a, const ResultsDoc& b, GateOptions o = {}) {
  return compare_results(a, b, o, "base.json", "cur.json");
}

template <class F>
std::string bad_input_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

/// A baseline and a current sample of `n` repetitions of 1 ms at log-normal
/// noise `sigma` (no outliers), the current's sorted samples from index `from`
/// on scaled by `factor`: a tail that moved.
std::pair<std::vector<double>, std::vector<double>> tail_moved(uint64_t seed, size_t n, double sigma, size_t from,
                                                               double factor) {
  std::mt19937_64 rng(seed);
  test::Noise noise;
  noise.sigma = sigma;
  noise.outlier_p = 0;
  std::vector<double> base = test::noisy_samples(rng, n, 1e-3, noise), cur = test::noisy_samples(rng, n, 1e-3, noise);
  std::sort(cur.begin(), cur.end());
  for (size_t i = from; i < cur.size(); ++i) cur[i] *= factor;
  return {base, cur};
}

/// Times in microseconds, as seconds.
std::vector<double> from_us(std::initializer_list<double> us) {
  std::vector<double> v;
  for (double t : us) v.push_back(t * 1e-6);
  return v;
}

}  // namespace

TEST(GateStats, NormalQuantile) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959964, 1e-6);
  EXPECT_NEAR(normal_quantile(0.995), 2.575829, 1e-6);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(normal_quantile(0.01), -2.326348, 1e-6);
}

TEST(GateOptionsNames, RoundTrip) {
  for (ClockPolicy p : {ClockPolicy::flag, ClockPolicy::normalize, ClockPolicy::ignore})
    EXPECT_EQ(parse_clock_policy(to_string(p)), p);
  for (WorkGate g : {WorkGate::increase, WorkGate::any, WorkGate::none})
    EXPECT_EQ(parse_work_gate(to_string(g)), g);
  EXPECT_FALSE(parse_clock_policy("lock"));
  EXPECT_FALSE(parse_work_gate("more"));
}

TEST(GateStats, DetectsTwoModes) {
  std::vector<double> v;
  for (int i = 0; i < 18; ++i) v.push_back(1e-3 * (1 + 0.001 * i));
  for (int i = 0; i < 12; ++i) v.push_back(1.3e-3 * (1 + 0.001 * i));
  const Modality m = detect_modes(v, 0.15, 5, 0.025);
  EXPECT_TRUE(m.bimodal);
  EXPECT_NEAR(m.minor_fraction, 0.4, 1e-12);
  EXPECT_NEAR(m.slow_mode / m.fast_mode, 1.3, 0.01);
  // One mode, or two modes closer than the minimum gap: not bimodal.
  std::vector<double> one(v.begin(), v.begin() + 18);
  EXPECT_FALSE(detect_modes(one, 0.15, 5, 0.025).bimodal);
  std::vector<double> close = v;
  for (size_t i = 18; i < close.size(); ++i) close[i] = 1.01e-3 * (1 + 0.001 * double(i));
  EXPECT_FALSE(detect_modes(close, 0.15, 5, 0.025).bimodal);
}

// Three outliers 40% slow and the fast mode's two slowest samples fill the
// smallest group the split allows (5 of 30); its median is an outlier and its
// MAD ignores the other two, so the medians looked 20 robust SDs apart. A mode
// holds only the samples nearer its median than the other's: here 3, too few.
TEST(GateStats, AFewOutliersAreNotAMode) {
  std::vector<double> v = from_us({28.0, 28.3, 28.9, 29.0, 29.1, 29.1, 29.2, 29.3, 29.4, 29.4,
                                     29.5, 29.5, 29.6, 29.6, 29.6, 29.6, 29.7, 29.9, 29.9, 30.0,
                                     30.0, 30.1, 30.1, 30.2, 30.5, 30.5, 31.4, 42.4, 42.6, 42.9});
  EXPECT_FALSE(detect_modes(v, 0.15, 5, 0.025).bimodal);
  // Two more at 42 us make five: a mode.
  v[24] = v[25] = 42.5e-6;
  EXPECT_TRUE(detect_modes(v, 0.15, 5, 0.025).bimodal);
}

// One hump of noise, split where its halves' medians happen to lie 6 robust
// SDs apart: the middle third between the medians (30.19 to 30.69 us) holds
// 4 of 30 samples, where two modes would have thinned out. With three of them
// moved to the fast side, the gap is empty: two modes.
TEST(GateStats, OneHumpSplitInTwoIsNotTwoModes) {
  std::vector<double> v = from_us({27.3, 29.0, 29.0, 29.0, 29.2, 29.3, 29.5, 29.6, 29.6, 29.7,
                                     29.7, 29.7, 29.7, 29.8, 29.9, 29.9, 30.0, 30.1, 30.2, 30.5,
                                     30.5, 30.6, 31.0, 31.0, 31.2, 31.2, 31.3, 31.3, 31.3, 31.3});
  const Modality m = detect_modes(v, 0.15, 5, 0.025);
  EXPECT_GE(m.separation, 5);  // past the separation test: the middle decides
  EXPECT_FALSE(m.bimodal);
  v[19] = v[20] = v[21] = 29.9e-6;
  EXPECT_TRUE(detect_modes(v, 0.15, 5, 0.025).bimodal);
}

// A 30 us kernel on a 1 us timer reads 30 or 31 us: every sample of a mode is
// the same tick, so its MAD is 0. Neighbouring ticks are not two modes, in any
// proportion, and such samples compared with themselves are unchanged.
TEST(GateStats, NeighbouringTimerTicksAreNotTwoModes) {
  for (int share : {50, 70, 80}) {
    std::vector<double> v;
    for (int i = 0; i < 30; ++i) v.push_back(i < 30 * share / 100 ? 30e-6 : 31e-6);
    SCOPED_TRACE(std::to_string(share) + "% at 30 us");
    EXPECT_FALSE(detect_modes(v, 0.15, 5, 0.025).bimodal);
    const auto t = compare_timings(v, v, GateOptions{});
    EXPECT_EQ(t.verdict, Verdict::unchanged) << t.reason;
  }
}

// A 620 ns kernel on an H200's 32 ns event ticks reads 608 or 640 ns, 5.3%
// apart: past 2 x min_gap, yet one tick. Such runs compared with themselves
// (also at --threshold 3%, where 30 and 31 us are 3.3% apart) are unchanged,
// and a 10% slowdown on the same ticks is slower; both were called bimodal
// and inconclusive (exit 4) every time.
TEST(GateStats, OneTimerTickApartIsNotTwoModesAtAnyThreshold) {
  std::vector<double> base, slow, coarse;
  for (int i = 0; i < 30; ++i) {
    base.push_back((i < 20 ? 19 : 20) * 32e-9);  // 608, 640 ns
    slow.push_back((i < 20 ? 21 : 22) * 32e-9);  // 672, 704 ns
    coarse.push_back(i % 2 ? 31e-6 : 30e-6);
  }
  EXPECT_NEAR(timer_tick(base), 32e-9, 1e-15);
  EXPECT_TRUE(detect_modes(base, 0.15, 5, 0.025).bimodal);  // alone, two values 5.3% apart
  EXPECT_FALSE(detect_modes(base, 0.15, 5, 0.025, timer_tick(base)).bimodal);
  EXPECT_EQ(compare_timings(base, base, GateOptions{}).verdict, Verdict::unchanged);
  const auto t = compare_timings(base, slow, GateOptions{});
  EXPECT_EQ(t.verdict, Verdict::slower) << t.reason;
  GateOptions tight;
  tight.threshold = 0.03;
  EXPECT_FALSE(detect_modes(coarse, 0.15, 5, 0.015, timer_tick(coarse)).bimodal);
  const auto c = compare_timings(coarse, coarse, tight);
  EXPECT_EQ(c.verdict, Verdict::unchanged) << c.reason;
}

// Times scaled to the baseline's clock (--clock normalize, and flag's second
// look) lie off the timer's lattice: the tick is read from them as timed, and
// the scaled run's two neighbouring ticks are still one mode. A 3% lower clock,
// which explains nothing, made 608/640 ns runs bimodal and inconclusive.
TEST(GateStats, ScaledTimesKeepTheTimersTick) {
  std::vector<double> base, cur;
  for (int i = 0; i < 30; ++i) {
    base.push_back((i < 15 ? 19 : 20) * 32e-9);
    cur.push_back((i < 16 ? 19 : 20) * 32e-9);
  }
  const double scale = 1920.0 / 1980.0;
  std::vector<double> scaled = cur;
  for (double& x : scaled) x *= scale;
  const auto unscaled_tick = compare_timings(base, scaled, GateOptions{});
  EXPECT_EQ(unscaled_tick.verdict, Verdict::inconclusive) << unscaled_tick.reason;  // what it was
  const auto t = compare_timings(base, scaled, GateOptions{}, scale);
  EXPECT_FALSE(t.cur_modes.bimodal);
  EXPECT_EQ(t.verdict, Verdict::unchanged) << t.reason;
  EXPECT_THROW(compare_timings(base, cur, GateOptions{}, 0), Error);
}

// The tick comes from both runs' readings, not from the two values judged: on
// 32 ns ticks (the baseline's 960 and 992 ns), 960 and 1280 ns are ten ticks
// apart, two modes; a kernel one or two ticks long (1000 and 2000 ns) cannot
// be told from two modes. Both passed as unchanged (exit 0) under a rule that
// took any two values whose gap divides the faster for one tick. Readings off
// every lattice (607 and 650 ns) give no tick.
TEST(GateStats, TheTimerTickIsTakenFromBothRuns) {
  std::vector<double> base, throttled, one, one_or_two;
  for (int i = 0; i < 30; ++i) {
    base.push_back(i % 2 ? 992e-9 : 960e-9);
    throttled.push_back(i < 20 ? 960e-9 : 1280e-9);
    one.push_back(1000e-9);
    one_or_two.push_back(i < 24 ? 1000e-9 : 2000e-9);
  }
  std::vector<double> both(base);
  both.insert(both.end(), throttled.begin(), throttled.end());
  EXPECT_NEAR(timer_tick(both), 32e-9, 1e-15);
  const auto t = compare_timings(base, throttled, GateOptions{});
  EXPECT_EQ(t.verdict, Verdict::inconclusive) << t.reason;
  EXPECT_NE(t.reason.find("current timings are bimodal"), std::string::npos) << t.reason;
  EXPECT_NE(compare_timings(one, one_or_two, GateOptions{}).verdict, Verdict::unchanged);
  EXPECT_EQ(timer_tick({607e-9, 650e-9, 607e-9}), 0);
  EXPECT_EQ(timer_tick({30e-6, 40e-6}), 0);  // 10 us is no timer's step
}

// A throttled run of only two values: the gap between them is not a timer
// tick (it once floored the spread and passed as "unchanged", exit 0).
TEST(GateStats, TwoValuesFarApartAreTwoModes) {
  std::vector<double> clean, throttled;
  for (int i = 0; i < 30; ++i) {
    clean.push_back(i % 2 ? 31e-6 : 30e-6);
    throttled.push_back(i < 20 ? 30e-6 : 40e-6);
  }
  EXPECT_TRUE(detect_modes(throttled, 0.15, 5, 0.025).bimodal);
  const auto t = compare_timings(clean, throttled, GateOptions{});
  EXPECT_EQ(t.verdict, Verdict::inconclusive) << t.reason;
  EXPECT_NE(t.reason.find("current timings are bimodal"), std::string::npos) << t.reason;
}

// Two real modes on the same coarse timer still are: 30-31 us and 40-41 us.
TEST(GateStats, TwoModesOnACoarseTimerAreFound) {
  std::vector<double> clean, throttled;
  for (int i = 0; i < 30; ++i) {
    const double tick = (i % 2) * 1e-6;
    clean.push_back(30e-6 + tick);
    throttled.push_back((i < 18 ? 30e-6 : 40e-6) + tick);
  }
  const Modality m = detect_modes(throttled, 0.15, 5, 0.025);
  EXPECT_TRUE(m.bimodal);
  EXPECT_NEAR(m.minor_fraction, 0.4, 1e-12);
  const auto t = compare_timings(clean, throttled, GateOptions{});
  EXPECT_EQ(t.verdict, Verdict::inconclusive);
  EXPECT_NE(t.reason.find("current timings are bimodal"), std::string::npos) << t.reason;
}

// Two modes a few percent apart, both within the threshold of the other run:
// no mode changed past the threshold, so "unchanged" stands (noise split in
// two read as inconclusive). A mode 8% slower than the baseline still does not.
TEST(GateStats, BimodalUnchangedStandsOnlyWhenEveryModeIsWithinTheThreshold) {
  std::vector<double> base, near, far;
  for (int i = 0; i < 30; ++i) {
    const double jitter = 1 + 0.001 * (i % 5);
    base.push_back(1e-3 * jitter);
    near.push_back((i < 20 ? 0.985e-3 : 1.02e-3) * jitter);
    far.push_back((i < 20 ? 0.985e-3 : 1.08e-3) * jitter);
  }
  ASSERT_TRUE(detect_modes(near, 0.15, 5, 0.025).bimodal);
  ASSERT_TRUE(detect_modes(far, 0.15, 5, 0.025).bimodal);
  for (bool swap : {false, true}) {
    SCOPED_TRACE(swap ? "bimodal baseline" : "bimodal current");
    const auto n = swap ? compare_timings(near, base, GateOptions{}) : compare_timings(base, near, GateOptions{});
    EXPECT_EQ(n.verdict, Verdict::unchanged) << n.reason;
    EXPECT_NE(n.reason.find("timings are bimodal (two modes 3.6% apart), but every mode is within it"),
              std::string::npos)
        << n.reason;
    const auto f = swap ? compare_timings(far, base, GateOptions{}) : compare_timings(base, far, GateOptions{});
    EXPECT_EQ(f.verdict, Verdict::inconclusive) << f.reason;
  }
}

// Both runs bimodal with the same two modes, 8% apart, in about the same
// shares (a runner's two states, seen twice; a results file against a copy of
// itself was inconclusive): mode against mode, unchanged. Modes in other
// shares, or a slow mode that moved, are not.
TEST(GateStats, TwoRunsWithTheSameTwoModesAreUnchanged) {
  auto two_modes = [](int fast, double slow_mode, int offset) {
    std::vector<double> v;
    for (int i = 0; i < 30; ++i) v.push_back((i < fast ? 1e-3 : slow_mode) * (1 + 0.001 * ((i + offset) % 5)));
    return v;
  };
  const auto base = two_modes(20, 1.08e-3, 0), same = two_modes(19, 1.08e-3, 2);
  ASSERT_TRUE(detect_modes(base, 0.15, 5, 0.025).bimodal);
  ASSERT_TRUE(detect_modes(same, 0.15, 5, 0.025).bimodal);
  const auto t = compare_timings(base, same, GateOptions{});
  EXPECT_EQ(t.verdict, Verdict::unchanged) << t.reason;
  EXPECT_NE(t.reason.find("both runs' timings are bimodal (slow modes 33% and 37% of the samples), but each mode "
                          "is within it of the other run's"),
            std::string::npos)
      << t.reason;
  EXPECT_EQ(compare_timings(base, base, GateOptions{}).verdict, Verdict::unchanged);
  // The slow mode 8% further: not the same modes.
  EXPECT_NE(compare_timings(base, two_modes(20, 1.17e-3, 0), GateOptions{}).verdict, Verdict::unchanged);
  // The shares swapped (a third slow, then two thirds): another mix, inconclusive.
  EXPECT_EQ(compare_timings(base, two_modes(10, 1.08e-3, 0), GateOptions{}).verdict, Verdict::inconclusive);
  // Modes 3x apart, the slow one's share from 35% to 59% (within 25 points):
  // the median tripled and the mean rose 28%, while the pairs' interval read
  // no change (a reviewer's case: it was called unchanged).
  auto far_modes = [](int slow) {
    std::vector<double> v;
    for (int i = 0; i < 200; ++i) v.push_back((i < 200 - slow ? 1e-3 : 3e-3) * (1 + 0.0001 * (i % 7)));
    return v;
  };
  const auto crossed = compare_timings(far_modes(70), far_modes(118), GateOptions{});
  EXPECT_NE(crossed.verdict, Verdict::unchanged) << crossed.reason;
  EXPECT_NE(crossed.verdict, Verdict::faster) << crossed.reason;
  // Three runner states, each 6.1% slower in the current run, in other shares
  // (11/61/28% against 64/23/13%): the modes found pair across states, the
  // median and mean hardly move, p10 and p90 do (a reviewer's case: it read
  // unchanged).
  auto three_states = [](int first, int second, double scale) {
    std::vector<double> v;
    for (int i = 0; i < 100; ++i)
      v.push_back(scale * (i < first ? 1.0e-3 : i < first + second ? 1.082e-3 : 1.17e-3) * (1 + 0.0002 * (i % 5)));
    return v;
  };
  const auto shifted_states = compare_timings(three_states(11, 61, 1), three_states(64, 23, 1.061), GateOptions{});
  EXPECT_NE(shifted_states.verdict, Verdict::unchanged) << shifted_states.reason;
}

// The same two states in both runs, 6% apart (18 and 12 samples), and every
// sample 10% slower: slower, mode against mode (a reviewer's case: the fast
// mode never cleared the baseline's slow one, so it was only inconclusive,
// and the message named the current run's modes alone).
TEST(GateStats, TwoRunsWithTheSameTwoModesBothMovedAreSlower) {
  std::vector<double> base;
  for (int i = 0; i < 30; ++i) base.push_back((i < 18 ? 1.00e-3 : 1.06e-3) * (1 + 0.0005 * (i % 5)));
  ASSERT_TRUE(detect_modes(base, 0.15, 5, 0.025).bimodal);
  auto scaled = [&](double s) {
    std::vector<double> v = base;
    for (double& x : v) x *= s;
    return v;
  };
  const auto slower = compare_timings(base, scaled(1.10), GateOptions{});
  EXPECT_EQ(slower.verdict, Verdict::slower) << slower.reason;
  EXPECT_NE(
      slower.reason.find("; both runs' timings are bimodal (slow modes 40% and 40% of the samples), and "
                         "each mode moved past it from the other run's"),
      std::string::npos)
      << slower.reason;
  EXPECT_EQ(compare_timings(base, scaled(0.90), GateOptions{}).verdict, Verdict::faster);
  EXPECT_EQ(compare_timings(base, base, GateOptions{}).verdict, Verdict::unchanged);
  // Only the fast mode moved (the slow one stayed): not every mode, inconclusive,
  // naming both runs.
  std::vector<double> fast_only = base;
  for (int i = 0; i < 18; ++i) fast_only[size_t(i)] *= 1.10;
  const auto partial = compare_timings(base, fast_only, GateOptions{});
  EXPECT_EQ(partial.verdict, Verdict::inconclusive) << partial.reason;
  EXPECT_EQ(partial.reason.find("both runs' timings are bimodal (the current run's two modes "), 0u)
      << partial.reason;
  // Every sample 10% slower and the mix moved towards the slow state too (12
  // slow to 24): slower still. Every sample 10% faster while the mix moved 40
  // points towards the slow state: inconclusive; towards the fast one: faster.
  auto mix = [](int fast, double s) {
    std::vector<double> v;
    for (int i = 0; i < 30; ++i) v.push_back(s * (i < fast ? 1.00e-3 : 1.06e-3) * (1 + 0.0005 * (i % 5)));
    return v;
  };
  EXPECT_EQ(compare_timings(base, mix(6, 1.10), GateOptions{}).verdict, Verdict::slower);
  EXPECT_EQ(compare_timings(base, mix(6, 0.90), GateOptions{}).verdict, Verdict::inconclusive)
      << "faster modes, but the mix moved 40 points towards the slow one";
  EXPECT_EQ(compare_timings(mix(6, 1.0), mix(18, 0.90), GateOptions{}).verdict, Verdict::faster);
}

TEST(GateStats, VerdictsOnClearCases) {
  std::mt19937_64 rng(11);
  const auto base = test::noisy_samples(rng, 30, 1e-3, {});
  const auto same = test::noisy_samples(rng, 30, 1e-3, {});
  GateOptions o;
  EXPECT_EQ(compare_timings(base, same, o).verdict, Verdict::unchanged);
  const auto slow = compare_timings(base, shifted(same, 1.2), o);
  EXPECT_EQ(slow.verdict, Verdict::slower);
  EXPECT_NEAR(slow.ratio, 1.2, 0.03);
  EXPECT_LT(slow.ci_low, slow.ratio);
  EXPECT_GT(slow.ci_high, slow.ratio);
  EXPECT_LE(slow.ci_low, slow.eq_low);  // the 99% interval is the wider one
  // The reason says what was established, not that the change exceeds the
  // threshold: the interval may reach below it.
  EXPECT_TRUE(std::regex_match(slow.reason, std::regex(R"(estimate \+[0-9.]+% >= \+5\.0% \(the 5% )"
                                                       R"(threshold\); 99% interval \+[0-9.]+%\.\.)"
                                                       R"(\+[0-9.]+% excludes no change)")))
      << slow.reason;
  const auto fast = compare_timings(base, shifted(same, 0.8), o);
  EXPECT_EQ(fast.verdict, Verdict::faster);
  EXPECT_TRUE(std::regex_match(fast.reason, std::regex(R"(estimate -[0-9.]+% <= -4\.8% \(the 5% )"
                                                       R"(threshold\); 99% interval -[0-9.]+%\.\.)"
                                                       R"(-[0-9.]+% excludes no change)")))
      << fast.reason;
  // A 20% change is unchanged under a 25% threshold.
  o.threshold = 0.25;
  EXPECT_EQ(compare_timings(base, shifted(same, 1.2), o).verdict, Verdict::unchanged);
  // "unchanged" gives the interval it was decided on, the 90% one: the 99%
  // interval beside it in the table may reach past the threshold.
  const auto equal = compare_timings(base, same, GateOptions{});
  char expected[120];
  std::snprintf(expected, sizeof expected, "the 90%% interval %+.1f%%..%+.1f%% lies within the 5%% threshold",
                (equal.eq_low - 1) * 100, (equal.eq_high - 1) * 100);
  EXPECT_EQ(equal.reason, expected);
  EXPECT_FALSE(equal.remark);
}

// A change of about the threshold with little noise: the interval is narrow
// and straddles the threshold's edge. The reason says so, not "too noisy".
TEST(GateStats, AChangeAtTheThresholdIsNotCalledNoise) {
  std::vector<double> base;
  for (int i = 0; i < 30; ++i) base.push_back(1e-3 * (1 + 0.0002 * i));  // 1 ms, 0.6% wide
  const auto cur = shifted(base, 1.0495);
  const auto t = compare_timings(base, cur, GateOptions{});
  ASSERT_EQ(t.verdict, Verdict::inconclusive) << t.reason;
  ASSERT_LT(t.ci_low, 1.05);
  ASSERT_GE(t.ci_high, 1.05);
  EXPECT_EQ(t.reason.rfind("a change of about the threshold: the estimate +", 0), 0u) << t.reason;
  EXPECT_NE(t.reason.find(" straddle +5.0%; more samples may settle which side"), std::string::npos) << t.reason;
}

// With 5 samples a side no 99% interval exists (the Moses index is negative),
// so --min-samples 5 could never give a verdict: refused, naming the minimum.
TEST(GateStats, MinSamplesBelowAnyIntervalIsRefused) {
  EXPECT_EQ(min_samples_for_interval(0.99), 6);
  EXPECT_EQ(min_samples_for_interval(0.999), 8);
  EXPECT_EQ(min_samples_for_interval(0.90), 3);
  GateOptions o;
  o.min_samples = 5;
  EXPECT_NE(bad_input_message([&] { validate(o); })
                .find("--min-samples must be at least 6 at 99% confidence: with fewer samples the interval flopscope "
                       "computes does not exist"),
            std::string::npos);
  o.min_samples = 6;
  EXPECT_NO_THROW(validate(o));
  std::vector<double> six{1.00e-3, 1.01e-3, 1.02e-3, 1.03e-3, 1.04e-3, 1.05e-3};
  const auto t = compare_timings(six, shifted(six, 1.3), o);
  EXPECT_GT(t.ci_low, 0) << t.reason;
  EXPECT_EQ(t.verdict, Verdict::slower) << t.reason;
  o.confidence = 0.999;
  EXPECT_NE(bad_input_message([&] { validate(o); }).find("at least 8"), std::string::npos);
  // At a low confidence the floor of 5 holds.
  o.confidence = 0.6;
  o.min_samples = 4;
  EXPECT_EQ(bad_input_message([&] { validate(o); }), "--min-samples must be at least 5");
}

TEST(GateStats, LargeSamplesAreThinnedNotSlow) {
  // A microsecond kernel timed for 0.1 s: thousands of samples per run.
  std::mt19937_64 rng(13);
  const auto base = test::noisy_samples(rng, 5000, 20e-6, {});
  const auto same = test::noisy_samples(rng, 5000, 20e-6, {});
  const auto t = compare_timings(base, same, GateOptions{});
  EXPECT_EQ(t.verdict, Verdict::unchanged) << t.reason;
  EXPECT_EQ(t.n_base, 5000);
  EXPECT_EQ(compare_timings(base, shifted(same, 1.1), GateOptions{}).verdict, Verdict::slower);
}

// Alternating 1.12 / 1.00 ms repetitions, 500 in the baseline and 750 ten
// percent slower in the current: taking every 2nd and every 3rd measurement
// kept only the slow ones of the baseline and both of the current, and said
// +3.9%. Thinning by order statistics keeps both halves of each.
TEST(GateStats, ThinningDoesNotAliasAPatternInMeasurementOrder) {
  auto alternating = [](int n, double f) {
    std::vector<double> v;
    // 2% apart: under the bimodality gap, so only the thinning is on trial.
    for (int i = 0; i < n; ++i) v.push_back((i % 2 ? 1.00e-3 : 1.02e-3) * f);
    return v;
  };
  const auto t = compare_timings(alternating(500, 1), alternating(750, 1.10), GateOptions{});
  EXPECT_NEAR(t.ratio, 1.10, 1e-9);
  EXPECT_EQ(t.verdict, Verdict::slower) << t.reason;
}

TEST(GateStats, TooFewSamplesIsInconclusive) {
  const auto t = compare_timings({1e-3, 1e-3, 1e-3}, {2e-3, 2e-3, 2e-3}, GateOptions{});
  EXPECT_EQ(t.verdict, Verdict::inconclusive);
  EXPECT_NE(t.reason.find("too few samples"), std::string::npos) << t.reason;
  EXPECT_EQ(t.ratio, 0);
  EXPECT_DOUBLE_EQ(t.cur_median, 2e-3);
}

// A 0 s reading is an operation shorter than the timer's resolution (a
// profiled empty memset); one such sample made compare refuse the whole file.
TEST(GateStats, ZeroSamplesAreBelowTheTimersResolution) {
  const std::vector<double> zeros(30, 0.0), some = from_us({0, 0.032, 0, 0.032, 0, 0.032, 0, 0.032, 0, 0.032});
  const auto all = compare_timings(zeros, zeros, GateOptions{});
  EXPECT_EQ(all.verdict, Verdict::unchanged);
  EXPECT_EQ(all.ratio, 1);
  EXPECT_NE(all.reason.find("below the timer's resolution"), std::string::npos) << all.reason;
  const auto mixed = compare_timings(zeros, some, GateOptions{});
  EXPECT_EQ(mixed.verdict, Verdict::inconclusive);
  EXPECT_NE(mixed.reason.find("read 0 s (baseline 30, current 5)"), std::string::npos) << mixed.reason;
  // From below the timer's resolution to measurable: no ratio, but the reason
  // says which run was measurable (it blamed the timer for both).
  const std::vector<double> ms(30, 1e-3);
  const auto up = compare_timings(zeros, ms, GateOptions{});
  EXPECT_EQ(up.verdict, Verdict::inconclusive);
  EXPECT_NE(up.reason.find("every baseline sample reads 0 s (below the timer's resolution), the current run's "
                           "median 1.000 ms: no ratio exists; the current run is measurable, the baseline was not"),
            std::string::npos)
      << up.reason;
  EXPECT_NE(compare_timings(ms, zeros, GateOptions{}).reason.find("the baseline was measurable, the current run is not"),
            std::string::npos);
  // In a file: the run is inconclusive, the others are compared. One 0 among
  // readings of milliseconds is a bad reading, and said to be (it was blamed
  // on the timer's resolution).
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  b.runs[0].time_s.samples[3] = 0;
  const auto rep = cmp(a, b);
  EXPECT_EQ(find(rep, "gemm.cublas.bf16").timing.verdict, Verdict::inconclusive);
  const std::string why = find(rep, "gemm.cublas.bf16").timing.reason;
  EXPECT_NE(why.find("read 0 s (baseline 0, current 1) beside readings of "), std::string::npos) << why;
  EXPECT_NE(why.find("bad readings, or operations of very different lengths in one run"), std::string::npos) << why;
  EXPECT_NE(mixed.reason.find("too short to compare"), std::string::npos) << mixed.reason;  // 32 ns readings
  EXPECT_EQ(rep.runs.size(), 2u);
  b.runs[0].time_s.samples[3] = -1e-6;
  EXPECT_NE(bad_input_message([&] { cmp(a, b); }).find("a timing sample is negative or not a number"),
            std::string::npos);
}

// 4 of 30 repetitions twice as slow leave the body, and "unchanged", where it
// was; the reason now says the tail moved (it said nothing).
TEST(GateStats, ASlowTailIsNotedOnUnchanged) {
  const auto [base, cur] = tail_moved(9, 30, 0.01, 26, 2);
  const auto t = compare_timings(base, cur, GateOptions{});
  ASSERT_EQ(t.verdict, Verdict::unchanged) << t.reason;
  EXPECT_NE(t.reason.find("but p90 moved +"), std::string::npos) << t.reason;
  EXPECT_NE(t.reason.find("a tail of the current run is slower"), std::string::npos) << t.reason;
  EXPECT_TRUE(t.remark);
  EXPECT_EQ(compare_timings(base, base, GateOptions{}).reason.find("p90"), std::string::npos);
  // In a report, that reason is shown beside "unchanged" (the terminal and
  // Markdown views once left such a run out of their details).
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  a.runs[0].time_s.samples = base;
  b.runs[0].time_s.samples = cur;
  for (ResultsDoc* d : {&a, &b}) {
    auto s = d->runs[0].time_s.samples;
    std::sort(s.begin(), s.end());
    d->runs[0].time_s.median = s[s.size() / 2];
    d->runs[0].time_s.p10 = s[s.size() / 10];
    d->runs[0].time_s.p90 = s[s.size() * 9 / 10];
  }
  const CompareReport rep = cmp(a, b);
  ASSERT_EQ(find(rep, "gemm.cublas.bf16").timing.verdict, Verdict::unchanged);
  EXPECT_NE(render_compare_text(rep, false, true).find("a tail of the current run is slower"), std::string::npos);
  EXPECT_NE(render_compare_markdown(rep).find("a tail of the current run is slower"), std::string::npos);
}

// NVML's clock-limit reasons the current run had and the baseline did not are
// noted beside the verdict, which they do not change.
TEST(GateClock, ClockLimitsOfTheCurrentRunAreNoted) {
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  b.runs[0].clock_limits = std::vector<std::string>{"sw_power_cap", "hw_thermal"};
  const CompareReport rep = cmp(a, b);
  const auto& r = find(rep, "gemm.cublas.bf16");
  ASSERT_FALSE(r.notes.empty());
  EXPECT_EQ(r.notes.back(), "the current run's clocks were limited (hw_thermal, sw_power_cap) while it was timed; "
                            "the baseline's limits were not recorded");
  a.runs[0].clock_limits = std::vector<std::string>{"hw_thermal", "sw_power_cap"};
  const CompareReport same = cmp(a, b);
  for (const auto& note : find(same, "gemm.cublas.bf16").notes)
    EXPECT_EQ(note.find("limited"), std::string::npos) << note;  // the same limits: nothing to say
  a.runs[0].clock_limits = std::vector<std::string>{};
  const CompareReport none = cmp(a, b);
  EXPECT_NE(find(none, "gemm.cublas.bf16").notes.back().find("the baseline's were not"), std::string::npos);
}

TEST(GateStats, OneTailMovingIsInconclusive) {
  // Current: the fast half as before, the slow half 40% slower, too close
  // together to be called two modes; the median moves, p10 does not.
  const auto [base, cur] = tail_moved(5, 40, 0.05, 16, 1.15);
  const auto t = compare_timings(base, cur, GateOptions{});
  EXPECT_NE(t.verdict, Verdict::slower) << t.reason;
}

// Found by review: at 10 samples (the default --min-samples, and what bench
// keeps for a 10 ms kernel) p90 lies a tenth of the way to the slowest
// sample, so one baseline sample twice as slow moved it 10% and a clean 10%
// slowdown read "only part of the distribution moved", exit 4. Each tail is
// taken without the fastest and the slowest sample.
TEST(GateStats, OneOutlierAmongTenDoesNotHideAChange) {
  std::vector<double> base, slower, faster;
  for (int i = 0; i < 10; ++i) {
    const double t = 1.42e-3 * (1 + 0.002 * i);
    base.push_back(t);
    slower.push_back(t * 1.10);
    faster.push_back(t / 1.10);
  }
  base[4] *= 2;  // one slow baseline repetition
  const auto up = compare_timings(base, slower, GateOptions{});
  EXPECT_EQ(up.verdict, Verdict::slower) << up.reason;
  std::vector<double> outlier = faster;
  outlier[7] *= 100;  // one current repetition 100x slow
  std::vector<double> clean = base;
  clean[4] /= 2;
  const auto down = compare_timings(clean, outlier, GateOptions{});
  EXPECT_EQ(down.verdict, Verdict::faster) << down.reason;
  // And an unchanged run with one such sample reads as unchanged, without a
  // "p90 moved +983%" remark from that sample alone.
  std::vector<double> same = clean;
  same[7] *= 100;
  const auto t = compare_timings(clean, same, GateOptions{});
  EXPECT_EQ(t.verdict, Verdict::unchanged) << t.reason;
  EXPECT_EQ(t.reason.find("p90"), std::string::npos) << t.reason;
}

TEST(GateMatching, MatchesByIdAndShapeAndListsTheRest) {
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  // Same shape, other key order: still a match.
  std::reverse(b.runs[0].shape.begin(), b.runs[0].shape.end());
  // A run only in the current file, and one only in the baseline.
  RunRecord extra = b.runs[1];
  extra.shape = {{"n", 1024}};
  b.runs.push_back(extra);
  RunRecord gone = a.runs[1];
  gone.id = "memory.triad.fp32";
  gone.variant = "triad";
  a.runs.push_back(gone);
  const auto rep = cmp(a, b);
  ASSERT_EQ(rep.runs.size(), 2u);
  EXPECT_EQ(rep.runs[0].key.id, "gemm.cublas.bf16");
  ASSERT_EQ(rep.only_in_current.size(), 1u);
  EXPECT_EQ(rep.only_in_current[0].label(), "memory.copy.fp32 n=1024");
  ASSERT_EQ(rep.only_in_baseline.size(), 1u);
  EXPECT_EQ(rep.only_in_baseline[0].id, "memory.triad.fp32");
  // A baseline run missing from current is not a pass.
  EXPECT_EQ(rep.outcome(), Outcome::inconclusive);
}

// bench wraps each run in an NVTX range of its id and shape, keys in the order
// written: a file whose shape keys come in another order still matches (it was
// "no run matches", exit 2), and labels, JUnit names and Google Benchmark
// names do not repeat the shape as an NVTX path. Another range still tells
// runs apart.
TEST(GateMatching, BenchsOwnNvtxRangeDoesNotTellRunsApart) {
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  for (ResultsDoc* d : {&a, &b})
    for (RunRecord& r : d->runs) r.nvtx = bench_nvtx_range(r.id, shape_string(r.shape));
  std::reverse(b.runs[0].shape.begin(), b.runs[0].shape.end());
  b.runs[0].nvtx = bench_nvtx_range(b.runs[0].id, shape_string(b.runs[0].shape));
  const auto rep = cmp(a, b);
  ASSERT_EQ(rep.runs.size(), 2u);
  EXPECT_TRUE(rep.only_in_baseline.empty());
  EXPECT_TRUE(rep.only_in_current.empty());
  EXPECT_EQ(rep.runs[0].key.label(), "gemm.cublas.bf16 k=8192 n=8192 m=8192");  // as current has it
  EXPECT_EQ(run_key_label(a.runs[0]), "gemm.cublas.bf16 m=8192 n=8192 k=8192");
  const auto j = nlohmann::json::parse(render_gbench_json(a));
  EXPECT_EQ(j["benchmarks"][0]["name"], "gemm.cublas.bf16/m:8192/n:8192/k:8192");
  // A profiled application's range is the run's own.
  b.runs[0].nvtx = "step/forward";
  const auto other = cmp(a, b);
  ASSERT_EQ(other.only_in_current.size(), 1u);
  EXPECT_EQ(other.only_in_current[0].label(), "gemm.cublas.bf16 k=8192 n=8192 m=8192 [step/forward]");
  // The terminal table names it beside the kernel, as the Markdown table does:
  // a profiled application's rows of one kernel were told apart by nothing.
  a.runs[0].nvtx = "step/forward";
  std::reverse(b.runs[0].shape.begin(), b.runs[0].shape.end());
  const auto ranged = cmp(a, b);
  ASSERT_EQ(ranged.runs.size(), 2u);
  EXPECT_NE(render_compare_text(ranged, false, true).find("gemm.cublas.bf16 [step/forward]"), std::string::npos);
  EXPECT_NE(render_compare_markdown(ranged).find("gemm.cublas.bf16 [step/forward]"), std::string::npos);
}

// A file re-sorted after bench wrote it (`jq -S`, Python's sort_keys) has its
// shape keys in a new order and bench's range as written: still bench's own
// range (it was taken for an application's, and no run matched, exit 2).
TEST(GateMatching, ReorderedShapeKeysKeepBenchsRange) {
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  for (ResultsDoc* d : {&a, &b})
    for (RunRecord& r : d->runs) r.nvtx = bench_nvtx_range(r.id, shape_string(r.shape));
  for (RunRecord& r : b.runs) std::sort(r.shape.begin(), r.shape.end());
  const auto rep = cmp(a, b);
  EXPECT_EQ(rep.runs.size(), 2u);
  EXPECT_TRUE(rep.only_in_current.empty());
  EXPECT_EQ(run_label(b.runs[0]), "gemm.cublas.bf16");
  EXPECT_EQ(distinguishing_nvtx(b.runs[0]), "");
  // Every pair once, joined by single spaces, in any order.
  const Shape plain{{"m", 1}, {"n", 2}, {"k", 3}};
  EXPECT_TRUE(is_bench_nvtx_range("g.v.t k=3 m=1 n=2", "g.v.t", plain));
  EXPECT_FALSE(is_bench_nvtx_range("g.v.t k=3 m=1", "g.v.t", plain));
  EXPECT_FALSE(is_bench_nvtx_range("g.v.t k=3 m=1 n=2 n=2", "g.v.t", plain));
  EXPECT_FALSE(is_bench_nvtx_range("g.v.t k=3  m=1 n=2", "g.v.t", plain));
  EXPECT_FALSE(is_bench_nvtx_range("g.v.t k=3 m=1 n=22", "g.v.t", plain));
  EXPECT_FALSE(is_bench_nvtx_range("g.v.tk=3 m=1 n=2", "g.v.t", plain));
  EXPECT_FALSE(is_bench_nvtx_range("step/forward", "g.v.t", plain));
  // A key with a space or '=' in it (no bench key has one) makes the words
  // ambiguous: only bench's own order is its range (any other order was
  // matched by backtracking, exponential in such keys).
  const Shape odd{{"m", 1}, {"a b", 2}};
  EXPECT_TRUE(is_bench_nvtx_range("g.v.t m=1 a b=2", "g.v.t", odd));
  EXPECT_FALSE(is_bench_nvtx_range("g.v.t a b=2 m=1", "g.v.t", odd));
}

// Shape keys are free text in the file: a key that spells another shape
// ("m=1 n" = 2 reads "m=1 n=2", as m = 1, n = 2 does) is another run.
TEST(GateMatching, AShapeKeyCannotSpellAnotherShape) {
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  a.runs.resize(1);
  b.runs.resize(1);
  a.runs[0].shape = {{"m", 1}, {"n", 2}};
  b.runs[0].shape = {{"m=1 n", 2}};
  EXPECT_NE(bad_input_message([&] { cmp(a, b); }).find("matches"), std::string::npos);
  RunRecord nvtx = a.runs[0];
  nvtx.shape = {{"m", 1}};
  nvtx.nvtx = "n=2";
  b.runs[0] = nvtx;
  EXPECT_NE(bad_input_message([&] { cmp(a, b); }).find("matches"), std::string::npos);
  // Both in one file are two runs.
  ResultsDoc both = a;
  both.runs.push_back(a.runs[0]);
  both.runs[1].shape = {{"m=1 n", 2}};
  EXPECT_FALSE(first_repeated_run(both.runs));
}

TEST(GateMatching, BadInputs) {
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  ResultsDoc dup = b;
  dup.runs.push_back(dup.runs[0]);
  EXPECT_NE(bad_input_message([&] { cmp(a, dup); }).find("runs[0] and runs[2]"), std::string::npos);
  ResultsDoc empty = b;
  empty.runs.clear();
  EXPECT_NE(bad_input_message([&] { cmp(empty, b); }).find("base.json: no runs"), std::string::npos);
  ResultsDoc other = b;
  for (auto& r : other.runs) r.id = "x." + r.id;
  EXPECT_NE(bad_input_message([&] { cmp(a, other); }).find("matches"), std::string::npos);
  ResultsDoc v2 = b;
  v2.schema = "flopscope.results/2";
  EXPECT_NE(bad_input_message([&] { cmp(a, v2); }).find("schema versions differ"), std::string::npos);
  ResultsDoc nan = b;
  nan.runs[1].time_s.samples[3] = std::nan("");
  EXPECT_NE(bad_input_message([&] { cmp(a, nan); }).find("cur.json: runs[1] (memory.copy.fp32"),
            std::string::npos);
  GateOptions o;
  o.threshold = -0.05;
  EXPECT_NE(bad_input_message([&] { cmp(a, b, o); }).find("--threshold"), std::string::npos);
}

TEST(GateMatching, DifferentGpusWarn) {
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  b.device->name = "NVIDIA H100 80GB HBM3";
  b.device->gpu_key = "h100-sxm";
  auto rep = cmp(a, b);
  ASSERT_EQ(rep.warnings.size(), 1u);
  EXPECT_NE(rep.warnings[0].find("different GPUs"), std::string::npos);
  EXPECT_NE(rep.warnings[0].find("h100-sxm"), std::string::npos);
  b.device.reset();
  rep = cmp(a, b);
  ASSERT_EQ(rep.warnings.size(), 1u);
  EXPECT_NE(rep.warnings[0].find("the current file records no device"), std::string::npos);
  ResultsDoc none = a;
  none.device.reset();
  rep = cmp(none, b);  // both: said of both, not of the baseline alone
  ASSERT_EQ(rep.warnings.size(), 1u);
  EXPECT_NE(rep.warnings[0].find("neither file records a device"), std::string::npos) << rep.warnings[0];
  // One name, fewer SMs (a MIG slice): a different GPU, as `check` says too.
  ResultsDoc slice = noisy_doc(2);
  slice.device->sm_count = 16;
  rep = cmp(a, slice);
  ASSERT_EQ(rep.warnings.size(), 1u);
  EXPECT_NE(rep.warnings[0].find("different GPUs: the baseline ran on NVIDIA H200 (h200, 132 SMs), the current on "
                                 "NVIDIA H200 (h200, 16 SMs);"),
            std::string::npos)
      << rep.warnings[0];
  EXPECT_TRUE(cmp(a, noisy_doc(3)).warnings.empty());
  // One product under two spellings (one key), or one name where a file has no
  // key: the same GPU, as `report --peaks` matches them too.
  ResultsDoc spelled = noisy_doc(3), keyless = noisy_doc(3);
  spelled.device->name = "NVIDIA H200 SXM";
  keyless.device->gpu_key.clear();
  EXPECT_TRUE(cmp(a, spelled).warnings.empty());
  EXPECT_TRUE(cmp(a, keyless).warnings.empty());
}

// Two NVIDIA drivers of one branch support the same CUDA version ("13.0"):
// the drivers' own versions tell them apart where both files record them.
TEST(GateMatching, DifferentDriversWarnByTheirOwnVersion) {
  ResultsDoc a = noisy_doc(1), b = noisy_doc(2);
  a.device->driver_version = b.device->driver_version = "13.0";
  a.device->nvidia_driver = "580.65.06";
  b.device->nvidia_driver = "580.159.04";
  auto rep = cmp(a, b);
  ASSERT_EQ(rep.warnings.size(), 1u);
  EXPECT_EQ(rep.warnings[0],
            "different drivers: NVIDIA driver 580.65.06 (CUDA 13.0) (baseline) vs NVIDIA driver 580.159.04 (CUDA "
            "13.0) (current)");
  b.device->nvidia_driver = "580.65.06";
  EXPECT_TRUE(cmp(a, b).warnings.empty());
  // A file from before the field: the CUDA versions decide, as they did.
  b.device->nvidia_driver.clear();
  EXPECT_TRUE(cmp(a, b).warnings.empty());
  b.device->driver_version = "13.1";
  ASSERT_EQ(cmp(a, b).warnings.size(), 1u);
  EXPECT_NE(cmp(a, b).warnings[0].find("CUDA 13.1 driver (current)"), std::string::npos) << cmp(a, b).warnings[0];
}

TEST(GateWork, ExecutedFlopChangeIsReportedWhenTimeDidNotMove) {
  ResultsDoc a = noisy_doc(1);
  ResultsDoc b = a;  // identical samples: the time did not move
  b.runs[0].hw->flops_total = *a.runs[0].hw->flops_total * 1.05;
  auto rep = cmp(a, b);
  const auto& g = find(rep, "gemm.cublas.bf16");
  EXPECT_EQ(g.timing.verdict, Verdict::unchanged);
  const WorkDelta* d = delta(g, "hw.flops_total");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->changed);
  EXPECT_TRUE(d->gated);
  EXPECT_TRUE(g.regression());
  EXPECT_EQ(rep.outcome(), Outcome::regression);
  // JUnit's failure message names the work, not only the unchanged time.
  EXPECT_NE(render_compare_junit(rep).find("message=\"more work: hw.flops_total +5.0% (from "),
            std::string::npos)
      << render_compare_junit(rep);
  EXPECT_NE(render_compare_junit(rep).find("; time unchanged: the 90% interval "),
            std::string::npos);

  // Less work is reported, and fails only with --work-gate any.
  b.runs[0].hw->flops_total = *a.runs[0].hw->flops_total * 0.9;
  rep = cmp(a, b);
  EXPECT_TRUE(find(rep, "gemm.cublas.bf16").work_changed());
  EXPECT_FALSE(find(rep, "gemm.cublas.bf16").work_regression());
  EXPECT_EQ(rep.outcome(), Outcome::ok);
  GateOptions any;
  any.work_gate = WorkGate::any;
  rep = cmp(a, b, any);
  EXPECT_EQ(rep.outcome(), Outcome::regression);
  EXPECT_NE(render_compare_text(rep).find("unchanged, less work"), std::string::npos);
  EXPECT_NE(render_compare_junit(rep).find("message=\"less work: hw.flops_total -10.0%"),
            std::string::npos);
  GateOptions none;
  none.work_gate = WorkGate::none;
  b.runs[0].hw->flops_total = *a.runs[0].hw->flops_total * 2;
  EXPECT_EQ(cmp(a, b, none).outcome(), Outcome::ok);
}

TEST(GateWork, TolerancesAndModelChanges) {
  ResultsDoc a = noisy_doc(1);
  ResultsDoc b = a;
  // DRAM bytes within the 2% default tolerance: no change.
  *b.runs[0].hw->dram_read_bytes *= 1.01;
  auto rep = cmp(a, b);
  EXPECT_FALSE(find(rep, "gemm.cublas.bf16").work_changed());
  // Beyond it: a gated change.
  *b.runs[0].hw->dram_read_bytes *= 1.5;
  rep = cmp(a, b);
  ASSERT_NE(delta(find(rep, "gemm.cublas.bf16"), "hw.dram_bytes"), nullptr);
  EXPECT_TRUE(delta(find(rep, "gemm.cublas.bf16"), "hw.dram_bytes")->gated);
  // Exact FLOPs: --flops-tolerance 0 catches one FLOP more.
  b = a;
  b.runs[0].hw->flops_total = *a.runs[0].hw->flops_total + 1;
  GateOptions exact;
  exact.flops_tolerance = 0;
  EXPECT_TRUE(find(cmp(a, b, exact), "gemm.cublas.bf16").work_regression());
  EXPECT_FALSE(find(cmp(a, b), "gemm.cublas.bf16").work_changed());
  // ... and says it in full: four digits read "from 1.374e+11 to 1.374e+11".
  ResultsDoc whole = a, one_more = a;
  whole.runs[0].hw->flops_total = 137438953472.0;
  one_more.runs[0].hw->flops_total = 137438953473.0;
  const std::string text = render_compare_text(cmp(whole, one_more, exact));
  EXPECT_NE(text.find("work: hw.flops_total +7.3e-10% (from 137438953472 to 137438953473, +1) (gated: beyond the 0% tolerance)"),
            std::string::npos)
      << text;
  // Found by review: a change just past the tolerance read as the tolerance
  // itself, "+0.1% (from 1.1e+12 to 1.101e+12) (gated: beyond the 0.1% tolerance)".
  ResultsDoc past = a, just = a;
  past.runs[0].hw->flops_total = 1.1e12;
  just.runs[0].hw->flops_total = 1.1e12 * 1.001 + 1000;
  const std::string edge = render_compare_text(cmp(past, just));
  EXPECT_NE(edge.find("work: hw.flops_total +0.1000001% (from 1100000000000 to 1101100001000, +1100001000) "
                      "(gated: beyond the 0.1% tolerance)"),
            std::string::npos)
      << edge;
  // ... and where the four-digit figures' ratio lands a hair above the
  // tolerance in doubles (6.3e8 / 6e8 - 1 = 0.050000000000000044).
  GateOptions five;
  five.flops_tolerance = 0.05;
  past.runs[0].hw->flops_total = 6e8;
  just.runs[0].hw->flops_total = 6.3e8 + 60;
  const std::string hair = render_compare_text(cmp(past, just, five));
  EXPECT_NE(hair.find("(from 600000000 to 630000060, +30000060) (gated: beyond the 5% tolerance)"), std::string::npos)
      << hair;
  // Work moved between pipes both runs counted (every metric plan counts the
  // CUDA-core pipes): reported by pipe, the total gates.
  ResultsDoc counted = a;
  counted.runs[0].hw->flops_by_pipe["fp32"] = 0;
  b = a;
  b.runs[0].hw->flops_by_pipe = {{"bf16_tensor", *a.runs[0].hw->flops_total * 0.5},
                                 {"fp32", *a.runs[0].hw->flops_total * 0.5}};
  rep = cmp(counted, b);
  ASSERT_NE(delta(find(rep, "gemm.cublas.bf16"), "hw.flops.fp32"), nullptr);
  EXPECT_TRUE(delta(find(rep, "gemm.cublas.bf16"), "hw.flops.fp32")->changed);
  EXPECT_FALSE(find(rep, "gemm.cublas.bf16").work_regression());
  // A pipe or level one run did not count is not 0 there: a note, not a change.
  b.runs[0].hw->l2_bytes.reset();
  rep = cmp(a, b);
  const auto& notes = find(rep, "gemm.cublas.bf16").notes;
  EXPECT_EQ(delta(find(rep, "gemm.cublas.bf16"), "hw.flops.fp32"), nullptr);
  for (const char* note : {"hw.flops.fp32 only in the current run: not compared",
                           "hw.l2_bytes only in the baseline run: not compared"})
    EXPECT_NE(std::find(notes.begin(), notes.end(), note), notes.end()) << note;
  // A model change is a note, not a regression.
  b = a;
  b.runs[1].model.flops = a.runs[1].model.flops * 2 + 1;
  rep = cmp(a, b);
  EXPECT_TRUE(find(rep, "memory.copy.fp32").work_changed());
  EXPECT_FALSE(find(rep, "memory.copy.fp32").regression());
  ASSERT_FALSE(find(rep, "memory.copy.fp32").notes.empty());
  EXPECT_NE(find(rep, "memory.copy.fp32").notes[0].find("model FLOPs changed"), std::string::npos);
  // A run without a model (a raw counter file's) against one with: model
  // figures are not compared (a -100% "model FLOPs changed" was reported).
  b = a;
  b.runs[0].model = {};
  rep = cmp(a, b);
  EXPECT_EQ(delta(find(rep, "gemm.cublas.bf16"), "model.flops"), nullptr);
  EXPECT_FALSE(find(rep, "gemm.cublas.bf16").work_changed());
  ASSERT_FALSE(find(rep, "gemm.cublas.bf16").notes.empty());
  EXPECT_NE(find(rep, "gemm.cublas.bf16").notes[0].find("the current run has no analytic model"), std::string::npos)
      << find(rep, "gemm.cublas.bf16").notes[0];
  // Counters on one side only: said, not compared.
  b = a;
  b.runs[0].hw.reset();
  rep = cmp(a, b);
  EXPECT_EQ(delta(find(rep, "gemm.cublas.bf16"), "hw.flops_total"), nullptr);
  EXPECT_NE(find(rep, "gemm.cublas.bf16").notes.back().find("only in the baseline"),
            std::string::npos);
}

// A gated quantity the baseline has and the current run lacks is work the
// gate could not check: inconclusive, with a note naming it, never a pass.
TEST(GateWork, GatedWorkMissingFromCurrentIsInconclusive) {
  ResultsDoc a = noisy_doc(1);
  ResultsDoc b = a;
  // Ten times the DRAM reads, but no write count: hw.dram_bytes is not formed.
  *b.runs[0].hw->dram_read_bytes *= 10;
  b.runs[0].hw->dram_write_bytes.reset();
  auto rep = cmp(a, b);
  const auto& g = find(rep, "gemm.cublas.bf16");
  EXPECT_EQ(delta(g, "hw.dram_bytes"), nullptr);
  EXPECT_EQ(g.work_unchecked, std::vector<std::string>{"hw.dram_bytes"});
  EXPECT_FALSE(g.regression());
  EXPECT_TRUE(g.inconclusive());
  ASSERT_FALSE(g.notes.empty());
  EXPECT_NE(g.notes[0].find("hw.dram_bytes in the baseline but not in the current run"),
            std::string::npos)
      << g.notes[0];
  EXPECT_EQ(rep.outcome(), Outcome::inconclusive);
  EXPECT_NE(render_compare_text(rep).find("unchanged, work unchecked"), std::string::npos);
  // The Markdown table's Work cell says so too (it said "same").
  const std::string md = render_compare_markdown(rep);
  EXPECT_NE(md.find("; hw.dram_bytes unchecked: not in current |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| same |"), std::string::npos) << md;
  EXPECT_NE(render_compare_junit(rep).find("<skipped message=\"inconclusive: gated work missing "
                                           "from the current run, not checked: hw.dram_bytes\"/>"),
            std::string::npos)
      << render_compare_junit(rep);

  // No FLOP total in the current run, or no counters at all.
  b = a;
  b.runs[0].hw->flops_total.reset();
  EXPECT_EQ(find(cmp(a, b), "gemm.cublas.bf16").work_unchecked,
            std::vector<std::string>{"hw.flops_total"});
  b.runs[0].hw.reset();
  rep = cmp(a, b);
  EXPECT_EQ(find(rep, "gemm.cublas.bf16").work_unchecked,
            (std::vector<std::string>{"hw.flops_total", "hw.dram_bytes"}));
  EXPECT_EQ(rep.outcome(), Outcome::inconclusive);
  // With --work-gate none nothing is gated, so nothing is missing.
  GateOptions none;
  none.work_gate = WorkGate::none;
  EXPECT_EQ(cmp(a, b, none).outcome(), Outcome::ok);
  // A regression elsewhere still wins.
  b.runs[1].time_s = summarize(shifted(a.runs[1].time_s.samples, 1.5));
  EXPECT_EQ(cmp(a, b).outcome(), Outcome::regression);

  // The other way round, a gated quantity new in the current run: a note only.
  b = a;
  a.runs[0].hw->flops_total.reset();
  rep = cmp(a, b);
  EXPECT_TRUE(find(rep, "gemm.cublas.bf16").work_unchecked.empty());
  EXPECT_NE(find(rep, "gemm.cublas.bf16").notes[0].find("hw.flops_total in the current run only"),
            std::string::npos);
  EXPECT_EQ(rep.outcome(), Outcome::ok);
}

TEST(GateWork, FailedValidationIsARegression) {
  ResultsDoc a = noisy_doc(1);
  ResultsDoc b = a;
  b.runs[0].validation->passed = false;
  auto rep = cmp(a, b);
  EXPECT_TRUE(find(rep, "gemm.cublas.bf16").validation_failed);
  EXPECT_EQ(rep.outcome(), Outcome::regression);
  // Validated in the baseline only: not a failure, but said.
  b.runs[0].validation.reset();
  rep = cmp(a, b);
  EXPECT_FALSE(find(rep, "gemm.cublas.bf16").validation_failed);
  ASSERT_FALSE(find(rep, "gemm.cublas.bf16").notes.empty());
  EXPECT_NE(find(rep, "gemm.cublas.bf16").notes.back().find("validated in the baseline run but not "
                                                            "in the current run"),
            std::string::npos);
  EXPECT_EQ(rep.outcome(), Outcome::ok);
}

TEST(GateClock, LowerClockIsFlaggedNormalizedOrIgnored) {
  // The current run is 25% slower and ran at 80% of the baseline clock:
  // exactly what the clock explains for a compute-bound kernel.
  ResultsDoc a = noisy_doc(1);
  ResultsDoc b = a;
  for (auto& r : b.runs) {
    r.time_s = summarize(shifted(r.time_s.samples, 1.25));
    r.sm_clock_mhz = 1584;
  }
  GateOptions o;
  auto rep = cmp(a, b, o);
  const auto& g = find(rep, "gemm.cublas.bf16");
  EXPECT_EQ(g.timing.verdict, Verdict::inconclusive);
  EXPECT_NE(g.timing.reason.find("SM clock went from 1980 to 1584 MHz"), std::string::npos) << g.timing.reason;
  EXPECT_NE(g.timing.reason.find("--clock normalize"), std::string::npos);
  EXPECT_EQ(rep.outcome(), Outcome::inconclusive);

  o.clock = ClockPolicy::normalize;
  rep = cmp(a, b, o);
  EXPECT_EQ(find(rep, "gemm.cublas.bf16").timing.verdict, Verdict::unchanged);
  EXPECT_NEAR(find(rep, "gemm.cublas.bf16").timing.ratio, 1.0, 1e-9);
  EXPECT_EQ(rep.outcome(), Outcome::ok);

  o.clock = ClockPolicy::ignore;
  EXPECT_EQ(find(cmp(a, b, o), "gemm.cublas.bf16").timing.verdict, Verdict::slower);

  // Clocks within --clock-tolerance are one clock: normalize leaves the times
  // as measured (a 6% slowdown at clocks 1.9% apart read "unchanged", unsaid).
  ResultsDoc near = a;
  for (auto& r : near.runs) {
    r.time_s = summarize(shifted(a.runs[0].time_s.samples, 1.06));
    r.sm_clock_mhz = 1943;
  }
  o.clock = ClockPolicy::normalize;
  const CompareReport near_rep = cmp(a, near, o);  // find's reference is into it
  const auto& within = find(near_rep, "gemm.cublas.bf16");
  EXPECT_EQ(within.timing.verdict, Verdict::slower);
  EXPECT_NEAR(within.timing.ratio, 1.06, 0.01);

  // A slowdown far beyond what the clock explains stands, with a note.
  for (auto& r : b.runs) r.time_s = summarize(shifted(a.runs[0].time_s.samples, 2.0));
  rep = cmp(a, b, GateOptions{});
  EXPECT_EQ(find(rep, "gemm.cublas.bf16").timing.verdict, Verdict::slower);
  EXPECT_NE(find(rep, "gemm.cublas.bf16").notes.back().find("holds at either clock"),
            std::string::npos);

  // Inconclusive for a reason of its own (bimodal) at the recorded clocks, and
  // faster at the baseline's: the bimodal reason stays, the clock is a note (it
  // read "could explain this", explaining nothing, and the bimodality was lost).
  for (auto& r : b.runs) {
    std::vector<double> two = a.runs[0].time_s.samples;
    for (size_t i = 0; i < two.size(); ++i) two[i] *= i % 3 == 0 ? 1.14 : 1.0;
    r.time_s = summarize(two);
    r.sm_clock_mhz = 1560;
  }
  rep = cmp(a, b, GateOptions{});
  const auto& bimodal = find(rep, "gemm.cublas.bf16");
  EXPECT_EQ(bimodal.timing.verdict, Verdict::inconclusive);
  EXPECT_NE(bimodal.timing.reason.find("bimodal"), std::string::npos) << bimodal.timing.reason;
  ASSERT_FALSE(bimodal.notes.empty());
  EXPECT_NE(bimodal.notes.back().find("1980 to 1560 MHz (at the baseline clock the verdict would be faster)"),
            std::string::npos)
      << bimodal.notes.back();

  // No clock in one file: said, naming the file. A clock of 0 is none.
  b = a;
  b.runs[0].sm_clock_mhz.reset();
  rep = cmp(a, b);
  EXPECT_NE(find(rep, "gemm.cublas.bf16").notes.back().find("not recorded in the current run"),
            std::string::npos);
  ResultsDoc zero = a;
  zero.runs[0].sm_clock_mhz = 0;
  rep = cmp(zero, a);
  EXPECT_NE(find(rep, "gemm.cublas.bf16").notes.back().find("not recorded in the baseline run"),
            std::string::npos)
      << find(rep, "gemm.cublas.bf16").notes.back();
  rep = cmp(zero, b);
  EXPECT_NE(find(rep, "gemm.cublas.bf16").notes.back().find("not recorded in either run"),
            std::string::npos);
}

// Both runs bimodal, every sample 10% slower: slower state for state only
// where both runs' clocks are recorded and looked at, the guard against a
// hotter multi-state runner that reads the same (a reviewer's case).
TEST(GateClock, StateForStateNeedsBothClocks) {
  ResultsDoc a = noisy_doc(1);
  std::vector<double> two_states;
  for (int i = 0; i < 30; ++i) two_states.push_back((i < 18 ? 1.00e-3 : 1.06e-3) * (1 + 0.0005 * (i % 5)));
  a.runs[0].time_s = summarize(two_states);
  a.runs[0].sm_clock_mhz = 1980;
  ResultsDoc b = a;
  b.runs[0].time_s = summarize(shifted(two_states, 1.10));
  const std::string id = a.runs[0].id;
  const CompareReport with_clocks = cmp(a, b);
  const RunComparison& guarded = find(with_clocks, id);
  EXPECT_EQ(guarded.timing.verdict, Verdict::slower) << guarded.timing.reason;
  EXPECT_NE(guarded.timing.reason.find("each mode moved past it"), std::string::npos)
      << guarded.timing.reason;
  b.runs[0].sm_clock_mhz.reset();
  const CompareReport without_clock = cmp(a, b);
  const RunComparison& no_clock = find(without_clock, id);
  EXPECT_EQ(no_clock.timing.verdict, Verdict::inconclusive) << no_clock.timing.reason;
  GateOptions ignore;
  ignore.clock = ClockPolicy::ignore;
  EXPECT_EQ(find(cmp(a, a, ignore), id).timing.verdict, Verdict::unchanged);
  b.runs[0].sm_clock_mhz = 1980;
  EXPECT_EQ(find(cmp(a, b, ignore), id).timing.verdict, Verdict::inconclusive);
}

// Control and bidi characters from a file's names and paths become '?' in
// the Markdown's code spans too (they reached a PR comment raw: ESC, BEL and a
// right-to-left override that reorders the text after it).
TEST(GateReports, MarkdownCodeSpansCarryNoControlOrBidiCharacters) {
  ResultsDoc a = noisy_doc(1);
  ResultsDoc b = noisy_doc(2, 30, 1.3);
  const std::string id = "gemm.x\x01\x1b]0;t\x07\xe2\x80\xae.bf16";
  a.runs[0].id = b.runs[0].id = id;
  b.runs[1].id = "memory.new\x1b[31m.fp32";  // new in current: a list line
  CompareReport rep = cmp(a, b);
  rep.baseline_origin = "base\x1b[31m.json";
  const std::string md = render_compare_markdown(rep);
  for (const char* bad : {"\x01", "\x1b", "\x07", "\xe2\x80\xae"})
    EXPECT_EQ(md.find(bad), std::string::npos) << md;
  EXPECT_NE(md.find("`gemm.x??]0;t??.bf16"), std::string::npos) << md;
  EXPECT_NE(md.find("`memory.new?[31m.fp32"), std::string::npos) << md;
  EXPECT_NE(md.find("`base?[31m.json`"), std::string::npos) << md;
}

TEST(GateReports, MarkdownTextAndJunit) {
  ResultsDoc a = noisy_doc(1);
  ResultsDoc b = noisy_doc(2, 30, 1.3);
  b.runs[1].id = "memory.copy<&\"'>.fp32";  // ids come from files: escape them
  RunRecord extra = b.runs[0];
  extra.shape = {{"m", 1}, {"n", 2}, {"k", 3}};
  b.runs.push_back(extra);
  const auto rep = cmp(a, b);
  EXPECT_EQ(rep.outcome(), Outcome::regression);

  const std::string md = render_compare_markdown(rep);
  EXPECT_NE(md.find("## flopscope compare: regression"), std::string::npos) << md;
  EXPECT_NE(md.find("| Kernel | Shape | Baseline | Current | Change | 99% CI | Verdict | Work |"),
            std::string::npos);
  EXPECT_NE(md.find("**slower**"), std::string::npos);
  EXPECT_NE(md.find("missing from current"), std::string::npos);
  EXPECT_NE(md.find("new in current"), std::string::npos);
  EXPECT_TRUE(std::regex_search(md, std::regex(R"(\| \+[0-9.]+% \| \+[0-9.]+%\.\.\+[0-9.]+% \|)")))
      << md;

  const std::string text = render_compare_text(rep);
  EXPECT_NE(text.find("outcome: regression"), std::string::npos) << text;
  EXPECT_NE(text.find("exit 1"), std::string::npos);
  EXPECT_EQ(text.find("\033["), std::string::npos);

  // Settings as given: 99.99% once read "100%", a 0.01% tolerance "0%".
  GateOptions fine;
  fine.confidence = 0.9999;
  fine.min_samples = 11;
  fine.flops_tolerance = 0.0001;
  const std::string settings = render_compare_text(cmp(a, b, fine));
  EXPECT_NE(settings.find("99.99% Mann-Whitney (Moses) interval"), std::string::npos) << settings;
  EXPECT_NE(settings.find("FLOPs within 0.01%"), std::string::npos) << settings;
  EXPECT_NE(settings.find("99.99% CI"), std::string::npos) << settings;

  // In 64 columns the kernel id stays whole (two FFN variants both read
  // "ffn.swig..ed.bf16" at a fixed 100), and the interval column gives way.
  const std::string narrow = render_compare_text(rep, false, true, 64);
  EXPECT_NE(narrow.find("\ngemm.cublas.bf16 "), std::string::npos) << narrow;
  EXPECT_NE(narrow.find("(left out to fit 64 columns: 99% CI; --md has every column)"), std::string::npos)
      << narrow;

  const std::string xml = render_compare_junit(rep);
  EXPECT_EQ(test::xml_problem(xml), "") << xml;
  EXPECT_NE(xml.find("<testsuites name=\"flopscope compare\" tests=\"2\" failures=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("memory.copy&lt;&amp;&quot;&#39;&gt;.fp32"), std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"regression\""), std::string::npos);
  EXPECT_NE(xml.find("<skipped message=\"missing from"), std::string::npos);
  // time is a decimal without an exponent (JUnit's schemas: xs:decimal).
  EXPECT_FALSE(std::regex_search(xml, std::regex(R"(time="[^"]*[eE])"))) << xml;
  EXPECT_TRUE(std::regex_search(xml, std::regex(R"(time="0\.[0-9]+")"))) << xml;
}

TEST(GateReports, XmlEscape) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  // Code points XML 1.0 forbids: DEL, C1 controls, noncharacters of any plane.
  EXPECT_EQ(xml_escape("a\x7f b\u0085 c\uFDD0 d\uFFFF e\U0001FFFE f\u00e9"), "a? b? c? d? e? f\u00e9");
  EXPECT_EQ(xml_escape(std::string("x\x01y\tz\n", 6)), "x?y\tz\n");
  EXPECT_EQ(test::xml_problem("<a><b x=\"1\">t &amp; u</b></a>"), "");
  EXPECT_NE(test::xml_problem("<a><b></a></b>"), "");
  EXPECT_NE(test::xml_problem("<a>x & y</a>"), "");
  EXPECT_NE(test::xml_problem("<a>x \uFFFF y</a>"), "");
  EXPECT_NE(test::xml_problem("<a b=\"\u0085\"/>"), "");
  EXPECT_EQ(test::xml_problem("<a>\u00e9 \U0001F600</a>"), "");
}

TEST(GateReports, GoogleBenchmarkJson) {
  const ResultsDoc doc = noisy_doc(1);
  const auto j = nlohmann::json::parse(render_gbench_json(doc));
  ASSERT_TRUE(j.contains("context"));
  for (const char* k : {"date", "host_name", "executable", "num_cpus", "mhz_per_cpu",
                        "cpu_scaling_enabled", "caches", "library_build_type"})
    EXPECT_TRUE(j["context"].contains(k)) << k;
  ASSERT_EQ(j["benchmarks"].size(), doc.runs.size());
  const auto& b = j["benchmarks"][0];
  EXPECT_EQ(b["name"], "gemm.cublas.bf16/m:8192/n:8192/k:8192");
  EXPECT_EQ(b["run_name"], b["name"]);
  EXPECT_EQ(b["run_type"], "iteration");
  EXPECT_EQ(b["time_unit"], "us");
  EXPECT_EQ(b["iterations"], 30);
  EXPECT_EQ(b["threads"], 1);
  EXPECT_EQ(b["family_index"], 0);
  EXPECT_NEAR(b["real_time"].get<double>(), doc.runs[0].time_s.median * 1e6, 1e-9);
  EXPECT_EQ(b["cpu_time"], b["real_time"]);
  EXPECT_NEAR(b["items_per_second"].get<double>(), doc.runs[0].model.flops / doc.runs[0].time_s.median,
              1);
  EXPECT_TRUE(b.contains("mfu"));
  EXPECT_EQ(j["benchmarks"][1]["family_index"], 1);
  // Found by review: a profiled application's kernel (no model) had tflops,
  // model_flops and rates of 0, which dashboards plot as real zeros.
  ResultsDoc app = doc;
  app.runs[0].family = "app";
  app.runs[0].model = {};
  const auto parsed = nlohmann::json::parse(render_gbench_json(app));
  const auto& k = parsed["benchmarks"][0];
  for (const char* key : {"tflops", "model_flops", "items_per_second", "bytes_per_second"})
    EXPECT_FALSE(k.contains(key)) << key;
  EXPECT_TRUE(k.contains("real_time"));
}
