#pragma once
// gemm.mma_sync_tma's warps and where they read their mma.sync fragments from:
// gemm.wgmma's stages (gemm/wgmma_tile.h: TMA boxes, 128-byte swizzled), read
// with ldmatrix instead of wgmma descriptors. Host+device functions, so that a
// CPU emulation of TMA, ldmatrix and mma.sync (tests/unit/mma_tma_layout_test.cpp)
// proves the kernel's (gemm/mma_sync_tma.cu) addressing.
//
// Warps, in gemm.wgmma's 128 x 256 x 64 block tile:
//   consumer warpgroup c (0, 1) owns rows 64c..64c+63, as in gemm.wgmma;
//   its warp w (0..3) owns columns 64w..64w+63, which are exactly B box w;
//   warp tile (kWM, kWN) = (64, 64): (4, 8) m16n8k16 tiles, 128 FP32
//   accumulators a thread, gemm.mma_sync's warp tile.
// Per k-tile and warp: 4 k-steps of 16, each 4 ldmatrix.x4 (A) + 4
// ldmatrix.x4.trans (B, two n-tiles each) feeding 32 MMAs.
//
// Shared memory, 128-byte swizzle (the TMA pattern, common/wgmma_layout.h):
// within each 1024-byte atom of 8 rows x 128 bytes, 16-byte chunk c of row r is
// stored at chunk c ^ (r % 8).
//   A (K-major): row r of the k-tile is 128 bytes (64 elements of k) at r * 128.
//   B (MN-major): box w holds 64 k-rows of 128 bytes (64 columns) at 8192 w.
// An ldmatrix row (16 bytes) is one chunk, so it stays contiguous under the
// swizzle; the 8 rows of one 8x8 matrix are 8 consecutive rows of an atom,
// whose chunks land on 8 distinct 16-byte bank groups: no bank conflicts.
#include <cstdint>

#include "common/wgmma_layout.h"
#include "gemm/wgmma_tile.h"

namespace flopscope::kernels::gemm::mma_tma {

namespace wt = wgmma_tile;

inline constexpr int kWarpsPerConsumer = 4;
inline constexpr int kConsumerWarps = wt::kConsumers * kWarpsPerConsumer;  // 8
/// Arrivals that release a stage: every consumer thread arrives once per k-tile
/// (the 8 warps are not in lockstep, so no one thread can speak for a warpgroup).
inline constexpr int kConsumerThreads = 32 * kConsumerWarps;  // 256
inline constexpr int kWM = wt::kWgRows, kWN = wt::kBoxN;    // warp tile (64, 64)
inline constexpr int kTilesM = kWM / 16, kTilesN = kWN / 8;  // (4, 8) m16n8 tiles
inline constexpr int kMmaK = 16;                             // m16n8k16
inline constexpr int kKSteps = wt::kBK / kMmaK;              // 4 per k-tile
inline constexpr int kChunkElems = 8;                        // 16-bit elements per 16-byte chunk

static_assert(kWarpsPerConsumer * kWN == wt::kBN, "a consumer's 4 warps cover the tile's columns");
static_assert(kWN == wt::kBoxN, "a warp's columns are one B box");
static_assert(wt::kElemBytes == 2 && kChunkElems * wt::kElemBytes == 16, "16-bit elements, 16-byte chunks");
static_assert(kTilesN % 2 == 0, "B fragments are loaded two n-tiles at a time");
static_assert(wt::kRowBytes == int(wgmma::kSwizzleRowBytes), "one k-tile row (A) or box row (B) is a swizzle row");
static_assert(kConsumerThreads == wt::kConsumers * wt::kWarpgroupThreads, "the consumers' threads");

/// Byte offset, from a 1024-byte-aligned tile start, of 16-byte chunk `chunk`
/// of 128-byte row `row` after the 128-byte swizzle: wgmma::swizzle128 of
/// row * 128 + chunk * 16, with the XOR spelt out so the compiler sees that
/// only row % 8 matters.
FLOPSCOPE_HD constexpr uint32_t swizzled_chunk(int row, int chunk) {
  return uint32_t(row) * uint32_t(wt::kRowBytes) + uint32_t((chunk ^ (row & 7)) * 16);
}

/// A as ldmatrix.x4 (no .trans): the byte offset, from the stage's A tile,
/// of the row `lane` addresses for m-tile `i` of consumer `consumer` at k-step
/// `kk` (an element index, a multiple of 16). Matrices (rows 0-7 | 8-15) x
/// (k first | second 8 elements) -> a0..a3, as in gemm.mma_sync.
FLOPSCOPE_HD constexpr uint32_t a_frag_offset(int consumer, int lane, int i, int kk) {
  const int row = consumer * kWM + i * 16 + (lane & 15);
  return swizzled_chunk(row, kk / kChunkElems + lane / 16);
}

/// B as ldmatrix.x4.trans: the byte offset, from the stage's first B box, of
/// the row `lane` addresses for n-tiles j, j+1 (j even) of warp `warp` at
/// k-step `kk`. Matrices (k 0-7 | 8-15) x (n-tile j | j+1), transposed:
/// registers r0, r1 are b0, b1 of n-tile j and r2, r3 those of n-tile j+1.
FLOPSCOPE_HD constexpr uint32_t b_frag_offset(int warp, int lane, int j, int kk) {
  const int krow = kk + (lane & 15);
  return uint32_t(warp) * wt::kBBoxBytes + swizzled_chunk(krow, j + lane / 16);
}

/// Where n-tile j's B fragment (b0, b1) is in the ldmatrix.x4.trans loads of a
/// k-step: registers `reg`, `reg` + 1 of load `load` (load p covers n-tiles 2p, 2p+1).
struct BRegs {
  int load = 0, reg = 0;
};
FLOPSCOPE_HD constexpr BRegs b_regs(int j) { return {j / 2, 2 * (j % 2)}; }

struct RowCol {
  int row = 0, col = 0;
};

/// Where accumulators c0, c1 of MMA tile (i, j) of `lane` in warp `warp` of
/// consumer `consumer` belong in the block tile: (row, col..col+1); c2, c3 are
/// 8 rows further.
FLOPSCOPE_HD constexpr RowCol acc_origin(int consumer, int warp, int lane, int i, int j) {
  return {consumer * kWM + i * 16 + lane / 4, warp * kWN + j * 8 + 2 * (lane % 4)};
}

/// Whether the epilogue stores accumulator pair `half` (0: c0, c1; 1: c2, c3,
/// 8 rows further) of an MMA tile whose pair 0 sits at `o` in the block tile,
/// given the rows and columns left in the matrix from the tile's corner. Compared
/// inside the tile, so nothing overflows near m = 2^31; n is even, so col + 1 < n.
FLOPSCOPE_HD constexpr bool stores(RowCol o, int half, int rows_left, int cols_left) {
  return o.col < cols_left && o.row + 8 * half < rows_left;
}

/// Whether warp `warp` of a tile starting at column `bn` has any of B's columns:
/// the producer loads only the b_boxes(bn, n) boxes that do, and a warp past
/// them skips its MMAs (its stage bytes are stale, its outputs never stored).
FLOPSCOPE_HD constexpr bool warp_has_columns(int warp, int bn, int n) { return warp < wt::b_boxes(bn, n); }

}  // namespace flopscope::kernels::gemm::mma_tma
