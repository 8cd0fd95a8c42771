// The attention index arithmetic (kernels/attention/attention_math.h) against
// brute force and against the profiler's model. The CPU references' hand-computed
// cases are in reference_kernels_test.cpp (the same program, kernel_math_test).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "attention/attention_math.h"
#include "attention/reference.h"
#include "flopscope/models.h"

namespace fa = flopscope::kernels::attention;

namespace {

bool brute_visible(int64_t i, int64_t j, int64_t n, int64_t nk, bool causal) {
  return j >= 0 && j < nk && (!causal || j <= i + (nk - n));
}

const int64_t kSizes[] = {1, 2, 3, 7, 16, 17, 31, 64, 65, 100, 128, 129};

}  // namespace

TEST(AttentionMath, KeyEndMatchesModelAndBruteForce) {
  for (bool causal : {false, true})
    for (int64_t n : kSizes)
      for (int64_t nk : kSizes)
        for (int64_t i = 0; i < n; ++i) {
          int64_t count = 0, last = -1;
          for (int64_t j = 0; j < nk; ++j)
            if (brute_visible(i, j, n, nk, causal)) ++count, last = j;
          const int64_t e = fa::key_end(i, n, nk, causal);
          ASSERT_EQ(e, count) << "n=" << n << " nk=" << nk << " i=" << i;
          ASSERT_EQ(e, flopscope::attention_row_keys(i, n, nk, causal));
          ASSERT_EQ(e - 1, last);  // the visible keys are a prefix
          for (int64_t j = -1; j <= nk; ++j)
            ASSERT_EQ(fa::key_visible(i, j, n, nk, causal), brute_visible(i, j, n, nk, causal));
        }
}

TEST(AttentionMath, BottomRightAlignment) {
  // N = Nk: the usual lower triangle.
  EXPECT_EQ(fa::key_end(0, 4, 4, true), 1);
  EXPECT_EQ(fa::key_end(3, 4, 4, true), 4);
  // Nk > N: the last query sees every key, the first sees Nk - N + 1.
  EXPECT_EQ(fa::key_end(0, 2, 5, true), 4);
  EXPECT_EQ(fa::key_end(1, 2, 5, true), 5);
  // N > Nk: the first N - Nk queries see nothing.
  EXPECT_EQ(fa::key_end(0, 5, 2, true), 0);
  EXPECT_EQ(fa::key_end(2, 5, 2, true), 0);
  EXPECT_EQ(fa::key_end(3, 5, 2, true), 1);
  EXPECT_EQ(fa::key_end(4, 5, 2, true), 2);
  EXPECT_EQ(fa::key_end(4, 5, 2, false), 2);
}

TEST(AttentionMath, KvBlockRangeMatchesBruteForce) {
  for (bool causal : {false, true})
    for (int64_t bm : {16, 64, 128})
      for (int64_t bn : {32, 64})
        for (int64_t n : kSizes)
          for (int64_t nk : kSizes) {
            const int64_t tiles = flopscope::kernels::ceil_div(n, bm);
            int64_t scores_in_range = 0;
            for (int64_t qt = 0; qt <= tiles; ++qt) {  // one tile past the end too
              const fa::KvBlockRange r = fa::kv_blocks(qt, bm, bn, n, nk, causal);
              ASSERT_LE(r.full_end, r.end);
              ASSERT_GE(r.full_end, 0);
              const int64_t blocks = flopscope::kernels::ceil_div(nk, bn);
              for (int64_t b = 0; b < blocks; ++b) {
                bool any = false, all = true;
                for (int64_t i = qt * bm; i < std::min(n, qt * bm + bm); ++i)
                  for (int64_t j = b * bn; j < b * bn + bn; ++j) {
                    const bool v = brute_visible(i, j, n, nk, causal);
                    any |= v;
                    all &= v;
                  }
                // Needed iff some valid row sees some key of the block; blocks
                // below full_end are entirely visible (no mask needed).
                ASSERT_EQ(b < r.end, any) << "causal=" << causal << " n=" << n << " nk=" << nk
                                          << " bm=" << bm << " bn=" << bn << " qt=" << qt
                                          << " b=" << b;
                if (b < r.full_end) {
                  ASSERT_TRUE(all);
                }
                // full_end is tight: the first block it excludes has a masked key
                if (b == r.full_end && b < r.end) {
                  ASSERT_FALSE(all);
                }
              }
              // Every unmasked score lies in a processed block.
              for (int64_t i = qt * bm; i < std::min(n, qt * bm + bm); ++i)
                scores_in_range += std::min(fa::key_end(i, n, nk, causal), r.end * bn);
            }
            flopscope::AttentionShape s{1, 1, n, nk, 64, causal};
            ASSERT_EQ(double(scores_in_range),
                      flopscope::attention_scores(s, flopscope::CausalConvention::exact));
          }
}

TEST(AttentionMath, CausalSkipsBlocks) {
  // N = Nk = 4096, 128-row query tiles, 64-key blocks: tile t needs 2(t+1) of
  // the 64 blocks; the diagonal spans the last two, which are predicated.
  const fa::KvBlockRange r0 = fa::kv_blocks(0, 128, 64, 4096, 4096, true);
  EXPECT_EQ(r0.end, 2);
  EXPECT_EQ(r0.full_end, 0);
  const fa::KvBlockRange r5 = fa::kv_blocks(5, 128, 64, 4096, 4096, true);
  EXPECT_EQ(r5.end, 12);
  EXPECT_EQ(r5.full_end, 10);
  const fa::KvBlockRange dense = fa::kv_blocks(5, 128, 64, 4096, 4000, false);
  EXPECT_EQ(dense.end, 63);       // 4000 keys: 62 full blocks and a tail
  EXPECT_EQ(dense.full_end, 62);  // the tail block is predicated
  // Fully masked tile (N > Nk): nothing to do, the output is 0.
  const fa::KvBlockRange none = fa::kv_blocks(0, 16, 64, 100, 10, true);
  EXPECT_EQ(none.end, 0);
}

TEST(AttentionMath, OnlineSoftmaxMatchesDirectSoftmax) {
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + int(rng() % 300), block = 1 + int(rng() % 64);
    const int visible = int(rng() % (n + 1));  // a masked suffix, possibly everything
    std::vector<float> s(static_cast<size_t>(n)), v(static_cast<size_t>(n));
    for (auto& x : s) x = normal(rng);
    for (auto& x : v) x = normal(rng);
    // direct, in double
    double mx = -INFINITY, sum = 0, out = 0;
    for (int j = 0; j < visible; ++j) mx = std::max(mx, double(s[size_t(j)]));
    for (int j = 0; j < visible; ++j) sum += std::exp(double(s[size_t(j)]) - mx);
    for (int j = 0; j < visible; ++j) out += std::exp(double(s[size_t(j)]) - mx) / sum * v[size_t(j)];
    // online, block by block, in the log2 domain as the kernels do
    fa::OnlineSoftmax st;
    float acc = 0;
    for (int b0 = 0; b0 < n; b0 += block) {
      float bmax = -INFINITY;
      std::vector<float> s2;
      for (int j = b0; j < std::min(n, b0 + block); ++j) {
        s2.push_back(j < visible ? s[size_t(j)] * fa::kLog2e : -INFINITY);
        bmax = std::max(bmax, s2.back());
      }
      acc *= st.rescale(bmax);
      float bsum = 0;
      for (size_t t = 0; t < s2.size(); ++t) {
        const float p = st.prob(s2[t]);
        ASSERT_FALSE(std::isnan(p));
        bsum += p;
        acc += p * v[size_t(b0) + t];
      }
      st.add(bsum);
    }
    const float got = acc * st.inv_sum();
    ASSERT_FALSE(std::isnan(got));
    if (visible == 0) {
      ASSERT_EQ(got, 0.0f);
    } else {
      ASSERT_NEAR(got, out, 1e-4 * (1 + std::abs(out))) << "trial " << trial;
    }
  }
}

// The folded form flash_mma uses: raw scores, the max on raw scores, one
// FFMA + exp2_ftz per probability. Against the same direct softmax in double,
// and against the log2-domain form above.
TEST(AttentionMath, FoldedOnlineSoftmaxMatchesDirectSoftmax) {
  std::mt19937_64 rng(11);
  for (const float d : {64.0f, 128.0f}) {
    const float scale = 1.0f / std::sqrt(d), scale_log2 = fa::kLog2e * scale;
    std::normal_distribution<float> normal(0.0f, 3.0f * std::sqrt(d));  // raw q.k: scaled to ~N(0, 3)
    for (int trial = 0; trial < 200; ++trial) {
      const int n = 1 + int(rng() % 300), block = 1 + int(rng() % 64);
      const int visible = int(rng() % (n + 1));
      std::vector<float> s(static_cast<size_t>(n)), v(static_cast<size_t>(n));
      for (auto& x : s) x = normal(rng);
      for (auto& x : v) x = normal(rng) * scale;
      double mx = -INFINITY, sum = 0, out = 0;
      for (int j = 0; j < visible; ++j) mx = std::max(mx, double(s[size_t(j)]) * scale);
      for (int j = 0; j < visible; ++j) sum += std::exp(double(s[size_t(j)]) * scale - mx);
      for (int j = 0; j < visible; ++j)
        out += std::exp(double(s[size_t(j)]) * scale - mx) / sum * v[size_t(j)];
      fa::OnlineSoftmax folded, plain;
      float acc = 0, acc_plain = 0;
      for (int b0 = 0; b0 < n; b0 += block) {
        float raw_max = -INFINITY, bmax = -INFINITY;
        std::vector<float> raw, s2;
        for (int j = b0; j < std::min(n, b0 + block); ++j) {
          raw.push_back(j < visible ? s[size_t(j)] : -INFINITY);  // masked: -inf before scaling
          s2.push_back(raw.back() * scale_log2);
          raw_max = std::max(raw_max, raw.back());
          bmax = std::max(bmax, s2.back());
        }
        const float alpha = folded.rescale_raw(raw_max, scale_log2);
        ASSERT_FALSE(std::isnan(alpha));
        acc *= alpha;
        acc_plain *= plain.rescale(bmax);
        ASSERT_EQ(folded.m, plain.m);  // max commutes with a positive scale
        const float nm = folded.neg_max();
        float bsum = 0, bsum_plain = 0;
        for (size_t t = 0; t < raw.size(); ++t) {
          const float p = fa::OnlineSoftmax::prob_raw(raw[t], scale_log2, nm);
          ASSERT_FALSE(std::isnan(p));
          if (raw[t] == -INFINITY) {
            ASSERT_EQ(p, 0.0f);
          }
          ASSERT_NEAR(p, plain.prob(s2[t]), 1e-5f);
          bsum += p;
          acc += p * v[size_t(b0) + t];
          bsum_plain += plain.prob(s2[t]);
          acc_plain += plain.prob(s2[t]) * v[size_t(b0) + t];
        }
        folded.add(bsum);
        plain.add(bsum_plain);
      }
      const float got = acc * folded.inv_sum();
      ASSERT_FALSE(std::isnan(got));
      if (visible == 0) {
        ASSERT_EQ(got, 0.0f);
        ASSERT_EQ(folded.m, -INFINITY);
        ASSERT_EQ(folded.l, 0.0f);
      } else {
        ASSERT_NEAR(got, out, 1e-4 * (1 + std::abs(out))) << "d=" << d << " trial " << trial;
        ASSERT_NEAR(got, acc_plain * plain.inv_sum(), 1e-4 * (1 + std::abs(out)));
      }
    }
  }
}

TEST(AttentionMath, Exp2FtzFlushesBelowTheSmallestNormal) {
  EXPECT_EQ(fa::exp2_ftz(0.0f), 1.0f);
  EXPECT_EQ(fa::exp2_ftz(3.0f), 8.0f);
  EXPECT_EQ(fa::exp2_ftz(-126.0f), 0x1p-126f);  // the smallest normal survives
  EXPECT_GT(std::exp2(-126.5f), 0.0f);           // a subnormal for exp2 ...
  EXPECT_EQ(fa::exp2_ftz(-126.5f), 0.0f);        // ... is 0 here
  EXPECT_EQ(fa::exp2_ftz(-149.0f), 0.0f);
  EXPECT_EQ(fa::exp2_ftz(-INFINITY), 0.0f);
  EXPECT_FALSE(std::signbit(fa::exp2_ftz(-INFINITY)));
  EXPECT_FALSE(std::signbit(fa::exp2_ftz(-130.0f)));
  EXPECT_TRUE(std::isnan(fa::exp2_ftz(NAN)));
}

// The folded form's edges: fully masked blocks (max -inf), the first visible
// block after them, masked scores inside a visible block, and probabilities
// small enough to flush.
TEST(AttentionMath, FoldedOnlineSoftmaxEdges) {
  const float scale_log2 = fa::kLog2e / std::sqrt(128.0f);
  fa::OnlineSoftmax st;
  // A fully masked block: alpha 1 (not -inf - -inf = NaN), m stays -inf, p = 0.
  EXPECT_EQ(st.rescale_raw(-INFINITY, scale_log2), 1.0f);
  EXPECT_EQ(st.m, -INFINITY);
  EXPECT_EQ(st.neg_max(), 0.0f);
  EXPECT_EQ(fa::OnlineSoftmax::prob_raw(-INFINITY, scale_log2, st.neg_max()), 0.0f);
  st.add(0.0f);
  EXPECT_EQ(st.inv_sum(), 0.0f);  // a row that saw no key outputs 0
  // The first visible block: the old (empty) state is scaled by exactly 0.
  EXPECT_EQ(st.rescale_raw(10.0f, scale_log2), 0.0f);
  EXPECT_EQ(st.m, 10.0f * scale_log2);
  EXPECT_FALSE(std::isnan(st.l));
  const float nm = st.neg_max();
  EXPECT_NEAR(fa::OnlineSoftmax::prob_raw(10.0f, scale_log2, nm), 1.0f, 1e-6f);  // the max: ~1
  EXPECT_EQ(fa::OnlineSoftmax::prob_raw(-INFINITY, scale_log2, nm), 0.0f);      // masked: exactly 0
  // A score 127 or more below the max (in the log2 domain) flushes to 0; one
  // just above 126 below stays normal.
  EXPECT_EQ(fa::OnlineSoftmax::prob_raw(10.0f - 127.5f / scale_log2, scale_log2, nm), 0.0f);
  EXPECT_GE(fa::OnlineSoftmax::prob_raw(10.0f - 125.0f / scale_log2, scale_log2, nm), 0x1p-126f);
  // A block whose max is lower keeps m (alpha 1); a far higher one flushes alpha to 0.
  EXPECT_EQ(st.rescale_raw(5.0f, scale_log2), 1.0f);
  EXPECT_EQ(st.rescale_raw(10.0f + 200.0f / scale_log2, scale_log2), 0.0f);
}

TEST(AttentionReference, HandComputed) {
  // One head, N = Nk = 2, D = 1 (scale 1): q = [1, 2], k = [0, ln 3], v = [10, 20].
  const float q[] = {1.0f, 2.0f};
  const float k[] = {0.0f, float(std::log(3.0))};
  const float v[] = {10.0f, 20.0f};
  fa::AttentionDims d{1, 1, 2, 2, 1, false};
  double o[2];
  fa::reference(q, k, v, d, o);
  // row 0: weights e^0 : e^{ln3} = 1 : 3 -> 0.25*10 + 0.75*20 = 17.5
  EXPECT_NEAR(o[0], 17.5, 1e-6);
  // row 1: 1 : 9 -> (10 + 180)/10 = 19
  EXPECT_NEAR(o[1], 19.0, 1e-6);
  d.causal = true;  // row 0 sees key 0 only
  fa::reference(q, k, v, d, o);
  EXPECT_NEAR(o[0], 10.0, 1e-12);
  EXPECT_NEAR(o[1], 19.0, 1e-6);
  // N > Nk causal: query 0 of 2 sees no key -> 0.
  fa::AttentionDims d2{1, 1, 2, 1, 1, true};
  fa::reference(q, k, v, d2, o);
  EXPECT_EQ(o[0], 0.0);
  EXPECT_NEAR(o[1], 10.0, 1e-12);
}

TEST(AttentionReference, ScaleIsInverseSqrtHeadDim) {
  // D = 4, q = k1 = all 1, k0 = 0: scores 0 and 4/sqrt(4) = 2.
  std::vector<float> q(4, 1.0f), k(8, 0.0f), v(8, 0.0f);
  for (int c = 0; c < 4; ++c) k[4 + size_t(c)] = 1.0f;
  v[0] = 1.0f;  // key 0 contributes 1 to column 0
  fa::AttentionDims d{1, 1, 1, 2, 4, false};
  double o[4];
  fa::reference(q.data(), k.data(), v.data(), d, o);
  EXPECT_NEAR(o[0], 1.0 / (1.0 + std::exp(2.0)), 1e-12);
}

// The fused kernels' block loop, on the CPU: for each query tile, only the K/V
// blocks kv_blocks() says it needs, the mask applied only to blocks at or past
// full_end, the online softmax per block. Matches the reference for every
// combination of lengths, including fully masked rows and ragged tails.
// `folded`: flash_mma's form (raw scores and max, rescale_raw, prob_raw);
// else flash_simt's (log2-domain scores, rescale, prob).
namespace {
template <int64_t kBm, int64_t kBn>
void check_flash_block_loop(bool folded, std::initializer_list<int64_t> sizes) {
  constexpr int64_t kD = 4;
  for (bool causal : {false, true})
    for (int64_t n : sizes)
      for (int64_t nk : sizes) {
        fa::AttentionDims dims{1, 1, n, nk, kD, causal};
        std::mt19937 rng(unsigned(n * 100 + nk));
        std::uniform_real_distribution<float> u(-2.0f, 2.0f);
        std::vector<float> q(size_t(n * kD)), k(size_t(nk * kD)), v(size_t(nk * kD));
        for (auto* m : {&q, &k, &v})
          for (auto& x : *m) x = u(rng);
        const float scale_log2 = fa::kLog2e / std::sqrt(float(kD));
        for (int64_t qt = 0; qt < flopscope::kernels::ceil_div(n, kBm); ++qt) {
          const fa::KvBlockRange r = fa::kv_blocks(qt, kBm, kBn, n, nk, causal);
          for (int64_t row = qt * kBm; row < std::min(n, qt * kBm + kBm); ++row) {
            const int64_t kend = fa::key_end(row, n, nk, causal);
            fa::OnlineSoftmax st;
            double acc[kD] = {};
            for (int64_t blk = 0; blk < r.end; ++blk) {
              float s[kBn];
              float mx = -INFINITY;
              for (int64_t j = 0; j < kBn; ++j) {
                const int64_t key = blk * kBn + j;
                float dot = 0;  // keys past Nk are zero-filled, as the tile loads do
                for (int64_t c = 0; c < kD && key < nk; ++c) dot += q[size_t(row * kD + c)] * k[size_t(key * kD + c)];
                s[j] = folded ? dot : dot * scale_log2;
                if (blk >= r.full_end && key >= kend) s[j] = -INFINITY;
                if (blk < r.full_end) {
                  ASSERT_LT(key, kend);  // an unmasked block never holds a hidden key
                }
                mx = std::max(mx, s[j]);
              }
              const float alpha = folded ? st.rescale_raw(mx, scale_log2) : st.rescale(mx);
              for (auto& a : acc) a *= alpha;
              const float nm = st.neg_max();
              float sum = 0;
              for (int64_t j = 0; j < kBn; ++j) {
                const float p = folded ? fa::OnlineSoftmax::prob_raw(s[j], scale_log2, nm) : st.prob(s[j]);
                const int64_t key = blk * kBn + j;
                sum += p;
                for (int64_t c = 0; c < kD && key < nk; ++c) acc[c] += p * v[size_t(key * kD + c)];
              }
              st.add(sum);
            }
            double want[kD];
            fa::reference_row(q.data(), k.data(), v.data(), dims, 0, row, want);
            for (int64_t c = 0; c < kD; ++c)
              ASSERT_NEAR(acc[c] * st.inv_sum(), want[c], 1e-5)
                  << "folded=" << folded << " causal=" << causal << " n=" << n << " nk=" << nk
                  << " row=" << row;
          }
        }
      }
}
}  // namespace

// Small tiles, for many tile boundaries; then the kernels' own tiles (flash_simt
// 64 x 32, flash_mma 64 x 64; 128 x 64 too, for more warps), with lengths around
// their multiples.
constexpr std::initializer_list<int64_t> kSmallLengths = {1, 5, 7, 8, 9, 16, 17, 33, 40};
constexpr std::initializer_list<int64_t> kTileLengths = {1, 31, 63, 64, 65, 127, 129, 200};
TEST(AttentionMath, FlashBlockLoopMatchesReference) {
  check_flash_block_loop<16, 8>(false, kSmallLengths);
  check_flash_block_loop<64, 32>(false, kTileLengths);  // flash_simt
}
TEST(AttentionMath, FoldedFlashBlockLoopMatchesReference) {
  check_flash_block_loop<16, 8>(true, kSmallLengths);
  check_flash_block_loop<64, 64>(true, kTileLengths);  // flash_mma
  check_flash_block_loop<128, 64>(true, kTileLengths);
}
