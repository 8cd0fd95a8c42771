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
  CUresult (*stream_is_capturing)(CUstream, CUstreamCaptureStatus*) = nullptr;
};
/// Throws Error(no_gpu) when there is no driver or no device.
const DriverApi& driver_api();

/// Whether work launched into `stream` now would be captured into a CUDA graph
/// (cuStreamIsCapturing). A failed query counts as capturing: the launch is
/// then left alone rather than risk invalidating someone's capture.
bool stream_capturing(CUstream stream);

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

/// Range profiling on one context. The constructor enables the range profiler,
/// sizes one counter-data image and calls SetConfig once (as NVIDIA's samples
/// do); start() re-initialises that image and begins a batch of at most
/// `max_ranges` kernel launches; stop() ends it and returns a copy of the
/// decoded counter-data image. Ranges beyond capacity are dropped by CUPTI and counted.
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
  /// Stops and decodes. `synchronize`: cuCtxSynchronize first, which is only
  /// allowed outside CUPTI callbacks (it breaks stream capture); with kernel
  /// replay every pass has run by the end of the launch call, so a launch
  /// callback needs none (NVIDIA's callback_profiling sample). `launched`:
  /// whether any launch was made since start(); a batch that ran nothing is
  /// returned empty when CUPTI reports its passes unsubmitted. Valid only
  /// after start(); a failed Stop leaves running() true.
  Batch stop(bool synchronize, bool launched);
  bool running() const { return running_; }
  CUcontext context() const { return ctx_; }

 private:
  CUcontext ctx_;
  std::vector<uint8_t> config_;
  std::vector<std::string> metrics_;
  std::vector<const char*> metric_ptrs_;
  size_t max_ranges_;
  void initialize_image();
  void disable();

  CUpti_RangeProfiler_Object* obj_ = nullptr;
  std::vector<uint8_t> image_;  ///< sized and registered (SetConfig) once, in the constructor
  bool image_fresh_ = false;    ///< initialised and not yet used by a Start
  bool running_ = false;
};

}  // namespace flopscope::cupti
