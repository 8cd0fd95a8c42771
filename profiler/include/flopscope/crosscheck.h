#pragma once
/// Cross-checks flopscope's counters against other counts of the same work
/// (docs/crosscheck.md). Host-only: both sides are files.
/// - Nsight Compute's: the raw metric values of a `flopscope profile` of a
///   command, set beside `ncu --metrics <the same list> --csv` of the same
///   command, kernel by kernel.
/// - A framework's model FLOPs per NVTX range (e.g. PyTorch's FlopCounterMode):
///   the hardware FLOPs of the launches in each range, by pipe, set beside them.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/results.h"
#include "flopscope/views.h"

namespace flopscope {

/// One profiled kernel launch of an ncu CSV export.
struct NcuLaunch {
  int64_t id = 0;       ///< ncu's "ID": the launch's index among its process's profiled ones
  std::string process;  ///< ncu's "Process ID", as printed; empty when the export has none
  std::string kernel;   ///< "Kernel Name" as printed (function, demangled or mangled)
  std::map<std::string, double> metrics;  ///< metric name -> value in CUPTI's units
};

/// Values of one metric that were left out, and why (the first reason seen).
struct NcuSkipped {
  std::string reason;
  int64_t values = 0;
};

struct NcuCsv {
  std::vector<NcuLaunch> launches;              ///< in the order of their first row in the file
  std::map<std::string, NcuSkipped> skipped;    ///< by metric: a unit not understood, text values
};

/// Parses ncu's CSV: the details page (`--csv`, one row per metric) or the raw
/// page (`--csv --page raw`, one row per launch, a units row under the header).
/// Lines before the header, and after it the lines that do not start with a
/// quote (the application's own output, "==PROF==" lines), are skipped. Scaled
/// units ("Mbyte", "usecond", "Gcycle/second"...) and digit grouping
/// ("1,048,576") are undone, so values compare with CUPTI's: bytes, counts,
/// nanoseconds for durations, per second for rates. A value of "n/a" is left
/// out; a unit not understood and a value that is not a finite number are left
/// out and recorded in `skipped`. A launch is its (Process ID, ID): IDs restart
/// in each process. A later header row (each process may write its own, with
/// the metrics in another order) replaces the earlier one. Throws bad_input
/// (naming `origin`, and the line where there is one) when no header is found,
/// when a line that starts with a quote is not a whole row (broken quoting,
/// another width than the header's: a truncated export) or has an ID that is
/// not a whole number (save the raw page's units row), when a header names a
/// metric twice, on a negative value of a counts or bytes metric, and when a
/// launch names another kernel than before or has a second, different value of
/// a metric (two exports in one file). `keep`, when given, names the only
/// metrics stored (and checked): those flopscope has to compare. An export's
/// hundreds of other columns, kept for every launch, once took 41 times the
/// file's size in memory.
NcuCsv parse_ncu_csv(std::string_view text, const std::string& origin,
                     const std::set<std::string>* keep = nullptr);
/// Reads and parses a file (at most 256 MiB).
NcuCsv read_ncu_csv(const std::string& path, const std::set<std::string>* keep = nullptr);
/// Every metric some application kernel of `doc` has raw counters of: what
/// crosscheck_ncu compares, and so what parse_ncu_csv needs to keep.
std::set<std::string> counted_metrics(const ResultsDoc& doc);
/// Whether a relative difference is within a tolerance, with a margin of
/// rounding: a difference of exactly the tolerance (106 against 100 at 6%)
/// computed as 6.000000000000005% is within it.
inline bool within_tolerance(double rel_diff, double tolerance) { return rel_diff <= tolerance * (1 + 1e-9); }

/// Multiplier from a value printed in `unit` to CUPTI's unit for it; 0 when the
/// unit is not understood. "byte" 1, "Kbyte" 1e3, "usecond" 1e3 (to ns),
/// "cycle/usecond" 1e6 (to per second), "%" 1. Known base words: byte, bit,
/// inst, cycle, sector, request, warp, thread, block, register, hz, op(s),
/// pass, wavefront, SM, cluster, with a K/M/G/T/P prefix; anything else gives 0.
double ncu_unit_scale(std::string_view unit);

/// How a metric is compared. counts: instruction and tensor-op counts and
/// per-cycle peaks, deterministic for a kernel and its inputs' shapes. bytes:
/// traffic at a memory level, which cache state moves a little. info: times
/// and clocks, shown, never gated (ncu's replay and flopscope's differ).
enum class MetricClass { counts, bytes, info };
MetricClass classify_metric(std::string_view metric);
std::string_view to_string(MetricClass c);

struct CrosscheckTolerance {
  double counts = 0.001;  ///< relative, against ncu's value
  double bytes = 0.05;
};

struct CrosscheckRow {
  std::string kernel;  ///< the matching key (a demangled name, or a function name)
  std::string metric;
  MetricClass cls = MetricClass::counts;
  double flopscope = 0, ncu = 0;  ///< mean per launch
  double rel_diff = 0;            ///< |flopscope - ncu| / |ncu|; infinity when ncu is 0 and flopscope is not
  bool ok = true;                 ///< within tolerance (always true for info)
};

struct CrosscheckKernel {
  std::string key;
  int64_t flopscope_launches = 0, ncu_launches = 0;
  size_t first_row = 0, row_count = 0;  ///< its rows: rows[first_row, first_row + row_count)
};

struct CrosscheckReport {
  std::vector<CrosscheckKernel> kernels;   ///< matched, in the order of their first row in ncu's file
  std::vector<CrosscheckRow> rows;         ///< per matched kernel (in kernels' order), per metric in both
  std::vector<std::string> only_ncu;       ///< ncu kernels with no flopscope counters
  std::vector<std::string> only_flopscope; ///< flopscope kernels ncu did not profile
  std::vector<std::string> notes;
  CrosscheckTolerance tolerance;
  /// Some gated metric was compared, and every gated one is within tolerance.
  bool passed() const;
};

/// Sets `ncu` beside the application runs of `doc` (a `flopscope profile`
/// results file, or its raw counter file) that carry raw metrics. Each name of
/// ncu's picks its matching: a mangled one by demangled name (`--print-kernel-base
/// mangled`: one demangler for both sides), any other by function name
/// (kernel_short_name: ncu's own demangler writes signatures differently). Each
/// side is the mean per launch over all its launches of the kernel, so both
/// runs must launch each kernel with the same mix of shapes. ncu values left
/// out (NcuCsv::skipped), and the metrics flopscope has of which ncu has no
/// value at all, are noted. Throws
/// bad_input when `doc` has no such runs (a `bench` results file, a timing profile).
CrosscheckReport crosscheck_ncu(const ResultsDoc& doc, const NcuCsv& ncu, const CrosscheckTolerance& tol);

/// The terminal table: one line per kernel and metric, then the kernels only
/// one side has, the notes, then PASS/FAIL (with the count of kernels only one
/// side has). `width`: the terminal's columns (a table's cells are cut to fit).
std::string render_crosscheck_text(const CrosscheckReport& r, size_t width = 120);

// ---- model FLOPs per NVTX range -------------------------------------------------

inline constexpr const char* kModelFlopsSchema = "flopscope.model-flops/1";
/// Each range is looked up in every profile line: a bound on the work.
inline constexpr size_t kMaxModelRanges = 4096;

/// What a framework counted inside one NVTX range (docs/crosscheck.md).
struct ModelRange {
  std::string nvtx;                      ///< path, outer/inner, as flopscope profile writes it
  double flops = 0;
  std::map<std::string, double> by_op;   ///< optional breakdown, e.g. "aten.mm"
};

struct ModelFlops {
  std::string source;  ///< who counted, e.g. "torch.utils.flop_counter.FlopCounterMode (torch 2.5.1)"
  std::vector<ModelRange> ranges;
};

/// Parses a flopscope.model-flops/1 document: {"schema", "source", "ranges":
/// [{"nvtx", "flops", "by_op"?}]}, each range once. Throws bad_input naming
/// `origin` and the path.
ModelFlops parse_model_flops(const std::string& text, const std::string& origin);
ModelFlops read_model_flops(const std::string& path);
/// The document parse_model_flops reads (round trip).
std::string serialize_model_flops(const ModelFlops& m);

/// One kernel's share of a range: a profile line (kernel name x NVTX path).
struct RangeKernel {
  std::string kernel;  ///< short name (profile's variant)
  RangeRow totals;     ///< its launches and FLOPs; totals.path is its NVTX path
};

struct RangeComparison {
  ModelRange model;
  RangeRow hw;                    ///< the range's kernels, summed (flopscope/views.h)
  std::vector<RangeKernel> top;   ///< the profile lines with the most hardware FLOPs, at most 8
  size_t more_kernels = 0;        ///< the range's other profile lines with counters, left out of `top`
};

struct ModelCrosscheck {
  std::string source;
  std::vector<RangeComparison> ranges;  ///< in the model file's order
  std::vector<std::string> notes;
  /// Some range holds a launch with hardware FLOPs (else crosscheck exits 1).
  bool compared() const;
  /// One line per range whose hardware FLOPs (tensor plus CUDA-core, the
  /// table's hw/model) differ from its model FLOPs by more than `tolerance`
  /// (a fraction): `crosscheck --flops-tolerance`. A range without model FLOPs
  /// or without a counted launch is not judged.
  std::vector<std::string> outside(double tolerance) const;
};

/// For each range of `model`, the application kernels of `doc` launched in the
/// range or its subranges ("step/forward" holds "step/forward/attn"), summed by
/// range_totals. Notes a range with no launch, or none with counters, and a
/// range whose hardware FLOPs differ from the model's by more than 5%, with the
/// likely reasons. Throws bad_input when `doc` holds no application run with
/// hardware FLOPs.
ModelCrosscheck crosscheck_model_flops(const ResultsDoc& doc, const ModelFlops& model);
std::string render_model_crosscheck_text(const ModelCrosscheck& r, size_t width = 140);

}  // namespace flopscope
