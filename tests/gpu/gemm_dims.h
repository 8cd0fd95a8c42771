#pragma once
// GEMM sizes the GPU tests share: dims 1, 17, 127, 1000 and 4096 in mixed
// combinations, as the kernels issue asks.
#include "flopscope/results.h"

namespace flopscope::test {

struct Dims {
  int m, n, k;
};

inline const Dims kAwkward[] = {{1, 1, 1},         {17, 17, 17},     {1, 4096, 17},      {127, 1000, 17},
                                {1000, 127, 1000}, {17, 1000, 4096}, {4096, 17, 127},    {1000, 1000, 1000},
                                {127, 4096, 1000}, {4096, 1000, 1}};

inline Shape shape_of(const Dims& d) { return {{"m", d.m}, {"n", d.n}, {"k", d.k}}; }

}  // namespace flopscope::test
