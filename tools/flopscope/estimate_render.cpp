#include "estimate_render.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "flopscope/peaks.h"  // kGiB
#include "flopscope/table.h"
#include "flopscope/views.h"  // terminal_text

namespace flopscope::cli {

using namespace flopscope::estimate;
using json = nlohmann::ordered_json;

namespace {

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

std::string fixed(double v, int d) { return fmt_fixed(v, d); }

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
std::string count(double v) {
  return scaled(v, {{1e9, 1e9, "%.3f", "B"}, {1e6, 1e6, "%.2f", "M"}, {0, 1, "%.0f", ""}});
}
std::string bytes(double v) {
  return scaled(v, {{1e9, 1e9, "%.2f", " GB"},
                    {1e6, 1e6, "%.2f", " MB"},
                    {1e3, 1e3, "%.1f", " kB"},
                    {0, 1, "%.0f", " B"}});
}
std::string duration(double s) {
  return scaled(s, {{3 * 86400, 86400, "%.1f", " days"},
                    {7200, 3600, "%.1f", " h"},
                    {120, 60, "%.1f", " min"},
                    {0, 1, "%.3g", " s"}});
}

std::string pct(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", f * 100);
  return buf;
}

// An amount of GPU-hours, kWh or money: whole from 100 up, else 3 significant
// digits (a 0.42 kWh run read "0" as a whole number, a 1.50 cost "2").
std::string amount(double v) {
  if (std::fabs(v) >= 1e9) return sci(v);  // as scaled(): digits past a billion are unreadable
  if (std::fabs(v) >= 100) return fixed(v, 0);
  return fmt_sig(v, 3);
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

}  // namespace

// ---- --list-presets ---------------------------------------------------------------------

std::string render_presets_json() {
  json j = json::array();
  for (const auto& p : presets()) {
    const ParamCounts c = count_params(p);
    j.push_back({{"name", p.name},
                 {"title", p.title},
                 {"params_total", c.total},
                 {"params_active", c.active},
                 {"source", p.source}});
  }
  return j.dump(2) + "\n";
}

std::string render_presets_table(size_t width, bool color) {
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
  return t.render(width, color) + "Sources: flopscope estimate --preset NAME --json (model_source)\n";
}

// ---- --json ------------------------------------------------------------------------------

namespace {

json model_json(const EstimateRun& e) {
  const ModelConfig& model = e.model;
  const ParamCounts& pc = e.params;
  const TokenFlops& tf = e.token_flops;
  const ForwardFlops& parts = e.forward_parts;
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
  j["forward_flops_by_part"] = {
      {"qkv", parts.qkv}, {"attn_out", parts.attn_out}, {"attention", parts.attention},
      {"ffn", parts.ffn}, {"router", parts.router},     {"logits", parts.logits}};
  j["flops_per_token_train_6n"] = tf.train_6n;
  j["flops_per_token_train"] = tf.train;
  j["flops_per_token_train_causal"] = tf.train_causal;
  if (model.mtp_depth > 0) j["flops_per_token_train_mtp"] = tf.train_mtp;
  j["checkpointing"] = to_string(e.checkpointing);
  j["flops_per_token_hardware"] = tf.hardware;
  j["dtype"] = e.dtype;
  j["peak_key"] = e.peak.key;
  if (e.peak.flops_per_s > 0) {
    j["peak_flops_per_s"] = e.peak.flops_per_s;
    j["peak_source"] = e.peak.source;
  }
  if (!e.peak.gpu_key.empty()) j["gpu"] = e.peak.gpu_key;
  if (e.peak.dram_bytes_per_s > 0) j["dram_bytes_per_s"] = e.peak.dram_bytes_per_s;
  return j;
}

json measured_json(const EstimateRun& e) {
  const MeasuredUtilization& mu = *e.measured;
  json m;
  m["file"] = e.from;
  m["device"] = mu.device;
  m["mfu"] = mu.mfu;
  if (mu.gemm_mfu) m["gemm_mfu"] = *mu.gemm_mfu;
  if (mu.attention_mfu) m["attention_mfu"] = *mu.attention_mfu;
  if (mu.ffn_mfu) m["ffn_mfu"] = *mu.ffn_mfu;
  m["runs"] = json::array();
  for (const auto& r : mu.runs)
    m["runs"].push_back({{"id", r.id}, {"part", r.part}, {"shape", r.shape}, {"mfu", r.mfu}});
  m["notes"] = mu.notes;
  return m;
}

void add_training_json(json& j, const EstimateRun& e) {
  const TrainingInputs& ti = e.training_inputs;
  const TrainingEstimate& te = e.training;
  auto put = [&](const char* k, const std::optional<double>& v) {
    if (v) j[k] = *v;
  };
  j["gpus"] = ti.gpus;
  put("tokens", ti.tokens);
  if (ti.tokens) j["tokens_source"] = e.tokens_source;
  put("training_flops", te.training_flops);
  put("training_flops_6n", te.training_flops_6n);
  put("training_flops_hardware", te.training_flops_hardware);
  put("training_flops_mtp", te.training_flops_mtp);
  put("mfu_assumed", ti.mfu);
  put("time_to_train_s", te.time_to_train_s);
  if (e.measured) j["measured"] = measured_json(e);
  put("time_to_train_s_measured_mfu", te.time_to_train_s_measured_mfu);
  put("tokens_per_second", ti.tokens_per_second);
  put("mfu", te.mfu);
  put("hfu", te.hfu);
  put("time_at_tokens_per_second_s", te.time_at_tokens_per_second_s);
  if (!te.time_basis.empty()) j["time_basis"] = te.time_basis;
  put("gpu_hours", te.gpu_hours);
  put("gpu_power_w", te.gpu_power_w);
  if (te.gpu_power_w) j["gpu_power_source"] = e.power_source;
  j["pue"] = ti.pue;
  put("energy_kwh", te.energy_kwh);
  put("price_per_gpu_hour", ti.price_per_gpu_hour);
  put("cost", te.cost);
}

json decode_point_json(const DecodePoint& p) {
  json d{{"batch", p.batch}, {"flops", p.flops}, {"bytes", p.bytes}, {"arithmetic_intensity", p.intensity}};
  if (p.memory_bound) d["memory_bound"] = *p.memory_bound;
  if (p.step_s_roofline) d["step_s_roofline"] = *p.step_s_roofline;
  if (p.tokens_per_s_roofline) d["tokens_per_s_roofline"] = *p.tokens_per_s_roofline;
  return d;
}

void add_inference_json(json& j, const EstimateRun& e) {
  const InferenceEstimate& ie = e.inference;
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
    j["gpu_memory_bytes"] = e.peak.memory_bytes;
    j["fits_one_gpu"] = *ie.fits_one_gpu;
  }
  j["decode_arithmetic_intensity"] = ie.batch1.intensity;
  if (ie.ridge) j["ridge_flops_per_byte"] = *ie.ridge;
  if (ie.batch1.memory_bound) j["decode_memory_bound"] = *ie.batch1.memory_bound;
  j["decode_batch1"] = decode_point_json(ie.batch1);
  j["decode_at_batch"] = decode_point_json(ie.at_batch);
  if (ie.compute_bound_batch) j["decode_compute_bound_batch"] = *ie.compute_bound_batch;
}

}  // namespace

std::string render_estimate_json(const EstimateRun& e) {
  json j = model_json(e);
  add_training_json(j, e);
  add_inference_json(j, e);
  return j.dump(2) + "\n";
}

// ---- the tables --------------------------------------------------------------------------

namespace {

// "Llama 3 8B: 32 layers, d_model 4096, 32 heads x 128 (8 KV), ...", then its
// source and notes.
std::string model_summary(const ModelConfig& model) {
  std::ostringstream os;
  os << terminal_text(model.title.empty() ? model.name : model.title) << ": " << model.layers
     << " layers, d_model " << model.d_model << ", " << model.heads << " heads x ";
  if (is_mla(model))  // query/key = no-position + RoPE part
    os << model.head_dim << "+" << model.qk_rope_head_dim << " (v " << model.v_head_dim
       << "), latent attention (kv_lora " << model.kv_lora_rank << ", q_lora "
       << (model.q_lora_rank > 0 ? std::to_string(model.q_lora_rank) : "none") << "), ";
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
  return os.str();
}

Section parameters_section(const EstimateRun& e) {
  const ModelConfig& model = e.model;
  const ParamCounts& pc = e.params;
  Section p("Parameters");
  p.row("params_total", count(pc.total), fixed(pc.total, 0));
  p.row("params_non_embedding", count(pc.non_embedding), "less token/position embeddings and untied LM head");
  p.row("params_active", count(pc.active), model.experts > 0 ? "per token: top-k experts" : "dense: = total");
  p.row("params_lookup", count(pc.lookup),
        "read by lookup, no matmul: untied token embedding, learned positions");
  if (model.mtp_depth > 0)
    p.row("params_mtp", count(pc.mtp),
          "not in params_total: " + std::to_string(model.mtp_depth) + " MTP module" +
              (model.mtp_depth > 1 ? "s" : "") + ", " + (model.experts > 0 ? "MoE" : "dense") +
              " layer; active " + count(pc.mtp_active));
  return p;
}

Section flops_section(const EstimateRun& e) {
  const ModelConfig& model = e.model;
  const TokenFlops& tf = e.token_flops;
  Section f("FLOPs per token");
  const bool mla = is_mla(model);
  f.row("flops_per_token_forward", sci(tf.forward),
        mla ? "matmuls: 2 x weights used + 2*L*H*(qk+v)*T attention"
            : "matmuls: 2 x weights used + 4*L*H*Q*T attention");
  if (model.sliding_window > 0)  // the keys a query sees: T, or min(T, W) in windowed layers
    f.row("  sliding window W", std::to_string(model.sliding_window),
          "T is min(T, W) in " + windowed_layers_text(model));
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
  f.row("  causal-exact train", sci(tf.train_causal),
        "the same, attention over the causal keys only (not the MFU numerator)");
  f.row("flops_per_token_hardware", sci(tf.hardware),
        std::string("+ recompute, checkpointing ") + to_string(e.checkpointing));
  return f;
}

Section training_section(const EstimateRun& e) {
  const Peak& peak = e.peak;
  const TrainingInputs& ti = e.training_inputs;
  const TrainingEstimate& te = e.training;
  const Checkpointing ckpt = e.checkpointing;
  Section tr("Training");
  const std::string peak_txt = peak.flops_per_s > 0
                                   ? fixed(peak.flops_per_s / 1e12, 1) + " TFLOP/s (" + peak.source + ")"
                                   : "none (give --gpu or --peak-tflops)";
  tr.row("peak per GPU", peak.flops_per_s > 0 ? fixed(peak.flops_per_s / 1e12, 1) + " TF" : "-", peak_txt);
  tr.row("GPUs", std::to_string(ti.gpus));
  if (ti.tokens) {
    tr.row("tokens", sci(*ti.tokens), e.tokens_source);
    tr.row("training_flops", sci(*te.training_flops), "tokens x flops_per_token_train");
    tr.row("training_flops_6n", sci(*te.training_flops_6n), "tokens x 6N");
    if (te.training_flops_mtp)
      tr.row("training_flops_mtp", sci(*te.training_flops_mtp), "of training_flops: the MTP modules");
    if (ckpt != Checkpointing::none)
      tr.row("training_flops_hardware", sci(*te.training_flops_hardware), "with recompute");
  } else {
    tr.row("tokens", "-", "give --tokens N for totals and time");
  }
  if (te.time_to_train_s)
    tr.row("time_to_train_s", duration(*te.time_to_train_s), "at assumed MFU " + pct(*ti.mfu) + " (--mfu)");
  if (te.time_to_train_s_measured_mfu)
    tr.row("time_to_train_s (measured)", duration(*te.time_to_train_s_measured_mfu),
           "at measured MFU " + pct(e.measured->mfu) + " (--from)" +
               (ckpt != Checkpointing::none ? ", recompute included" : ""));
  if (te.mfu) {
    tr.row("mfu (observed)", pct(*te.mfu),
           fixed(*ti.tokens_per_second, 0) + " tokens/s on " + std::to_string(ti.gpus) + " GPUs");
    tr.row("hfu (observed)", pct(*te.hfu), std::string("checkpointing ") + to_string(ckpt));
  }
  if (te.time_at_tokens_per_second_s)
    tr.row("time at tokens/s", duration(*te.time_at_tokens_per_second_s), "tokens / tokens_per_second");
  if (te.gpu_hours) tr.row("GPU-hours", amount(*te.gpu_hours), "time basis: " + te.time_basis);
  if (te.energy_kwh)
    tr.row("energy_kwh", amount(*te.energy_kwh),
           fixed(*te.gpu_power_w, 0) + " W/GPU (" + e.power_source + ") x PUE " + fixed(ti.pue, 2));
  else if (te.gpu_hours)
    tr.row("energy_kwh", "-", "give --gpu-power-w W (no default for this GPU)");
  if (te.cost)
    tr.row("cost", amount(*te.cost), "GPU-hours x " + fixed(*ti.price_per_gpu_hour, 2) + "/GPU-hour");
  // Price, power and PUE need a time: said, not dropped without a word.
  if (!te.gpu_hours && e.cost_inputs_given)
    tr.row("cost, energy_kwh", "-",
           te.training_flops ? "need a time: give --mfu, --from or --tokens-per-second" : "need --tokens N");
  return tr;
}

Section inference_section(const EstimateRun& e) {
  const ModelConfig& model = e.model;
  const Peak& peak = e.peak;
  const InferenceEstimate& ie = e.inference;
  Section inf("Inference");
  inf.row("prefill_flops", sci(ie.prefill_flops),
          std::to_string(ie.batch) + " x " + std::to_string(ie.prompt_tokens) + "-token prompt, causal" +
              (model.mtp_depth > 0 ? "; main model only (MTP modules not run)" : ""));
  if (ie.gen_tokens > 0)
    inf.row("generation_flops", sci(ie.generation_flops),
            "prefill + decode of " + std::to_string(ie.gen_tokens) + " tokens");
  inf.row("decode_flops_per_token", sci(ie.decode_flops_per_token),
          "at context " + std::to_string(ie.context) +
              (is_mla(model) ? ", latent cache (absorbed MLA)" : ", KV cache") +
              (model.sliding_window > 0 ? " (W-capped)" : ""));
  inf.row("decode_bytes_per_token", bytes(ie.decode_bytes_per_token),
          "weights " + bytes(ie.weight_bytes_per_step) + " + KV " + bytes(ie.kv_cache_bytes) + " (" +
              bytes(ie.kv_bytes_per_token) + "/token" + (model.sliding_window > 0 ? ", W-capped" : "") + ")");
  // What one GPU would hold: the roofline below is one GPU's either way.
  std::string basis = "weights + " + std::to_string(ie.batch) + " KV cache" + (ie.batch == 1 ? "" : "s");
  if (ie.fits_one_gpu)
    basis += std::string(*ie.fits_one_gpu ? ", fits one " : ", over one ") + peak.gpu_key + " (" +
             fixed(peak.memory_bytes / kGiB, 0) + " GiB = " + bytes(peak.memory_bytes) + ")";
  inf.row("memory resident", bytes(ie.resident_bytes), basis);
  if (ie.fits_one_gpu && !*ie.fits_one_gpu)
    inf.row("GPUs to hold it", fixed(std::ceil(ie.resident_bytes / peak.memory_bytes), 0),
            "at least; not modelled: the roofline below is one GPU's");
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
  return inf;
}

// The paragraph on what --from measured: the MFU per part and each matched run.
std::string measured_text(const EstimateRun& e) {
  const MeasuredUtilization& mu = *e.measured;
  std::ostringstream os;
  os << "\nMeasured utilization (--from " << terminal_text(e.from)
     << terminal_text(mu.device.empty() ? "" : ", " + mu.device) << "): " << pct(mu.mfu)
     << " (lifted by attention counted over every key, timed as causal work), FLOP-weighted over";
  const std::pair<const char*, const std::optional<double>*> parts_mfu[] = {
      {" GEMM ", &mu.gemm_mfu}, {", attention ", &mu.attention_mfu}, {", FFN ", &mu.ffn_mfu}};
  for (const auto& [name, v] : parts_mfu) os << name << (*v ? pct(**v) : "(no run)");
  os << "; matched runs:\n";
  for (const auto& r : mu.runs) os << "  " << r.id << " " << r.shape << ": " << pct(r.mfu) << "\n";
  for (const auto& n : mu.notes) os << "  note: " << n << "\n";
  os << "  Kernel MFU is an upper bound: a training step also spends time in communication, "
        "the optimizer and elementwise kernels.\n";
  return os.str();
}

}  // namespace

std::string render_estimate_table(const EstimateRun& e, size_t width, bool color) {
  std::string out = model_summary(e.model);
  for (const Section& s :
       {parameters_section(e), flops_section(e), training_section(e), inference_section(e)})
    out += "\n" + s.title + "\n" + s.t.render(width, color);
  if (e.measured) out += measured_text(e);
  return out;
}

}  // namespace flopscope::cli
