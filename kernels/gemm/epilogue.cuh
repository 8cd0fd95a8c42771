#pragma once
// The epilogue functor of the tensor-core GEMMs (gemm/mma_sync.cuh, gemm/wgmma.cuh).
//
// ---- Epilogue functor contract -------------------------------------------------
// The kernel hands its FP32 results to an `Epilogue` passed by value (it must be
// trivially copyable: a struct of pointers and scalars):
//
//   struct MyEpilogue {
//     __device__ void operator()(int row, int col, float v0, float v1) const;
//   };
//
//  - called exactly once for every pair of adjacent outputs (row, col) and
//    (row, col + 1) of the M x N product, with col even and both in range
//    (row < m, col + 1 < n: n is even under both kernels' constraints);
//  - v0, v1 are the complete sums over all of k for those two outputs, in FP32;
//  - calls for different pairs run concurrently in arbitrary order, and the
//    functor is responsible for its own stores (so an epilogue may write fewer
//    or differently-typed outputs: SwiGLU writes silu(v0) * v1 at column col / 2
//    when gate and up columns are interleaved);
//  - it must not read anything the same kernel writes.
// StoreEpilogue below is the plain GEMM's: C[row, col..col+1] = (v0, v1) as T.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "common/mma_ptx.cuh"  // pack2

namespace flopscope::kernels::gemm {

/// The plain GEMM epilogue: C[row, col] and C[row, col + 1] as T (ldc = row pitch).
/// Its paired stores need C aligned to 2 * sizeof(T): check with
/// store_epilogue_misaligned before launching on a caller's C.
template <class T>
struct StoreEpilogue {
  T* c;
  int ldc;
  __device__ __forceinline__ void operator()(int row, int col, float v0, float v1) const {
    T* p = c + size_t(row) * ldc + col;  // col and ldc even: 4- or 8-byte aligned
    if constexpr (sizeof(T) == 2) {
      *reinterpret_cast<uint32_t*>(p) = ptx::pack2<T>(v0, v1);
    } else {
      *reinterpret_cast<float2*>(p) = make_float2(v0, v1);
    }
  }
};

/// Why StoreEpilogue cannot write pairs to `c` (empty when it can). cudaMalloc
/// bases always can; an offset view into one may not.
template <class T>
inline const char* store_epilogue_misaligned(const T* c) {
  if (reinterpret_cast<uintptr_t>(c) % (2 * sizeof(T)) == 0) return "";
  return sizeof(T) == 2 ? "C must be 4-byte aligned (paired 2-byte stores)"
                        : "C must be 8-byte aligned (paired 4-byte stores)";
}

}  // namespace flopscope::kernels::gemm
