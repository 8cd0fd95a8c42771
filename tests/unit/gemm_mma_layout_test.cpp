// The fragment layout of gemm.mma_sync, gemm.mma_sync_wide and
// gemm.mma_sync_deep (the same code in 128 x 128 and 128 x 256 block tiles,
// with 64- or 128-byte k-tiles), proven on the CPU: ldmatrix and mma.sync
// (m16n8k16 for FP16/BF16, m16n8k8 for TF32) are emulated as the PTX ISA
// defines them (unit/mma_emulation.h). Whole GEMMs run through exactly the
// functions of kernels/gemm/mma_sync_layout.h that the kernel calls: every
// thread's cp.async copies (bounds and zero fill included) into a ring of
// kStages padded stages, every warp's ldmatrix / TF32 B addresses and MMAs for
// each k-step, and the epilogue's (row, col) mapping and bounds; the outputs
// are compared with a plain matrix product, and every output must be stored
// exactly once. The block loop, the stage ring and the epilogue bounds are
// written here as gemm/mma_sync.cuh writes them; what the CPU cannot show is
// the pipeline's waits and barriers and the PTX wrappers (tests/gpu does).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/tile_math.h"
#include "gemm/mma_sync_layout.h"
#include "unit/mma_emulation.h"

namespace fk = flopscope::kernels;
namespace ml = flopscope::kernels::gemm::mma_layout;
namespace emu = flopscope::test::mma_emu;

namespace {

// A (m, k) and B (k, n), row-major, small integers: every product is exact.
struct Problem {
  int m = 0, n = 0, k = 0;
  std::vector<double> a, b;
};

Problem make_problem(int m, int n, int k, unsigned seed) {
  Problem p{m, n, k, std::vector<double>(size_t(m) * k), std::vector<double>(size_t(k) * n)};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> small(-3, 3);
  for (auto* v : {&p.a, &p.b})
    for (double& x : *v) x = small(rng);
  return p;
}

// One stage of the kernel's shared memory: A (kBM, kLdA) and B (kBK, kLdB).
// It starts as NaN, so reading padding or a never-copied element shows in the
// products.
template <class C>
struct Smem {
  std::vector<double> a = std::vector<double>(C::kBM * C::kLdA, std::nan(""));
  std::vector<double> b = std::vector<double>(C::kBK * C::kLdB, std::nan(""));
};

// One cp.async copy: kChunk elements from `src` (rows of `cols` elements) to
// the tile `dst` (rows of `ld` elements, `tile_cols` of them data), or zeros.
// The tile position of the destination is checked against the global position
// the copy reads, `base` being the tile's global origin.
void copy_chunk(const ml::Copy& x, int chunk, int bytes, const std::vector<double>& src, int rows,
                int cols, std::vector<double>& dst, int ld, int tile_rows, int tile_cols,
                ml::RowCol base, std::vector<int>& hits, const char* what) {
  const int tr = x.smem / ld, tc = x.smem % ld;
  ASSERT_EQ(x.smem * bytes % 16, 0) << what << ": cp.async destination not 16-byte aligned";
  ASSERT_TRUE(tr >= 0 && tr < tile_rows && tc >= 0 && tc + chunk <= tile_cols)
      << what << ": copy to (" << tr << ", " << tc << ") leaves the tile or writes padding";
  ASSERT_EQ(x.row, base.row + tr) << what << ": copy reads another row than it writes";
  ASSERT_EQ(x.col, base.col + tc) << what << ": copy reads another column than it writes";
  // In: the whole chunk inside the matrix, 16-byte aligned (for a 16-byte
  // aligned base pointer). Out: zero-filled.
  const bool inside = x.row >= 0 && x.row < rows && x.col >= 0 && x.col + chunk <= cols;
  ASSERT_EQ(x.in, x.row < rows && x.col < cols) << what << ": bounds";
  if (x.in) {
    ASSERT_TRUE(inside) << what << ": a chunk straddles the matrix edge at (" << x.row << ", " << x.col << ")";
    ASSERT_EQ((size_t(x.row) * size_t(cols) + size_t(x.col)) * size_t(bytes) % 16, 0u)
        << what << ": cp.async source not 16-byte aligned";
  }
  for (int e = 0; e < chunk; ++e) {
    dst[size_t(x.smem + e)] = x.in ? src[size_t(x.row) * size_t(cols) + size_t(x.col + e)] : 0.0;
    ++hits[size_t(tr * tile_cols + tc + e)];
  }
}

// load_stage: every thread's kACopies + kBCopies copies of k-tile `kt` for the
// block at (bm, bn). Each element of both tiles is written exactly once.
template <class C>
void load_stage(Smem<C>& s, const Problem& p, int bm, int bn, int kt) {
  constexpr int kBytes = C::kBytes;
  std::vector<int> a_hits(C::kBM * C::kBK), b_hits(C::kBK * C::kBN);
  for (int tid = 0; tid < C::kThreads; ++tid) {
    for (int c = 0; c < C::kACopies; ++c)
      copy_chunk(ml::a_copy<C>(tid, c, bm, kt, p.m, p.k), C::kChunk, kBytes, p.a, p.m, p.k, s.a,
                 C::kLdA, C::kBM, C::kBK, {bm, kt * C::kBK}, a_hits, "A");
    for (int c = 0; c < C::kBCopies; ++c)
      copy_chunk(ml::b_copy<C>(tid, c, bn, kt, p.n, p.k), C::kChunk, kBytes, p.b, p.k, p.n, s.b,
                 C::kLdB, C::kBK, C::kBN, {kt * C::kBK, bn}, b_hits, "B");
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int h : a_hits) ASSERT_EQ(h, 1) << "an A tile element is copied " << h << " times";
  for (int h : b_hits) ASSERT_EQ(h, 1) << "a B tile element is copied " << h << " times";
}

// The 32 ldmatrix row offsets of one fragment load.
template <class F>
std::vector<int> lanes(F offset) {
  std::vector<int> addr(32);
  for (int lane = 0; lane < 32; ++lane) addr[size_t(lane)] = offset(lane);
  return addr;
}

// A warp's (kTilesM, kTilesN) accumulators, tile (i, j) at i * kTilesN + j.
template <class C>
std::vector<emu::Acc> zero_acc() {
  return std::vector<emu::Acc>(C::kTilesM * C::kTilesN, emu::Acc(32));
}

// mma_stage: one k-tile of one warp, every k-step's fragment loads and MMAs.
template <class C>
void mma_stage(const Smem<C>& s, int warp_m, int warp_n, std::vector<emu::Acc>& acc) {
  constexpr int kBytes = C::kBytes;
  for (int kk = 0; kk < C::kBK; kk += C::kMmaK) {
    std::vector<emu::Regs> af, bf(C::kTilesN, emu::Regs(32));
    for (int i = 0; i < C::kTilesM; ++i)
      af.push_back(emu::ldmatrix_x4(
          s.a, lanes([&](int l) { return ml::a_frag_offset<C>(l, warp_m, i, kk); }), false, kBytes));
    if constexpr (kBytes == 2) {
      for (int j = 0; j < C::kTilesN; j += 2) {
        const emu::Regs r = emu::ldmatrix_x4(
            s.b, lanes([&](int l) { return ml::b_frag_offset_trans<C>(l, warp_n, j, kk); }), true);
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
                s.b.at(size_t(ml::b_tf32_offset<C>(lane, warp_n, j, kk, reg))), 0.0};
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
}

// The kernel's epilogue loop for one warp of the block at (bm, bn): c0, c1 at
// (row, col..col+1), c2, c3 at (row + 8, col..col+1), stored where the kernel's
// own predicate (mma_layout::stores) says; a store outside C fails.
template <class C>
void epilogue(const std::vector<emu::Acc>& acc, int warp_m, int warp_n, int bm, int bn, int m, int n,
              std::vector<double>& out, std::vector<int>& stored) {
  for (int lane = 0; lane < 32; ++lane)
    for (int i = 0; i < C::kTilesM; ++i)
      for (int j = 0; j < C::kTilesN; ++j) {
        const ml::RowCol o = ml::acc_origin<C>(lane, warp_m, warp_n, i, j);
        ASSERT_TRUE(o.row >= 0 && o.row + 8 < C::kBM && o.col >= 0 && o.col + 1 < C::kBN)
            << "lane " << lane << " tile (" << i << ", " << j << ") lies outside the block tile";
        ASSERT_EQ(o.col % 2, 0) << "the epilogue's pairs start on even columns";
        const int row = bm + o.row, col = bn + o.col;
        const auto& c = acc[size_t(i * C::kTilesN + j)][size_t(lane)];
        for (int half = 0; half < 2; ++half) {
          if (!ml::stores(row, col, half, m, n)) continue;
          const int r = row + 8 * half;
          ASSERT_TRUE(r < m && col + 1 < n) << "stores C[" << r << "," << col << ".." << col + 1 << "] outside "
                                            << m << "x" << n;
          for (int e = 0; e < 2; ++e) {
            out[size_t(r) * size_t(n) + size_t(col + e)] = c[size_t(2 * half + e)];
            ++stored[size_t(r) * size_t(n) + size_t(col + e)];
          }
        }
      }
}

// The whole kernel for (m, n, k) (which mma_sync_check_dims accepts): every
// block of the grid in grouped_tile order, the cp.async ring (prologue of
// kStages - 1 k-tiles, then k-tile t + kStages - 1 loaded into the stage k-tile
// t - 1 used, before k-tile t is multiplied), every warp, the epilogue.
template <class C>
void check_gemm(int m, int n, int k, unsigned seed) {
  constexpr int kBytes = C::kBytes;
  SCOPED_TRACE("bytes " + std::to_string(kBytes) + " block (" + std::to_string(C::kBM) + ", " +
               std::to_string(C::kBN) + ") m " + std::to_string(m) + " n " + std::to_string(n) +
               " k " + std::to_string(k));
  ASSERT_TRUE(m >= 1 && n % C::kChunk == 0 && k % C::kChunk == 0) << "a shape the kernel rejects";
  const Problem p = make_problem(m, n, k, seed);
  std::vector<double> out(size_t(m) * size_t(n), std::nan(""));
  std::vector<int> stored(out.size());
  const int tiles_m = fk::ceil_div(m, C::kBM), tiles_n = fk::ceil_div(n, C::kBN);
  const int tiles = fk::k_tiles(k, C::kBK);
  std::set<std::pair<int, int>> blocks;
  for (int block = 0; block < tiles_m * tiles_n; ++block) {
    int tile_m = 0, tile_n = 0;
    fk::grouped_tile(block, tiles_m, tiles_n, C::kGroupM, tile_m, tile_n);
    ASSERT_TRUE(tile_m < tiles_m && tile_n < tiles_n && blocks.insert({tile_m, tile_n}).second)
        << "block " << block << " -> tile (" << tile_m << ", " << tile_n << ")";
    const int bm = tile_m * C::kBM, bn = tile_n * C::kBN;
    std::vector<Smem<C>> ring(C::kStages);
    for (int s = 0; s < C::kStages - 1; ++s)
      if (s < tiles) load_stage<C>(ring[size_t(s)], p, bm, bn, s);
    std::vector<std::vector<emu::Acc>> acc(C::kWarpsM * C::kWarpsN, zero_acc<C>());
    for (int t = 0; t < tiles; ++t) {
      const int next = t + C::kStages - 1;
      if (next < tiles) load_stage<C>(ring[size_t(next % C::kStages)], p, bm, bn, next);
      for (int warp = 0; warp < C::kWarpsM * C::kWarpsN; ++warp)  // warp_m, warp_n as the kernel
        mma_stage<C>(ring[size_t(t % C::kStages)], warp / C::kWarpsN, warp % C::kWarpsN,
                          acc[size_t(warp)]);
      if (::testing::Test::HasFatalFailure()) return;
    }
    for (int warp = 0; warp < C::kWarpsM * C::kWarpsN; ++warp)
      epilogue<C>(acc[size_t(warp)], warp / C::kWarpsN, warp % C::kWarpsN, bm, bn, m, n, out, stored);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int r = 0; r < m; ++r)
    for (int c = 0; c < n; ++c) {
      const size_t at = size_t(r) * size_t(n) + size_t(c);
      ASSERT_EQ(stored[at], 1) << "output (" << r << ", " << c << ") stored that many times";
      double want = 0;
      for (int i = 0; i < k; ++i) want += p.a[size_t(r) * size_t(k) + size_t(i)] * p.b[size_t(i) * size_t(n) + size_t(c)];
      ASSERT_EQ(out[at], want) << "output (" << r << ", " << c << ")";
    }
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

// Each element offset in `want` read exactly once by the addresses in `got`.
void expect_same_once(const std::map<int, int>& got, const std::set<int>& want, const std::string& what) {
  for (const auto& [offset, n] : got) {
    EXPECT_EQ(n, 1) << what << ": offset " << offset << " read " << n << " times";
    EXPECT_TRUE(want.count(offset)) << what << ": offset " << offset << " is outside the warp's slice";
  }
  EXPECT_EQ(got.size(), want.size()) << what << ": part of the warp's slice is never read";
}

// Per warp and k-step, the fragment loads read exactly the warp's slice once:
// A rows warp_m * kWM .. + kWM over the k-step's kMmaK columns (ldmatrix rows:
// 16 bytes each), B the k-step's kMmaK rows over columns warp_n * kWN .. + kWN
// (16-bit: ldmatrix.trans rows of 8; TF32: single words).
template <class C>
void check_fragment_coverage() {
  constexpr int kBytes = C::kBytes;
  for (int wm = 0; wm < C::kWarpsM; ++wm)
    for (int wn = 0; wn < C::kWarpsN; ++wn)
      for (int kk = 0; kk < C::kBK; kk += C::kMmaK) {
        const std::string at = "bytes " + std::to_string(kBytes) + " block n " + std::to_string(C::kBN) + " warp (" + std::to_string(wm) + ", " +
                               std::to_string(wn) + ") kk " + std::to_string(kk);
        std::map<int, int> a_got;
        for (int i = 0; i < C::kTilesM; ++i)
          for (int lane = 0; lane < 32; ++lane) ++a_got[ml::a_frag_offset<C>(lane, wm, i, kk)];
        std::set<int> a_want;
        for (int r = 0; r < C::kWM; ++r)
          for (int c = 0; c < C::kMmaK; c += C::kChunk) a_want.insert(ml::a_offset<C>(wm * C::kWM + r, kk + c));
        expect_same_once(a_got, a_want, at + " A ldmatrix rows");

        std::map<int, int> b_got;
        std::set<int> b_want;
        if constexpr (kBytes == 2) {
          for (int j = 0; j < C::kTilesN; j += 2)
            for (int lane = 0; lane < 32; ++lane) ++b_got[ml::b_frag_offset_trans<C>(lane, wn, j, kk)];
          for (int r = 0; r < C::kMmaK; ++r)
            for (int c = 0; c < C::kWN; c += 8) b_want.insert(ml::b_offset<C>(kk + r, wn * C::kWN + c));
          expect_same_once(b_got, b_want, at + " B ldmatrix.trans rows");
        } else {
          for (int j = 0; j < C::kTilesN; ++j)
            for (int lane = 0; lane < 32; ++lane)
              for (int reg = 0; reg < 2; ++reg) ++b_got[ml::b_tf32_offset<C>(lane, wn, j, kk, reg)];
          for (int r = 0; r < C::kMmaK; ++r)
            for (int c = 0; c < C::kWN; ++c) b_want.insert(ml::b_offset<C>(kk + r, wn * C::kWN + c));
          expect_same_once(b_got, b_want, at + " TF32 B words");
        }
      }
}

}  // namespace

// The three tilings, each for 16-bit and 32-bit elements.
template <int kBytes>
using Square = ml::MmaTile<kBytes, 2>;  // gemm.mma_sync: 128 x 128, 4 warps
template <int kBytes>
using Wide = ml::MmaTile<kBytes, 4>;  // gemm.mma_sync_wide: 128 x 256, 8 warps
template <int kBytes>
using Deep = ml::MmaTile<kBytes, 4, 128>;  // gemm.mma_sync_deep: 128 x 256, 128-byte k-tiles

// One full block tile (every warp, every fragment, every k-step of one k-tile).
TEST(GemmMmaLayout, Fp16Bf16BlockTileThroughLdmatrixAndM16n8k16) {
  check_gemm<Square<2>>(128, 128, 32, 1);
  check_gemm<Square<2>>(128, 128, 32, 2);
  check_gemm<Wide<2>>(128, 256, 32, 3);
  check_gemm<Deep<2>>(128, 256, 64, 14);
}

TEST(GemmMmaLayout, Tf32BlockTileThroughLdmatrixAndM16n8k8) {
  check_gemm<Square<4>>(128, 128, 16, 3);
  check_gemm<Square<4>>(128, 128, 16, 4);
  check_gemm<Wide<4>>(128, 256, 16, 5);
  check_gemm<Deep<4>>(128, 256, 32, 15);
}

// Tails in m, n and k (zero-filled chunks, epilogue bounds), several blocks in
// both directions, more k-tiles than stages (the ring wraps), and more
// tile-rows than kGroupM (grouped_tile's last band is partial).
template <template <int> class Tiles>
void check_tails_16bit() {
  check_gemm<Tiles<2>>(1, 8, 8, 5);         // the smallest shape accepted
  check_gemm<Tiles<2>>(130, 136, 40, 6);    // one row, one n-chunk and one k-chunk past a 128 tile
  check_gemm<Tiles<2>>(200, 264, 168, 7);   // 2 x 3 (2 x 2 wide) blocks, 6 k-tiles (3 deep) through 4 stages
  check_gemm<Tiles<2>>(1100, 16, 24, 8);    // 9 tile-rows: a band of 8 and one of 1
  check_gemm<Tiles<2>>(77, 128, 288, 9);    // 9 k-tiles (5 deep): the ring wraps
  check_gemm<Tiles<2>>(9, 520, 32, 10);     // 3 wide blocks along n, the last 8 columns in
}

template <template <int> class Tiles>
void check_tails_tf32() {
  check_gemm<Tiles<4>>(1, 4, 4, 10);
  check_gemm<Tiles<4>>(130, 132, 20, 11);
  check_gemm<Tiles<4>>(77, 260, 100, 12);   // 1 x 3 (1 x 2 wide) blocks, 7 k-tiles
  check_gemm<Tiles<4>>(1100, 4, 12, 13);
}

TEST(GemmMmaLayout, Fp16Bf16WholeGemmsWithTails) {
  check_tails_16bit<Square>();
  check_tails_16bit<Wide>();
  check_tails_16bit<Deep>();
  check_gemm<Deep<2>>(70, 296, 584, 16);  // 10 deep k-tiles through 4 stages, the last 8 of k in
}

TEST(GemmMmaLayout, Tf32WholeGemmsWithTails) {
  check_tails_tf32<Square>();
  check_tails_tf32<Wide>();
  check_tails_tf32<Deep>();
  check_gemm<Deep<4>>(70, 260, 292, 17);  // 10 deep k-tiles, the last 4 of k in
}

TEST(GemmMmaLayout, FragmentLoadsReadEachWarpSliceOnce) {
  check_fragment_coverage<Square<2>>();
  check_fragment_coverage<Square<4>>();
  check_fragment_coverage<Wide<2>>();
  check_fragment_coverage<Wide<4>>();
  check_fragment_coverage<Deep<2>>();
  check_fragment_coverage<Deep<4>>();
}

template <template <int> class Tiles>
void check_conflict_free() {
  using C2 = Tiles<2>;
  using C4 = Tiles<4>;
  for (int wm = 0; wm < C2::kWarpsM; ++wm)
    for (int wn = 0; wn < C2::kWarpsN; ++wn) {
      SCOPED_TRACE("block n " + std::to_string(C2::kBN) + " warp (" + std::to_string(wm) + ", " +
                   std::to_string(wn) + ")");
      for (int kk = 0; kk < C2::kBK; kk += C2::kMmaK) {
        for (int i = 0; i < C2::kTilesM; ++i)
          expect_conflict_free_ldmatrix<2>([&](int l) { return ml::a_frag_offset<C2>(l, wm, i, kk); },
                                           "A (16-bit)");
        for (int j = 0; j < C2::kTilesN; j += 2)
          expect_conflict_free_ldmatrix<2>([&](int l) { return ml::b_frag_offset_trans<C2>(l, wn, j, kk); },
                                           "B (16-bit, .trans)");
      }
      for (int kk = 0; kk < C4::kBK; kk += C4::kMmaK) {
        for (int i = 0; i < C4::kTilesM; ++i)
          expect_conflict_free_ldmatrix<4>([&](int l) { return ml::a_frag_offset<C4>(l, wm, i, kk); },
                                           "A (TF32)");
        // The scalar TF32 B loads: one 4-byte word per lane, 32 different banks.
        for (int j = 0; j < C4::kTilesN; ++j)
          for (int reg = 0; reg < 2; ++reg) {
            std::set<int> banks;
            for (int lane = 0; lane < 32; ++lane) banks.insert(ml::b_tf32_offset<C4>(lane, wn, j, kk, reg) % 32);
            EXPECT_EQ(banks.size(), 32u) << "TF32 B load j " << j << " reg " << reg << " conflicts";
          }
      }
    }
}

TEST(GemmMmaLayout, FragmentLoadsAreBankConflictFree) {
  check_conflict_free<Square>();
  check_conflict_free<Wide>();
  check_conflict_free<Deep>();
}

TEST(GemmMmaLayout, TileConstants) {
  // The kernels' launches and shared memory, as the docs state them.
  for (int bk : {Square<2>::kBK, Wide<2>::kBK}) EXPECT_EQ(bk, 32);
  for (int bk : {Square<4>::kBK, Wide<4>::kBK}) EXPECT_EQ(bk, 16);
  for (int threads : {Square<2>::kThreads, Square<4>::kThreads}) EXPECT_EQ(threads, 128);
  for (int threads : {Wide<2>::kThreads, Wide<4>::kThreads}) EXPECT_EQ(threads, 256);
  EXPECT_EQ(Square<2>::kBN, 128);
  EXPECT_EQ(Wide<2>::kBN, 256);
  for (int wm : {Square<2>::kWM, Square<2>::kWN, Wide<2>::kWM, Wide<2>::kWN}) EXPECT_EQ(wm, 64);
  EXPECT_EQ(Square<2>::kTilesM, 4);
  EXPECT_EQ(Square<2>::kTilesN, 8);
  EXPECT_EQ(Square<2>::kAccPerThread, 128);
  EXPECT_EQ(Wide<2>::kAccPerThread, 128);
  EXPECT_EQ(Square<2>::kACopies, 4);
  EXPECT_EQ(Square<2>::kBCopies, 4);
  EXPECT_EQ(Wide<2>::kACopies, 2);
  EXPECT_EQ(Wide<2>::kBCopies, 4);
  EXPECT_EQ(Square<2>::kStages, 4);
  EXPECT_EQ(Square<2>::kSmemBytes, 75776);
  EXPECT_EQ(Square<4>::kSmemBytes, 75776);
  EXPECT_EQ(Wide<2>::kSmemBytes, 108544);
  EXPECT_EQ(Wide<4>::kSmemBytes, 108544);
  EXPECT_EQ(Square<2>::kMinBlocksPerSm, 2);
  EXPECT_EQ(Wide<2>::kMinBlocksPerSm, 1);
  EXPECT_EQ(Square<2>::kMinCc, 80);
  EXPECT_EQ(Wide<2>::kMinCc, 80);
  // The deep k-tile: twice the k per stage and per barrier, sm_90's shared memory.
  EXPECT_EQ(Deep<2>::kBK, 64);
  EXPECT_EQ(Deep<4>::kBK, 32);
  EXPECT_EQ(Deep<2>::kThreads, 256);
  EXPECT_EQ(Deep<2>::kACopies, 4);
  EXPECT_EQ(Deep<2>::kBCopies, 8);
  EXPECT_EQ(Deep<2>::kSmemBytes, 208896);
  EXPECT_EQ(Deep<4>::kSmemBytes, 208896);
  EXPECT_EQ(Deep<2>::kMinBlocksPerSm, 1);
  EXPECT_EQ(Deep<2>::kMinCc, 90);
}
