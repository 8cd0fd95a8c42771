#include "gemm/reference.h"

namespace flopscope::kernels::gemm {

double reference_at(const float* a, const float* b, int64_t n, int64_t k, int64_t row, int64_t col) {
  double sum = 0;
  const float* a_row = a + row * k;
  for (int64_t i = 0; i < k; ++i) sum += double(a_row[i]) * double(b[i * n + col]);
  return sum;
}

void reference_grid(const float* a, const float* b, int64_t n, int64_t k,
                    const std::vector<size_t>& rows, const std::vector<size_t>& cols, double* out) {
  std::vector<float> b_cols(cols.size() * size_t(k));  // (col, k)
  for (size_t j = 0; j < cols.size(); ++j)
    for (int64_t i = 0; i < k; ++i) b_cols[j * size_t(k) + size_t(i)] = b[i * n + int64_t(cols[j])];
  for (size_t r = 0; r < rows.size(); ++r) {
    const float* a_row = a + int64_t(rows[r]) * k;
    for (size_t j = 0; j < cols.size(); ++j) {
      const float* bc = b_cols.data() + j * size_t(k);
      double sum = 0;
      for (int64_t i = 0; i < k; ++i) sum += double(a_row[i]) * double(bc[i]);
      out[r * cols.size() + j] = sum;
    }
  }
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
