#include "memory/reference.h"

#include <algorithm>
#include <cmath>

namespace flopscope::kernels::memory {

void triad_reference(const float* b, const float* c, float s, int64_t n, double* a) {
  for (int64_t i = 0; i < n; ++i) a[i] = double(b[i]) + double(s) * double(c[i]);
}

void softmax_rows_reference(const float* x, int64_t rows, int64_t cols, double* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    double* yr = y + r * cols;
    double mx = -INFINITY;
    for (int64_t c = 0; c < cols; ++c) mx = std::max(mx, double(xr[c]));
    // As the kernel: a row of all -inf (fully masked) gives zeros, not
    // exp(-inf - -inf) = NaN.
    const double shift = mx == -INFINITY ? 0 : mx;
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += (yr[c] = std::exp(double(xr[c]) - shift));
    if (sum > 0)
      for (int64_t c = 0; c < cols; ++c) yr[c] /= sum;
  }
}

}  // namespace flopscope::kernels::memory
