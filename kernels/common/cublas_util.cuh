#pragma once
// cuBLAS pieces shared by the families that build on it: an owning handle with
// its workspace, status conversion, and the row-major GEMM through
// cublasGemmEx (row-major C = A*B is the column-major C^T = B^T * A^T, no copies).
#include <string>

#include "common/cuda_util.cuh"
#include "harness/cublas_api.h"

namespace flopscope::kernels {

inline constexpr size_t kCublasWorkspaceBytes = size_t(32) << 20;  // cuBLAS's advice for Hopper

/// One cuBLAS handle and its workspace; throws Error(failure) when creation fails.
struct CublasHandle {
  const CublasApi& api = cublas_api();  // every cuBLAS call on this handle goes through it
  cublasHandle_t handle = nullptr;
  DeviceBuffer<unsigned char> workspace{kCublasWorkspaceBytes};
  CublasHandle() {
    const cublasStatus_t st = api.create(&handle);
    if (st != CUBLAS_STATUS_SUCCESS)
      throw Error(ErrorKind::failure, std::string("cublasCreate failed: ") + api.status_string(st));
  }
  ~CublasHandle() { api.destroy(handle); }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
};

inline Status cublas_status(cublasStatus_t st, const std::string& what) {
  if (st == CUBLAS_STATUS_SUCCESS) return Status::success();
  return Status::error(int(st), what + ": " + cublas_api().status_string(st));
}

/// Row-major C[m,n] = A[m,k] * B[k,n] on `stream`, FP32 accumulation.
inline Status cublas_gemm_row_major(CublasHandle& h, const void* a, const void* b, void* c, int m,
                                    int n, int k, cudaDataType_t type, cublasComputeType_t compute,
                                    cudaStream_t stream, const std::string& what) {
  const CublasApi& api = h.api;
  if (Status s = cublas_status(api.set_stream(h.handle, stream), what + ": cublasSetStream"); !s.ok())
    return s;
  if (Status s = cublas_status(
          api.set_workspace(h.handle, h.workspace.get(), h.workspace.bytes()), what + ": cublasSetWorkspace");
      !s.ok())
    return s;
  const float alpha = 1.f, beta = 0.f;
  return cublas_status(api.gemm_ex(h.handle, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &alpha, b, type, n,
                                   a, type, k, &beta, c, type, n, compute, CUBLAS_GEMM_DEFAULT),
                       what + ": cublasGemmEx");
}

}  // namespace flopscope::kernels
