// Flash attention on tensor cores (FP16/BF16 inputs, FP32 accumulation).
//
// Adds over flash_simt.cu: both matrix products run on tensor cores
// (mma.sync m16n8k16). Tiles move global -> shared with cp.async, XOR-swizzled
// so that ldmatrix reads them without bank conflicts; Q stays in registers as
// A fragments; the scores never leave registers: the S accumulators are
// rescaled, exponentiated and repacked in place as the A fragments of P V.
// The V load overlaps Q K^T and the next K load overlaps P V (FlashAttention-2's
// single-buffer pipeline). Each thread's copy addresses are worked out once
// (TileStream): a global pointer that moves on by BN*D per block and one
// swizzled shared offset, plus constants per copy; every whole tile takes an
// unpredicated path, only a ragged last tile the zero-filling predicated one.
//
// Softmax (attention_math.h's folded form): the scores stay raw, the row max is
// taken on them (the scale is positive, so max and scaling commute), and the
// scale is folded into the exponent: p = exp2(s * scale_log2 - m), one FFMA and
// one MUFU.EX2 (ex2.approx.ftz.f32) per score. ftz: a probability or rescale
// factor below 2^-126 is 0 rather than subnormal; masked scores still give
// exactly 0 and a fully masked row an output of 0.
//
// Work partitioning (FlashAttention-2): a CTA of 4 warps owns 64 query rows of
// one (batch, head); each warp owns 16 of them for the whole loop over K/V
// blocks, so the softmax statistics of a row live in one warp (one quad of
// lanes). Causal: blocks past the diagonal are skipped (kv_blocks), only the
// blocks that straddle it, and the Nk tail, are masked; CTAs start with the
// heaviest query tiles.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "attention/attention_math.h"
#include "attention/instance.cuh"
#include "attention/mma_layout.h"
#include "common/cuda_util.cuh"
#include "common/mma_ptx.cuh"

namespace flopscope::kernels::attention {
namespace {

template <int D>
struct MmaTiles {
  static constexpr int kWarps = 4;
  static constexpr int kThreads = 32 * kWarps;
  static constexpr int kBM = 16 * kWarps;  // query rows per CTA      (BM, D)
  static constexpr int kBN = 64;           // keys per K/V block      (BN, D)
  // Two CTAs (8 warps) per SM at D = 128: O (64 regs), Q (32), S (32) and P
  // (16) fragments fit without spilling; a third CTA would spill.
  static constexpr int kMinBlocks = 2;
  static constexpr int kSmemElems = (kBM + 2 * kBN) * D;  // Q, K, V tiles
  static_assert(D % 64 == 0, "the XOR swizzle needs 8 or more 16-byte chunks per row");
  static_assert(kBN % 16 == 0 && D % 16 == 0, "mma k-steps are 16 wide");
  static_assert(kSmemElems * 2 <= 48 * 1024, "static shared memory is limited to 48 KB");
};

using mma_layout::swizzle;

template <int D>
__device__ __forceinline__ int swizzled(mma_layout::RowChunk rc) {
  return swizzle<D>(rc.row, rc.chunk);
}

/// One thread's cp.async copies of consecutive (ROWS, D) tiles of a [n, D]
/// matrix into a swizzled tile (mma_layout::TileCopy): the source pointer and
/// the swizzled shared offset are computed once, each copy adds a constant,
/// and the pointer then moves on by ROWS * D (64-bit pointer arithmetic, so
/// B*H*N*D may exceed 2^31). Rows past n are zero-filled (so masked keys
/// multiply zeros, never stale NaNs).
template <class T, int D, int ROWS>
class TileStream {
  using Copy = mma_layout::TileCopy<D, ROWS, MmaTiles<D>::kThreads>;

 public:
  /// `tile`: the first row of the first tile.
  __device__ explicit TileStream(const T* tile) {
    const mma_layout::RowChunk rc = Copy::first(int(threadIdx.x));
    src_ = tile + rc.row * D + rc.chunk * 8;
    dst_ = swizzled<D>(rc);
  }

  /// Copies the current tile into `smem` and moves to the next. `rows_left`
  /// (>= 1): rows of the matrix from the tile's first on. Block-uniform, so the
  /// branch is too: every tile but a ragged last one takes the unpredicated path.
  __device__ void load(T* smem, int rows_left) {
    if (rows_left >= ROWS) {
#pragma unroll
      for (int i = 0; i < Copy::kCopies; ++i)
        ptx::cp_async_16(smem + dst_ + i * Copy::kStep, src_ + i * Copy::kStep);
    } else {
      const int row = Copy::first(int(threadIdx.x)).row;
      const T* first_row = src_ - row * D;  // row 0 of the tile exists (rows_left >= 1)
#pragma unroll
      for (int i = 0; i < Copy::kCopies; ++i) {
        // A copy past the end reads nothing (src-size 0) and still names a valid address.
        const bool ok = row + i * Copy::kRowStep < rows_left;
        ptx::cp_async_16(smem + dst_ + i * Copy::kStep, ok ? src_ + i * Copy::kStep : first_row, ok);
      }
    }
    src_ += ROWS * D;
  }

 private:
  const T* src_;  // this thread's first chunk of the current tile
  int dst_;       // its swizzled offset in a tile
};

__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

template <class T, int D>
__global__ void __launch_bounds__(MmaTiles<D>::kThreads, MmaTiles<D>::kMinBlocks)
    flash_mma_kernel(const AttentionArgs<T> a, int64_t q_tiles, float scale_log2) {
  using Tiles = MmaTiles<D>;
  constexpr int BM = Tiles::kBM, BN = Tiles::kBN;
  __shared__ __align__(128) T smem[Tiles::kSmemElems];
  T* sq = smem;         // (BM, D)
  T* sk = sq + BM * D;  // (BN, D)
  T* sv = sk + BN * D;  // (BN, D)

  // Heaviest causal query tiles first, across every (batch, head).
  const int64_t qt = q_tiles - 1 - int64_t(blockIdx.x) / a.batch_heads;
  const int64_t bh = int64_t(blockIdx.x) % a.batch_heads;
  const T* q = a.q + bh * a.n_q * D;
  const T* k = a.k + bh * a.n_kv * D;
  const T* v = a.v + bh * a.n_kv * D;
  T* o = a.o + bh * a.n_q * D;
  const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
  const int g = lane >> 2, t = lane & 3;  // mma fragment coordinates
  const int64_t q0 = tile_begin<int64_t>(qt, BM);
  const KvBlockRange range = kv_blocks(qt, BM, BN, a.n_q, a.n_kv, a.causal);

  // 32-bit row counts (check_shape keeps N and Nk below 2^31).
  const int n_kv = int(a.n_kv);
  TileStream<T, D, BM>(q + q0 * D).load(sq, int(a.n_q - q0));
  ptx::cp_async_commit();
  TileStream<T, D, BN> k_tiles(k), v_tiles(v);
  if (range.end > 0) k_tiles.load(sk, n_kv);
  ptx::cp_async_commit();

  // This thread's accumulators hold rows g and g + 8 of the warp's 16.
  const int64_t row_lo = q0 + warp * 16 + g, row_hi = row_lo + 8;
  // 32-bit key arithmetic in the loop (check_shape keeps N and Nk below 2^31).
  const int kend_lo = int(key_end(row_lo, a.n_q, a.n_kv, a.causal));
  const int kend_hi = int(key_end(row_hi, a.n_q, a.n_kv, a.causal));
  OnlineSoftmax st_lo, st_hi;
  float acc[D / 8][4] = {};  // O: 16 rows x D per warp, as D/8 n-tiles

  ptx::cp_async_wait<1>();  // Q has landed (K may still be in flight)
  __syncthreads();
  uint32_t qf[D / 16][4];  // Q: (16, D) per warp, as D/16 A fragments
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk)
    ptx::ldmatrix_x4(qf[kk], sq + swizzled<D>(mma_layout::q_source(lane, warp, kk)));

  const int blocks = int(range.end), full_blocks = int(range.full_end);
  for (int blk = 0; blk < blocks; ++blk) {
    const int kv0 = blk * BN;
    ptx::cp_async_wait<0>();  // K[blk] has landed ...
    __syncthreads();          // ... for every thread, and every warp is done with V[blk-1]
    v_tiles.load(sv, n_kv - kv0);
    ptx::cp_async_commit();

    // S = Q K^T: (16, BN) per warp as BN/8 n-tiles.
    float s[BN / 8][4] = {};
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
#pragma unroll
      for (int np = 0; np < BN / 16; ++np) {
        uint32_t b[4];  // K rows np*16 + (0..15), head dims kk*16 + (0..15)
        ptx::ldmatrix_x4(b, sk + swizzled<D>(mma_layout::k_source(lane, np, kk)));
        ptx::mma_16816<T>(s[2 * np], qf[kk], b[0], b[1]);
        ptx::mma_16816<T>(s[2 * np + 1], qf[kk], b[2], b[3]);
      }
    }

    // Mask only the blocks that need it; row max of the raw scores (the scale
    // is folded into the exponent below).
    const bool masked = blk >= full_blocks;
    float mx_lo = -INFINITY, mx_hi = -INFINITY;
#pragma unroll
    for (int j = 0; j < BN / 8; ++j) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        if (masked) {
          const int key = kv0 + 8 * j + 2 * t + e;
          if (key >= kend_lo) s[j][e] = -INFINITY;
          if (key >= kend_hi) s[j][2 + e] = -INFINITY;
        }
        mx_lo = fmaxf(mx_lo, s[j][e]);
        mx_hi = fmaxf(mx_hi, s[j][2 + e]);
      }
    }
    const float alpha_lo = st_lo.rescale_raw(quad_max(mx_lo), scale_log2);
    const float alpha_hi = st_hi.rescale_raw(quad_max(mx_hi), scale_log2);
#pragma unroll
    for (int j = 0; j < D / 8; ++j) {
      acc[j][0] *= alpha_lo;
      acc[j][1] *= alpha_lo;
      acc[j][2] *= alpha_hi;
      acc[j][3] *= alpha_hi;
    }

    // P = exp2(S * scale_log2 - m), one FFMA and one MUFU.EX2 per score,
    // repacked as the A fragments of P V (C layout of two adjacent n-tiles = A
    // layout of one k-step). Sums stay per thread until the end.
    uint32_t pf[BN / 16][4];
    float sum_lo = 0.0f, sum_hi = 0.0f;
    const float nm_lo = st_lo.neg_max(), nm_hi = st_hi.neg_max();
#pragma unroll
    for (int j = 0; j < BN / 8; ++j) {
      s[j][0] = OnlineSoftmax::prob_raw(s[j][0], scale_log2, nm_lo);
      s[j][1] = OnlineSoftmax::prob_raw(s[j][1], scale_log2, nm_lo);
      s[j][2] = OnlineSoftmax::prob_raw(s[j][2], scale_log2, nm_hi);
      s[j][3] = OnlineSoftmax::prob_raw(s[j][3], scale_log2, nm_hi);
      sum_lo += s[j][0] + s[j][1];
      sum_hi += s[j][2] + s[j][3];
    }
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) {
#pragma unroll
      for (int reg = 0; reg < 4; ++reg) {
        const mma_layout::PSource src = mma_layout::p_source(kk, reg);
        const float* c = s[src.ntile] + (src.hi_rows ? 2 : 0);
        pf[kk][reg] = ptx::pack2<T>(c[0], c[1]);
      }
    }
    st_lo.add(sum_lo);
    st_hi.add(sum_hi);

    ptx::cp_async_wait<0>();  // V[blk] has landed ...
    __syncthreads();          // ... for every thread, and every warp is done with K[blk]
    if (blk + 1 < blocks) k_tiles.load(sk, n_kv - kv0 - BN);
    ptx::cp_async_commit();

    // O += P V: V is (BN, D) k-major, read transposed.
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) {
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        uint32_t b[4];  // V rows kk*16 + (0..15), head dims dp*16 + (0..15)
        ptx::ldmatrix_x4_trans(b, sv + swizzled<D>(mma_layout::v_source(lane, kk, dp)));
        ptx::mma_16816<T>(acc[2 * dp], pf[kk], b[0], b[1]);
        ptx::mma_16816<T>(acc[2 * dp + 1], pf[kk], b[2], b[3]);
      }
    }
  }

  // The row sums were kept per thread: add the quad's four parts.
  st_lo.l = quad_sum(st_lo.l);
  st_hi.l = quad_sum(st_hi.l);
  const float inv_lo = st_lo.inv_sum(), inv_hi = st_hi.inv_sum();  // 0 for a fully masked row
#pragma unroll
  for (int j = 0; j < D / 8; ++j) {
    const int col = 8 * j + 2 * t;
    if (row_lo < a.n_q)
      *reinterpret_cast<uint32_t*>(o + row_lo * D + col) =
          ptx::pack2<T>(acc[j][0] * inv_lo, acc[j][1] * inv_lo);
    if (row_hi < a.n_q)
      *reinterpret_cast<uint32_t*>(o + row_hi * D + col) =
          ptx::pack2<T>(acc[j][2] * inv_hi, acc[j][3] * inv_hi);
  }
}

template <class T, int D>
Status launch(const AttentionArgs<T>& a, cudaStream_t stream) {
  const int64_t q_tiles = ceil_div<int64_t>(a.n_q, MmaTiles<D>::kBM);
  const int64_t blocks = q_tiles * a.batch_heads;
  if (blocks > 0x7fffffff) return Status::error(1, "attention.flash_mma: too many CTAs");
  // > 0, so the max of the raw scores is that of the scaled ones (folded softmax).
  const float scale_log2 = kLog2e / sqrtf(float(D));
  flash_mma_kernel<T, D><<<unsigned(blocks), MmaTiles<D>::kThreads, 0, stream>>>(a, q_tiles, scale_log2);
  return launch_status("attention.flash_mma");
}

}  // namespace

template <class T>
Status attention_flash_mma(const AttentionArgs<T>& a, cudaStream_t stream) {
  if (std::string why = flash_alignment_error(a, "attention.flash_mma"); !why.empty())
    return Status::error(int(cudaErrorInvalidValue), why);
  if (a.head_dim == 64) return launch<T, 64>(a, stream);
  if (a.head_dim == 128) return launch<T, 128>(a, stream);
  return Status::error(int(cudaErrorInvalidValue), flash_head_dim_error(a.head_dim));
}

template Status attention_flash_mma<__half>(const AttentionArgs<__half>&, cudaStream_t);
template Status attention_flash_mma<__nv_bfloat16>(const AttentionArgs<__nv_bfloat16>&, cudaStream_t);

namespace {

template <class T>
KernelSpec flash_mma_spec(const char* dtype, DType dt) {
  AttentionSpecArgs args;
  args.variant = "flash_mma";
  args.dtype = dtype;
  args.precision = {dt, Pipe::tensor};
  args.description = "fused FlashAttention-2 forward on tensor cores (mma.sync, ldmatrix, cp.async)";
  args.in_default_suite = dt == DType::bf16;  // fp16 runs at the same peak: on request
  args.min_cc = 80;
  return make_attention_spec<T>(args, [](const AttentionArgs<T>& a, float*, cudaStream_t s) {
    return attention_flash_mma<T>(a, s);
  });
}

[[maybe_unused]] const bool registered = register_kernels({
    flash_mma_spec<__half>("fp16", DType::fp16),
    flash_mma_spec<__nv_bfloat16>("bf16", DType::bf16),
});

}  // namespace

}  // namespace flopscope::kernels::attention
