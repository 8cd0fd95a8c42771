// ffn.{gelu,swiglu}_unfused: the FFN as three kernels on the project's
// tensor-core GEMM (gemm/mma_sync.cuh):
//   H = X W1          mma.sync GEMM, H [T, f] (SwiGLU: [T, 2f]) written to memory
//   A = act(H)        the activation kernel reads H, writes A [T, f]
//   Y = A W2          mma.sync GEMM
// The baseline for fused.cu: H makes a round trip through DRAM
// (ffn_cost(fused = false)).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "ffn/instance.cuh"
#include "gemm/mma_sync.cuh"

namespace flopscope::kernels::ffn {
namespace {

template <class T>
Status launch_unfused(const FfnBuffers<T>& b, const FfnDims& d, cudaStream_t stream) {
  const int t = int(d.tokens), dm = int(d.d_model), f = int(d.d_ff), n1 = int(w1_cols(d));
  if (Status s = gemm::mma_sync_gemm<T>(b.x, b.w1, t, n1, dm, gemm::StoreEpilogue<T>{b.h, n1}, stream);
      !s.ok())
    return s;
  if (Status s = launch_activation<T>(b.h, b.a, d, stream); !s.ok()) return s;
  return gemm::mma_sync_gemm<T>(b.a, b.w2, t, dm, f, gemm::StoreEpilogue<T>{b.y, dm}, stream);
}

template <class T>
KernelSpec unfused_spec(FfnType type, const char* dtype, DType dt) {
  FfnSpecArgs args;
  args.variant = std::string(to_string(type)) + "_unfused";
  args.dtype = dtype;
  args.type = type;
  args.precision = {dt, Pipe::tensor};
  args.description = "mma.sync GEMM, activation kernel, mma.sync GEMM (hidden through DRAM)";
  args.in_default_suite = dt == DType::bf16 && type == FfnType::swiglu;  // GELU: on request
  args.min_cc = 80;
  args.smem_bytes = gemm::MmaConfig<T>::kSmemBytes;
  args.check = mma_ffn_check<T>;
  return make_ffn_spec<T>(args, [] { return Launch<T>(launch_unfused<T>); });
}

[[maybe_unused]] const bool registered = register_kernels({
    unfused_spec<__half>(FfnType::gelu, "fp16", DType::fp16),
    unfused_spec<__nv_bfloat16>(FfnType::gelu, "bf16", DType::bf16),
    unfused_spec<__half>(FfnType::swiglu, "fp16", DType::fp16),
    unfused_spec<__nv_bfloat16>(FfnType::swiglu, "bf16", DType::bf16),
    unfused_spec<float>(FfnType::gelu, "tf32", DType::tf32),  // FP32 storage, TF32 mma.sync
    unfused_spec<float>(FfnType::swiglu, "tf32", DType::tf32),
});

}  // namespace
}  // namespace flopscope::kernels::ffn
