// gemm.reg_tiled: adds 2-D register blocking and vectorized loads over
// smem_tiled; the SIMT FP32 workhorse.
//  - A block of 256 threads computes a 128x128 tile of C; each thread an 8x8
//    sub-tile held in 64 registers, so every shared-memory load feeds 8 FMAs
//    instead of 1/2.
//  - A's tile is stored transposed in shared memory (k-major) so that a thread
//    reads its 8 A values, like its 8 B values, as two float4 loads.
//  - Each thread's 8 rows (and 8 columns) are two groups of 4, 64 apart: a warp's
//    float4 loads then hit distinct banks or broadcast.
//  - Global loads are float4 (when k and n are multiples of 4), prefetched into
//    registers for the next k-tile while this one is computed; shared memory is
//    double-buffered, one barrier per k-tile.
// Any m, n, k: tails are zero-filled on load and predicated on store. Rows not
// 16-byte aligned (k or n not a multiple of 4) take the scalar-load instantiation.
#include <cstdint>

#include "common/tile_math.h"
#include "gemm/instance.cuh"

namespace flopscope::kernels::gemm {
namespace {

constexpr int kBM = 128, kBN = 128, kBK = 8;   // block tile (BM, BN), k-step BK
constexpr int kThreads = 256;                   // (16, 16) threads, 8x8 outputs each
constexpr int kHalf = 64;                       // second group of 4 rows/cols starts here
constexpr int kPadA = 4;                        // keeps float4 alignment of A^T rows
static_assert(kThreads == (kBM / 8) * (kBN / 8), "one 8x8 sub-tile per thread");
constexpr int kLoads = kBM * kBK / 4 / kThreads;  // float4 of A (and of B) per thread per k-tile
static_assert(kLoads * kThreads * 4 == kBM * kBK && kBM * kBK == kBK * kBN, "whole float4 loads");

static_assert(kLoads == 1, "one float4 of A and one of B per thread per k-tile");

/// Where one thread's loads come from: fixed per thread, advanced by k0 per k-tile
/// (few live registers: the prefetch must not push the 8x8 tile into local memory).
struct LoadPlan {
  const float* a;  // A[bm + a_row, a_col]
  const float* b;  // B[b_row, bn + b_col]
  int a_row, a_col, b_row, b_col;  // tile-local coordinates
};

__device__ __forceinline__ LoadPlan make_plan(const float* a, const float* b, int n, int k,
                                              int bm, int bn) {
  LoadPlan p;
  p.a_row = threadIdx.x / (kBK / 4);
  p.a_col = (threadIdx.x % (kBK / 4)) * 4;  // A tile: (kBM rows, kBK/4 float4)
  p.b_row = threadIdx.x / (kBN / 4);
  p.b_col = (threadIdx.x % (kBN / 4)) * 4;  // B tile: (kBK rows, kBN/4 float4)
  p.a = a + size_t(bm + p.a_row) * k + p.a_col;
  p.b = b + size_t(p.b_row) * n + bn + p.b_col;
  return p;
}

template <bool kVec>
__device__ __forceinline__ float4 load4(const float* __restrict__ p, bool row_ok, int col,
                                        int cols) {
  if constexpr (kVec) {
    // cols % 4 == 0: a vector is wholly in or out.
    if (row_ok && col < cols) return *reinterpret_cast<const float4*>(p);
    return make_float4(0.f, 0.f, 0.f, 0.f);
  } else {
    float v[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) v[j] = (row_ok && col + j < cols) ? p[j] : 0.f;
    return make_float4(v[0], v[1], v[2], v[3]);
  }
}

template <bool kVec>
__global__ void __launch_bounds__(kThreads, 2)
    gemm_reg_tiled_kernel(const float* __restrict__ a, const float* __restrict__ b,
                          float* __restrict__ c, int m, int n, int k) {
  __shared__ __align__(16) float a_t[2][kBK][kBM + kPadA];  // (stage, k, row)
  __shared__ __align__(16) float b_s[2][kBK][kBN];          // (stage, k, col)
  const int bm = blockIdx.y * kBM, bn = blockIdx.x * kBN;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;

  float acc[8][8] = {};
  const LoadPlan plan = make_plan(a, b, n, k, bm, bn);
  const bool a_row_ok = bm + plan.a_row < m;
  // Next k-tile's values, in flight while this one is computed.
  float4 next_a = load4<kVec>(plan.a, a_row_ok, plan.a_col, k);
  float4 next_b = load4<kVec>(plan.b, plan.b_row < k, bn + plan.b_col, n);
  auto store = [&](int stage) {
    a_t[stage][plan.a_col + 0][plan.a_row] = next_a.x;  // transposed: (k, row)
    a_t[stage][plan.a_col + 1][plan.a_row] = next_a.y;
    a_t[stage][plan.a_col + 2][plan.a_row] = next_a.z;
    a_t[stage][plan.a_col + 3][plan.a_row] = next_a.w;
    *reinterpret_cast<float4*>(&b_s[stage][plan.b_row][plan.b_col]) = next_b;
  };
  store(0);
  __syncthreads();

  const int tiles = k_tiles(k, kBK);
  for (int t = 0; t < tiles; ++t) {
    const int cur = t & 1;
    const bool more = t + 1 < tiles;
    // The next k-tile's loads, issued before this tile's FMAs. Not under
    // `if (more)`: behind that branch the compiler sank them to just before the
    // store, so every k-tile waited a full memory latency. Past the last tile
    // their predicates are false anyway (k0 >= k): they load zeros, touch nothing.
    {
      const int k0 = (t + 1) * kBK;
      next_a = load4<kVec>(plan.a + k0, a_row_ok, k0 + plan.a_col, k);
      next_b = load4<kVec>(plan.b + size_t(k0) * n, k0 + plan.b_row < k, bn + plan.b_col, n);
    }
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      const float4 a0 = *reinterpret_cast<const float4*>(&a_t[cur][kk][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&a_t[cur][kk][kHalf + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&b_s[cur][kk][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&b_s[cur][kk][kHalf + tx * 4]);
      const float ra[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float rb[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
    }
    if (more) store(cur ^ 1);
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int row = bm + (i < 4 ? ty * 4 + i : kHalf + ty * 4 + i - 4);
    if (row >= m) continue;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int col = bn + h * kHalf + tx * 4;
      float* out = c + size_t(row) * n + col;
      if (kVec && vector_in_bounds(col, 4, n)) {
        *reinterpret_cast<float4*>(out) =
            make_float4(acc[i][h * 4], acc[i][h * 4 + 1], acc[i][h * 4 + 2], acc[i][h * 4 + 3]);
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j)
          if (col + j < n) out[j] = acc[i][h * 4 + j];
      }
    }
  }
}

Status launch_reg_tiled(const float* a, const float* b, float* c, int m, int n, int k,
                        cudaStream_t stream) {
  const dim3 grid(ceil_div(n, kBN), ceil_div(m, kBM));
  if (grid.y > 65535u) return Status::error(1, "gemm.reg_tiled: m is too large for the grid");
  // float4 paths need 16-byte aligned rows: k and n multiples of 4 and 16-byte
  // aligned bases (cudaMalloc's are; an offset view takes the scalar path).
  const auto aligned = [](const float* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
  if (k % 4 == 0 && n % 4 == 0 && aligned(a) && aligned(b) && aligned(c))
    gemm_reg_tiled_kernel<true><<<grid, kThreads, 0, stream>>>(a, b, c, m, n, k);
  else
    gemm_reg_tiled_kernel<false><<<grid, kThreads, 0, stream>>>(a, b, c, m, n, k);
  return launch_status("gemm.reg_tiled");
}

KernelSpec reg_tiled_spec() {
  GemmSpecArgs args;
  args.variant = "reg_tiled";
  args.dtype = "fp32";
  args.precision = {DType::fp32, Pipe::cuda_core};
  args.description = "128x128 block tile, 8x8 register tile per thread, float4 loads";
  args.check = max_rows_check(kBM);
  args.in_default_suite = true;
  return make_gemm_spec<float>(args, [] { return Launch<float>(launch_reg_tiled); });
}

[[maybe_unused]] const bool registered = register_kernels({reg_tiled_spec()});

}  // namespace
}  // namespace flopscope::kernels::gemm
