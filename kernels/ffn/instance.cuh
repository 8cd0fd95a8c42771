#pragma once
// What every FFN variant shares: the problem on the device (X, W1, W2 random;
// the hidden buffers; Y NaN-poisoned; sampled tokens validated against the
// double reference), the stand-alone activation kernel of the unfused variants,
// and the KernelSpec boilerplate. A variant file supplies only its launcher.
// Layouts: ffn/reference.h.
#include <cuda_runtime.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/cuda_util.cuh"
#include "common/tile_math.h"
#include "common/validate.h"
#include "ffn/activation.h"
#include "ffn/reference.h"
#include "gemm/mma_sync_layout.h"
#include "registry.h"

namespace flopscope::kernels::ffn {

inline FfnDims dims_of(const Shape& s, FfnType type) {
  return {shape_get(s, "tokens").value_or(1), shape_get(s, "d_model").value_or(1),
          shape_get(s, "d_ff").value_or(1), type};
}

/// Device buffers of one problem. h is [T, w1_cols] (unfused variants only),
/// a is the activated hidden [T, f].
template <class T>
struct FfnBuffers {
  const T* x;
  const T* w1;
  const T* w2;
  T* h;
  T* a;
  T* y;
};

template <class T>
using Launch = std::function<Status(const FfnBuffers<T>&, const FfnDims&, cudaStream_t)>;

// ---- the activation kernel of the unfused variants ----------------------------
// GELU: a[i] = gelu(h[i]). SwiGLU: a[i] = silu(h[2i]) * h[2i+1] (gate and up are
// interleaved, so hidden unit i of any token is the pair (2i, 2i+1)). Two
// elements per thread per step, grid-stride; FP32 math.
template <class T, bool kSwiglu>
__global__ void __launch_bounds__(256) activation_kernel(const T* __restrict__ h, T* __restrict__ a,
                                                         int64_t count) {
  using Tr = DTypeTraits<T>;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    if constexpr (kSwiglu) {
      a[i] = Tr::from_float(swiglu(Tr::to_float(h[2 * i]), Tr::to_float(h[2 * i + 1])));
    } else {
      a[i] = Tr::from_float(gelu_tanh(Tr::to_float(h[i])));
    }
  }
}

template <class T>
Status launch_activation(const T* h, T* a, const FfnDims& d, cudaStream_t stream) {
  const int64_t count = d.tokens * d.d_ff;
  const int64_t grid = std::clamp<int64_t>(ceil_div<int64_t>(count, 256), 1, int64_t(1) << 16);
  if (d.type == FfnType::swiglu)
    activation_kernel<T, true><<<unsigned(grid), 256, 0, stream>>>(h, a, count);
  else
    activation_kernel<T, false><<<unsigned(grid), 256, 0, stream>>>(h, a, count);
  return launch_status("ffn activation");
}

// ---- the instance ----------------------------------------------------------------

/// Two GEMMs in a row, whose errors add: twice the single GEMM's tolerance
/// (a TF32 tensor core that truncates its inputs biases both products alike,
/// common/validate.cpp; FP32 accumulation error grows with k = f).
inline double ffn_tolerance(const std::string& dtype, const FfnDims& d) {
  return 2 * tolerance_for(dtype, std::max(d.d_model, d.d_ff));
}

/// Tokens checked per validation: the reference costs about (w1_cols + f) * d
/// multiply-adds a token; keep the total near 3e8 (and at least 2 tokens).
inline size_t reference_token_count(const FfnDims& d) {
  const int64_t per_token = std::max<int64_t>(1, (w1_cols(d) + d.d_ff) * d.d_model);
  // min(max(..)) rather than clamp: with one token, lo 2 > hi 1.
  return size_t(std::min<int64_t>(std::max<int64_t>(300'000'000 / per_token, 2), d.tokens));
}

template <class T>
class FfnInstance final : public KernelInstance {
 public:
  FfnInstance(FfnDims d, std::string dtype, Launch<T> launch, bool needs_h, int launches)
      : d_(d), dtype_(std::move(dtype)), launch_(std::move(launch)), launches_(launches),
        x_(size_t(d.tokens * d.d_model)), w1_(size_t(d.d_model * w1_cols(d))),
        w2_(size_t(d.d_ff * d.d_model)), h_(needs_h ? size_t(d.tokens * w1_cols(d)) : 0),
        a_(size_t(d.tokens * d.d_ff)), y_(x_.size()) {}

  void prepare(uint64_t seed) override {
    seed_ = seed;
    host_x_.resize(x_.size());
    host_w1_.resize(w1_.size());
    host_w2_.resize(w2_.size());
    // Weights scaled by 1/sqrt(fan-in) (times 2 for W1, so that the hidden
    // activations reach the curved part of GELU and SiLU).
    const float s1 = 2.0f / std::sqrt(float(d_.d_model)), s2 = 1.0f / std::sqrt(float(d_.d_ff));
    fill_uniform(host_x_, seed * 3 + 1);
    fill_uniform(host_w1_, seed * 3 + 2, -s1, s1);
    fill_uniform(host_w2_, seed * 3 + 3, -s2, s2);
    upload_rounded<T>(host_x_, x_);
    upload_rounded<T>(host_w1_, w1_);
    upload_rounded<T>(host_w2_, w2_);
    if (h_.size()) poison_nan(h_);
    poison_nan(a_);
    poison_nan(y_);
  }

  Status run(StreamHandle stream) override {
    return launch_({x_.get(), w1_.get(), w2_.get(), h_.get(), a_.get(), y_.get()}, d_, stream);
  }

  Validation validate() override {
    const std::vector<float> out = download_as_float(y_);
    const std::vector<size_t> tokens =
        sample_indices(size_t(d_.tokens), reference_token_count(d_), seed_ ^ 0xff7);
    return compare_rows(out, tokens, size_t(d_.d_model), [&](size_t t, double* ref) {
      reference_row(host_x_.data(), host_w1_.data(), host_w2_.data(), d_, int64_t(t), ref);
    }, ffn_tolerance(dtype_, d_));
  }

  int launches() const override { return launches_; }

 private:
  FfnDims d_;
  std::string dtype_;
  Launch<T> launch_;
  int launches_;
  DeviceBuffer<T> x_, w1_, w2_, h_, a_, y_;
  std::vector<float> host_x_, host_w1_, host_w2_;
  uint64_t seed_ = 0;
};

struct FfnSpecArgs : VariantInfo {
  FfnType type = FfnType::gelu;
  bool fused = false;        ///< model bytes: fused, else unfused (H written and re-read)
  int launches = 3;
  double workspace_bytes = 0;
  /// "" when the variant takes the dims, else one line (alignment constraints).
  std::function<std::string(const FfnDims&)> check;
};

/// The arguments every fused FFN shares: the activation (SwiGLU gating or GELU)
/// in the first GEMM's epilogue, two launches, SwiGLU BF16 in the default suite.
/// `gemm` names the GEMM ("mma.sync", "wgmma") for the variant ("<type>_fused<suffix>")
/// and the description (ending in `note`); the caller adds min_cc and check.
inline FfnSpecArgs fused_ffn_args(FfnType type, const char* dtype, DType dt, const std::string& suffix,
                                  const std::string& gemm, const std::string& note) {
  FfnSpecArgs args;
  args.variant = std::string(to_string(type)) + "_fused" + suffix;
  args.dtype = dtype;
  args.type = type;
  args.precision = {dt, Pipe::tensor};
  args.description = gemm + " GEMM with " + (type == FfnType::swiglu ? "SwiGLU gating" : "GELU") +
                     " in its epilogue, " + gemm + " GEMM" + note;
  args.fused = true;
  args.launches = 2;
  args.in_default_suite = dt == DType::bf16 && type == FfnType::swiglu;  // GELU: on request
  return args;
}

/// The mma.sync GEMM's constraint (16-byte cp.async rows), for both products:
/// multiples of 8 elements of a 16-bit T, of 4 floats (TF32).
template <class T>
std::string mma_ffn_check(const FfnDims& d) {
  constexpr int q = gemm::mma_layout::MmaTile<int(sizeof(T)), 2>::kChunk;
  if (d.d_model % q == 0 && d.d_ff % q == 0) return "";
  return "d_model and d_ff must be multiples of " + std::to_string(q) +
         " (16-byte rows for the mma.sync GEMM): pad them, or use the ffn.*_cublas variant";
}

/// The spec for an FFN variant over element type T. `make_launch` runs once per instance.
template <class T>
KernelSpec make_ffn_spec(FfnSpecArgs args, std::function<Launch<T>()> make_launch) {
  KernelSpec s = spec_for("ffn", args);
  const bool swiglu = args.type == FfnType::swiglu;
  // Llama-7B-like hidden sizes: 4d for GELU, 8d/3 rounded (11008) for SwiGLU.
  s.params = {{"tokens", 8192, "tokens T (batch x sequence)"},
              {"d_model", 4096, "model width d"},
              {"d_ff", swiglu ? 11008 : 16384, "hidden width f"}};
  s.presets = {{"tiny", {17, 64, 136}},
               {"small", {1024, 1024, swiglu ? 2752 : 4096}},
               {"large", {16384, 8192, swiglu ? 22016 : 32768}}};
  const FfnType type = args.type;
  const bool fused = args.fused;
  s.model = [type, fused](const Shape& sh) {
    const FfnDims d = dims_of(sh, type);
    return ffn_cost({d.tokens, d.d_model, d.d_ff, type}, fused, int(sizeof(T)));
  };
  s.check_shape = [type, check = args.check](const Shape& sh) -> std::string {
    const FfnDims d = dims_of(sh, type);
    const int64_t big = kMaxIndexDim;
    // d_ff first: SwiGLU's w1_cols (2 * d_ff) would overflow for d_ff >= 2^62.
    if (d.tokens > big || d.d_model > big || d.d_ff > big || w1_cols(d) > big)
      return std::string("tokens, d_model and d_ff must be at most ") + kMaxIndexDimText +
             " (half that for SwiGLU's d_ff): choose a smaller --shape";
    return check ? check(d) : std::string();
  };
  const bool needs_h = !fused;
  const double workspace = args.workspace_bytes;
  s.device_bytes = [type, needs_h, workspace](const Shape& sh) {
    const FfnDims d = dims_of(sh, type);
    const double t = double(d.tokens), dm = double(d.d_model), f = double(d.d_ff),
                 n1 = double(w1_cols(d));
    const double elems = 2 * t * dm + dm * n1 + f * dm + t * f + (needs_h ? t * n1 : 0);
    return elems * double(sizeof(T)) + workspace;
  };
  s.host_bytes = [type](const Shape& sh) {
    const FfnDims d = dims_of(sh, type);
    const double x = double(d.tokens) * double(d.d_model), w1 = double(d.d_model) * double(w1_cols(d)),
                 w2 = double(d.d_ff) * double(d.d_model);
    // reference_row's hidden row and activations: doubles, w1_cols + d_ff of them.
    return host_bytes_of(x + w1 + w2, std::max({x, w1, w2}), x,
                         double(reference_token_count(d)) * double(d.d_model), double(sizeof(T)),
                         8.0 * (double(w1_cols(d)) + double(d.d_ff)));
  };
  s.create = [dtype = args.dtype, type, needs_h, make_launch, n = args.launches](
                 const Shape& sh) -> std::unique_ptr<KernelInstance> {
    return std::make_unique<FfnInstance<T>>(dims_of(sh, type), dtype, make_launch(), needs_h, n);
  };
  return s;
}

}  // namespace flopscope::kernels::ffn
