#include "ffn/reference.h"

#include <algorithm>
#include <vector>

#include "ffn/activation.h"

namespace flopscope::kernels::ffn {

void reference_row(const float* x, const float* w1, const float* w2, const FfnDims& d,
                   int64_t t, double* out) {
  const int64_t n1 = w1_cols(d);
  const float* xr = x + t * d.d_model;
  std::vector<double> h(size_t(n1), 0.0);
  for (int64_t c = 0; c < d.d_model; ++c) {
    const double xv = xr[c];
    const float* wr = w1 + c * n1;
    for (int64_t j = 0; j < n1; ++j) h[size_t(j)] += xv * double(wr[j]);
  }
  std::vector<double> a(size_t(d.d_ff));
  for (int64_t j = 0; j < d.d_ff; ++j)
    a[size_t(j)] = d.type == FfnType::swiglu ? swiglu(h[size_t(2 * j)], h[size_t(2 * j + 1)])
                                             : gelu_tanh(h[size_t(j)]);
  std::fill(out, out + d.d_model, 0.0);
  for (int64_t j = 0; j < d.d_ff; ++j) {
    const double av = a[size_t(j)];
    const float* wr = w2 + j * d.d_model;
    for (int64_t c = 0; c < d.d_model; ++c) out[c] += av * double(wr[c]);
  }
}

}  // namespace flopscope::kernels::ffn
