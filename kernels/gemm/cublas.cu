// gemm.cublas: the vendor baselines, through cublasGemmEx, one entry per dtype:
//   fp32  FP32 math on CUDA cores (CUBLAS_COMPUTE_32F_PEDANTIC: no TF32, no
//         reduced-precision shortcuts), judged against the fp32 peak;
//   tf32  FP32 storage, TF32 tensor-core math (CUBLAS_COMPUTE_32F_FAST_TF32);
//   fp16, bf16  16-bit storage, tensor cores, FP32 accumulation.
// Row-major C = A*B is computed as the column-major C^T = B^T * A^T, which
// needs no copies (common/cublas_util.cuh). Each instance owns its handle and
// a 32 MiB workspace.
#include <memory>

#include "common/cublas_util.cuh"
#include "gemm/instance.cuh"

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

template <class T>
KernelSpec cublas_spec(const char* dtype, Precision precision, cudaDataType_t type,
                       cublasComputeType_t compute, const char* what) {
  GemmSpecArgs args;
  args.variant = "cublas";
  args.dtype = dtype;
  args.precision = precision;
  args.description = what;
  args.in_default_suite = true;
  args.workspace_bytes = double(kCublasWorkspaceBytes);
  return make_gemm_spec<T>(args, [type, compute] { return make_cublas_launch<T>(type, compute); });
}

[[maybe_unused]] const bool registered = register_kernels({
    cublas_spec<float>("fp32", {DType::fp32, Pipe::cuda_core}, CUDA_R_32F,
                       CUBLAS_COMPUTE_32F_PEDANTIC, "cublasGemmEx, FP32 pedantic (CUDA cores)"),
    cublas_spec<float>("tf32", {DType::tf32, Pipe::tensor}, CUDA_R_32F,
                       CUBLAS_COMPUTE_32F_FAST_TF32, "cublasGemmEx, FP32 storage, TF32 tensor cores"),
    cublas_spec<__half>("fp16", {DType::fp16, Pipe::tensor}, CUDA_R_16F, CUBLAS_COMPUTE_32F,
                        "cublasGemmEx, FP16 tensor cores, FP32 accumulate"),
    cublas_spec<__nv_bfloat16>("bf16", {DType::bf16, Pipe::tensor}, CUDA_R_16BF,
                               CUBLAS_COMPUTE_32F, "cublasGemmEx, BF16 tensor cores, FP32 accumulate"),
});

}  // namespace
}  // namespace flopscope::kernels::gemm
