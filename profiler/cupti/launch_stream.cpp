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

// CUDA 12.8's batch copies, still called by applications built with it. Their
// structs are in generated_cudart_removed_meta.h, which needs a cudart_removed.h
// the toolkit does not ship; these are its layouts.
struct cudaMemcpyBatchAsync_v12080_params {
  void** dsts;
  void** srcs;
  size_t* sizes;
  size_t count;
  cudaMemcpyAttributes* attrs;
  size_t* attrsIdxs;
  size_t numAttrs;
  size_t* failIdx;
  cudaStream_t stream;
};
using cudaMemcpyBatchAsync_ptsz_v12080_params = cudaMemcpyBatchAsync_v12080_params;
struct cudaMemcpy3DBatchAsync_v12080_params {
  size_t numOps;
  cudaMemcpy3DBatchOp* opList;
  size_t* failIdx;
  unsigned long long flags;
  cudaStream_t stream;
};
using cudaMemcpy3DBatchAsync_ptsz_v12080_params = cudaMemcpy3DBatchAsync_v12080_params;

// Copy and memset calls by how their stream is known: named in the parameters
// (`stream` in the runtime's structs, `hStream` in the driver's; 0 in a _ptsz
// call is the per-thread stream), or, for the synchronous _ptds calls, always
// the per-thread stream. The legacy stream's synchronous calls are not listed:
// that stream cannot be captured. Every cudaMemcpy*/cudaMemset*/cuMemcpy*/
// cuMemset* callback of CUDA 13.0's CUPTI is in one of these lists or is such a call.
#define FLOPSCOPE_RUNTIME_ASYNC(X) \
  X(cudaMemcpy2DAsync_v3020) X(cudaMemcpy2DFromArrayAsync_v3020) X(cudaMemcpy2DToArrayAsync_v3020) \
  X(cudaMemcpy3DAsync_v3020) X(cudaMemcpy3DBatchAsync_v12080) X(cudaMemcpy3DBatchAsync_v13000) \
  X(cudaMemcpy3DPeerAsync_v4000) X(cudaMemcpyAsync_v3020) X(cudaMemcpyBatchAsync_v12080) \
  X(cudaMemcpyBatchAsync_v13000) X(cudaMemcpyFromArrayAsync_v3020) X(cudaMemcpyFromSymbolAsync_v3020) \
  X(cudaMemcpyPeerAsync_v4000) X(cudaMemcpyToArrayAsync_v3020) X(cudaMemcpyToSymbolAsync_v3020) \
  X(cudaMemset2DAsync_v3020) X(cudaMemset3DAsync_v3020) X(cudaMemsetAsync_v3020)
#define FLOPSCOPE_RUNTIME_ASYNC_PTSZ(X) \
  X(cudaMemcpy2DAsync_ptsz_v7000) X(cudaMemcpy2DFromArrayAsync_ptsz_v7000) X(cudaMemcpy2DToArrayAsync_ptsz_v7000) \
  X(cudaMemcpy3DAsync_ptsz_v7000) X(cudaMemcpy3DBatchAsync_ptsz_v12080) X(cudaMemcpy3DBatchAsync_ptsz_v13000) \
  X(cudaMemcpy3DPeerAsync_ptsz_v7000) X(cudaMemcpyAsync_ptsz_v7000) X(cudaMemcpyBatchAsync_ptsz_v12080) \
  X(cudaMemcpyBatchAsync_ptsz_v13000) X(cudaMemcpyFromArrayAsync_ptsz_v7000) X(cudaMemcpyFromSymbolAsync_ptsz_v7000) \
  X(cudaMemcpyToArrayAsync_ptsz_v7000) X(cudaMemcpyToSymbolAsync_ptsz_v7000) X(cudaMemset2DAsync_ptsz_v7000) \
  X(cudaMemset3DAsync_ptsz_v7000) X(cudaMemsetAsync_ptsz_v7000)
#define FLOPSCOPE_DRIVER_ASYNC(X) \
  X(cuMemcpy2DAsync) X(cuMemcpy2DAsync_v2) X(cuMemcpy3DAsync) X(cuMemcpy3DAsync_v2) \
  X(cuMemcpy3DBatchAsync) X(cuMemcpy3DBatchAsync_v2) X(cuMemcpy3DPeerAsync) X(cuMemcpyAsync) \
  X(cuMemcpyAtoHAsync) X(cuMemcpyAtoHAsync_v2) X(cuMemcpyBatchAsync) X(cuMemcpyBatchAsync_v2) \
  X(cuMemcpyDtoDAsync) X(cuMemcpyDtoDAsync_v2) X(cuMemcpyDtoHAsync) X(cuMemcpyDtoHAsync_v2) \
  X(cuMemcpyHtoAAsync) X(cuMemcpyHtoAAsync_v2) X(cuMemcpyHtoDAsync) X(cuMemcpyHtoDAsync_v2) \
  X(cuMemcpyPeerAsync) X(cuMemsetD16Async) X(cuMemsetD2D16Async) X(cuMemsetD2D32Async) \
  X(cuMemsetD2D8Async) X(cuMemsetD32Async) X(cuMemsetD8Async)
#define FLOPSCOPE_DRIVER_ASYNC_PTSZ(X) \
  X(cuMemcpy2DAsync_v2_ptsz) X(cuMemcpy3DAsync_v2_ptsz) X(cuMemcpy3DBatchAsync_ptsz) X(cuMemcpy3DBatchAsync_v2_ptsz) \
  X(cuMemcpy3DPeerAsync_ptsz) X(cuMemcpyAsync_ptsz) X(cuMemcpyAtoHAsync_v2_ptsz) X(cuMemcpyBatchAsync_ptsz) \
  X(cuMemcpyBatchAsync_v2_ptsz) X(cuMemcpyDtoDAsync_v2_ptsz) X(cuMemcpyDtoHAsync_v2_ptsz) X(cuMemcpyHtoAAsync_v2_ptsz) \
  X(cuMemcpyHtoDAsync_v2_ptsz) X(cuMemcpyPeerAsync_ptsz) X(cuMemsetD16Async_ptsz) X(cuMemsetD2D16Async_ptsz) \
  X(cuMemsetD2D32Async_ptsz) X(cuMemsetD2D8Async_ptsz) X(cuMemsetD32Async_ptsz) X(cuMemsetD8Async_ptsz)
#define FLOPSCOPE_RUNTIME_PTDS(X) \
  X(cudaMemcpy2DArrayToArray_ptds_v7000) X(cudaMemcpy2DFromArray_ptds_v7000) X(cudaMemcpy2DToArray_ptds_v7000) \
  X(cudaMemcpy2D_ptds_v7000) X(cudaMemcpy3DPeer_ptds_v7000) X(cudaMemcpy3D_ptds_v7000) \
  X(cudaMemcpyArrayToArray_ptds_v7000) X(cudaMemcpyFromArray_ptds_v7000) X(cudaMemcpyFromSymbol_ptds_v7000) \
  X(cudaMemcpyToArray_ptds_v7000) X(cudaMemcpyToSymbol_ptds_v7000) X(cudaMemcpy_ptds_v7000) \
  X(cudaMemset2D_ptds_v7000) X(cudaMemset3D_ptds_v7000) X(cudaMemset_ptds_v7000)
#define FLOPSCOPE_DRIVER_PTDS(X) \
  X(cuMemcpy2DUnaligned_v2_ptds) X(cuMemcpy2D_v2_ptds) X(cuMemcpy3DPeer_ptds) X(cuMemcpy3D_v2_ptds) \
  X(cuMemcpyAtoA_v2_ptds) X(cuMemcpyAtoD_v2_ptds) X(cuMemcpyAtoH_v2_ptds) X(cuMemcpyDtoA_v2_ptds) \
  X(cuMemcpyDtoD_v2_ptds) X(cuMemcpyDtoH_v2_ptds) X(cuMemcpyHtoA_v2_ptds) X(cuMemcpyHtoD_v2_ptds) \
  X(cuMemcpyPeer_ptds) X(cuMemcpy_ptds) X(cuMemsetD16_v2_ptds) X(cuMemsetD2D16_v2_ptds) \
  X(cuMemsetD2D32_v2_ptds) X(cuMemsetD2D8_v2_ptds) X(cuMemsetD32_v2_ptds) X(cuMemsetD8_v2_ptds)

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

bool copy_stream(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params, CUstream* stream) {
  if (!params || !stream) return false;
  if (domain == CUPTI_CB_DOMAIN_DRIVER_API) {
    switch (cbid) {
#define X(name)                                                                 \
  case CUPTI_DRIVER_TRACE_CBID_##name:                                          \
    *stream = static_cast<const name##_params*>(params)->hStream;               \
    return true;
      FLOPSCOPE_DRIVER_ASYNC(X)
#undef X
#define X(name)                                                                 \
  case CUPTI_DRIVER_TRACE_CBID_##name:                                          \
    *stream = per_thread(static_cast<const name##_params*>(params)->hStream);   \
    return true;
      FLOPSCOPE_DRIVER_ASYNC_PTSZ(X)
#undef X
#define X(name) case CUPTI_DRIVER_TRACE_CBID_##name:
      FLOPSCOPE_DRIVER_PTDS(X)
#undef X
        *stream = CU_STREAM_PER_THREAD;
        return true;
      default: return false;
    }
  }
  if (domain == CUPTI_CB_DOMAIN_RUNTIME_API) {
    switch (cbid) {
#define X(name)                                                                           \
  case CUPTI_RUNTIME_TRACE_CBID_##name:                                                   \
    *stream = from_runtime(static_cast<const name##_params*>(params)->stream);            \
    return true;
      FLOPSCOPE_RUNTIME_ASYNC(X)
#undef X
#define X(name)                                                                           \
  case CUPTI_RUNTIME_TRACE_CBID_##name:                                                   \
    *stream = per_thread(from_runtime(static_cast<const name##_params*>(params)->stream)); \
    return true;
      FLOPSCOPE_RUNTIME_ASYNC_PTSZ(X)
#undef X
#define X(name) case CUPTI_RUNTIME_TRACE_CBID_##name:
      FLOPSCOPE_RUNTIME_PTDS(X)
#undef X
        *stream = CU_STREAM_PER_THREAD;
        return true;
      default: return false;
    }
  }
  return false;
}

namespace {

LaunchCapture capture_of(CUstream stream) {
  // Asked at every launch and copy: once the driver's entry points cannot be
  // had, say so with a branch, not an exception per call.
  static std::atomic<bool> no_driver{false};
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

}  // namespace

LaunchCapture launch_capture(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params) {
  CUstream stream = nullptr;
  if (!launch_stream(domain, cbid, params, &stream)) return LaunchCapture::no;
  return capture_of(stream);
}

bool call_stream(ApiKind kind, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params,
                 CUstream* stream) {
  switch (kind) {
    case ApiKind::kernel_launch:
    case ApiKind::graph_launch: return launch_stream(domain, cbid, params, stream);
    case ApiKind::memcpy:
    case ApiKind::memcpy_batch:
    case ApiKind::memset: return copy_stream(domain, cbid, params, stream);
    case ApiKind::other: return false;
  }
  return false;
}

LaunchCapture call_capture(ApiKind kind, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params) {
  CUstream stream = nullptr;
  if (!call_stream(kind, domain, cbid, params, &stream)) return LaunchCapture::no;
  return capture_of(stream);
}

bool launch_is_captured(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params) {
  return launch_capture(domain, cbid, params) != LaunchCapture::no;
}

}  // namespace flopscope::cupti
