#pragma once
// Two FP16 FMA kernels for SessionGpu's check of the packed-half FLOP
// convention (docs/collector.md): the same chain of 8 dependent FMAs per loop
// iteration and thread, once on scalar __half (__hfma) and once on __half2
// (__hfma2). nvcc 13.0 compiles both to HFMA2 (the scalar one with its operands
// broadcast, .H0_H0: one useful lane), and flopscope counts 4 FLOPs for each.
// Plain types only, so the test stays a C++ file.
#include <cstdint>

namespace flopscope::test {

enum class HalfFma { scalar, packed };

constexpr int kHalfFmaPerIteration = 8;       ///< dependent FMAs per loop iteration
constexpr int kHalfFmaBlocks = 132, kHalfFmaThreads = 256;

/// Launches the `kind` kernel for `iterations` loop iterations on the default
/// stream, writing one 4-byte value per thread to `out` (kHalfFmaBlocks x
/// kHalfFmaThreads of them). Returns the cudaError_t of the launch.
int launch_half_fma(HalfFma kind, int iterations, void* out);

}  // namespace flopscope::test
