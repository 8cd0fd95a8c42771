// CUPTI range profiler, target side. Written against the CUDA 13.0 headers and
// NVIDIA's range_profiling sample flow; runs only where there is a GPU (the
// `gpu`-labelled tests), compiled everywhere.
#include "range_profiler.h"

#include <cuda_runtime_api.h>
#include <cupti_profiler_target.h>
#include <cupti_target.h>

#include <map>
#include <mutex>

#include "flopscope/error.h"
#include "flopscope/metric_plan.h"
#include "metric_plan_host.h"
#include "session_errors.h"

namespace flopscope::cupti {
namespace {

void check(CUptiResult r, const char* call, const std::string& detail = {}) {
  if (r != CUPTI_SUCCESS) throw_cupti_failure(r, call, detail);
}

template <class Fn>
void resolve(const char* symbol, Fn*& fn) {
  void* p = nullptr;
  cudaDriverEntryPointQueryResult q{};
  const cudaError_t e = cudaGetDriverEntryPointByVersion(symbol, &p, 12000, cudaEnableDefault, &q);
  if (e != cudaSuccess || q != cudaDriverEntryPointSuccess || !p)
    throw Error(ErrorKind::no_gpu, std::string("cannot reach the CUDA driver (") + symbol +
                                       ": " + cudaGetErrorString(e) +
                                       "): no NVIDIA driver or GPU is usable here");
  fn = reinterpret_cast<Fn*>(p);
}

}  // namespace

const DriverApi& driver_api() {
  static std::once_flag once;
  static DriverApi api;
  static std::string& failure = *new std::string;  // never destroyed: used at exit
  std::call_once(once, [] {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
      int driver = 0;
      if (e == cudaErrorInsufficientDriver && cudaDriverGetVersion(&driver) == cudaSuccess)
        failure = driver_too_old_message(driver, built_cuda_version());
      if (!failure.empty()) return;  // a driver, too old for this build (still no_gpu, exit 3)
      failure = e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice || count == 0
                    ? "no NVIDIA driver or GPU found: hardware counters need a GPU (flopscope "
                      "metrics and flopscope report work without one)"
                    : std::string("CUDA cannot list devices: ") + cudaGetErrorString(e);
      return;
    }
    try {
      resolve("cuCtxGetCurrent", api.ctx_get_current);
      resolve("cuCtxPushCurrent", api.ctx_push_current);
      resolve("cuCtxPopCurrent", api.ctx_pop_current);
      resolve("cuCtxGetDevice", api.ctx_get_device);
      resolve("cuCtxSynchronize", api.ctx_synchronize);
      resolve("cuGetErrorName", api.get_error_name);
      resolve("cuStreamIsCapturing", api.stream_is_capturing);
    } catch (const Error& err) {
      failure = err.what();
    }
  });
  if (!failure.empty()) throw Error(ErrorKind::no_gpu, failure);
  return api;
}

ScopedContext::ScopedContext(CUcontext ctx) {
  const DriverApi& d = driver_api();
  CUcontext cur = nullptr;
  d.ctx_get_current(&cur);
  if (cur != ctx && d.ctx_push_current(ctx) == CUDA_SUCCESS) pushed_ = true;
}

ScopedContext::~ScopedContext() {
  if (!pushed_) return;
  CUcontext popped = nullptr;
  driver_api().ctx_pop_current(&popped);
}

void profiler_initialize() {
  static std::once_flag once;
  static CUptiResult result = CUPTI_SUCCESS;
  std::call_once(once, [] {
    auto p = cupti_params<CUpti_Profiler_Initialize_Params>(CUpti_Profiler_Initialize_Params_STRUCT_SIZE);
    result = cuptiProfilerInitialize(&p);
  });
  check(result, "cuptiProfilerInitialize");
}

CUcontext current_context() {
  const DriverApi& d = driver_api();
  CUcontext ctx = nullptr;
  if (d.ctx_get_current(&ctx) != CUDA_SUCCESS || !ctx) {
    // The runtime creates (or retains) its primary context on first use.
    const cudaError_t e = cudaFree(nullptr);
    if (e != cudaSuccess)
      throw Error(ErrorKind::no_gpu, std::string("cannot create a CUDA context: ") + cudaGetErrorString(e));
    d.ctx_get_current(&ctx);
  }
  if (!ctx) throw Error(ErrorKind::no_gpu, "no CUDA context is current on this thread");
  return ctx;
}

int context_device(CUcontext ctx) {
  ScopedContext scope(ctx);
  CUdevice dev = 0;
  if (driver_api().ctx_get_device(&dev) != CUDA_SUCCESS)
    throw Error(ErrorKind::failure, "cuCtxGetDevice failed for the profiled context");
  return int(dev);
}

std::string device_unsupported_reason(int device) {
  auto p = cupti_params<CUpti_Profiler_DeviceSupported_Params>(CUpti_Profiler_DeviceSupported_Params_STRUCT_SIZE);
  p.cuDevice = CUdevice(device);
  p.api = CUPTI_PROFILER_RANGE_PROFILING;
  check(cuptiProfilerDeviceSupported(&p), "cuptiProfilerDeviceSupported");
  if (p.isSupported == CUPTI_PROFILER_CONFIGURATION_SUPPORTED) return {};
  std::string why;
  auto add = [&](CUpti_Profiler_Support_Level level, const char* what) {
    if (level != CUPTI_PROFILER_CONFIGURATION_SUPPORTED && level != CUPTI_PROFILER_CONFIGURATION_UNKNOWN)
      why += (why.empty() ? "" : ", ") + std::string(what) +
             (level == CUPTI_PROFILER_CONFIGURATION_DISABLED ? " (disabled by the system)" : "");
  };
  add(p.architecture, "architecture not supported by the range profiler (needs compute capability 7.5+)");
  add(p.sli, "SLI");
  add(p.vGpu, "vGPU without profiling enabled");
  add(p.confidentialCompute, "confidential computing");
  add(p.cmp, "crypto-mining processor");
  add(p.wsl, "WSL");
  return "CUPTI cannot profile device " + std::to_string(device) + " (" +
         (why.empty() ? std::string("unsupported configuration") : why) + ")";
}

std::string device_chip_name(int device) {
  auto p = cupti_params<CUpti_Device_GetChipName_Params>(CUpti_Device_GetChipName_Params_STRUCT_SIZE);
  p.deviceIndex = size_t(device);
  check(cuptiDeviceGetChipName(&p), "cuptiDeviceGetChipName");
  return p.pChipName ? std::string(p.pChipName) : std::string();
}

std::vector<uint8_t> counter_availability(CUcontext ctx, int device) {
  static std::mutex mu;
  // Only successful reads; never destroyed (a session can start during exit).
  static auto& by_device = *new std::map<int, std::vector<uint8_t>>;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = by_device.find(device); it != by_device.end()) return it->second;
  auto p = cupti_params<CUpti_Profiler_GetCounterAvailability_Params>(
      CUpti_Profiler_GetCounterAvailability_Params_STRUCT_SIZE);
  p.ctx = ctx;
  check(cuptiProfilerGetCounterAvailability(&p), "cuptiProfilerGetCounterAvailability");
  std::vector<uint8_t> image(p.counterAvailabilityImageSize);
  p.pCounterAvailabilityImage = image.data();
  check(cuptiProfilerGetCounterAvailability(&p), "cuptiProfilerGetCounterAvailability");
  image.resize(p.counterAvailabilityImageSize);
  by_device[device] = image;
  return image;
}

RangeProfiler::RangeProfiler(CUcontext ctx, std::vector<uint8_t> config_image,
                             std::vector<std::string> metrics, size_t max_ranges, bool user_replay)
    : ctx_(ctx), config_(std::move(config_image)), metrics_(std::move(metrics)),
      max_ranges_(max_ranges == 0 ? 1 : max_ranges), user_replay_(user_replay) {
  for (const auto& m : metrics_) metric_ptrs_.push_back(m.c_str());
  enable();
  // One counter image for the object's life: CUPTI's registered buffer stays
  // at one address, and each batch only re-initialises it.
  try {
    auto sz = cupti_params<CUpti_RangeProfiler_GetCounterDataSize_Params>(
        CUpti_RangeProfiler_GetCounterDataSize_Params_STRUCT_SIZE);
    sz.pRangeProfilerObject = obj_;
    sz.pMetricNames = metric_ptrs_.data();
    sz.numMetrics = metric_ptrs_.size();
    sz.maxNumOfRanges = max_ranges_;
    sz.maxNumRangeTreeNodes = uint32_t(max_ranges_);
    check(cuptiRangeProfilerGetCounterDataSize(&sz), "cuptiRangeProfilerGetCounterDataSize");
    image_.assign(sz.counterDataSize, 0);
    initialize_image();
    set_config();
  } catch (...) {
    disable();
    throw;
  }
}

void RangeProfiler::enable() {
  auto en = cupti_params<CUpti_RangeProfiler_Enable_Params>(CUpti_RangeProfiler_Enable_Params_STRUCT_SIZE);
  en.ctx = ctx_;
  check(cuptiRangeProfilerEnable(&en), "cuptiRangeProfilerEnable");
  obj_ = en.pRangeProfilerObject;
}

void RangeProfiler::set_config() {
  auto sc = cupti_params<CUpti_RangeProfiler_SetConfig_Params>(CUpti_RangeProfiler_SetConfig_Params_STRUCT_SIZE);
  sc.pRangeProfilerObject = obj_;
  sc.configSize = config_.size();
  sc.pConfig = config_.data();
  sc.counterDataImageSize = image_.size();
  sc.pCounterDataImage = image_.data();
  sc.range = CUPTI_AutoRange;
  sc.replayMode = user_replay_ ? CUPTI_UserReplay : CUPTI_KernelReplay;
  sc.maxRangesPerPass = max_ranges_;
  sc.numNestingLevels = 1;  // auto range: one level
  sc.minNestingLevel = 1;
  sc.passIndex = 0;  // the first pass; later ones are CUPTI's to count (Stop reports them)
  sc.targetNestingLevel = 1;
  check(cuptiRangeProfilerSetConfig(&sc), "cuptiRangeProfilerSetConfig");
  configured_ = true;
}

void RangeProfiler::initialize_image() {
  auto init = cupti_params<CUpti_RangeProfiler_CounterDataImage_Initialize_Params>(
      CUpti_RangeProfiler_CounterDataImage_Initialize_Params_STRUCT_SIZE);
  init.pRangeProfilerObject = obj_;
  init.counterDataSize = image_.size();
  init.pCounterData = image_.data();
  check(cuptiRangeProfilerCounterDataImageInitialize(&init),
        "cuptiRangeProfilerCounterDataImageInitialize");
  image_fresh_ = true;
}

void RangeProfiler::disable() {
  if (!obj_) return;
  auto d = cupti_params<CUpti_RangeProfiler_Disable_Params>(CUpti_RangeProfiler_Disable_Params_STRUCT_SIZE);
  d.pRangeProfilerObject = obj_;
  cuptiRangeProfilerDisable(&d);
  obj_ = nullptr;
  image_fresh_ = configured_ = false;  // both belong to the object just disabled
}

RangeProfiler::~RangeProfiler() { release(); }

void RangeProfiler::start() {
  if (running_) return;
  if (!image_fresh_) initialize_image();  // the previous batch was copied out
  if (!configured_) set_config();
  start_pass();
  image_fresh_ = configured_ = false;
}

void RangeProfiler::start_pass() {
  auto st = cupti_params<CUpti_RangeProfiler_Start_Params>(CUpti_RangeProfiler_Start_Params_STRUCT_SIZE);
  st.pRangeProfilerObject = obj_;
  check(cuptiRangeProfilerStart(&st), "cuptiRangeProfilerStart");
  running_ = true;
}

CUptiResult RangeProfiler::call_stop(bool* all_submitted) {
  auto st = cupti_params<CUpti_RangeProfiler_Stop_Params>(CUpti_RangeProfiler_Stop_Params_STRUCT_SIZE);
  st.pRangeProfilerObject = obj_;
  const CUptiResult r = cuptiRangeProfilerStop(&st);
  if (all_submitted) *all_submitted = st.isAllPassSubmitted;
  return r;
}

void RangeProfiler::abandon_pass() {
  if (!running_) return;
  call_stop(nullptr);  // whatever it says: the pass is given up
  running_ = false;
}

void RangeProfiler::release() {
  if (!obj_) return;
  abandon_pass();  // a batch whose Stop failed earlier, as the destructor does
  disable();
}

namespace {

// Stop and DecodeData fail with CUPTI_ERROR_UNKNOWN once a profiled kernel has
// faulted (the context is then unusable); at that point the GPU was reachable,
// so the "no GPU" reading of UNKNOWN would mislead.
void check_batch(CUptiResult r, const char* call) {
  if (r == CUPTI_ERROR_UNKNOWN)
    throw Error(ErrorKind::failure, std::string(call) +
                                        " returned CUPTI_ERROR_UNKNOWN: the batch's counters are lost (a "
                                        "kernel that faulted leaves its context unusable)");
  check(r, call);
}

}  // namespace

void RangeProfiler::synchronize_context() {
  ScopedContext scope(ctx_);
  const DriverApi& d = driver_api();
  if (const CUresult r = d.ctx_synchronize(); r != CUDA_SUCCESS) {  // every profiled launch has finished
    const char* name = nullptr;
    if (d.get_error_name(r, &name) != CUDA_SUCCESS || !name) name = "unknown CUresult";
    throw Error(ErrorKind::failure, std::string("a profiled kernel failed (") + name + " " +
                                        std::to_string(int(r)) + "); its counters are lost");
  }
}

bool RangeProfiler::stop_pass() {
  bool all_submitted = false;
  check_batch(call_stop(&all_submitted), "cuptiRangeProfilerStop");
  running_ = false;  // only once CUPTI has stopped: a failed Stop leaves it started
  return all_submitted;
}

RangeProfiler::Batch RangeProfiler::stop(bool synchronize, bool launched) {
  Batch b;
  if (!running_) return b;
  if (user_replay_) throw Error(ErrorKind::failure, "internal: a user-replay range profiler counts with replay()");
  if (synchronize) synchronize_context();
  // Kernel replay submits every pass of a kernel inside its launch, so one
  // Start/Stop covers all passes; anything else means the config did not fit.
  if (!stop_pass()) {
    // Nothing ran (a launch refused before enqueue, only graph launches, or a
    // stop with nothing launched): no pass had anything to submit. start()
    // re-initialises the image.
    if (!launched) return b;
    throw Error(ErrorKind::failure,
                "CUPTI kernel replay left passes unsubmitted; use a smaller metric set");
  }
  return decode();
}

RangeProfiler::Batch RangeProfiler::replay(const std::function<void()>& between,
                                           const std::function<void()>& pass,
                                           const std::function<bool()>& launched) {
  if (!user_replay_) throw Error(ErrorKind::failure, "internal: replay() needs a user-replay range profiler");
  // More passes than any metric plan needs (flopscope's take 1 to 4 on
  // GH100): CUPTI asking for more means the work differs between passes.
  constexpr int kMaxPasses = 16;
  start();
  for (int n = 1;; ++n) {
    try {
      pass();
      synchronize_context();
    } catch (...) {
      // Left running, the next batch's start() would return at once and its
      // Stop end this half-run pass: counts silently wrong.
      abandon_pass();
      throw;
    }
    if (stop_pass()) break;
    if (n == 1 && !launched()) return {};  // nothing to count: start() re-initialises the image
    if (n == kMaxPasses)
      throw Error(ErrorKind::failure, "CUPTI user replay asked for more than " + std::to_string(kMaxPasses) +
                                          " passes; the counted work must launch the same kernels every pass");
    between();
    start_pass();  // the next pass of the same batch: no new image, no new config
  }
  return decode();
}

RangeProfiler::Batch RangeProfiler::decode() {
  Batch b;
  auto dec = cupti_params<CUpti_RangeProfiler_DecodeData_Params>(CUpti_RangeProfiler_DecodeData_Params_STRUCT_SIZE);
  dec.pRangeProfilerObject = obj_;
  check_batch(cuptiRangeProfilerDecodeData(&dec), "cuptiRangeProfilerDecodeData");
  b.dropped = dec.numOfRangeDropped;
  b.image = image_;  // a copy: image_ stays registered with CUPTI for the next batch
  b.ranges = counter_data_ranges(b.image);
  return b;
}

}  // namespace flopscope::cupti

namespace flopscope {

std::string device_chip(int device) {
  cupti::driver_api();  // no_gpu without a driver or device
  cupti::profiler_initialize();
  return cupti::device_chip_name(device);
}

}  // namespace flopscope
