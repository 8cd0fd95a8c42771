// Flash attention, FP32 on CUDA cores.
//
// Adds over naive.cu: one fused kernel. The scores of a query tile exist only
// as a (BM, BN) block in shared memory: each CTA loops over K/V blocks, keeps a
// running row max and sum (the online softmax of attention_math.h) and rescales
// its output accumulator as the max grows, so S and P never reach device memory
// and Q, K, V are read once per query tile, O written once.
//
// Work partitioning (FlashAttention-2): a CTA owns BM = 64 query rows of one
// (batch, head). Thread (rg, cg) = (tid / 8, tid % 8) owns rows rg and rg + 32:
// it computes 4 of their scores per block (keys cg + 8i) and D/4 of their
// output columns (float4 chunks cg + 8j), so a row's statistics live in 8
// adjacent lanes of one warp. Causal: fully masked blocks are skipped.
#include "attention/attention_math.h"
#include "attention/instance.cuh"
#include "common/cuda_util.cuh"

namespace flopscope::kernels::attention {
namespace {

// Whether a warp's P store, lane (rg, cg) = (lane / 8, lane % 8) writing row
// rg at column cg (+ 8i, the same for every lane), hits 32 distinct banks.
constexpr bool p_store_conflict_free(int ld) {
  bool used[32] = {};
  for (int lane = 0; lane < 32; ++lane) {
    const int bank = ((lane / 8) * ld + lane % 8) % 32;
    if (used[bank]) return false;
    used[bank] = true;
  }
  return true;
}

template <int D>
struct SimtTiles {
  static constexpr int kThreads = 256;
  static constexpr int kBM = 64;       // query rows per CTA     (BM, D)
  static constexpr int kBN = 32;       // keys per K/V block     (BN, D)
  static constexpr int kLd = D + 4;    // padded row of Q and K: 8 rows of a float4 phase hit 8 bank groups
  static constexpr int kLdP = kBN + 8;  // padded row of P: a warp's 4 rows start 8 banks apart
  static constexpr int kChunks = D / 32;  // float4 output chunks per thread per row
  static constexpr size_t kSmemBytes =
      sizeof(float) * (size_t(kBM) * kLd + size_t(kBN) * kLd + size_t(kBN) * D + size_t(kBM) * kLdP);
  static_assert(kThreads == 4 * kBM, "thread (rg, cg): 32 row pairs x 8 column groups");
  static_assert(kBN == 32, "each thread computes keys cg + 8i, i < 4");
  static_assert(D % 32 == 0, "each thread owns D/32 float4 chunks of a row");
  static_assert(p_store_conflict_free(kLdP), "a warp stores its P values to 32 distinct banks");
};

/// Rows [row0, row0 + rows) of a [n, D] fp32 matrix into smem rows of `ld`
/// floats; rows past n are zero.
template <int D, int ROWS>
__device__ __forceinline__ void load_rows(float* smem, int ld, const float* g, int64_t row0,
                                          int64_t n) {
  constexpr int kVecs = ROWS * D / 4, kThreads = SimtTiles<D>::kThreads;
  static_assert(kVecs % kThreads == 0, "whole float4s per thread");
#pragma unroll
  for (int it = 0; it < kVecs / kThreads; ++it) {
    const int i = int(threadIdx.x) + it * kThreads;
    const int r = i / (D / 4), c = (i % (D / 4)) * 4;
    float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
    if (row0 + r < n) x = *reinterpret_cast<const float4*>(g + (row0 + r) * D + c);
    *reinterpret_cast<float4*>(smem + r * ld + c) = x;
  }
}

__device__ __forceinline__ float group8_max(float x) {
#pragma unroll
  for (int o = 1; o < 8; o <<= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}
__device__ __forceinline__ float group8_sum(float x) {
#pragma unroll
  for (int o = 1; o < 8; o <<= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}

template <int D>
__global__ void __launch_bounds__(SimtTiles<D>::kThreads)
    flash_simt_kernel(const AttentionArgs<float> a, int64_t q_tiles, float scale_log2) {
  using Tiles = SimtTiles<D>;
  constexpr int BM = Tiles::kBM, BN = Tiles::kBN, LD = Tiles::kLd, LDP = Tiles::kLdP;
  extern __shared__ __align__(16) float smem[];
  float* sq = smem;              // (BM, D) padded to LD
  float* sk = sq + BM * LD;      // (BN, D) padded to LD
  float* sv = sk + BN * LD;      // (BN, D)
  float* sp = sv + BN * D;       // (BM, BN) padded to LDP

  const int64_t qt = q_tiles - 1 - int64_t(blockIdx.x) / a.batch_heads;  // heaviest first
  const int64_t bh = int64_t(blockIdx.x) % a.batch_heads;
  const float* q = a.q + bh * a.n_q * D;
  const float* k = a.k + bh * a.n_kv * D;
  const float* v = a.v + bh * a.n_kv * D;
  float* o = a.o + bh * a.n_q * D;
  const int rg = int(threadIdx.x) / 8, cg = int(threadIdx.x) % 8;
  const int64_t q0 = tile_begin<int64_t>(qt, BM);
  const KvBlockRange range = kv_blocks(qt, BM, BN, a.n_q, a.n_kv, a.causal);
  const int64_t rows[2] = {q0 + rg, q0 + rg + 32};
  const int kend[2] = {int(key_end(rows[0], a.n_q, a.n_kv, a.causal)),
                       int(key_end(rows[1], a.n_q, a.n_kv, a.causal))};

  load_rows<D, BM>(sq, LD, q, q0, a.n_q);
  OnlineSoftmax st[2];
  float4 acc[2][Tiles::kChunks] = {};

  const int blocks = int(range.end), full_blocks = int(range.full_end);
  for (int blk = 0; blk < blocks; ++blk) {
    const int kv0 = blk * BN;
    __syncthreads();  // every thread is done with the previous K, V and P
    load_rows<D, BN>(sk, LD, k, kv0, a.n_kv);
    load_rows<D, BN>(sv, D, v, kv0, a.n_kv);
    __syncthreads();

    // S = Q K^T for rows rg, rg + 32 and keys cg + 8i.
    float s[2][4] = {};
#pragma unroll 4
    for (int c = 0; c < D; c += 4) {
      const float4 qa = *reinterpret_cast<const float4*>(sq + rg * LD + c);
      const float4 qb = *reinterpret_cast<const float4*>(sq + (rg + 32) * LD + c);
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float4 kb = *reinterpret_cast<const float4*>(sk + (cg + 8 * i) * LD + c);
        s[0][i] += qa.x * kb.x + qa.y * kb.y + qa.z * kb.z + qa.w * kb.w;
        s[1][i] += qb.x * kb.x + qb.y * kb.y + qb.z * kb.z + qb.w * kb.w;
      }
    }

    const bool masked = blk >= full_blocks;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = -INFINITY;
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        s[r][i] *= scale_log2;
        if (masked && kv0 + cg + 8 * i >= kend[r]) s[r][i] = -INFINITY;
        mx = fmaxf(mx, s[r][i]);
      }
      const float alpha = st[r].rescale(group8_max(mx));
#pragma unroll
      for (int j = 0; j < Tiles::kChunks; ++j) {
        acc[r][j].x *= alpha;
        acc[r][j].y *= alpha;
        acc[r][j].z *= alpha;
        acc[r][j].w *= alpha;
      }
      float sum = 0.0f;  // this thread's part of the row sum; the 8 parts are added at the end
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float p = st[r].prob(s[r][i]);
        sum += p;
        sp[(rg + 32 * r) * LDP + cg + 8 * i] = p;
      }
      st[r].add(sum);
    }
    __syncwarp();  // a row's P is written and read by the same 8 lanes

    // O += P V for rows rg, rg + 32 and float4 chunks cg + 8j.
#pragma unroll 4
    for (int j = 0; j < BN; ++j) {
      const float p0 = sp[rg * LDP + j], p1 = sp[(rg + 32) * LDP + j];
#pragma unroll
      for (int c = 0; c < Tiles::kChunks; ++c) {
        const float4 vv = *reinterpret_cast<const float4*>(sv + j * D + 4 * (cg + 8 * c));
        acc[0][c].x += p0 * vv.x;
        acc[0][c].y += p0 * vv.y;
        acc[0][c].z += p0 * vv.z;
        acc[0][c].w += p0 * vv.w;
        acc[1][c].x += p1 * vv.x;
        acc[1][c].y += p1 * vv.y;
        acc[1][c].z += p1 * vv.z;
        acc[1][c].w += p1 * vv.w;
      }
    }
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    st[r].l = group8_sum(st[r].l);
    const float inv = st[r].inv_sum();  // 0 for a row that sees no key
    if (rows[r] >= a.n_q) continue;
#pragma unroll
    for (int c = 0; c < Tiles::kChunks; ++c) {
      const float4 x = acc[r][c];
      *reinterpret_cast<float4*>(o + rows[r] * D + 4 * (cg + 8 * c)) =
          make_float4(x.x * inv, x.y * inv, x.z * inv, x.w * inv);
    }
  }
}

template <int D>
Status launch(const AttentionArgs<float>& a, cudaStream_t stream) {
  using Tiles = SimtTiles<D>;
  static SmemOptIn opt_in;
  const cudaError_t attr =
      opt_in.ensure(reinterpret_cast<const void*>(flash_simt_kernel<D>), int(Tiles::kSmemBytes));
  if (attr != cudaSuccess)
    return Status::error(int(attr), "attention.flash_simt: cannot reserve " + std::to_string(Tiles::kSmemBytes) +
                                        " bytes of shared memory a block (D = " + std::to_string(D) +
                                        "): " + cudaGetErrorString(attr));
  const int64_t q_tiles = ceil_div<int64_t>(a.n_q, Tiles::kBM);
  const int64_t blocks = q_tiles * a.batch_heads;
  if (blocks > 0x7fffffff) return Status::error(1, "attention.flash_simt: too many CTAs");
  const float scale_log2 = kLog2e / sqrtf(float(D));
  flash_simt_kernel<D><<<unsigned(blocks), Tiles::kThreads, Tiles::kSmemBytes, stream>>>(
      a, q_tiles, scale_log2);
  return launch_status("attention.flash_simt");
}

}  // namespace

Status attention_flash_simt(const AttentionArgs<float>& a, cudaStream_t stream) {
  if (std::string why = flash_alignment_error(a, "attention.flash_simt"); !why.empty())
    return Status::error(int(cudaErrorInvalidValue), why);
  if (a.head_dim == 64) return launch<64>(a, stream);
  if (a.head_dim == 128) return launch<128>(a, stream);
  return Status::error(int(cudaErrorInvalidValue), flash_head_dim_error(a.head_dim));
}

namespace {

KernelSpec flash_simt_spec() {
  AttentionSpecArgs args;
  args.variant = "flash_simt";
  args.dtype = "fp32";
  args.precision = {DType::fp32, Pipe::cuda_core};
  args.description = "fused FlashAttention-2 forward, online softmax, FP32 on CUDA cores";
  args.in_default_suite = true;
  return make_attention_spec<float>(args, [](const AttentionArgs<float>& a, float*, cudaStream_t s) {
    return attention_flash_simt(a, s);
  });
}

[[maybe_unused]] const bool registered = register_kernels({flash_simt_spec()});

}  // namespace
}  // namespace flopscope::kernels::attention
