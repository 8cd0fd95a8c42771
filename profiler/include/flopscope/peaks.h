#pragma once
/// The GPU peak database. A peak is never typed in as a total: it is derived as
///   FLOP per clock per SM (from the architecture) x SM count x clock,
/// so that every figure can be traced to three published numbers. Sources are in
/// core/gpu_database.cpp and docs/flop-conventions.md.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/precision.h"

namespace flopscope {

/// Dense FLOP per clock per SM for one architecture (or one product's override).
struct ArchRates {
  std::string arch;  ///< "sm_90", ...
  int cc_major = 0, cc_minor = 0;
  std::map<std::string, double> flops_per_clk_per_sm;  ///< key: Precision::key()
  /// Where GeForce products of the architecture differ (Ada: half-rate tensor
  /// math with FP32 accumulation); these replace the rates above for them.
  std::map<std::string, double> geforce_flops_per_clk_per_sm;
};

/// Bytes in a GiB: memory capacities are binary (GpuSpec::memory_bytes).
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct GpuSpec {
  std::string key;                 ///< "h100-sxm": what --gpu takes
  std::string name;                ///< "NVIDIA H100 SXM5 80GB"
  std::vector<std::string> match;  ///< substrings of the CUDA device name that identify it
  std::string arch;                ///< "sm_90"
  int sm_count = 0;
  double vector_clock_mhz = 0;     ///< clock the datasheet uses for CUDA-core peaks
  double tensor_clock_mhz = 0;     ///< clock the datasheet uses for tensor peaks
  double dram_bytes_per_s = 0;
  double memory_bytes = 0;         ///< the datasheet's capacity, read as GiB
  /// Per-product deviations from the architecture rates (GeForce halves
  /// FP32-accumulate tensor math, for example).
  std::map<std::string, double> rate_overrides;
  std::string source;              ///< the datasheet the numbers come from
};

struct PeakTable {
  std::string source;                       ///< "datasheet: ...", "derived: ...", "measured: ..."
  std::map<std::string, double> flops_per_s;  ///< dense peaks, key: Precision::key()
  /// Structured-sparsity tensor peaks, kept apart: never an MFU denominator.
  std::map<std::string, double> sparse_flops_per_s;
  double dram_bytes_per_s = 0;
  double l2_bytes_per_s = 0;  ///< 0: unknown (datasheets do not give it)
  double l1_bytes_per_s = 0;  ///< shared memory / L1, 0: unknown

  /// nullopt when the GPU has no such pipe (FP8 on Ampere, say).
  std::optional<double> dense(const Precision& p) const;
};

const std::vector<ArchRates>& arch_database();
const std::vector<GpuSpec>& gpu_database();

/// Accepts a database key ("h200"), a product name or a CUDA device name,
/// case-insensitively. nullptr when unknown.
const GpuSpec* find_gpu(std::string_view name);
/// The entry whose key is exactly `key` (a results file's device.gpu_key), or
/// nullptr: a key from a newer flopscope ("h200-sxm-144gb") must not be read
/// loosely as another product ("h200").
const GpuSpec* find_gpu_key(std::string_view key);
/// The datasheet entry of a CUDA device, or nullptr when the device is not that
/// product as sold: its name matches but its SM count or memory does not (a
/// MIG slice, a cut-down part, an A100 40GB against the 80GB entry). Its peaks
/// are then derived from its own SMs and clock. 0 for an unknown count or size.
const GpuSpec* find_gpu_for_device(std::string_view name, int sm_count, double memory_bytes);
/// The entry of a recorded device: by its key when it has one (exactly),
/// else as find_gpu_for_device finds it.
const GpuSpec* find_gpu_for_record(std::string_view gpu_key, std::string_view name, int sm_count,
                                   double memory_bytes);
/// Like find_gpu, but throws bad_input listing the known keys.
const GpuSpec& require_gpu(std::string_view name);
const ArchRates* find_arch(int cc_major, int cc_minor);

/// Datasheet peaks of a database GPU.
PeakTable datasheet_peaks(const GpuSpec& gpu);
/// Peaks of a GPU that is not in the database, from what the device reports;
/// `geforce` for a GeForce product (the device name says so).
PeakTable derived_peaks(const ArchRates& arch, int sm_count, double clock_mhz,
                        double dram_bytes_per_s, bool geforce = false);

}  // namespace flopscope
