#pragma once
// What every attention variant shares: the problem on the device (random Q, K,
// V; NaN-poisoned O; validation of sampled rows against the double reference)
// and the KernelSpec boilerplate. A variant file supplies only its launcher.
#include <cuda_runtime.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attention/attention.cuh"
#include "attention/reference.h"
#include "common/cuda_util.cuh"
#include "common/tile_math.h"
#include "common/validate.h"
#include "registry.h"

namespace flopscope::kernels::attention {

/// Shape parameters, in order: batch, heads, seq, seq_kv (0: = seq), head_dim, causal.
inline AttentionDims dims_of(const Shape& s) {
  AttentionDims d;
  d.batch = shape_get(s, "batch").value_or(1);
  d.heads = shape_get(s, "heads").value_or(1);
  d.n_q = shape_get(s, "seq").value_or(1);
  const int64_t kv = shape_get(s, "seq_kv").value_or(0);
  d.n_kv = kv > 0 ? kv : d.n_q;
  d.head_dim = shape_get(s, "head_dim").value_or(64);
  d.causal = shape_get(s, "causal").value_or(0) != 0;
  return d;
}

inline AttentionShape model_shape(const AttentionDims& d) {
  return {d.batch, d.heads, d.n_q, d.n_kv, d.head_dim, d.causal};
}

/// Launches one forward pass; `workspace` is the variant's scratch (naive: scores).
template <class T>
using Launch = std::function<Status(const AttentionArgs<T>& args, float* workspace, cudaStream_t)>;

/// Rows of O checked against the reference per validation: the reference costs
/// about 2 * Nk * D multiply-adds a row; keep the total near 1e8 (at least 64
/// rows where they are cheap enough, reference_budget).
inline size_t reference_row_count(const AttentionDims& d) {
  return reference_budget(d.batch * d.heads * d.n_q, 2 * d.n_kv * d.head_dim, 100'000'000, 64);
}

template <class T>
class AttentionInstance final : public KernelInstance {
 public:
  AttentionInstance(AttentionDims d, std::string dtype, Launch<T> launch, size_t workspace_floats,
                    int launches)
      : d_(d), dtype_(std::move(dtype)), launch_(std::move(launch)), launches_(launches),
        q_(size_t(d.batch * d.heads * d.n_q * d.head_dim)),
        k_(size_t(d.batch * d.heads * d.n_kv * d.head_dim)),
        v_(k_.size()), o_(q_.size()), workspace_(workspace_floats) {}

  void prepare(uint64_t seed) override {
    seed_ = seed;
    host_q_.resize(q_.size());
    host_k_.resize(k_.size());
    host_v_.resize(v_.size());
    fill_uniform(host_q_, seed * 3 + 1);
    // Keys spread wider than queries so the softmax is far from uniform.
    fill_uniform(host_k_, seed * 3 + 2, -2.0f, 2.0f);
    fill_uniform(host_v_, seed * 3 + 3);
    upload_rounded<T>(host_q_, q_);
    upload_rounded<T>(host_k_, k_);
    upload_rounded<T>(host_v_, v_);
    poison_nan(o_);
  }

  Status run(StreamHandle stream) override {
    AttentionArgs<T> a;
    a.q = q_.get();
    a.k = k_.get();
    a.v = v_.get();
    a.o = o_.get();
    a.batch_heads = d_.batch * d_.heads;
    a.n_q = d_.n_q;
    a.n_kv = d_.n_kv;
    a.head_dim = int(d_.head_dim);
    a.causal = d_.causal;
    return launch_(a, workspace_.get(), stream);
  }

  Validation validate() override {
    const std::vector<float> out = download_as_float(o_);
    const size_t rows = size_t(d_.batch * d_.heads * d_.n_q);
    const std::vector<size_t> picked = sample_indices(rows, reference_row_count(d_), seed_ ^ 0xa77e);
    return compare_rows(out, picked, size_t(d_.head_dim), [&](size_t r, double* ref) {
      reference_row(host_q_.data(), host_k_.data(), host_v_.data(), d_, int64_t(r) / d_.n_q,
                    int64_t(r) % d_.n_q, ref);
    }, tolerance_for(dtype_, std::max(d_.n_kv, d_.head_dim)));
  }

  int launches() const override { return launches_; }

 private:
  AttentionDims d_;
  std::string dtype_;
  Launch<T> launch_;
  int launches_;
  DeviceBuffer<T> q_, k_, v_, o_;
  DeviceBuffer<float> workspace_;
  std::vector<float> host_q_, host_k_, host_v_;
  uint64_t seed_ = 0;
};

struct AttentionSpecArgs : VariantInfo {
  bool fused = true;       ///< model: fused bytes, else naive (S and P in memory)
  bool flash_dims = true;  ///< head_dim must be 64 or 128
  int launches = 1;
  /// The variant's own limits (grid dimensions): "" or one line; empty: none.
  std::function<std::string(const AttentionDims&)> check;
};

/// The spec for an attention variant over element type T.
template <class T>
KernelSpec make_attention_spec(AttentionSpecArgs args, Launch<T> launch) {
  KernelSpec s = spec_for("attention", args);
  s.params = {{"batch", 4, "batch size B"},
              {"heads", 16, "heads H"},
              {"seq", 4096, "query length N"},
              {"seq_kv", 0, "key/value length Nk (0: same as seq)", 0},
              {"head_dim", 128, "head dimension D"},
              {"causal", 0, "1: causal mask (bottom-right aligned)", 0}};
  s.presets = {{"tiny", {1, 2, 17, 0, 64, 0}},
               {"small", {2, 8, 1024, 0, 64, 0}},
               {"causal", {4, 16, 4096, 0, 128, 1}},
               {"d64", {4, 32, 4096, 0, 64, 0}},
               {"large", {2, 16, 8192, 0, 128, 0}},
               {"decode", {16, 32, 1, 4096, 128, 0}}};
  const bool fused = args.fused;
  s.model = [fused](const Shape& sh) {
    const AttentionDims d = dims_of(sh);
    return fused ? attention_fused_cost(model_shape(d), int(sizeof(T)))
                 : attention_naive_cost(model_shape(d), int(sizeof(T)), int(sizeof(float)));
  };
  s.check_shape = [flash = args.flash_dims, check = args.check](const Shape& sh) -> std::string {
    const AttentionDims d = dims_of(sh);
    // batch x heads is formed in int64 (the variants' checks, device_bytes):
    // bounded like the rest, it cannot overflow.
    const int64_t big = kMaxIndexDim;
    if (d.batch > big || d.heads > big || d.n_q > big || d.n_kv > big || d.head_dim > big)
      return std::string("batch, heads, seq, seq_kv and head_dim must be at most ") + kMaxIndexDimText +
             ": choose a smaller --shape";
    if (auto c = shape_get(sh, "causal"); c && *c > 1) return "causal is a flag: give 0 or 1";
    if (flash && !flash_head_dim_supported(d.head_dim)) return flash_head_dim_error(d.head_dim);
    return check ? check(d) : "";
  };
  s.device_bytes = [fused](const Shape& sh) {
    const AttentionDims d = dims_of(sh);
    const double bhd = double(d.batch * d.heads) * double(d.head_dim);
    double bytes = bhd * (2.0 * double(d.n_q) + 2.0 * double(d.n_kv)) * double(sizeof(T));
    if (!fused) bytes += double(d.batch * d.heads) * double(d.n_q) * double(d.n_kv) * sizeof(float);
    return bytes;
  };
  s.host_bytes = [](const Shape& sh) {
    const AttentionDims d = dims_of(sh);
    const double bhd = double(d.batch * d.heads) * double(d.head_dim);
    const double q = bhd * double(d.n_q), kv = bhd * double(d.n_kv);
    // reference_row's scores: one double per key of the row being checked.
    return host_bytes_of(q + 2 * kv, std::max(q, kv), q, double(reference_row_count(d)) * double(d.head_dim),
                         double(sizeof(T)), 8.0 * double(d.n_kv));
  };
  s.create = [dtype = args.dtype, launch, fused, n = args.launches](
                 const Shape& sh) -> std::unique_ptr<KernelInstance> {
    const AttentionDims d = dims_of(sh);
    const size_t ws = fused ? 0 : size_t(d.batch * d.heads * d.n_q * d.n_kv);
    return std::make_unique<AttentionInstance<T>>(d, dtype, launch, ws, n);
  };
  return s;
}

}  // namespace flopscope::kernels::attention
