#pragma once
// gemm.mma_sync: tensor cores through mma.sync, over reg_tiled's blocking.
// Adds, over reg_tiled:
//  - warp-level tensor-core MMAs: m16n8k16 for FP16/BF16 and m16n8k8 for TF32
//    (FP32 inputs rounded with cvt.rna.tf32), FP32 accumulators in registers;
//  - ldmatrix to load the A fragments (and, .trans, the FP16/BF16 B fragments)
//    from shared memory, with rows padded by 16 bytes so 8 rows hit 8 bank groups;
//  - a kStages-deep cp.async pipeline: global->shared copies for k-tile t+3 are
//    in flight while k-tile t is multiplied; 16-byte copies zero-fill the tails;
//  - grouped block order (grouped_tile) so concurrent blocks share A and B in L2;
//  - a 64 x 64 warp tile (4 warps of 128 threads per block, up to 255 registers
//    each, 2 blocks per SM): every ldmatrix.x4 feeds 4 MMAs (16-bit), so shared
//    memory reads per FLOP are 2/3 of a 64 x 32 warp tile's. By a static count
//    (not a measurement), a 64 x 32 tile's 8 warps read 96 x 512 B with ldmatrix
//    and the copies write 16 KB per k-tile of 1.05 MFLOP: ~512 shared-memory
//    clocks at 128 B/clock, ~2048 FLOP per clock per SM; this tile's 64 loads
//    make it ~384 clocks, ~2730 FLOP per clock.
//
// Tiles, for element type T (16-bit: FP16/BF16; float: TF32), mma_layout::MmaTile:
//   block tile   (kBM, kBN, kBK) = (128, 128, 64 bytes of k: 32 or 16 elements)
//   4 warps in (kWarpsM, kWarpsN) = (2, 2), warp tile (64, 64):
//   (4, 8) MMA tiles of (16, 8) per warp, 128 FP32 accumulators per thread;
//   4 stages of A (128, 32 + 8) and B (32, 128 + 8) 16-bit elements (or (128,
//   16 + 4) and (16, 128 + 8) floats): 75,776 bytes of dynamic shared memory,
//   so 2 blocks fit an SM on sm_80 (164 KB) and sm_90 (228 KB).
// gemm.mma_sync_wide (MmaWideConfig) is the same kernel with a (128, 256) block
// tile: 8 warps in (2, 4), B stages (32, 256 + 8), 108,544 bytes, 1 block per
// SM. ncu found gemm.mma_sync L2-bound on an H200 (docs/PERFORMANCE.md); a
// block twice as wide reads 3/4 of the L2 bytes per FLOP.
// gemm.mma_sync_deep (MmaDeepConfig) is the wide block with k-tiles twice as
// deep, 128 bytes of k (64 16-bit or 32 float elements): A stages (128, 64 + 8),
// B (64, 256 + 8), 208,896 bytes, so sm_90 or newer; half the barriers and
// cp.async waits per FLOP, where the wide block was latency-bound.
//
// Constraints: m >= 1 any; k and n multiples of 16 bytes / sizeof(T) (8 for 16-bit,
// 4 for float), for the 16-byte cp.async rows (check_dims says so in one line);
// sm_80 or newer.
//
// The kernel hands its FP32 results to an epilogue functor: the contract and
// the plain store (StoreEpilogue) are in gemm/epilogue.cuh.
//
// The tiles (MmaTile) and every fragment address -- cp.async chunks and their
// bounds, padded rows, ldmatrix rows, TF32 B loads, accumulator (row, col) -- are
// in gemm/mma_sync_layout.h, proven by a CPU emulation of ldmatrix and mma.sync
// (tests/unit/gemm_mma_layout_test.cpp), which also runs whole GEMMs with tails
// through the copy bounds, the stage ring and the epilogue's bounds.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "common/cuda_util.cuh"
#include "common/mma_ptx.cuh"
#include "common/status.h"
#include "common/tile_math.h"
#include "gemm/epilogue.cuh"
#include "gemm/mma_sync_layout.h"

namespace flopscope::kernels::gemm {

/// gemm.mma_sync's tiles for element type T: 128 x 128, 4 warps, 2 blocks per SM
/// (see mma_layout::MmaTile).
template <class T>
using MmaConfig = mma_layout::MmaTile<int(sizeof(T)), 2>;

/// gemm.mma_sync_wide's: 128 x 256, 8 warps, 1 block per SM. The same warp tile,
/// but each block reads A and B panels for twice the outputs along n: 3/4 of
/// MmaConfig's L2-to-SM bytes per FLOP.
template <class T>
using MmaWideConfig = mma_layout::MmaTile<int(sizeof(T)), 4>;

/// gemm.mma_sync_deep's: MmaWideConfig's block with 128-byte k-tile rows, 4
/// stages of 52 KB: one barrier per 64 (16-bit) or 32 (TF32) elements of k.
template <class T>
using MmaDeepConfig = mma_layout::MmaTile<int(sizeof(T)), 4, 128>;

/// "" when the kernel takes (m, n, k), else one line naming the constraint.
template <class T>
std::string mma_sync_check_dims(int m, int n, int k) {
  constexpr int c = MmaConfig<T>::kChunk;
  if (m < 1 || n < 1 || k < 1) return "m, n and k must be at least 1";
  if (m > kMaxIndexDim || n > kMaxIndexDim || k > kMaxIndexDim)
    return std::string("m, n and k must be at most ") + kMaxIndexDimText;
  if (k % c != 0 || n % c != 0)
    return "k and n must be multiples of " + std::to_string(c) +
           " (16-byte rows for cp.async): pad them, or use gemm.reg_tiled.fp32 or a "
           "gemm.cublas kernel";
  return "";
}

namespace mma_detail {

__device__ __forceinline__ uint32_t tf32_bits(uint32_t fp32_bits) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(__uint_as_float(fp32_bits)));
  return r;
}

/// d += a * b on one m16n8k8 tile with TF32 inputs and FP32 accumulators.
/// A: a0 (g, t) a1 (g+8, t) a2 (g, t+4) a3 (g+8, t+4); B: b0 (k t, n g) b1 (k t+4, n g).
__device__ __forceinline__ void mma_1688_tf32(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                              uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/// Issues the cp.async copies of k-tile `kt` into one stage: A (kBM, kBK), B (kBK, kBN),
/// kACopies + kBCopies 16-byte chunks per thread; chunks outside (m, k) or (k, n) are zero-filled.
template <class T, class C>
__device__ __forceinline__ void load_stage(T* s_a, T* s_b, const T* __restrict__ a,
                                           const T* __restrict__ b, int m, int n, int k, int bm,
                                           int bn, int kt) {
#pragma unroll
  for (int c = 0; c < C::kACopies; ++c) {
    const mma_layout::Copy x = mma_layout::a_copy<C>(int(threadIdx.x), c, bm, kt, m, k);
    ptx::cp_async_16(s_a + x.smem, x.in ? a + size_t(x.row) * k + x.col : a, x.in);
  }
#pragma unroll
  for (int c = 0; c < C::kBCopies; ++c) {
    const mma_layout::Copy x = mma_layout::b_copy<C>(int(threadIdx.x), c, bn, kt, n, k);
    ptx::cp_async_16(s_b + x.smem, x.in ? b + size_t(x.row) * n + x.col : b, x.in);
  }
}

/// One k-tile of MMAs from shared memory into the warp's (kTilesM, kTilesN) accumulators.
template <class T, class C>
__device__ __forceinline__ void mma_stage(const T* s_a, const T* s_b, int warp_m, int warp_n,
                                          float (&acc)[C::kTilesM][C::kTilesN][4]) {
  const int lane = threadIdx.x % 32;
#pragma unroll
  for (int kk = 0; kk < C::kBK; kk += C::kMmaK) {
    uint32_t af[C::kTilesM][4];  // (kTilesM) A fragments of (16, kMmaK)
#pragma unroll
    for (int i = 0; i < C::kTilesM; ++i) {
      // Matrices (rows 0-7 | 8-15) x (k first | second 16 bytes) -> a0..a3.
      ptx::ldmatrix_x4(af[i], s_a + mma_layout::a_frag_offset<C>(lane, warp_m, i, kk));
      if constexpr (sizeof(T) == 4) {
#pragma unroll
        for (int r = 0; r < 4; ++r) af[i][r] = tf32_bits(af[i][r]);
      }
    }
    uint32_t bf[C::kTilesN][2];  // (kTilesN) B fragments of (kMmaK, 8)
    if constexpr (sizeof(T) == 2) {
#pragma unroll
      for (int j = 0; j < C::kTilesN; j += 2) {
        // Matrices (k 0-7 | 8-15) x (n-tile j | j+1), transposed -> b0, b1 of two tiles.
        uint32_t r[4];
        ptx::ldmatrix_x4_trans(r, s_b + mma_layout::b_frag_offset_trans<C>(lane, warp_n, j, kk));
        bf[j][0] = r[0];
        bf[j][1] = r[1];
        bf[j + 1][0] = r[2];
        bf[j + 1][1] = r[3];
      }
    } else {
      // 32-bit elements cannot be transposed by ldmatrix: two scalar loads per
      // tile; a row pitch of 8 mod 32 words puts the warp's 32 reads on 32 banks.
#pragma unroll
      for (int j = 0; j < C::kTilesN; ++j) {
        bf[j][0] = tf32_bits(__float_as_uint(s_b[mma_layout::b_tf32_offset<C>(lane, warp_n, j, kk, 0)]));
        bf[j][1] = tf32_bits(__float_as_uint(s_b[mma_layout::b_tf32_offset<C>(lane, warp_n, j, kk, 1)]));
      }
    }
#pragma unroll
    for (int i = 0; i < C::kTilesM; ++i)
#pragma unroll
      for (int j = 0; j < C::kTilesN; ++j) {
        if constexpr (sizeof(T) == 2)
          ptx::mma_16816<T>(acc[i][j], af[i], bf[j][0], bf[j][1]);
        else
          mma_1688_tf32(acc[i][j], af[i], bf[j][0], bf[j][1]);
      }
  }
}

}  // namespace mma_detail

template <class T, class C, class Epilogue>
__global__ void __launch_bounds__(C::kThreads, C::kMinBlocksPerSm)
    gemm_mma_sync_kernel(const T* __restrict__ a, const T* __restrict__ b, int m, int n, int k,
                         Epilogue epilogue) {
  static_assert(C::kBytes == int(sizeof(T)), "the tiles are laid out for T's element size");
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* smem = reinterpret_cast<T*>(smem_raw);  // kStages x [A (kBM, kLdA) | B (kBK, kLdB)]

  int tile_m = 0, tile_n = 0;
  grouped_tile(int(blockIdx.x), ceil_div(m, C::kBM), ceil_div(n, C::kBN), C::kGroupM, tile_m,
               tile_n);
  const int bm = tile_m * C::kBM, bn = tile_n * C::kBN;
  const int warp = threadIdx.x / 32;
  const int warp_m = warp / C::kWarpsN, warp_n = warp % C::kWarpsN;

  float acc[C::kTilesM][C::kTilesN][4] = {};  // the warp's (kWM, kWN) = (64, 64) outputs
  const int tiles = k_tiles(k, C::kBK);

  // Prologue: k-tiles 0 .. kStages-2 in flight, one commit group each.
#pragma unroll
  for (int s = 0; s < C::kStages - 1; ++s) {
    if (s < tiles) {
      T* stage = smem + s * C::kStageElems;
      mma_detail::load_stage<T, C>(stage, stage + C::kBM * C::kLdA, a, b, m, n, k, bm, bn, s);
    }
    ptx::cp_async_commit();
  }
  for (int t = 0; t < tiles; ++t) {
    // Groups committed so far: kStages-1+t; k-tile t is group t.
    ptx::cp_async_wait<C::kStages - 2>();
    __syncthreads();  // k-tile t visible to all; k-tile t-1's stage free for reuse
    const int next = t + C::kStages - 1;
    if (next < tiles) {
      T* stage = smem + (next % C::kStages) * C::kStageElems;
      mma_detail::load_stage<T, C>(stage, stage + C::kBM * C::kLdA, a, b, m, n, k, bm, bn, next);
    }
    ptx::cp_async_commit();  // possibly empty: keeps the group count arithmetic exact
    const T* stage = smem + (t % C::kStages) * C::kStageElems;
    mma_detail::mma_stage<T, C>(stage, stage + C::kBM * C::kLdA, warp_m, warp_n, acc);
  }
  ptx::cp_async_wait<0>();

  // c0, c1 at (row, col..col+1), c2, c3 at (row + 8, col..col+1).
  const int lane = threadIdx.x % 32;
#pragma unroll
  for (int i = 0; i < C::kTilesM; ++i) {
#pragma unroll
    for (int j = 0; j < C::kTilesN; ++j) {
      const mma_layout::RowCol o = mma_layout::acc_origin<C>(lane, warp_m, warp_n, i, j);
      const int row = bm + o.row, col = bn + o.col;
      if (col >= n) continue;  // neither pair (mma_layout::stores), said once
      if (mma_layout::stores(row, col, 0, m, n)) epilogue(row, col, acc[i][j][0], acc[i][j][1]);
      if (mma_layout::stores(row, col, 1, m, n)) epilogue(row + 8, col, acc[i][j][2], acc[i][j][3]);
    }
  }
}

/// Enqueues epilogue(A[m,k] * B[k,n]) on `stream` (row-major, T = __half,
/// __nv_bfloat16, or float for TF32) with the tiles C (MmaConfig<T>,
/// MmaWideConfig<T> or MmaDeepConfig<T>). Returns the launch status; an unsupported shape is
/// reported, not launched.
template <class T, class C = MmaConfig<T>, class Epilogue>
Status mma_sync_gemm(const T* a, const T* b, int m, int n, int k, Epilogue epilogue,
                     cudaStream_t stream) {
  const std::string prefix = std::string(C::kName) + ": ";
  if (std::string why = mma_sync_check_dims<T>(m, n, k); !why.empty())
    return Status::error(int(cudaErrorInvalidValue), prefix + why);
  // cp.async moves 16-byte chunks (cudaMalloc bases always are; an offset view
  // may not be). The epilogue's own stores need only its 4- or 8-byte pairs.
  if (reinterpret_cast<uintptr_t>(a) % 16 != 0 || reinterpret_cast<uintptr_t>(b) % 16 != 0)
    return Status::error(int(cudaErrorInvalidValue),
                         prefix + "A and B must be 16-byte aligned (16-byte cp.async copies)");
  auto kernel = gemm_mma_sync_kernel<T, C, Epilogue>;
  // Above 48 KB of dynamic shared memory a kernel must opt in (once per device).
  static SmemOptIn smem;
  const cudaError_t opt_in = smem.ensure(reinterpret_cast<const void*>(kernel), C::kSmemBytes);
  if (opt_in != cudaSuccess)
    return Status::error(int(opt_in), prefix + "cannot reserve " + std::to_string(C::kSmemBytes) +
                                          " bytes of shared memory a block: " + cudaGetErrorString(opt_in));
  const int64_t blocks = int64_t(ceil_div(m, C::kBM)) * ceil_div(n, C::kBN);
  if (blocks > 0x7fffffff) return Status::error(int(cudaErrorInvalidValue), prefix + "too many tiles");
  kernel<<<unsigned(blocks), C::kThreads, C::kSmemBytes, stream>>>(a, b, m, n, k, epilogue);
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess)
    return Status::error(int(err), prefix + cudaGetErrorString(err));
  return Status::success();
}

}  // namespace flopscope::kernels::gemm
