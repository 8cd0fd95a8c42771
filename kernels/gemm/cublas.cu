// gemm.cublas: the vendor baselines through cublasGemmEx, one entry per dtype
// (fp32 pedantic, tf32, fp16, bf16: gemm/vendor.cuh).
// Row-major C = A*B is computed as the column-major C^T = B^T * A^T, which
// needs no copies (common/cublas_util.cuh). Each instance owns its handle and
// a 32 MiB workspace.
#include <memory>

#include "common/cublas_util.cuh"
#include "gemm/instance.cuh"
#include "gemm/vendor.cuh"

namespace flopscope::kernels::gemm {
namespace {

template <class T>
Launch<T> make_cublas_launch(cudaDataType_t type, cublasComputeType_t compute) {
  auto handle = std::make_shared<CublasHandle>();
  return [handle, type, compute](const T* a, const T* b, T* c, int m, int n, int k,
                                 cudaStream_t stream) -> Status {
    return cublas_gemm_row_major(*handle, a, b, c, m, n, k, type, compute, stream, "gemm.cublas");
  };
}

[[maybe_unused]] const bool registered = register_kernels(vendor_specs(
    "cublas", "cublasGemmEx", true, [](auto tag, cudaDataType_t type, cublasComputeType_t compute) {
      return make_cublas_launch<decltype(tag)>(type, compute);
    }));

}  // namespace
}  // namespace flopscope::kernels::gemm
