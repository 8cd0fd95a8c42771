#pragma once
// Launchers of the attention forward kernels. Each checks its launch and
// returns a Status; none synchronizes or exits.
//
// Q, O: [B, H, N, D]; K, V: [B, H, Nk, D], row-major and contiguous, scale
// 1/sqrt(D), optional causal mask (attention_math.h).
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "common/status.h"

namespace flopscope::kernels::attention {

template <class T>
struct AttentionArgs {
  const T* q = nullptr;
  const T* k = nullptr;
  const T* v = nullptr;
  T* o = nullptr;
  int64_t batch_heads = 1;  ///< B * H
  int64_t n_q = 1, n_kv = 1;
  int head_dim = 64;
  bool causal = false;
};

/// Head dims the fused kernels are compiled for (naive takes any).
inline bool flash_head_dim_supported(int64_t d) { return d == 64 || d == 128; }
inline std::string flash_head_dim_error(int64_t d) {
  return "head_dim " + std::to_string(d) + " is not compiled for the flash kernels " +
         "(supported: 64, 128): use head_dim=64 or 128, or the naive variant";
}

/// The fused kernels move 16-byte vectors: "" when every tensor is 16-byte
/// aligned (as cudaMalloc returns them), else one line naming the constraint.
template <class T>
std::string flash_alignment_error(const AttentionArgs<T>& a, const char* who) {
  for (const void* p : {static_cast<const void*>(a.q), static_cast<const void*>(a.k),
                        static_cast<const void*>(a.v), static_cast<const void*>(a.o)})
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0)
      return std::string(who) + ": Q, K, V and O must be 16-byte aligned (16-byte vector loads)";
  return "";
}

/// naive.cu: S = scale Q K^T (masked scores -inf) into `scores`, softmax in
/// place (S becomes P), O = P V. `scores` holds batch_heads * n_q * n_kv floats.
/// T: float, __half, __nv_bfloat16. Three launches.
template <class T>
Status attention_naive(const AttentionArgs<T>& a, float* scores, cudaStream_t stream);

/// flash_simt.cu: fused, tiled over K/V blocks with an online softmax, FP32 on CUDA cores.
Status attention_flash_simt(const AttentionArgs<float>& a, cudaStream_t stream);

/// flash_mma.cu: as flash_simt on tensor cores (mma.sync m16n8k16, ldmatrix,
/// cp.async), FP32 accumulation. T: __half, __nv_bfloat16.
template <class T>
Status attention_flash_mma(const AttentionArgs<T>& a, cudaStream_t stream);

}  // namespace flopscope::kernels::attention
