#pragma once
// Index arithmetic shared by every kernel and its tests: written once, as
// host+device functions, and proven on the CPU (tests/unit/tile_math_test.cpp).
// Host-only compilers see plain constexpr functions.
#include <cstdint>

#if defined(__CUDACC__)
#define FLOPSCOPE_HD __host__ __device__ __forceinline__
#else
#define FLOPSCOPE_HD inline
#endif

namespace flopscope::kernels {

/// The number of `b`-sized pieces that cover `a` (a >= 0, b > 0). The one ceil_div.
template <class T>
FLOPSCOPE_HD constexpr T ceil_div(T a, T b) {
  return (a + b - 1) / b;
}

/// `a` rounded up to a multiple of `b`.
template <class T>
FLOPSCOPE_HD constexpr T round_up(T a, T b) {
  return ceil_div(a, b) * b;
}

/// First index of tile `tile` when tiles are `size` wide.
template <class T>
FLOPSCOPE_HD constexpr T tile_begin(T tile, T size) {
  return tile * size;
}

/// Elements of tile `tile` inside [0, n): `size` for interior tiles, fewer for
/// the tail tile, 0 for a tile past the end.
template <class T>
FLOPSCOPE_HD constexpr T tile_extent(T tile, T size, T n) {
  const T begin = tile * size;
  if (begin >= n) return 0;
  return (n - begin < size) ? (n - begin) : size;
}

/// Tail predicate for a 2-D element.
template <class T>
FLOPSCOPE_HD constexpr bool in_bounds(T row, T col, T rows, T cols) {
  return row >= 0 && col >= 0 && row < rows && col < cols;
}

/// True when a `width`-element vector starting at `col` lies wholly inside a
/// row of `cols` elements (so it can be loaded as one vector).
template <class T>
FLOPSCOPE_HD constexpr bool vector_in_bounds(T col, T width, T cols) {
  return col >= 0 && col + width <= cols;
}

/// Number of k-tiles a GEMM main loop runs for depth k and tile depth bk.
template <class T>
FLOPSCOPE_HD constexpr T k_tiles(T k, T bk) {
  return ceil_div(k, bk);
}

}  // namespace flopscope::kernels
