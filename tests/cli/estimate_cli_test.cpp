// `flopscope estimate` through the built binary: JSON keys, published figures,
// --from, and bad input answered in one line with exit code 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "flopscope/crosscheck.h"
#include "flopscope/estimate.h"
#include "flopscope/results.h"
#include "unit/sample_doc.h"

using flopscope::test::run_cli;
using flopscope::test::temp_dir;
using nlohmann::json;

namespace {

json estimate_json(const std::vector<std::string>& args) {
  std::vector<std::string> a{"estimate", "--json"};
  a.insert(a.end(), args.begin(), args.end());
  const auto r = run_cli(a);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

void expect_bad_input(const std::vector<std::string>& args, const std::string& needle) {
  std::vector<std::string> a{"estimate"};
  a.insert(a.end(), args.begin(), args.end());
  const auto r = run_cli(a);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

std::string write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST(EstimateCli, JsonHasTheDocumentedKeys) {
  const json j = estimate_json({"--preset", "llama3-8b", "--gpu", "h100-sxm", "--gpus", "64",
                                "--mfu", "0.4", "--tokens", "1e12", "--price-per-gpu-hour", "2",
                                "--tokens-per-second", "5e5", "--checkpointing", "selective"});
  for (const char* k :
       {"params_total", "params_non_embedding", "params_active", "flops_per_token_forward",
        "flops_per_token_train_6n", "flops_per_token_train", "flops_per_token_train_causal",
        "flops_per_token_hardware", "training_flops", "training_flops_6n", "time_to_train_s", "mfu", "hfu",
        "energy_kwh", "cost", "prefill_flops", "decode_flops_per_token", "decode_bytes_per_token",
        "decode_arithmetic_intensity", "decode_memory_bound", "ridge_flops_per_byte", "resident_bytes",
        "gpu_memory_bytes", "fits_one_gpu"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_TRUE(j["fits_one_gpu"].get<bool>());  // 16 GB of weights in 80 GB
  EXPECT_FALSE(estimate_json({"--preset", "llama3-70b", "--gpu", "h100-sxm"})["fits_one_gpu"].get<bool>());
  EXPECT_NEAR(j["params_total"].get<double>(), 8.03e9, 0.01e9);
  EXPECT_EQ(j["tokens_source"], "--tokens");
  EXPECT_GT(j["flops_per_token_hardware"].get<double>(), j["flops_per_token_train"].get<double>());
  // 1e12 tokens x train FLOPs / (64 x 989.4 TFLOP/s x 0.4)
  EXPECT_NEAR(j["time_to_train_s"].get<double>(),
              1e12 * j["flops_per_token_train"].get<double>() / (64 * 989.4e12 * 0.4),
              j["time_to_train_s"].get<double>() * 1e-3);
  EXPECT_TRUE(j["decode_memory_bound"].get<bool>());
}

// The JSON's model, saved as it is, is a --config giving the same estimate.
TEST(EstimateCli, JsonModelIsAConfig) {
  const std::string dir = flopscope::test::temp_dir();
  for (const char* preset : {"mixtral-8x7b", "gpt3-175b", "deepseek-v3", "deepseek-v2-lite"}) {
    const json a = estimate_json({"--preset", preset});
    EXPECT_EQ(a["model_key"], preset);
    EXPECT_FALSE(a["model_source"].get<std::string>().empty());
    const std::string cfg = write(dir + "/" + preset + ".json", a["model"].dump());
    const json b = estimate_json({"--config", cfg});
    EXPECT_EQ(b["model"], a["model"]);
    EXPECT_EQ(b["model_key"], cfg);
    for (const char* k : {"params_total", "params_active", "flops_per_token_forward", "flops_per_token_train"})
      EXPECT_EQ(b[k], a[k]) << preset << " " << k;
  }
}

TEST(EstimateCli, PublishedFigures) {
  // GPT-3: 3.14e23 training FLOPs for 300B tokens (Brown et al. 2020, Table D.1),
  // the preset's token count by default.
  json j = estimate_json({"--preset", "gpt3-175b"});
  EXPECT_NEAR(j["training_flops_6n"].get<double>() / 1e23, 3.14, 0.01);
  EXPECT_EQ(j["tokens"].get<double>(), 300e9);
  // PaLM 540B: 46.2% MFU at 238.3K tokens/s on 6144 TPU v4 chips of 275 TFLOP/s
  // (Chowdhery et al. 2022, Appendix B).
  j = estimate_json({"--preset", "palm-540b", "--peak-tflops", "275", "--gpus", "6144",
                     "--tokens-per-second", "238300"});
  EXPECT_NEAR(j["mfu"].get<double>(), 0.462, 0.0005);
  // Mixtral 8x7B: 46.7B total, 12.9B active (Jiang et al. 2024; model card).
  j = estimate_json({"--preset", "mixtral-8x7b"});
  EXPECT_NEAR(j["params_total"].get<double>() / 1e9, 46.7, 0.05);
  EXPECT_NEAR(j["params_active"].get<double>() / 1e9, 12.9, 0.05);
  // DeepSeek-V3: 671B total, 37B activated, the input embedding left out
  // (DeepSeek-V3 Technical Report); its KV cache is the 576-value latent per layer.
  j = estimate_json({"--preset", "deepseek-v3"});
  EXPECT_NEAR(j["params_total"].get<double>() / 1e9, 671, 0.5);
  EXPECT_NEAR((j["params_active"].get<double>() - j["params_lookup"].get<double>()) / 1e9, 37, 0.5);
  EXPECT_EQ(j["kv_cache_bytes_per_token"].get<double>(), 61.0 * 576 * 2);
  EXPECT_EQ(j["tokens"].get<double>(), 14.8e12);
  EXPECT_EQ(j["model"]["kv_lora_rank"], 512);
  EXPECT_EQ(j["model"]["dense_layers"], 3);
}

// Multi-token prediction is opt-in: a config without mtp_depth, or with 0, gives
// the same output byte for byte, for every preset's model.
TEST(EstimateCli, MtpDepthZeroChangesNothing) {
  const std::string dir = temp_dir();
  const std::string cfg = dir + "/m.json";
  for (const auto& p : flopscope::estimate::presets()) {
    json model = estimate_json({"--preset", p.name})["model"];
    model.erase("mtp_depth");
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{"--json", "--gpu", "h100-sxm", "--mfu", "0.4", "--tokens", "1e12",
                                   "--checkpointing", "full", "--gen-tokens", "8"},
          {"--gpu", "h100-sxm", "--mfu", "0.4", "--tokens", "1e12", "--checkpointing", "selective"}}) {
      std::vector<std::string> args{"estimate", "--config", cfg};
      args.insert(args.end(), extra.begin(), extra.end());
      write(cfg, model.dump());
      const auto without = run_cli(args);
      json zero = model;
      zero["mtp_depth"] = 0;
      write(cfg, zero.dump());
      const auto with_zero = run_cli(args);
      ASSERT_EQ(without.exit_code, 0) << p.name << ": " << without.err;
      EXPECT_EQ(with_zero.out, without.out) << p.name;
      EXPECT_EQ(without.out.find("_mtp"), std::string::npos) << p.name;
      EXPECT_EQ(without.out.find("MTP"), std::string::npos) << p.name;
    }
  }
}

TEST(EstimateCli, DeepSeekV3CountsItsMtpModule) {
  const json j = estimate_json({"--preset", "deepseek-v3", "--checkpointing", "selective"});
  EXPECT_EQ(j["model"]["mtp_depth"], 1);
  EXPECT_EQ(j["params_total"].get<double>(), 671026419200.0);  // the main model, as published
  EXPECT_EQ(j["params_mtp"].get<double>(), 11610068224.0);      // not in params_total
  EXPECT_EQ(j["params_mtp_active"].get<double>(), 688100608.0);
  EXPECT_EQ(j["flops_per_token_train_mtp"].get<double>(), 10695310848.0);
  EXPECT_EQ(j["training_flops_mtp"].get<double>(), 14.8e12 * 10695310848.0);
  // The same model without the module: training less exactly that, inference the same.
  const std::string cfg = temp_dir() + "/v3.json";
  json model = j["model"];
  model["mtp_depth"] = 0;
  write(cfg, model.dump());
  const json z = estimate_json({"--config", cfg, "--tokens", "14.8e12", "--checkpointing", "selective"});
  for (const char* k : {"params_mtp", "params_mtp_active", "flops_per_token_train_mtp", "training_flops_mtp"})
    EXPECT_FALSE(z.contains(k)) << k;
  EXPECT_EQ(z["flops_per_token_train"].get<double>() + j["flops_per_token_train_mtp"].get<double>(),
            j["flops_per_token_train"].get<double>());
  EXPECT_NEAR(j["training_flops"].get<double>() / z["training_flops"].get<double>(), 1.038, 0.0005);
  EXPECT_GT(j["flops_per_token_hardware"].get<double>() - j["flops_per_token_train"].get<double>(),
            z["flops_per_token_hardware"].get<double>() - z["flops_per_token_train"].get<double>())
      << "selective checkpointing recomputes the module's attention too";
  for (const char* k : {"params_total", "params_active", "flops_per_token_forward", "prefill_flops",
                        "decode_flops_per_token", "decode_bytes_per_token", "kv_cache_bytes_per_token"})
    EXPECT_EQ(z[k], j[k]) << k;
  // The table says it, and the step file has the module as its own part.
  const auto r = run_cli({"estimate", "--preset", "deepseek-v3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s : {"MTP depth 1", "params_mtp", "11.610B", "  MTP modules (train)", "training_flops_mtp",
                        "main model only"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  const std::string out = temp_dir() + "/step.json";
  ASSERT_EQ(run_cli({"estimate", "--preset", "deepseek-v3", "--model-flops-out", out, "--nvtx", "s"}).exit_code, 0);
  EXPECT_GT(flopscope::read_model_flops(out).ranges[0].by_op.at("mtp"), 0);
  // Refused in one line.
  json bad = j["model"];
  bad["mtp_depth"] = -1;
  write(cfg, bad.dump());
  expect_bad_input({"--config", cfg}, "mtp_depth must not be negative, got -1");
}

// Found by review: GPU-hours, energy and cost were whole numbers (0.42 kWh read
// "0", a 1.50 cost "2"), and price, power and PUE without a time were dropped
// without a word.
TEST(EstimateCli, SmallAmountsKeepTheirDigitsAndCostWithoutATimeIsSaid) {
  auto r = run_cli({"estimate", "--preset", "gpt2-small", "--gpu", "h100-sxm", "--mfu", "0.4", "--tokens", "1e9",
                    "--price-per-gpu-hour", "2.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* row : {"GPU-hours              0.6 ", "energy_kwh            0.42 ", "cost                   1.5 "})
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  r = run_cli({"estimate", "--preset", "llama3-8b", "--gpu", "h100-sxm", "--pue", "1.4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cost, energy_kwh         - need a time: give --mfu, --from or --tokens-per-second"),
            std::string::npos)
      << r.out;
}

TEST(EstimateCli, TableAndConfigFile) {
  const std::string dir = temp_dir();
  const std::string cfg = write(dir + "/tiny.json", R"({"layers": 4, "d_model": 512, "heads": 8,
      "kv_heads": 2, "ffn_dim": 1536, "ffn_type": "swiglu", "vocab": 32000, "seq_len": 2048,
      "tied_embeddings": true})");
  const auto r = run_cli({"estimate", "--config", cfg, "--gpu", "h200", "--mfu", "0.5", "--tokens",
                          "2e9", "--batch", "64", "--gen-tokens", "128"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s : {"params_total", "flops_per_token_train", "time_to_train_s", "energy_kwh",
                        "700 W/GPU", "prefill_flops", "decode, batch 64", "memory-bound"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  const auto list = run_cli({"estimate", "--list-presets"});
  ASSERT_EQ(list.exit_code, 0);
  // A model named beside the list would be ignored: refused instead.
  EXPECT_EQ(run_cli({"estimate", "--list-presets", "--preset", "nope"}).exit_code, 2);
  EXPECT_EQ(run_cli({"estimate", "--list-presets", "--config", "/nonexistent.json"}).exit_code, 2);
  for (const char* p : {"llama3-405b", "deepseek-v2-lite", "deepseek-v2", "deepseek-v3"})
    EXPECT_NE(list.out.find(p), std::string::npos) << p;
  // The list points at the --json key that holds each preset's source: one that exists.
  EXPECT_NE(list.out.find("(model_source)"), std::string::npos) << list.out;
  const auto as_json = run_cli({"estimate", "--preset", "llama3-8b", "--json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  EXPECT_FALSE(json::parse(as_json.out).at("model_source").get<std::string>().empty());
  const auto help = run_cli({"--help"});
  EXPECT_NE(help.out.find("estimate"), std::string::npos);
}

TEST(EstimateCli, FromResultsShowsMeasuredNextToAssumed) {
  const std::string dir = temp_dir();
  const std::string results = dir + "/results.json";
  flopscope::write_results(results, flopscope::test::sample_doc());  // bf16 GEMM 8192^3 on an H200
  const auto r = run_cli({"estimate", "--preset", "llama3-8b", "--from", results, "--mfu", "0.4",
                          "--gpus", "8", "--tokens", "1e11"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("time_to_train_s (measured)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("at assumed MFU 40.0%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gemm.cublas.bf16 m=8192 n=8192 k=8192"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("h200 datasheet"), std::string::npos) << r.out;  // the results' GPU
  const json j = estimate_json({"--preset", "llama3-8b", "--from", results, "--tokens", "1e11"});
  EXPECT_TRUE(j.contains("time_to_train_s_measured_mfu"));
  EXPECT_EQ(j["time_basis"], "measured_mfu");
  EXPECT_EQ(j["measured"]["runs"].size(), 1u);
  // Nothing relevant (only a copy kernel): one clear line.
  flopscope::ResultsDoc doc = flopscope::test::sample_doc();
  doc.runs.erase(doc.runs.begin());
  const std::string copy_only = dir + "/copy.json";
  flopscope::write_results(copy_only, doc);
  expect_bad_input({"--preset", "llama3-8b", "--from", copy_only}, "no gemm or ffn run at bf16_tensor");
  // A GPU the file names and this flopscope does not know (a newer one's
  // file): the error says it came from the file, and what to give instead.
  doc = flopscope::test::sample_doc();
  doc.device->gpu_key = "mystery-gpu";
  const std::string unknown = dir + "/unknown.json";
  flopscope::write_results(unknown, doc);
  expect_bad_input({"--preset", "llama3-8b", "--from", unknown},
                   unknown + " was measured on 'mystery-gpu', a GPU this flopscope does not know: give --gpu NAME");
  const json with_gpu = estimate_json({"--preset", "llama3-8b", "--from", unknown, "--gpu", "h200", "--tokens", "1e11"});
  EXPECT_TRUE(with_gpu.contains("time_to_train_s_measured_mfu"));
  // A file's key is matched exactly: "h200-sxm-144gb" is not read as "h200".
  doc.device->gpu_key = "h200-sxm-144gb";
  flopscope::write_results(unknown, doc);
  expect_bad_input({"--preset", "llama3-8b", "--from", unknown}, "was measured on 'h200-sxm-144gb', a GPU this "
                                                                 "flopscope does not know");
}

TEST(EstimateCli, BadInputIsOneLine) {
  const std::string dir = temp_dir();
  expect_bad_input({"--preset", "llama5"}, "unknown preset 'llama5' (presets: gpt2-small");
  expect_bad_input({}, "give a model: --preset NAME");
  // The model's errors first: fixing a --model-flops-out option, then hearing
  // the preset does not exist, takes two tries for one mistake each.
  expect_bad_input({"--preset", "nosuch", "--nvtx", "step"}, "unknown preset 'nosuch'");
  expect_bad_input({"--preset", "llama3-8b", "--checkpointing", "bogus", "--nvtx", "step"},
                   "--checkpointing 'bogus' is unknown");
  expect_bad_input({"--preset", "llama3-8b", "--gpu", "tpu-v4"}, "tpu-v4");
  expect_bad_input({"--preset", "llama3-8b", "--gpu", "a100-sxm", "--dtype", "fp8"},
                   "a100-sxm has no fp8_tensor peak");
  expect_bad_input({"--preset", "llama3-8b", "--dtype", "bf17"}, "--dtype 'bf17' is unknown");
  expect_bad_input({"--preset", "llama3-8b", "--mfu", "40", "--gpu", "h100-sxm"}, "--mfu must be a fraction");
  expect_bad_input({"--preset", "llama3-8b", "--mfu", "0.4"}, "needs a peak");
  expect_bad_input({"--preset", "llama3-8b", "--checkpointing", "some"}, "--checkpointing 'some'");
  expect_bad_input({"--preset", "llama3-8b", "--batch", "0"}, "--batch must be at least 1");
  const std::string kv = write(dir + "/kv.json", R"({"layers": 2, "d_model": 256, "heads": 4,
      "kv_heads": 3, "ffn_dim": 1024, "ffn_type": "gelu", "vocab": 1000, "seq_len": 128})");
  expect_bad_input({"--config", kv}, "kv_heads (3) must divide heads (4)");
  const std::string hd = write(dir + "/hd.json", R"({"layers": 2, "d_model": 250, "heads": 4,
      "ffn_dim": 1024, "ffn_type": "gelu", "vocab": 1000, "seq_len": 128})");
  expect_bad_input({"--config", hd}, "heads (4) does not divide d_model (250)");
  const std::string moe = write(dir + "/moe.json", R"({"layers": 2, "d_model": 256, "heads": 4,
      "ffn_dim": 1024, "ffn_type": "gelu", "vocab": 1000, "seq_len": 128, "experts": 4,
      "active_experts": 5})");
  expect_bad_input({"--config", moe}, "active_experts (5) is greater than experts (4)");
  const std::string neg = write(dir + "/neg.json", R"({"layers": 2, "d_model": 256, "heads": -4,
      "ffn_dim": 1024, "ffn_type": "gelu", "vocab": 1000, "seq_len": 128})");
  expect_bad_input({"--config", neg}, "heads must be positive, got -4");
  const std::string mla = write(dir + "/mla.json", R"({"layers": 2, "d_model": 256, "heads": 4,
      "kv_lora_rank": 64, "ffn_dim": 1024, "ffn_type": "swiglu", "vocab": 1000, "seq_len": 128})");
  expect_bad_input({"--config", mla}, "kv_lora_rank (64) needs head_dim");
  const std::string shared = write(dir + "/shared.json", R"({"layers": 2, "d_model": 256, "heads": 4,
      "ffn_dim": 1024, "ffn_type": "swiglu", "vocab": 1000, "seq_len": 128, "shared_experts": 1})");
  expect_bad_input({"--config", shared}, "shared_experts (1) needs experts");
  expect_bad_input({"--config", dir + "/missing.json"}, "missing.json");
}

// Found by review: --list-presets ignored every other option (a
// --model-flops-out file never written, exit 0); a peak of 1e-300 TFLOP/s gave
// "ridge 0" and a null JSON time; more --nvtx ranges than crosscheck reads
// wrote a file it refused; a time of 1e71 days printed 10^9 too small, unitless.
TEST(EstimateCli, ReviewFoundEdges) {
  const std::string dir = temp_dir();
  expect_bad_input({"--list-presets", "--gpu", "nonesuch"}, "--list-presets takes no option but --json, got --gpu");
  expect_bad_input({"--list-presets", "--model-flops-out", dir + "/m.json"}, "got --model-flops-out");
  EXPECT_FALSE(std::filesystem::exists(dir + "/m.json"));
  EXPECT_EQ(run_cli({"estimate", "--list-presets", "--json"}).exit_code, 0);
  expect_bad_input({"--preset", "llama3-8b", "--peak-tflops", "1e-300"}, "--peak-tflops must be from 0.001 to 1e6");
  std::vector<std::string> many{"--preset", "gpt2-small", "--model-flops-out", dir + "/many.json"};
  for (int i = 0; i <= 4096; ++i) {
    many.push_back("--nvtx");
    many.push_back("s" + std::to_string(i));
  }
  expect_bad_input(many, "--nvtx is given 4097 times; crosscheck compares at most 4096 ranges");
  const auto huge = run_cli({"estimate", "--preset", "llama3-8b", "--gpu", "h100-sxm", "--mfu", "0.4", "--tokens", "1e80"});
  EXPECT_EQ(huge.exit_code, 0) << huge.err;
  const auto line = huge.out.substr(huge.out.find("time_to_train_s"));
  const std::string first = line.substr(0, line.find('\n'));
  EXPECT_NE(first.find(" days"), std::string::npos) << first;
  // In powers of ten past a million days: 65 digits of fixed point were unreadable.
  EXPECT_NE(first.find(" 1.694e71 days"), std::string::npos) << first;
  const std::string kwh = huge.out.substr(huge.out.find("energy_kwh"));
  EXPECT_NE(kwh.substr(0, kwh.find('\n')).find(" 2.845e72 "), std::string::npos) << kwh;
}

TEST(EstimateCli, InfiniteOrHugeFlagsAreBadInput) {
  // inf once gave "inf days"; a huge --gen-tokens overflowed prompt + generated.
  const std::vector<std::string> base{"--preset", "llama3-8b", "--gpu", "h100-sxm"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  // inf and nan are refused as they are parsed; finite values out of range by the estimate.
  for (const char* flag : {"--tokens", "--peak-tflops", "--gpu-power-w", "--price-per-gpu-hour", "--pue", "--mfu"})
    for (const char* v : {"inf", "nan"})
      expect_bad_input(with({flag, v}), std::string(flag) + ": must be a finite number, got '" + v + "'");
  expect_bad_input(with({"--tokens", "-1"}), "--tokens must be positive and finite, got -1");
  expect_bad_input(with({"--peak-tflops", "1e308"}), "--peak-tflops must be from 0.001 to 1e6");
  // Finite inputs whose products are not: once "training_flops inf", exit 0.
  expect_bad_input(with({"--tokens", "1e300", "--mfu", "0.4"}), "the estimate's training_flops overflows");
  expect_bad_input(with({"--tokens", "1e12", "--mfu", "1e-310"}), "the estimate's time_to_train_s overflows");
  expect_bad_input(with({"--tokens", "1e200", "--tokens-per-second", "1e-200", "--mfu", "0.4"}),
                   "the estimate's time_at_tokens_per_second_s overflows");
  expect_bad_input(with({"--gpus", "99999999999999999999"}), "--gpus: must be a whole number from 1 to 999999999");
  expect_bad_input(with({"--gpu-power-w", "0"}), "--gpu-power-w must be positive and finite");
  expect_bad_input(with({"--pue", "0.5"}), "--pue must be at least 1");
  expect_bad_input(with({"--gen-tokens", "1099511627777"}),
                   "--gen-tokens 1099511627777 is too large (at most 1099511627776)");
  expect_bad_input(with({"--batch", "999999999999999999"}), "--batch 999999999999999999 is too large");
  // Past 18 digits a count is refused as typed: CLI11 alone saturated it, and the
  // error then named 9223372036854775807, a number nobody gave.
  expect_bad_input(with({"--batch", "99999999999999999999"}),
                   "--batch: must be a whole number (at most 18 digits), got '99999999999999999999'");
  expect_bad_input(with({"--gen-tokens", "1e3"}), "--gen-tokens: must be a whole number");
}

TEST(EstimateCli, IntegerFlagsAreDecimal) {
  // CLI11 reads an integer in base 0: --gpus 010 was 8 GPUs, --batch 0x10 16
  // sequences, and --gpus 09 "Could not convert".
  const json j = estimate_json({"--preset", "llama3-8b", "--gpu", "h100-sxm", "--gpus", "010", "--batch",
                                "010", "--gen-tokens", "08", "--prompt-tokens", "0100"});
  EXPECT_EQ(j["gpus"], 10) << j.dump();
  EXPECT_EQ(j["batch"], 10) << j.dump();
  EXPECT_EQ(j["gen_tokens"], 8) << j.dump();
  EXPECT_EQ(j["prompt_tokens"], 100) << j.dump();
  EXPECT_EQ(estimate_json({"--preset", "llama3-8b", "--gpu", "h100-sxm", "--gpus", "09"})["gpus"], 9);
  expect_bad_input({"--preset", "llama3-8b", "--batch", "0x10"}, "--batch: must be a whole number");
  expect_bad_input({"--preset", "llama3-8b", "--gpus", "0x10"}, "--gpus: must be a whole number from 1");
  expect_bad_input({"--preset", "llama3-8b", "--gpus", "000"}, "--gpus: must be a whole number from 1");
  expect_bad_input({"--preset", "llama3-8b", "--batch", "-00"}, "--batch must be at least 1, got 0");
  expect_bad_input({"--preset", "llama3-8b", "--gen-tokens", "-05"}, "--gen-tokens must not be negative, got -5");
}

TEST(EstimateCli, HugeStepTokensAreRefused) {
  // --step-tokens 99999999999999999999 once saturated to 9.2e18 tokens and wrote
  // the file, exit 0.
  const std::string out = temp_dir() + "/step.json";
  for (const char* tokens : {"99999999999999999999", "1099511627777"}) {
    expect_bad_input({"--preset", "llama3-8b", "--model-flops-out", out, "--nvtx", "step", "--step-tokens", tokens},
                     "--step-tokens");
    EXPECT_FALSE(std::filesystem::exists(out)) << tokens;
  }
}

TEST(EstimateCli, OverflowNamesEveryFlagThatCanCauseIt) {
  // --pue 1e308 overflowed energy_kwh and the error listed every flag but --pue.
  expect_bad_input({"--preset", "llama3-8b", "--gpu", "h100-sxm", "--mfu", "0.4", "--pue", "1e308"},
                   "energy_kwh overflows");
  expect_bad_input({"--preset", "llama3-8b", "--gpu", "h100-sxm", "--mfu", "0.4", "--pue", "1e308"}, "--pue");
  expect_bad_input({"--preset", "llama3-8b", "--peak-tflops", "1e-300", "--mfu", "0.4"}, "--peak-tflops");
  // Named by the key a user sees, not an internal copy of it (time_s).
  expect_bad_input({"--preset", "llama3-8b", "--gpu", "h100-sxm", "--mfu", "1e-300"}, "time_to_train_s overflows");
}

TEST(EstimateCli, RefusedRunWritesNoModelFlopsFile) {
  // The file was once written before the later checks refused the run.
  const std::string out = temp_dir() + "/step.json";
  // Each refused for its own reason (a test of exit 2 alone passed for any).
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--tokens", "-5"}, "--tokens must be positive and finite, got -5"},
      {{"--batch", "0"}, "--batch must be at least 1, got 0"},
      {{"--mfu", "0.4"}, "--mfu needs a peak: give --gpu NAME"}};
  for (const auto& [bad, why] : cases) {
    std::vector<std::string> args{"estimate", "--preset", "llama2-7b", "--model-flops-out", out, "--nvtx", "step0"};
    args.insert(args.end(), bad.begin(), bad.end());
    const auto r = flopscope::test::run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << ": " << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << bad[0] << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << bad[0] << " left " << out;
  }
}

// estimate -> measure -> verify: one training step's model FLOPs for
// `crosscheck --model-flops`.
TEST(EstimateCli, ModelFlopsForAStep) {
  const std::string dir = temp_dir();
  const std::string out = dir + "/step.json";
  auto r = flopscope::test::run_cli({"estimate", "--preset", "gpt2-small", "--model-flops-out", out, "--nvtx",
                                     "step0", "--nvtx", "step1/fwd", "--step-tokens", "8192",
                                     "--checkpointing", "selective"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("wrote model FLOPs per NVTX range: " + out), std::string::npos) << r.err;
  const flopscope::ModelFlops m = flopscope::read_model_flops(out);
  ASSERT_EQ(m.ranges.size(), 2u);
  EXPECT_EQ(m.ranges[1].nvtx, "step1/fwd");
  double sum = 0;
  for (const auto& [part, v] : m.ranges[0].by_op) sum += v;
  EXPECT_DOUBLE_EQ(m.ranges[0].flops, sum);
  EXPECT_GT(m.ranges[0].by_op.at("recompute"), 0) << "selective checkpointing re-runs attention";
  EXPECT_NE(m.source.find("8192 tokens per training step"), std::string::npos) << m.source;

  expect_bad_input({"--preset", "gpt2-small", "--model-flops-out", dir + "/a.json"}, "needs --nvtx RANGE");
  expect_bad_input({"--preset", "gpt2-small", "--nvtx", "step0"}, "give --model-flops-out F");
  expect_bad_input({"--preset", "gpt2-small", "--model-flops-out", dir + "/b.json", "--nvtx", "s",
                    "--step-tokens", "-5"},
                   "--step-tokens must be positive");
  expect_bad_input({"--preset", "gpt2-small", "--model-flops-out", dir, "--nvtx", "s"}, "directory");
  expect_bad_input({"--preset", "gpt2-small", "--model-flops-out", dir + "/c.json", "--nvtx", "s", "--nvtx", "s"},
                   "--nvtx s is given twice");
}

// A sliding-window model says so: the header, the W row under the forward,
// the W-capped decode figures, and the model FLOPs file's description.
TEST(EstimateCli, SlidingWindowIsShownWhereItCounts) {
  const auto r = run_cli({"estimate", "--preset", "gemma2-9b", "--gen-tokens", "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s : {"sliding window 4096 on 21 of 42 layers", "sliding window W", "T is min(T, W) in 21 of 42",
                        "KV cache (W-capped)"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  const std::string out = temp_dir() + "/model_flops.json";
  const auto m = run_cli({"estimate", "--preset", "mistral-7b", "--nvtx", "step", "--model-flops-out", out});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(flopscope::read_file(out).find("at most 4096 in the 32 sliding-window layers"), std::string::npos);
  const auto full = run_cli({"estimate", "--preset", "llama3-8b"});
  EXPECT_EQ(full.out.find("sliding window"), std::string::npos) << full.out;
}
