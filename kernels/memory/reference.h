#pragma once
// CPU references for the memory-bound kernels, in double. Host-only.
#include <cstdint>

namespace flopscope::kernels::memory {

/// a[i] = b[i] + s * c[i]
void triad_reference(const float* b, const float* c, float s, int64_t n, double* a);

/// Row-wise softmax of x[rows, cols] (row-major) into y.
void softmax_rows_reference(const float* x, int64_t rows, int64_t cols, double* y);

}  // namespace flopscope::kernels::memory
