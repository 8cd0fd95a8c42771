#include <gtest/gtest.h>

#include "flopscope/error.h"
#include "flopscope/models.h"

using namespace flopscope;

TEST(GemmModel, FlopsAndBytes) {
  const Cost c = gemm_cost({4096, 4096, 4096}, 2, 2);
  EXPECT_DOUBLE_EQ(c.flops, 2.0 * 4096.0 * 4096.0 * 4096.0);
  EXPECT_DOUBLE_EQ(c.bytes, (4096.0 * 4096 * 2) * 2 + 4096.0 * 4096 * 2);
  const Cost odd = gemm_cost({17, 1, 1000}, 4, 4);  // M*K + K*N inputs, M*N output
  EXPECT_DOUBLE_EQ(odd.flops, 2.0 * 17 * 1 * 1000);
  EXPECT_DOUBLE_EQ(odd.bytes, (17.0 * 1000 + 1000 * 1) * 4 + 17 * 1 * 4);
}

TEST(GemmModel, RejectsNonPositive) {
  EXPECT_THROW(gemm_cost({0, 1, 1}, 4, 4), Error);
  EXPECT_THROW(gemm_cost({1, -3, 1}, 4, 4), Error);
  try {
    gemm_cost({1, 1, 0}, 4, 4);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("gemm K"), std::string::npos);
  }
}

// Brute-force count of unmasked scores, straight from the mask's definition.
static double brute_scores(const AttentionShape& s) {
  double n = 0;
  for (int64_t i = 0; i < s.n_q; ++i)
    for (int64_t j = 0; j < s.n_kv; ++j)
      if (!s.causal || j <= i + (s.n_kv - s.n_q)) n += 1;
  return n * double(s.batch) * double(s.heads);
}

TEST(AttentionModel, DenseMatmulFlops) {
  AttentionShape s{2, 16, 4096, 4096, 128, false};
  EXPECT_DOUBLE_EQ(attention_matmul_flops(s, CausalConvention::exact),
                   4.0 * 2 * 16 * 4096.0 * 4096.0 * 128);
}

TEST(AttentionModel, CausalExactIsTriangular) {
  AttentionShape s{1, 1, 1000, 1000, 64, true};
  EXPECT_DOUBLE_EQ(attention_scores(s, CausalConvention::exact), 1000.0 * 1001 / 2);
  EXPECT_DOUBLE_EQ(attention_scores(s, CausalConvention::half_dense), 1000.0 * 1000 / 2);
  EXPECT_DOUBLE_EQ(attention_matmul_flops(s, CausalConvention::exact), 4.0 * 64 * 1000 * 1001 / 2);
}

TEST(AttentionModel, CausalClosedFormMatchesBruteForce) {
  for (int64_t n : {1, 2, 17, 64, 255})
    for (int64_t nk : {1, 3, 17, 64, 300}) {
      AttentionShape s{2, 3, n, nk, 8, true};
      EXPECT_DOUBLE_EQ(attention_scores(s, CausalConvention::exact), brute_scores(s))
          << "N=" << n << " Nk=" << nk;
      s.causal = false;
      EXPECT_DOUBLE_EQ(attention_scores(s, CausalConvention::exact), brute_scores(s));
    }
}

TEST(AttentionModel, RowKeys) {
  EXPECT_EQ(attention_row_keys(0, 4, 4, true), 1);
  EXPECT_EQ(attention_row_keys(3, 4, 4, true), 4);
  EXPECT_EQ(attention_row_keys(0, 1, 100, true), 100);  // decode: one query sees all keys
  EXPECT_EQ(attention_row_keys(0, 8, 4, true), 0);      // more queries than keys: row fully masked
  EXPECT_EQ(attention_row_keys(5, 8, 4, false), 4);
}

TEST(AttentionModel, SoftmaxCountedSeparately) {
  AttentionShape s{1, 2, 128, 128, 64, false};
  const double scores = 2.0 * 128 * 128;
  EXPECT_DOUBLE_EQ(attention_softmax_flops(s, CausalConvention::exact),
                   kSoftmaxFlopsPerScore * scores + 2.0 * 128 * 64);
  const Cost c = attention_fused_cost(s, 2);
  EXPECT_DOUBLE_EQ(c.flops, c.flops_by_part.at("matmul"));  // model FLOPs exclude softmax
  EXPECT_GT(c.flops_by_part.at("softmax"), 0);
}

TEST(AttentionModel, Bytes) {
  AttentionShape s{1, 2, 128, 256, 64, false};
  const double qo = 2.0 * 128 * 64, kv = 2.0 * 256 * 64;  // per tensor, 2 heads
  const double qkvo = (2 * qo + 2 * kv) * 2;
  EXPECT_DOUBLE_EQ(attention_fused_cost(s, 2).bytes, qkvo);
  const double scores = 2.0 * 128 * 256;
  EXPECT_DOUBLE_EQ(attention_naive_cost(s, 2, 4).bytes, qkvo + 4 * scores * 4);
}

TEST(FfnModel, GeluAndSwiglu) {
  const double t = 512, d = 1024, f = 4096;
  FfnShape g{512, 1024, 4096, FfnType::gelu};
  Cost cg = ffn_cost(g, false, 2);
  EXPECT_DOUBLE_EQ(cg.flops_by_part.at("matmul"), 4 * t * d * f);
  EXPECT_DOUBLE_EQ(cg.flops_by_part.at("activation"), kGeluFlopsPerElement * t * f);
  EXPECT_DOUBLE_EQ(cg.flops, 4 * t * d * f + kGeluFlopsPerElement * t * f);
  // weights W1,W2 + X,Y + H written, read, A written, read
  EXPECT_DOUBLE_EQ(cg.bytes, (2 * d * f + 2 * t * d + 4 * t * f) * 2);
  EXPECT_DOUBLE_EQ(ffn_cost(g, true, 2).bytes, (2 * d * f + 2 * t * d + 2 * t * f) * 2);

  FfnShape s{512, 1024, 4096, FfnType::swiglu};
  Cost cs = ffn_cost(s, false, 2);
  EXPECT_DOUBLE_EQ(cs.flops_by_part.at("matmul"), 6 * t * d * f);
  EXPECT_DOUBLE_EQ(cs.flops_by_part.at("activation"), kSwigluFlopsPerElement * t * f);
  // W1, W3, W2 + X,Y + H1,H3 written and read, A written and read
  EXPECT_DOUBLE_EQ(cs.bytes, (3 * d * f + 2 * t * d + 6 * t * f) * 2);
  EXPECT_DOUBLE_EQ(ffn_cost(s, true, 2).bytes, (3 * d * f + 2 * t * d + 2 * t * f) * 2);
}

TEST(MemoryModels, CopyTriadSoftmax) {
  EXPECT_DOUBLE_EQ(copy_cost(1000, 4).bytes, 8000);
  EXPECT_DOUBLE_EQ(copy_cost(1000, 4).flops, 0);
  EXPECT_DOUBLE_EQ(triad_cost(1000, 4).bytes, 12000);
  EXPECT_DOUBLE_EQ(triad_cost(1000, 4).flops, 2000);
  EXPECT_DOUBLE_EQ(softmax_rows_cost(10, 100, 2).bytes, 4000);
  EXPECT_DOUBLE_EQ(softmax_rows_cost(10, 100, 2).flops, 5000);
  EXPECT_THROW(copy_cost(0, 4), Error);
}

TEST(TrainingStep, ModelVersusHardware) {
  const StepFlops none = training_step_flops(100, 0);
  EXPECT_DOUBLE_EQ(none.model, 300);
  EXPECT_DOUBLE_EQ(none.hardware, 300);
  const StepFlops full = training_step_flops(100, 100);  // full checkpointing recomputes the forward
  EXPECT_DOUBLE_EQ(full.model, 300);
  EXPECT_DOUBLE_EQ(full.hardware, 400);
  EXPECT_THROW(training_step_flops(-1, 0), Error);
}
