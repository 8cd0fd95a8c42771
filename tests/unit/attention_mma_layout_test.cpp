// flash_mma.cu's fragment layout, proven on the CPU: ldmatrix and mma.sync
// m16n8k16 are emulated as the PTX ISA defines them (unit/mma_emulation.h),
// and a warp's S = Q K^T and O += P V are computed through exactly the
// addresses and repacking of kernels/attention/mma_layout.h, then compared
// with plain matrix products. The cp.async copy mapping (TileCopy) is checked
// to cover each tile once at per-thread constant steps.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "attention/mma_layout.h"
#include "unit/mma_emulation.h"

namespace ml = flopscope::kernels::attention::mma_layout;

namespace {

using flopscope::test::mma_emu::Acc;
using flopscope::test::mma_emu::ldmatrix_x4;
using flopscope::test::mma_emu::Regs;
constexpr auto mma = flopscope::test::mma_emu::mma_m16n8k16;

template <int D>
std::vector<int> addresses(ml::RowChunk (*src)(int, int, int), int x, int y) {
  std::vector<int> addr(32);
  for (int lane = 0; lane < 32; ++lane) {
    const ml::RowChunk rc = src(lane, x, y);
    addr[size_t(lane)] = ml::swizzle<D>(rc.row, rc.chunk);
  }
  return addr;
}

template <int D>
void check_warp_tile() {
  constexpr int kRows = 64, kBN = 64;  // 4 warps x 16 query rows; one K/V block
  std::mt19937 rng(D);
  std::uniform_int_distribution<int> small(-3, 3);  // exact in any precision
  std::vector<double> q(kRows * D), k(kBN * D), v(kBN * D);
  std::vector<double> sq(q.size()), sk(k.size()), sv(v.size());
  // Write each tile through the swizzle, as the cp.async loads do.
  for (auto* m : {&q, &k, &v})
    for (auto& x : *m) x = small(rng);
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < D; ++c) {
      sq[size_t(ml::swizzle<D>(r, c / 8) + c % 8)] = q[size_t(r * D + c)];
      sk[size_t(ml::swizzle<D>(r, c / 8) + c % 8)] = k[size_t(r * D + c)];
      sv[size_t(ml::swizzle<D>(r, c / 8) + c % 8)] = v[size_t(r * D + c)];
    }

  for (int warp = 0; warp < 4; ++warp) {
    std::vector<Regs> qf;
    for (int kk = 0; kk < D / 16; ++kk)
      qf.push_back(ldmatrix_x4(sq, addresses<D>(ml::q_source, warp, kk), false));
    std::vector<Acc> s(kBN / 8, Acc(32));
    for (int kk = 0; kk < D / 16; ++kk)
      for (int np = 0; np < kBN / 16; ++np) {
        const Regs b = ldmatrix_x4(sk, addresses<D>(ml::k_source, np, kk), false);
        mma(s[size_t(2 * np)], qf[size_t(kk)], b, 0);
        mma(s[size_t(2 * np + 1)], qf[size_t(kk)], b, 2);
      }
    // S against Q K^T.
    std::vector<std::vector<double>> p(16, std::vector<double>(kBN));
    for (int lane = 0; lane < 32; ++lane)
      for (int j = 0; j < kBN / 8; ++j)
        for (int e = 0; e < 4; ++e) {
          const int row = lane / 4 + (e >= 2 ? 8 : 0), key = 8 * j + 2 * (lane % 4) + (e & 1);
          double want = 0;
          for (int c = 0; c < D; ++c) want += q[size_t((warp * 16 + row) * D + c)] * k[size_t(key * D + c)];
          ASSERT_EQ(s[size_t(j)][size_t(lane)][size_t(e)], want)
              << "D=" << D << " warp " << warp << " row " << row << " key " << key;
          p[size_t(row)][size_t(key)] = want;  // use S itself as P below
        }
    // Repack the accumulators as P V's A fragments, then O = P V.
    std::vector<Regs> pf(kBN / 16, Regs(32));
    for (int kk = 0; kk < kBN / 16; ++kk)
      for (int reg = 0; reg < 4; ++reg) {
        const ml::PSource src = ml::p_source(kk, reg);
        for (int lane = 0; lane < 32; ++lane)
          for (int e = 0; e < 2; ++e)
            pf[size_t(kk)][size_t(lane)][size_t(reg)][size_t(e)] =
                s[size_t(src.ntile)][size_t(lane)][size_t((src.hi_rows ? 2 : 0) + e)];
      }
    std::vector<Acc> o(D / 8, Acc(32));
    for (int kk = 0; kk < kBN / 16; ++kk)
      for (int dp = 0; dp < D / 16; ++dp) {
        const Regs b = ldmatrix_x4(sv, addresses<D>(ml::v_source, kk, dp), true);
        mma(o[size_t(2 * dp)], pf[size_t(kk)], b, 0);
        mma(o[size_t(2 * dp + 1)], pf[size_t(kk)], b, 2);
      }
    // O against P V, read out as the kernel stores it: row g (+8), column 8j + 2t (+1).
    for (int lane = 0; lane < 32; ++lane)
      for (int j = 0; j < D / 8; ++j)
        for (int e = 0; e < 4; ++e) {
          const int row = lane / 4 + (e >= 2 ? 8 : 0), col = 8 * j + 2 * (lane % 4) + (e & 1);
          double want = 0;
          for (int key = 0; key < kBN; ++key) want += p[size_t(row)][size_t(key)] * v[size_t(key * D + col)];
          ASSERT_EQ(o[size_t(j)][size_t(lane)][size_t(e)], want)
              << "D=" << D << " warp " << warp << " row " << row << " col " << col;
        }
  }
}

template <int D>
void check_swizzle() {
  for (int r = 0; r < 64; ++r) {
    std::set<int> chunks;
    for (int c = 0; c < D / 8; ++c) {
      const int off = ml::swizzle<D>(r, c);
      ASSERT_EQ(off / D, r);      // stays in its row
      ASSERT_EQ(off % 8, 0);      // 16-byte aligned
      chunks.insert((off % D) / 8);
    }
    ASSERT_EQ(int(chunks.size()), D / 8);  // a permutation of the row's chunks
  }
  // One ldmatrix phase: 8 consecutive rows at one logical chunk land in the 8
  // different 16-byte bank groups of a 128-byte line.
  for (int r0 = 0; r0 < 64; r0 += 8)
    for (int c = 0; c < D / 8; ++c) {
      std::set<int> groups;
      for (int r = r0; r < r0 + 8; ++r) groups.insert((ml::swizzle<D>(r, c) * 2 / 16) % 8);
      ASSERT_EQ(groups.size(), 8u) << "D=" << D << " rows " << r0 << " chunk " << c;
    }
}

// The cp.async copies of a (64, D) tile by flash_mma's 128 threads: every
// (row, chunk) exactly once, and copy i of a thread at its first copy's shared
// offset and global element plus i * kStep (what TileStream relies on).
template <int D>
void check_tile_copy() {
  constexpr int kRows = 64, kThreads = 128;
  using Copy = ml::TileCopy<D, kRows, kThreads>;
  static_assert(Copy::kCopies * kThreads == kRows * D / 8, "every chunk once");
  std::vector<int> seen(size_t(kRows * D / 8), 0);
  for (int tid = 0; tid < kThreads; ++tid) {
    const ml::RowChunk rc = Copy::first(tid);
    for (int i = 0; i < Copy::kCopies; ++i) {
      const int row = rc.row + i * Copy::kRowStep;
      ASSERT_LT(row, kRows);
      ++seen[size_t(row * (D / 8) + rc.chunk)];
      ASSERT_EQ(ml::swizzle<D>(row, rc.chunk), ml::swizzle<D>(rc.row, rc.chunk) + i * Copy::kStep)
          << "D=" << D << " tid " << tid << " copy " << i;
      ASSERT_EQ(row * D + rc.chunk * 8, rc.row * D + rc.chunk * 8 + i * Copy::kStep);
    }
  }
  for (int n : seen) ASSERT_EQ(n, 1);
}

}  // namespace

TEST(AttentionMmaLayout, TileCopiesCoverTheTileOnceAtConstantSteps) {
  check_tile_copy<64>();
  check_tile_copy<128>();
}

TEST(AttentionMmaLayout, SwizzleIsAConflictFreePermutation) {
  check_swizzle<64>();
  check_swizzle<128>();
}

TEST(AttentionMmaLayout, WarpComputesQKtAndPV) {
  check_warp_tile<64>();
  check_warp_tile<128>();
}
