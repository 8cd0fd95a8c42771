#pragma once
// Index arithmetic shared by every kernel and its tests: written once, as
// host+device functions, and proven on the CPU (tests/unit/kernels_host_test.cpp).
// Host-only compilers see plain constexpr functions.
#include <cstdint>

#if defined(__CUDACC__)
#define FLOPSCOPE_HD __host__ __device__ __forceinline__
#else
#define FLOPSCOPE_HD inline
#endif

namespace flopscope::kernels {

/// The largest size (rows, columns, sequence length, ...) a kernel with 32-bit
/// index math accepts: 2^31 - 1 less room to round up to any tile (at most 1024
/// wide) or add a tile offset without overflowing an int. Checked up front.
inline constexpr int64_t kMaxIndexDim = 0x7fffffff - 1024;
inline constexpr const char* kMaxIndexDimText = "2^31 - 1025";

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

/// Maps a linear block id to a tile (tile_m, tile_n) so that consecutive blocks
/// walk a band of `group` tile-rows column by column: the band's A rows and the
/// current B columns stay in L2 together. A bijection onto the tiles_m x tiles_n
/// grid (tests/unit/kernels_host_test.cpp).
template <class T>
FLOPSCOPE_HD constexpr void grouped_tile(T pid, T tiles_m, T tiles_n, T group, T& tile_m, T& tile_n) {
  const T per_band = group * tiles_n;
  const T first_m = (pid / per_band) * group;
  const T band_rows = (tiles_m - first_m < group) ? (tiles_m - first_m) : group;
  const T in_band = pid % per_band;
  tile_m = first_m + in_band % band_rows;
  tile_n = in_band / band_rows;
}

}  // namespace flopscope::kernels
