#pragma once
/// The regression gate: `flopscope compare BASELINE CURRENT` (docs/ci.md).
///
/// Two kinds of evidence, judged separately:
///   - work: model FLOPs, hardware FLOPs and bytes are deterministic; they are
///     compared within a stated relative tolerance, and a change is reported
///     even when the time did not move;
///   - time: the samples of both runs are compared with a noise-aware
///     statistic (Hodges-Lehmann ratio with a Mann-Whitney/Moses confidence
///     interval) plus a minimum effect size, a bimodality check and the SM
///     clocks both files recorded.
/// Host-only; errors are flopscope::Error.
#include <optional>
#include <string>
#include <vector>

#include "flopscope/results.h"

namespace flopscope {

enum class Verdict { unchanged, faster, slower, inconclusive };
const char* to_string(Verdict v);

/// What the SM clocks recorded in both files are used for.
enum class ClockPolicy {
  flag,       ///< a verdict a clock change could explain becomes inconclusive
  normalize,  ///< scale current times to the baseline clock (compute-bound kernels)
  ignore,     ///< do not look at clocks
};
const char* to_string(ClockPolicy p);
std::optional<ClockPolicy> parse_clock_policy(const std::string& s);

/// Which work changes fail the gate. Every change is reported either way.
enum class WorkGate {
  increase,  ///< more hardware FLOPs or DRAM bytes than the baseline
  any,       ///< any hardware FLOP or DRAM byte change
  none,      ///< report only
};
const char* to_string(WorkGate g);
std::optional<WorkGate> parse_work_gate(const std::string& s);

/// The samples the gate is calibrated for (docs/ci.md): with 30 samples per run
/// and noise up to 5% CV, >= 95% of 10% slowdowns are called "slower".
inline constexpr int kRecommendedSamples = 30;
/// Larger samples are thinned to this many evenly spaced order statistics
/// before the pairwise statistic (whose cost grows with the product of the sizes).
inline constexpr size_t kMaxPairedSamples = 250;
/// The highest confidence an interval may ask for. Much closer to 1, 0.5 + c/2
/// rounds to 1 in double (99.99999999999999%) and the normal quantile is not
/// finite; no gate needs more than this.
inline constexpr double kMaxConfidence = 0.999999;

struct GateOptions {
  double threshold = 0.05;        ///< minimum effect size, relative (0.05 = 5%)
  double confidence = 0.99;       ///< two-sided interval that must exclude 1 for slower/faster
  double equivalence_confidence = 0.90;  ///< interval that must fit the band for unchanged (TOST)
  int min_samples = 10;           ///< fewer samples on either side: inconclusive
  double bimodal_min_fraction = 0.15;  ///< smallest share of samples that makes a mode
  double bimodal_min_separation = 5.0; ///< mode medians apart, in pooled robust SDs
  double flops_tolerance = 0.001;  ///< relative; hardware and model FLOPs
  double bytes_tolerance = 0.05;   ///< relative; bytes (DRAM traffic varies with the cache: docs/ci.md)
  ClockPolicy clock = ClockPolicy::flag;
  double clock_tolerance = 0.02;   ///< relative SM clock difference that is noticed
  WorkGate work_gate = WorkGate::increase;
  /// Both runs bimodal: slower or faster may also stand state for state (each
  /// run's fast mode past the other's fast mode, slow past slow). A hotter
  /// runner with three or more states reads the same, so compare allows it
  /// only where both runs' SM clocks are recorded and looked at (docs/ci.md).
  bool pair_states = true;
};
/// Throws bad_input naming the option when a value is out of range, and when
/// --min-samples is below min_samples_for_interval(): such a sample could
/// never get a verdict.
void validate(const GateOptions& o);

/// The fewest samples per side for which a two-sided Moses interval at this
/// confidence exists (6 at 99%: with 5 each it never does).
int min_samples_for_interval(double confidence);
/// The smallest --min-samples with which a verdict can be reached: both of
/// `o`'s intervals exist, and never fewer than 5. `o`'s confidences must lie
/// in (0.5, 1).
int least_min_samples(const GateOptions& o);

/// Two modes found in a sample (e.g. a runner that throttles some repetitions).
struct Modality {
  bool bimodal = false;
  double minor_fraction = 0;  ///< share of samples in the smaller mode
  double slow_fraction = 0;   ///< share of samples in the slower mode
  double fast_mode = 0;       ///< median of the faster mode, seconds
  double slow_mode = 0;       ///< median of the slower mode, seconds
  double separation = 0;      ///< median gap / pooled MAD-based SD (log times)
};
/// Splits the sorted log-times in two (the split with least within-group
/// variance) and calls the sample bimodal when both groups hold at least
/// `min_fraction` of it (and 3 samples) nearer their own median than the
/// other's, at most 1 in 15 samples lies in the middle third between the
/// medians, the medians are `min_separation`
/// pooled robust standard deviations (1.4826 MAD) apart, and differ by at
/// least `min_gap` (relative). The pooled deviation is never taken below the
/// sample's resolution (the smallest gap between distinct log-times), so two
/// neighbouring ticks of a coarse timer are not two modes. A sample of only
/// two values is taken for two ticks when they are under 2 x `min_gap` apart,
/// or one `timer_tick_s` apart (timer_tick; 0: none known) with the faster at
/// least 8 ticks long; else for two modes.
Modality detect_modes(const std::vector<double>& samples, double min_fraction,
                      double min_separation, double min_gap, double timer_tick_s = 0);

/// The step of the timer that read `samples` (seconds): the smallest gap
/// between two distinct readings, when it is at most 1.5 us (a timer's
/// resolution: cudaEventElapsedTime's is "around 0.5 us", an H200's events
/// read 32 ns steps) and every reading is a whole number of it; else 0. Give
/// it both runs' samples: one run's two values alone cannot tell a tick from
/// two modes.
double timer_tick(const std::vector<double>& samples);

struct TimingComparison {
  Verdict verdict = Verdict::inconclusive;
  int n_base = 0, n_cur = 0;
  double base_median = 0, cur_median = 0;  ///< seconds; current after clock normalization
  /// Hodges-Lehmann estimate of current/baseline time, its `confidence`
  /// interval and its `equivalence_confidence` interval; all 0 when there were
  /// too few samples to compute them.
  double ratio = 0, ci_low = 0, ci_high = 0, eq_low = 0, eq_high = 0;
  /// current/baseline 10th and 90th percentiles, each run without its fastest and slowest sample
  double p10_ratio = 0, p90_ratio = 0;
  Modality base_modes, cur_modes;
  std::string reason;  ///< why the verdict is what it is, one phrase
  /// The reason says more than the verdict (a tail moved; bimodal timings
  /// within the threshold): shown even beside "unchanged".
  bool remark = false;
};

/// The timing statistic alone. `base` and `cur` are per-repetition seconds.
///   slower:    the interval lies above 1 and the estimate is >= 1 + threshold;
///   faster:    the interval lies below 1 and the estimate is <= 1/(1 + threshold);
///   unchanged: the equivalence interval lies inside (1/(1 + threshold), 1 + threshold);
///   otherwise inconclusive (too noisy to call). A slower or faster verdict
///   also needs p10 and p90 to have moved by half the threshold, the same way
///   (throttling moves one tail only). With two modes in either sample,
///   slower or faster stands only if every mode moved past the threshold (or,
///   both runs bimodal and `opt.pair_states`, each mode past its counterpart),
///   and unchanged only if every mode lies within the threshold of the other
///   run's or both runs show the same two modes; otherwise the verdict is
///   inconclusive.
/// `cur_scale`: the factor `cur` was multiplied by (times scaled to the
/// baseline's clock); the timer's step is read from the samples as timed.
TimingComparison compare_timings(const std::vector<double>& base, const std::vector<double>& cur,
                                 const GateOptions& opt, double cur_scale = 1);

/// One deterministic quantity compared between the two runs.
struct WorkDelta {
  std::string quantity;  ///< "hw.flops_total", "hw.dram_bytes", "model.flops", ...
  double base = 0, cur = 0;
  double tolerance = 0;  ///< relative
  bool changed = false;  ///< beyond the tolerance
  bool gated = false;    ///< this change fails the gate (options.work_gate)
};

struct RunKey {
  std::string id;
  Shape shape;       ///< as the run recorded it
  std::string nvtx;  ///< part of the key when present (profiled applications)
  std::string label() const;  ///< run_key_text: "gemm.cublas.bf16 m=4096 n=4096 k=4096"
};

/// The key compare matches `r` by: its id, shape and distinguishing NVTX path.
RunKey run_key_of(const RunRecord& r);


struct RunComparison {
  RunKey key;
  TimingComparison timing;
  std::optional<double> base_clock_mhz, cur_clock_mhz;
  std::vector<WorkDelta> work;  ///< every quantity both runs have
  std::vector<std::string> notes;  ///< clocks, counters present on one side only, ...
  /// Gated quantities ("hw.dram_bytes") the baseline has and the current run
  /// lacks: the work gate could not check them (empty with WorkGate::none).
  std::vector<std::string> work_unchecked;
  bool validation_failed = false;  ///< the current run's results were wrong
  bool work_changed() const;
  bool work_regression() const;
  /// Slower, a gated work change (more work; less too under --work-gate any), or wrong results.
  bool regression() const {
    return timing.verdict == Verdict::slower || work_regression() || validation_failed;
  }
  /// No regression, but the gate could not judge: the timing is inconclusive,
  /// or gated work could not be checked.
  bool inconclusive() const {
    return !regression() && (timing.verdict == Verdict::inconclusive || !work_unchecked.empty());
  }
};

enum class Outcome { ok, regression, inconclusive };
const char* to_string(Outcome o);

struct CompareReport {
  std::string baseline_origin, current_origin;  ///< file names, for the reports
  std::string baseline_device, current_device;
  GateOptions options;
  std::vector<std::string> warnings;  ///< different GPUs, missing devices, ...
  std::vector<RunComparison> runs;    ///< in the current file's order
  std::vector<RunKey> only_in_baseline, only_in_current;
  /// regression: any run slower, with a gated work change, or failing validation;
  /// else inconclusive: any run inconclusive (timing, or gated work it could
  /// not check), or a baseline run missing from current; else ok.
  Outcome outcome() const;
  int count(Verdict v) const;
};

/// Matches runs by id, shape (order-insensitive) and NVTX path, and compares
/// each pair. Throws bad_input on duplicate keys within one file, on a file
/// without runs, or when no run matches at all.
CompareReport compare_results(const ResultsDoc& baseline, const ResultsDoc& current,
                              const GateOptions& opt, const std::string& baseline_origin,
                              const std::string& current_origin);

/// Inverse of the standard normal CDF (p in (0, 1)).
double normal_quantile(double p);

}  // namespace flopscope
