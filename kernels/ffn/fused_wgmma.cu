// ffn.{gelu,swiglu}_fused_wgmma: fused.cu on the project's fastest GEMM,
// gemm.wgmma (wgmma + TMA, sm_90a; 95% of cuBLAS at 8192^3 on an H200):
//   A = act(X W1)     wgmma GEMM whose epilogue applies GELU, or SwiGLU's gating
//                     (ffn/epilogues.cuh, the same functors as fused.cu)
//   Y = A W2          wgmma GEMM
// Adds over fused.cu: the tensor cores of Hopper at wgmma's rate rather than
// mma.sync's (which tops out at 65% of the tensor peak there, docs/PERFORMANCE.md).
// sm_90 only, FP16 and BF16; d_model and d_ff multiples of 8 (TMA row strides).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <memory>
#include <string>
#include <type_traits>

#include "ffn/epilogues.cuh"
#include "ffn/instance.cuh"
#include "gemm/wgmma.cuh"

namespace flopscope::kernels::ffn {
namespace {

/// One instance's launcher: checks the device once; each GEMM keeps its own
/// tensor maps, encoded again only when the buffers or dims change.
template <class T>
Launch<T> make_fused_wgmma_launch() {
  struct State {
    gemm::WgmmaMapCache up, down;  // X W1 and A W2
    int sms = 0;
    bool checked = false;
    std::string unavailable;
  };
  auto st = std::make_shared<State>();
  return [st](const FfnBuffers<T>& b, const FfnDims& d, cudaStream_t stream) -> Status {
    if (!st->checked) {
      st->unavailable = gemm::wgmma_unavailable(st->sms);
      st->checked = true;
    }
    if (!st->unavailable.empty())
      return Status::error(int(cudaErrorNoKernelImageForDevice), "ffn fused_wgmma: " + st->unavailable);
    const int t = int(d.tokens), dm = int(d.d_model), f = int(d.d_ff), n1 = int(w1_cols(d));
    constexpr bool bf16 = std::is_same_v<T, __nv_bfloat16>;
    if (Status s = st->up.update(b.x, b.w1, t, n1, dm, bf16); !s.ok())
      return Status::error(s.code, "ffn fused_wgmma: X W1: " + s.message);
    if (Status s = st->down.update(b.a, b.w2, t, dm, f, bf16); !s.ok())
      return Status::error(s.code, "ffn fused_wgmma: A W2: " + s.message);
    const Status s = d.type == FfnType::swiglu
                         ? gemm::wgmma_gemm<T>(st->up.maps, t, n1, dm, st->sms, SwigluEpilogue<T>{b.a, f}, stream)
                         : gemm::wgmma_gemm<T>(st->up.maps, t, n1, dm, st->sms, GeluEpilogue<T>{b.a, f}, stream);
    if (!s.ok()) return s;
    return gemm::wgmma_gemm<T>(st->down.maps, t, dm, f, st->sms, gemm::StoreEpilogue<T>{b.y, dm}, stream);
  };
}

/// Both GEMMs' constraint: k and n multiples of 8 (d_model, d_ff; SwiGLU's 2 d_ff follows).
std::string wgmma_ffn_check(const FfnDims& d) {
  if (d.d_model % 8 == 0 && d.d_ff % 8 == 0) return "";
  return "d_model and d_ff must be multiples of 8 (16-byte TMA row strides for the wgmma GEMM): pad them, "
         "or use the ffn.*_cublas variant";
}

template <class T>
KernelSpec fused_wgmma_spec(FfnType type, const char* dtype, DType dt) {
  // SwiGLU BF16 in the default suite, as the other FFNs: on the H200 it was
  // validated and reached 98% of the cuBLAS FFN (2026-11-30-3).
  FfnSpecArgs args = fused_ffn_args(type, dtype, dt, "_wgmma", "wgmma", " (sm_90a)");
  args.min_cc = 90;
  args.only_cc = 90;  // sm_90a code runs on sm_90 only
  args.smem_bytes = int(gemm::wgmma_tile::kSmemBytes);
  args.check = wgmma_ffn_check;
  return make_ffn_spec<T>(args, [] { return make_fused_wgmma_launch<T>(); });
}

[[maybe_unused]] const bool registered = register_kernels({
    fused_wgmma_spec<__half>(FfnType::gelu, "fp16", DType::fp16),
    fused_wgmma_spec<__nv_bfloat16>(FfnType::gelu, "bf16", DType::bf16),
    fused_wgmma_spec<__half>(FfnType::swiglu, "fp16", DType::fp16),
    fused_wgmma_spec<__nv_bfloat16>(FfnType::swiglu, "bf16", DType::bf16),
});

}  // namespace
}  // namespace flopscope::kernels::ffn
