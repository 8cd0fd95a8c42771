#pragma once
/// Analytic FLOP and byte models for every kernel family ("model FLOPs").
/// Each formula, its convention and its source are in docs/flop-conventions.md.
/// Bytes are the minimum traffic to DRAM the algorithm needs, not what any one
/// kernel moves; hardware counters report the latter.
#include <cstdint>
#include <map>
#include <string>

namespace flopscope {

struct Cost {
  double flops = 0;  ///< model FLOPs
  double bytes = 0;  ///< minimal DRAM bytes
  /// Optional split of `flops` into named parts ("matmul", "softmax", ...).
  std::map<std::string, double> flops_by_part;
};

// ---- GEMM: C[M,N] = A[M,K] * B[K,N] ----------------------------------------
struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
};
/// 2*M*N*K FLOPs; bytes = (M*K + K*N)*in_bytes + M*N*out_bytes.
Cost gemm_cost(const GemmShape& s, int in_bytes, int out_bytes);

// ---- Attention forward --------------------------------------------------------
/// Q is [B,H,N,D], K and V are [B,H,Nk,D]. Under the causal mask query i sees
/// key j iff j <= i + (Nk - N) (bottom-right aligned, as FlashAttention 2.1+).
struct AttentionShape {
  int64_t batch = 0, heads = 0, n_q = 0, n_kv = 0, head_dim = 0;
  bool causal = false;
};

/// How a causal score count is turned into FLOPs.
enum class CausalConvention {
  exact,       ///< count every unmasked score: N(N+1)/2 per head when N = Nk
  half_dense,  ///< half of the dense count, as FlashAttention's benchmarks do
};

/// Unmasked scores in one (batch, head) for one query row / for all rows.
int64_t attention_row_keys(int64_t row, int64_t n_q, int64_t n_kv, bool causal);
double attention_scores(const AttentionShape& s, CausalConvention c);
/// QK^T and PV: 4*D FLOPs per score (4*B*H*N*Nk*D when dense).
double attention_matmul_flops(const AttentionShape& s, CausalConvention c);
/// Softmax: kSoftmaxFlopsPerScore per score plus one divide per output element.
double attention_softmax_flops(const AttentionShape& s, CausalConvention c);
constexpr double kSoftmaxFlopsPerScore = 5;  // scale, max, subtract, exp, sum

/// Naive attention writes the N x Nk score matrix S, re-reads it for the
/// softmax, writes P, and re-reads P for PV. Scores are `score_bytes` wide.
Cost attention_naive_cost(const AttentionShape& s, int elem_bytes, int score_bytes);
/// Fused attention reads Q, K, V once and writes O once.
Cost attention_fused_cost(const AttentionShape& s, int elem_bytes);

// ---- Transformer FFN on X[T, d] with hidden size f ---------------------------
enum class FfnType { gelu, swiglu };
const char* to_string(FfnType t);
struct FfnShape {
  int64_t tokens = 0, d_model = 0, d_ff = 0;
  FfnType type = FfnType::gelu;
};
constexpr double kGeluFlopsPerElement = 9;    // tanh form: x^3 (2 mul), fma, scale, tanh, add, 2 mul
constexpr double kSwigluFlopsPerElement = 5;  // silu(a)*b: neg-exp, add, divide, mul, mul
/// GELU MLP: 4*T*d*f matmul FLOPs; SwiGLU: 6*T*d*f. Plus activation FLOPs.
/// Unfused variants write and re-read the hidden activations between kernels.
Cost ffn_cost(const FfnShape& s, bool fused, int elem_bytes);

// ---- Memory-bound references ----------------------------------------------------
Cost copy_cost(int64_t n, int elem_bytes);                       // b = a
Cost triad_cost(int64_t n, int elem_bytes);                      // a = b + s*c
Cost softmax_rows_cost(int64_t rows, int64_t cols, int elem_bytes);

// ---- A whole training step ----------------------------------------------------------
/// Model FLOPs = forward * 3 (backward is twice the forward): the MFU numerator.
/// Hardware FLOPs add what activation checkpointing recomputes: the HFU numerator.
struct StepFlops {
  double model = 0;
  double hardware = 0;
};
StepFlops training_step_flops(double forward_flops, double recomputed_forward_flops);

/// Throws bad_input naming `what` when any dimension is zero or negative.
void require_positive(const char* what, int64_t value);

}  // namespace flopscope
