// gemm.mma_sync_tma's layouts, proven on the CPU: the spelt-out swizzle
// against the TMA pattern, ldmatrix rows free of bank conflicts, the
// accumulators covering the block tile once, and a whole block tile emulated:
// TMA boxes written swizzled at gemm/wgmma_tile.h's addresses, each warp's
// ldmatrix and mma.sync reading them through nothing but the offsets of
// gemm/mma_tma_layout.h, the kernel's epilogue predicates, compared with a
// plain matrix product.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "common/wgmma_layout.h"
#include "gemm/mma_tma_layout.h"
#include "gemm/wgmma_tile.h"
#include "mma_emulation.h"
#include "tma_emulation.h"

namespace wg = flopscope::kernels::wgmma;
namespace wt = flopscope::kernels::gemm::wgmma_tile;
namespace mt = flopscope::kernels::gemm::mma_tma;
namespace emu = flopscope::test::mma_emu;
using flopscope::test::tma_emu::load_stage;
using flopscope::test::tma_emu::Smem;
using flopscope::test::tma_emu::TileCase;

namespace {

/// The 32 row addresses one ldmatrix.x4 gets, as element indices of `smem`
/// (byte address / 2), from `byte_addr(lane)`.
template <class F>
std::vector<int> row_elements(F byte_addr) {
  std::vector<int> rows(32);
  for (int lane = 0; lane < 32; ++lane) rows[size_t(lane)] = int(byte_addr(lane) / 2);
  return rows;
}

/// One block tile (tile_m, tile_n) of C = A B as the kernel computes it: for
/// each k-tile, the producer's TMA boxes into stage kt % kStages, then every
/// warp that has columns runs kKSteps k-steps of ldmatrix + mma.sync; then the
/// epilogue's predicated stores. Returns C with NaN where nothing was stored.
std::vector<double> emulate_tile(const std::vector<double>& A, const std::vector<double>& B, int m, int n, int k,
                                 int tile_m, int tile_n, uint32_t raw) {
  const uint32_t base = flopscope::kernels::round_up(raw, wg::kSwizzleAtomBytes);
  Smem smem(raw + wt::kSmemBytes);
  const int bm = tile_m * wt::kBM, bn = tile_n * wt::kBN;
  const int boxes = wt::b_boxes(bn, n);
  // acc[consumer][warp][i][j]: a warp's m16n8 accumulator tiles, 4 values a lane.
  std::vector<std::vector<std::vector<emu::Acc>>> acc(
      wt::kConsumers,
      std::vector<std::vector<emu::Acc>>(mt::kWarpsPerConsumer,
                                         std::vector<emu::Acc>(mt::kTilesM * mt::kTilesN, emu::Acc(32))));
  for (int kt = 0; kt < flopscope::kernels::k_tiles(k, wt::kBK); ++kt) {
    const int s = wt::stage_of(uint32_t(kt));
    load_stage(smem, base, s, A, B, m, n, k, kt, bm, bn, boxes);
    const uint32_t a_tile = wt::stage_a(base, s), b_tile = wt::stage_b(base, s, 0);
    for (int c = 0; c < wt::kConsumers; ++c)
      for (int w = 0; w < mt::kWarpsPerConsumer; ++w) {
        if (!mt::warp_has_columns(w, bn, n)) continue;
        for (int ks = 0; ks < mt::kKSteps; ++ks) {
          const int kk = ks * mt::kMmaK;
          std::vector<emu::Regs> af, bl;
          for (int i = 0; i < mt::kTilesM; ++i)
            af.push_back(emu::ldmatrix_x4(
                smem.slot, row_elements([&](int lane) { return a_tile + mt::a_frag_offset(c, lane, i, kk); }), false));
          for (int j = 0; j < mt::kTilesN; j += 2)
            bl.push_back(emu::ldmatrix_x4(
                smem.slot, row_elements([&](int lane) { return b_tile + mt::b_frag_offset(w, lane, j, kk); }), true));
          for (int i = 0; i < mt::kTilesM; ++i)
            for (int j = 0; j < mt::kTilesN; ++j) {
              const mt::BRegs b = mt::b_regs(j);  // the kernel's choice of registers
              emu::mma_m16n8k16(acc[size_t(c)][size_t(w)][size_t(i * mt::kTilesN + j)], af[size_t(i)],
                                bl[size_t(b.load)], b.reg);
            }
        }
      }
  }
  std::vector<double> C(size_t(m) * size_t(n), std::numeric_limits<double>::quiet_NaN());
  const int rows_left = m - bm, cols_left = n - bn;
  for (int c = 0; c < wt::kConsumers; ++c)
    for (int w = 0; w < mt::kWarpsPerConsumer; ++w) {
      if (!mt::warp_has_columns(w, bn, n)) continue;
      for (int lane = 0; lane < 32; ++lane)
        for (int i = 0; i < mt::kTilesM; ++i)
          for (int j = 0; j < mt::kTilesN; ++j) {
            const mt::RowCol o = mt::acc_origin(c, w, lane, i, j);
            const auto& v = acc[size_t(c)][size_t(w)][size_t(i * mt::kTilesN + j)][size_t(lane)];
            for (int half = 0; half < 2; ++half) {
              if (!mt::stores(o, half, rows_left, cols_left)) continue;  // the kernel's predicate
              const int row = bm + o.row + 8 * half, col = bn + o.col;
              // A store outside C would be a fault (or a neighbour overwritten) on the GPU.
              if (row >= m || col + 1 >= n) {
                ADD_FAILURE() << "stores C[" << row << "," << col << ".." << col + 1 << "] outside " << m << "x" << n;
                continue;
              }
              const size_t at = size_t(row) * size_t(n) + size_t(col);
              C[at] = v[size_t(2 * half)];
              C[at + 1] = v[size_t(2 * half + 1)];
            }
          }
    }
  return C;
}

}  // namespace

TEST(MmaTmaLayout, SwizzledChunkIsTheTmaSwizzle) {
  for (int row = 0; row < 256; ++row)
    for (int chunk = 0; chunk < 8; ++chunk)
      ASSERT_EQ(mt::swizzled_chunk(row, chunk), wg::swizzle128(uint32_t(row * 128 + chunk * 16)))
          << "row " << row << " chunk " << chunk;
}

// The 8 lanes addressing one 8x8 matrix read in one shared-memory wavefront
// when their 16-byte rows fall in 8 distinct groups of 4 banks.
TEST(MmaTmaLayout, LdmatrixRowsAreFreeOfBankConflicts) {
  auto distinct_groups = [](auto addr) {
    for (int q = 0; q < 4; ++q) {
      std::set<uint32_t> groups;
      for (int l = 8 * q; l < 8 * q + 8; ++l) groups.insert((addr(l) / 16) % 8);
      if (groups.size() != 8) return false;
    }
    return true;
  };
  for (int kk = 0; kk < wt::kBK; kk += mt::kMmaK) {
    for (int c = 0; c < wt::kConsumers; ++c)
      for (int i = 0; i < mt::kTilesM; ++i)
        EXPECT_TRUE(distinct_groups([&](int lane) { return mt::a_frag_offset(c, lane, i, kk); }))
            << "A consumer " << c << " m-tile " << i << " k " << kk;
    for (int w = 0; w < mt::kWarpsPerConsumer; ++w)
      for (int j = 0; j < mt::kTilesN; j += 2)
        EXPECT_TRUE(distinct_groups([&](int lane) { return mt::b_frag_offset(w, lane, j, kk); }))
            << "B warp " << w << " n-tiles " << j << " k " << kk;
  }
}

// Every A read stays in the stage's A tile and every B read in the warp's own box.
TEST(MmaTmaLayout, FragmentRowsStayInTheirTiles) {
  for (int lane = 0; lane < 32; ++lane)
    for (int kk = 0; kk < wt::kBK; kk += mt::kMmaK) {
      for (int c = 0; c < wt::kConsumers; ++c)
        for (int i = 0; i < mt::kTilesM; ++i) {
          const uint32_t a = mt::a_frag_offset(c, lane, i, kk);
          EXPECT_EQ(a % 16, 0u);
          EXPECT_LE(a + 16, wt::kABytes);
        }
      for (int w = 0; w < mt::kWarpsPerConsumer; ++w)
        for (int j = 0; j < mt::kTilesN; j += 2) {
          const uint32_t b = mt::b_frag_offset(w, lane, j, kk);
          EXPECT_EQ(b % 16, 0u);
          EXPECT_EQ(b / wt::kBBoxBytes, uint32_t(w)) << "warp " << w << " reads outside its box";
        }
    }
}

TEST(MmaTmaLayout, AccumulatorsCoverTheTileOnce) {
  std::vector<int> hits(size_t(wt::kBM) * wt::kBN, 0);
  for (int c = 0; c < wt::kConsumers; ++c)
    for (int w = 0; w < mt::kWarpsPerConsumer; ++w)
      for (int lane = 0; lane < 32; ++lane)
        for (int i = 0; i < mt::kTilesM; ++i)
          for (int j = 0; j < mt::kTilesN; ++j) {
            const mt::RowCol o = mt::acc_origin(c, w, lane, i, j);
            for (int half = 0; half < 2; ++half)
              for (int e = 0; e < 2; ++e) ++hits.at(size_t(o.row + 8 * half) * wt::kBN + size_t(o.col + e));
          }
  EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
}

TEST(MmaTmaLayout, WarpsPastTheLoadedBoxesSkip) {
  EXPECT_TRUE(mt::warp_has_columns(3, 0, 256));
  EXPECT_TRUE(mt::warp_has_columns(0, 256, 264));   // 8 columns left: box 0 only
  EXPECT_FALSE(mt::warp_has_columns(1, 256, 264));
  EXPECT_TRUE(mt::warp_has_columns(2, 256, 392));   // 136 left: boxes 0-2
  EXPECT_FALSE(mt::warp_has_columns(3, 256, 392));
}

// The whole block tile through the emulated TMA, ldmatrix and mma.sync, against
// A B in double, for the tails and ring wraps of tma_emu::kTileCases (n tails
// leave 1 to 3 column warps idle).
TEST(MmaTmaLayout, EmulatedBlockTileMatchesTheProduct) {
  flopscope::test::tma_emu::expect_tiles_match_the_product(
      wt::kBM, wt::kBN, [](const std::vector<double>& A, const std::vector<double>& B, const TileCase& c) {
        EXPECT_EQ(wt::check_dims(c.m, c.n, c.k), "");
        return emulate_tile(A, B, c.m, c.n, c.k, c.tile_m, c.tile_n, c.raw);
      });
}
