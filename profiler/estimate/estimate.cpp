// FLOPs per token, training totals, time / energy / cost, the inference budget,
// and the measured utilization taken from a results file. Conventions and
// sources: docs/estimate.md.
#include "flopscope/estimate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "flopscope/error.h"
#include "flopscope/roofline.h"
#include "flopscope/table.h"  // fmt_sig

namespace flopscope::estimate {

namespace {

// The FFN GEMMs of one FFN (or expert) of hidden size `hidden` on `tokens`
// tokens, from the project's FFN model.
double ffn_matmul_flops(const ModelConfig& m, int64_t hidden, int64_t tokens) {
  const Cost c = ffn_cost({tokens, m.d_model, hidden, m.ffn_type}, /*fused=*/true, 2);
  return c.flops_by_part.at("matmul");
}

// The FFN GEMMs of all layers on `tokens` tokens: a dense model's FFN in every
// layer; else the dense first layers' FFN, and in each MoE layer the routed
// experts a token uses plus the shared ones.
double all_ffn_flops(const ModelConfig& m, int64_t tokens) {
  if (m.experts == 0) return double(m.layers) * ffn_matmul_flops(m, m.ffn_dim, tokens);
  const double per_token_experts = double(m.active_experts + m.shared_experts);
  const double moe = double(moe_layers(m)) * per_token_experts * ffn_matmul_flops(m, m.moe_ffn_dim, tokens);
  if (m.dense_layers == 0) return moe;
  return double(m.dense_layers) * ffn_matmul_flops(m, m.ffn_dim, tokens) + moe;
}

// Keys one head's queries attend to over a sequence of T, summed: causal
// (query i sees keys 0..i) or every query all T keys, and at most `window`
// each under sliding-window attention (window > 0).
double attended_keys(int64_t T, bool causal, int64_t window) {
  const double t = double(T);
  const double w = window > 0 && window < T ? double(window) : t;  // a window of T or more is none
  if (!causal) return t * w;
  return w * (w + 1) / 2 + (t - w) * w;
}

// One query's keys at a context of n: n, or the window when it is shorter (window > 0).
double capped_keys(double n, int64_t window) { return window > 0 ? std::min(n, double(window)) : n; }

// A per-layer figure summed over the layers: `full` in each full-attention
// layer, `windowed` in each sliding-window one (window_layers is 0 without a window).
double over_layers(const ModelConfig& m, double full, double windowed) {
  const double w = double(m.window_layers);
  return (double(m.layers) - w) * full + w * windowed;
}

// QKᵀ and PV of every layer: `full_keys` attended keys in a full-attention
// layer, `window_keys` in a sliding-window one; 2·qk + 2·v FLOPs per head and
// key (MLA's query/key heads (qk) and value heads (v) differ in size).
double layers_attention_flops(const ModelConfig& m, double full_keys, double window_keys, int64_t qk_dim,
                              int64_t v_dim) {
  return 2.0 * double(m.heads) * double(qk_dim + v_dim) * over_layers(m, full_keys, window_keys);
}

// The sum of capped_keys(n, window) over n = a..b (1 <= a <= b): a query's
// keys over consecutive decode steps.
double capped_key_sum(double a, double b, int64_t window) {
  const double w = double(window);
  if (window <= 0 || b <= w) return (a + b) * (b - a + 1) / 2;
  if (a > w) return (b - a + 1) * w;
  return (a + w) * (w - a + 1) / 2 + (b - w) * w;
}

// Whether an MTP module's block (one layer of the last layer's kind) uses the
// window: when every layer of the main model does.
bool every_layer_windowed(const ModelConfig& m) { return m.sliding_window > 0 && m.window_layers == m.layers; }

// The head sizes a decode step's attention multiplies by, per key. MHA/GQA/MQA:
// head_dim for both. MLA in the absorbed form (DeepSeek-V2 Sections 2.1.2-2.1.3):
// scores against the cached latent and RoPE key (kv_lora_rank +
// qk_rope_head_dim), values read from the latent (kv_lora_rank).
std::pair<int64_t, int64_t> decode_head_dims(const ModelConfig& m) {
  if (!is_mla(m)) return {m.head_dim, m.head_dim};
  return {m.kv_lora_rank + m.qk_rope_head_dim, m.kv_lora_rank};
}

// The same in the form training and prefill use: keys and values up-projected.
std::pair<int64_t, int64_t> forward_head_dims(const ModelConfig& m) {
  return {qk_head_dim(m), is_mla(m) ? m.v_head_dim : m.head_dim};
}

}  // namespace

const char* to_string(Checkpointing c) {
  switch (c) {
    case Checkpointing::none: return "none";
    case Checkpointing::selective: return "selective";
    case Checkpointing::full: return "full";
  }
  return "none";
}

std::optional<Checkpointing> parse_checkpointing(std::string_view s) {
  if (s == "none") return Checkpointing::none;
  if (s == "selective") return Checkpointing::selective;
  if (s == "full") return Checkpointing::full;
  return std::nullopt;
}

ForwardFlops forward_flops_per_token(const ModelConfig& m, int64_t seq_len, bool causal) {
  require_positive("seq_len", seq_len);
  const int64_t T = seq_len;
  const double L = double(m.layers), t = double(T);
  ForwardFlops f;
  for (const Projection& w : attention_in_projections(m))
    f.qkv += L * gemm_cost({T, w.out, w.in}, 2, 2).flops / t;
  const Projection out = attention_out_projection(m);
  f.attn_out = L * gemm_cost({T, out.out, out.in}, 2, 2).flops / t;
  const auto [qk_dim, v_dim] = forward_head_dims(m);
  f.attention = layers_attention_flops(m, attended_keys(T, causal, 0), attended_keys(T, causal, m.sliding_window),
                                       qk_dim, v_dim) / t;
  f.ffn = all_ffn_flops(m, T) / t;
  f.router = m.experts > 0 ? double(moe_layers(m)) * gemm_cost({T, m.experts, m.d_model}, 2, 2).flops / t : 0.0;
  f.logits = gemm_cost({T, m.vocab, m.d_model}, 2, 2).flops / t;
  return f;
}

MtpForwardFlops mtp_forward_flops_per_token(const ModelConfig& m, int64_t seq_len, bool causal) {
  require_positive("seq_len", seq_len);
  MtpForwardFlops f;
  if (m.mtp_depth <= 0) return f;
  // Each module's block is one layer of the last layer's kind (an MoE layer when
  // the model has experts), and its logits the shared LM head's: a one-layer
  // model of that kind gives both. Counted over all T positions, as the main
  // model's; module k runs on T - k (DeepSeek-V3 Eq. 22), k/T less.
  ModelConfig block = m;
  block.layers = 1;
  block.dense_layers = 0;
  block.mtp_depth = 0;
  block.window_layers = every_layer_windowed(m) ? 1 : 0;
  const ForwardFlops one = forward_flops_per_token(block, seq_len, causal);
  const double D = double(m.mtp_depth), t = double(seq_len);
  f.block = {D * one.qkv, D * one.attn_out, D * one.attention, D * one.ffn, D * one.router, D * one.logits};
  f.projection = D * gemm_cost({seq_len, m.d_model, 2 * m.d_model}, 2, 2).flops / t;
  return f;
}

TokenFlops token_flops(const ModelConfig& m, Checkpointing c) {
  const ForwardFlops fwd = forward_flops_per_token(m, m.seq_len, false);
  const ForwardFlops fwd_causal = forward_flops_per_token(m, m.seq_len, true);
  const MtpForwardFlops mtp = mtp_forward_flops_per_token(m, m.seq_len, false);
  const ParamCounts p = count_params(m);
  TokenFlops t;
  t.forward = fwd.total();
  t.forward_causal = fwd_causal.total();
  t.train_6n = 6.0 * p.active;
  // PaLM Appendix B: 6N + 12·L·H·Q·T, H query heads, Q head size, T sequence
  // length (every query sees all T keys). N is the parameters a token's matmuls
  // use: a lookup table does no matmul (PaLM's table is tied, so it counts as
  // the LM head), which keeps MFU's numerator at 3 x the forward's matmuls.
  // 12·Q is 3 x (2·Q for QKᵀ + 2·Q for PV): with MLA's query/key size qk and
  // value size v the term is 6·L·H·(qk + v)·T, the same 3 x forward.
  const auto [qk_dim, v_dim] = forward_head_dims(m);
  const double per_key = 6.0 * double(m.heads) * double(qk_dim + v_dim);  // per layer and key a query sees
  // Sliding-window layers: every query sees the window's keys, not all T.
  const double T = double(m.seq_len), window_keys = capped_keys(T, m.sliding_window);
  t.train = 6.0 * (p.active - p.lookup) + per_key * over_layers(m, T, window_keys);
  if (m.mtp_depth > 0) {
    // Multi-token prediction, the same convention per module: 6 x the weights a
    // token's matmuls use (its projection and block, and the shared LM head once
    // more: V·d), and the block's attention term. The shared embedding is a lookup.
    const double D = double(m.mtp_depth);
    const double head = double(m.vocab) * double(m.d_model);
    t.train_mtp = 6.0 * (p.mtp_active + D * head) + per_key * D * (every_layer_windowed(m) ? window_keys : T);
    t.train += t.train_mtp;
    t.train_6n += 6.0 * (p.mtp_active + D * head);
  }
  // The attention terms are 3 x the forward's: take the masked scores off them.
  const double masked =
      (fwd.attention - fwd_causal.attention) +
      (mtp.block.attention - mtp_forward_flops_per_token(m, m.seq_len, true).block.attention);
  t.train_causal = t.train - 3.0 * masked;
  switch (c) {
    case Checkpointing::none: t.recompute = 0; break;
    // Korthikanti et al. 2022 recompute the core attention (QKᵀ, softmax,
    // dropout, attention over V): its matmuls once more.
    case Checkpointing::selective: t.recompute = fwd.attention + mtp.block.attention; break;
    // One more forward of every transformer layer (the MTP modules' too); the
    // LM head is not re-run.
    case Checkpointing::full: t.recompute = fwd.total() - fwd.logits + (mtp.total() - mtp.block.logits); break;
  }
  t.hardware = t.train + t.recompute;
  return t;
}

std::map<std::string, double> training_step_flops(const ModelConfig& m, Checkpointing c, double step_tokens) {
  const ForwardFlops f = forward_flops_per_token(m, m.seq_len, false);
  const double mtp = mtp_forward_flops_per_token(m, m.seq_len, false).total();
  const std::pair<const char*, double> parts[] = {
      {"qkv", 3 * f.qkv},  {"attn_out", 3 * f.attn_out}, {"attention", 3 * f.attention},
      {"ffn", 3 * f.ffn},  {"router", 3 * f.router},     {"logits", 3 * f.logits},
      {"mtp", 3 * mtp},    {"recompute", token_flops(m, c).recompute}};
  std::map<std::string, double> out;
  for (const auto& [name, per_token] : parts)
    if (per_token > 0) out[name] = per_token * step_tokens;
  return out;
}

// ---- training -----------------------------------------------------------------------

namespace {

/// Each GPU's default board power for the energy estimate, with its source.
/// The GH200s have none: their 450-1000 W covers the whole superchip, CPU included.
struct GpuPower {
  std::string_view key;
  double watts;
  const char* source;
};
constexpr GpuPower kGpuPower[] = {
    {"a100-sxm", 400, "A100 80GB SXM datasheet: max TDP 400 W"},
    {"a100-pcie", 300, "A100 80GB PCIe datasheet: max TDP 300 W"},
    {"a100-sxm-40gb", 400, "A100 40GB SXM datasheet: max TDP 400 W"},
    {"a100-pcie-40gb", 250, "A100 40GB PCIe datasheet: max TDP 250 W"},
    {"h100-sxm", 700, "H100 SXM datasheet: max TDP up to 700 W (configurable)"},
    {"h100-pcie", 350, "H100 PCIe product brief: max TDP 350 W"},
    {"h100-nvl", 400, "H100 NVL datasheet: max TDP 350-400 W (configurable)"},
    {"h200", 700, "H200 SXM datasheet: max TDP up to 700 W (configurable)"},
    {"l4", 72, "L4 datasheet: max power 72 W"},
    {"a40", 300, "A40 datasheet: max power 300 W"},
    {"l40", 300, "L40 datasheet: max power 300 W"},
    {"l40s", 350, "L40S datasheet: max power 350 W"},
    {"rtx4090", 450, "GeForce RTX 4090 specifications: total graphics power 450 W"},
    {"b200", 1000, "HGX B200 datasheet: up to 1000 W per GPU"},
};

const GpuPower* gpu_power(std::string_view key) {
  for (const GpuPower& p : kGpuPower)
    if (p.key == key) return &p;
  return nullptr;
}

}  // namespace

std::optional<double> default_gpu_power_w(std::string_view k) {
  const GpuPower* p = gpu_power(k);
  return p ? std::optional<double>(p->watts) : std::nullopt;
}

std::string gpu_power_source(std::string_view k) {
  const GpuPower* p = gpu_power(k);
  return p ? p->source : "";
}

namespace {
// Every training input finite and in range, and a peak where one is needed.
void check_training_inputs(const TrainingInputs& in, const Peak& peak) {
  if (in.gpus <= 0) throw_bad_input("--gpus must be at least 1, got " + std::to_string(in.gpus));
  if (in.tokens && !(*in.tokens > 0 && std::isfinite(*in.tokens)))
    throw_bad_input("--tokens must be positive and finite, got " + fmt_sig(*in.tokens, 6));
  if (in.tokens_per_second && !(*in.tokens_per_second > 0 && std::isfinite(*in.tokens_per_second)))
    throw_bad_input("--tokens-per-second must be positive and finite, got " +
                    fmt_sig(*in.tokens_per_second, 6));
  if (in.mfu && !(*in.mfu > 0 && *in.mfu <= 1))
    throw_bad_input("--mfu must be a fraction in (0, 1] (0.4 = 40%), got " + fmt_sig(*in.mfu, 6));
  // Each matched run may read up to 125% (a clock above the datasheet's), and
  // attention counted over every key but timed as the causal work lifts the
  // combination (past each part where attention is large): past 100% the
  // runs' figures are not plausible.
  if (in.measured_mfu && !(*in.measured_mfu > 0 && *in.measured_mfu <= 1))
    throw_bad_input(
        "--from: the matched runs combine to a measured MFU of " + fmt_sig(*in.measured_mfu * 100, 6) +
        "% for this model, over 100% (attention counts every key while a causal kernel does about half "
        "that work, which lifts the combination, past each run's own MFU where attention is large): check "
        "those runs' MFU and the peaks they were taken against");
  if (!(in.pue >= 1.0 && std::isfinite(in.pue)))
    throw_bad_input("--pue must be at least 1 (facility energy / IT energy), got " + fmt_sig(in.pue, 6));
  if (in.price_per_gpu_hour && !(*in.price_per_gpu_hour >= 0 && std::isfinite(*in.price_per_gpu_hour)))
    throw_bad_input("--price-per-gpu-hour must be finite and not negative, got " +
                    fmt_sig(*in.price_per_gpu_hour, 6));
  if (in.gpu_power_w && !(*in.gpu_power_w > 0 && std::isfinite(*in.gpu_power_w)))
    throw_bad_input("--gpu-power-w must be positive and finite, got " + fmt_sig(*in.gpu_power_w, 6));
  const bool needs_peak = in.mfu || in.measured_mfu || in.tokens_per_second;
  if (needs_peak && !(peak.flops_per_s > 0))
    throw_bad_input(std::string(in.tokens_per_second ? "--tokens-per-second" : in.mfu ? "--mfu" : "--from") +
                    " needs a peak: give --gpu NAME (flopscope specs lists them) or --peak-tflops X");
}

// MFU and HFU of an observed throughput on `cluster` FLOP/s; above 100% the
// throughput, the peak or --checkpointing is wrong.
void utilization_of_throughput(TrainingEstimate& e, const TrainingInputs& in, const TokenFlops& f,
                               double cluster) {
  e.mfu = *in.tokens_per_second * f.train / cluster;
  e.hfu = *in.tokens_per_second * f.hardware / cluster;
  if (*e.mfu > 1.0)
    throw_bad_input("--tokens-per-second " + fmt_sig(*in.tokens_per_second, 6) + " implies MFU " +
                    fmt_sig(*e.mfu * 100, 6) + "% of " + fmt_sig(cluster / 1e12, 6) +
                    " TFLOP/s: give the total over all --gpus, and check the GPU and --dtype");
  // The hardware FLOPs (recompute included) run on the same GPUs.
  if (*e.hfu > 1.0)
    throw_bad_input("--tokens-per-second " + fmt_sig(*in.tokens_per_second, 6) + " implies HFU " +
                    fmt_sig(*e.hfu * 100, 6) + "% of " + fmt_sig(cluster / 1e12, 6) +
                    " TFLOP/s with --checkpointing " + to_string(in.checkpointing) +
                    ": give the total over all --gpus, and check the GPU, --dtype and --checkpointing");
}

// The time the cost and energy are taken over: --mfu's, else the measured
// MFU's, else the observed throughput's.
void choose_time_basis(TrainingEstimate& e) {
  if (e.time_to_train_s) {
    e.time_s = e.time_to_train_s;
    e.time_basis = "mfu";
  } else if (e.time_to_train_s_measured_mfu) {
    e.time_s = e.time_to_train_s_measured_mfu;
    e.time_basis = "measured_mfu";
  } else if (e.time_at_tokens_per_second_s) {
    e.time_s = e.time_at_tokens_per_second_s;
    e.time_basis = "tokens_per_second";
  }
}

// Each input is finite, but their products may not be (--tokens 1e300).
void check_finite(const TrainingEstimate& e) {
  for (const auto& [name, v] : {std::pair{"training_flops", e.training_flops},
                                {"training_flops_6n", e.training_flops_6n},
                                {"training_flops_hardware", e.training_flops_hardware},
                                {"time_to_train_s", e.time_to_train_s},
                                {"time_to_train_s_measured_mfu", e.time_to_train_s_measured_mfu},
                                {"time_at_tokens_per_second_s", e.time_at_tokens_per_second_s},
                                {"gpu_hours", e.gpu_hours}, {"cost", e.cost}, {"energy_kwh", e.energy_kwh}})
    if (v && !std::isfinite(*v))
      throw_bad_input(std::string("the estimate's ") + name +
                      " overflows: an input is far out of range (check --tokens, --mfu, "
                      "--tokens-per-second, --peak-tflops, --gpus, --price-per-gpu-hour, "
                      "--gpu-power-w, --pue)");
}
}  // namespace

TrainingEstimate estimate_training(const ModelConfig& m, const TokenFlops& f, const TrainingInputs& in,
                                   const Peak& peak) {
  (void)m;
  check_training_inputs(in, peak);
  TrainingEstimate e;
  const double cluster = double(in.gpus) * peak.flops_per_s;
  if (in.tokens) {
    e.training_flops = *in.tokens * f.train;
    e.training_flops_6n = *in.tokens * f.train_6n;
    e.training_flops_hardware = *in.tokens * f.hardware;
    if (f.train_mtp > 0) e.training_flops_mtp = *in.tokens * f.train_mtp;
    if (in.mfu) e.time_to_train_s = *e.training_flops / (cluster * *in.mfu);
    // The measured figure is the kernels' own rate: it runs every FLOP the GPUs
    // execute, recompute included (--mfu is over model FLOPs by definition).
    if (in.measured_mfu)
      e.time_to_train_s_measured_mfu = *e.training_flops_hardware / (cluster * *in.measured_mfu);
    if (in.tokens_per_second) e.time_at_tokens_per_second_s = *in.tokens / *in.tokens_per_second;
  }
  if (in.tokens_per_second) utilization_of_throughput(e, in, f, cluster);
  choose_time_basis(e);
  e.gpu_power_w = in.gpu_power_w ? in.gpu_power_w : default_gpu_power_w(peak.gpu_key);
  if (e.time_s) {
    e.gpu_hours = double(in.gpus) * *e.time_s / 3600.0;
    if (in.price_per_gpu_hour) e.cost = *e.gpu_hours * *in.price_per_gpu_hour;
    if (e.gpu_power_w) e.energy_kwh = *e.gpu_power_w * *e.gpu_hours * in.pue / 1000.0;
  }
  check_finite(e);
  return e;
}

// ---- inference --------------------------------------------------------------------------

double decode_weight_params(const ModelConfig& m, int64_t batch) {
  require_positive("batch", batch);
  const ParamCounts p = count_params(m);
  // The token embedding is a lookup of `batch` rows; an untied table is not read
  // as a whole. A tied one is read in full as the LM head, so it stays.
  double w = p.total - p.lookup;
  if (m.experts > 0) {  // shared experts and dense layers are always read
    const double e = double(m.experts), k = double(m.active_experts);
    const double touched = e * (1.0 - std::pow(1.0 - k / e, double(batch)));
    w -= double(moe_layers(m)) * (e - touched) * p.ffn_expert;
  }
  return w;
}

namespace {

// The prompt, generation, batch and context of `in`, with their defaults,
// each checked against the model (a learned position table ends at seq_len)
// and against the others (a decode step attends the whole prompt).
void set_token_counts(InferenceEstimate& r, const ModelConfig& m, const InferenceInputs& in) {
  // Generating G tokens feeds tokens 1..G-1 back (token G is never fed), so a
  // generation holds P + G - 1 positions. By default the prompt fills the
  // training context; with learned positions, all but what the generation feeds.
  const int64_t fed_back = std::max<int64_t>(in.gen_tokens - 1, 0);
  r.prompt_tokens = in.prompt_tokens > 0    ? in.prompt_tokens
                    : m.learned_positions ? std::max<int64_t>(1, m.seq_len - fed_back)
                                          : m.seq_len;
  r.gen_tokens = in.gen_tokens;
  r.batch = in.batch;
  // 0 means "the default" here; the CLI, which knows whether an option was
  // given, refuses a given 0 before this (cmd_estimate.cpp's inference_inputs).
  if (in.prompt_tokens < 0)
    throw_bad_input("--prompt-tokens must be positive, got " + std::to_string(in.prompt_tokens));
  if (in.gen_tokens < 0)
    throw_bad_input("--gen-tokens must not be negative, got " + std::to_string(in.gen_tokens));
  if (in.batch <= 0) throw_bad_input("--batch must be at least 1, got " + std::to_string(in.batch));
  if (in.context < 0) throw_bad_input("--context must be positive, got " + std::to_string(in.context));
  for (const auto& [flag, v] : {std::pair{"--prompt-tokens", in.prompt_tokens}, {"--gen-tokens", in.gen_tokens},
                                {"--batch", in.batch}, {"--context", in.context}})
    if (v > kMaxTokenCount)
      throw_bad_input(std::string(flag) + " " + std::to_string(v) + " is too large (at most " +
                      std::to_string(kMaxTokenCount) + ")");
  // A learned position table has seq_len rows: no token can sit past them
  // (rotary models can, with scaling, so they are left to the user).
  if (m.learned_positions) {
    const std::string table =
        m.name + "'s learned position table (seq_len " + std::to_string(m.seq_len) + " positions)";
    if (const int64_t held = r.prompt_tokens + fed_back; held > m.seq_len)
      throw_bad_input("a " + std::to_string(r.prompt_tokens) + "-token prompt" +
                      (r.gen_tokens > 0 ? " and " + std::to_string(r.gen_tokens) +
                                              " generated tokens hold " + std::to_string(held) +
                                              " positions (prompt + generated - 1)"
                                        : " holds " + std::to_string(held) + " positions") +
                      ", past " + table + ": give at most that many");
    if (in.context > m.seq_len)
      throw_bad_input("--context " + std::to_string(in.context) + " is past " + table + ": give at most " +
                      std::to_string(m.seq_len));
  }
  // The step after the generation (it feeds token G); with learned positions,
  // where that step has no position, the generation's last step.
  r.context = in.context > 0          ? in.context
              : m.learned_positions ? std::min(r.prompt_tokens + r.gen_tokens, m.seq_len)
                                    : r.prompt_tokens + r.gen_tokens;
  // A decode step comes after the prompt's prefill: it attends the prompt at
  // least. Shorter, its memory and decode figures contradict the prefill's.
  if (in.context > 0 && in.context < r.prompt_tokens)
    throw_bad_input("--context " + std::to_string(in.context) + " is shorter than the " +
                    std::to_string(r.prompt_tokens) + "-token prompt" +
                    (in.prompt_tokens > 0 ? "" : m.learned_positions ? " (by default seq_len less the tokens fed back)"
                                                                      : " (by default seq_len)") +
                    ": a decode step after its prefill attends at least that many keys; give a longer --context "
                    "or a shorter --prompt-tokens");
}

// Prefill, one decode step at the context, and the whole generation, in FLOPs.
void set_inference_flops(InferenceEstimate& r, const ModelConfig& m) {
  const double P = double(r.prompt_tokens), B = double(r.batch);
  const ForwardFlops per = forward_flops_per_token(m, r.prompt_tokens, true);
  const double linear = per.qkv + per.attn_out + per.ffn + per.router;  // per token
  // Prefill: every prompt token through the layers, causal attention over the
  // prompt, and the LM head at the last position only (it yields the first token).
  r.prefill_flops = B * (P * (linear + per.attention) + per.logits);

  // A decode step: one new query against `keys` (the context's) cached keys. MLA is counted in
  // the absorbed form its latent cache implies (decode_head_dims); its
  // projections cost the same per token in either form.
  const auto [qk_dim, v_dim] = decode_head_dims(m);
  const double keys = double(r.context);
  r.decode_flops_per_token = linear + per.logits +
                             layers_attention_flops(m, keys, capped_keys(keys, m.sliding_window), qk_dim, v_dim);
  // Tokens 2..G each take one decode step over the prompt and the tokens so far.
  double gen = 0;
  if (r.gen_tokens > 1) {
    const double g = double(r.gen_tokens - 1);
    // Over steps j = 1..G-1, the P + j keys (full layers) or min(P + j, window).
    gen = g * (linear + per.logits) + layers_attention_flops(m, capped_key_sum(P + 1, P + g, 0),
                                                             capped_key_sum(P + 1, P + g, m.sliding_window),
                                                             qk_dim, v_dim);
  }
  r.generation_flops = r.prefill_flops + B * gen;
}

// The KV cache, the weights a decode step reads, and what serving keeps resident.
void set_inference_bytes(InferenceEstimate& r, const ModelConfig& m, const InferenceInputs& in,
                         const Peak& peak) {
  const double L = double(m.layers), B = double(r.batch);
  // MLA caches one latent and one RoPE key per token and layer, shared by all
  // heads (DeepSeek-V2 Section 2.1); MHA/GQA/MQA a K and a V per K/V head.
  const double cached_values = is_mla(m) ? double(m.kv_lora_rank + m.qk_rope_head_dim)
                                         : 2.0 * double(m.kv_heads) * double(m.head_dim);
  r.kv_bytes_per_token = L * cached_values * in.kv_bytes;
  // A sliding-window layer keeps the last `window` tokens (Mistral's rolling buffer).
  const double ctx = double(r.context);
  r.kv_cache_bytes = cached_values * in.kv_bytes * over_layers(m, ctx, capped_keys(ctx, m.sliding_window));
  r.weight_bytes_per_step = decode_weight_params(m, 1) * in.weight_bytes;
  r.decode_bytes_per_token = r.weight_bytes_per_step + r.kv_cache_bytes;
  r.resident_bytes = double(count_params(m).total) * in.weight_bytes + B * r.kv_cache_bytes;
  if (peak.memory_bytes > 0) r.fits_one_gpu = r.resident_bytes <= peak.memory_bytes;
}

// One decode step of `b` sequences at the context, on the roofline when the
// peak and the bandwidth are known (r.ridge set). Reads the FLOPs and the KV
// cache `r` already holds: estimate_inference sets them first.
DecodePoint decode_point(const InferenceEstimate& r, const ModelConfig& m, const InferenceInputs& in,
                         const Peak& peak, int64_t b) {
  DecodePoint p;
  p.batch = b;
  p.flops = double(b) * r.decode_flops_per_token;
  p.bytes = decode_weight_params(m, b) * in.weight_bytes + double(b) * r.kv_cache_bytes;
  p.intensity = p.flops / p.bytes;
  if (r.ridge) {
    p.memory_bound = classify(p.intensity, *r.ridge) == Bound::memory;
    p.step_s_roofline = std::max(p.flops / peak.flops_per_s, p.bytes / peak.dram_bytes_per_s);
    p.tokens_per_s_roofline = double(b) / *p.step_s_roofline;
  }
  return p;
}

// The smallest batch whose decode step reaches the ridge, if any does.
// Intensity grows with the batch (weights are shared, KV caches are not).
// Searched as far as --batch may go: a shorter search once said "never"
// above a --batch row that was compute-bound.
std::optional<int64_t> compute_bound_batch(const InferenceEstimate& r, const ModelConfig& m,
                                           const InferenceInputs& in, const Peak& peak) {
  auto reaches = [&](int64_t b) { return decode_point(r, m, in, peak, b).intensity >= *r.ridge; };
  constexpr int64_t kMaxBatch = kMaxTokenCount;
  int64_t hi = 1;
  while (hi < kMaxBatch && !reaches(hi)) hi *= 2;
  if (!reaches(hi)) return std::nullopt;
  int64_t lo = hi / 2;  // intensity(lo) < ridge, or lo == 0
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (reaches(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

InferenceEstimate estimate_inference(const ModelConfig& m, const InferenceInputs& in,
                                     const Peak& peak) {
  InferenceEstimate r;
  set_token_counts(r, m, in);
  set_inference_flops(r, m);
  set_inference_bytes(r, m, in, peak);
  if (peak.flops_per_s > 0 && peak.dram_bytes_per_s > 0)
    r.ridge = ridge_point(peak.flops_per_s, peak.dram_bytes_per_s);
  r.batch1 = decode_point(r, m, in, peak, 1);
  r.at_batch = decode_point(r, m, in, peak, r.batch);
  if (r.ridge) r.compute_bound_batch = compute_bound_batch(r, m, in, peak);
  return r;
}

// ---- measured utilization ------------------------------------------------------------------

namespace {

bool near(double x, double target) { return x >= target / 2.0 && x <= target * 2.0; }

constexpr double kMaxMeasuredMfu = 1.25;

std::optional<int64_t> get_any(const Shape& s, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (auto v = shape_get(s, k)) return v;
  return std::nullopt;
}

}  // namespace

namespace {
// The model's weight GEMMs as (input features K, output features N): the
// attention projections, the FFN's (and the experts'), the LM head; and the
// FFN widths (the experts' too, where they differ).
struct ModelShapes {
  std::vector<std::pair<double, double>> gemms;
  std::vector<double> ffn_widths;
};
ModelShapes model_shapes(const ModelConfig& m) {
  const double d = double(m.d_model);
  ModelShapes s;
  for (const Projection& w : attention_in_projections(m)) s.gemms.push_back({double(w.in), double(w.out)});
  const Projection o = attention_out_projection(m);
  s.gemms.push_back({double(o.in), double(o.out)});
  s.ffn_widths.push_back(double(m.ffn_dim));
  if (m.experts > 0 && m.moe_ffn_dim != m.ffn_dim) s.ffn_widths.push_back(double(m.moe_ffn_dim));
  for (double w : s.ffn_widths) {
    s.gemms.push_back({d, w});
    s.gemms.push_back({w, d});
  }
  s.gemms.push_back({d, double(m.vocab)});
  return s;
}

// Whether run `r` measured a part of this model: a GEMM of one of its weight
// shapes, attention at its head size and sequence, or its FFN.
bool runs_a_part_of(const RunRecord& r, const ModelConfig& m, const ModelShapes& s) {
  bool match = false;
  if (r.family == "gemm") {
    auto M = shape_get(r.shape, "m"), N = shape_get(r.shape, "n"), K = shape_get(r.shape, "k");
    if (K && (M || N))
      for (const auto& [in, out] : s.gemms)
        match =
            match || (near(double(*K), in) && ((N && near(double(*N), out)) || (M && near(double(*M), out))));
  } else if (r.family == "attention") {
    auto D = get_any(r.shape, {"head_dim", "d"});
    auto N = get_any(r.shape, {"n_q", "n", "seq_len", "seq", "s"});
    match = D && *D == qk_head_dim(m) && (!N || near(double(*N), double(m.seq_len)));
  } else if (r.family == "ffn") {
    auto D = get_any(r.shape, {"d_model", "d"});
    auto F = get_any(r.shape, {"d_ff", "ffn_dim", "f"});
    if (D && F && near(double(*D), double(m.d_model)))
      for (double w : s.ffn_widths) match = match || near(double(*F), w);
  }
  return match;
}

// The model's MFU from the best run of each part, a part without one taking
// another's (said in u.notes): forward time as each part's FLOPs over its MFU.
void blend_measured_mfu(MeasuredUtilization& u, const ModelConfig& m) {
  const ForwardFlops fwd = forward_flops_per_token(m, m.seq_len, false);
  double gemm_mfu = 0, ffn_mfu = 0, attn_mfu = 0;
  if (u.gemm_mfu) {
    gemm_mfu = *u.gemm_mfu;
  } else {
    gemm_mfu = *u.ffn_mfu;
    u.notes.push_back("gemm: no matching run; the projections and LM head use the FFN runs' MFU");
  }
  if (u.ffn_mfu) {
    ffn_mfu = *u.ffn_mfu;
  } else {
    ffn_mfu = gemm_mfu;
    u.notes.push_back("ffn: no matching run; the FFN GEMMs use the GEMM runs' MFU");
  }
  if (u.attention_mfu) {
    attn_mfu = *u.attention_mfu;
  } else {
    attn_mfu = gemm_mfu;
    u.notes.push_back("attention: no run with head_dim " + std::to_string(qk_head_dim(m)) +
                      " near seq_len " + std::to_string(m.seq_len) + "; attention uses the GEMM MFU");
  }
  const double g = fwd.qkv + fwd.attn_out + fwd.router + fwd.logits;
  // The estimate counts attention over every key (PaLM's convention), but the
  // model is causal: a kernel that skips masked blocks does the exact causal
  // work, at the efficiency its run measured over its own FLOPs (bench's MFU,
  // causal or not). So the time is the causal work over that MFU.
  const double attention_done = forward_flops_per_token(m, m.seq_len, true).attention;
  u.mfu = fwd.total() / (g / gemm_mfu + fwd.ffn / ffn_mfu + attention_done / attn_mfu);
}
}  // namespace

MeasuredUtilization measured_utilization(const ModelConfig& m, const ResultsDoc& doc,
                                         const std::string& precision_key, const std::string& origin) {
  const ModelShapes shapes = model_shapes(m);
  MeasuredUtilization u;
  if (doc.device) u.device = doc.device->name;
  for (const RunRecord& r : doc.runs) {
    if (!r.derived.mfu || r.precision != precision_key || !runs_a_part_of(r, m, shapes)) continue;
    // A clock above the datasheet's can put a kernel a little over 1 (1980 MHz
    // against 1830 is 1.08); far over it, the file or its peak is wrong. Only
    // a run the estimate uses is judged (a copy's MFU is 0).
    if (!(*r.derived.mfu > 0) || *r.derived.mfu > kMaxMeasuredMfu)
      throw_bad_input(origin + ": run " + r.id + " " + shape_string(r.shape) + " has MFU " +
                      fmt_sig(*r.derived.mfu, 6) + ", outside (0, " + fmt_sig(kMaxMeasuredMfu, 6) +
                      "]: the file is damaged or its peak wrong; remeasure, or drop --from and give --mfu");
    u.runs.push_back({r.id, r.family, shape_string(r.shape), *r.derived.mfu});
    auto& best = r.family == "gemm" ? u.gemm_mfu : r.family == "attention" ? u.attention_mfu : u.ffn_mfu;
    best = std::max(best.value_or(0.0), *r.derived.mfu);
  }
  if (!u.gemm_mfu && !u.ffn_mfu)
    throw_bad_input(origin + ": no gemm or ffn run at " + precision_key +
                    " with an MFU near this model's shapes (d_model " + std::to_string(m.d_model) +
                    ", ffn_dim " + std::to_string(m.ffn_dim) +
                    ", within 2x): measure the model's GEMMs, or drop --from and give --mfu");
  blend_measured_mfu(u, m);
  return u;
}

}  // namespace flopscope::estimate
