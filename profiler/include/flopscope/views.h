#pragma once
/// The analysis views a report is made of, as plain data: precision comparison,
/// model-versus-hardware reconciliation and the peak table. Every renderer
/// (terminal, Markdown, CSV, HTML) draws from these, so the numbers a test
/// checks are the numbers a reader sees. Host-only; inputs are ResultsDocs only.
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/results.h"

namespace flopscope {

// ---- Escaping, for every output format -----------------------------------------
/// Escapes & < > " ' for HTML and SVG/XML text and attribute values.
std::string html_escape(const std::string& s);
/// Control characters (ESC and friends) become '?', so that a kernel name cannot
/// move the cursor or recolor a terminal.
std::string terminal_text(const std::string& s);

/// How views name a run beside a shape column: its id, then its NVTX range
/// path in brackets when it has one (a profile holds one kernel once per
/// range): "flash.bf16 [step/forward]". `nvtx`: the run's distinguishing NVTX
/// path (distinguishing_nvtx), empty for bench's own range, which only repeats
/// the id and the shape.
std::string run_label(const std::string& id, const std::string& nvtx);
inline std::string run_label(const RunRecord& r) { return run_label(r.id, distinguishing_nvtx(r)); }
/// The run with its shape, for views with no shape column and for messages:
/// run_key_label's "flash.bf16 b=1 h=8 n=512 d=64 [step/forward]", as the gate writes it.
std::string run_title(const RunRecord& r);

// ---- Which document is which -------------------------------------------------------
/// A short, unique label per document: "h200 @ 1a2b3c4", made unique with the
/// creation time and then an index when two documents would read the same.
std::vector<std::string> doc_labels(const std::vector<ResultsDoc>& docs);

// ---- Peaks ---------------------------------------------------------------------------
struct PeakRow {
  std::string key;  ///< precision key ("bf16_tensor") or "dram", "l2", "l1"
  bool is_bandwidth = false;  ///< value in bytes/s instead of FLOP/s
  std::optional<double> datasheet, measured;
};
/// Dense FLOP/s peaks in display order, then DRAM, L2 and L1 bandwidth; a row
/// appears when either table has the value.
std::vector<PeakRow> peak_rows(const ResultsDoc& doc);

/// Empty, or one line naming the runs whose MFU or HFU is above 100% of the
/// datasheet peak, or MFU above the measured one (no kernel beats its peak, so
/// the peak named is not the one it ran against, or its time or FLOP count is
/// wrong), and the memory-bound runs above the DRAM roof (their data came from
/// a cache, or their byte count is low). Reports show it as a warning rather
/// than print such figures silently.
std::string implausible_runs_warning(const ResultsDoc& doc);

/// The measured peak FLOP/s of the run's precision, when the document has one.
std::optional<double> measured_peak_flops(const RunRecord& run, const ResultsDoc& doc);
/// MFU against the measured peak of the run's precision, when the document
/// has measured peaks for it.
std::optional<double> mfu_measured(const RunRecord& run, const ResultsDoc& doc);

/// Sets `doc`'s measured peaks to those of `ceilings` (a `flopscope ceilings`
/// file), so that a benchmark or profile is read against ceilings measured
/// apart from it. Throws a bad-input Error when `ceilings` has no measured
/// peaks or was measured on another GPU model; `what` names the two files.
void adopt_measured_peaks(ResultsDoc& doc, const ResultsDoc& ceilings, const std::string& what);

// ---- Precision comparison ------------------------------------------------------------
struct PrecisionRow {
  size_t run = 0;  ///< index into doc.runs
  std::string dtype, precision, bound;
  double tflops = 0;  ///< achieved, model FLOPs / median time
  std::optional<double> mfu;
  /// Against the group's FP32 run (absent without one):
  std::optional<double> speedup;      ///< FP32 median time / this median time
  std::optional<double> peak_ratio;   ///< datasheet peak of this precision / FP32 peak
  std::optional<double> peak_ratio_measured;  ///< the same with measured peaks
  std::optional<double> realized;     ///< speedup / peak_ratio: share of the possible gain
  std::optional<double> bytes_ratio;  ///< FP32 model bytes / this model bytes
};
struct PrecisionGroup {
  std::string kernel;  ///< family.variant
  std::string shape;   ///< shape_string of the runs
  std::optional<size_t> baseline;  ///< index into rows of the FP32 run
  std::vector<PrecisionRow> rows;  ///< in precision display order
};
/// Runs of the same family, variant and shape in two or more precisions. Not
/// an application's (`flopscope profile`): its kernels have no model FLOPs, and
/// one short name there covers different kernels (reduce_kernel<float> and
/// reduce_kernel<half>, called in different places), not one kernel timed in
/// several precisions.
std::vector<PrecisionGroup> precision_comparison(const ResultsDoc& doc);

// ---- Reconciliation -------------------------------------------------------------------
struct PipeFlops {
  std::string key;  ///< precision key the counters filed the FLOPs under
  bool tensor = false;
  double flops = 0;
};
struct ReconRow {
  size_t run = 0;  ///< index into doc.runs
  double model_flops = 0, hw_flops = 0;
  std::optional<double> ratio;  ///< hardware / model (absent when the model counts 0)
  std::map<std::string, double> model_parts;
  std::vector<PipeFlops> hw_by_pipe;  ///< largest first
  double hw_tensor = 0, hw_cuda_core = 0;  ///< sums over hw_by_pipe
  std::optional<double> mfu, hfu;
  bool agree = false;  ///< within kReconTolerance, or both 0
  /// Plain-words reasons for a difference; "unexplained: ..." when the data
  /// names none. Empty when the two agree and nothing ran off-pipe.
  std::vector<std::string> reasons;
};
inline constexpr double kReconTolerance = 0.02;  ///< 2%: counter and rounding noise
/// One row per run with hardware-counted FLOPs and a model to set them beside
/// (model FLOPs, or bytes: a data-movement kernel); an application's kernel or a
/// raw counter file's run has none.
std::vector<ReconRow> reconciliation(const ResultsDoc& doc);

// ---- NVTX ranges (application profiles) -----------------------------------------------
/// A precision key counted on tensor cores ("bf16_tensor"); a key flopscope does
/// not know counts as tensor when it says "tensor".
bool is_tensor_key(const std::string& key);
/// Total GPU time of an application profile record: mean sample x launches
/// (exact when every launch's sample was kept).
double profile_total_s(const RunRecord& run);
/// An application profile's kernel line: family "app", not a copy or memset
/// ("[memcpy HtoD]", "[memset]").
bool is_app_kernel(const RunRecord& run);
/// True when NVTX path `path` is `range` or lies inside it: "a/b" is inside
/// "a"; "ab" is not.
bool nvtx_inside(const std::string& path, const std::string& range);

/// total += n for launch counts (each >= 0, as the results format requires),
/// held at INT64_MAX: a file may hold counts near it, and their sum must not wrap.
inline void add_launches(int64_t& total, int64_t n) {
  total = n > std::numeric_limits<int64_t>::max() - total ? std::numeric_limits<int64_t>::max() : total + n;
}

struct RangeRow {
  std::string path;  ///< "step0/forward"
  int depth = 0;     ///< 0 for a top-level range
  int64_t launches = 0;                ///< kernel launches inside it or its subranges
  int64_t launches_with_counters = 0;  ///< of which in profile lines with hardware FLOPs (a line's mean stands for all its launches)
  double gpu_time_s = 0;               ///< their kernel time (profile_total_s)
  std::map<std::string, double> hw_by_pipe;  ///< totals: per-launch mean x launches
  double hw_tensor = 0, hw_cuda_core = 0;
};
/// The application kernels (family "app"; copies and memsets left out) inside
/// `range`, summed.
RangeRow range_totals(const ResultsDoc& doc, const std::string& range);
/// One row per NVTX range of the application runs, every enclosing range
/// included, in tree order (a range, then its subranges, by name), down to
/// kMaxRangeDepth levels (a leak of unclosed ranges must not cost depth^2).
/// Empty when no run has an NVTX path.
std::vector<RangeRow> nvtx_ranges(const ResultsDoc& doc);
/// A profile of a long run can name thousands of ranges (one per step): the
/// report views show this many, in tree order; the results file has them all.
inline constexpr size_t kRangeRowsShown = 60;
inline constexpr size_t kMaxRangeDepth = 32;
/// The application runs whose NVTX path is more than kMaxRangeDepth levels
/// deep: nvtx_ranges() counts them in their enclosing ranges down to that
/// depth and lists no deeper range.
size_t runs_past_range_depth(const ResultsDoc& doc);
/// What a range view leaves out of `ranges` rows, as lines ending in '\n' ("" when
/// nothing): the rows past kRangeRowsShown, and `runs_too_deep` runs'
/// deeper ranges.
std::string ranges_left_out(size_t ranges, size_t runs_too_deep);
/// "(n counted)" after a range's launch count when only some have counters.
std::string range_launches_text(const RangeRow& r);
/// Adds one application run (launches, GPU time, hardware FLOPs by pipe) to `row`.
void add_run(RangeRow& row, const RunRecord& run);

// ---- Side by side ------------------------------------------------------------------------
struct SideBySideRow {
  std::string id;  ///< run id, matched across documents
  std::string shape;
  std::string nvtx;  ///< distinguishing NVTX path (distinguishing_nvtx), as run_key has it
  /// Per document (same order as the inputs): the index of the run, if present.
  std::vector<std::optional<size_t>> runs;
};
/// Every run present in any document, in order of first appearance. Runs are
/// matched by run_key (id, shape and NVTX path), as `compare` matches them: a
/// profile holds one kernel once per range, in an order that differs by file.
std::vector<SideBySideRow> side_by_side(const std::vector<ResultsDoc>& docs);
/// What a side-by-side cell shows of a run: its model TFLOP/s and MFU, or for
/// a run without a model that has counted FLOPs (an application's kernel),
/// the hardware-counted TFLOP/s and HFU, marked "hw" in the views.
struct SideFigures {
  std::optional<double> tflops, utilization;
  bool counted = false;  ///< the hardware's figures, not the model's
  /// The cells: "-" where absent, " hw" after a counted figure.
  std::string tflops_text(int decimals) const;
  std::string utilization_text() const;
};
SideFigures side_figures(const RunRecord* run);
/// The note under a side-by-side table when some cell shows counted figures.
inline constexpr const char* kSideCountedNote =
    "hw: hardware-counted TFLOP/s and HFU, for a run without a model (an application's kernel).";
/// The run's TFLOP/s from its model FLOPs; none for an application kernel
/// (`flopscope profile`), which has no model, so a table shows "-", not 0.
std::optional<double> model_tflops(const RunRecord& r);
/// The run's peak TFLOP/s (its MFU/HFU denominator); none where the GPU's
/// table has no peak for its precision (the file reads 0), shown as "-".
std::optional<double> shown_peak_tflops(const RunRecord& r);
/// The run's SM clock and board power where known: a file's 0 means not
/// known (results-format.md), shown as nothing, never as "0 MHz".
std::optional<double> known_sm_clock_mhz(const RunRecord& r);
std::optional<double> known_power_w(const RunRecord& r);
/// The arithmetic intensity a runs table shows: the hardware's when counted,
/// else the model's; none for an application kernel without counters.
std::optional<double> shown_intensity(const RunRecord& r);
/// A run's clock limits as the reports show them: "sw_power_cap;hw_thermal",
/// or "none" when NVML saw nothing hold the clocks down.
std::string clock_limits_text(const std::vector<std::string>& limits);
/// One plain line per run whose clocks NVML saw held down during its timed
/// runs: "<run title>: sw_power_cap, 224 W, 1755 MHz" (empty: none was).
std::vector<std::string> clock_limit_notes(const ResultsDoc& doc);

}  // namespace flopscope
