#pragma once
// Target side of CUPTI's range profiler (cupti_range_profiler.h): one range per
// kernel launch (CUPTI_AutoRange) with CUPTI replaying each kernel as many
// times as the config needs (CUPTI_KernelReplay), or the caller running its
// work once per pass (CUPTI_UserReplay: replay()). Needs a GPU; the decoded
// counter-data images are evaluated on the host (metric_plan_host.h).
#include <functional>
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
  CUresult (*get_error_name)(CUresult, const char**) = nullptr;
  CUresult (*stream_is_capturing)(CUstream, CUstreamCaptureStatus*) = nullptr;
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
/// What counters the context's device exposes, for the host object (may
/// surface CUPTI_ERROR_INSUFFICIENT_PRIVILEGES). Read once per device and
/// kept: CUPTI may refuse the query while a range profiler is enabled on any
/// context of that device (cupti_profiler_target.h), which a process with two
/// contexts on one GPU would otherwise hit at its second context.
std::vector<uint8_t> counter_availability(CUcontext ctx, int device);

/// Range profiling on one context. The constructor enables the range profiler,
/// sizes one counter-data image and calls SetConfig; start() begins a batch of
/// at most `max_ranges` kernel launches, first re-initialising that image and
/// calling SetConfig again after an earlier batch (as NVIDIA's RangeProfiler
/// helper does before every session); stop() ends it and returns a copy of the
/// decoded counter-data image. Ranges beyond capacity are dropped by CUPTI and
/// counted. The profiler stays enabled from the constructor to the
/// destructor: with CUPTI 13.0 on an H200 the process crashed at the first
/// run after a Disable, where it is enabled again (bench/results/h200/2026-11-30;
/// no backtrace was taken).
class RangeProfiler {
 public:
  /// `user_replay`: CUPTI_UserReplay instead of CUPTI_KernelReplay; batches
  /// are then counted with replay() only.
  RangeProfiler(CUcontext ctx, std::vector<uint8_t> config_image, std::vector<std::string> metrics,
                size_t max_ranges, bool user_replay = false);
  ~RangeProfiler();  // disables range profiling on the context
  RangeProfiler(const RangeProfiler&) = delete;
  RangeProfiler& operator=(const RangeProfiler&) = delete;

  void start();
  struct Batch {
    std::vector<uint8_t> image;  ///< decoded counter-data image
    size_t ranges = 0;           ///< ranges it holds
    size_t dropped = 0;          ///< ranges CUPTI dropped
  };
  /// Stops and decodes. `synchronize`: cuCtxSynchronize first (a kernel fault
  /// then throws as such), which a launch callback must not add: with kernel
  /// replay every pass has run by the end of the launch call. CUPTI itself
  /// still synchronizes the context in DecodeData and, in auto range, after
  /// each profiled launch (CUPTI user guide, range profiling). `launched`:
  /// whether any launch was made since start(); a batch that ran nothing is
  /// returned empty when CUPTI reports its passes unsubmitted. Valid only
  /// after start(); a failed Stop leaves running() true.
  Batch stop(bool synchronize, bool launched);
  /// User replay: one batch, running `pass` once per replay pass the config
  /// needs and `between` before each pass but the first. CUPTI saves and
  /// restores no memory, so `pass` must do the same work each time (as a
  /// benchmark run does) and `between` may ready it (flush the L2); neither
  /// runs inside a pass. Synchronizes the context after each pass.
  /// `launched` says whether the first pass launched anything: a pass that
  /// launched nothing leaves CUPTI's passes unsubmitted, and the batch is
  /// returned empty instead of replayed to the limit. A pass that throws is
  /// abandoned (its Stop called), so that the next batch starts afresh.
  Batch replay(const std::function<void()>& between, const std::function<void()>& pass,
               const std::function<bool()>& launched);
  bool running() const { return running_; }
  CUcontext context() const { return ctx_; }

 private:
  CUcontext ctx_;
  std::vector<uint8_t> config_;
  std::vector<std::string> metrics_;
  std::vector<const char*> metric_ptrs_;
  size_t max_ranges_;
  bool user_replay_;
  void enable();
  void synchronize_context();
  void start_pass();  ///< cuptiRangeProfilerStart on the configured object
  bool stop_pass();   ///< cuptiRangeProfilerStop; whether every pass is submitted
  void abandon_pass();  ///< Stop, errors ignored, when a pass is still running
  /// cuptiRangeProfilerStop on this object; `all_submitted` (may be null)
  /// receives its isAllPassSubmitted.
  CUptiResult call_stop(bool* all_submitted);
  Batch decode();
  /// Disables range profiling on the context; a batch still running (its
  /// Stop failed) is abandoned.
  void release();
  void initialize_image();
  void set_config();
  void disable();

  CUpti_RangeProfiler_Object* obj_ = nullptr;
  std::vector<uint8_t> image_;  ///< sized in the constructor, at one address for the object's life
  bool image_fresh_ = false;    ///< initialised and not yet used by a Start
  bool configured_ = false;     ///< SetConfig called since the last Start
  bool running_ = false;
};

}  // namespace flopscope::cupti
