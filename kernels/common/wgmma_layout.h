#pragma once
// Hopper warpgroup MMA (wgmma, sm_90a) facts shared by gemm/wgmma.cuh and the
// wgmma ceiling (ceilings/wgmma.cu), written once as host+device functions so
// that a CPU emulation (tests/unit/wgmma_layout_test.cpp) can prove them:
//  - the shared-memory matrix descriptor (PTX ISA, "Matrix Descriptor Format"):
//      bits  0-13  start address          >> 4
//      bits 16-29  leading byte offset    >> 4  (LBO)
//      bits 32-45  stride byte offset     >> 4  (SBO)
//      bits 49-51  base offset: 0 while every swizzle atom starts on a 1024-byte boundary
//      bits 62-63  swizzle: 0 none, 1 128-byte, 2 64-byte, 3 32-byte
//    each field encoded as matrix-descriptor-encode(x) = (x & 0x3FFFF) >> 4;
//  - the 128-byte swizzle, the same for a TMA write (CU_TENSOR_MAP_SWIZZLE_128B)
//    and a wgmma read: within each 1024-byte atom of 8 rows x 128 bytes, the
//    16-byte chunk c of row r is stored at chunk c ^ r;
//  - where accumulator register r of thread t of wgmma.m64nNk16 (FP32 D) lands
//    in the 64 x N tile (PTX ISA figure "WGMMA .m64nNk16 register fragment
//    layout for accumulator matrix D").
// Host-only compilers see plain constexpr functions (no CUDA types here).
#include <cstdint>

#include "common/tile_math.h"  // FLOPSCOPE_HD

namespace flopscope::kernels::wgmma {

/// The swizzle field of a descriptor (bits 62-63).
enum class Swizzle : uint32_t { none = 0, b128 = 1, b64 = 2, b32 = 3 };

/// Bytes in one 128-byte swizzle atom: 8 rows of 128 bytes.
inline constexpr uint32_t kSwizzleAtomBytes = 1024;
/// Bytes in one row of a 128-byte swizzle atom.
inline constexpr uint32_t kSwizzleRowBytes = 128;

/// matrix-descriptor-encode(x): 14 bits of a shared-memory byte address or offset in 16-byte units.
FLOPSCOPE_HD constexpr uint64_t desc_encode(uint32_t bytes) { return (uint64_t(bytes) & 0x3FFFF) >> 4; }

/// The 64-bit shared-memory matrix descriptor (base offset 0: atoms 1024-byte aligned).
FLOPSCOPE_HD constexpr uint64_t smem_desc(uint32_t start, uint32_t lbo, uint32_t sbo, Swizzle swizzle) {
  return desc_encode(start) | (desc_encode(lbo) << 16) | (desc_encode(sbo) << 32) |
         (uint64_t(swizzle) << 62);
}

/// The fields of a descriptor back in bytes (what the tensor cores read from it).
struct DescFields {
  uint32_t start = 0, lbo = 0, sbo = 0, base_offset = 0;
  Swizzle swizzle = Swizzle::none;
};
FLOPSCOPE_HD constexpr DescFields desc_fields(uint64_t d) {
  return {uint32_t(d & 0x3FFF) << 4, uint32_t((d >> 16) & 0x3FFF) << 4,
          uint32_t((d >> 32) & 0x3FFF) << 4, uint32_t((d >> 49) & 0x7),
          Swizzle(uint32_t(d >> 62) & 0x3)};
}

/// A shared-memory byte address after the 128-byte swizzle: address bits 4-6
/// (the 16-byte chunk within a 128-byte row) XOR bits 7-9 (the row within the
/// 1024-byte atom). An involution, so it also maps a stored address back.
FLOPSCOPE_HD constexpr uint32_t swizzle128(uint32_t addr) { return addr ^ ((addr >> 3) & 0x70); }

struct RowCol {
  int row = 0, col = 0;
};

/// Accumulator register `reg` (0 .. N/2-1) of thread `thread` (0..127) of
/// wgmma.m64nNk16 with an FP32 D: warp w owns rows 16w..16w+15; within a warp
/// each 8-column slice j = reg/4 is laid out like mma.m16n8's C fragment
/// (lane = 4g + t: regs 4j, 4j+1 at row g, columns 2t, 2t+1; regs 4j+2, 4j+3 at row g+8).
FLOPSCOPE_HD constexpr RowCol accumulator_coord(int thread, int reg) {
  const int warp = thread / 32, lane = thread % 32;
  return {16 * warp + lane / 4 + 8 * ((reg / 2) % 2), 8 * (reg / 4) + 2 * (lane % 4) + reg % 2};
}

}  // namespace flopscope::kernels::wgmma
