// Sliding-window attention in the estimator (`sliding_window`, `window_layers`):
// attention FLOPs against brute-force key counts, the PaLM training term, decode
// steps and the KV cache that stop growing at the window, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "flopscope/error.h"
#include "flopscope/estimate.h"

using namespace flopscope;
using namespace flopscope::estimate;

namespace {

// 2 layers, d 8, 2 heads of 4, GELU FFN 16, vocabulary 10, T 6.
const char* kTiny =
    R"({"layers": 2, "d_model": 8, "heads": 2, "ffn_dim": 16, "ffn_type": "gelu", "vocab": 10, "seq_len": 6)";

ModelConfig tiny(const std::string& extra) { return parse_model_config(std::string(kTiny) + extra + "}", "m.json"); }

// Keys over all T queries, one by one: query i sees keys 0..i (causal) or all
// T, at most w of them (w 0: no window).
double brute_keys(int64_t T, bool causal, int64_t w) {
  double n = 0;
  for (int64_t i = 0; i < T; ++i) {
    const int64_t seen = causal ? i + 1 : T;
    n += double(w > 0 ? std::min(seen, w) : seen);
  }
  return n;
}

ModelConfig without_window(ModelConfig m) {
  m.sliding_window = 0;
  m.window_layers = 0;
  return m;
}

std::string bad(const std::string& extra) {
  try {
    (void)tiny(extra);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << extra;
  return "";
}

}  // namespace

TEST(EstimateWindow, AttentionCountsTheKeysInsideTheWindow) {
  // One layer windowed (4 keys), one full: QKᵀ and PV are 2·H·(2·head_dim) = 32 FLOPs per key.
  const ModelConfig m = tiny(R"(, "sliding_window": 4, "window_layers": 1)");
  EXPECT_EQ(m.window_layers, 1);
  EXPECT_DOUBLE_EQ(brute_keys(6, true, 4), 1 + 2 + 3 + 4 + 4 + 4);
  for (const bool causal : {false, true}) {
    const double keys = brute_keys(6, causal, 0) + brute_keys(6, causal, 4);
    EXPECT_DOUBLE_EQ(forward_flops_per_token(m, 6, causal).attention, 32 * keys / 6) << causal;
  }
  EXPECT_DOUBLE_EQ(forward_flops_per_token(m, 6, false).attention, 32 * (36 + 24) / 6.0);
  // Only attention moves; a window of T or more is no window.
  const ForwardFlops full = forward_flops_per_token(without_window(m), 6, true);
  EXPECT_DOUBLE_EQ(forward_flops_per_token(m, 6, true).total() - full.total(),
                   32 * (brute_keys(6, true, 4) - brute_keys(6, true, 0)) / 6);
  EXPECT_DOUBLE_EQ(forward_flops_per_token(tiny(R"(, "sliding_window": 6)"), 6, true).total(), full.total());
  // Every length and window against the brute count, all layers windowed.
  for (int64_t T = 1; T <= 40; T += 3)
    for (int64_t w = 1; w <= 45; w += 4) {
      ModelConfig all = tiny(R"(, "sliding_window": 1)");
      all.sliding_window = w;
      EXPECT_DOUBLE_EQ(forward_flops_per_token(all, T, true).attention, 2 * 32 * brute_keys(T, true, w) / double(T))
          << "T " << T << " w " << w;
    }
}

TEST(EstimateWindow, PalmTermSeesTheWindowNotTheSequence) {
  // 6·H·(2·head_dim)·(T in a full layer + min(T, w) in a windowed one) = 96 per key.
  const ModelConfig m = tiny(R"(, "sliding_window": 4, "window_layers": 1)");
  const TokenFlops t = token_flops(m, Checkpointing::none), t0 = token_flops(without_window(m), Checkpointing::none);
  EXPECT_DOUBLE_EQ(t0.train - t.train, 96.0 * (6 - 4));
  EXPECT_DOUBLE_EQ(t.train_6n, t0.train_6n);  // no parameter changes
  // Mistral 7B: every layer windowed at 4096 of 8192, so the term halves.
  const ModelConfig mistral = require_preset("mistral-7b");
  EXPECT_EQ(mistral.sliding_window, 4096);
  EXPECT_EQ(mistral.window_layers, 32);
  const double term = 6.0 * 32 * 32 * 256 * 8192;  // 6·L·H·2Q·T without the window
  const TokenFlops w = token_flops(mistral, Checkpointing::none), f = token_flops(without_window(mistral), Checkpointing::none);
  EXPECT_DOUBLE_EQ(f.train - w.train, term / 2);
  // A multi-token prediction module's block is windowed when every layer is.
  const ModelConfig all = tiny(R"(, "sliding_window": 4, "mtp_depth": 1)");
  const ModelConfig some = tiny(R"(, "sliding_window": 4, "window_layers": 1, "mtp_depth": 1)");
  EXPECT_DOUBLE_EQ(token_flops(without_window(all), Checkpointing::none).train_mtp -
                       token_flops(all, Checkpointing::none).train_mtp,
                   96.0 * (6 - 4));
  EXPECT_DOUBLE_EQ(token_flops(some, Checkpointing::none).train_mtp,
                   token_flops(without_window(some), Checkpointing::none).train_mtp);
  EXPECT_DOUBLE_EQ(mtp_forward_flops_per_token(all, 6, true).block.attention, 32 * brute_keys(6, true, 4) / 6);
}

TEST(EstimateWindow, DecodeAndKvCacheStopGrowingAtTheWindow) {
  const ModelConfig& m = require_preset("mistral-7b");
  auto at = [&](const ModelConfig& model, int64_t context) {
    InferenceInputs in;
    in.prompt_tokens = 100;
    in.context = context;
    return estimate_inference(model, in, {});
  };
  // Inside the window nothing differs from full attention.
  EXPECT_DOUBLE_EQ(at(m, 4096).decode_flops_per_token, at(without_window(m), 4096).decode_flops_per_token);
  EXPECT_DOUBLE_EQ(at(m, 4096).kv_cache_bytes, at(without_window(m), 4096).kv_cache_bytes);
  // Beyond it a step costs and caches what it did at the window (Mistral's rolling buffer).
  EXPECT_DOUBLE_EQ(at(m, 32768).decode_flops_per_token, at(m, 4096).decode_flops_per_token);
  EXPECT_DOUBLE_EQ(at(m, 32768).kv_cache_bytes, at(m, 4096).kv_cache_bytes);
  EXPECT_DOUBLE_EQ(at(m, 32768).kv_cache_bytes, 4096 * at(m, 32768).kv_bytes_per_token);
  EXPECT_LT(at(m, 4095).kv_cache_bytes, at(m, 4096).kv_cache_bytes);
  // Half the layers windowed: half the cache keeps growing.
  ModelConfig half = m;
  half.window_layers = 16;
  EXPECT_DOUBLE_EQ(at(half, 8192).kv_cache_bytes, (16 * 8192.0 + 16 * 4096.0) / 32 * at(half, 8192).kv_bytes_per_token);
}

TEST(EstimateWindow, GenerationSumsTheDecodeStepsAcrossTheWindow) {
  const ModelConfig& m = require_preset("mistral-7b");
  // Steps all inside the window, crossing it, and all beyond it.
  for (const int64_t prompt : {100, 4000, 5000}) {
    InferenceInputs in;
    in.prompt_tokens = prompt;
    in.gen_tokens = 200;
    const InferenceEstimate r = estimate_inference(m, in, {});
    double steps = 0;
    for (int64_t j = 1; j < 200; ++j) {
      InferenceInputs one = in;
      one.context = prompt + j;
      steps += estimate_inference(m, one, {}).decode_flops_per_token;
    }
    EXPECT_NEAR(r.generation_flops, r.prefill_flops + steps, 1e-12 * r.generation_flops) << "prompt " << prompt;
  }
}

TEST(EstimateWindow, BadInputNamesTheFix) {
  EXPECT_NE(bad(R"(, "window_layers": 1)").find("window_layers (1) needs sliding_window"), std::string::npos);
  EXPECT_NE(bad(R"(, "sliding_window": 4, "window_layers": 3)").find("window_layers (3) is more than layers (2)"),
            std::string::npos);
  EXPECT_NE(bad(R"(, "sliding_window": 0)").find("sliding_window must be positive"), std::string::npos);
  EXPECT_NE(bad(R"(, "sliding_window": 4.5)").find("sliding_window must be a whole number"), std::string::npos);
  // Written back as given (window_layers filled in), and read again the same.
  const ModelConfig m = tiny(R"(, "sliding_window": 4)");
  const ModelConfig back = parse_model_config(to_config_json(m), "back.json");
  EXPECT_EQ(back.sliding_window, 4);
  EXPECT_EQ(back.window_layers, 2);
  EXPECT_EQ(to_config_json(tiny("")).find("window"), std::string::npos) << "absent without a window";
}

// Gemma 2 9B: sliding window in every other layer (21 of 42). Table 2 of the
// Gemma 2 report counts four RMSNorms per layer; the config has two.
TEST(EstimateWindow, Gemma2NineBAgainstItsReport) {
  const ModelConfig& m = require_preset("gemma2-9b");
  EXPECT_EQ(m.sliding_window, 4096);
  EXPECT_EQ(m.window_layers, 21);
  const ParamCounts p = count_params(m);
  EXPECT_DOUBLE_EQ(p.non_embedding, 8324201984.0 - 2 * 42 * 3584.0);
  EXPECT_DOUBLE_EQ(p.total - p.non_embedding, 256000.0 * 3584);  // tied: one table
  // Half the layers see 4096 of the 8192 keys: the PaLM term loses a quarter.
  const double term = 6.0 * 42 * 16 * 512 * 8192;
  EXPECT_DOUBLE_EQ(token_flops(without_window(m), Checkpointing::none).train - token_flops(m, Checkpointing::none).train,
                   term / 4);
}

// Gemma 3: one global layer in six, starting local (config.json's
// sliding_window_pattern 6: layer i global when (i + 1) % 6 == 0).
TEST(EstimateWindow, Gemma3LayerPatternAndTableOne) {
  for (const char* name : {"gemma3-12b", "gemma3-27b"}) {
    const ModelConfig& m = require_preset(name);
    int64_t local = 0;
    for (int64_t i = 0; i < m.layers; ++i) local += (i + 1) % 6 != 0;
    EXPECT_EQ(m.window_layers, local) << name;
    EXPECT_EQ(m.sliding_window, 1024) << name;
    EXPECT_TRUE(m.tied_embeddings) << name;
  }
  // 27B against Table 1's 25,600M non-embedding parameters (to the million). The
  // model has per layer two more RMSNorms and a QK-norm (head_dim each for
  // queries and keys) than the config counts.
  const ModelConfig& m = require_preset("gemma3-27b");
  const ParamCounts p = count_params(m);
  const double uncounted = 62.0 * (2 * 5376 + 2 * 128);
  EXPECT_EQ(std::llround((p.non_embedding + uncounted) / 1e6), 25600);
  EXPECT_DOUBLE_EQ(p.total - p.non_embedding, 262208.0 * 5376);  // tied: one table
  // 52 of 62 layers see 1024 of the 32768 keys.
  const double full_term = 12.0 * 62 * 32 * 128 * 32768;  // PaLM: 12 L H Q T
  const double windowed_term = 12.0 * 32 * 128 * (10 * 32768.0 + 52 * 1024.0);
  EXPECT_NEAR(token_flops(without_window(m), Checkpointing::none).train - token_flops(m, Checkpointing::none).train,
              full_term - windowed_term, 1e-6 * full_term);
}
