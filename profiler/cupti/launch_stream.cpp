#include "launch_stream.h"

#include <cuda_runtime_api.h>
#include <cupti.h>  // the launch parameter structs (generated_cuda*_meta.h), as NVIDIA's samples include them

#include <atomic>
#include <cstddef>
#include <exception>

#include "range_profiler.h"

namespace flopscope::cupti {
namespace {

// CUDA 13's `<<<>>>` launches call __cudaLaunchKernel(_ptsz), whose CUPTI
// parameter struct generated_cuda_runtime_api_meta.h does not declare. CUPTI
// generates these structs from the prototypes (crt/device_functions.h), so it
// is laid out like cudaLaunchKernel's: a kernel handle, grid, block, args,
// shared memory, stream. (Unverified on a GPU: ProfileGpu.CountersDoNotBreakStreamCapture.)
struct LaunchKernelV13000Params {
  cudaKernel_t kernel;
  dim3 gridDim;
  dim3 blockDim;
  void** args;
  size_t sharedMem;
  cudaStream_t stream;
};
static_assert(sizeof(LaunchKernelV13000Params) == sizeof(cudaLaunchKernel_v7000_params) &&
              offsetof(LaunchKernelV13000Params, stream) == offsetof(cudaLaunchKernel_v7000_params, stream));

// A _ptsz launch on the null stream means this thread's default stream.
CUstream per_thread(CUstream s) { return s ? s : CU_STREAM_PER_THREAD; }
CUstream from_runtime(cudaStream_t s) { return reinterpret_cast<CUstream>(s); }

}  // namespace

bool launch_stream(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params, CUstream* stream) {
  if (!params || !stream) return false;
  if (domain == CUPTI_CB_DOMAIN_DRIVER_API) {
    switch (cbid) {
      case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel:
        *stream = static_cast<const cuLaunchKernel_params*>(params)->hStream;
        return true;
      case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz:
        *stream = per_thread(static_cast<const cuLaunchKernel_ptsz_params*>(params)->hStream);
        return true;
      case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel:
        *stream = static_cast<const cuLaunchCooperativeKernel_params*>(params)->hStream;
        return true;
      case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz:
        *stream = per_thread(static_cast<const cuLaunchCooperativeKernel_ptsz_params*>(params)->hStream);
        return true;
      case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx: {
        const CUlaunchConfig* c = static_cast<const cuLaunchKernelEx_params*>(params)->config;
        if (!c) return false;
        *stream = c->hStream;
        return true;
      }
      case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz: {
        const CUlaunchConfig* c = static_cast<const cuLaunchKernelEx_ptsz_params*>(params)->config;
        if (!c) return false;
        *stream = per_thread(c->hStream);
        return true;
      }
      case CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch:
        *stream = static_cast<const cuGraphLaunch_params*>(params)->hStream;
        return true;
      case CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch_ptsz:
        *stream = per_thread(static_cast<const cuGraphLaunch_ptsz_params*>(params)->hStream);
        return true;
      default: return false;
    }
  }
  if (domain == CUPTI_CB_DOMAIN_RUNTIME_API) {
    switch (cbid) {
      case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000:
        *stream = from_runtime(static_cast<const cudaLaunchKernel_v7000_params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000:
        *stream = per_thread(from_runtime(static_cast<const cudaLaunchKernel_ptsz_v7000_params*>(params)->stream));
        return true;
      case CUPTI_RUNTIME_TRACE_CBID___cudaLaunchKernel_v13000:
        *stream = from_runtime(static_cast<const LaunchKernelV13000Params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID___cudaLaunchKernel_ptsz_v13000:
        *stream = per_thread(from_runtime(static_cast<const LaunchKernelV13000Params*>(params)->stream));
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_v9000:
        *stream = from_runtime(static_cast<const cudaLaunchCooperativeKernel_v9000_params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_ptsz_v9000:
        *stream = per_thread(
            from_runtime(static_cast<const cudaLaunchCooperativeKernel_ptsz_v9000_params*>(params)->stream));
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_v11060: {
        const cudaLaunchConfig_t* c = static_cast<const cudaLaunchKernelExC_v11060_params*>(params)->config;
        if (!c) return false;
        *stream = from_runtime(c->stream);
        return true;
      }
      case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_ptsz_v11060: {
        const cudaLaunchConfig_t* c = static_cast<const cudaLaunchKernelExC_ptsz_v11060_params*>(params)->config;
        if (!c) return false;
        *stream = per_thread(from_runtime(c->stream));
        return true;
      }
      case CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_v10000:
        *stream = from_runtime(static_cast<const cudaGraphLaunch_v10000_params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_ptsz_v10000:
        *stream = per_thread(from_runtime(static_cast<const cudaGraphLaunch_ptsz_v10000_params*>(params)->stream));
        return true;
      default: return false;
    }
  }
  return false;
}

LaunchCapture launch_capture(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params) {
  // Asked at every launch: once the driver's entry points cannot be had, say
  // so with a branch, not an exception per launch.
  static std::atomic<bool> no_driver{false};
  CUstream stream = nullptr;
  if (!launch_stream(domain, cbid, params, &stream)) return LaunchCapture::no;
  if (no_driver.load(std::memory_order_relaxed)) return LaunchCapture::unknown;
  try {
    CUstreamCaptureStatus st = CU_STREAM_CAPTURE_STATUS_NONE;
    if (driver_api().stream_is_capturing(stream, &st) != CUDA_SUCCESS) return LaunchCapture::unknown;
    return st == CU_STREAM_CAPTURE_STATUS_NONE ? LaunchCapture::no : LaunchCapture::yes;
  } catch (const std::exception&) {
    no_driver.store(true, std::memory_order_relaxed);
    return LaunchCapture::unknown;
  }
}

bool launch_is_captured(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params) {
  return launch_capture(domain, cbid, params) != LaunchCapture::no;
}

}  // namespace flopscope::cupti
