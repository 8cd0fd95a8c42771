#include "flopscope/models.h"

#include <algorithm>
#include <string>

#include "flopscope/error.h"

namespace flopscope {

void require_positive(const char* what, int64_t value) {
  if (value <= 0)
    throw_bad_input(std::string(what) + " must be positive, got " + std::to_string(value));
}

Cost gemm_cost(const GemmShape& s, int in_bytes, int out_bytes) {
  require_positive("gemm M", s.m);
  require_positive("gemm N", s.n);
  require_positive("gemm K", s.k);
  const double m = double(s.m), n = double(s.n), k = double(s.k);
  Cost c;
  c.flops = 2.0 * m * n * k;
  c.bytes = (m * k + k * n) * in_bytes + m * n * out_bytes;
  return c;
}

// ---- attention -------------------------------------------------------------

static void check(const AttentionShape& s) {
  require_positive("attention batch", s.batch);
  require_positive("attention heads", s.heads);
  require_positive("attention N (queries)", s.n_q);
  require_positive("attention Nk (keys)", s.n_kv);
  require_positive("attention head_dim", s.head_dim);
}

int64_t attention_row_keys(int64_t row, int64_t n_q, int64_t n_kv, bool causal) {
  if (!causal) return n_kv;
  // Bottom-right alignment: the last query sees every key.
  return std::clamp<int64_t>(row + (n_kv - n_q) + 1, 0, n_kv);
}

double attention_scores(const AttentionShape& s, CausalConvention c) {
  check(s);
  const double heads = double(s.batch) * double(s.heads);
  const double dense = double(s.n_q) * double(s.n_kv);
  if (!s.causal) return heads * dense;
  if (c == CausalConvention::half_dense) return heads * dense / 2.0;
  // Closed form of sum over rows of attention_row_keys(): rows whose count is
  // clamped at 0 or at Nk are handled by splitting the row range.
  const int64_t off = s.n_kv - s.n_q;
  double per_head = 0;
  const int64_t first_nonzero = std::max<int64_t>(0, -off);           // row + off + 1 >= 1
  const int64_t first_full = std::clamp<int64_t>(s.n_kv - 1 - off, 0, s.n_q);  // row + off + 1 >= Nk
  if (first_full > first_nonzero) {
    // rows first_nonzero .. first_full-1 see (row + off + 1) keys: arithmetic series
    const double a = double(first_nonzero + off + 1), b = double(first_full - 1 + off + 1);
    per_head += (a + b) * double(first_full - first_nonzero) / 2.0;
  }
  per_head += double(s.n_q - std::max(first_full, first_nonzero)) * double(s.n_kv);
  return heads * per_head;
}

double attention_matmul_flops(const AttentionShape& s, CausalConvention c) {
  return 4.0 * double(s.head_dim) * attention_scores(s, c);
}

double attention_softmax_flops(const AttentionShape& s, CausalConvention c) {
  const double outputs = double(s.batch) * double(s.heads) * double(s.n_q) * double(s.head_dim);
  return kSoftmaxFlopsPerScore * attention_scores(s, c) + outputs;
}

static Cost attention_flops(const AttentionShape& s) {
  Cost c;
  c.flops_by_part["matmul"] = attention_matmul_flops(s, CausalConvention::exact);
  c.flops_by_part["softmax"] = attention_softmax_flops(s, CausalConvention::exact);
  // Model FLOPs are the matmul FLOPs (the convention of every MFU figure);
  // softmax work is reported beside them, not inside.
  c.flops = c.flops_by_part["matmul"];
  return c;
}

static double qkvo_bytes(const AttentionShape& s, int elem_bytes) {
  const double bh = double(s.batch) * double(s.heads) * double(s.head_dim);
  return bh * (2.0 * double(s.n_q) + 2.0 * double(s.n_kv)) * elem_bytes;
}

Cost attention_naive_cost(const AttentionShape& s, int elem_bytes, int score_bytes) {
  Cost c = attention_flops(s);
  // S written then read by the softmax, P written then read by PV: four passes
  // over the dense score matrix (the naive kernels do not skip masked scores).
  const double scores = double(s.batch) * double(s.heads) * double(s.n_q) * double(s.n_kv);
  c.bytes = qkvo_bytes(s, elem_bytes) + 4.0 * scores * score_bytes;
  return c;
}

Cost attention_fused_cost(const AttentionShape& s, int elem_bytes) {
  Cost c = attention_flops(s);
  c.bytes = qkvo_bytes(s, elem_bytes);
  return c;
}

// ---- FFN ---------------------------------------------------------------------

const char* to_string(FfnType t) { return t == FfnType::gelu ? "gelu" : "swiglu"; }

Cost ffn_cost(const FfnShape& s, bool fused, int elem_bytes) {
  require_positive("ffn tokens", s.tokens);
  require_positive("ffn d_model", s.d_model);
  require_positive("ffn d_ff", s.d_ff);
  const double t = double(s.tokens), d = double(s.d_model), f = double(s.d_ff);
  const bool swiglu = s.type == FfnType::swiglu;
  const double up_mats = swiglu ? 2 : 1;  // W1 (and the gate W3 for SwiGLU)
  Cost c;
  c.flops_by_part["matmul"] = (swiglu ? 6.0 : 4.0) * t * d * f;
  c.flops_by_part["activation"] =
      t * f * (swiglu ? kSwigluFlopsPerElement : kGeluFlopsPerElement);
  c.flops = c.flops_by_part["matmul"] + c.flops_by_part["activation"];
  const double weights = (up_mats + 1) * d * f;
  const double io = 2.0 * t * d;  // read X, write Y
  // Fused: the activated hidden A[T,f] is written once by GEMM1 and read by GEMM2.
  // Unfused: GEMM1 writes H (2 of them for SwiGLU), the activation kernel
  // reads them and writes A, GEMM2 reads A.
  const double hidden = fused ? 2.0 * t * f : (2.0 * up_mats + 2.0) * t * f;
  c.bytes = (weights + io + hidden) * elem_bytes;
  return c;
}

// ---- memory-bound references ----------------------------------------------------

Cost copy_cost(int64_t n, int elem_bytes) {
  require_positive("copy elements", n);
  return Cost{0.0, 2.0 * double(n) * elem_bytes, {}};
}

Cost triad_cost(int64_t n, int elem_bytes) {
  require_positive("triad elements", n);
  return Cost{2.0 * double(n), 3.0 * double(n) * elem_bytes, {}};
}

Cost softmax_rows_cost(int64_t rows, int64_t cols, int elem_bytes) {
  require_positive("softmax rows", rows);
  require_positive("softmax cols", cols);
  const double n = double(rows) * double(cols);
  // max, subtract, exp, sum, divide per element
  return Cost{5.0 * n, 2.0 * n * elem_bytes, {}};
}

StepFlops training_step_flops(double forward_flops, double recomputed_forward_flops) {
  if (forward_flops < 0 || recomputed_forward_flops < 0)
    throw_bad_input("training step FLOPs must not be negative");
  StepFlops s;
  s.model = 3.0 * forward_flops;
  s.hardware = s.model + recomputed_forward_flops;
  return s;
}

}  // namespace flopscope
