#pragma once
/// The results format, schema "flopscope.results/1" (docs/results-format.md).
/// Every command ends in a ResultsDoc, so report, compare and check work offline
/// on files from any machine.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flopscope/models.h"
#include "flopscope/peaks.h"
#include "flopscope/stats.h"

namespace flopscope {

inline constexpr const char* kResultsSchema = "flopscope.results/1";

/// Ordered problem dimensions, e.g. {{"m",4096},{"n",4096},{"k",4096}}.
/// Flags such as "causal" are 0 or 1.
using Shape = std::vector<std::pair<std::string, int64_t>>;
std::string shape_string(const Shape& s);  ///< "m=4096 n=4096 k=4096"
/// The NVTX range `flopscope bench` wraps each run in, its id and shape:
/// "gemm.cublas.bf16 m=4096 n=4096 k=4096" (`shape`: shape_string's).
inline std::string bench_nvtx_range(const std::string& id, const std::string& shape) { return id + " " + shape; }
std::optional<int64_t> shape_get(const Shape& s, const std::string& key);

/// Hardware-counted quantities. A field is absent when it was not collected.
struct HwCounters {
  std::optional<double> flops_total;
  std::map<std::string, double> flops_by_pipe;  ///< key: Precision::key(), e.g. "bf16_tensor"
  std::optional<double> dram_read_bytes, dram_write_bytes, l2_bytes, l1_bytes;
  std::optional<double> duration_s;   ///< gpu__time_duration of the profiled launch
  std::optional<double> sm_clock_hz;  ///< during the profiled launch
  std::map<std::string, double> metrics;  ///< raw metric values, by CUPTI name
  /// profile: how many of the run's launches had counters, hw being their
  /// per-launch mean (graph, captured and concurrent launches get none); a
  /// value left out as unreadable leaves that quantity's mean to the others.
  /// Absent: every launch, or one bench run.
  std::optional<int64_t> launches;

  std::optional<double> dram_bytes() const;  ///< read + write, when both exist
};

/// The fields of HwCounters that add up over launches: FLOPs, bytes, time.
using HwAmount = std::optional<double> HwCounters::*;
inline constexpr HwAmount kHwAmounts[] = {
    &HwCounters::flops_total, &HwCounters::dram_read_bytes, &HwCounters::dram_write_bytes,
    &HwCounters::l2_bytes,    &HwCounters::l1_bytes,        &HwCounters::duration_s};

/// Figures derived from time, model, hardware counters and the peak table.
struct Derived {
  double tflops_model = 0;
  std::optional<double> tflops_hw;
  std::optional<double> mfu, hfu;  ///< fractions; absent without a peak for the precision
  std::string peak_key;            ///< the MFU/HFU denominator's name
  double peak_tflops = 0;          ///< and its value (0: no peak for this precision)
  std::string peak_source;
  double ai_dram = 0;              ///< model FLOPs / model bytes
  std::optional<double> ai_dram_hw;  ///< hardware FLOPs / DRAM bytes
  std::string bound;  ///< "memory", "compute", or "unknown" without a peak; from ai_dram_hw when present
  double pct_of_roof = 0;          ///< achieved / attainable at that intensity, percent
};

struct Validation {
  /// The worst element may err this many times the tolerance; the whole
  /// output (rel_l2_err) only the tolerance.
  static constexpr double kMaxElementFactor = 4.0;
  double max_rel_err = 0;   ///< worst element: |out - ref| / max(|ref|, floor)
  double rel_l2_err = 0;    ///< ||out - ref|| / ||ref||
  double tolerance = 0;
  bool passed = false;
  /// The rule `passed` records: both errors finite and within their allowance.
  bool errors_within_tolerance() const {
    return rel_l2_err <= tolerance && max_rel_err <= kMaxElementFactor * tolerance;
  }
};

struct RunRecord {
  std::string id;         ///< family.variant.dtype
  std::string family, variant, dtype;
  std::string precision;  ///< peak key the run is judged against, e.g. "bf16_tensor"
  Shape shape;
  std::string name;       ///< kernel symbol, when known (profile)
  std::string nvtx;       ///< NVTX range path, when known
  int64_t launches = 1;   ///< kernel launches folded into this record
  TimeStats time_s;
  std::optional<double> sm_clock_mhz;
  std::optional<double> power_w;  ///< median board power during the timed runs (bench, NVML)
  /// Why NVML saw the clocks held down during the timed runs ("sw_power_cap",
  /// "hw_thermal", ...); empty: nothing did; nullopt: not read.
  std::optional<std::vector<std::string>> clock_limits;
  Cost model;
  std::optional<HwCounters> hw;
  Derived derived;
  std::optional<Validation> validation;
};

/// Whether the run has an analytic model to set beside its time and counters
/// (FLOPs, or bytes for a data-movement kernel): a profiled application's
/// kernel and a raw counter file's run have none, and their model block reads 0.
inline bool has_model(const RunRecord& r) { return r.model.flops > 0 || r.model.bytes > 0; }
/// Whether a run's model figures (derived.tflops_model, ai_dram) are written
/// and shown: not for an application kernel (`flopscope profile`) or a raw
/// counter file's run, which have no model.
inline bool shows_model(const RunRecord& r) { return r.family != "app" && has_model(r); }

/// The model's FLOP per DRAM byte, where the run has a model that counts bytes:
/// the file reads 0 for a model of no bytes, which is no intensity at all (it
/// read as a run that only moves data).
inline std::optional<double> shown_model_intensity(const RunRecord& r) {
  if (!shows_model(r) || !(r.model.bytes > 0)) return std::nullopt;
  return r.derived.ai_dram;
}

/// The run's % of its roof, where it has a roofline position (bound not
/// "unknown"); the file reads 0 where it has none.
inline std::optional<double> shown_pct_of_roof(const RunRecord& r) {
  if (r.derived.bound == "unknown") return std::nullopt;
  return r.derived.pct_of_roof;
}

struct DeviceInfo {
  std::string name;           ///< as the driver reports it
  std::string gpu_key;        ///< peak database key, empty when unknown
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  double max_sm_clock_mhz = 0;
  double memory_bytes = 0;
  /// The CUDA versions the driver and the runtime support ("13.0"), as
  /// cudaDriverGetVersion and cudaRuntimeGetVersion say.
  std::string driver_version, cuda_runtime_version;
  /// The NVIDIA driver's own version ("580.159.04"), empty when not read
  /// (files before 2026-12-01): two such drivers share a CUDA version.
  std::string nvidia_driver;
};

/// "NVIDIA driver 580.159.04 (CUDA 13.0)", or "CUDA 13.0 driver" where the
/// driver's own version was not recorded; "unknown driver" with neither.
std::string driver_text(const DeviceInfo& d);

/// How reports and messages name a device: "NVIDIA H200 (h200-sxm)", the name
/// alone where the peak database has no key for it; with `sm_count`,
/// "NVIDIA H200 (h200-sxm, 132 SMs)", for telling a MIG slice from its GPU.
std::string device_label(const DeviceInfo& d, bool sm_count = false);
/// The same for a file's device, "not recorded" where the file has none.
std::string device_label(const std::optional<DeviceInfo>& d);

/// Whether two records name one kind of GPU: the same peak-database key where
/// both have one (two spellings of one product), else the same name; and the
/// same SM count where both record one (a MIG slice or a cut-down part, which
/// the database gives no key, has the whole GPU's name).
bool same_gpu(const DeviceInfo& a, const DeviceInfo& b);

struct Peaks {
  PeakTable datasheet;
  std::optional<PeakTable> measured;  ///< from `flopscope ceilings`
};

struct ResultsDoc {
  std::string schema = kResultsSchema;
  std::string tool_version, tool_commit;
  std::string created;  ///< ISO 8601 UTC
  std::optional<DeviceInfo> device;
  Peaks peaks;
  std::vector<RunRecord> runs;
};

/// Whether `nvtx` is bench's own range around a run of `id` at `shape`
/// (bench_nvtx_range), its shape's keys in any order: a file re-sorted since
/// bench wrote it (`jq -S`) names the same runs.
bool is_bench_nvtx_range(const std::string& nvtx, const std::string& id, const Shape& shape);
/// The NVTX path that tells `run` apart from other runs of its id and shape:
/// empty for bench's own range around it (is_bench_nvtx_range), else run.nvtx.
std::string distinguishing_nvtx(const RunRecord& run);
/// What identifies a run: its id, its shape with the keys sorted, and its
/// distinguishing NVTX path. `compare` matches runs by it, and a results file
/// holds each key once.
std::string run_key(const RunRecord& run);
/// The first two runs with one run_key (indices, earlier first), if any: what
/// the reader refuses and the writer will not write.
std::optional<std::pair<std::size_t, std::size_t>> first_repeated_run(const std::vector<RunRecord>& runs);
/// "gemm.naive.fp32 m=4 n=4 k=4 [a/b]": a run's key for messages (the NVTX path
/// left out when empty).
std::string run_key_text(const std::string& id, const Shape& shape, const std::string& nvtx);
/// run_key_text of the run's id, shape and distinguishing NVTX path.
std::string run_key_label(const RunRecord& run);

/// Fills `run.derived` from its time, model, hardware counters and `peaks`.
void compute_derived(RunRecord& run, const PeakTable& peaks);
/// Fills an application kernel's `derived` block (`flopscope profile`): no
/// model FLOPs, so no MFU; the peak it would be judged against when `peaks`
/// has one; HFU and its roofline place when hardware FLOPs were counted.
void compute_profile_derived(RunRecord& run, const PeakTable& peaks);
/// Every run's `derived` block again, from its raw fields and the document's
/// datasheet peaks, as it was written: what a reader shows then agrees with
/// what it recomputes (a hand-edited block once contradicted the charts).
void recompute_derived(ResultsDoc& doc);
/// Whether every figure of `d` is finite (1e308 FLOPs in a nanosecond are not).
bool derived_is_finite(const Derived& d);

/// The commit this flopscope was built from (git describe; "unknown" outside git).
const char* build_commit();

/// A new document stamped with this tool's version, commit and the time now.
ResultsDoc new_results_doc();

/// Throws bad_input, writing nothing, when two runs share a run_key, or a run's
/// derived block holds a figure that is not finite or a bound other than
/// memory/compute/unknown (never derived): the reader would refuse the file.
std::string to_json_text(const ResultsDoc& doc, int indent = 2);
/// Validates as it parses (docs/results-format.md, "Validation"); errors name
/// `origin` and the JSON path, e.g. "r.json: $.runs[2].time_s.median: expected
/// a number". Throws bad_input.
ResultsDoc parse_results(const std::string& text, const std::string& origin);

/// Writes to a temporary file beside `path`, then renames it into place.
void write_results(const std::string& path, const ResultsDoc& doc);
ResultsDoc read_results(const std::string& path);

/// Atomic write of any text file (the CLI writes every report through it).
void write_file_atomic(const std::string& path, const std::string& content);
/// A file for write_files_atomic: where it goes and what it holds.
struct FileToWrite {
  std::string path, content;
};
/// Writes every file to a temporary beside it first and renames them into
/// place only when all were written, so that a full disk leaves the old set
/// (a Markdown summary never beside a stale JUnit file); a rename that fails
/// after others succeeded is the one way a mixed set remains.
void write_files_atomic(const std::vector<FileToWrite>& files);
/// What write_file_atomic checks before it writes, for commands to call before
/// long work: the directory exists, and `path` is not a device, pipe or
/// directory (a symbolic link counts as where it points). Throws bad_input.
void check_output_path(const std::string& path);
/// True when `a` and `b` name one file: the same inode when both exist (any
/// spelling, symbolic or hard links), else the same weakly canonical path.
bool same_file(const std::string& a, const std::string& b);

/// Throws bad_input when an output is one of the inputs, or two outputs are
/// one file: by inode when both exist (another spelling, a symbolic or hard
/// link), else by their weakly canonical paths. Commands call it before any
/// work, so an input is never overwritten.
void check_outputs_apart(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs);

/// The most bytes read from one input file: results files are a few MiB, and a
/// wrong path (/dev/zero, an endless pipe) must not take all memory.
inline constexpr std::size_t kMaxInputBytes = std::size_t(256) << 20;
/// Reads a whole file, pipe or device, at most `max_bytes` of it: more is bad
/// input, found without reading the rest.
std::string read_file(const std::string& path, std::size_t max_bytes = kMaxInputBytes);

}  // namespace flopscope
