// gemm.wgmma's layouts, proven on the CPU: the descriptor bit fields against
// the PTX ISA's "Matrix Descriptor Format", the 128-byte swizzle against the
// TMA pattern, the m64nNk16 accumulator mapping, and a CPU emulation of a whole
// block tile: TMA boxes written swizzled into a byte array at the addresses of
// gemm/wgmma_tile.h, wgmma reading them back through nothing but the 64-bit
// descriptors the kernel builds (decoded with the PTX ISA's canonical layouts),
// the accumulators scattered to threads and stored by the epilogue's
// predicates, compared with a plain matrix product.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/wgmma_layout.h"
#include "gemm/wgmma_tile.h"
#include "tma_emulation.h"

namespace wg = flopscope::kernels::wgmma;
namespace wt = flopscope::kernels::gemm::wgmma_tile;
using flopscope::test::tma_emu::load_stage;
using flopscope::test::tma_emu::Smem;
using flopscope::test::tma_emu::TileCase;

namespace {

/// Element (i, kk) of a 64 x 16 K-major operand (A) through descriptor `d`:
/// canonical layout ((8,m),(T,2k)):((8T,SBO),(1,T)) with 128-byte swizzle
/// (PTX ISA, "Canonical Layouts"), in bytes: row i%8 at 128 (i%8), row group
/// i/8 at SBO (i/8), element kk at 2 kk; then the swizzle of the address.
double read_k_major(Smem& smem, uint64_t d, int i, int kk) {
  const wg::DescFields f = wg::desc_fields(d);
  EXPECT_EQ(f.swizzle, wg::Swizzle::b128);
  EXPECT_EQ(f.base_offset, 0u);
  const uint32_t logical = f.start + uint32_t(i / 8) * f.sbo + uint32_t(i % 8) * 128 + uint32_t(kk) * 2;
  return smem.at(wg::swizzle128(logical));
}

/// Element (kk, j) of a 16 x N MN-major operand (B, imm-trans-b = 1) through
/// descriptor `d`: canonical ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO)) with 128-byte
/// swizzle, in bytes: column j%64 at 2 (j%64), column group j/64 at LBO (j/64),
/// k-row kk%8 at 128 (kk%8), k group kk/8 at SBO (kk/8); then the swizzle.
double read_mn_major(Smem& smem, uint64_t d, int kk, int j) {
  const wg::DescFields f = wg::desc_fields(d);
  EXPECT_EQ(f.swizzle, wg::Swizzle::b128);
  EXPECT_EQ(f.base_offset, 0u);
  const uint32_t logical = f.start + uint32_t(j % 64) * 2 + uint32_t(j / 64) * f.lbo +
                           uint32_t(kk % 8) * 128 + uint32_t(kk / 8) * f.sbo;
  return smem.at(wg::swizzle128(logical));
}

/// wgmma.mma_async.m64nNk16 (A K-major, B MN-major): acc[thread][reg] += (A B)
/// at accumulator_coord(thread, reg).
void wgmma_m64nNk16(Smem& smem, uint64_t da, uint64_t db, int n_cols, std::vector<std::vector<double>>& acc) {
  std::vector<double> a(64 * 16), b(size_t(16) * size_t(n_cols));
  for (int i = 0; i < 64; ++i)
    for (int kk = 0; kk < 16; ++kk) a[size_t(i * 16 + kk)] = read_k_major(smem, da, i, kk);
  for (int kk = 0; kk < 16; ++kk)
    for (int j = 0; j < n_cols; ++j) b[size_t(kk * n_cols + j)] = read_mn_major(smem, db, kk, j);
  for (int t = 0; t < 128; ++t)
    for (int r = 0; r < n_cols / 2; ++r) {
      const wg::RowCol rc = wg::accumulator_coord(t, r);
      double s = 0;
      for (int kk = 0; kk < 16; ++kk) s += a[size_t(rc.row * 16 + kk)] * b[size_t(kk * n_cols + rc.col)];
      acc[size_t(t)][size_t(r)] += s;
    }
}

/// One block tile (tile_m, tile_n) of C = A B, as the kernel computes it:
/// for each k-tile, the producer's TMA boxes into stage kt % kStages, then each
/// consumer's kKSteps wgmmas through a_desc / b_desc, then the epilogue's
/// predicated stores. Returns C with NaN where nothing was stored.
std::vector<double> emulate_tile(const std::vector<double>& A, const std::vector<double>& B, int m, int n,
                                 int k, int tile_m, int tile_n, uint32_t raw) {
  const uint32_t base = flopscope::kernels::round_up(raw, wg::kSwizzleAtomBytes);
  Smem smem(raw + wt::kSmemBytes);
  EXPECT_LE(wt::empty_barrier(base, wt::kStages - 1) + 8, raw + wt::kSmemBytes);
  const int bm = tile_m * wt::kBM, bn = tile_n * wt::kBN;
  const int boxes = wt::b_boxes(bn, n);
  std::vector<std::vector<std::vector<double>>> acc(
      wt::kConsumers, std::vector<std::vector<double>>(128, std::vector<double>(wt::kAccRegs, 0.0)));
  for (int kt = 0; kt < flopscope::kernels::k_tiles(k, wt::kBK); ++kt) {
    const int s = wt::stage_of(uint32_t(kt));
    load_stage(smem, base, s, A, B, m, n, k, kt, bm, bn, boxes);
    for (int c = 0; c < wt::kConsumers; ++c)
      for (int ks = 0; ks < wt::kKSteps; ++ks)
        wgmma_m64nNk16(smem, wt::a_desc(wt::stage_a(base, s), c, ks), wt::b_desc(wt::stage_b(base, s, 0), ks),
                       wt::kBN, acc[size_t(c)]);
  }
  std::vector<double> C(size_t(m) * size_t(n), std::numeric_limits<double>::quiet_NaN());
  for (int c = 0; c < wt::kConsumers; ++c)
    for (int t = 0; t < 128; ++t)
      for (int r = 0; r < wt::kAccRegs; r += 2) {
        const wg::RowCol rc = wg::accumulator_coord(t, r);
        const int row = bm + c * wt::kWgRows + rc.row, col = bn + rc.col;
        // The kernel's predicate (restated: sharing it changes gemm.wgmma's SASS,
        // measured on the H200), compared inside the tile; n even, so col + 1 < n.
        if (!(rc.row < m - bm - c * wt::kWgRows && rc.col < n - bn)) continue;
        // A store outside C would be a fault (or a neighbour overwritten) on the GPU.
        if (row >= m || col + 1 >= n) {
          ADD_FAILURE() << "stores C[" << row << "," << col << ".." << col + 1 << "] outside " << m << "x" << n;
          continue;
        }
        C[size_t(row) * size_t(n) + size_t(col)] = acc[size_t(c)][size_t(t)][size_t(r)];
        C[size_t(row) * size_t(n) + size_t(col) + 1] = acc[size_t(c)][size_t(t)][size_t(r) + 1];
      }
  return C;
}

}  // namespace

TEST(WgmmaLayout, DescriptorBitFieldsFollowThePtxIsa) {
  // start >> 4 in bits 0-13, LBO >> 4 in 16-29, SBO >> 4 in 32-45, swizzle in 62-63 (1: 128 B).
  const uint64_t d = wg::smem_desc(0x12340, 8192, 1024, wg::Swizzle::b128);
  EXPECT_EQ(d & 0x3FFF, 0x1234u);
  EXPECT_EQ((d >> 16) & 0x3FFF, 8192u >> 4);
  EXPECT_EQ((d >> 32) & 0x3FFF, 1024u >> 4);
  EXPECT_EQ(d >> 62, 1u);
  // Reserved bits 14-15, 30-31, 46-61 (base offset 49-51 included) stay 0.
  EXPECT_EQ(d & 0x3FFFC000C000C000ull, 0u);
  // matrix-descriptor-encode(x) = (x & 0x3FFFF) >> 4.
  EXPECT_EQ(wg::desc_encode(0x3FFF0), 0x3FFFu);
  EXPECT_EQ(wg::desc_encode(0x40010), 1u);
  for (auto sw : {wg::Swizzle::none, wg::Swizzle::b128, wg::Swizzle::b64, wg::Swizzle::b32}) {
    const wg::DescFields f = wg::desc_fields(wg::smem_desc(0x2a400, 16, 2048, sw));
    EXPECT_EQ(f.start, 0x2a400u);
    EXPECT_EQ(f.lbo, 16u);
    EXPECT_EQ(f.sbo, 2048u);
    EXPECT_EQ(f.base_offset, 0u);
    EXPECT_EQ(f.swizzle, sw);
  }
  // The high word the compiled kernel loads for both operands (SBO 1024, 128-byte swizzle).
  EXPECT_EQ(wt::a_desc(0x400, 0, 0) >> 32, 0x40000040u);
  EXPECT_EQ(wt::b_desc(0x4400, 0) >> 32, 0x40000040u);
  // The K-major A: LBO "assumed 1" (16 bytes); the MN-major B: LBO one 64-column box.
  EXPECT_EQ(wg::desc_fields(wt::a_desc(0x400, 1, 3)).start, 0x400u + 64 * 128 + 3 * 32);
  EXPECT_EQ(wg::desc_fields(wt::a_desc(0x400, 1, 3)).lbo, 16u);
  EXPECT_EQ(wg::desc_fields(wt::b_desc(0x4400, 2)).start, 0x4400u + 2 * 16 * 128);
  EXPECT_EQ(wg::desc_fields(wt::b_desc(0x4400, 2)).lbo, wt::kBBoxBytes);
}

TEST(WgmmaLayout, Swizzle128IsTheTmaPatternAndABijectionPerAtom) {
  for (uint32_t atom : {0u, 1024u, 0x2fc00u}) {
    std::set<uint32_t> seen;
    for (uint32_t off = 0; off < 1024; ++off) {
      const uint32_t s = wg::swizzle128(atom + off);
      EXPECT_GE(s, atom);
      EXPECT_LT(s, atom + 1024);
      EXPECT_EQ(wg::swizzle128(s), atom + off);  // an involution
      seen.insert(s);
    }
    EXPECT_EQ(seen.size(), 1024u);
    // 16-byte chunk c of row r is stored at chunk c ^ r; bytes inside a chunk keep their order.
    for (uint32_t r = 0; r < 8; ++r)
      for (uint32_t c = 0; c < 8; ++c)
        for (uint32_t b = 0; b < 16; ++b)
          EXPECT_EQ(wg::swizzle128(atom + r * 128 + c * 16 + b), atom + r * 128 + ((c ^ r) * 16) + b);
  }
}

TEST(WgmmaLayout, AccumulatorsCoverTheTileOnce) {
  for (int n = 8; n <= 256; n += 8) {
    std::vector<int> hits(size_t(64 * n), 0);
    for (int t = 0; t < 128; ++t)
      for (int r = 0; r < n / 2; ++r) {
        const wg::RowCol rc = wg::accumulator_coord(t, r);
        ASSERT_GE(rc.row, 0);
        ASSERT_LT(rc.row, 64);
        ASSERT_GE(rc.col, 0);
        ASSERT_LT(rc.col, n);
        ++hits[size_t(rc.row * n + rc.col)];
        EXPECT_EQ(rc.row / 16, t / 32);  // warp w owns rows 16w..16w+15
        if (r % 2 == 0) {
          // The epilogue's pairs: (r, r+1) are columns (col, col+1) of one row, col even.
          const wg::RowCol next = wg::accumulator_coord(t, r + 1);
          EXPECT_EQ(rc.col % 2, 0);
          EXPECT_EQ(next.row, rc.row);
          EXPECT_EQ(next.col, rc.col + 1);
        }
      }
    for (int h : hits) ASSERT_EQ(h, 1) << "n = " << n;
  }
  // Spot values from the PTX figure: thread 0 holds (0,0) (0,1) (8,0) (8,1) (0,8) ...
  EXPECT_EQ(wg::accumulator_coord(0, 2).row, 8);
  EXPECT_EQ(wg::accumulator_coord(0, 4).col, 8);
  EXPECT_EQ(wg::accumulator_coord(37, 0).row, 16 + 1);  // warp 1, lane 5: g = 1, t = 1
  EXPECT_EQ(wg::accumulator_coord(37, 0).col, 2);
}

TEST(WgmmaLayout, SharedMemoryPlan) {
  // Every TMA destination and descriptor start of every stage is 1024-byte
  // aligned except the A k-steps, which move 32 bytes inside the atom.
  const uint32_t base = 0x400;
  for (int s = 0; s < wt::kStages; ++s) {
    EXPECT_EQ(wt::stage_a(base, s) % 1024, 0u);
    for (int j = 0; j < wt::kBoxesB; ++j) EXPECT_EQ(wt::stage_b(base, s, j) % 1024, 0u);
    EXPECT_EQ(wt::stage_b(base, s, wt::kBoxesB - 1) + wt::kBBoxBytes, wt::stage_a(base, s) + wt::kStageBytes);
    EXPECT_EQ(wt::full_barrier(base, s) % 8, 0u);
  }
  EXPECT_EQ(wt::full_barrier(base, 0), wt::stage_a(base, wt::kStages));
  EXPECT_EQ(wt::empty_barrier(base, wt::kStages - 1) + 8 - base, wt::kSmemBytes - wg::kSwizzleAtomBytes);
  EXPECT_EQ(wt::kSmemBytes, 4u * 49152 + 64 + 1024);
  // Stage addresses stay below 2^18: the descriptor's 14-bit start field holds them.
  EXPECT_LT(base + wt::kSmemBytes, 1u << 18);
  // Boxes of B loaded per tile and the bytes the full barrier expects.
  EXPECT_EQ(wt::b_boxes(0, 8), 1);
  EXPECT_EQ(wt::b_boxes(0, 64), 1);
  EXPECT_EQ(wt::b_boxes(0, 72), 2);
  EXPECT_EQ(wt::b_boxes(256, 4096), 4);
  EXPECT_EQ(wt::b_boxes(3840, 4000), 3);
  EXPECT_EQ(wt::stage_tx_bytes(4), wt::kStageBytes);
  EXPECT_EQ(wt::stage_tx_bytes(1), 16384u + 8192u);
}

TEST(WgmmaLayout, RingParities) {
  // The consumer's n-th use of a stage waits for full-barrier phase n (parity n % 2);
  // the producer's n-th fill waits for the empty barrier's release of use n-1,
  // and its first round (parity 1 on a fresh barrier) passes at once.
  for (uint32_t it = 0; it < 64; ++it) {
    const uint32_t use = it / wt::kStages;
    EXPECT_EQ(wt::stage_of(it), int(it % wt::kStages));
    EXPECT_EQ(wt::phase_of(it), use % 2);
    if (it >= uint32_t(wt::kStages)) EXPECT_EQ(wt::phase_of(it) ^ 1, wt::phase_of(it - wt::kStages));
    else EXPECT_EQ(wt::phase_of(it) ^ 1, 1u);
  }
}

TEST(WgmmaLayout, CheckDimsNamesTheTmaConstraint) {
  EXPECT_EQ(wt::check_dims(1, 8, 8), "");
  EXPECT_EQ(wt::check_dims(17, 1000, 4096), "");
  const std::string why = wt::check_dims(17, 1000, 127);
  EXPECT_NE(why.find("k and n must be multiples of 8"), std::string::npos) << why;
  EXPECT_NE(why.find("gemm.reg_tiled.fp32"), std::string::npos) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos);
  EXPECT_NE(wt::check_dims(8, 12, 8), "");
  EXPECT_NE(wt::check_dims(0, 8, 8), "");
}

// The whole block tile through the emulated TMA and wgmma, against A B in
// double, for the tails and ring wraps of tma_emu::kTileCases.
TEST(WgmmaLayout, EmulatedBlockTileMatchesTheProduct) {
  flopscope::test::tma_emu::expect_tiles_match_the_product(
      wt::kBM, wt::kBN, [](const std::vector<double>& A, const std::vector<double>& B, const TileCase& c) {
        EXPECT_EQ(wt::check_dims(c.m, c.n, c.k), "");
        return emulate_tile(A, B, c.m, c.n, c.k, c.tile_m, c.tile_n, c.raw);
      });
}
