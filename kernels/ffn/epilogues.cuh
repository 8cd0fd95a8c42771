#pragma once
// The fused FFN's first-GEMM epilogues (the functor contract of
// gemm/epilogue.cuh), shared by the variants on gemm.mma_sync (fused.cu) and on
// gemm.wgmma (fused_wgmma.cu): the activation is applied to the FP32
// accumulators in registers, so H = X W1 is never written.
#include <cuda_runtime.h>

#include <cstddef>

#include "common/dtype.cuh"
#include "ffn/activation.h"
#include "gemm/epilogue.cuh"

namespace flopscope::kernels::ffn {

/// A[row, col..col+1] = gelu(v0), gelu(v1).
template <class T>
struct GeluEpilogue {
  T* a;
  int lda;
  __device__ __forceinline__ void operator()(int row, int col, float v0, float v1) const {
    gemm::StoreEpilogue<T>{a, lda}(row, col, gelu_tanh(v0), gelu_tanh(v1));
  }
};

/// Columns (col, col+1) of X W1 are hidden unit col/2's (gate, up):
/// A[row, col/2] = silu(gate) * up.
template <class T>
struct SwigluEpilogue {
  T* a;
  int lda;
  __device__ __forceinline__ void operator()(int row, int col, float gate, float up) const {
    a[size_t(row) * lda + col / 2] = DTypeTraits<T>::from_float(swiglu(gate, up));
  }
};

}  // namespace flopscope::kernels::ffn
