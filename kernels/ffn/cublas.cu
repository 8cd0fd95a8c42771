// ffn.{gelu,swiglu}_cublas: the unfused FFN of unfused.cu with both products
// done by cuBLAS (cublasGemmEx): the vendor baseline for the project's own
// GEMMs. Takes any T, d and f. As gemm.cublas (gemm/vendor.cuh): fp16 and bf16
// on tensor cores with FP32 accumulation, tf32 (FP32 storage, TF32 tensor
// cores) and fp32 (pedantic: FP32 math on CUDA cores).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <memory>
#include <vector>

#include "common/cublas_util.cuh"
#include "ffn/instance.cuh"

namespace flopscope::kernels::ffn {
namespace {

template <class T>
Launch<T> make_cublas_launch(cudaDataType_t type, cublasComputeType_t compute) {
  auto h = std::make_shared<CublasHandle>();
  return [h, type, compute](const FfnBuffers<T>& b, const FfnDims& d, cudaStream_t stream) -> Status {
    const int t = int(d.tokens), dm = int(d.d_model), f = int(d.d_ff), n1 = int(w1_cols(d));
    if (Status s = cublas_gemm_row_major(*h, b.x, b.w1, b.h, t, n1, dm, type, compute, stream, "ffn.cublas W1");
        !s.ok())
      return s;
    if (Status s = launch_activation<T>(b.h, b.a, d, stream); !s.ok()) return s;
    return cublas_gemm_row_major(*h, b.a, b.w2, b.y, t, dm, f, type, compute, stream, "ffn.cublas W2");
  };
}

template <class T>
KernelSpec cublas_spec(FfnType type, const char* dtype, Precision precision, cudaDataType_t cuda_type,
                       cublasComputeType_t compute) {
  FfnSpecArgs args;
  args.variant = std::string(to_string(type)) + "_cublas";
  args.dtype = dtype;
  args.type = type;
  args.precision = precision;
  args.description = "cublasGemmEx, activation kernel, cublasGemmEx (the vendor baseline)";
  args.in_default_suite = precision.dtype == DType::bf16 && type == FfnType::swiglu;  // the rest: on request
  args.workspace_bytes = double(kCublasWorkspaceBytes);
  return make_ffn_spec<T>(args, [cuda_type, compute] { return make_cublas_launch<T>(cuda_type, compute); });
}

std::vector<KernelSpec> cublas_specs() {
  std::vector<KernelSpec> specs;
  for (FfnType type : {FfnType::gelu, FfnType::swiglu}) {
    specs.push_back(cublas_spec<__half>(type, "fp16", {DType::fp16, Pipe::tensor}, CUDA_R_16F, CUBLAS_COMPUTE_32F));
    specs.push_back(
        cublas_spec<__nv_bfloat16>(type, "bf16", {DType::bf16, Pipe::tensor}, CUDA_R_16BF, CUBLAS_COMPUTE_32F));
    specs.push_back(
        cublas_spec<float>(type, "tf32", {DType::tf32, Pipe::tensor}, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32));
    specs.push_back(
        cublas_spec<float>(type, "fp32", {DType::fp32, Pipe::cuda_core}, CUDA_R_32F, CUBLAS_COMPUTE_32F_PEDANTIC));
  }
  return specs;
}

[[maybe_unused]] const bool registered = register_kernels(cublas_specs());

}  // namespace
}  // namespace flopscope::kernels::ffn
