#pragma once
/// Metric plans: which hardware counters measure each logical quantity (FLOPs
/// per precision, bytes per memory level, duration, clock) on a given chip.
/// Built through CUPTI's profiler host API, which needs no GPU, so a plan and its
/// replay-pass count are the same on a build machine as on the GPU
/// (docs/collector.md). No CUPTI type appears here.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/results.h"

namespace flopscope {

/// Bumped when quantity keys or formulas change; stored in raw counter files.
inline constexpr int kMetricPlanVersion = 1;

/// timing: duration and SM clock. bytes: timing + DRAM, L2 and L1 bytes.
/// flops: timing + FLOPs per precision and pipe. roofline: flops + bytes.
/// none: no counters at all.
enum class MetricSet { none, timing, bytes, flops, roofline };
std::string_view to_string(MetricSet s);
std::optional<MetricSet> parse_metric_set(std::string_view s);

/// Tensor-core source types a plan can count, in canonical order: "fp64",
/// "fp16", "bf16", "tf32", "fp8" (floating point only; their FLOPs go to
/// "<type>_tensor").
const std::vector<std::string>& tensor_types();
/// Parses "fp16,bf16" / "all" / "none". Throws bad_input naming the bad word.
std::vector<std::string> parse_tensor_list(std::string_view list);

/// value(quantity) = sum of factor * value(metric) over its terms.
struct MetricTerm {
  std::string metric;  ///< full CUPTI name with rollup, e.g. "sm__...ffma_pred_on.sum"
  double factor = 1;
};

struct Quantity {
  /// "duration_s", "sm_clock_hz", "flops.fp32", "flops.bf16_tensor",
  /// "dram_read_bytes", "dram_write_bytes", "l2_bytes", "l1_bytes",
  /// "peak.<what>" (per-cycle peaks and the clocks they run at).
  std::string key;
  std::string description;
  std::vector<MetricTerm> terms;
  bool available = true;   ///< false: the chip lacks a metric; `note` says which
  std::string note;
};

struct MetricPlan {
  int version = kMetricPlanVersion;
  std::string chip;  ///< CUPTI chip name, e.g. "GH100"
  MetricSet set = MetricSet::none;
  std::vector<std::string> tensor;       ///< tensor types asked for
  std::vector<Quantity> quantities;      ///< available and missing ones
  std::vector<std::string> metrics;      ///< unique CUPTI names to collect, sorted
  std::vector<std::string> notes;        ///< one line per missing or shared quantity
  int64_t passes = 0;                    ///< replay passes the config needs
  std::vector<uint8_t> config_image;     ///< CUPTI config image for `metrics`
};

/// The chips CUPTI's host API knows (30 with CUDA 13.0), e.g. "GH100".
std::vector<std::string> supported_chips();
bool is_supported_chip(std::string_view chip);

/// The CUPTI chip name of CUDA device `device` (e.g. "GH100" on an H200).
/// Throws Error(no_gpu) without a driver or GPU.
std::string device_chip(int device);

/// Resolves `set` for `chip`. `tensor` empty means no tensor-core counters.
/// Throws bad_input for an unknown chip (naming the supported ones); a
/// quantity the chip lacks is marked unavailable and named in `notes`.
/// `counter_availability` (from a live device) narrows the plan to counters the
/// device exposes now; empty means the chip's full list (offline).
MetricPlan build_metric_plan(const std::string& chip, MetricSet set,
                             const std::vector<std::string>& tensor,
                             const std::vector<uint8_t>& counter_availability = {});

/// Counters from evaluated metric values (CUPTI name -> value). Quantities
/// whose metrics are all present are filled; `metrics` keeps every raw value.
/// flops_total sums "flops.*" over precisions and pipes, and is absent when
/// one of them is.
HwCounters hw_counters_from_values(const std::vector<Quantity>& quantities,
                                   const std::map<std::string, double>& values);

/// Whether an evaluated counter, rate or ratio of a range that ran is a value
/// one can read: finite and at least 0. NaN, infinity or a negative count is
/// damage (a file) or a CUPTI fault (a live session), never a measurement.
bool readable_counter_value(double v);

}  // namespace flopscope
