#pragma once
// gemm.wgmma: the Hopper (sm_90a) tensor-core GEMM. Adds, over mma_sync:
//  - wgmma.mma_async: a warpgroup (4 warps) multiplies a 64 x 256 x 16 step
//    straight from shared memory through two 64-bit descriptors; nothing is
//    loaded into registers but the FP32 accumulators (128 per thread);
//  - TMA (cp.async.bulk.tensor) instead of per-thread cp.async: one thread
//    copies whole tiles, zero-filling everything outside A and B (any m, the
//    k and n tails) and writing them 128-byte swizzled for the tensor cores;
//  - warp specialization with an mbarrier ring: a producer warpgroup keeps
//    kStages k-tiles in flight (full barriers: the bytes landed), two
//    consumer warpgroups multiply and hand stages back (empty barriers);
//    setmaxnreg moves registers from the producer to the consumers;
//  - a persistent grid (one block per SM walking the tiles in grouped order),
//    so the producer loads the next tile while the consumers store this one.
// The results go through the epilogue functor of gemm/epilogue.cuh (the FFN's
// fused variants on this GEMM apply GELU or SwiGLU there: ffn/fused_wgmma.cu).
//
// Tile, shared-memory plan and descriptors: gemm/wgmma_tile.h (128 x 256 x 64,
// 4 stages of 48 KiB; B is read MN-major with imm-trans-b = 1).
// Constraints: m >= 1 any; k and n multiples of 8 (TMA's 16-byte global row
// strides; wgmma_tile::check_dims says so in one line); 16-byte aligned A and B
// (cudaMalloc's are); an sm_90 GPU and a build with sm_90a code (the body exists
// only in the sm_90a pass; the launcher refuses anything else).
//
// Run on an H200 (bench/results/h200/2026-11-30 and -2): it matched the CPU
// reference at every test size, and reached 95% of cuBLAS at 8192^3.
#include <cuda.h>  // CUtensorMap (types only: libcuda is never linked)
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "common/cuda_util.cuh"
#include "common/sm90_ptx.cuh"
#include "common/status.h"
#include "common/tile_math.h"
#include "common/wgmma_layout.h"
#include "gemm/epilogue.cuh"
#include "gemm/wgmma_tile.h"

namespace flopscope::kernels::gemm {

/// The TMA descriptors of one (A, B, m, n, k): A as a (k, m) tensor with 64 x 128
/// boxes, B as (n, k) with 64 x 64 boxes, both 128-byte swizzled and zero-filled
/// outside. Built on the host (wgmma_tensor_maps) and passed by value.
struct WgmmaMaps {
  CUtensorMap a, b;
};

/// "" when this process can run gemm.wgmma on the current device (an sm_90
/// GPU and a loaded sm_90a image of the kernels), else why not; `sms` gets the
/// number of SMs (the persistent grid).
std::string wgmma_unavailable(int& sms);

/// Encodes `maps` for A[m,k] and B[k,n] of 16-bit elements (bf16 or fp16) through
/// cuTensorMapEncodeTiled, reached with cudaGetDriverEntryPointByVersion. An
/// error's message names no kernel: the caller prefixes its own.
Status wgmma_tensor_maps(WgmmaMaps& maps, const void* a, const void* b, int m, int n, int k, bool bf16);

/// The tensor maps of one GEMM's (A, B, m, n, k), encoded again only when one of
/// them changes: encoding is host work, which would otherwise sit between a
/// benchmark's timing events on every launch.
struct WgmmaMapCache {
  WgmmaMaps maps{};  // first member: CUtensorMap is alignas(64), and so is the cache
  const void* a = nullptr;
  const void* b = nullptr;
  int m = 0, n = 0, k = 0;

  /// Makes `maps` describe (a, b, m, n, k); on failure the cache is left empty.
  Status update(const void* a_, const void* b_, int m_, int n_, int k_, bool bf16);
};

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
namespace wgmma_detail {

/// What a kernel on the ring derives from (m, n, k) and its dynamic shared memory.
struct RingBlock {
  uint32_t base;                       // the stages' start: 1024-byte aligned, as the swizzle atoms must be
  int tiles_m, tiles_n, tiles, ktiles;  // output tiles and k-tiles of the problem
};

__device__ __forceinline__ RingBlock ring_block(const void* smem_raw, int m, int n, int k) {
  namespace wt = wgmma_tile;
  const uint32_t raw = static_cast<uint32_t>(__cvta_generic_to_shared(smem_raw));
  // (x - 1) / b + 1 rather than ceil_div: no overflow for x near 2^31 (x >= 1).
  const int tiles_m = (m - 1) / wt::kBM + 1, tiles_n = (n - 1) / wt::kBN + 1;
  // tiles_m * tiles_n: the launcher checked it fits an int.
  return {round_up(raw, wgmma::kSwizzleAtomBytes), tiles_m, tiles_n, tiles_m * tiles_n, (k - 1) / wt::kBK + 1};
}

/// Thread 0 initializes the ring's mbarriers, and the block waits until they are
/// visible: a full barrier completes on the producer's one arrive plus the bytes
/// its TMA loads land, an empty one on `releases` arrivals of the consumers.
__device__ __forceinline__ void init_ring(uint32_t base, uint32_t releases) {
  namespace wt = wgmma_tile;
  if (threadIdx.x == 0) {
    for (int s = 0; s < wt::kStages; ++s) {
      sm90::mbar_init(wt::full_barrier(base, s), 1);
      sm90::mbar_init(wt::empty_barrier(base, s), releases);
    }
    sm90::fence_barrier_init();
  }
  __syncthreads();
}

/// The producer, run by one thread: every k-tile of every tile of this block
/// (tiles blockIdx.x, + gridDim.x, ... in grouped order) into the stage ring,
/// waiting for each stage's release before reusing it. A as one 64 x 128 box,
/// B as the b_boxes 64 x 64 boxes that hold columns < n.
__device__ __forceinline__ void produce(const CUtensorMap* map_a, const CUtensorMap* map_b, const RingBlock& rb,
                                        int n) {
  namespace wt = wgmma_tile;
  sm90::prefetch_tensormap(map_a);
  sm90::prefetch_tensormap(map_b);
  const uint32_t base = rb.base;
  uint32_t it = 0;  // k-tiles issued by this block, over all its tiles
  for (int tile = int(blockIdx.x); tile < rb.tiles; tile += int(gridDim.x)) {
    int tm = 0, tn = 0;
    grouped_tile(tile, rb.tiles_m, rb.tiles_n, wt::kGroupM, tm, tn);
    const int bm = tm * wt::kBM, bn = tn * wt::kBN;
    const int boxes = wt::b_boxes(bn, n);
    for (int kt = 0; kt < rb.ktiles; ++kt, ++it) {
      const int s = wt::stage_of(it);
      // Parity of the previous use's release: the first round passes at once.
      sm90::mbar_wait(wt::empty_barrier(base, s), wt::phase_of(it) ^ 1);
      const uint32_t full = wt::full_barrier(base, s);
      sm90::mbar_arrive_expect_tx(full, wt::stage_tx_bytes(boxes));
      const wt::BoxCoord a = wt::a_box(kt, bm);
      sm90::tma_load_2d(wt::stage_a(base, s), map_a, a.c0, a.c1, full);
      for (int j = 0; j < boxes; ++j) {
        const wt::BoxCoord b = wt::b_box(kt, bn, j);
        sm90::tma_load_2d(wt::stage_b(base, s, j), map_b, b.c0, b.c1, full);
      }
    }
  }
}

}  // namespace wgmma_detail
#endif  // __CUDA_ARCH_FEAT_SM90_ALL

template <class T, class Epilogue>
__global__ void __launch_bounds__(wgmma_tile::kThreads, 1)
    gemm_wgmma_kernel(const __grid_constant__ CUtensorMap map_a, const __grid_constant__ CUtensorMap map_b,
                      int m, int n, int k, Epilogue epilogue) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  namespace wt = wgmma_tile;
  extern __shared__ unsigned char smem_raw[];
  // Stages on a 1024-byte boundary (descriptor base offset 0), tile counts.
  const wgmma_detail::RingBlock rb = wgmma_detail::ring_block(smem_raw, m, n, k);
  const uint32_t base = rb.base;
  const int warpgroup = int(threadIdx.x) / wt::kWarpgroupThreads;
  wgmma_detail::init_ring(base, wt::kConsumers);  // one release per consumer warpgroup

  if (warpgroup == 0) {
    // ---- producer: one thread issues every TMA load ----
    sm90::setmaxnreg_dec<wt::kProducerRegs>();
    if (threadIdx.x == 0) wgmma_detail::produce(&map_a, &map_b, rb, n);
  } else {
    // ---- consumers: consumer c multiplies rows 64c..64c+63 of every tile ----
    sm90::setmaxnreg_inc<wt::kConsumerRegs>();
    const int consumer = warpgroup - 1;
    const int t = int(threadIdx.x) % wt::kWarpgroupThreads;
    uint32_t it = 0;
    for (int tile = int(blockIdx.x); tile < rb.tiles; tile += int(gridDim.x)) {
      int tm = 0, tn = 0;
      grouped_tile(tile, rb.tiles_m, rb.tiles_n, wt::kGroupM, tm, tn);
      const int bm = tm * wt::kBM, bn = tn * wt::kBN;

      float d[wt::kAccRegs];
#pragma unroll
      for (int r = 0; r < wt::kAccRegs; ++r) d[r] = 0.0f;

      for (int kt = 0; kt < rb.ktiles; ++kt, ++it) {
        const int s = wt::stage_of(it);
        sm90::mbar_wait(wt::full_barrier(base, s), wt::phase_of(it));
#pragma unroll
        for (int r = 0; r < wt::kAccRegs; ++r) sm90::fence_operand(d[r]);
        sm90::wgmma_fence();
#pragma unroll
        for (int ks = 0; ks < wt::kKSteps; ++ks)
          sm90::wgmma_m64n256k16<T, 1>(d, wt::a_desc(wt::stage_a(base, s), consumer, ks),
                                       wt::b_desc(wt::stage_b(base, s, 0), ks));
        sm90::wgmma_commit();
#pragma unroll
        for (int r = 0; r < wt::kAccRegs; ++r) sm90::fence_operand(d[r]);
        // Keep this k-tile's group in flight; the previous one is done: free its stage.
        sm90::wgmma_wait<1>();
        if (kt > 0 && t == 0) sm90::mbar_arrive(wt::empty_barrier(base, wt::stage_of(it - 1)));
      }
      sm90::wgmma_wait<0>();
#pragma unroll
      for (int r = 0; r < wt::kAccRegs; ++r) sm90::fence_operand(d[r]);
      if (t == 0) sm90::mbar_arrive(wt::empty_barrier(base, wt::stage_of(it - 1)));

      // Epilogue: registers (r, r+1) are two adjacent columns of one row. The
      // bounds are compared inside the tile, so nothing overflows near m = 2^31.
      const int rows_left = m - bm - consumer * wt::kWgRows, cols_left = n - bn;
#pragma unroll
      for (int r = 0; r < wt::kAccRegs; r += 2) {
        const wgmma::RowCol rc = wgmma::accumulator_coord(t, r);
        if (rc.row < rows_left && rc.col < cols_left)  // n even: col + 1 < n too
          epilogue(bm + consumer * wt::kWgRows + rc.row, bn + rc.col, d[r], d[r + 1]);
      }
    }
  }
#else
  (void)map_a, (void)map_b, (void)m, (void)n, (void)k, (void)epilogue;  // not sm_90a: no body, never launched
#endif
}

/// Enqueues `kernel` (a GEMM kernel on gemm.wgmma's TMA ring and persistent grid:
/// gemm.wgmma's, gemm.mma_sync_tma's) for (maps, m, n, k, epilogue) on a grid of
/// at most `sms` blocks; `smem` remembers the kernel's shared-memory opt-in and
/// `name` prefixes every error. An unsupported shape is reported, not launched.
template <class Kernel, class Epilogue>
Status launch_on_tma_ring(Kernel kernel, SmemOptIn& smem, const char* name, const WgmmaMaps& maps, int m, int n,
                          int k, int sms, Epilogue epilogue, cudaStream_t stream) {
  namespace wt = wgmma_tile;
  const std::string prefix = std::string(name) + ": ";
  if (std::string why = wt::check_dims(m, n, k); !why.empty())
    return Status::error(int(cudaErrorInvalidValue), prefix + why);
  const int64_t tiles = (int64_t(m - 1) / wt::kBM + 1) * (int64_t(n - 1) / wt::kBN + 1);
  if (tiles > 0x7fffffff) return Status::error(int(cudaErrorInvalidValue), prefix + "too many tiles");
  // Above 48 KB of dynamic shared memory a kernel must opt in (once per device).
  const cudaError_t opt_in = smem.ensure(reinterpret_cast<const void*>(kernel), int(wt::kSmemBytes));
  if (opt_in != cudaSuccess)
    return Status::error(int(opt_in), prefix + "cannot reserve " + std::to_string(wt::kSmemBytes) +
                                          " bytes of shared memory a block: " + cudaGetErrorString(opt_in));
  const unsigned grid = unsigned(tiles < sms ? tiles : int64_t(sms > 0 ? sms : 1));
  kernel<<<grid, wt::kThreads, wt::kSmemBytes, stream>>>(maps.a, maps.b, m, n, k, epilogue);
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return Status::error(int(err), prefix + cudaGetErrorString(err));
  return Status::success();
}

/// Enqueues epilogue(A * B) on `stream` for the A and B that `maps` describe
/// (row-major A[m,k], B[k,n]; T = __half or __nv_bfloat16) on a grid of at most
/// `sms` persistent blocks. The caller has checked wgmma_unavailable() and built
/// `maps` for these dims; an unsupported shape is reported, not launched.
template <class T, class Epilogue>
Status wgmma_gemm(const WgmmaMaps& maps, int m, int n, int k, int sms, Epilogue epilogue,
                  cudaStream_t stream) {
  static_assert(sizeof(T) == wgmma_tile::kElemBytes, "gemm.wgmma takes 16-bit inputs (FP16, BF16)");
  static SmemOptIn smem;
  return launch_on_tma_ring(gemm_wgmma_kernel<T, Epilogue>, smem, "gemm.wgmma", maps, m, n, k, sms, epilogue,
                            stream);
}

}  // namespace flopscope::kernels::gemm
