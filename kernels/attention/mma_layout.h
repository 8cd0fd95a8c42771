#pragma once
// Where flash_mma.cu's warps read their tensor-core fragments from, written
// once as host+device functions so that a CPU emulation of ldmatrix and
// mma.sync (tests/unit/attention_mma_layout_test.cpp) can prove the layout:
// the swizzle, the chunks each thread copies into a tile with cp.async, the
// row/chunk each lane hands ldmatrix for Q, K and V, and how the S
// accumulators are repacked as the A fragments of P V.
//
// Fragments of mma.m16n8k16 (lane = 4g + t): see common/mma_ptx.cuh.
// ldmatrix.x4: lanes 8i..8i+7 address the 8 rows of matrix i (16 bytes each).
#include "common/tile_math.h"  // FLOPSCOPE_HD

namespace flopscope::kernels::attention::mma_layout {

/// Element offset of 16-byte chunk `c` (8 16-bit values) of row `r` in a
/// [rows, D] tile: chunk c of row r is stored at chunk c ^ (r % 8), so the 8
/// rows an ldmatrix phase reads at one logical chunk hit 8 different bank groups.
template <int D>
FLOPSCOPE_HD constexpr int swizzle(int r, int c) {
  static_assert(D % 64 == 0, "the XOR swizzle needs 8 or more 16-byte chunks per row");
  return r * D + ((c ^ (r & 7)) << 3);
}

struct RowChunk {
  int row = 0, chunk = 0;
};

/// The cp.async copies of a (ROWS, D) tile by THREADS threads, one 16-byte
/// chunk each: thread `tid` copies chunk first(tid).chunk of rows
/// first(tid).row + i * kRowStep, i < kCopies. kRowStep is a multiple of 8 and
/// the swizzle depends on the row only through row % 8, so copy i lands at the
/// first copy's swizzled offset plus i * kStep, and reads the first copy's
/// global element plus i * kStep: one offset and one pointer per thread, a
/// constant per copy.
template <int D, int ROWS, int THREADS>
struct TileCopy {
  static constexpr int kChunks = D / 8;                 // 16-byte chunks per row
  static constexpr int kRowStep = THREADS / kChunks;    // rows between a thread's copies
  static constexpr int kCopies = ROWS / kRowStep;       // copies per thread per tile
  static constexpr int kStep = kRowStep * D;            // elements between them (shared and global)
  static_assert(THREADS % kChunks == 0 && ROWS % kRowStep == 0, "whole rows per pass of the threads");
  static_assert(kRowStep % 8 == 0, "the swizzle repeats every 8 rows");
  static FLOPSCOPE_HD constexpr RowChunk first(int tid) { return {tid / kChunks, tid % kChunks}; }
};

/// Q as A: k-step kk of the 16 rows of warp `warp` (matrices: rows 0-7 | 8-15
/// x head dims kk*16 + 0-7 | 8-15, giving a0..a3).
FLOPSCOPE_HD constexpr RowChunk q_source(int lane, int warp, int kk) {
  return {warp * 16 + (lane & 15), kk * 2 + (lane >> 4)};
}

/// K as B of S = Q K^T (K row-major is B column-major): keys np*16 + 0..15,
/// head dims kk*16 + 0..15. Registers: b0, b1 of n-tile 2np, then of 2np+1.
FLOPSCOPE_HD constexpr RowChunk k_source(int lane, int np, int kk) {
  const int mi = lane >> 3, mr = lane & 7;
  return {np * 16 + mr + 8 * (mi >> 1), kk * 2 + (mi & 1)};
}

/// V as B of O = P V (V row-major is B row-major: loaded with .trans): keys
/// kk*16 + 0..15, head dims dp*16 + 0..15. Registers: b0, b1 of d-tile 2dp, then 2dp+1.
FLOPSCOPE_HD constexpr RowChunk v_source(int lane, int kk, int dp) {
  const int mi = lane >> 3, mr = lane & 7;
  return {kk * 16 + mr + 8 * (mi & 1), dp * 2 + (mi >> 1)};
}

/// The S accumulators that form A register `reg` of P V's k-step kk: the C
/// layout of two adjacent n-tiles is the A layout of one k-step.
/// Returns the n-tile; `hi_rows` says whether it is the (c2, c3) pair (row g+8)
/// rather than (c0, c1) (row g).
struct PSource {
  int ntile = 0;
  bool hi_rows = false;
};
FLOPSCOPE_HD constexpr PSource p_source(int kk, int reg) {
  return {2 * kk + (reg >> 1), (reg & 1) != 0};
}

}  // namespace flopscope::kernels::attention::mma_layout
