// CUDA-core and mma.sync ceilings.
//
// Arithmetic kernels: each thread runs independent dependency chains
// x = x * a + b (kChains of them, enough to hide the pipe latency at full
// occupancy), a and b are kernel arguments and x starts from a per-thread hash,
// so nothing can be folded at compile time; the chains are summed and stored
// only when the sum equals an impossible value, so the work is live but the
// store is never taken. The timed loop is `#pragma unroll 1`, so the SASS loop
// body holds exactly kChains * kUnroll FMAs (tests/ceilings/sass_test.cpp).
//
// mma.sync kernels: each warp keeps its A and B fragments in registers and
// kMmaChains independent accumulator tiles; the loop issues only mma.sync, no
// memory traffic.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "ceilings/device_util.cuh"
#include "ceilings/params.h"

namespace flopscope::ceilings::detail {

namespace p = params;

namespace {

// ---- CUDA-core FMAs ---------------------------------------------------------------

__device__ __forceinline__ float fma_op(float x, float a, float b) { return fmaf(x, a, b); }
__device__ __forceinline__ double fma_op(double x, double a, double b) { return fma(x, a, b); }
__device__ __forceinline__ __half2 fma_op(__half2 x, __half2 a, __half2 b) { return __hfma2(x, a, b); }
__device__ __forceinline__ __nv_bfloat162 fma_op(__nv_bfloat162 x, __nv_bfloat162 a,
                                                 __nv_bfloat162 b) {
  return __hfma2(x, a, b);
}

template <typename T> __device__ __forceinline__ T from_float(float v);
template <> __device__ __forceinline__ float from_float<float>(float v) { return v; }
template <> __device__ __forceinline__ double from_float<double>(float v) { return double(v); }
template <> __device__ __forceinline__ __half2 from_float<__half2>(float v) {
  return __floats2half2_rn(v, v * 0.5f);
}
template <> __device__ __forceinline__ __nv_bfloat162 from_float<__nv_bfloat162>(float v) {
  return __floats2bfloat162_rn(v, v * 0.5f);
}

__device__ __forceinline__ double to_double(float v) { return v; }
__device__ __forceinline__ double to_double(double v) { return v; }
__device__ __forceinline__ double to_double(__half2 v) {
  return double(__low2float(v)) + double(__high2float(v));
}
__device__ __forceinline__ double to_double(__nv_bfloat162 v) {
  return double(__low2float(v)) + double(__high2float(v));
}

/// The fixed point of x = x * a + b is b / (1 - a) = 1: the chains stay finite
/// for any trip count, in every precision.
template <typename T, int CHAINS, int UNROLL>
__global__ void __launch_bounds__(p::kCoreThreads) fma_kernel(const KernelArgs args) {
  const uint32_t tid = uint32_t(global_thread());
  const float af = 0.999f + 1e-4f * hash_unit(args.seed);  // not a compile-time constant
  const T a = from_float<T>(af);
  const T b = from_float<T>(1.0f - af);
  T x[CHAINS];
#pragma unroll
  for (int c = 0; c < CHAINS; ++c) x[c] = from_float<T>(1.0f + 0.5f * hash_unit(tid * CHAINS + c + args.seed));

  clock_begin(args);
#pragma unroll 1
  for (int t = 0; t < args.trips; ++t) {
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) {
#pragma unroll
      for (int c = 0; c < CHAINS; ++c) x[c] = fma_op(x[c], a, b);
    }
  }
  clock_end(args);

  double s = 0;
#pragma unroll
  for (int c = 0; c < CHAINS; ++c) s += to_double(x[c]);
  if (s == -1234.5) static_cast<double*>(args.sink)[tid] = s;  // never true: keeps the chains live
}

// ---- mma.sync -------------------------------------------------------------------------

enum MmaKind { kMmaF16 = 0, kMmaBF16 = 1, kMmaTF32 = 2 };

template <int KIND>
__device__ __forceinline__ void mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  if constexpr (KIND == kMmaF16) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  } else if constexpr (KIND == kMmaBF16) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
        "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
}

/// One 32-bit fragment register holding random operands in [-1, 1).
template <int KIND>
__device__ __forceinline__ uint32_t fragment(uint32_t key) {
  const float lo = hash_unit(key), hi = hash_unit(key ^ 0x5bd1e995U);
  if constexpr (KIND == kMmaF16) {
    const __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
  } else if constexpr (KIND == kMmaBF16) {
    const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
  } else {
    return __float_as_uint(lo) & 0xffffe000U;  // a TF32 value: 10 mantissa bits
  }
}

template <int KIND>
__global__ void __launch_bounds__(p::kMmaThreads) mma_kernel(const KernelArgs args) {
  const uint32_t tid = uint32_t(global_thread());
  uint32_t a[4], b[2];
#pragma unroll
  for (int i = 0; i < 4; ++i) a[i] = fragment<KIND>(args.seed + tid * 8 + i);
#pragma unroll
  for (int i = 0; i < 2; ++i) b[i] = fragment<KIND>(args.seed + tid * 8 + 4 + i);
  float d[p::kMmaChains][4];
#pragma unroll
  for (int c = 0; c < p::kMmaChains; ++c)
#pragma unroll
    for (int i = 0; i < 4; ++i) d[c][i] = hash_unit(tid * 16 + c * 4 + i);

  clock_begin(args);
#pragma unroll 1
  for (int t = 0; t < args.trips; ++t) {
#pragma unroll
    for (int u = 0; u < p::kMmaUnroll; ++u) {
#pragma unroll
      for (int c = 0; c < p::kMmaChains; ++c) mma<KIND>(d[c], a, b);
    }
  }
  clock_end(args);

  float s = 0;
#pragma unroll
  for (int c = 0; c < p::kMmaChains; ++c)
#pragma unroll
    for (int i = 0; i < 4; ++i) s += d[c][i];
  if (s == -1234.5f) static_cast<float*>(args.sink)[tid] = s;
}

}  // namespace

const void* core_kernel(Bench b) {
  switch (b) {
    case Bench::fp32_ffma:
      return reinterpret_cast<const void*>(&fma_kernel<float, p::kCoreChains, p::kCoreUnroll>);
    case Bench::fp16_hfma2:
      return reinterpret_cast<const void*>(&fma_kernel<__half2, p::kCoreChains, p::kCoreUnroll>);
    case Bench::bf16_hfma2:
      return reinterpret_cast<const void*>(&fma_kernel<__nv_bfloat162, p::kCoreChains, p::kCoreUnroll>);
    case Bench::fp64_dfma:
      return reinterpret_cast<const void*>(&fma_kernel<double, p::kFp64Chains, p::kFp64Unroll>);
    case Bench::fp16_mma_sync: return reinterpret_cast<const void*>(&mma_kernel<kMmaF16>);
    case Bench::bf16_mma_sync: return reinterpret_cast<const void*>(&mma_kernel<kMmaBF16>);
    case Bench::tf32_mma_sync: return reinterpret_cast<const void*>(&mma_kernel<kMmaTF32>);
    default: return nullptr;
  }
}

}  // namespace flopscope::ceilings::detail
