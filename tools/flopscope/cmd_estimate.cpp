// `flopscope estimate (--preset NAME | --config FILE.json) [...]`: the FLOP budget
// of training and serving a transformer, in FLOPs, time, energy and money, at an
// assumed MFU or at the MFU flopscope measured (--from). No GPU needed.
// Conventions: docs/estimate.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/crosscheck.h"  // ModelFlops, serialize_model_flops
#include "flopscope/error.h"
#include "flopscope/estimate.h"
#include "flopscope/peaks.h"
#include "flopscope/precision.h"
#include "flopscope/table.h"
#include "flopscope/views.h"  // terminal_text
#include "load_results.h"

namespace flopscope::cli {
namespace {

using namespace flopscope::estimate;
using json = nlohmann::ordered_json;

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

std::string sci(double v) {
  if (v == 0) return "0";
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";  // no 'e' to split at
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3e", v);  // 3.142e+23 -> 3.142e23
  std::string s = buf;
  const auto e = s.find('e');
  std::string mant = s.substr(0, e), ex = s.substr(e + 1);
  const bool neg = ex[0] == '-';
  ex = ex.substr(1);
  while (ex.size() > 1 && ex[0] == '0') ex.erase(0, 1);
  return mant + "e" + (neg ? "-" : "") + ex;
}

// The first unit whose threshold v reaches: {threshold, divisor, printf
// format of the number, unit}.
struct Unit {
  double at, div;
  const char* fmt;
  const char* unit;
};
std::string scaled(double v, std::initializer_list<Unit> units) {
  for (const Unit& u : units)
    if (v >= u.at || &u == units.end() - 1) {
      // A million of the largest unit reads better in powers of ten
      // (1.564e39 days, not 40 digits of fixed point).
      const double n = v / u.div;
      if (std::fabs(n) >= 1e6) return sci(n) + u.unit;
      char buf[64];  // under a million: a few digits
      std::snprintf(buf, sizeof buf, u.fmt, n);
      return buf + std::string(u.unit);
    }
  return "";
}
std::string count(double v) { return scaled(v, {{1e9, 1e9, "%.3f", "B"}, {1e6, 1e6, "%.2f", "M"}, {0, 1, "%.0f", ""}}); }
std::string bytes(double v) {
  return scaled(v, {{1e9, 1e9, "%.2f", " GB"}, {1e6, 1e6, "%.2f", " MB"}, {1e3, 1e3, "%.1f", " kB"}, {0, 1, "%.0f", " B"}});
}
std::string duration(double s) {
  return scaled(s, {{3 * 86400, 86400, "%.1f", " days"}, {7200, 3600, "%.1f", " h"}, {120, 60, "%.1f", " min"},
                    {0, 1, "%.3g", " s"}});
}

std::string pct(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", f * 100);
  return buf;
}

std::string fixed(double v, int d) { return fmt_fixed(v, d); }

// A number as the user gave it, for an error: 15 significant digits, so a
// value just out of range does not print as the bound it broke.
std::string given(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// An amount of GPU-hours, kWh or money: whole from 100 up, else 3 significant
// digits (a 0.42 kWh run read "0" as a whole number, a 1.50 cost "2").
std::string amount(double v) {
  if (std::fabs(v) >= 1e9) return sci(v);  // as scaled(): digits past a billion are unreadable
  if (std::fabs(v) >= 100) return fixed(v, 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

struct Section {
  std::string title;
  Table t;
  explicit Section(std::string name) : title(std::move(name)) {
    t.add_column("quantity", Align::left);
    t.add_column("value", Align::right);
    t.add_column("basis", Align::left, true);
  }
  void row(std::string q, std::string v, std::string basis = "") {
    t.add_row({std::move(q), std::move(v), std::move(basis)});
  }
};

/// The layers a sliding window applies to: "every layer" or "21 of 42 layers".
std::string windowed_layers_text(const ModelConfig& m) {
  if (m.window_layers == m.layers) return "every layer";
  return std::to_string(m.window_layers) + " of " + std::to_string(m.layers) + " layers";
}

/// --model-flops-out: one training step's model FLOPs, by part, for each --nvtx
/// range, as `crosscheck --model-flops` reads them (docs/estimate.md).
void write_step_model_flops(const EstimateOptions& o, const ModelConfig& model, Checkpointing ckpt) {
  const double tokens = o.o_step.count() ? double(o.step_tokens) : double(model.seq_len);
  const std::map<std::string, double> parts = training_step_flops(model, ckpt, tokens);
  ModelFlops mf;
  mf.source = "flopscope estimate: " + (model.title.empty() ? model.name : model.title) + ", " +
              fixed(tokens, 0) + " tokens per training step, checkpointing " + to_string(ckpt) +
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

int run_estimate(const EstimateOptions& o) {
  if (o.list_presets) {
    if (o.json) {
      json j = json::array();
      for (const auto& p : presets()) {
        const ParamCounts c = count_params(p);
        j.push_back({{"name", p.name}, {"title", p.title}, {"params_total", c.total},
                     {"params_active", c.active}, {"source", p.source}});
      }
      std::cout << j.dump(2) << "\n";
      return kOk;
    }
    Table t;
    t.add_column("preset", Align::left);
    t.add_column("model", Align::left);
    t.add_column("params", Align::right);
    t.add_column("active", Align::right);
    t.add_column("seq_len", Align::right);
    for (const auto& p : presets()) {
      const ParamCounts c = count_params(p);
      t.add_row({p.name, p.title, count(c.total), count(c.active), std::to_string(p.seq_len)});
    }
    std::cout << t.render(stdout_width(kNoWidthLimit), stdout_is_color_tty())
              << "Sources: flopscope estimate --preset NAME --json (model_source)\n";
    return kOk;
  }
  if (o.config.empty() == o.preset.empty())
    throw_bad_input(o.config.empty() ? "give a model: --preset NAME (presets: " + preset_list() +
                                           ") or --config FILE.json"
                                     : "give one model, --preset or --config, not both");
  ModelConfig model = o.preset.empty() ? parse_model_config(read_file(o.config), o.config)
                                       : require_preset(o.preset);

  const auto ckpt = parse_checkpointing(o.checkpointing);
  if (!ckpt)
    throw_bad_input("--checkpointing '" + o.checkpointing + "' is unknown: use none, selective or full");
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
  const Precision prec = precision_for("--dtype", o.dtype);
  const Precision kv_prec = o.kv_dtype.empty() ? prec : precision_for("--kv-dtype", o.kv_dtype);

  // Results first: their GPU is the default --gpu.
  std::optional<ResultsDoc> doc;
  if (!o.from.empty()) doc = load_results(o.from);

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
      throw_bad_input("--peak-tflops must be from 0.001 to 1e6 (TFLOP/s per GPU), got " + given(o.peak_tflops));
    peak.flops_per_s = o.peak_tflops * 1e12;
    peak.source = "--peak-tflops";
  }

  const TokenFlops tf = token_flops(model, *ckpt);
  const ParamCounts pc = count_params(model);
  const ForwardFlops parts = forward_flops_per_token(model, model.seq_len, false);

  std::optional<MeasuredUtilization> measured;
  if (doc) measured = measured_utilization(model, *doc, prec.key(), o.from);

  TrainingInputs ti;
  std::string tokens_source;
  if (o.o_tokens.count()) {
    ti.tokens = o.tokens;
    tokens_source = "--tokens";
  } else if (model.train_tokens > 0) {
    ti.tokens = model.train_tokens;
    tokens_source = "preset: " + model.train_tokens_source;
  }
  if (o.o_tps.count()) ti.tokens_per_second = o.tokens_per_second;
  ti.gpus = o.gpus;
  if (o.o_mfu.count()) ti.mfu = o.mfu;
  if (measured) ti.measured_mfu = measured->mfu;
  if (o.o_price.count()) ti.price_per_gpu_hour = o.price;
  ti.pue = o.pue;
  if (o.o_power.count()) ti.gpu_power_w = o.power_w;
  ti.checkpointing = *ckpt;
  const TrainingEstimate te = estimate_training(model, tf, ti, peak);

  InferenceInputs ii;
  if (o.o_prompt.count() && o.prompt_tokens <= 0)
    throw_bad_input("--prompt-tokens must be positive, got " + std::to_string(o.prompt_tokens));
  if (o.o_context.count() && o.context <= 0)
    throw_bad_input("--context must be positive, got " + std::to_string(o.context));
  ii.prompt_tokens = o.prompt_tokens;
  ii.gen_tokens = o.gen_tokens;
  ii.batch = o.batch;
  ii.context = o.context;
  ii.weight_bytes = dtype_bytes(prec.dtype);
  ii.kv_bytes = dtype_bytes(kv_prec.dtype);
  const InferenceEstimate ie = estimate_inference(model, ii, peak);
  // Only once every input has passed its checks: a refused run writes nothing.
  if (!o.model_flops_out.empty()) write_step_model_flops(o, model, *ckpt);

  const std::string power_source =
      o.o_power.count() ? "--gpu-power-w" : gpu_power_source(peak.gpu_key);

  if (o.json) {
    json j;
    j["schema"] = "flopscope.estimate/1";
    j["model"] = json::parse(to_config_json(model));  // a valid --config as it stands
    j["model_key"] = model.name;
    j["model_source"] = model.source;
    j["model_notes"] = model.notes;
    j["params_total"] = pc.total;
    j["params_non_embedding"] = pc.non_embedding;
    j["params_active"] = pc.active;
    j["params_embedding"] = pc.embedding;
    j["params_lookup"] = pc.lookup;
    if (model.mtp_depth > 0) {  // absent without MTP, so that other models' output is as it was
      j["params_mtp"] = pc.mtp;
      j["params_mtp_active"] = pc.mtp_active;
    }
    j["flops_per_token_forward"] = tf.forward;
    j["flops_per_token_forward_causal"] = tf.forward_causal;
    j["forward_flops_by_part"] = {{"qkv", parts.qkv},           {"attn_out", parts.attn_out},
                                  {"attention", parts.attention}, {"ffn", parts.ffn},
                                  {"router", parts.router},       {"logits", parts.logits}};
    j["flops_per_token_train_6n"] = tf.train_6n;
    j["flops_per_token_train"] = tf.train;
    if (model.mtp_depth > 0) j["flops_per_token_train_mtp"] = tf.train_mtp;
    j["checkpointing"] = to_string(*ckpt);
    j["flops_per_token_hardware"] = tf.hardware;
    j["dtype"] = o.dtype;
    j["peak_key"] = peak.key;
    if (peak.flops_per_s > 0) {
      j["peak_flops_per_s"] = peak.flops_per_s;
      j["peak_source"] = peak.source;
    }
    if (!peak.gpu_key.empty()) j["gpu"] = peak.gpu_key;
    if (peak.dram_bytes_per_s > 0) j["dram_bytes_per_s"] = peak.dram_bytes_per_s;
    j["gpus"] = o.gpus;
    auto put = [&](const char* k, const std::optional<double>& v) {
      if (v) j[k] = *v;
    };
    put("tokens", ti.tokens);
    if (ti.tokens) j["tokens_source"] = tokens_source;
    put("training_flops", te.training_flops);
    put("training_flops_6n", te.training_flops_6n);
    put("training_flops_hardware", te.training_flops_hardware);
    put("training_flops_mtp", te.training_flops_mtp);
    put("mfu_assumed", ti.mfu);
    put("time_to_train_s", te.time_to_train_s);
    if (measured) {
      json m;
      m["file"] = o.from;
      m["device"] = measured->device;
      m["mfu"] = measured->mfu;
      if (measured->gemm_mfu) m["gemm_mfu"] = *measured->gemm_mfu;
      if (measured->attention_mfu) m["attention_mfu"] = *measured->attention_mfu;
      if (measured->ffn_mfu) m["ffn_mfu"] = *measured->ffn_mfu;
      m["runs"] = json::array();
      for (const auto& r : measured->runs)
        m["runs"].push_back({{"id", r.id}, {"part", r.part}, {"shape", r.shape}, {"mfu", r.mfu}});
      m["notes"] = measured->notes;
      j["measured"] = m;
    }
    put("time_to_train_s_measured_mfu", te.time_to_train_s_measured_mfu);
    put("tokens_per_second", ti.tokens_per_second);
    put("mfu", te.mfu);
    put("hfu", te.hfu);
    put("time_at_tokens_per_second_s", te.time_at_tokens_per_second_s);
    if (!te.time_basis.empty()) j["time_basis"] = te.time_basis;
    put("gpu_hours", te.gpu_hours);
    put("gpu_power_w", te.gpu_power_w);
    if (te.gpu_power_w) j["gpu_power_source"] = power_source;
    j["pue"] = o.pue;
    put("energy_kwh", te.energy_kwh);
    put("price_per_gpu_hour", ti.price_per_gpu_hour);
    put("cost", te.cost);
    j["prompt_tokens"] = ie.prompt_tokens;
    j["gen_tokens"] = ie.gen_tokens;
    j["batch"] = ie.batch;
    j["decode_context"] = ie.context;
    j["prefill_flops"] = ie.prefill_flops;
    j["generation_flops"] = ie.generation_flops;
    j["decode_flops_per_token"] = ie.decode_flops_per_token;
    j["decode_bytes_per_token"] = ie.decode_bytes_per_token;
    j["decode_weight_bytes_per_step"] = ie.weight_bytes_per_step;
    j["kv_cache_bytes_per_token"] = ie.kv_bytes_per_token;
    j["kv_cache_bytes"] = ie.kv_cache_bytes;
    j["resident_bytes"] = ie.resident_bytes;
    if (ie.fits_one_gpu) {
      j["gpu_memory_bytes"] = peak.memory_bytes;
      j["fits_one_gpu"] = *ie.fits_one_gpu;
    }
    j["decode_arithmetic_intensity"] = ie.batch1.intensity;
    if (ie.ridge) j["ridge_flops_per_byte"] = *ie.ridge;
    auto point = [&](const DecodePoint& p) {
      json d{{"batch", p.batch}, {"flops", p.flops}, {"bytes", p.bytes},
             {"arithmetic_intensity", p.intensity}};
      if (p.memory_bound) d["memory_bound"] = *p.memory_bound;
      if (p.step_s_roofline) d["step_s_roofline"] = *p.step_s_roofline;
      if (p.tokens_per_s_roofline) d["tokens_per_s_roofline"] = *p.tokens_per_s_roofline;
      return d;
    };
    if (ie.batch1.memory_bound) j["decode_memory_bound"] = *ie.batch1.memory_bound;
    j["decode_batch1"] = point(ie.batch1);
    j["decode_at_batch"] = point(ie.at_batch);
    if (ie.compute_bound_batch) j["decode_compute_bound_batch"] = *ie.compute_bound_batch;
    std::cout << j.dump(2) << "\n";
    return kOk;
  }

  // ---- the table ----
  const bool color = stdout_is_color_tty();
  std::ostringstream os;
  os << terminal_text(model.title.empty() ? model.name : model.title) << ": " << model.layers << " layers, d_model "
     << model.d_model << ", " << model.heads << " heads x ";
  if (is_mla(model))  // query/key = no-position + RoPE part
    os << model.head_dim << "+" << model.qk_rope_head_dim << " (v " << model.v_head_dim << "), latent attention (kv_lora "
       << model.kv_lora_rank << ", q_lora " << (model.q_lora_rank > 0 ? std::to_string(model.q_lora_rank) : "none")
       << "), ";
  else
    os << model.head_dim << " (" << model.kv_heads << " KV), ";
  os << to_string(model.ffn_type) << " FFN " << model.ffn_dim << ", vocab " << model.vocab
     << (model.tied_embeddings ? " (tied)" : "") << ", seq_len " << model.seq_len;
  if (model.experts > 0) {
    os << ", " << model.experts << " experts, top-" << model.active_experts;
    if (model.shared_experts > 0) os << " + " << model.shared_experts << " shared";
    if (model.moe_ffn_dim != model.ffn_dim) os << ", expert FFN " << model.moe_ffn_dim;
    if (model.dense_layers == 1) os << ", first layer dense";
    if (model.dense_layers > 1) os << ", first " << model.dense_layers << " layers dense";
  }
  if (model.mtp_depth > 0) os << ", MTP depth " << model.mtp_depth;
  if (model.sliding_window > 0)
    os << ", sliding window " << model.sliding_window << " on " << windowed_layers_text(model);
  os << "\n";
  if (!model.source.empty()) os << "source: " << model.source << "\n";
  if (!model.notes.empty()) os << "note: " << model.notes << "\n";

  Section p("Parameters");
  p.row("params_total", count(pc.total), fixed(pc.total, 0));
  p.row("params_non_embedding", count(pc.non_embedding), "less token/position embeddings and untied LM head");
  p.row("params_active", count(pc.active), model.experts > 0 ? "per token: top-k experts" : "dense: = total");
  p.row("params_lookup", count(pc.lookup), "read by lookup, no matmul: untied token embedding, learned positions");
  if (model.mtp_depth > 0)
    p.row("params_mtp", count(pc.mtp),
          "not in params_total: " + std::to_string(model.mtp_depth) + " MTP module" +
              (model.mtp_depth > 1 ? "s" : "") + ", " + (model.experts > 0 ? "MoE" : "dense") +
              " layer; active " + count(pc.mtp_active));

  Section f("FLOPs per token");
  const bool mla = is_mla(model);
  f.row("flops_per_token_forward", sci(tf.forward),
        mla ? "matmuls: 2 x weights used + 2*L*H*(qk+v)*T attention"
            : "matmuls: 2 x weights used + 4*L*H*Q*T attention");
  if (model.sliding_window > 0)  // the keys a query sees: T, or min(T, W) in windowed layers
    f.row("  sliding window W", std::to_string(model.sliding_window), "T is min(T, W) in " + windowed_layers_text(model));
  f.row("  causal-exact forward", sci(tf.forward_causal),
        model.sliding_window > 0 ? "attention over the causal keys (inside W where windowed)"
                                 : "attention over (T+1)/2 keys on average");
  f.row("flops_per_token_train_6n", sci(tf.train_6n),
        model.mtp_depth > 0 ? "6 x (params_active + MTP active + LM head again per module)"
                            : "6 x params_active (Chinchilla; Kaplan: 6 x non_embedding)");
  f.row("flops_per_token_train", sci(tf.train),
        mla ? "6N + 6*L*H*(qk+v)*T (PaLM App. B for MLA; N = active - lookup)"
            : "6N + 12*L*H*Q*T (PaLM App. B; N = active - lookup)");
  if (model.mtp_depth > 0)
    f.row("  MTP modules (train)", sci(tf.train_mtp),
          "in the above: 6 x (MTP active + LM head again) + attention");
  f.row("flops_per_token_hardware", sci(tf.hardware),
        std::string("+ recompute, checkpointing ") + to_string(*ckpt));

  Section tr("Training");
  const std::string peak_txt =
      peak.flops_per_s > 0 ? fixed(peak.flops_per_s / 1e12, 1) + " TFLOP/s (" + peak.source + ")"
                           : "none (give --gpu or --peak-tflops)";
  tr.row("peak per GPU", peak.flops_per_s > 0 ? fixed(peak.flops_per_s / 1e12, 1) + " TF" : "-",
         peak_txt);
  tr.row("GPUs", std::to_string(o.gpus));
  if (ti.tokens) {
    tr.row("tokens", sci(*ti.tokens), tokens_source);
    tr.row("training_flops", sci(*te.training_flops), "tokens x flops_per_token_train");
    tr.row("training_flops_6n", sci(*te.training_flops_6n), "tokens x 6N");
    if (te.training_flops_mtp)
      tr.row("training_flops_mtp", sci(*te.training_flops_mtp), "of training_flops: the MTP modules");
    if (*ckpt != Checkpointing::none)
      tr.row("training_flops_hardware", sci(*te.training_flops_hardware), "with recompute");
  } else {
    tr.row("tokens", "-", "give --tokens N for totals and time");
  }
  if (te.time_to_train_s)
    tr.row("time_to_train_s", duration(*te.time_to_train_s),
           "at assumed MFU " + pct(*ti.mfu) + " (--mfu)");
  if (te.time_to_train_s_measured_mfu)
    tr.row("time_to_train_s (measured)", duration(*te.time_to_train_s_measured_mfu),
           "at measured MFU " + pct(measured->mfu) + " (--from)" +
               (*ckpt != Checkpointing::none ? ", recompute included" : ""));
  if (te.mfu) {
    tr.row("mfu (observed)", pct(*te.mfu), fixed(*ti.tokens_per_second, 0) + " tokens/s on " +
                                               std::to_string(o.gpus) + " GPUs");
    tr.row("hfu (observed)", pct(*te.hfu), std::string("checkpointing ") + to_string(*ckpt));
  }
  if (te.time_at_tokens_per_second_s)
    tr.row("time at tokens/s", duration(*te.time_at_tokens_per_second_s), "tokens / tokens_per_second");
  if (te.gpu_hours) tr.row("GPU-hours", amount(*te.gpu_hours), "time basis: " + te.time_basis);
  if (te.energy_kwh)
    tr.row("energy_kwh", amount(*te.energy_kwh),
           fixed(*te.gpu_power_w, 0) + " W/GPU (" + power_source + ") x PUE " + fixed(o.pue, 2));
  else if (te.gpu_hours)
    tr.row("energy_kwh", "-", "give --gpu-power-w W (no default for this GPU)");
  if (te.cost) tr.row("cost", amount(*te.cost), "GPU-hours x " + fixed(*ti.price_per_gpu_hour, 2) + "/GPU-hour");
  // Price, power and PUE need a time: said, not dropped without a word.
  if (!te.gpu_hours && (o.o_price.count() || o.o_power.count() || o.o_pue.count()))
    tr.row("cost, energy_kwh", "-",
           te.training_flops ? "need a time: give --mfu, --from or --tokens-per-second" : "need --tokens N");

  Section inf("Inference");
  inf.row("prefill_flops", sci(ie.prefill_flops),
          std::to_string(ie.batch) + " x " + std::to_string(ie.prompt_tokens) + "-token prompt, causal" +
              (model.mtp_depth > 0 ? "; main model only (MTP modules not run)" : ""));
  if (ie.gen_tokens > 0)
    inf.row("generation_flops", sci(ie.generation_flops),
            "prefill + decode of " + std::to_string(ie.gen_tokens) + " tokens");
  inf.row("decode_flops_per_token", sci(ie.decode_flops_per_token),
          "at context " + std::to_string(ie.context) + (mla ? ", latent cache (absorbed MLA)" : ", KV cache") +
              (model.sliding_window > 0 ? " (W-capped)" : ""));
  inf.row("decode_bytes_per_token", bytes(ie.decode_bytes_per_token),
          "weights " + bytes(ie.weight_bytes_per_step) + " + KV " + bytes(ie.kv_cache_bytes) + " (" +
              bytes(ie.kv_bytes_per_token) + "/token" + (model.sliding_window > 0 ? ", W-capped" : "") + ")");
  {
    // What one GPU would hold: the roofline below is one GPU's either way.
    std::string basis = "weights + " + std::to_string(ie.batch) + " KV cache" + (ie.batch == 1 ? "" : "s");
    if (ie.fits_one_gpu)
      basis += std::string(*ie.fits_one_gpu ? ", fits one " : ", over one ") + peak.gpu_key + " (" +
               fixed(peak.memory_bytes / kGiB, 0) + " GiB = " + bytes(peak.memory_bytes) + ")";
    inf.row("memory resident", bytes(ie.resident_bytes), basis);
    if (ie.fits_one_gpu && !*ie.fits_one_gpu)
      inf.row("GPUs to hold it", fixed(std::ceil(ie.resident_bytes / peak.memory_bytes), 0),
              "at least; not modelled: the roofline below is one GPU's");
  }
  auto bound = [&](const DecodePoint& d) {
    std::string s = "AI " + fixed(d.intensity, 1) + " FLOP/B";
    if (d.memory_bound)
      s += std::string(*d.memory_bound ? ": memory-bound" : ": compute-bound") + " (ridge " +
           amount(*ie.ridge) + "), roofline " + amount(*d.tokens_per_s_roofline) + " tokens/s";
    else
      s += " (give --gpu for the ridge point)";
    return s;
  };
  inf.row("decode, batch 1", fixed(ie.batch1.intensity, 1), bound(ie.batch1));
  if (ie.batch != 1)
    inf.row("decode, batch " + std::to_string(ie.batch), fixed(ie.at_batch.intensity, 1), bound(ie.at_batch));
  if (ie.ridge)
    inf.row("compute-bound from batch",
            ie.compute_bound_batch ? std::to_string(*ie.compute_bound_batch) : "never",
            ie.compute_bound_batch ? "decode at this context" : "KV-cache reads keep it memory-bound");

  for (Section* s : {&p, &f, &tr, &inf})
    os << "\n" << s->title << "\n" << s->t.render(stdout_width(kNoWidthLimit), color);
  if (measured) {
    os << "\nMeasured utilization (--from " << terminal_text(o.from)
       << terminal_text(measured->device.empty() ? "" : ", " + measured->device) << "): " << pct(measured->mfu)
       << " (lifted by attention counted over every key, timed as causal work), FLOP-weighted over";
    const std::pair<const char*, const std::optional<double>*> parts_mfu[] = {
        {" GEMM ", &measured->gemm_mfu}, {", attention ", &measured->attention_mfu},
        {", FFN ", &measured->ffn_mfu}};
    for (const auto& [name, v] : parts_mfu) os << name << (*v ? pct(**v) : "(no run)");
    os << "; matched runs:\n";
    for (const auto& r : measured->runs) os << "  " << r.id << " " << r.shape << ": " << pct(r.mfu) << "\n";
    for (const auto& n : measured->notes) os << "  note: " << n << "\n";
    os << "  Kernel MFU is an upper bound: a training step also spends time in communication, "
          "the optimizer and elementwise kernels.\n";
  }
  std::cout << os.str();
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
