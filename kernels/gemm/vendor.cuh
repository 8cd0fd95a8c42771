#pragma once
// The vendor baselines' four entries, shared by gemm.cublas and gemm.cublaslt:
//   fp32  FP32 math on CUDA cores (CUBLAS_COMPUTE_32F_PEDANTIC: no TF32, no
//         reduced-precision shortcuts), judged against the fp32 peak;
//   tf32  FP32 storage, TF32 tensor-core math (CUBLAS_COMPUTE_32F_FAST_TF32);
//   fp16, bf16  16-bit storage, tensor cores, FP32 accumulation.
#include <string>
#include <vector>

#include "common/cublas_util.cuh"
#include "gemm/instance.cuh"

namespace flopscope::kernels::gemm {

/// `factory(T{}, type, compute)` returns the Launch<T> for one instance.
template <class T, class Factory>
KernelSpec vendor_spec(const char* variant, const char* dtype, Precision precision,
                       cudaDataType_t type, cublasComputeType_t compute, std::string what,
                       bool suite, Factory factory) {
  GemmSpecArgs args;
  args.variant = variant;
  args.dtype = dtype;
  args.precision = precision;
  args.description = std::move(what);
  args.in_default_suite = suite;
  args.workspace_bytes = double(kCublasWorkspaceBytes);
  return make_gemm_spec<T>(args, [factory, type, compute] { return Launch<T>(factory(T{}, type, compute)); });
}

/// fp32 (pedantic), tf32, fp16 and bf16 entries for one vendor API.
template <class Factory>
std::vector<KernelSpec> vendor_specs(const char* variant, const std::string& api, bool suite,
                                     Factory factory) {
  return {
      vendor_spec<float>(variant, "fp32", {DType::fp32, Pipe::cuda_core}, CUDA_R_32F,
                         CUBLAS_COMPUTE_32F_PEDANTIC, api + ", FP32 pedantic (CUDA cores)", suite, factory),
      vendor_spec<float>(variant, "tf32", {DType::tf32, Pipe::tensor}, CUDA_R_32F,
                         CUBLAS_COMPUTE_32F_FAST_TF32, api + ", FP32 storage, TF32 tensor cores", suite,
                         factory),
      vendor_spec<__half>(variant, "fp16", {DType::fp16, Pipe::tensor}, CUDA_R_16F, CUBLAS_COMPUTE_32F,
                          api + ", FP16 tensor cores, FP32 accumulate", suite, factory),
      vendor_spec<__nv_bfloat16>(variant, "bf16", {DType::bf16, Pipe::tensor}, CUDA_R_16BF,
                                 CUBLAS_COMPUTE_32F, api + ", BF16 tensor cores, FP32 accumulate", suite,
                                 factory),
  };
}

}  // namespace flopscope::kernels::gemm
