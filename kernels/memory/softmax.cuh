#pragma once
// Row softmax y = softmax(x) over the rows of x[rows, cols], one CTA per row.
// Shared by the memory family (softmax.cu) and the naive attention (in place
// on the scores). A row whose entries are all -inf (a fully masked attention
// row) gives zeros.
//
// Memory-bound: each thread loads 16-byte vectors (when a row's start is
// 16-byte aligned: cols a multiple of 16 / sizeof(T)), keeps up to
// kSoftmaxCache of them in registers, so rows up to kThreads * kSoftmaxCache
// vectors are read once and written once; longer rows re-read the rest (from
// L2) in each pass. A row gets the fewest threads that hold it
// (softmax_threads in memory/softmax_threads.h), from 32 to 256.
#include <cuda_runtime.h>

#include <cstdint>

#include "common/cuda_util.cuh"
#include "common/dtype.cuh"
#include "memory/softmax_threads.h"

namespace flopscope::kernels::memory {

template <class T, int kVec>
struct alignas(sizeof(T) * kVec) Pack {
  T v[kVec];
};

/// Block-wide reduction of one float with `op` over kThreads threads; every
/// thread gets the result.
template <int kThreads, class Op>
__device__ __forceinline__ float block_reduce(float x, Op op, float* scratch) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x = op(x, __shfl_xor_sync(0xffffffffu, x, o));
  const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
  constexpr int kWarps = kThreads / 32;
  __syncthreads();  // scratch is free (a previous reduction may still be reading it)
  if (lane == 0) scratch[warp] = x;
  __syncthreads();
  x = scratch[lane % kWarps];
#pragma unroll
  for (int o = kWarps / 2; o > 0; o >>= 1) x = op(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}

/// Blocks per SM that __launch_bounds__ asks room for: 1280 threads, at most
/// 51 registers a thread (the 48 the 256-thread bf16 kernel takes), so that a
/// narrower CTA buys more loads in flight rather than more registers; at most
/// 32, the resident-block limit of sm_80 and sm_90.
template <int kThreads>
constexpr int softmax_min_blocks() {
  return 1280 / kThreads < 32 ? 1280 / kThreads : 32;
}

template <class T, int kVec, int kThreads>
__global__ void __launch_bounds__(kThreads, softmax_min_blocks<kThreads>())
    softmax_rows_kernel(const T* x, T* y, int64_t cols) {
  static_assert(kThreads % 32 == 0 && kThreads <= kSoftmaxMaxThreads, "whole warps, at most 8 of them");
  using P = Pack<T, kVec>;
  using Tr = DTypeTraits<T>;
  constexpr float kLog2e = 1.4426950408889634f;
  __shared__ float scratch[kThreads / 32];
  const int64_t packs = cols / kVec;
  const P* xr = reinterpret_cast<const P*>(x + int64_t(blockIdx.x) * cols);
  P* yr = reinterpret_cast<P*>(y + int64_t(blockIdx.x) * cols);
  const int64_t tid = threadIdx.x;

  // Pass 1: the row max. The first kCache vectors of each thread stay in registers.
  float cache[kSoftmaxCache][kVec];
  float mx = -INFINITY;
#pragma unroll
  for (int i = 0; i < kSoftmaxCache; ++i) {
    const int64_t p = tid + int64_t(i) * kThreads;
    if (p < packs) {
      const P in = xr[p];
#pragma unroll
      for (int e = 0; e < kVec; ++e) {
        cache[i][e] = Tr::to_float(in.v[e]);
        mx = fmaxf(mx, cache[i][e]);
      }
    }
  }
#pragma unroll 1
  for (int64_t p = tid + kSoftmaxCache * kThreads; p < packs; p += kThreads) {
    const P in = xr[p];
#pragma unroll
    for (int e = 0; e < kVec; ++e) mx = fmaxf(mx, Tr::to_float(in.v[e]));
  }
  mx = block_reduce<kThreads>(mx, [](float a, float b) { return fmaxf(a, b); }, scratch);
  // All -inf: every exp below is 0 and so is the output (no -inf - -inf NaN).
  const float shift = mx == -INFINITY ? 0.0f : mx * kLog2e;

  // Pass 2: the sum of exp(x - max); cached entries become their exponentials.
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < kSoftmaxCache; ++i) {
    if (tid + int64_t(i) * kThreads < packs) {
#pragma unroll
      for (int e = 0; e < kVec; ++e) {
        cache[i][e] = exp2f(fmaf(cache[i][e], kLog2e, -shift));
        sum += cache[i][e];
      }
    }
  }
#pragma unroll 1
  for (int64_t p = tid + kSoftmaxCache * kThreads; p < packs; p += kThreads) {
    const P in = xr[p];
#pragma unroll
    for (int e = 0; e < kVec; ++e) sum += exp2f(fmaf(Tr::to_float(in.v[e]), kLog2e, -shift));
  }
  sum = block_reduce<kThreads>(sum, [](float a, float b) { return a + b; }, scratch);
  const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;

  // Pass 3: write.
#pragma unroll
  for (int i = 0; i < kSoftmaxCache; ++i) {
    const int64_t p = tid + int64_t(i) * kThreads;
    if (p < packs) {
      P out;
#pragma unroll
      for (int e = 0; e < kVec; ++e) out.v[e] = Tr::from_float(cache[i][e] * inv);
      yr[p] = out;
    }
  }
#pragma unroll 1
  for (int64_t p = tid + kSoftmaxCache * kThreads; p < packs; p += kThreads) {
    const P in = xr[p];
    P out;
#pragma unroll
    for (int e = 0; e < kVec; ++e)
      out.v[e] = Tr::from_float(exp2f(fmaf(Tr::to_float(in.v[e]), kLog2e, -shift)) * inv);
    yr[p] = out;
  }
}

/// One CTA of softmax_threads(cols / kVec) threads per row.
template <class T, int kVec>
void launch_softmax_rows(const T* x, T* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  const unsigned grid = unsigned(rows);
  switch (softmax_threads(cols / kVec)) {
    case 32: softmax_rows_kernel<T, kVec, 32><<<grid, 32, 0, stream>>>(x, y, cols); break;
    case 64: softmax_rows_kernel<T, kVec, 64><<<grid, 64, 0, stream>>>(x, y, cols); break;
    case 128: softmax_rows_kernel<T, kVec, 128><<<grid, 128, 0, stream>>>(x, y, cols); break;
    default: softmax_rows_kernel<T, kVec, 256><<<grid, 256, 0, stream>>>(x, y, cols); break;
  }
}

/// y = softmax(x) by rows; x == y is allowed. Vectorized when every row starts
/// on a 16-byte boundary, element-wise otherwise.
template <class T>
Status softmax_rows(const T* x, T* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  constexpr int kVec = 16 / int(sizeof(T));
  if (rows > 0x7fffffff) return Status::error(1, "softmax: more than 2^31-1 rows");
  const bool aligned = cols % kVec == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(y) % 16 == 0;
  if (aligned)
    launch_softmax_rows<T, kVec>(x, y, rows, cols, stream);
  else
    launch_softmax_rows<T, 1>(x, y, rows, cols, stream);
  return launch_status("softmax_rows");
}

}  // namespace flopscope::kernels::memory
