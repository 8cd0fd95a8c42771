#pragma once
// Target side of CUPTI's range profiler (cupti_range_profiler.h): one range per
// kernel launch (CUPTI_AutoRange) with CUPTI replaying each kernel as many
// times as the config needs (CUPTI_KernelReplay). Needs a GPU; the decoded
// counter-data images are evaluated on the host (metric_plan_host.h).
#include <cuda.h>
#include <cupti_range_profiler.h>

#include <cstdint>
#include <string>
#include <vector>

namespace flopscope::cupti {

/// Driver calls flopscope needs, resolved through the CUDA runtime
/// (cudaGetDriverEntryPointByVersion): libcuda is never linked, so binaries
/// still load on machines without a driver.
struct DriverApi {
  CUresult (*ctx_get_current)(CUcontext*) = nullptr;
  CUresult (*ctx_push_current)(CUcontext) = nullptr;
  CUresult (*ctx_pop_current)(CUcontext*) = nullptr;
  CUresult (*ctx_get_device)(CUdevice*) = nullptr;
  CUresult (*ctx_synchronize)() = nullptr;
};
/// Throws Error(no_gpu) when there is no driver or no device.
const DriverApi& driver_api();

/// Makes `ctx` current on this thread for its lifetime (no-op when it already is).
class ScopedContext {
 public:
  explicit ScopedContext(CUcontext ctx);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  bool pushed_ = false;
};

/// cuptiProfilerInitialize, once per process. Never deinitialized: CUPTI's
/// deinit is not reference-counted and a second one crashes (pytorch#188844).
void profiler_initialize();

/// The calling thread's current context, creating the runtime's primary
/// context on the current device when there is none.
CUcontext current_context();
int context_device(CUcontext ctx);

/// Why the device cannot be profiled (SLI, vGPU without profiling, confidential
/// computing, WSL, ...), or empty when it can.
std::string device_unsupported_reason(int device);
std::string device_chip_name(int device);
/// What counters the device exposes now, for the host object (may surface
/// CUPTI_ERROR_INSUFFICIENT_PRIVILEGES).
std::vector<uint8_t> counter_availability(CUcontext ctx);

/// Range profiling on one context. start() begins a batch of at most
/// `max_ranges` kernel launches; stop() ends it and returns the decoded
/// counter-data image. Ranges beyond capacity are dropped by CUPTI and counted.
class RangeProfiler {
 public:
  RangeProfiler(CUcontext ctx, std::vector<uint8_t> config_image, std::vector<std::string> metrics,
                size_t max_ranges);
  ~RangeProfiler();  // disables range profiling on the context
  RangeProfiler(const RangeProfiler&) = delete;
  RangeProfiler& operator=(const RangeProfiler&) = delete;

  void start();
  struct Batch {
    std::vector<uint8_t> image;  ///< decoded counter-data image
    size_t ranges = 0;           ///< ranges it holds
    size_t dropped = 0;          ///< ranges CUPTI dropped
  };
  /// Synchronizes the context, stops, decodes. Valid only after start().
  Batch stop();
  bool running() const { return running_; }
  CUcontext context() const { return ctx_; }

 private:
  CUcontext ctx_;
  std::vector<uint8_t> config_;
  std::vector<std::string> metrics_;
  std::vector<const char*> metric_ptrs_;
  size_t max_ranges_;
  CUpti_RangeProfiler_Object* obj_ = nullptr;
  std::vector<uint8_t> image_;
  bool running_ = false;
};

}  // namespace flopscope::cupti
