// The kernels of half_fma.h. `#pragma unroll 1` keeps the loop: each iteration
// runs exactly kHalfFmaPerIteration HFMA2 (checked by hand with cuobjdump -sass
// for sm_90a), so the FLOPs of two launches differ by the iterations between
// them times a known count, whatever else the compiler adds outside the loop
// (such as HFMA2.MMA constant moves, docs/collector.md).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "gpu/half_fma.h"

namespace flopscope::test {
namespace {

__global__ void scalar_hfma_kernel(__half* out, int iterations, __half a, __half b) {
  __half c = __float2half(float(threadIdx.x % 7) * 0.125f);
#pragma unroll 1
  for (int i = 0; i < iterations; ++i) {
#pragma unroll
    for (int j = 0; j < kHalfFmaPerIteration; ++j) c = __hfma(a, c, b);
  }
  out[2 * (blockIdx.x * blockDim.x + threadIdx.x)] = c;  // 4 bytes a thread, as the packed kernel
}

__global__ void packed_hfma_kernel(__half2* out, int iterations, __half2 a, __half2 b) {
  __half2 c = __floats2half2_rn(float(threadIdx.x % 7) * 0.125f, 0.5f);
#pragma unroll 1
  for (int i = 0; i < iterations; ++i) {
#pragma unroll
    for (int j = 0; j < kHalfFmaPerIteration; ++j) c = __hfma2(a, c, b);
  }
  out[blockIdx.x * blockDim.x + threadIdx.x] = c;
}

}  // namespace

int launch_half_fma(HalfFma kind, int iterations, void* out) {
  // a < 1 keeps c bounded: c -> b / (1 - a).
  if (kind == HalfFma::scalar) {
    scalar_hfma_kernel<<<kHalfFmaBlocks, kHalfFmaThreads>>>(static_cast<__half*>(out), iterations,
                                                            __float2half(0.5f), __float2half(0.25f));
  } else {
    packed_hfma_kernel<<<kHalfFmaBlocks, kHalfFmaThreads>>>(static_cast<__half2*>(out), iterations,
                                                            __floats2half2_rn(0.5f, 0.5f),
                                                            __floats2half2_rn(0.25f, 0.25f));
  }
  return int(cudaGetLastError());
}

}  // namespace flopscope::test
