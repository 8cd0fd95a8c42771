#pragma once
// CPU reference for attention forward, accumulating in double. Host-only.
#include <cstdint>

namespace flopscope::kernels::attention {

/// Q, O: [batch, heads, n_q, head_dim]; K, V: [batch, heads, n_kv, head_dim].
struct AttentionDims {
  int64_t batch = 1, heads = 1, n_q = 1, n_kv = 1, head_dim = 64;
  bool causal = false;
};

/// One output row O[bh, row, :] (bh = b * heads + h) into `out[head_dim]`:
/// softmax(q k^T / sqrt(D)) V under the mask, 0 for a row that sees no key.
/// Inputs are the values the device saw (already rounded to its dtype).
void reference_row(const float* q, const float* k, const float* v, const AttentionDims& d,
                   int64_t bh, int64_t row, double* out);

/// Every row: O[b, h, i, :] for all of them, into `out` (batch*heads*n_q*head_dim).
void reference(const float* q, const float* k, const float* v, const AttentionDims& d,
               double* out);

}  // namespace flopscope::kernels::attention
