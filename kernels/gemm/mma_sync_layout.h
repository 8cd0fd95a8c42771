#pragma once
// gemm.mma_sync's tiles and where its warps read their tensor-core fragments
// from, written once as host+device functions so that a CPU emulation of
// ldmatrix and mma.sync (tests/unit/gemm_mma_layout_test.cpp) can prove what
// the kernel (gemm/mma_sync.cuh, also under ffn/fused.cu) runs: the cp.async
// chunk each thread copies and whether it is in bounds (else zero-filled), the
// padded shared-memory rows, the row each lane hands ldmatrix for A and (16-bit)
// B, the TF32 path's scalar B loads, and the accumulator -> (row, col) mapping
// the epilogue stores.
//
// Parametrised by the tile, MmaTile<element bytes, warps along n, k-tile row
// bytes>: 2-byte (FP16/BF16) or 4-byte (float for TF32) elements, so no CUDA
// type is needed here, in a 128 x 128 (gemm.mma_sync) or 128 x 256
// (gemm.mma_sync_wide) block tile with 64-byte k-tile rows, or 128 x 256 with
// 128-byte rows (gemm.mma_sync_deep). All offsets are in elements, from the
// start of one stage's A tile (kBM, kLdA) or B tile (kBK, kLdB).
//
// Fragments (lane = 4g + t, g = lane/4, t = lane%4), common/mma_ptx.cuh:
//   m16n8k16 (16-bit): A a0 (g, 2t..2t+1) a1 (g+8, ..) a2 (g, 2t+8..) a3 (g+8, 2t+8..)
//                      B b0 (k 2t..2t+1, n g)  b1 (k 2t+8.., n g)
//   m16n8k8  (TF32):   A a0 (g, t) a1 (g+8, t) a2 (g, t+4) a3 (g+8, t+4)
//                      B b0 (k t, n g)  b1 (k t+4, n g)
//   C (both, FP32):    c0, c1 (g, 2t..2t+1)  c2, c3 (g+8, 2t..2t+1)
// ldmatrix.x4: lanes 8i..8i+7 address the 8 rows (16 bytes each) of matrix i;
// a 16-byte row holds 8 16-bit or 4 32-bit elements, so the same A addressing
// gives the m16n8k16 A fragment for 16-bit types and the m16n8k8 one for float.
#include "common/tile_math.h"  // FLOPSCOPE_HD

namespace flopscope::kernels::gemm::mma_layout {

/// Tiles of gemm.mma_sync (kWarpsN_ = 2), gemm.mma_sync_wide (kWarpsN_ = 4) and
/// gemm.mma_sync_deep (kWarpsN_ = 4, kKBytes_ = 128) for elements of `kBytes_`
/// bytes (2 or 4).
///   block tile (kBM, kBN, kBK) = (128, 64 * kWarpsN, kKBytes of k: 64 bytes are
///   32 or 16 elements, 128 bytes 64 or 32)
///   2 x kWarpsN warps in (kWarpsM, kWarpsN), warp tile (kWM, kWN) = (64, 64):
///   (kTilesM, kTilesN) = (4, 8) MMA tiles of (16, 8), 128 FP32 accumulators per thread.
/// Per warp and MMA k-step: 4 ldmatrix.x4 for A (one per m-tile) and, 16-bit, 4
/// ldmatrix.x4.trans for B (one per n-tile pair) feed 32 MMAs -- 4 MMAs per
/// ldmatrix, where a 64 x 32 warp tile (6 loads, 16 MMAs) had 2.7. (TF32: 4
/// ldmatrix.x4 for A and 16 scalar word loads for B.)
template <int kBytes_, int kWarpsN_, int kKBytes_ = 64>
struct MmaTile {
  static constexpr int kBytes = kBytes_;
  static_assert(kBytes == 2 || kBytes == 4, "16-bit (FP16/BF16) or 32-bit (TF32) elements");
  static_assert(kWarpsN_ == 2 || kWarpsN_ == 4, "block tiles of 128 x 128 or 128 x 256");
  static_assert(kKBytes_ == 64 || kKBytes_ == 128, "k-tile rows of 64 or 128 bytes");
  // The variant the tiles make, which prefixes the launcher's errors.
  static constexpr const char* kName = kWarpsN_ == 2    ? "gemm.mma_sync"
                                       : kKBytes_ == 64 ? "gemm.mma_sync_wide"
                                                        : "gemm.mma_sync_deep";
  static constexpr int kChunk = 16 / kBytes;  // elements per 16-byte cp.async / ldmatrix row
  static constexpr int kWarpsM = 2, kWarpsN = kWarpsN_;
  static constexpr int kBM = 128, kBN = 64 * kWarpsN;  // block tile (kBM, kBN) outputs
  static constexpr int kBK = kKBytes_ / kBytes;  // k-tile: kKBytes_-byte rows of the (kBM, kBK) A tile
  static constexpr int kMmaK = kBytes == 2 ? 16 : 8;  // m16n8k16 | m16n8k8
  static constexpr int kStages = 4;           // cp.async ring: k-tiles t+1..t+3 in flight
  static constexpr int kThreads = 32 * kWarpsM * kWarpsN;           // 128 | 256
  static constexpr int kWM = kBM / kWarpsM, kWN = kBN / kWarpsN;  // warp tile (64, 64)
  static constexpr int kTilesM = kWM / 16, kTilesN = kWN / 8;     // (4, 8) MMA tiles of (16, 8)
  static constexpr int kAccPerThread = 4 * kTilesM * kTilesN;     // 128 FP32
  // Fragment registers of one k-step: kTilesM A fragments (4 regs), kTilesN B (2 regs).
  static constexpr int kFragRegs = 4 * kTilesM + 2 * kTilesN;     // 32
  static constexpr int kACopies = kBM * kBK / kChunk / kThreads;  // 4 | 2 | 4 A chunks per thread per stage
  static constexpr int kBCopies = kBK * kBN / kChunk / kThreads;  // 4 | 4 | 8 B chunks per thread per stage
  static constexpr int kLdA = kBK + kChunk;  // +16 bytes: ldmatrix rows on distinct banks
  static constexpr int kLdB = kBN + 8;       // 16-bit: 272 | 528 B rows; float: 136 | 264 words
  static constexpr int kStageElems = kBM * kLdA + kBK * kLdB;  // A (kBM, kLdA) | B (kBK, kLdB)
  static constexpr int kSmemBytes = kStages * kStageElems * kBytes;  // 75,776 | 108,544 | 208,896 for both sizes
  // __launch_bounds__: the blocks that fit the 64K-register file at up to 256
  // registers a thread (2 | 1); the 64 x 64 warp tile needs ~236.
  static constexpr int kMinBlocksPerSm = 65536 / (kThreads * 256);
  static constexpr int kGroupM = 8;          // tile-rows per L2 band

  // Shared memory per SM: sm_80 (A100) 164 KB, sm_90 228 KB; 1 KB per block is
  // the system's (cudaDevAttrReservedSharedMemoryPerBlock). A tiling whose
  // blocks fit sm_80's runs from sm_80 on, else from sm_90 on (kMinCc, the
  // registry's min_cc); a GPU of a later generation with less shared memory
  // per SM (sm_120: 100 KB) refuses the launch's opt-in.
  static constexpr int kSmemPerSmSm80 = 164 * 1024, kSmemPerSmSm90 = 228 * 1024;
  static constexpr int kReservedSmemPerBlock = 1024;
  static constexpr int kBlockSmemPerSm = kMinBlocksPerSm * (kSmemBytes + kReservedSmemPerBlock);
  static constexpr int kMinCc = kBlockSmemPerSm <= kSmemPerSmSm80 ? 80 : 90;

  static_assert(kBM == kWarpsM * kWM && kBN == kWarpsN * kWN, "the warp tiles cover the block tile");
  static_assert(kWM % 16 == 0 && kWN % 8 == 0, "whole m16n8 tiles per warp");
  static_assert(kTilesN % 2 == 0, "16-bit B fragments are loaded two n-tiles at a time");
  static_assert(kBK % kMmaK == 0, "whole MMA k-steps per k-tile");
  static_assert(kMmaK == 2 * kChunk, "an A k-step is two 16-byte ldmatrix rows wide");
  static_assert(kACopies * kThreads * kChunk == kBM * kBK, "whole A chunks per thread per stage");
  static_assert(kBCopies * kThreads * kChunk == kBK * kBN, "whole B chunks per thread per stage");
  static_assert(kBK % kChunk == 0 && kBN % kChunk == 0, "tile rows are whole 16-byte chunks");
  static_assert((kLdA * kBytes) % 16 == 0 && (kLdB * kBytes) % 16 == 0,
                "16-byte aligned shared rows for cp.async and ldmatrix");
  static_assert((kLdA * kBytes / 16) % 2 == 1,
                "odd 16-byte A pitch: 8 consecutive rows of an ldmatrix phase hit 8 bank groups");
  static_assert(kBytes != 2 || (kLdB * kBytes / 16) % 2 == 1,
                "odd 16-byte B pitch: 8 consecutive k-rows of ldmatrix.trans hit 8 bank groups");
  static_assert(kBytes != 4 || kLdB % 32 == 8,
                "TF32 B: words (k t, n g) at 8t + g, on 32 distinct banks");
  static_assert((kBM * kLdA * kBytes) % 128 == 0 && (kStageElems * kBytes) % 128 == 0,
                "A, B and every stage start on a 128-byte line (bank analysis holds per stage)");
  static_assert(kStages >= 2, "a cp.async ring needs a stage to fill while one is read");
  static_assert(kMinBlocksPerSm >= 1, "one block's warps fit the register file");
  static_assert(kBlockSmemPerSm <= kSmemPerSmSm90, "kMinBlocksPerSm blocks per SM fit sm_90's shared memory");
  static_assert(kAccPerThread + kFragRegs < 65536 / (kMinBlocksPerSm * kThreads) - 32,
                "accumulators and one k-step's fragments fit the launch bound's register cap with room for addresses");
};

struct RowCol {
  int row = 0, col = 0;
};

/// The A chunk (row, first k) that copy `id` (0 .. kACopies*kThreads-1:
/// threadIdx.x + c*kThreads) brings into the (kBM, kBK) A tile, kChunk elements.
template <class C>
FLOPSCOPE_HD constexpr RowCol a_copy_chunk(int id) {
  return {id / (C::kBK / C::kChunk), (id % (C::kBK / C::kChunk)) * C::kChunk};
}

/// The B chunk (k row, first n) that copy `id` (0 .. kBCopies*kThreads-1)
/// brings into the (kBK, kBN) B tile.
template <class C>
FLOPSCOPE_HD constexpr RowCol b_copy_chunk(int id) {
  return {id / (C::kBN / C::kChunk), (id % (C::kBN / C::kChunk)) * C::kChunk};
}

/// One cp.async copy of load_stage: kChunk elements from global element (row,
/// col) of a row-major matrix to element `smem` of the stage's A or B tile.
/// `in` false: the chunk lies outside the matrix and is zero-filled (its
/// column count is a multiple of kChunk, so a chunk is all in or all out).
struct Copy {
  int smem = 0;
  int row = 0, col = 0;
  bool in = false;
};

/// Element offset of A tile element (row, k): rows padded to kLdA.
template <class C>
FLOPSCOPE_HD constexpr int a_offset(int row, int k) {
  return row * C::kLdA + k;
}

/// Element offset of B tile element (k, n): rows padded to kLdB.
template <class C>
FLOPSCOPE_HD constexpr int b_offset(int k, int n) {
  return k * C::kLdB + n;
}

/// Copy `c` (0 .. kACopies-1) of thread `tid` for k-tile `kt` of the block
/// whose rows start at `bm`: A is (m, k).
template <class C>
FLOPSCOPE_HD constexpr Copy a_copy(int tid, int c, int bm, int kt, int m, int k) {
  const RowCol t = a_copy_chunk<C>(tid + c * C::kThreads);
  const int row = bm + t.row, col = kt * C::kBK + t.col;
  return {a_offset<C>(t.row, t.col), row, col, row < m && col < k};
}

/// Copy `c` (0 .. kBCopies-1) of thread `tid` for k-tile `kt` of the block
/// whose columns start at `bn`: B is (k, n).
template <class C>
FLOPSCOPE_HD constexpr Copy b_copy(int tid, int c, int bn, int kt, int n, int k) {
  const RowCol t = b_copy_chunk<C>(tid + c * C::kThreads);
  const int row = kt * C::kBK + t.row, col = bn + t.col;
  return {b_offset<C>(t.row, t.col), row, col, row < k && col < n};
}

/// A as ldmatrix.x4 (no .trans): the row `lane` addresses for m-tile `i` of
/// warp row `warp_m` at k-step `kk` (an element index, a multiple of kMmaK).
/// Matrices (rows 0-7 | 8-15) x (k first | second 16 bytes) -> a0..a3.
template <class C>
FLOPSCOPE_HD constexpr int a_frag_offset(int lane, int warp_m, int i, int kk) {
  const int row = warp_m * C::kWM + i * 16 + lane % 8 + ((lane / 8) % 2) * 8;
  const int col = kk + (lane / 16) * C::kChunk;
  return a_offset<C>(row, col);
}

/// 16-bit B as ldmatrix.x4.trans: the row `lane` addresses for n-tiles j, j+1
/// (j even) of warp column `warp_n` at k-step `kk`. Matrices (k 0-7 | 8-15) x
/// (n-tile j | j+1), transposed: registers r0, r1 are b0, b1 of n-tile j and
/// r2, r3 those of n-tile j+1.
template <class C>
FLOPSCOPE_HD constexpr int b_frag_offset_trans(int lane, int warp_n, int j, int kk) {
  static_assert(C::kBytes == 2, "ldmatrix.trans: 16-bit elements");
  const int krow = kk + lane % 8 + ((lane / 8) % 2) * 8;
  const int ncol = warp_n * C::kWN + j * 8 + (lane / 16) * 8;
  return b_offset<C>(krow, ncol);
}

/// TF32 B, register `reg` (0: b0, 1: b1) of n-tile j: one scalar load, since
/// ldmatrix cannot transpose 32-bit elements. A row pitch of 8 mod 32 words
/// (136 or 264) puts a warp's 32 reads (k t, n g) on 32 banks.
template <class C>
FLOPSCOPE_HD constexpr int b_tf32_offset(int lane, int warp_n, int j, int kk, int reg) {
  static_assert(C::kBytes == 4, "TF32 B: 32-bit elements");
  const int g = lane / 4, t = lane % 4;
  return b_offset<C>(kk + t + reg * 4, warp_n * C::kWN + j * 8 + g);
}

/// Where accumulators c0, c1 of MMA tile (i, j) of lane `lane` belong in the
/// block tile: (row, col) and (row, col + 1); c2, c3 are (row + 8, col..col+1).
/// The same for both paths (the C fragment of m16n8k16 and m16n8k8 agree).
template <class C>
FLOPSCOPE_HD constexpr RowCol acc_origin(int lane, int warp_m, int warp_n, int i, int j) {
  return {warp_m * C::kWM + i * 16 + lane / 4, warp_n * C::kWN + j * 8 + 2 * (lane % 4)};
}

/// Whether the epilogue stores accumulator pair `half` (0: c0, c1 at (row,
/// col..col+1); 1: c2, c3, 8 rows further) of an MMA tile whose pair 0 falls at
/// (row, col) of the (m, n) output. n is a multiple of kChunk (even), so col < n
/// puts col + 1 in range too.
FLOPSCOPE_HD constexpr bool stores(int row, int col, int half, int m, int n) {
  return col < n && row + 8 * half < m;
}

}  // namespace flopscope::kernels::gemm::mma_layout
