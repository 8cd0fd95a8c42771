#pragma once
// CPU reference for C[M,N] = A[M,K] * B[K,N] (row-major), accumulating in
// double. Host-only. Inputs are the values the device saw (already rounded to
// its dtype).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flopscope::kernels::gemm {

/// One element C[row, col].
double reference_at(const float* a, const float* b, int64_t n, int64_t k, int64_t row, int64_t col);

/// C at every (rows[i], cols[j]), into out[i * cols.size() + j]. B's sampled
/// columns are gathered once so each dot product reads contiguous memory.
void reference_grid(const float* a, const float* b, int64_t n, int64_t k,
                    const std::vector<size_t>& rows, const std::vector<size_t>& cols, double* out);

/// Every element, into `c` (m*n).
void reference(const float* a, const float* b, int64_t m, int64_t n, int64_t k, double* c);

}  // namespace flopscope::kernels::gemm
