#pragma once
// The FFN activations, written once for the kernels (float) and the CPU
// reference (double). Plain C++, no CUDA header.
#include <cmath>

#include "common/tile_math.h"  // FLOPSCOPE_HD

namespace flopscope::kernels::ffn {

/// GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
template <class T>
FLOPSCOPE_HD T gelu_tanh(T x) {
  const T k0 = T(0.7978845608028654);  // sqrt(2/pi)
  const T k1 = T(0.044715);
  return T(0.5) * x * (T(1) + tanh(k0 * (x + k1 * x * x * x)));
}

/// SwiGLU gating: silu(gate) * up, silu(g) = g / (1 + exp(-g)).
template <class T>
FLOPSCOPE_HD T swiglu(T gate, T up) {
  return gate / (T(1) + exp(-gate)) * up;
}

}  // namespace flopscope::kernels::ffn
