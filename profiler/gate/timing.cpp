// The gate's timing statistic: Hodges-Lehmann ratio of current to baseline
// time with Moses (Mann-Whitney) confidence intervals, a minimum effect size,
// and a two-mode check for runners that throttle. Deterministic: no resampling.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "flopscope/error.h"
#include "flopscope/gate.h"
#include "flopscope/table.h"  // fmt_time, fmt_percent_given

namespace flopscope {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::unchanged: return "unchanged";
    case Verdict::faster: return "faster";
    case Verdict::slower: return "slower";
    case Verdict::inconclusive: return "inconclusive";
  }
  return "?";
}

double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) throw_bad_input("normal_quantile: p must lie in (0, 1)");
  // Acklam's rational approximation (relative error < 1.2e-9).
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double lo = 0.02425;
  if (p < lo) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normal_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

namespace {

double sorted_median(const std::vector<double>& s, size_t begin, size_t end) {
  const size_t n = end - begin;
  return 0.5 * (s[begin + (n - 1) / 2] + s[begin + n / 2]);
}


/// Index c (0-based) of the lower Moses limit: the interval [d[c], d[N-1-c]]
/// over the N = n*m sorted pairwise differences has the given confidence
/// (normal approximation of the Mann-Whitney U distribution).
std::optional<size_t> moses_index(size_t n, size_t m, double confidence) {
  const double N = double(n) * double(m);
  const double z = normal_quantile(0.5 + confidence / 2);
  const double c = std::floor(N / 2 - 0.5 - z * std::sqrt(N * double(n + m + 1) / 12));
  if (c < 0) return std::nullopt;
  return size_t(c);
}

/// The smallest positive gap between neighbouring values of a sorted sample:
/// the timer's resolution when the samples are quantised; 0 when all agree.
double resolution(const std::vector<double>& sorted) {
  double r = 0;
  for (size_t i = 1; i < sorted.size(); ++i) {
    const double gap = sorted[i] - sorted[i - 1];
    if (gap > 0 && (r == 0 || gap < r)) r = gap;
  }
  return r;
}

// A tail of a run, for the rule that both tails must move: the percentile
// of the samples without the fastest and the slowest. At 10 samples p90 lies
// a tenth of the way to the slowest, so one sample twice as slow moved it
// 10% and overruled a clean 10% slowdown ("only part of the distribution moved").
double tail_percentile(std::vector<double> v, double q) {
  if (v.size() >= 3) {  // percentile() sorts: here only the two extremes go
    v.erase(std::max_element(v.begin(), v.end()));
    v.erase(std::min_element(v.begin(), v.end()));
  }
  return percentile(std::move(v), q);
}

// A reading of 0 s is an operation shorter than the timer's resolution (a
// profiled empty memset): no ratio exists. Fills `t` and returns true when
// either run has one; both runs all 0 is no change.
bool judged_zero_readings(TimingComparison& t, const std::vector<double>& base, const std::vector<double>& cur) {
  auto zeros = [](const std::vector<double>& v) { return size_t(std::count(v.begin(), v.end(), 0.0)); };
  const size_t zb = zeros(base), zc = zeros(cur);
  if (!zb && !zc) return false;
  if (zb == base.size() && zc == cur.size()) {
    t.verdict = Verdict::unchanged;
    t.ratio = t.ci_low = t.ci_high = t.eq_low = t.eq_high = t.p10_ratio = t.p90_ratio = 1;
    t.reason = "every sample of both runs reads 0 s (below the timer's resolution)";
  } else if (zb == base.size() && zc == 0) {
    t.reason = "every baseline sample reads 0 s (below the timer's resolution), the current run's median " +
               fmt_time(t.cur_median) + ": no ratio exists; the current run is measurable, the baseline was not";
  } else if (zc == cur.size() && zb == 0) {
    t.reason = "every current sample reads 0 s (below the timer's resolution), the baseline's median " +
               fmt_time(t.base_median) + ": no ratio exists; the baseline was measurable, the current run is not";
  } else {
    const std::string counts =
        "timing samples read 0 s (baseline " + std::to_string(zb) + ", current " + std::to_string(zc) + ")";
    // Zeros beside readings of 10 us and more (no timer's step is that
    // coarse) are bad readings, not a time below the timer's resolution:
    // that reason read wrong for a 14 ms kernel.
    auto shortest_reading = [](const std::vector<double>& v) {
      double m = 0;
      for (double x : v)
        if (x > 0 && (m == 0 || x < m)) m = x;
      return m;
    };
    constexpr double kCoarsestTimerStep = 10e-6;
    const double beside = std::max(zb ? shortest_reading(base) : 0.0, zc ? shortest_reading(cur) : 0.0);
    t.reason = beside >= kCoarsestTimerStep
                   ? counts + " beside readings of " + fmt_time(beside) +
                         " and more: bad readings, or operations of very different lengths in one run (a "
                         "profiled memset of any size), not one operation below the timer's resolution"
                   : counts + ": below the timer's resolution, too short to compare";
  }
  return true;
}

}  // namespace

int min_samples_for_interval(double confidence) {
  int n = 2;
  while (!moses_index(size_t(n), size_t(n), confidence)) ++n;
  return n;
}

double timer_tick(const std::vector<double>& samples) {
  constexpr double kMaxTick = 1.5e-6;  // a microsecond, and room for rounding
  std::vector<double> v(samples);
  std::sort(v.begin(), v.end());
  const double tick = resolution(v);
  if (!(tick > 0) || tick > kMaxTick) return 0;
  for (double x : v) {
    const double r = x / tick;
    if (std::fabs(r - std::round(r)) > 0.01) return 0;  // off the lattice: not a timer's steps
  }
  return tick;
}

Modality detect_modes(const std::vector<double>& samples, double min_fraction, double min_separation,
                      double min_gap, double timer_tick_s) {
  Modality out;
  const size_t n = samples.size();
  const size_t k_min = std::max<size_t>(3, size_t(std::ceil(min_fraction * double(n))));
  if (n < 2 * k_min) return out;
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) {
    if (!(samples[i] > 0)) throw_bad_input("timing samples must be positive");
    x[i] = std::log(samples[i]);
  }
  std::sort(x.begin(), x.end());
  const double center = x[n / 2];  // keeps the prefix sums well conditioned
  std::vector<double> s1(n + 1, 0), s2(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const double v = x[i] - center;
    s1[i + 1] = s1[i] + v;
    s2[i + 1] = s2[i] + v * v;
  }
  auto ss = [&](size_t b, size_t e) {  // sum of squared deviations over [b, e)
    const double cnt = double(e - b), sum = s1[e] - s1[b];
    return std::max(0.0, (s2[e] - s2[b]) - sum * sum / cnt);
  };
  size_t best = 0;
  double best_ss = std::numeric_limits<double>::infinity();
  for (size_t i = k_min; i + k_min <= n; ++i) {
    const double w = ss(0, i) + ss(i, n);
    if (w < best_ss) {
      best_ss = w;
      best = i;
    }
  }
  // Separation from medians and median absolute deviations, so that an
  // outlier in one mode does not hide the gap between the modes.
  auto mad = [&](size_t b, size_t e) {
    const double med = sorted_median(x, b, e);
    std::vector<double> dev;
    for (size_t i = b; i < e; ++i) dev.push_back(std::fabs(x[i] - med));
    std::sort(dev.begin(), dev.end());
    return 1.4826 * sorted_median(dev, 0, dev.size());
  };
  const double med1 = sorted_median(x, 0, best), med2 = sorted_median(x, best, n);
  const double mad1 = mad(0, best), mad2 = mad(best, n);
  // A mode whose samples all read the same timer tick has a MAD of 0, which
  // would make any two neighbouring ticks "infinitely" separated: no spread
  // is taken to be smaller than the resolution. With only two distinct values
  // the resolution is the gap between the modes itself: a gap under
  // 2 x min_gap counts as ticks, and so does one timer tick when the kernel
  // is 8 ticks or more (608 and 640 ns on 32 ns ticks: 5% apart, but all a
  // 20-tick kernel can read); a larger gap (30 and 40 us; 960 and 1280 ns on
  // 32 ns ticks) is two modes.
  double tick = resolution(x);
  const bool two_values = tick > 0 && x.back() - x.front() == x[best] - x[best - 1];
  const double lo = std::exp(x.front()), gap_s = std::exp(x.back()) - lo;
  const bool one_tick =
      timer_tick_s > 0 && std::fabs(gap_s - timer_tick_s) <= 0.01 * timer_tick_s && lo >= 8 * timer_tick_s;
  if (two_values && std::exp(tick) - 1 >= 2 * min_gap && !one_tick) tick = 0;
  const double pooled = std::max(std::sqrt((mad1 * mad1 + mad2 * mad2) / 2), tick);
  const double sep = pooled > 0 ? (med2 - med1) / pooled : std::numeric_limits<double>::infinity();
  out.fast_mode = std::exp(med1);
  out.slow_mode = std::exp(med2);
  out.minor_fraction = double(std::min(best, n - best)) / double(n);
  out.slow_fraction = double(n - best) / double(n);
  out.separation = sep;
  // The split only bounds the groups' sizes: a few outliers 40% slow plus the
  // fast mode's slowest samples make a "group" of k_min whose median is an
  // outlier and whose MAD ignores the rest. Each mode must hold k_min samples
  // nearer its own median than the other's.
  const double mid = (med1 + med2) / 2;
  const size_t fast_near = size_t(std::upper_bound(x.begin(), x.end(), mid) - x.begin());
  const bool both_held = fast_near >= k_min && n - fast_near >= k_min;
  // Between two modes the samples thin out; a split inside one hump of noise
  // has the hump's densest part between its halves' medians. At most 1 in
  // kMiddleShare samples may lie in the middle third between the medians.
  constexpr std::ptrdiff_t kMiddleShare = 15;
  const double third = (med2 - med1) / 3;
  const std::ptrdiff_t between = std::lower_bound(x.begin(), x.end(), med2 - third) -
                                 std::upper_bound(x.begin(), x.end(), med1 + third);  // < 0 when med1 == med2
  const bool thin_between = kMiddleShare * std::max<std::ptrdiff_t>(between, 0) <= std::ptrdiff_t(n);
  out.bimodal = both_held && thin_between && sep >= min_separation && out.slow_mode / out.fast_mode - 1 >= min_gap;
  return out;
}

namespace {

// The Hodges-Lehmann estimate of current/baseline and its Moses intervals at
// both confidences; false (with the reason) when the samples are too few.
bool estimate_ratio(TimingComparison& t, const std::vector<double>& base, const std::vector<double>& cur,
                    const GateOptions& opt) {
  // All pairwise log-ratios current/baseline; their median is the
  // Hodges-Lehmann estimate and their order statistics the Moses intervals.
  // Thousands of samples (a microsecond kernel timed for 0.1 s) are thinned
  // to evenly spaced order statistics, keeping the n*m pairs affordable.
  const std::vector<double> tb = spread_of(base, kMaxPairedSamples), tc = spread_of(cur, kMaxPairedSamples);
  std::vector<double> lb(tb.size()), diffs;
  for (size_t j = 0; j < tb.size(); ++j) lb[j] = std::log(tb[j]);
  diffs.reserve(tb.size() * tc.size());
  for (double c : tc) {
    if (!(c > 0)) throw_bad_input("timing samples must be positive");
    const double lc = std::log(c);
    for (double l : lb) diffs.push_back(lc - l);
  }
  std::sort(diffs.begin(), diffs.end());
  const size_t N = diffs.size();
  t.ratio = std::exp(sorted_median(diffs, 0, N));
  const auto c99 = moses_index(tb.size(), tc.size(), opt.confidence);
  const auto c90 = moses_index(tb.size(), tc.size(), opt.equivalence_confidence);
  if (!c99 || !c90) {
    t.reason = "too few samples for the confidence interval";
    return false;
  }
  t.ci_low = std::exp(diffs[*c99]);
  t.ci_high = std::exp(diffs[N - 1 - *c99]);
  t.eq_low = std::exp(diffs[*c90]);
  t.eq_high = std::exp(diffs[N - 1 - *c90]);
  return true;
}

// The first verdict, from the estimate and its intervals alone; judge_modes or
// judge_tails then revise it.
void call_verdict(TimingComparison& t, const GateOptions& opt) {
  const double band = 1 + opt.threshold;
  const std::string thr = fmt_percent_given(opt.threshold);
  // What a slower or faster call established: the estimate is past the
  // threshold and the interval excludes no change. The interval may still
  // reach below the threshold: the true change is not known to exceed it.
  const std::string established = "; " + fmt_percent_given(opt.confidence) + " interval " +
                                  fmt_change(t.ci_low) + ".." + fmt_change(t.ci_high) + " excludes no change";
  if (t.ci_low > 1 && t.ratio >= band) {
    t.verdict = Verdict::slower;
    t.reason = "estimate " + fmt_change(t.ratio) + " >= " + fmt_change(band) + " (the " + thr + " threshold)" +
               established;
  } else if (t.ci_high < 1 && t.ratio <= 1 / band) {
    t.verdict = Verdict::faster;
    t.reason = "estimate " + fmt_change(t.ratio) + " <= " + fmt_change(1 / band) + " (the " + thr +
               " threshold)" + established;
  } else if (t.eq_low > 1 / band && t.eq_high < band) {
    t.verdict = Verdict::unchanged;
    // The interval it was decided on, which is narrower than the one shown
    // beside it (a 99% interval reaching past the threshold read as a contradiction).
    t.reason = "the " + fmt_percent_given(opt.equivalence_confidence) + " interval " + fmt_change(t.eq_low) + ".." +
               fmt_change(t.eq_high) + " lies within the " + thr + " threshold";
  } else if (const bool up = t.ci_low < band && t.ci_high >= band,
                        down = t.ci_low <= 1 / band && t.ci_high > 1 / band;
             t.ci_high / t.ci_low < band && up != down) {
    // Narrower than the threshold and still undecided: it straddles one edge.
    // More samples narrow it, but a change of about the threshold is the cause.
    t.verdict = Verdict::inconclusive;
    t.reason = "a change of about the threshold: the estimate " + fmt_change(t.ratio) + " and its interval " +
               fmt_change(t.ci_low) + ".." + fmt_change(t.ci_high) + " straddle " + fmt_change(up ? band : 1 / band) +
               "; more samples may settle which side";
  } else {
    t.verdict = Verdict::inconclusive;
    t.reason = "too noisy to call: the interval " + fmt_change(t.ci_low) + ".." + fmt_change(t.ci_high) +
               " reaches past the " + thr + " threshold; rerun with more samples";
  }
}

// Each run's fast and slow mode; a run with one mode has its median for both.
struct ModeEnds {
  double base_fast, base_slow, cur_fast, cur_slow;
};
ModeEnds mode_ends(const TimingComparison& t) {
  return {t.base_modes.bimodal ? t.base_modes.fast_mode : t.base_median,
          t.base_modes.bimodal ? t.base_modes.slow_mode : t.base_median,
          t.cur_modes.bimodal ? t.cur_modes.fast_mode : t.cur_median,
          t.cur_modes.bimodal ? t.cur_modes.slow_mode : t.cur_median};
}

// The slow mode's share may differ this much between runs that show the same
// two runner states.
constexpr double kShareTolerance = 0.25;

// "slower" or "faster" where every mode moved past the threshold: the current
// run's fast mode slower than the baseline's slow one by more (or the
// reverse). And the tails moved too, as a one-mode call needs: two throttle
// levels fold the unthrottled samples and the first level into one "fast
// mode" that moved, while a quarter of the run did not.
bool every_mode_moved(const TimingComparison& t, const ModeEnds& e, double band, double half) {
  if (t.verdict == Verdict::slower)
    return e.cur_fast >= e.base_slow * band && t.p10_ratio >= half && t.p90_ratio >= half;
  if (t.verdict == Verdict::faster)
    return e.cur_slow * band <= e.base_fast && t.p10_ratio <= 1 / half && t.p90_ratio <= 1 / half;
  return false;
}

// Two states in both runs, each moved past the threshold the same way, mode
// against mode (and the tails with them), the mix not moved far the other
// way: the kernel changed in both states. Modes a few percent apart never let
// one run's fast mode clear the other's slow one, so a real 10% slowdown was
// only ever inconclusive.
bool each_state_moved(const TimingComparison& t, const ModeEnds& e, double band, double half) {
  if (!t.base_modes.bimodal || !t.cur_modes.bimodal) return false;
  const double share_shift = t.cur_modes.slow_fraction - t.base_modes.slow_fraction;
  if (t.verdict == Verdict::slower)
    return share_shift >= -kShareTolerance && e.cur_fast >= e.base_fast * band &&
           e.cur_slow >= e.base_slow * band && t.p10_ratio >= half && t.p90_ratio >= half;
  if (t.verdict == Verdict::faster)
    return share_shift <= kShareTolerance && e.cur_fast * band <= e.base_fast &&
           e.cur_slow * band <= e.base_slow && t.p10_ratio <= 1 / half && t.p90_ratio <= 1 / half;
  return false;
}

// "unchanged" where no mode lies past the threshold from any mode of the
// other run (noise split in two, modes a few percent apart, is still no change).
bool every_mode_within(const TimingComparison& t, const ModeEnds& e, double band) {
  return t.verdict == Verdict::unchanged && e.cur_slow < e.base_fast * band &&
         e.base_slow < e.cur_fast * band;
}

// Both bimodal, the same two modes in about the same shares: the runner's two
// states, seen in both runs (a run compared with a copy of itself was
// inconclusive). Mode against mode, on top of the interval's "unchanged"; and
// the mix too: shares that cross a half move the median from one mode to the
// other, a slow mode far off moves the mean, and a third state (modes matched
// across states) moves p10 and p90, while the pairs' interval still reads no change.
bool same_states(const TimingComparison& t, const ModeEnds& e, const std::vector<double>& base,
                 const std::vector<double>& cur, double band) {
  auto within = [band](double a, double b) { return a < b * band && b < a * band; };
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return sum / double(v.size());
  };
  return t.verdict == Verdict::unchanged && t.base_modes.bimodal && t.cur_modes.bimodal &&
         std::fabs(t.cur_modes.slow_fraction - t.base_modes.slow_fraction) <= kShareTolerance &&
         within(e.cur_fast, e.base_fast) && within(e.cur_slow, e.base_slow) &&
         within(t.cur_median, t.base_median) && within(mean(cur), mean(base)) && within(t.p10_ratio, 1) &&
         within(t.p90_ratio, 1);
}

// "; both runs' timings are bimodal (slow modes B% and C% of the samples), " + `then`.
std::string both_bimodal_remark(const TimingComparison& t, const char* then) {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "; both runs' timings are bimodal (slow modes %.0f%% and %.0f%% of the samples), %s",
                t.base_modes.slow_fraction * 100, t.cur_modes.slow_fraction * 100, then);
  return buf;
}

// Either run bimodal (a throttling runner, contention): the medians and the
// interval mean little, and the verdict stands only where every mode agrees
// with it; else it is inconclusive, naming the modes.
void judge_modes(TimingComparison& t, const std::vector<double>& base, const std::vector<double>& cur,
                 const GateOptions& opt) {
  const double band = 1 + opt.threshold, half = 1 + opt.threshold / 2;
  const ModeEnds e = mode_ends(t);
  const bool both_bimodal = t.base_modes.bimodal && t.cur_modes.bimodal;
  const Modality& m = t.cur_modes.bimodal ? t.cur_modes : t.base_modes;
  if (every_mode_moved(t, e, band, half)) {
    t.reason += "; timings are bimodal, but every mode moved";
  } else if (opt.pair_states && each_state_moved(t, e, band, half)) {
    t.reason += both_bimodal_remark(t, "and each mode moved past it from the other run's");
  } else if (same_states(t, e, base, cur, band)) {
    t.remark = true;
    t.reason += both_bimodal_remark(t, "but each mode is within it of the other run's");
  } else if (every_mode_within(t, e, band)) {
    t.remark = true;
    char buf[160];
    std::snprintf(buf, sizeof buf, "; %s timings are bimodal (two modes %.1f%% apart), but every mode is within it",
                  t.cur_modes.bimodal ? "current" : "baseline", (m.slow_mode / m.fast_mode - 1) * 100);
    t.reason += buf;
  } else {
    const char* which = both_bimodal ? "both runs'" : t.cur_modes.bimodal ? "current" : "baseline";
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%s timings are bimodal (%stwo modes %.0f%% apart, the smaller holding %.0f%% "
                  "of the samples): a throttling or shared runner? rerun with locked clocks",
                  which, both_bimodal ? "the current run's " : "", (m.slow_mode / m.fast_mode - 1) * 100,
                  m.minor_fraction * 100);
    t.verdict = Verdict::inconclusive;
    t.reason = buf;
  }
}

// One mode in each run: a moved tail is remarked on, and a change that moved
// one tail only is no change of the kernel.
void judge_tails(TimingComparison& t, const GateOptions& opt) {
  const double band = 1 + opt.threshold, half = 1 + opt.threshold / 2;
  if (t.verdict == Verdict::unchanged && (t.p90_ratio >= band || t.p90_ratio <= 1 / band)) {
    // The body did not move, a tail did: no regression of the kernel, but
    // worth seeing (throttling or contention in a share of the repetitions).
    t.reason += "; but p90 moved " + fmt_change(t.p90_ratio) + ": a tail of the current run is " +
                (t.p90_ratio > 1 ? "slower" : "faster");
    t.remark = true;
  } else if ((t.verdict == Verdict::slower && (t.p10_ratio < half || t.p90_ratio < half)) ||
             (t.verdict == Verdict::faster && (t.p10_ratio > 1 / half || t.p90_ratio > 1 / half))) {
    // A real change moves the whole distribution; throttling in a share of
    // the repetitions moves one tail only.
    t.verdict = Verdict::inconclusive;
    t.reason = "only part of the distribution moved (p10 " + fmt_change(t.p10_ratio) + ", p90 " +
               fmt_change(t.p90_ratio) + "): a throttling or shared runner? rerun with locked clocks";
  }
}

}  // namespace

TimingComparison compare_timings(const std::vector<double>& base, const std::vector<double>& cur,
                                 const GateOptions& opt, double cur_scale) {
  TimingComparison t;
  t.n_base = int(base.size());
  t.n_cur = int(cur.size());
  if (!base.empty()) t.base_median = median(base);
  if (!cur.empty()) t.cur_median = median(cur);
  if (t.n_base < opt.min_samples || t.n_cur < opt.min_samples) {
    t.reason = "too few samples (baseline " + std::to_string(t.n_base) + ", current " +
               std::to_string(t.n_cur) + "; need " + std::to_string(opt.min_samples) +
               ", recommended " + std::to_string(kRecommendedSamples) + ")";
    return t;
  }
  if (judged_zero_readings(t, base, cur)) return t;
  const double gap = opt.threshold / 2;
  if (!(cur_scale > 0) || !std::isfinite(cur_scale)) throw_bad_input("the current run's time scale must be positive");
  // The timer's step, from the samples as timed: scaled ones lie off its
  // lattice, and two neighbouring ticks would read as two modes.
  std::vector<double> both(base);
  for (double c : cur) both.push_back(c / cur_scale);
  const double tick = timer_tick(both);
  t.base_modes = detect_modes(base, opt.bimodal_min_fraction, opt.bimodal_min_separation, gap, tick);
  t.cur_modes = detect_modes(cur, opt.bimodal_min_fraction, opt.bimodal_min_separation, gap, tick * cur_scale);

  if (!estimate_ratio(t, base, cur, opt)) return t;
  call_verdict(t, opt);
  t.p10_ratio = tail_percentile(cur, 0.1) / tail_percentile(base, 0.1);
  t.p90_ratio = tail_percentile(cur, 0.9) / tail_percentile(base, 0.9);
  if (t.base_modes.bimodal || t.cur_modes.bimodal) judge_modes(t, base, cur, opt);
  else judge_tails(t, opt);
  return t;
}

}  // namespace flopscope
