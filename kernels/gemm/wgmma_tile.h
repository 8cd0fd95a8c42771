#pragma once
// gemm.wgmma's tile, shared-memory plan and operand descriptors, as host+device
// functions: the kernel (gemm/wgmma.cuh) builds every TMA destination and every
// wgmma descriptor through these, and tests/unit/wgmma_layout_test.cpp emulates
// the TMA writes and the wgmma reads on the CPU through the same functions.
//
// Tile, 16-bit elements (FP16/BF16):
//   block tile   (kBM, kBN, kBK) = (128, 256, 64): one k-tile row is 128 bytes,
//                exactly one row of a 128-byte swizzle atom
//   warpgroups   1 producer (one thread issues the TMA loads) + kConsumers = 2
//                consumers; consumer c owns rows 64c..64c+63 and all 256 columns:
//                one wgmma.m64n256k16 per 16-deep k-step, 128 FP32 accumulators
//                per thread
//   stages       kStages = 4 k-tiles in flight, 48 KiB each
//
// One stage in shared memory (byte offsets from the stage start, every piece
// 1024-byte aligned so that the swizzle atoms start on 1024-byte boundaries):
//   [0, 16384)       A: rows 0..127 of the k-tile, 128 bytes each, K-major
//                    (one TMA box of 64 k x 128 rows)
//   [16384, 49152)   B: four boxes of 64 k-rows x 64 columns (128 bytes per
//                    k-row, N contiguous: "MN-major"), box j holds columns 64j..64j+63
// then 2 x kStages mbarriers (full: TMA landed; empty: both consumers done).
//
// B is K x N row-major, so its shared tile is MN-major: wgmma reads it with
// imm-trans-b = 1, which FP16/BF16 support (TF32 does not: no tf32 variant).
#include <cstdint>
#include <string>

#include "common/wgmma_layout.h"

namespace flopscope::kernels::gemm::wgmma_tile {

inline constexpr int kElemBytes = 2;  // FP16 / BF16
inline constexpr int kBM = 128, kBN = 256, kBK = 64;
inline constexpr int kConsumers = 2;                // consumer warpgroups
inline constexpr int kWgRows = kBM / kConsumers;    // 64: the wgmma M
inline constexpr int kMmaK = 16;                    // the wgmma K for 16-bit inputs
inline constexpr int kKSteps = kBK / kMmaK;         // 4 wgmmas per k-tile and consumer
inline constexpr int kAccRegs = kBN / 2;            // 128 FP32 accumulators per thread
inline constexpr int kStages = 4;
inline constexpr int kWarpgroupThreads = 128;
inline constexpr int kThreads = kWarpgroupThreads * (1 + kConsumers);  // 384
inline constexpr int kRowBytes = kBK * kElemBytes;  // 128
inline constexpr int kBoxN = int(wgmma::kSwizzleRowBytes) / kElemBytes;  // 64 columns per B box
inline constexpr int kBoxesB = kBN / kBoxN;         // 4
inline constexpr uint32_t kABytes = uint32_t(kBM) * kRowBytes;                // 16384
inline constexpr uint32_t kBBoxBytes = uint32_t(kBK) * kBoxN * kElemBytes;    // 8192
inline constexpr uint32_t kStageBytes = kABytes + kBoxesB * kBBoxBytes;      // 49152
inline constexpr uint32_t kBarrierBytes = 2 * kStages * 8;                   // full + empty
/// Dynamic shared memory the launch asks for: the stages, the barriers, and
/// up to 1024 bytes lost to aligning the stages on a swizzle atom.
inline constexpr uint32_t kSmemBytes = kStages * kStageBytes + kBarrierBytes + wgmma::kSwizzleAtomBytes;
inline constexpr int kGroupM = 8;  // tile-rows per L2 band (grouped_tile)

// Producer / consumer register budgets (setmaxnreg): 128 x 40 + 256 x 232 <= 64K.
inline constexpr int kProducerRegs = 40, kConsumerRegs = 232;
// Registers per thread the launch must be given for those budgets: setmaxnreg.inc
// waits until the producer's released registers cover the consumers' increase,
// so a kernel compiled to fewer (a -maxrregcount, another __launch_bounds__)
// would spin at its start, past the mbarrier guard. kernel_sass_test checks it.
inline constexpr int kLaunchRegs =
    (kWarpgroupThreads * kProducerRegs + kConsumers * kWarpgroupThreads * kConsumerRegs + kThreads - 1) / kThreads;

static_assert(kRowBytes == int(wgmma::kSwizzleRowBytes), "a k-tile row is one 128-byte swizzle row");
static_assert(kWgRows == 64, "each consumer warpgroup issues m64 wgmmas");
static_assert(kBN % 16 == 0 && kBN <= 256, "wgmma n is a multiple of 16 up to 256 (dense 16-bit)");
static_assert(kBK % kMmaK == 0, "whole wgmma k-steps per k-tile");
static_assert(kBM <= 256 && kBK <= 256 && kBoxN <= 256, "TMA box dimensions are at most 256");
static_assert(kBN % kBoxN == 0, "whole B boxes per tile");
static_assert(kABytes % wgmma::kSwizzleAtomBytes == 0 && kBBoxBytes % wgmma::kSwizzleAtomBytes == 0 &&
                  kStageBytes % wgmma::kSwizzleAtomBytes == 0,
              "every TMA box starts on a swizzle atom");
static_assert((kWgRows * kRowBytes) % wgmma::kSwizzleAtomBytes == 0, "each consumer's A rows start on an atom");
static_assert(kSmemBytes <= 227 * 1024, "fits the 227 KiB an sm_90 block may opt into");
static_assert(kWarpgroupThreads * kProducerRegs + kConsumers * kWarpgroupThreads * kConsumerRegs <= 65536,
              "register budgets fit the register file");
static_assert(kProducerRegs % 8 == 0 && kConsumerRegs % 8 == 0 && kProducerRegs >= 24 && kConsumerRegs <= 256,
              "setmaxnreg takes multiples of 8 in [24, 256]");
static_assert(kAccRegs * 2 == kBN, "m64nNk16 has N/2 FP32 accumulators per thread");

/// Shared address of stage `s`'s A tile; `base` is 1024-byte aligned.
FLOPSCOPE_HD constexpr uint32_t stage_a(uint32_t base, int s) { return base + uint32_t(s) * kStageBytes; }
/// Shared address of B box `box` (columns 64 box ..) of stage `s`.
FLOPSCOPE_HD constexpr uint32_t stage_b(uint32_t base, int s, int box) {
  return stage_a(base, s) + kABytes + uint32_t(box) * kBBoxBytes;
}
/// A TMA box's coordinates as cp.async.bulk.tensor.2d takes them: c0 along the
/// matrix's contiguous dimension, c1 along the other.
struct BoxCoord {
  int c0, c1;
};
/// k-tile `kt`'s A box of the block at row `bm`: kBK columns (k) of kBM rows.
FLOPSCOPE_HD constexpr BoxCoord a_box(int kt, int bm) { return {kt * kBK, bm}; }
/// k-tile `kt`'s B box `j` of the block at column `bn`: kBoxN columns of kBK rows (k).
FLOPSCOPE_HD constexpr BoxCoord b_box(int kt, int bn, int j) { return {bn + j * kBoxN, kt * kBK}; }

/// The full (TMA landed) and empty (consumers done) mbarriers of stage `s`.
FLOPSCOPE_HD constexpr uint32_t full_barrier(uint32_t base, int s) {
  return base + kStages * kStageBytes + 8 * uint32_t(s);
}
FLOPSCOPE_HD constexpr uint32_t empty_barrier(uint32_t base, int s) {
  return full_barrier(base, kStages) + 8 * uint32_t(s);
}

/// A of consumer `consumer` at k-step `ks`: K-major, 128-byte swizzle. Rows
/// are 128 bytes apart, 8-row groups 1024 bytes apart (SBO); LBO is unused for
/// swizzled K-major layouts ("assumed 1"). A k-step is 16 elements = 32 bytes
/// further along the row: the tensor cores apply the swizzle to the address
/// they form, so the start may point inside an atom.
FLOPSCOPE_HD constexpr uint64_t a_desc(uint32_t stage_a_addr, int consumer, int ks) {
  return wgmma::smem_desc(stage_a_addr + uint32_t(consumer * kWgRows * kRowBytes + ks * kMmaK * kElemBytes),
                          16, wgmma::kSwizzleAtomBytes, wgmma::Swizzle::b128);
}
/// B at k-step `ks`: MN-major, 128-byte swizzle. 64 columns per 128-byte row,
/// k-rows 128 bytes apart, 8-k-row groups 1024 bytes apart (SBO), the next 64
/// columns one box (8192 bytes) further (LBO). A k-step is 16 k-rows = 2048 bytes.
FLOPSCOPE_HD constexpr uint64_t b_desc(uint32_t stage_b_addr, int ks) {
  return wgmma::smem_desc(stage_b_addr + uint32_t(ks * kMmaK * kRowBytes), kBBoxBytes,
                          wgmma::kSwizzleAtomBytes, wgmma::Swizzle::b128);
}

/// B boxes of the tile starting at column `bn` that hold a column < n (at least 1
/// for bn < n). The others would lie wholly outside B and are not loaded: the
/// columns they would hold produce only outputs the epilogue never stores.
FLOPSCOPE_HD constexpr int b_boxes(int bn, int n) {
  const int left = (n - bn - 1) / kBoxN + 1;  // ceil_div without overflow near n = 2^31
  return left < kBoxesB ? left : kBoxesB;
}
/// Bytes the TMA writes into one stage (the full barrier's transaction count):
/// a box partly outside the tensor is zero-filled and counts whole.
FLOPSCOPE_HD constexpr uint32_t stage_tx_bytes(int boxes) { return kABytes + uint32_t(boxes) * kBBoxBytes; }

/// Ring position of the `it`-th k-tile a block handles: stage and the parity of
/// its use of that stage (the mbarrier phase to wait for).
FLOPSCOPE_HD constexpr int stage_of(uint32_t it) { return int(it % kStages); }
FLOPSCOPE_HD constexpr uint32_t phase_of(uint32_t it) { return (it / kStages) & 1; }

/// "" when gemm.wgmma takes (m, n, k), else one line naming the constraint:
/// TMA needs global row strides (k and n elements) that are multiples of 16 bytes.
inline std::string check_dims(int m, int n, int k) {
  if (m < 1 || n < 1 || k < 1) return "m, n and k must be at least 1";
  if (k % 8 != 0 || n % 8 != 0)
    return "k and n must be multiples of 8 (16-byte TMA row strides): pad them, or use "
           "gemm.reg_tiled.fp32 or a gemm.cublas kernel";
  return "";
}

}  // namespace flopscope::kernels::gemm::wgmma_tile
