// Naive (standard) attention: three kernels with the scores in device memory.
//   1. S = scale * Q K^T, masked scores -inf   (B*H, N, Nk) fp32, written
//   2. P = softmax(S) by rows, in place          S read, P written (memory/softmax.cuh)
//   3. O = P V                                   P read
// The starting point of the ladder: every score makes four trips to DRAM
// (attention_naive_cost), which the fused kernels remove. The two products are
// 32x32 shared-memory tiles, FP32 math on CUDA cores for every dtype; any N,
// Nk and D (tails predicated).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "attention/attention_math.h"
#include "attention/instance.cuh"
#include "memory/softmax.cuh"

namespace flopscope::kernels::attention {
namespace {

constexpr int kTile = 32;                // (32 rows, 32 columns) of the output per CTA
constexpr int kRowsPerThread = 4;        // threads (32, 8): each 4 rows of one column
constexpr int kThreadsY = kTile / kRowsPerThread;
static_assert(kTile % kRowsPerThread == 0, "each thread's rows must tile the CTA's rows");
static_assert(kTile * kThreadsY <= 1024, "a CTA of (kTile, kThreadsY) threads exceeds 1024");

/// C[bh] (rows x cols) = A[bh] (rows x depth) * B[bh], where B(c, j) is
/// b[j * depth + c] (kScores: B = K^T, output masked and scaled) or
/// b[c * cols + j] (O = P V).
template <class TA, class TB, class TC, bool kScores>
__global__ void __launch_bounds__(kTile * kThreadsY)
    tiled_product(const TA* a, const TB* b, TC* c, int64_t rows, int64_t cols, int64_t depth,
                  float scale, bool causal) {
  __shared__ float sa[kTile][kTile + 1];  // (rows, depth chunk)
  __shared__ float sb[kTile][kTile + 1];  // (depth chunk, cols)
  const int64_t bh = blockIdx.z;
  a += bh * rows * depth;
  b += bh * cols * depth;
  c += bh * rows * cols;
  const int64_t row0 = int64_t(blockIdx.y) * kTile, col0 = int64_t(blockIdx.x) * kTile;
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
  float acc[kRowsPerThread] = {};
  for (int64_t d0 = 0; d0 < depth; d0 += kTile) {
#pragma unroll
    for (int r = 0; r < kRowsPerThread; ++r) {
      const int y = ty + r * kThreadsY;  // tile row; x = tx runs along memory
      const int64_t ar = row0 + y, ad = d0 + tx;
      sa[y][tx] = in_bounds(ar, ad, rows, depth) ? DTypeTraits<TA>::to_float(a[ar * depth + ad]) : 0.f;
      if constexpr (kScores) {  // K row col0 + y, depth d0 + tx: stored transposed
        const int64_t kr = col0 + y;
        sb[tx][y] = in_bounds(kr, ad, cols, depth) ? DTypeTraits<TB>::to_float(b[kr * depth + ad]) : 0.f;
      } else {  // V row d0 + y, column col0 + tx
        const int64_t vr = d0 + y, vc = col0 + tx;
        sb[y][tx] = in_bounds(vr, vc, depth, cols) ? DTypeTraits<TB>::to_float(b[vr * cols + vc]) : 0.f;
      }
    }
    __syncthreads();
#pragma unroll 8
    for (int k = 0; k < kTile; ++k) {
      const float bv = sb[k][tx];
#pragma unroll
      for (int r = 0; r < kRowsPerThread; ++r) acc[r] += sa[ty + r * kThreadsY][k] * bv;
    }
    __syncthreads();
  }
#pragma unroll
  for (int r = 0; r < kRowsPerThread; ++r) {
    const int64_t row = row0 + ty + r * kThreadsY, col = col0 + tx;
    if (!in_bounds(row, col, rows, cols)) continue;
    float out = acc[r];
    if constexpr (kScores) out = key_visible(row, col, rows, cols, causal) ? out * scale : -INFINITY;
    c[row * cols + col] = DTypeTraits<TC>::from_float(out);
  }
}

template <class T>
Status launch_naive(const AttentionArgs<T>& a, float* s, cudaStream_t stream) {
  if (a.batch_heads > 65535) return Status::error(1, "attention.naive: batch*heads exceeds 65535");
  const dim3 block(kTile, kThreadsY);
  const dim3 grid_s(unsigned(ceil_div<int64_t>(a.n_kv, kTile)), unsigned(ceil_div<int64_t>(a.n_q, kTile)),
                    unsigned(a.batch_heads));
  if (grid_s.y > 65535u) return Status::error(1, "attention.naive: seq exceeds 65535*32");
  tiled_product<T, T, float, true><<<grid_s, block, 0, stream>>>(
      a.q, a.k, s, a.n_q, a.n_kv, a.head_dim, 1.0f / sqrtf(float(a.head_dim)), a.causal);
  if (Status st = launch_status("attention.naive scores"); !st.ok()) return st;
  if (Status st = memory::softmax_rows<float>(s, s, a.batch_heads * a.n_q, a.n_kv, stream); !st.ok())
    return st;
  const dim3 grid_o(unsigned(ceil_div<int64_t>(a.head_dim, kTile)), grid_s.y, grid_s.z);
  tiled_product<float, T, T, false><<<grid_o, block, 0, stream>>>(s, a.v, a.o, a.n_q, a.head_dim,
                                                                  a.n_kv, 1.0f, false);
  return launch_status("attention.naive PV");
}

}  // namespace

template <class T>
Status attention_naive(const AttentionArgs<T>& a, float* scores, cudaStream_t stream) {
  return launch_naive<T>(a, scores, stream);
}

template Status attention_naive<float>(const AttentionArgs<float>&, float*, cudaStream_t);
template Status attention_naive<__half>(const AttentionArgs<__half>&, float*, cudaStream_t);
template Status attention_naive<__nv_bfloat16>(const AttentionArgs<__nv_bfloat16>&, float*, cudaStream_t);

namespace {

template <class T>
KernelSpec naive_spec(const char* dtype) {
  AttentionSpecArgs args;
  args.variant = "naive";
  args.dtype = dtype;
  args.precision = {DType::fp32, Pipe::cuda_core};  // FP32 FMAs whatever the storage
  args.description = "S = QK^T, softmax, O = PV as three kernels; S and P in device memory";
  args.fused = false;
  args.flash_dims = false;
  args.launches = 3;
  // Refused up front (bad input), not at launch (a failure): B*H is gridDim.z,
  // the query tiles gridDim.y, both at most 65535.
  args.check = [](const AttentionDims& d) -> std::string {
    // The way out: a flash variant where it takes the head dim, else smaller runs.
    const std::string fix = flash_head_dim_supported(d.head_dim)
                                ? "use a flash variant"
                                : "split the problem into smaller runs (the flash variants take head_dim 64 or 128)";
    if (d.batch * d.heads > 65535)
      return "batch*heads must be at most 65535 for attention.naive (gridDim.z): " + fix;
    // The softmax kernel takes one row per (batch, head, query): an int count.
    if (d.batch * d.heads * d.n_q > kMaxIndexDim)
      return std::string("batch*heads*seq must be at most ") + kMaxIndexDimText +
             " for attention.naive (softmax rows): " + fix;
    if (ceil_div<int64_t>(d.n_q, kTile) > 65535)
      return "seq must be at most " + std::to_string(int64_t(65535) * kTile) + " for attention.naive (gridDim.y): " +
             fix;
    return "";
  };
  args.in_default_suite = std::string(dtype) == "bf16";
  return make_attention_spec<T>(args, [](const AttentionArgs<T>& a, float* s, cudaStream_t st) {
    return attention_naive<T>(a, s, st);
  });
}

[[maybe_unused]] const bool registered = register_kernels({
    naive_spec<float>("fp32"),
    naive_spec<__half>("fp16"),
    naive_spec<__nv_bfloat16>("bf16"),
});

}  // namespace
}  // namespace flopscope::kernels::attention
