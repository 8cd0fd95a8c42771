// ffn.{gelu,swiglu}_fused: as unfused.cu, with the activation in the first
// GEMM's epilogue (ffn/epilogues.cuh, the functor of gemm/epilogue.cuh):
//   A = act(X W1)     mma.sync GEMM whose epilogue applies GELU, or SwiGLU's
//                     gating to each (gate, up) pair of adjacent columns
//   Y = A W2          mma.sync GEMM
// Adds over unfused.cu: H never exists; the FP32 accumulators are activated in
// registers, which removes one kernel and 2 (SwiGLU: 4) T x f passes over DRAM.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "ffn/epilogues.cuh"
#include "ffn/instance.cuh"
#include "gemm/mma_sync.cuh"

namespace flopscope::kernels::ffn {
namespace {

template <class T>
Status launch_fused(const FfnBuffers<T>& b, const FfnDims& d, cudaStream_t stream) {
  const int t = int(d.tokens), dm = int(d.d_model), f = int(d.d_ff), n1 = int(w1_cols(d));
  const Status s = d.type == FfnType::swiglu
                       ? gemm::mma_sync_gemm<T>(b.x, b.w1, t, n1, dm, SwigluEpilogue<T>{b.a, f}, stream)
                       : gemm::mma_sync_gemm<T>(b.x, b.w1, t, n1, dm, GeluEpilogue<T>{b.a, f}, stream);
  if (!s.ok()) return s;
  return gemm::mma_sync_gemm<T>(b.a, b.w2, t, dm, f, gemm::StoreEpilogue<T>{b.y, dm}, stream);
}

template <class T>
KernelSpec fused_spec(FfnType type, const char* dtype, DType dt) {
  FfnSpecArgs args = fused_ffn_args(type, dtype, dt, "", "mma.sync", "");
  args.min_cc = 80;
  args.smem_bytes = gemm::MmaConfig<T>::kSmemBytes;
  args.check = mma_ffn_check<T>;
  return make_ffn_spec<T>(args, [] { return Launch<T>(launch_fused<T>); });
}

[[maybe_unused]] const bool registered = register_kernels({
    fused_spec<__half>(FfnType::gelu, "fp16", DType::fp16),
    fused_spec<__nv_bfloat16>(FfnType::gelu, "bf16", DType::bf16),
    fused_spec<__half>(FfnType::swiglu, "fp16", DType::fp16),
    fused_spec<__nv_bfloat16>(FfnType::swiglu, "bf16", DType::bf16),
    fused_spec<float>(FfnType::gelu, "tf32", DType::tf32),  // FP32 storage, TF32 mma.sync
    fused_spec<float>(FfnType::swiglu, "tf32", DType::tf32),
});

}  // namespace
}  // namespace flopscope::kernels::ffn
