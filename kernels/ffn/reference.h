#pragma once
// CPU reference for the FFN families, accumulating in double. Host-only.
//
// Layouts (row-major):
//   X [T, d]
//   GELU MLP:  W1 [d, f],  Y = gelu_tanh(X W1) W2
//   SwiGLU:    W1 [d, 2f] with the gate and up projections interleaved by
//              column: column 2j is hidden unit j's gate, 2j+1 its up projection,
//              Y = (silu(X W1[:, 2j]) * X W1[:, 2j+1]) W2
//   W2 [f, d], Y [T, d]. No biases.
#include <cstdint>

#include "flopscope/models.h"

namespace flopscope::kernels::ffn {

struct FfnDims {
  int64_t tokens = 1, d_model = 1, d_ff = 1;
  FfnType type = FfnType::gelu;
};

/// Columns of W1: f for GELU, 2f for SwiGLU.
inline int64_t w1_cols(const FfnDims& d) {
  return d.type == FfnType::swiglu ? 2 * d.d_ff : d.d_ff;
}

/// Y[t, :] into out[d_model].
void reference_row(const float* x, const float* w1, const float* w2, const FfnDims& d,
                   int64_t t, double* out);

}  // namespace flopscope::kernels::ffn
