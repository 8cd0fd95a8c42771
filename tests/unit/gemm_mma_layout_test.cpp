// gemm.mma_sync's fragment layout, proven on the CPU: ldmatrix and mma.sync
// (m16n8k16 for FP16/BF16, m16n8k8 for TF32) are emulated as the PTX ISA
// defines them (unit/mma_emulation.h). One block's shared-memory stage is
// filled through the cp.async chunk mapping, every warp multiplies it through
// exactly the addresses of kernels/gemm/mma_sync_layout.h (the functions the
// kernel calls), and its accumulators, read out through the epilogue's
// (row, col) mapping, are compared with a plain matrix product; every output
// of the block tile must be stored exactly once.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "gemm/mma_sync_layout.h"
#include "unit/mma_emulation.h"

namespace ml = flopscope::kernels::gemm::mma_layout;
namespace emu = flopscope::test::mma_emu;

namespace {

// One k-tile of the block: A (kBM, kBK) and B (kBK, kBN) row-major, and the
// stage they land in (A rows padded to kLdA, B rows to kLdB; padding is NaN so
// that reading it shows in the products).
template <int kBytes>
struct Stage {
  using C = ml::MmaTile<kBytes>;
  std::vector<double> a = std::vector<double>(C::kBM * C::kBK);
  std::vector<double> b = std::vector<double>(C::kBK * C::kBN);
  std::vector<double> sa = std::vector<double>(C::kBM * C::kLdA, std::nan(""));
  std::vector<double> sb = std::vector<double>(C::kBK * C::kLdB, std::nan(""));
};

// Fills the stage as load_stage's cp.async copies do: copy id = threadIdx.x +
// i * kThreads (i = 0, 1) moves kChunk elements. Each element exactly once.
template <int kBytes>
Stage<kBytes> fill_stage(unsigned seed) {
  using C = ml::MmaTile<kBytes>;
  Stage<kBytes> s;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> small(-3, 3);  // exact in any precision
  for (auto* m : {&s.a, &s.b})
    for (auto& x : *m) x = small(rng);
  std::vector<int> a_hits(s.a.size()), b_hits(s.b.size());
  for (int id = 0; id < 2 * C::kThreads; ++id) {
    const ml::RowCol ca = ml::a_copy_chunk<kBytes>(id), cb = ml::b_copy_chunk<kBytes>(id);
    EXPECT_EQ(ml::a_offset<kBytes>(ca.row, ca.col) * kBytes % 16, 0) << "cp.async dst alignment";
    EXPECT_EQ(ml::b_offset<kBytes>(cb.row, cb.col) * kBytes % 16, 0) << "cp.async dst alignment";
    for (int e = 0; e < C::kChunk; ++e) {
      const int ar = ca.row, ac = ca.col + e, br = cb.row, bc = cb.col + e;
      if (ar >= C::kBM || ac >= C::kBK || br >= C::kBK || bc >= C::kBN) {
        ADD_FAILURE() << "copy " << id << " leaves the tile";
        continue;
      }
      ++a_hits[size_t(ar * C::kBK + ac)];
      ++b_hits[size_t(br * C::kBN + bc)];
      s.sa[size_t(ml::a_offset<kBytes>(ar, ac))] = s.a[size_t(ar * C::kBK + ac)];
      s.sb[size_t(ml::b_offset<kBytes>(br, bc))] = s.b[size_t(br * C::kBN + bc)];
    }
  }
  for (int h : a_hits) EXPECT_EQ(h, 1) << "A element copied " << h << " times";
  for (int h : b_hits) EXPECT_EQ(h, 1) << "B element copied " << h << " times";
  return s;
}

// The 32 ldmatrix row offsets of one fragment load.
template <class F>
std::vector<int> lanes(F offset) {
  std::vector<int> addr(32);
  for (int lane = 0; lane < 32; ++lane) addr[size_t(lane)] = offset(lane);
  return addr;
}

// mma_stage and the epilogue of one block, for every warp.
template <int kBytes>
void check_block(unsigned seed) {
  using C = ml::MmaTile<kBytes>;
  const Stage<kBytes> s = fill_stage<kBytes>(seed);
  std::vector<int> stored(C::kBM * C::kBN);
  for (int warp = 0; warp < C::kWarpsM * C::kWarpsN; ++warp) {
    const int warp_m = warp / C::kWarpsN, warp_n = warp % C::kWarpsN;  // as the kernel
    std::vector<emu::Acc> acc(C::kTilesM * C::kTilesN, emu::Acc(32));
    for (int kk = 0; kk < C::kBK; kk += C::kMmaK) {
      std::vector<emu::Regs> af, bf(C::kTilesN, emu::Regs(32));
      for (int i = 0; i < C::kTilesM; ++i)
        af.push_back(emu::ldmatrix_x4(
            s.sa, lanes([&](int l) { return ml::a_frag_offset<kBytes>(l, warp_m, i, kk); }), false,
            kBytes));
      if constexpr (kBytes == 2) {
        for (int j = 0; j < C::kTilesN; j += 2) {
          const emu::Regs r = emu::ldmatrix_x4(
              s.sb, lanes([&](int l) { return ml::b_frag_offset_trans(l, warp_n, j, kk); }), true);
          for (int lane = 0; lane < 32; ++lane) {  // bf[j] = r0, r1; bf[j + 1] = r2, r3
            bf[size_t(j)][size_t(lane)][0] = r[size_t(lane)][0];
            bf[size_t(j)][size_t(lane)][1] = r[size_t(lane)][1];
            bf[size_t(j + 1)][size_t(lane)][0] = r[size_t(lane)][2];
            bf[size_t(j + 1)][size_t(lane)][1] = r[size_t(lane)][3];
          }
        }
      } else {
        for (int j = 0; j < C::kTilesN; ++j)
          for (int lane = 0; lane < 32; ++lane)
            for (int reg = 0; reg < 2; ++reg)
              bf[size_t(j)][size_t(lane)][size_t(reg)] = {
                  s.sb[size_t(ml::b_tf32_offset(lane, warp_n, j, kk, reg))], 0.0};
      }
      for (int i = 0; i < C::kTilesM; ++i)
        for (int j = 0; j < C::kTilesN; ++j) {
          emu::Acc& d = acc[size_t(i * C::kTilesN + j)];
          if constexpr (kBytes == 2)
            emu::mma_m16n8k16(d, af[size_t(i)], bf[size_t(j)], 0);
          else
            emu::mma_m16n8k8_tf32(d, af[size_t(i)], bf[size_t(j)], 0);
        }
    }
    // The epilogue: c0, c1 at (row, col..col+1), c2, c3 at (row + 8, col..col+1).
    for (int lane = 0; lane < 32; ++lane)
      for (int i = 0; i < C::kTilesM; ++i)
        for (int j = 0; j < C::kTilesN; ++j) {
          const ml::RowCol o = ml::acc_origin<kBytes>(lane, warp_m, warp_n, i, j);
          for (int e = 0; e < 4; ++e) {
            const int row = o.row + (e >= 2 ? 8 : 0), col = o.col + (e & 1);
            ASSERT_TRUE(row >= 0 && row < C::kBM && col >= 0 && col < C::kBN)
                << "bytes " << kBytes << " warp " << warp << " lane " << lane << " stores outside";
            ++stored[size_t(row * C::kBN + col)];
            double want = 0;
            for (int k = 0; k < C::kBK; ++k)
              want += s.a[size_t(row * C::kBK + k)] * s.b[size_t(k * C::kBN + col)];
            ASSERT_EQ(acc[size_t(i * C::kTilesN + j)][size_t(lane)][size_t(e)], want)
                << "bytes " << kBytes << " warp " << warp << " lane " << lane << " tile (" << i
                << ", " << j << ") c" << e << " -> (" << row << ", " << col << ")";
          }
        }
  }
  for (int r = 0; r < C::kBM; ++r)
    for (int c = 0; c < C::kBN; ++c)
      ASSERT_EQ(stored[size_t(r * C::kBN + c)], 1)
          << "bytes " << kBytes << " output (" << r << ", " << c << ") stored that many times";
}

// Each 8-row phase of an ldmatrix reads 8 16-byte rows: with the padded pitch
// they fall in the 8 different 16-byte bank groups of a 128-byte line (stages,
// A and B start on 128-byte lines: static_assert in MmaTile).
template <int kBytes, class F>
void expect_conflict_free_ldmatrix(F offset, const char* what) {
  const std::vector<int> addr = lanes(offset);
  for (int q = 0; q < 4; ++q) {
    std::set<int> groups;
    for (int r = 0; r < 8; ++r) {
      const int byte = addr[size_t(8 * q + r)] * kBytes;
      EXPECT_EQ(byte % 16, 0) << what << ": ldmatrix row not 16-byte aligned";
      groups.insert(byte / 16 % 8);
    }
    EXPECT_EQ(groups.size(), 8u) << what << ": matrix " << q << " has bank conflicts";
  }
}

}  // namespace

TEST(GemmMmaLayout, Fp16Bf16BlockTileThroughLdmatrixAndM16n8k16) {
  check_block<2>(1);
  check_block<2>(2);
}

TEST(GemmMmaLayout, Tf32BlockTileThroughLdmatrixAndM16n8k8) {
  check_block<4>(3);
  check_block<4>(4);
}

TEST(GemmMmaLayout, FragmentLoadsAreBankConflictFree) {
  using C2 = ml::MmaTile<2>;
  using C4 = ml::MmaTile<4>;
  for (int wm = 0; wm < C2::kWarpsM; ++wm)
    for (int wn = 0; wn < C2::kWarpsN; ++wn) {
      for (int kk = 0; kk < C2::kBK; kk += C2::kMmaK) {
        for (int i = 0; i < C2::kTilesM; ++i)
          expect_conflict_free_ldmatrix<2>([&](int l) { return ml::a_frag_offset<2>(l, wm, i, kk); },
                                           "A (16-bit)");
        for (int j = 0; j < C2::kTilesN; j += 2)
          expect_conflict_free_ldmatrix<2>([&](int l) { return ml::b_frag_offset_trans(l, wn, j, kk); },
                                           "B (16-bit, .trans)");
      }
      for (int kk = 0; kk < C4::kBK; kk += C4::kMmaK) {
        for (int i = 0; i < C4::kTilesM; ++i)
          expect_conflict_free_ldmatrix<4>([&](int l) { return ml::a_frag_offset<4>(l, wm, i, kk); },
                                           "A (TF32)");
        // The scalar TF32 B loads: one 4-byte word per lane, 32 different banks.
        for (int j = 0; j < C4::kTilesN; ++j)
          for (int reg = 0; reg < 2; ++reg) {
            std::set<int> banks;
            for (int lane = 0; lane < 32; ++lane) banks.insert(ml::b_tf32_offset(lane, wn, j, kk, reg) % 32);
            EXPECT_EQ(banks.size(), 32u) << "TF32 B load j " << j << " reg " << reg << " conflicts";
          }
      }
    }
}

TEST(GemmMmaLayout, TileConstants) {
  // The kernel's shared memory and launch, as the docs state them.
  EXPECT_EQ(ml::MmaTile<2>::kBK, 32);
  EXPECT_EQ(ml::MmaTile<4>::kBK, 16);
  EXPECT_EQ(ml::MmaTile<2>::kThreads, 256);
  EXPECT_EQ(ml::MmaTile<2>::kSmemBytes, 75776);
  EXPECT_EQ(ml::MmaTile<4>::kSmemBytes, 75776);
}
