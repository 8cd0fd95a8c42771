// `flopscope estimate (--preset NAME | --config FILE.json) [...]`: the FLOP budget
// of training and serving a transformer, in FLOPs, time, energy and money, at an
// assumed MFU or at the MFU flopscope measured (--from). No GPU needed.
// Conventions: docs/estimate.md.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <tuple>

#include "cli_util.h"
#include "estimate_render.h"
#include "exit_codes.h"
#include "flopscope/crosscheck.h"  // ModelFlops, serialize_model_flops
#include "flopscope/error.h"
#include "flopscope/estimate.h"
#include "flopscope/peaks.h"
#include "flopscope/precision.h"
#include "flopscope/table.h"
#include "load_results.h"

namespace flopscope::cli {
namespace {

using namespace flopscope::estimate;

struct EstimateOptions {
  std::string config, preset, from, gpu, dtype = "bf16", kv_dtype, checkpointing = "none";
  std::string model_flops_out;      // a training step's model FLOPs per NVTX range
  std::vector<std::string> nvtx;    // ... for these ranges
  int64_t step_tokens = 0;
  bool json = false, list_presets = false;
  double tokens = 0, tokens_per_second = 0, peak_tflops = 0, mfu = 0, price = 0, pue = 1.0,
         power_w = 0;
  int64_t gpus = 1, prompt_tokens = 0, gen_tokens = 0, batch = 1, context = 0;
  Option o_tokens, o_tps, o_peak, o_mfu, o_price, o_power, o_pue, o_prompt, o_context, o_step;  // given or not
};

// --dtype: a storage type runs on the pipe training and serving use (tensor
// cores, except fp32 on CUDA cores); a full peak key (bf16_tensor) is taken as is.
Precision precision_for(const std::string& flag, const std::string& s) {
  static const std::pair<const char*, Precision> map[] = {
      {"bf16", {DType::bf16, Pipe::tensor}}, {"fp16", {DType::fp16, Pipe::tensor}},
      {"fp8", {DType::fp8, Pipe::tensor}},   {"tf32", {DType::tf32, Pipe::tensor}},
      {"int8", {DType::int8, Pipe::tensor}}, {"fp32", {DType::fp32, Pipe::cuda_core}},
      {"fp64", {DType::fp64, Pipe::tensor}}};
  for (const auto& [name, p] : map)
    if (s == name) return p;
  if (auto p = parse_precision(s)) return *p;
  throw_bad_input(flag + " '" + s +
                  "' is unknown: use bf16, fp16, fp8, tf32, fp32, fp64, int8, or a peak key "
                  "such as bf16_tensor");
}

/// --model-flops-out: one training step's model FLOPs, by part, for each --nvtx
/// range, as `crosscheck --model-flops` reads them (docs/estimate.md).
void write_step_model_flops(const EstimateOptions& o, const ModelConfig& model, Checkpointing ckpt) {
  const double tokens = o.o_step.count() ? double(o.step_tokens) : double(model.seq_len);
  const std::map<std::string, double> parts = training_step_flops(model, ckpt, tokens);
  ModelFlops mf;
  mf.source = "flopscope estimate: " + (model.title.empty() ? model.name : model.title) + ", " +
              fmt_fixed(tokens, 0) + " tokens per training step, checkpointing " + to_string(ckpt) +
              "; matmuls only, 3 x forward + recompute; attention over every key of seq_len " +
              std::to_string(model.seq_len) +
              (model.sliding_window > 0 ? ", at most " + std::to_string(model.sliding_window) + " in the " +
                                              std::to_string(model.window_layers) + " sliding-window layers"
                                        : std::string()) +
              " (a causal kernel that skips masked blocks does about half)";
  double total = 0;
  for (const auto& [part, v] : parts) total += v;
  for (const std::string& r : o.nvtx) mf.ranges.push_back({r, total, parts});
  write_output(o.model_flops_out, serialize_model_flops(mf), "model FLOPs per NVTX range");
}

// The model, --preset or --config: checked first, then --checkpointing.
ModelConfig load_model(const EstimateOptions& o) {
  if (o.config.empty() == o.preset.empty())
    throw_bad_input(o.config.empty() ? "give a model: --preset NAME (presets: " + preset_list() +
                                           ") or --config FILE.json"
                                     : "give one model, --preset or --config, not both");
  return o.preset.empty() ? parse_model_config(read_file(o.config), o.config) : require_preset(o.preset);
}

Checkpointing checkpointing_option(const EstimateOptions& o) {
  const auto c = parse_checkpointing(o.checkpointing);
  if (!c) throw_bad_input("--checkpointing '" + o.checkpointing + "' is unknown: use none, selective or full");
  return *c;
}

// The checks on the --model-flops-out options and the outputs, after the model's.
void check_estimate_options(const EstimateOptions& o) {
  if (!o.model_flops_out.empty() && o.nvtx.empty())
    throw_bad_input("--model-flops-out needs --nvtx RANGE: the NVTX range of one training step in the profile");
  if (o.model_flops_out.empty() && (!o.nvtx.empty() || o.o_step.count()))
    throw_bad_input("--nvtx and --step-tokens describe the --model-flops-out file: give --model-flops-out F");
  if (o.o_step.count() && o.step_tokens <= 0)
    throw_bad_input("--step-tokens must be positive, got " + std::to_string(o.step_tokens));
  if (o.o_step.count() && o.step_tokens > kMaxTokenCount)
    throw_bad_input("--step-tokens " + std::to_string(o.step_tokens) + " is too large (at most " +
                    std::to_string(kMaxTokenCount) + ")");
  if (o.nvtx.size() > kMaxModelRanges)  // what crosscheck --model-flops reads
    throw_bad_input("--nvtx is given " + std::to_string(o.nvtx.size()) + " times; crosscheck compares at most " +
                    std::to_string(kMaxModelRanges) + " ranges");
  for (const std::string& r : o.nvtx) {
    if (r.empty()) throw_bad_input("--nvtx needs a range path such as step3 or step3/forward");
    if (std::count(o.nvtx.begin(), o.nvtx.end(), r) > 1)  // crosscheck refuses a range listed twice
      throw_bad_input("--nvtx " + r + " is given twice: give each range once");
  }
  check_outputs({o.model_flops_out}, {o.config, o.from});
}

// The peak of one GPU at `prec`: --peak-tflops, else the datasheet of --gpu, or
// of the GPU the --from results were measured on.
Peak resolve_peak(const EstimateOptions& o, const Precision& prec, const std::optional<ResultsDoc>& doc) {
  Peak peak;
  peak.key = prec.key();
  std::string gpu = o.gpu;
  if (gpu.empty() && doc && doc->device && !doc->device->gpu_key.empty() && !o.o_peak.count()) {
    gpu = doc->device->gpu_key;
    // A file from a newer flopscope may name a GPU this one does not know.
    if (!find_gpu_key(gpu))
      throw_bad_input(o.from + " was measured on '" + gpu + "', a GPU this flopscope does not know: give --gpu "
                      "NAME (flopscope specs lists them) or --peak-tflops X");
  }
  if (!gpu.empty()) {
    const GpuSpec& g = require_gpu(gpu);
    peak.gpu_key = g.key;
    const PeakTable t = datasheet_peaks(g);
    peak.dram_bytes_per_s = t.dram_bytes_per_s;
    peak.memory_bytes = g.memory_bytes;
    if (!o.o_peak.count()) {
      auto p = t.dense(prec);
      if (!p)
        throw_bad_input(g.key + " has no " + prec.key() + " peak (flopscope specs --gpu " + g.key +
                        " lists its precisions): choose another --dtype or give --peak-tflops");
      peak.flops_per_s = *p;
      peak.source = g.key + " datasheet, dense " + prec.key();
    }
  }
  if (o.o_peak.count()) {
    // From a GFLOP/s: below it the roofline's figures underflow to 0 ("ridge 0").
    if (!(o.peak_tflops >= 1e-3 && o.peak_tflops <= 1e6))
      throw_bad_input("--peak-tflops must be from 0.001 to 1e6 (TFLOP/s per GPU), got " +
                      fmt_sig(o.peak_tflops, 15));
    peak.flops_per_s = o.peak_tflops * 1e12;
    peak.source = "--peak-tflops";
  }
  return peak;
}

// --tokens, else the model's published count, and which of them it is.
std::pair<std::optional<double>, std::string> training_tokens(const EstimateOptions& o, const ModelConfig& m) {
  if (o.o_tokens.count()) return {o.tokens, "--tokens"};
  if (m.train_tokens > 0) return {m.train_tokens, "preset: " + m.train_tokens_source};
  return {std::nullopt, ""};
}

TrainingInputs training_inputs(const EstimateOptions& o, const EstimateRun& e, std::optional<double> tokens) {
  TrainingInputs ti;
  ti.tokens = tokens;
  if (o.o_tps.count()) ti.tokens_per_second = o.tokens_per_second;
  ti.gpus = o.gpus;
  if (o.o_mfu.count()) ti.mfu = o.mfu;
  if (e.measured) ti.measured_mfu = e.measured->mfu;
  if (o.o_price.count()) ti.price_per_gpu_hour = o.price;
  ti.pue = o.pue;
  if (o.o_power.count()) ti.gpu_power_w = o.power_w;
  ti.checkpointing = e.checkpointing;
  return ti;
}

InferenceInputs inference_inputs(const EstimateOptions& o, const Precision& prec, const Precision& kv_prec) {
  if (o.o_prompt.count() && o.prompt_tokens <= 0)
    throw_bad_input("--prompt-tokens must be positive, got " + std::to_string(o.prompt_tokens));
  if (o.o_context.count() && o.context <= 0)
    throw_bad_input("--context must be positive, got " + std::to_string(o.context));
  InferenceInputs ii;
  ii.prompt_tokens = o.prompt_tokens;
  ii.gen_tokens = o.gen_tokens;
  ii.batch = o.batch;
  ii.context = o.context;
  ii.weight_bytes = dtype_bytes(prec.dtype);
  ii.kv_bytes = dtype_bytes(kv_prec.dtype);
  return ii;
}

int run_estimate(const EstimateOptions& o) {
  if (o.list_presets) {
    std::cout << (o.json ? render_presets_json()
                         : render_presets_table(stdout_width(), stdout_is_color_tty()));
    return kOk;
  }
  EstimateRun e;
  e.model = load_model(o);
  e.checkpointing = checkpointing_option(o);
  check_estimate_options(o);
  e.dtype = o.dtype;
  const Precision prec = precision_for("--dtype", o.dtype);
  const Precision kv_prec = o.kv_dtype.empty() ? prec : precision_for("--kv-dtype", o.kv_dtype);

  // Results first: their GPU is the default --gpu.
  std::optional<ResultsDoc> doc;
  if (!o.from.empty()) doc = load_results(o.from);
  e.peak = resolve_peak(o, prec, doc);

  e.token_flops = token_flops(e.model, e.checkpointing);
  e.params = count_params(e.model);
  e.forward_parts = forward_flops_per_token(e.model, e.model.seq_len, false);
  e.from = o.from;
  if (doc) e.measured = measured_utilization(e.model, *doc, prec.key(), o.from);
  std::optional<double> tokens;
  std::tie(tokens, e.tokens_source) = training_tokens(o, e.model);
  e.training_inputs = training_inputs(o, e, tokens);
  e.training = estimate_training(e.model, e.token_flops, e.training_inputs, e.peak);
  e.inference = estimate_inference(e.model, inference_inputs(o, prec, kv_prec), e.peak);
  // Only once every input has passed its checks: a refused run writes nothing.
  if (!o.model_flops_out.empty()) write_step_model_flops(o, e.model, e.checkpointing);

  e.power_source = o.o_power.count() ? "--gpu-power-w" : gpu_power_source(e.peak.gpu_key);
  e.cost_inputs_given = o.o_price.count() || o.o_power.count() || o.o_pue.count();
  std::cout << (o.json ? render_estimate_json(e)
                       : render_estimate_table(e, stdout_width(), stdout_is_color_tty()));
  return kOk;
}

void add_estimate_command(Command app) {
  auto o = std::make_shared<EstimateOptions>();
  Command sub = app.add_subcommand(
      "estimate", "FLOP budget of training and serving a transformer: FLOPs, time, energy, cost (no GPU needed)");
  Option preset = sub.add_option("--preset", o->preset, "A model preset (--list-presets)").check(not_empty());
  Option config = sub.add_option("--config", o->config, "A model config JSON file (docs/estimate.md)").check(not_empty());
  // Listing reads no model: a model named beside it would be ignored without a word.
  sub.add_flag("--list-presets", o->list_presets, "List the presets and exit").excludes(preset).excludes(config);
  o->o_tokens = sub.add_option("--tokens", o->tokens, "Training tokens (default: the preset's published count)")
                    .check(finite_number());
  o->o_tps = sub.add_option("--tokens-per-second", o->tokens_per_second,
                             "Measured training throughput, all GPUs together: gives the observed MFU")
                    .check(finite_number());
  sub.add_option("--gpus", o->gpus, "GPUs training together (default 1)").transform(positive_integer());
  sub.add_option("--gpu", o->gpu, "GPU from the peak database (flopscope specs), e.g. h100-sxm").check(not_empty());
  o->o_peak = sub.add_option("--peak-tflops", o->peak_tflops, "Peak TFLOP/s per GPU, instead of the database's")
                    .check(finite_number());
  sub.add_option("--dtype", o->dtype, "bf16 (default), fp16, fp8, tf32, fp32, fp64, int8, or a peak key");
  sub.add_option("--kv-dtype", o->kv_dtype, "KV-cache type for decode bytes (default: --dtype)").check(not_empty());
  o->o_mfu = sub.add_option("--mfu", o->mfu, "Assumed MFU, a fraction (0.4 = 40%)")
                    .check(finite_number());
  sub.add_option("--checkpointing", o->checkpointing, "none (default), selective or full");
  o->o_price = sub.add_option("--price-per-gpu-hour", o->price, "Price of one GPU-hour: gives the cost")
                    .check(finite_number());
  o->o_pue = sub.add_option("--pue", o->pue, "Power usage effectiveness of the facility (default 1.0: GPUs only)")
                    .check(finite_number());
  o->o_power = sub.add_option("--gpu-power-w", o->power_w, "Average power per GPU in W (default: the GPU's max TDP)")
                    .check(finite_number());
  sub.add_option("--from", o->from, "A results file: use the MFU flopscope measured for the model's kernels").check(not_empty());
  o->o_prompt = sub.add_option("--prompt-tokens", o->prompt_tokens, "Prompt length for prefill (default: seq_len; learned positions: seq_len - max(gen tokens - 1, 0))")
                    .transform(integer());
  sub.add_option("--gen-tokens", o->gen_tokens, "Tokens generated after the prompt (default 0)").transform(integer());
  sub.add_option("--batch", o->batch, "Sequences decoded together (default 1)").transform(integer());
  o->o_context = sub.add_option("--context", o->context, "Keys a decode step attends to in full-attention layers, the new token included (default: prompt + generated)")
                     .transform(integer());
  sub.add_flag("--json", o->json, "Print JSON (keys in docs/estimate.md)");
  sub.add_option("--model-flops-out", o->model_flops_out,
                  "Write one training step's model FLOPs per --nvtx range, for 'flopscope crosscheck PROFILE "
                  "--model-flops F'").check(not_empty());
  sub.add_option("--nvtx", o->nvtx, "With --model-flops-out: the NVTX range of one training step (repeatable)").check(not_empty());
  o->o_step = sub.add_option("--step-tokens", o->step_tokens,
                              "With --model-flops-out: tokens per training step, batch x seq_len (default seq_len)")
                  .transform(integer());
  set_action(sub, [o, sub]() {
    // Listing estimates nothing: any option but --json would be ignored without a word
    // (a --model-flops-out file never written, a bad --gpu never checked).
    if (o->list_presets)
      for (const std::string& name : sub.given_options())
        if (name != "--list-presets" && name != "--json")
          throw_bad_input("--list-presets takes no option but --json, got " + name +
                          ": list the presets alone, then estimate with --preset");
    return run_estimate(*o);
  });
}

}  // namespace

static const bool registered = register_command(70, add_estimate_command);

}  // namespace flopscope::cli
