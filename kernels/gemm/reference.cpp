#include "gemm/reference.h"

namespace flopscope::kernels::gemm {

double reference_at(const float* a, const float* b, int64_t n, int64_t k, int64_t row, int64_t col) {
  double sum = 0;
  const float* a_row = a + row * k;
  for (int64_t i = 0; i < k; ++i) sum += double(a_row[i]) * double(b[i * n + col]);
  return sum;
}

void reference(const float* a, const float* b, int64_t m, int64_t n, int64_t k, double* c) {
  for (int64_t r = 0; r < m; ++r) {
    double* c_row = c + r * n;
    for (int64_t j = 0; j < n; ++j) c_row[j] = 0;
    // i-outer order streams B's rows; the sum per element is still in double.
    for (int64_t i = 0; i < k; ++i) {
      const double av = a[r * k + i];
      const float* b_row = b + i * n;
      for (int64_t j = 0; j < n; ++j) c_row[j] += av * double(b_row[j]);
    }
  }
}

}  // namespace flopscope::kernels::gemm
