#include "session_errors.h"

#include <cuda_runtime_api.h>  // CUDART_VERSION and cudaDriverGetVersion (no CUPTI header here)
#include <dlfcn.h>

namespace flopscope::cupti {

// Values from cupti_result.h (CUDA 13.0); this file stays free of CUPTI headers.
namespace code {
constexpr int success = 0, invalid_parameter = 1, invalid_device = 2, invalid_context = 3,
              invalid_operation = 7, out_of_memory = 8, hardware = 9, not_ready = 13,
              not_compatible = 14, not_initialized = 15, invalid_metric_id = 16, invalid_metric_name = 17,
              disabled = 23, hardware_busy = 26,
              not_supported = 27, virtualized_device_not_supported = 33,
              insufficient_privileges = 35, old_profiler_api_initialized = 36,
              legacy_profiler_not_supported = 38, multiple_subscribers = 39,
              virtualized_device_insufficient_privileges = 40, confidential_computing = 41,
              cmp_device = 42, mig_device = 43, sli_device = 44, wsl_device = 45,
              invalid_chip_name = 46, unknown = 999;
}  // namespace code

std::string cupti_result_name(int r) {
  switch (r) {
    case code::success: return "CUPTI_SUCCESS";
    case code::invalid_parameter: return "CUPTI_ERROR_INVALID_PARAMETER";
    case code::invalid_device: return "CUPTI_ERROR_INVALID_DEVICE";
    case code::invalid_context: return "CUPTI_ERROR_INVALID_CONTEXT";
    case code::invalid_operation: return "CUPTI_ERROR_INVALID_OPERATION";
    case code::out_of_memory: return "CUPTI_ERROR_OUT_OF_MEMORY";
    case code::hardware: return "CUPTI_ERROR_HARDWARE";
    case code::not_ready: return "CUPTI_ERROR_NOT_READY";
    case code::not_compatible: return "CUPTI_ERROR_NOT_COMPATIBLE";
    case code::not_initialized: return "CUPTI_ERROR_NOT_INITIALIZED";
    case code::invalid_metric_id: return "CUPTI_ERROR_INVALID_METRIC_ID";
    case code::invalid_metric_name: return "CUPTI_ERROR_INVALID_METRIC_NAME";
    case code::disabled: return "CUPTI_ERROR_DISABLED";
    case code::hardware_busy: return "CUPTI_ERROR_HARDWARE_BUSY";
    case code::not_supported: return "CUPTI_ERROR_NOT_SUPPORTED";
    case code::virtualized_device_not_supported: return "CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED";
    case code::insufficient_privileges: return "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES";
    case code::old_profiler_api_initialized: return "CUPTI_ERROR_OLD_PROFILER_API_INITIALIZED";
    case code::legacy_profiler_not_supported: return "CUPTI_ERROR_LEGACY_PROFILER_NOT_SUPPORTED";
    case code::multiple_subscribers: return "CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED";
    case code::virtualized_device_insufficient_privileges:
      return "CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES";
    case code::confidential_computing: return "CUPTI_ERROR_CONFIDENTIAL_COMPUTING_NOT_SUPPORTED";
    case code::cmp_device: return "CUPTI_ERROR_CMP_DEVICE_NOT_SUPPORTED";
    case code::mig_device: return "CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED";
    case code::sli_device: return "CUPTI_ERROR_SLI_DEVICE_NOT_SUPPORTED";
    case code::wsl_device: return "CUPTI_ERROR_WSL_DEVICE_NOT_SUPPORTED";
    case code::invalid_chip_name: return "CUPTI_ERROR_INVALID_CHIP_NAME";
    case code::unknown: return "CUPTI_ERROR_UNKNOWN";
    default: return "CUPTI error " + std::to_string(r);
  }
}

int built_cuda_version() { return CUDART_VERSION; }

CuptiFailure describe_cupti_failure(int r, std::string_view call, std::string_view detail, int driver_version) {
  const std::string where = std::string(call) + " returned " + cupti_result_name(r);
  const std::string extra = detail.empty() ? "" : " (" + std::string(detail) + ")";
  CuptiFailure f;
  switch (r) {
    case code::insufficient_privileges:
    case code::virtualized_device_insufficient_privileges:
      f.kind = ErrorKind::no_gpu;
      f.message = "GPU performance counters are restricted to administrators (" + where + extra +
                  "): run as root or with CAP_SYS_ADMIN (or CAP_PERFMON), or load the NVIDIA "
                  "driver with NVreg_RestrictProfilingToAdminUsers=0 ('grep RmProfilingAdminOnly "
                  "/proc/driver/nvidia/params' shows 1 while restricted)";
      return f;
    case code::multiple_subscribers:
      f.kind = ErrorKind::no_gpu;
      f.message = "another profiler is already attached to this process" +
                  (detail.empty() ? std::string() : ": " + std::string(detail)) + " (" + where +
                  "); CUPTI allows one client per process, so run flopscope outside Nsight "
                  "Systems, Nsight Compute, cuda-gdb and compute-sanitizer";
      return f;
    case code::unknown:
    case code::not_initialized:
      f.kind = ErrorKind::no_gpu;
      if (const std::string old = driver_too_old_message(driver_version, built_cuda_version()); !old.empty()) {
        f.message = old + " (" + where + extra + ")";
        return f;
      }
      f.message = "CUPTI cannot reach a GPU (" + where + extra +
                  "): no NVIDIA driver or GPU is usable here (check nvidia-smi and "
                  "CUDA_VISIBLE_DEVICES)";
      return f;
    case code::hardware_busy:
      f.kind = ErrorKind::no_gpu;
      f.message = "the GPU's performance counters are in use by another tool (" + where + extra +
                  "): stop the other profiler or pause DCGM profiling ('dcgmi profile --pause')";
      return f;
    case code::not_supported:
    case code::not_compatible:
    case code::virtualized_device_not_supported:
    case code::confidential_computing:
    case code::cmp_device:
    case code::mig_device:
    case code::sli_device:
    case code::wsl_device:
    case code::invalid_chip_name:
    case code::invalid_device:
      f.kind = ErrorKind::no_gpu;
      f.message = "hardware counters are not supported on this GPU or configuration (" + where +
                  extra + "); flopscope falls back to timing only";
      f.timing_fallback = true;
      return f;
    case code::old_profiler_api_initialized:
    case code::legacy_profiler_not_supported:
      f.kind = ErrorKind::failure;
      f.message = "another part of this process uses CUPTI's older profiling API (" + where +
                  extra + "); the range profiler cannot run beside it";
      f.timing_fallback = true;
      return f;
    case code::out_of_memory:
      f.kind = ErrorKind::failure;
      f.message = "CUPTI ran out of memory (" + where + extra +
                  "); kernel replay saves and restores the device memory a kernel may touch, so it "
                  "needs free GPU memory: profile with less memory in use, fewer launches "
                  "(--launch-count) or a smaller metric set";
      return f;
    default:
      f.kind = ErrorKind::failure;
      f.message = "CUPTI call failed: " + where + extra;
      return f;
  }
}

void throw_host_failure(int result, std::string_view call, std::string_view detail,
                        const char* nvperf_library) {
  if (result == code::not_initialized || result == code::unknown) {
    if (void* lib = ::dlopen(nvperf_library, RTLD_LAZY | RTLD_LOCAL)) {
      ::dlclose(lib);
    } else {
      const char* why = ::dlerror();
      throw Error(ErrorKind::no_gpu,
                  "CUPTI's profiler host API could not start (" + std::string(call) +
                      " failed): " + nvperf_library +
                      ", which libcupti loads at run time, cannot be loaded (" + (why ? why : "not found") +
                      "); it ships beside libcupti in the CUDA toolkit: put that directory "
                      "(lib64 or extras/CUPTI/lib64) on LD_LIBRARY_PATH");
    }
  }
  throw_cupti_failure(result, call, detail);
}

void throw_cupti_failure(int result, std::string_view call, std::string_view detail) {
  int driver = 0;
  if ((result == code::unknown || result == code::not_initialized) && cudaDriverGetVersion(&driver) != cudaSuccess)
    driver = 0;
  throw CuptiError(result, describe_cupti_failure(result, call, detail, driver));
}

}  // namespace flopscope::cupti
