// wgmma ceilings (sm_90a only): BF16 and FP16 m64n256k16, and TF32 m64n256k8,
// from shared memory.
//
// One warpgroup per block fills a 64-row A tile and a 256-row B tile of 128-byte
// rows (64 bf16/fp16 or 32 tf32 values; 128-byte swizzled, K-major, as a TMA
// load would leave them) with hashed values, then
// issues kWgmmaPerTrip wgmma instructions per trip into one 64x256 FP32
// accumulator (128 registers per thread): the tensor cores read shared memory
// through descriptors and nothing else touches memory in the loop. The sum of
// the accumulators is stored only when it equals an impossible value.
//
// The body exists only in the sm_90a pass (__CUDA_ARCH_FEAT_SM90_ALL); other
// passes compile an empty kernel, and the host sees did_run == 0 and reports
// the benchmark as skipped instead of timing nothing.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

#include "ceilings/device_util.cuh"
#include "ceilings/params.h"
#include "common/sm90_ptx.cuh"
#include "common/wgmma_layout.h"

namespace flopscope::ceilings::detail {

namespace p = params;

namespace {

enum WgmmaKind { kWgmmaF16 = 0, kWgmmaBF16 = 1, kWgmmaTF32 = 2 };

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

/// One K-step (32 bytes of every row) with K-major A and B: m64n256k16 for
/// FP16/BF16 (common/sm90_ptx.cuh, imm-trans-b 0), m64n256k8 for TF32.
template <int KIND>
__device__ __forceinline__ void wgmma_step(float (&d)[128], uint64_t desc_a, uint64_t desc_b) {
  if constexpr (KIND == kWgmmaTF32) {
    kernels::sm90::wgmma_m64n256k8_tf32(d, desc_a, desc_b);
  } else {
    using T = std::conditional_t<KIND == kWgmmaF16, __half, __nv_bfloat16>;
    kernels::sm90::wgmma_m64n256k16<T, 0>(d, desc_a, desc_b);
  }
}

/// A 32-bit word of the tiles from two hashed values in [-1, 1): two packed
/// 16-bit values, or one TF32 value (an FP32 with its low 13 mantissa bits clear).
template <int KIND>
__device__ __forceinline__ uint32_t tile_word(float lo, float hi) {
  if constexpr (KIND == kWgmmaTF32) {
    (void)hi;
    return __float_as_uint(lo) & 0xffffe000U;
  } else if constexpr (KIND == kWgmmaF16) {
    const __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
  } else {
    const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
  }
}

/// A shared-memory matrix descriptor: K-major, 128-byte swizzle, 8 rows of
/// 128 bytes per 1024-byte swizzle atom (stride byte offset 1024; the leading
/// byte offset is unused for swizzled K-major layouts).
__device__ __forceinline__ uint64_t smem_desc(uint32_t smem_addr) {
  return kernels::wgmma::smem_desc(smem_addr, 16, kernels::wgmma::kSwizzleAtomBytes,
                                   kernels::wgmma::Swizzle::b128);
}

#endif  // __CUDA_ARCH_FEAT_SM90_ALL

template <int KIND>
__global__ void __launch_bounds__(p::kWgmmaThreads, 1) wgmma_bench_kernel(const KernelArgs args) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  // A (64 rows, 128 bytes each) and B (256 rows), as 32-bit words.
  constexpr int kRowWords = p::kWgmmaRowBytes / 4;
  constexpr int kA = p::kWgmmaM * kRowWords, kB = p::kWgmmaN * kRowWords;
  __shared__ __align__(1024) uint32_t a_tile[kA];
  __shared__ __align__(1024) uint32_t b_tile[kB];
  const uint32_t tid = uint32_t(global_thread());
  for (int i = threadIdx.x; i < kA + kB; i += blockDim.x) {
    const uint32_t key = args.seed ^ (tid * 0x9e3779b9U) ^ uint32_t(2 * i);
    const uint32_t w = tile_word<KIND>(hash_unit(key), hash_unit(key ^ 1U));
    if (i < kA) a_tile[i] = w;
    else b_tile[i - kA] = w;
  }
  // Ordinary stores read next by the tensor cores (the async proxy).
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  __syncthreads();

  const uint64_t desc_a = smem_desc(uint32_t(__cvta_generic_to_shared(a_tile)));
  const uint64_t desc_b = smem_desc(uint32_t(__cvta_generic_to_shared(b_tile)));
  float d[128];
#pragma unroll
  for (int i = 0; i < 128; ++i) d[i] = 0.0f;

  clock_begin(args);
#pragma unroll 1
  for (int t = 0; t < args.trips; ++t) {
    kernels::sm90::wgmma_fence();
#pragma unroll
    for (int r = 0; r < p::kWgmmaRepeats; ++r) {
#pragma unroll
      for (int k = 0; k < p::kWgmmaKSteps; ++k) {
        // Each K step is 32 bytes further: +2 in the descriptor's 16-byte units.
        wgmma_step<KIND>(d, desc_a + 2 * k, desc_b + 2 * k);
      }
    }
    kernels::sm90::wgmma_commit();
    kernels::sm90::wgmma_wait<0>();
  }
#pragma unroll
  for (int i = 0; i < 128; ++i) kernels::sm90::fence_operand(d[i]);
  clock_end(args);

  float s = 0;
#pragma unroll
  for (int i = 0; i < 128; ++i) s += d[i];
  if (s == -1234.5f) static_cast<float*>(args.sink)[tid] = s;
  if (tid == 0) *args.did_run = 1;
#else
  (void)args;  // not an sm_90a pass: nothing runs, did_run stays 0
#endif
}

}  // namespace

const void* wgmma_kernel(Bench b) {
  switch (b) {
    case Bench::fp16_wgmma: return reinterpret_cast<const void*>(&wgmma_bench_kernel<kWgmmaF16>);
    case Bench::bf16_wgmma: return reinterpret_cast<const void*>(&wgmma_bench_kernel<kWgmmaBF16>);
    case Bench::tf32_wgmma: return reinterpret_cast<const void*>(&wgmma_bench_kernel<kWgmmaTF32>);
    default: return nullptr;
  }
}

}  // namespace flopscope::ceilings::detail
