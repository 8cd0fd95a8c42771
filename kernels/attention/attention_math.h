#pragma once
// Index arithmetic shared by every attention kernel and its CPU tests, written
// once as host+device functions: the causal mask, tile bounds and tail
// predicates, causal block skipping, and the online-softmax rescaling step.
//
// Layout: Q, O are [B,H,N,D]; K, V are [B,H,Nk,D], row-major, contiguous.
// Causal mask (bottom-right aligned, as FlashAttention 2.1+ and
// flopscope::attention_row_keys()): query i sees key j iff j <= i + (Nk - N).
// A query that sees no key outputs 0.
//
// Plain C++ with no CUDA header: host tests include it directly.
#include <cmath>
#include <cstdint>

#include "common/tile_math.h"

namespace flopscope::kernels::attention {

// ---- the mask ------------------------------------------------------------------

/// Keys query `row` sees: [0, key_end). 0 when the row is fully masked.
FLOPSCOPE_HD constexpr int64_t key_end(int64_t row, int64_t n_q, int64_t n_kv, bool causal) {
  if (!causal) return n_kv;
  const int64_t e = row + (n_kv - n_q) + 1;
  return e < 0 ? 0 : (e > n_kv ? n_kv : e);
}

/// True when query `row` may attend to key `key` (and `key` is in range).
FLOPSCOPE_HD constexpr bool key_visible(int64_t row, int64_t key, int64_t n_q, int64_t n_kv,
                                        bool causal) {
  return key >= 0 && key < key_end(row, n_q, n_kv, causal);
}

// ---- tiles ----------------------------------------------------------------------

/// The KV blocks (of `bn` keys) query tile `qt` (rows [qt*bm, qt*bm + bm)) needs: [0, end).
/// Blocks at or past `end` are fully masked for every valid row of the tile and
/// are skipped. `full_end` <= `end`: blocks below it need no mask at all (every
/// key visible to every valid row); blocks in [full_end, end) are predicated.
struct KvBlockRange {
  int64_t end = 0;
  int64_t full_end = 0;
};

FLOPSCOPE_HD constexpr KvBlockRange kv_blocks(int64_t qt, int64_t bm, int64_t bn, int64_t n_q,
                                              int64_t n_kv, bool causal) {
  KvBlockRange r;
  const int64_t q0 = tile_begin(qt, bm);
  const int64_t rows = tile_extent(qt, bm, n_q);  // tail tile: fewer rows
  if (rows <= 0) return r;
  // key_end grows with the row: the last valid row needs the most keys, the
  // first valid row the fewest.
  const int64_t most = key_end(q0 + rows - 1, n_q, n_kv, causal);
  const int64_t fewest = key_end(q0, n_q, n_kv, causal);
  r.end = ceil_div(most, bn);
  r.full_end = fewest / bn;  // a block is unmasked only if all its keys are < fewest
  return r;
}

// ---- online softmax ---------------------------------------------------------------
//
// Scores arrive in the log2 domain, s2 = (q.k) * scale * log2(e), so that
// exp(s - m) = exp2(s2 - m2). A masked score is -INFINITY. For each row:
//   rescale(block_max)  -> alpha; multiply the output accumulator by alpha
//   p = prob(s2)        for every score of the block; add(sum of p)
//   out = acc * inv_sum()
// A row that has seen only masked scores keeps m = -inf, gets p = 0 and an
// output of 0.
//
// The folded form (flash_mma.cu) takes raw scores s = q.k instead and folds the
// scale into the exponent: the block max is taken on raw scores and scaled once
// (scale_log2 > 0, so max and scaling commute; -inf stays -inf), and each
// probability is one FFMA and one exp2_ftz:
//   rescale_raw(raw_block_max, scale_log2) -> alpha, as rescale
//   b = neg_max()                          once per row and block
//   p = prob_raw(s, scale_log2, b)          = exp2(s * scale_log2 - m)
// The running max m and sum l stay in the log2 domain, so add() and inv_sum()
// serve both forms. exp2_ftz flushes results below 2^-126 to 0 where exp2f
// would give a subnormal: a probability under 2^-126 of the row's largest, or
// an alpha under 2^-126 (the old max 126 or more below the new one, whose terms
// are then lost against the new ones anyway). A masked score still gives
// exactly 0, and a fully masked row still m = -inf, alpha = 1 and output 0.

constexpr float kLog2e = 1.4426950408889634f;

/// 2^x as `ex2.approx.ftz.f32` computes it on the device (one MUFU.EX2, a
/// relative error of about 2^-22): results below 2^-126, the smallest normal
/// float, are flushed to +0; exp2_ftz(-inf) = +0, NaN stays NaN. The host
/// version (the CPU tests) is exp2 with the same flush.
FLOPSCOPE_HD float exp2_ftz(float x) {
#if defined(__CUDA_ARCH__)
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
#else
  const float y = std::exp2(x);
  return y < 0x1p-126f ? 0.0f : y;
#endif
}

struct OnlineSoftmax {
  float m = -INFINITY;  ///< running max, log2 domain
  float l = 0.0f;       ///< running sum of exp2(s2 - m)

  /// Moves the running max to cover `block_max`; returns the factor that the
  /// running sum (already applied) and the output accumulator must be scaled by.
  FLOPSCOPE_HD float rescale(float block_max) {
    const float m_new = block_max > m ? block_max : m;
    // -inf - -inf is NaN: a row with no visible key so far keeps factor 1.
    const float alpha = (m_new == -INFINITY) ? 1.0f : exp2f(m - m_new);
    m = m_new;
    l *= alpha;
    return alpha;
  }
  /// exp2(s2 - m) for a score of the current block; 0 for a masked score.
  /// While m is -inf every score so far is -inf too, and exp2(-inf - 0) = 0:
  /// the select sits on the operand, so the exp2 runs without a branch and the
  /// select is computed once per row and block.
  FLOPSCOPE_HD float prob(float s2) const { return exp2f(s2 - (m == -INFINITY ? 0.0f : m)); }

  // ---- the folded form (raw scores; see above) ----
  /// As rescale, for the max of a block of raw scores: m covers
  /// raw_block_max * scale_log2 (scale_log2 > 0).
  FLOPSCOPE_HD float rescale_raw(float raw_block_max, float scale_log2) {
    const float block_max = raw_block_max * scale_log2;
    const float m_new = block_max > m ? block_max : m;
    const float alpha = (m_new == -INFINITY) ? 1.0f : exp2_ftz(m - m_new);
    m = m_new;
    l *= alpha;
    return alpha;
  }
  /// The addend of prob_raw's FFMA: -m, or 0 while every score so far is masked.
  FLOPSCOPE_HD float neg_max() const { return m == -INFINITY ? 0.0f : -m; }
  /// exp2(s * scale_log2 - m) for a raw score s of the current block, given
  /// neg_max(): one FFMA and one exp2_ftz; exactly 0 for a masked (-inf) score.
  FLOPSCOPE_HD static float prob_raw(float s, float scale_log2, float neg_max) {
    return exp2_ftz(fmaf(s, scale_log2, neg_max));
  }

  FLOPSCOPE_HD void add(float block_sum) { l += block_sum; }
  /// 1 / sum, or 0 for a row that saw no key (its output is 0).
  FLOPSCOPE_HD float inv_sum() const { return l > 0.0f ? 1.0f / l : 0.0f; }
};

}  // namespace flopscope::kernels::attention
