#pragma once
// Thin wrappers over the sm_90a PTX of the Hopper kernels: wgmma (warpgroup
// MMA from shared-memory descriptors), TMA tensor loads, mbarriers and
// setmaxnreg. One place, so gemm/wgmma.cuh and ceilings/wgmma.cu spell them the
// same way. Descriptor encoding and layouts: common/wgmma_layout.h.
//
// Everything here exists only in the sm_90a device pass (__CUDA_ARCH_FEAT_SM90_ALL):
// other passes and the host pass see nothing, so a caller guards its use with
// the same macro and compiles a body-less kernel elsewhere.
#include <cstdint>

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

namespace flopscope::kernels::sm90 {

// ---- wgmma ---------------------------------------------------------------------

/// Orders prior register writes (accumulators) before the next wgmma.mma_async.
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
/// Closes the wgmma.mma_async issued since the last commit into one group.
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
/// Waits until at most `N` committed wgmma groups are still in flight.
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
/// Keeps the compiler from moving reads or writes of an accumulator across a
/// wgmma fence/commit (it cannot see that wgmma.mma_async writes it late).
__device__ __forceinline__ void fence_operand(float& r) { asm volatile("" : "+f"(r)::"memory"); }

// wgmma.mma_async m64n256kK, FP32 accumulate, both operands from shared
// memory: D = A * B + (scale_d ? D : 0). SHAPE_TYPES names the shape and the
// types ("m64n256k16.f32.bf16.bf16"); IMMEDIATES are the scale-a, scale-b (1: no
// negation) and, for 16-bit inputs only, imm-trans-a (0: K-major A) and
// imm-trans-b (%131 = TRANS_B: 0 K-major, 1 MN-major B). TF32 has no transpose
// immediates: both operands are K-major. The operand list is the 128 accumulator registers.
#define FLOPSCOPE_WGMMA_M64N256(SHAPE_TYPES, IMMEDIATES, TRANS_B)                                \
  asm volatile(                                                                                  \
      "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"                                              \
      "wgmma.mma_async.sync.aligned." SHAPE_TYPES " {"                                           \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15,"                    \
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31,"          \
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47,"          \
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63,"          \
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79,"          \
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95,"          \
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111," \
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127" \
      "}, %128, %129, p, " IMMEDIATES ";\n}\n"                                                \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]),       \
        "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]),  \
        "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]),            \
        "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]),            \
        "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),            \
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]),            \
        "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]),            \
        "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]),            \
        "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),            \
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]),            \
        "+f"(d[62]), "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]),            \
        "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]),            \
        "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),            \
        "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]),            \
        "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]),            \
        "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]),            \
        "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),        \
        "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]),      \
        "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]),      \
        "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]),      \
        "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])       \
      : "l"(desc_a), "l"(desc_b), "r"(scale_d), "n"(TRANS_B))

/// One wgmma.m64n256k16 with FP32 accumulators; T is __half or __nv_bfloat16.
template <class T, int TransB>
__device__ __forceinline__ void wgmma_m64n256k16(float (&d)[128], uint64_t desc_a, uint64_t desc_b,
                                                 int scale_d = 1) {
  static_assert(TransB == 0 || TransB == 1, "imm-trans-b is 0 (K-major B) or 1 (MN-major B)");
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    FLOPSCOPE_WGMMA_M64N256("m64n256k16.f32.bf16.bf16", "1, 1, 0, %131", TransB);
  } else {
    static_assert(std::is_same_v<T, __half>, "wgmma_m64n256k16: FP16 or BF16 inputs");
    FLOPSCOPE_WGMMA_M64N256("m64n256k16.f32.f16.f16", "1, 1, 0, %131", TransB);
  }
}

/// One wgmma.m64n256k8 with TF32 inputs (32-bit words whose low 13 mantissa
/// bits the tensor cores ignore) and FP32 accumulators; A and B both K-major.
__device__ __forceinline__ void wgmma_m64n256k8_tf32(float (&d)[128], uint64_t desc_a, uint64_t desc_b,
                                                     int scale_d = 1) {
  FLOPSCOPE_WGMMA_M64N256("m64n256k8.f32.tf32.tf32", "1, 1", 0);
}
#undef FLOPSCOPE_WGMMA_M64N256

// ---- mbarrier --------------------------------------------------------------------

__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
/// Makes mbarrier initializations visible to the async proxy (TMA) and the other threads.
__device__ __forceinline__ void fence_barrier_init() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}
/// Arrives once and adds `bytes` to the transactions the current phase waits for.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes)
               : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
/// True once the phase of parity `parity` has completed (may suspend a while first).
__device__ __forceinline__ bool mbar_try_wait(uint32_t bar, uint32_t parity) {
  uint32_t done;
  asm volatile(
      "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
      : "=r"(done)
      : "r"(bar), "r"(parity)
      : "memory");
  return done != 0;
}
__device__ __forceinline__ uint64_t globaltimer_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
/// Waits for the phase of parity `parity`. A wait that lasts `limit_ns` traps
/// (the launch fails with an error) instead of hanging: a barrier that never
/// completes is a bug, and a hung GPU test tells nobody which one.
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity, uint64_t limit_ns = 10'000'000'000ull) {
  if (mbar_try_wait(bar, parity)) return;
  const uint64_t start = globaltimer_ns();
  while (!mbar_try_wait(bar, parity))
    if (globaltimer_ns() - start > limit_ns) __trap();
}

// ---- TMA -------------------------------------------------------------------------

/// Prefetches a tensor map (a __grid_constant__ kernel parameter) into the descriptor cache.
__device__ __forceinline__ void prefetch_tensormap(const void* map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
}
/// The box of `map` at element coordinates (c0 innermost, c1) into shared memory
/// at `dst`; its bytes complete a transaction on mbarrier `bar`. Elements outside
/// the tensor are zero-filled.
__device__ __forceinline__ void tma_load_2d(uint32_t dst, const void* map, int c0, int c1, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(bar)
      : "memory");
}

// ---- register budgets --------------------------------------------------------------

/// Lowers (producer) or raises (consumer) this warpgroup's registers per thread.
template <int N>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(N));
}
template <int N>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(N));
}

}  // namespace flopscope::kernels::sm90

#endif  // __CUDA_ARCH_FEAT_SM90_ALL
