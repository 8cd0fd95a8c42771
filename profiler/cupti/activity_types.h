#pragma once
// Plain records decoded from CUPTI Activity API buffers. No CUPTI type appears
// here: activity_decode.cpp turns raw record bytes into these structs, and
// everything downstream (NVTX attribution, aggregation, the injection library's
// results) works on them and is tested on the CPU with synthetic records.
#include <cstdint>
#include <string>
#include <variant>

namespace flopscope::cupti {

/// One kernel execution (CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL). Times are
/// CUPTI timestamps in nanoseconds.
struct KernelActivity {
  std::string name;  ///< as CUPTI reports it (usually mangled)
  uint64_t start_ns = 0, end_ns = 0;
  uint32_t device = 0, context = 0, stream = 0;
  uint32_t correlation = 0;  ///< matches the launch API call (callback or API record)
  uint32_t graph_id = 0;     ///< 0 unless launched as part of a CUDA graph
  uint64_t graph_node_id = 0;
  int32_t grid[3] = {0, 0, 0}, block[3] = {0, 0, 0};
  bool device_launched = false;  ///< part of a device-launched graph (isDeviceLaunched), not dynamic parallelism
};

/// One memory copy (CUPTI_ACTIVITY_KIND_MEMCPY, or MEMCPY2 for a peer-to-peer
/// copy, which has no separate runtime correlation id).
struct MemcpyActivity {
  std::string kind;  ///< "HtoD", "DtoH", "DtoD", "HtoH", "PtoP", ...
  uint64_t bytes = 0, start_ns = 0, end_ns = 0;
  uint32_t device = 0, context = 0, stream = 0;
  uint32_t correlation = 0;          ///< the driver API call
  uint32_t runtime_correlation = 0;  ///< the runtime API call, when there was one
  uint32_t graph_id = 0;
};

/// One memset (CUPTI_ACTIVITY_KIND_MEMSET).
struct MemsetActivity {
  uint64_t bytes = 0, start_ns = 0, end_ns = 0;
  uint32_t device = 0, context = 0, stream = 0;
  uint32_t correlation = 0;
  uint32_t graph_id = 0;
};

/// One NVTX marker (CUPTI_ACTIVITY_KIND_MARKER). A push/pop or start/end range
/// arrives as a `start` record and an `end` record with the same id; the end
/// record usually has no name.
struct MarkerActivity {
  enum class Phase { start, end, instant };
  Phase phase = Phase::instant;
  uint64_t timestamp_ns = 0;
  uint32_t id = 0;
  bool thread_scoped = true;  ///< object kind THREAD (push/pop); false: PROCESS (start/end)
  uint32_t process_id = 0;
  uint64_t thread_id = 0;     ///< valid when thread_scoped
  std::string name, domain;
};

/// A device description (CUPTI_ACTIVITY_KIND_DEVICE).
struct DeviceActivity {
  uint32_t id = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  double core_clock_mhz = 0;
  uint64_t memory_bytes = 0;
};

/// What a record decodes to; monostate for kinds flopscope does not use.
using Activity =
    std::variant<std::monostate, KernelActivity, MemcpyActivity, MemsetActivity, MarkerActivity,
                 DeviceActivity>;

}  // namespace flopscope::cupti
