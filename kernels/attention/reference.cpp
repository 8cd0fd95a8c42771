#include "attention/reference.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "attention/attention_math.h"

namespace flopscope::kernels::attention {

void reference_row(const float* q, const float* k, const float* v, const AttentionDims& d,
                   int64_t bh, int64_t row, double* out) {
  const int64_t dim = d.head_dim;
  const float* qr = q + (bh * d.n_q + row) * dim;
  const float* kh = k + bh * d.n_kv * dim;
  const float* vh = v + bh * d.n_kv * dim;
  const int64_t keys = key_end(row, d.n_q, d.n_kv, d.causal);
  std::fill(out, out + dim, 0.0);
  if (keys == 0) return;  // fully masked row
  const double scale = 1.0 / std::sqrt(double(dim));
  std::vector<double> s(size_t(keys), 0.0);
  double mx = -INFINITY;
  for (int64_t j = 0; j < keys; ++j) {
    double dot = 0;
    for (int64_t c = 0; c < dim; ++c) dot += double(qr[c]) * double(kh[j * dim + c]);
    s[size_t(j)] = dot * scale;
    mx = std::max(mx, s[size_t(j)]);
  }
  double sum = 0;
  for (auto& x : s) {
    x = std::exp(x - mx);
    sum += x;
  }
  for (int64_t j = 0; j < keys; ++j) {
    const double p = s[size_t(j)] / sum;
    for (int64_t c = 0; c < dim; ++c) out[c] += p * double(vh[j * dim + c]);
  }
}

void reference(const float* q, const float* k, const float* v, const AttentionDims& d,
               double* out) {
  for (int64_t bh = 0; bh < d.batch * d.heads; ++bh)
    for (int64_t i = 0; i < d.n_q; ++i)
      reference_row(q, k, v, d, bh, i, out + (bh * d.n_q + i) * d.head_dim);
}

}  // namespace flopscope::kernels::attention
