// ffn.{gelu,swiglu}_cublas: the unfused FFN of unfused.cu with both products
// done by cuBLAS (cublasGemmEx, tensor cores, FP32 accumulation): the vendor
// baseline for the project's own GEMMs. Takes any T, d and f.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <memory>

#include "common/cublas_util.cuh"
#include "ffn/instance.cuh"

namespace flopscope::kernels::ffn {
namespace {

template <class T>
Launch<T> make_cublas_launch(cudaDataType_t type) {
  auto h = std::make_shared<CublasHandle>();
  return [h, type](const FfnBuffers<T>& b, const FfnDims& d, cudaStream_t stream) -> Status {
    const int t = int(d.tokens), dm = int(d.d_model), f = int(d.d_ff), n1 = int(w1_cols(d));
    if (Status s = cublas_gemm_row_major(*h, b.x, b.w1, b.h, t, n1, dm, type, CUBLAS_COMPUTE_32F,
                                         stream, "ffn.cublas W1");
        !s.ok())
      return s;
    if (Status s = launch_activation<T>(b.h, b.a, d, stream); !s.ok()) return s;
    return cublas_gemm_row_major(*h, b.a, b.w2, b.y, t, dm, f, type, CUBLAS_COMPUTE_32F, stream,
                                 "ffn.cublas W2");
  };
}

template <class T>
KernelSpec cublas_spec(FfnType type, const char* dtype, DType dt, cudaDataType_t cuda_type) {
  FfnSpecArgs args;
  args.variant = std::string(to_string(type)) + "_cublas";
  args.dtype = dtype;
  args.type = type;
  args.precision = {dt, Pipe::tensor};
  args.description = "cublasGemmEx, activation kernel, cublasGemmEx (the vendor baseline)";
  args.in_default_suite = dt == DType::bf16 && type == FfnType::swiglu;  // GELU: on request
  args.workspace_bytes = double(kCublasWorkspaceBytes);
  return make_ffn_spec<T>(args, [cuda_type] { return make_cublas_launch<T>(cuda_type); });
}

[[maybe_unused]] const bool registered = register_kernels({
    cublas_spec<__half>(FfnType::gelu, "fp16", DType::fp16, CUDA_R_16F),
    cublas_spec<__nv_bfloat16>(FfnType::gelu, "bf16", DType::bf16, CUDA_R_16BF),
    cublas_spec<__half>(FfnType::swiglu, "fp16", DType::fp16, CUDA_R_16F),
    cublas_spec<__nv_bfloat16>(FfnType::swiglu, "bf16", DType::bf16, CUDA_R_16BF),
});

}  // namespace
}  // namespace flopscope::kernels::ffn
