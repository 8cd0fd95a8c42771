#pragma once
/// Raw counter files: what the range profiler recorded, kept so that any
/// machine can evaluate it again later with CUPTI's host API (no GPU needed):
/// `flopscope report FILE.fscounters`. Format in docs/collector.md.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "flopscope/metric_plan.h"
#include "flopscope/results.h"

namespace flopscope {

inline constexpr char kCounterFileMagic[9] = "FLOPSCTR";  ///< the first 8 bytes
inline constexpr uint32_t kCounterFileVersion = 1;

/// The benchmark run a range belongs to (`flopscope bench --counters`); an
/// empty id for application kernels (`flopscope profile`, Session users).
struct CounterRun {
  std::string id;         ///< family.variant.dtype, e.g. "gemm.naive.fp32"
  std::string precision;  ///< the peak key it is judged against, e.g. "bf16_tensor"
  Shape shape;
};

/// One profiled range (one kernel launch under auto range).
struct CounterRange {
  std::string kernel;       ///< kernel symbol, empty when unknown
  std::string nvtx;         ///< NVTX range path, when known
  std::string range_name;   ///< CUPTI's name for the range
  uint32_t image = 0;       ///< index into CounterFile::counter_images
  uint32_t range_index = 0; ///< range within that image
  uint64_t launch = 0;      ///< launch ordinal within the session
  CounterRun run;           ///< the benchmark run, if any
};

struct CounterFile {
  int plan_version = kMetricPlanVersion;
  std::string chip;
  std::string set;
  std::vector<std::string> tensor;
  std::vector<std::string> metrics;     ///< evaluated in this order
  std::vector<Quantity> quantities;     ///< formulas used to build HwCounters
  std::optional<DeviceInfo> device;
  uint64_t dropped_ranges = 0;          ///< ranges CUPTI dropped (counter image full)
  /// Ranges evaluated during the run but not saved here: the recording reached
  /// its size limit (SessionOptions::raw_limit_bytes).
  uint64_t unsaved_ranges = 0;
  /// Ranges left out because a counter evaluated to a value no counter reads
  /// (NaN, infinite, negative): the live results named them; a file holding
  /// them would be refused as damaged.
  uint64_t unreadable_ranges = 0;
  std::string created, tool_version;
  std::string tool_commit;  ///< the recording build's commit; empty in files before 2026-12-01
  std::vector<uint8_t> config_image;
  std::vector<std::vector<uint8_t>> counter_images;  ///< one per flushed batch
  std::vector<CounterRange> ranges;
};

/// The file's bytes: magic, version, total length, sections (META JSON, CONF,
/// CDAT...), CRC-32 of everything before it. Throws bad_input when they would
/// exceed `max_bytes` (default: what read_file accepts), so that no file is
/// written that flopscope could not read back.
std::string serialize_counter_file(const CounterFile& f, size_t max_bytes = kMaxInputBytes);
/// What one counter image adds to a file (its section), and at most what one
/// range adds to the metadata: a recording bounds its size as it grows.
uint64_t counter_image_bytes(const std::vector<uint8_t>& image);
uint64_t counter_range_bytes_bound(const CounterRange& r);

/// Throws bad_input with one line naming `origin` and the problem (not a
/// counter file, truncated, checksum mismatch, newer version, bad metadata).
CounterFile parse_counter_file(const std::string& bytes, const std::string& origin);

void write_counter_file(const std::string& path, const CounterFile& f);
CounterFile read_counter_file(const std::string& path);
/// True when the file starts with the counter-file magic.
bool is_counter_file(const std::string& path);

/// Per range, counters evaluated with CUPTI's host API for the file's chip.
struct EvaluatedRange {
  CounterRange range;
  HwCounters hw;
};
std::vector<EvaluatedRange> evaluate_counter_file(const CounterFile& f);
/// The counter images `f`'s ranges read, the only ones evaluate_counter_file
/// probes (each in a forked process, which a bad image may crash); throws
/// bad_input for a read image that is empty.
std::set<uint32_t> counter_images_read(const CounterFile& f);

/// A results document, derived figures against the device's datasheet peaks
/// when the device is known, no MFU (no model FLOPs):
///  - application ranges (no run): one run per kernel name x NVTX path, named
///    like `flopscope profile` names them, hw as the per-launch mean (time_s
///    is per launch too);
///  - benchmark ranges: consecutive ranges of the same run form one run with
///    its id, precision, shape and NVTX path, hw summed over its launches as
///    `flopscope bench` sums them (combine_launches), time_s their summed
///    duration. A run that comes back after another run is bad input naming
///    both ranges: a results document holds each run_key once.
ResultsDoc counter_file_to_results(const CounterFile& f);
/// The same fold from ranges already evaluated (what counter_file_to_results
/// does after evaluate_counter_file), for `device`'s datasheet peaks.
ResultsDoc evaluated_ranges_to_results(const std::optional<DeviceInfo>& device,
                                       const std::vector<EvaluatedRange>& ranges);

/// The files of several sessions recorded with the same plan (chip, set,
/// tensor types, metrics, config image) as one: counter images appended,
/// ranges re-pointed at them and their launch ordinals made consecutive,
/// dropped ranges added; device, creation time and version from the first.
/// Throws bad_input naming the first file that differs (files[i] is named
/// origins[i]); an empty list is bad_input too.
CounterFile merge_counter_files(const std::vector<CounterFile>& files,
                                const std::vector<std::string>& origins);

}  // namespace flopscope
