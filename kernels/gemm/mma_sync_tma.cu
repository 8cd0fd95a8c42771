// gemm.mma_sync_tma.{fp16,bf16}: gemm.mma_sync_wide's warps (8 warps of 64 x 64
// mma.sync tiles in a 128 x 256 block) fed by gemm.wgmma's pipeline. Adds, over
// mma_sync_wide:
//  - TMA: one producer thread copies whole k-tiles (64 elements deep, as
//    gemm.mma_sync_deep's), zero-filling the tails, where 256 threads issued
//    16-byte cp.async copies and computed their addresses;
//  - an mbarrier ring instead of __syncthreads: each warp waits only for its
//    stage's bytes and releases the stage on its own, so the 8 warps drift
//    apart instead of stopping together at every k-tile. The wide block was
//    latency-bound on the H200 (IPC 1.47 -> 1.00, docs/PERFORMANCE.md), which is
//    what this tests; gemm.mma_sync_deep tests fewer barriers alone;
//  - a persistent grid, so the producer loads the next tile during the stores.
// The math is gemm.mma_sync's: ldmatrix from the 128-byte-swizzled TMA tiles
// (gemm/mma_tma_layout.h), m16n8k16 with FP32 accumulators. It keeps mma.sync's
// ceiling (65% of the tensor peak on Hopper, docs/PERFORMANCE.md); gemm.wgmma
// shows what the same pipeline reaches with wgmma.
// Constraints are gemm.wgmma's: k and n multiples of 8, 16-byte aligned A and
// B, an sm_90 GPU and a build with sm_90a code. FP16 and BF16 only: ldmatrix
// cannot transpose B's 32-bit elements out of the swizzled MN-major boxes.
// NOT yet run on a GPU: out of the default suite until it is measured.
#include <cuda.h>  // CUtensorMap (types only)
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "common/mma_ptx.cuh"
#include "gemm/mma_tma_layout.h"
#include "gemm/tma_launch.cuh"

namespace flopscope::kernels::gemm {
namespace {

namespace mt = mma_tma;

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
/// One k-tile of MMAs: stage tiles at shared addresses `a_tile` (A) and `b_tile`
/// (first B box) into the warp's (4, 8) m16n8 accumulator tiles.
template <class T>
__device__ __forceinline__ void mma_stage(uint32_t a_tile, uint32_t b_tile, int consumer, int warp, int lane,
                                          float (&acc)[mt::kTilesM][mt::kTilesN][4]) {
#pragma unroll
  for (int ks = 0; ks < mt::kKSteps; ++ks) {
    const int kk = ks * mt::kMmaK;  // the k-step's first element of k
    uint32_t af[mt::kTilesM][4];  // (kTilesM) A fragments of (16, 16)
#pragma unroll
    for (int i = 0; i < mt::kTilesM; ++i) ptx::ldmatrix_x4(af[i], a_tile + mt::a_frag_offset(consumer, lane, i, kk));
    uint32_t bl[mt::kTilesN / 2][4];  // B fragments of n-tiles (2p, 2p+1) in load p
#pragma unroll
    for (int j = 0; j < mt::kTilesN; j += 2)
      ptx::ldmatrix_x4_trans(bl[j / 2], b_tile + mt::b_frag_offset(warp, lane, j, kk));
#pragma unroll
    for (int i = 0; i < mt::kTilesM; ++i)
#pragma unroll
      for (int j = 0; j < mt::kTilesN; ++j) {
        const mt::BRegs b = mt::b_regs(j);
        ptx::mma_16816<T>(acc[i][j], af[i], bl[b.load][b.reg], bl[b.load][b.reg + 1]);
      }
  }
}
#endif

template <class T, class Epilogue>
__global__ void __launch_bounds__(wgmma_tile::kThreads, 1)
    gemm_mma_sync_tma_kernel(const __grid_constant__ CUtensorMap map_a, const __grid_constant__ CUtensorMap map_b,
                             int m, int n, int k, Epilogue epilogue) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  namespace wt = wgmma_tile;
  extern __shared__ unsigned char smem_raw[];
  // Stages on a 1024-byte boundary (the swizzle atoms), tile counts.
  const wgmma_detail::RingBlock rb = wgmma_detail::ring_block(smem_raw, m, n, k);
  const uint32_t base = rb.base;
  const int warpgroup = int(threadIdx.x) / wt::kWarpgroupThreads;
  wgmma_detail::init_ring(base, mt::kConsumerThreads);  // every consumer thread releases

  if (warpgroup == 0) {
    // ---- producer: one thread issues every TMA load (gemm.wgmma's) ----
    sm90::setmaxnreg_dec<wt::kProducerRegs>();
    if (threadIdx.x == 0) wgmma_detail::produce(&map_a, &map_b, rb, n);
  } else {
    // ---- consumers: warp w of consumer c multiplies rows 64c.., columns 64w.. ----
    // gemm.wgmma's register split: 128 accumulators and 32 fragment registers
    // fit its 232; the launch needs wgmma_tile::kLaunchRegs (kernel_sass_test).
    sm90::setmaxnreg_inc<wt::kConsumerRegs>();
    const int consumer = warpgroup - 1;
    const int warp = (int(threadIdx.x) / 32) % mt::kWarpsPerConsumer, lane = int(threadIdx.x) % 32;
    uint32_t it = 0;
    for (int tile = int(blockIdx.x); tile < rb.tiles; tile += int(gridDim.x)) {
      int tm = 0, tn = 0;
      grouped_tile(tile, rb.tiles_m, rb.tiles_n, wt::kGroupM, tm, tn);
      const int bm = tm * wt::kBM, bn = tn * wt::kBN;
      const bool active = mt::warp_has_columns(warp, bn, n);  // warp-uniform

      float acc[mt::kTilesM][mt::kTilesN][4] = {};  // the warp's (64, 64) outputs
      for (int kt = 0; kt < rb.ktiles; ++kt, ++it) {
        const int s = wt::stage_of(it);
        sm90::mbar_wait(wt::full_barrier(base, s), wt::phase_of(it));
        if (active) mma_stage<T>(wt::stage_a(base, s), wt::stage_b(base, s, 0), consumer, warp, lane, acc);
        // Released by every consumer thread, active or not: the empty barrier
        // counts kConsumerThreads arrivals a phase (tma_ring_model_test models
        // this handshake; an arrive inside `if (active)` would deadlock on n
        // tails). The ldmatrix reads are done (their registers fed the MMAs);
        // a plain arrive orders them before the producer's TMA refill, with no
        // proxy fence: the release CUTLASS's TMA pipelines rely on too.
        sm90::mbar_arrive(wt::empty_barrier(base, s));
      }
      if (!active) continue;

      // c0, c1 at (row, col..col+1), c2, c3 at (row + 8, ..), where mt::stores says.
      const int rows_left = m - bm, cols_left = n - bn;
#pragma unroll
      for (int i = 0; i < mt::kTilesM; ++i)
#pragma unroll
        for (int j = 0; j < mt::kTilesN; ++j) {
          const mt::RowCol o = mt::acc_origin(consumer, warp, lane, i, j);
#pragma unroll
          for (int half = 0; half < 2; ++half)
            if (mt::stores(o, half, rows_left, cols_left))
              epilogue(bm + o.row + 8 * half, bn + o.col, acc[i][j][2 * half], acc[i][j][2 * half + 1]);
        }
    }
  }
#else
  (void)map_a, (void)map_b, (void)m, (void)n, (void)k, (void)epilogue;  // not sm_90a: no body, never launched
#endif
}

template <class T>
Status mma_sync_tma_gemm(const WgmmaMaps& maps, int m, int n, int k, int sms, StoreEpilogue<T> store,
                         cudaStream_t stream) {
  static_assert(sizeof(T) == wgmma_tile::kElemBytes, "gemm.mma_sync_tma takes 16-bit inputs (FP16, BF16)");
  static SmemOptIn smem;
  return launch_on_tma_ring(gemm_mma_sync_tma_kernel<T, StoreEpilogue<T>>, smem, "gemm.mma_sync_tma", maps, m, n, k,
                            sms, store, stream);
}

template <class T>
KernelSpec mma_sync_tma_spec(const char* dtype, DType math) {
  GemmSpecArgs args;
  args.variant = "mma_sync_tma";
  args.dtype = dtype;
  args.precision = {math, Pipe::tensor};
  args.description =
      "mma.sync m16n8k16 + ldmatrix fed by TMA, 64x64 warp tiles in 128x256x64 blocks, 4-stage mbarrier ring, "
      "warp-specialized, FP32 accumulate (sm_90a)";
  args.in_default_suite = false;  // not yet measured
  args.min_cc = 90;
  args.only_cc = 90;  // sm_90a code runs on sm_90 only
  args.smem_bytes = int(wgmma_tile::kSmemBytes);
  args.check = [](const GemmDims& d) { return wgmma_tile::check_dims(d.m, d.n, d.k); };
  return make_gemm_spec<T>(args, [] { return make_tma_ring_launch<T>("gemm.mma_sync_tma", mma_sync_tma_gemm<T>); });
}

[[maybe_unused]] const bool registered = register_kernels({
    mma_sync_tma_spec<__half>("fp16", DType::fp16),
    mma_sync_tma_spec<__nv_bfloat16>("bf16", DType::bf16),
});

}  // namespace
}  // namespace flopscope::kernels::gemm
