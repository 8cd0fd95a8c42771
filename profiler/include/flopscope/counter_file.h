#pragma once
/// Raw counter files: what the range profiler recorded, kept so that any
/// machine can evaluate it again later with CUPTI's host API (no GPU needed):
/// `flopscope report FILE.fscounters`. Format in docs/collector.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/metric_plan.h"
#include "flopscope/results.h"

namespace flopscope {

inline constexpr char kCounterFileMagic[9] = "FLOPSCTR";  ///< the first 8 bytes
inline constexpr uint32_t kCounterFileVersion = 1;

/// One profiled range (one kernel launch under auto range).
struct CounterRange {
  std::string kernel;       ///< kernel symbol, empty when unknown
  std::string nvtx;         ///< NVTX range path, when known
  std::string range_name;   ///< CUPTI's name for the range
  uint32_t image = 0;       ///< index into CounterFile::counter_images
  uint32_t range_index = 0; ///< range within that image
  uint64_t launch = 0;      ///< launch ordinal within the session
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
  std::string created, tool_version;
  std::vector<uint8_t> config_image;
  std::vector<std::vector<uint8_t>> counter_images;  ///< one per flushed batch
  std::vector<CounterRange> ranges;
};

/// The file's bytes: magic, version, total length, sections (META JSON, CONF,
/// CDAT...), CRC-32 of everything before it.
std::string serialize_counter_file(const CounterFile& f);
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

/// A results document: one run per kernel name x NVTX path, hw as the
/// per-launch mean (time_s is per launch too), derived figures against the
/// device's datasheet peaks when the device is known.
ResultsDoc counter_file_to_results(const CounterFile& f);

}  // namespace flopscope
