#pragma once
// A CPU emulation of the shared memory that gemm.wgmma's TMA ring fills, for
// the tests that prove the kernels reading it (wgmma_layout_test.cpp,
// mma_tma_layout_test.cpp): shared memory as one slot per 16-bit element, and
// a TMA box load with the 128-byte swizzle and zero fill.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gemm/wgmma_tile.h"

namespace flopscope::test::tma_emu {

// Shared memory of doubles, one slot per 2-byte element address (the tile's
// 16-bit values are small integers here, so doubles hold them exactly).
struct Smem {
  std::vector<double> slot;  // indexed by byte address / 2
  explicit Smem(uint32_t bytes) : slot(bytes / 2, std::numeric_limits<double>::quiet_NaN()) {}
  double& at(uint32_t byte_addr) {
    EXPECT_EQ(byte_addr % 2, 0u);
    EXPECT_LT(byte_addr / 2, slot.size());
    return slot.at(byte_addr / 2);
  }
};

/// cp.async.bulk.tensor.2d with CU_TENSOR_MAP_SWIZZLE_128B and zero fill: the
/// box of a row-major [rows, cols] matrix at (c0 = col, c1 = row), box_cols 16-bit
/// elements (128 bytes) wide, lands row after row, 128 bytes per box row, each
/// 16-byte chunk c of box row r at chunk c ^ (r % 8) (the "TMA pattern", written
/// here without swizzle128).
inline void tma_box(Smem& smem, uint32_t dst, const std::vector<double>& g, int rows, int cols, int c0, int c1,
                    int box_cols, int box_rows) {
  ASSERT_EQ(box_cols * 2, 128);
  ASSERT_EQ(dst % 1024, 0u);
  for (int r = 0; r < box_rows; ++r)
    for (int c = 0; c < box_cols; ++c) {
      const int gr = c1 + r, gc = c0 + c;
      const double v = (gr < rows && gc < cols) ? g[size_t(gr) * size_t(cols) + size_t(gc)] : 0.0;
      const int chunk = (c * 2) / 16, within = (c * 2) % 16;
      smem.at(dst + uint32_t(r * 128 + ((chunk ^ (r % 8)) * 16) + within)) = v;
    }
}

/// What gemm.wgmma's producer (wgmma.cuh: produce) loads into stage `s` for
/// k-tile `kt` of the block at (bm, bn): the A box and `boxes` B boxes, at the
/// kernel's own coordinates (wgmma_tile.h: a_box, b_box).
inline void load_stage(Smem& smem, uint32_t base, int s, const std::vector<double>& A,
                       const std::vector<double>& B, int m, int n, int k, int kt, int bm, int bn, int boxes) {
  namespace wt = flopscope::kernels::gemm::wgmma_tile;
  const wt::BoxCoord a = wt::a_box(kt, bm);
  tma_box(smem, wt::stage_a(base, s), A, m, k, a.c0, a.c1, wt::kBK, wt::kBM);
  for (int j = 0; j < boxes; ++j) {
    const wt::BoxCoord b = wt::b_box(kt, bn, j);
    tma_box(smem, wt::stage_b(base, s, j), B, k, n, b.c0, b.c1, wt::kBoxN, wt::kBK);
  }
}

/// A row-major [rows, cols] matrix of small random integers (exact in 16 bits and in sums).
inline std::vector<double> random_matrix(int rows, int cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> v(-4, 4);
  std::vector<double> m(size_t(rows) * size_t(cols));
  for (double& x : m) x = v(rng);
  return m;
}

/// One block tile of a GEMM on the ring: the problem, which tile, and the raw
/// shared-memory base the kernel would round up to a swizzle atom.
struct TileCase {
  int m, n, k, tile_m, tile_n;
  uint32_t raw;
};

/// Interior tiles, the m tail (rows past m zero-filled by TMA and not stored),
/// the k tail (a partial k-tile zero-filled), n tails with unloaded B boxes
/// (their columns left NaN in shared memory: only unstored outputs may see
/// them), more k-tiles than stages (the ring wraps), and shared-memory bases
/// that are not 1024-byte aligned; for the 128 x 256 x 64 tile.
inline constexpr TileCase kTileCases[] = {
    {128, 256, 64, 0, 0, 0},       // one exact tile, one k-tile
    {200, 520, 328, 1, 2, 0x210},  // m tail 72 rows, n tail 8 columns (1 box), k tail 8, 6 k-tiles
    {130, 392, 40, 0, 1, 0x7f0},   // n tail 136 columns (3 boxes), k shorter than one k-tile
    {70, 384, 72, 0, 1, 0x400},    // n tail 128 columns (2 boxes: warps 2 and 3 idle), k tail 8
    {1, 8, 8, 0, 0, 0x10},         // the smallest accepted problem
};

/// For every case: random A and B, C = emulate(A, B, case) (NaN where nothing
/// was stored), which must equal A B in double exactly inside the (tile_rows,
/// tile_cols) block tile and be NaN everywhere else.
template <class Emulate>
void expect_tiles_match_the_product(int tile_rows, int tile_cols, Emulate emulate) {
  for (const TileCase& c : kTileCases) {
    SCOPED_TRACE(::testing::Message() << c.m << "x" << c.n << "x" << c.k << " tile (" << c.tile_m << ","
                                      << c.tile_n << ") raw 0x" << std::hex << c.raw);
    const std::vector<double> A = random_matrix(c.m, c.k, 11), B = random_matrix(c.k, c.n, 12);
    const std::vector<double> C = emulate(A, B, c);
    int stored = 0;
    for (int i = 0; i < c.m; ++i)
      for (int j = 0; j < c.n; ++j) {
        const bool in_tile = i / tile_rows == c.tile_m && j / tile_cols == c.tile_n;
        const double got = C[size_t(i) * size_t(c.n) + size_t(j)];
        if (!in_tile) {
          ASSERT_TRUE(std::isnan(got)) << "stored outside the tile at " << i << "," << j;
          continue;
        }
        double want = 0;
        for (int kk = 0; kk < c.k; ++kk)
          want += A[size_t(i) * size_t(c.k) + size_t(kk)] * B[size_t(kk) * size_t(c.n) + size_t(j)];
        ASSERT_EQ(got, want) << "C[" << i << "," << j << "]";
        ++stored;
      }
    const int rows = std::min(tile_rows, c.m - c.tile_m * tile_rows);
    const int cols = std::min(tile_cols, c.n - c.tile_n * tile_cols);
    EXPECT_EQ(stored, rows * cols);
  }
}

}  // namespace flopscope::test::tma_emu
