// PyTorch's own FLOP counts (FlopCounterMode), from real CPU runs of the scripts
// that made them (tests/fixtures/torch/, README in tests/fixtures/), set against
// flopscope's readers and models:
//   - torch_step_cpu.json: what scripts/torch_step.py --flops-out writes. It must
//     read as a model-FLOPs file, and its forward count must be the estimator's
//     formula for the same layer, so that `crosscheck --model-flops` and
//     `estimate` speak of one thing;
//   - sdpa_counts_cpu.json: scaled_dot_product_attention, against the attention model;
//   - decoder_step_counts_cpu.json: training steps, prefills and decode steps of
//     two small decoders, against the estimator.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "flopscope/crosscheck.h"
#include "flopscope/estimate.h"
#include "flopscope/models.h"
#include "flopscope/results.h"  // read_file
#include "unit/crosscheck_sample.h"

using namespace flopscope;

namespace {

std::string torch_fixture(const char* name) {
  return (std::filesystem::path(FLOPSCOPE_FIXTURES_DIR) / "torch" / name).string();
}

ModelFlops torch_step_count() { return read_model_flops(torch_fixture("torch_step_cpu.json")); }

const ModelRange& range(const ModelFlops& m, const std::string& nvtx) {
  for (const ModelRange& r : m.ranges)
    if (r.nvtx == nvtx) return r;
  throw std::runtime_error("no range '" + nvtx + "'");
}

// decoder_step_counts_cpu.json's cases, and the model of each as the estimator reads it.
nlohmann::json decoder_cases() {
  return nlohmann::json::parse(read_file(torch_fixture("decoder_step_counts_cpu.json"))).at("cases");
}

estimate::ModelConfig decoder_model(const nlohmann::json& c) {
  estimate::ModelConfig m = estimate::parse_model_config(c.at("config").dump(), "decoder_step_counts_cpu.json");
  estimate::validate_model(m, "decoder_step_counts_cpu.json");
  return m;
}

}  // namespace

TEST(TorchStepCount, ReadsAsModelFlopsWithItsPhases) {
  const ModelFlops m = torch_step_count();
  EXPECT_EQ(m.source.rfind("torch.utils.flop_counter.FlopCounterMode (torch ", 0), 0u) << m.source;
  ASSERT_EQ(m.ranges.size(), 8u);  // counted and step0, each with forward, backward, optimizer
  for (const char* outer : {"counted", "step0"}) {
    const std::string o = outer;
    double phases = 0;
    for (const char* phase : {"/forward", "/backward", "/optimizer"}) {
      const ModelRange& r = range(m, o + phase);
      double ops = 0;
      for (const auto& [op, flops] : r.by_op) ops += flops;
      EXPECT_EQ(ops, r.flops) << r.nvtx << ": the breakdown adds up to the phase";
      phases += r.flops;
    }
    EXPECT_EQ(range(m, o).flops, phases) << o;
  }
  EXPECT_EQ(range(m, "counted/optimizer").flops, 0) << "SGD's update is element-wise: no matmul FLOPs";
  EXPECT_GT(range(m, "counted/forward").by_op.count("aten.addmm"), 0u);  // the projections
}

TEST(TorchStepCount, ForwardIsTheEstimatorsLayerFormula) {
  // torch_step.py's defaults: one post-norm encoder layer, GELU MLP, 2048 tokens,
  // d_model 1024, 8 heads, FFN 4·d_model, no mask.
  estimate::ModelConfig layer;
  layer.layers = 1;
  layer.d_model = 1024;
  layer.heads = 8;
  layer.ffn_dim = 4096;
  layer.ffn_type = FfnType::gelu;
  layer.vocab = 1;  // the layer has no LM head; its logits are left out below
  layer.seq_len = 2048;
  estimate::validate_model(layer, "torch_step layer");
  const estimate::ForwardFlops f = estimate::forward_flops_per_token(layer, layer.seq_len, /*causal=*/false);
  const double tokens = 2048;
  const double forward = tokens * (f.qkv + f.attn_out + f.attention + f.ffn);

  const ModelFlops m = torch_step_count();
  EXPECT_EQ(range(m, "counted/forward").flops, forward);
  // Backward is twice the forward, less one GEMM: the input is a leaf that needs
  // no gradient, so the QKV projection's dX is never computed.
  EXPECT_EQ(range(m, "counted/backward").flops, 2 * forward - tokens * f.qkv);
}

TEST(TorchStepCount, CrosscheckSetsItsRangesBesideTheProfile) {
  const ModelCrosscheck r = crosscheck_model_flops(test::model_twin_profile(), torch_step_count());
  ASSERT_EQ(r.ranges.size(), 8u);
  EXPECT_EQ(r.ranges[1].model.nvtx, "counted/forward");
  EXPECT_EQ(r.ranges[1].hw.launches, 7);  // the twin profile's forward launches
  EXPECT_TRUE(r.compared());
}

// PyTorch counts attention as if unmasked: under is_causal its count is the dense
// 4·B·H·N²·D, where the model (and a kernel that skips masked blocks) counts only
// the unmasked scores, about half at large N. So `crosscheck --model-flops` shows a
// causal model's attention with hardware below PyTorch's count. Its backward is
// 2.5 times its forward: five N x N matmuls (QKᵀ recomputed, dV, dP, dQ, dK).
TEST(TorchStepCount, AttentionIsCountedUnmasked) {
  const auto doc = nlohmann::json::parse(read_file(torch_fixture("sdpa_counts_cpu.json")));
  ASSERT_EQ(doc.at("cases").size(), 12u);
  for (const auto& c : doc.at("cases")) {
    AttentionShape s;
    s.batch = c.at("batch");
    s.heads = c.at("heads");
    s.n_q = s.n_kv = c.at("n");
    s.head_dim = c.at("head_dim");
    s.causal = c.at("causal");
    const double torch_forward = c.at("forward");
    AttentionShape dense = s;
    dense.causal = false;
    const std::string what = "N=" + std::to_string(s.n_q) + " D=" + std::to_string(s.head_dim) +
                             (s.causal ? " causal" : "");
    EXPECT_EQ(torch_forward, attention_matmul_flops(dense, CausalConvention::exact)) << what;
    EXPECT_EQ(double(c.at("forward_backward")), 3.5 * torch_forward) << what;
    if (s.causal) {  // the model: (N+1)/2N of the dense count
      EXPECT_DOUBLE_EQ(attention_matmul_flops(s, CausalConvention::exact),
                       torch_forward * double(s.n_q + 1) / double(2 * s.n_q))
          << what;
    }
  }
}

// The estimator against PyTorch's count of one training step of two small decoders,
// GPT-2 style and Llama style (GQA, SwiGLU, untied head; decoder_step_counts.py).
// The forward is the estimator's, exactly, with dense attention; the estimator's
// step is 3 x that; PyTorch's step is larger by half the attention's forward: its
// flash-attention backward also counts recomputing QKᵀ.
TEST(TorchStepCount, EstimatorMatchesDecoderTrainingSteps) {
  const nlohmann::json cases = decoder_cases();
  ASSERT_EQ(cases.size(), 2u);
  for (const auto& c : cases) {
    const estimate::ModelConfig m = decoder_model(c);
    const double tokens = c.at("tokens");
    const double torch_forward = c.at("counts").at("forward").at("flops");
    const double torch_backward = c.at("counts").at("backward").at("flops");

    const estimate::TokenFlops per_token = estimate::token_flops(m, estimate::Checkpointing::none);
    EXPECT_EQ(tokens * per_token.forward, torch_forward) << m.name;

    double step = 0;
    for (const auto& [part, flops] : estimate::training_step_flops(m, estimate::Checkpointing::none, tokens))
      step += flops;
    EXPECT_EQ(step, 3 * torch_forward) << m.name;

    const estimate::ForwardFlops f = estimate::forward_flops_per_token(m, m.seq_len, /*causal=*/false);
    EXPECT_EQ(torch_forward + torch_backward - step, 0.5 * tokens * f.attention) << m.name;
  }
}

// The inference estimate against the same decoders' prefill (48-token prompts, the LM
// head at the last position) and one decode step against their KV cache (49 keys).
// The decode step is the estimator's exactly. The prefill differs only in its
// attention: PyTorch counts it unmasked, the estimator counts the causal scores.
TEST(TorchStepCount, InferenceEstimateMatchesPrefillAndDecode) {
  ASSERT_EQ(decoder_cases().size(), 2u);  // the fixture's two decoders: none would check nothing
  for (const auto& c : decoder_cases()) {
    const estimate::ModelConfig m = decoder_model(c);
    const auto& run = c.at("inference");
    estimate::InferenceInputs in;
    in.batch = c.at("batch");
    in.prompt_tokens = run.at("prompt_tokens");
    in.gen_tokens = 2;  // the first from the prefill, the second from the decode step
    in.context = run.at("decode_context");
    const estimate::InferenceEstimate e = estimate::estimate_inference(m, in, estimate::Peak{});

    EXPECT_EQ(double(run.at("decode_step")), double(in.batch) * e.decode_flops_per_token) << m.name;

    const double dense = estimate::forward_flops_per_token(m, in.prompt_tokens, /*causal=*/false).attention;
    const double causal = estimate::forward_flops_per_token(m, in.prompt_tokens, /*causal=*/true).attention;
    const double unmasked_extra = double(in.batch * in.prompt_tokens) * (dense - causal);
    EXPECT_EQ(double(run.at("prefill")) - e.prefill_flops, unmasked_extra) << m.name;
    // Generating 2 tokens: the prefill and that one decode step.
    EXPECT_EQ(double(run.at("prefill")) + double(run.at("decode_step")) - e.generation_flops, unmasked_extra)
        << m.name;
  }
}
