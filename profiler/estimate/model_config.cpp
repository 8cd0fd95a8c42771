// Model configs for the estimator: JSON parsing, validation and parameter counts.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "flopscope/error.h"
#include "flopscope/table.h"  // joined
#include "flopscope/estimate.h"
#include "json_reader.h"

namespace flopscope::estimate {

namespace {

using detail::Json;

const std::vector<std::string>& known_keys() {
  static const std::vector<std::string> keys{
      "name",     "layers",          "d_model", "heads",   "kv_heads",       "head_dim",
      "ffn_dim",  "ffn_type",        "vocab",   "tied_embeddings", "seq_len", "experts",
      "active_experts", "bias",      "norm_bias", "parallel_block", "learned_positions",
      // DeepSeek-V2/V3: mixture-of-experts details and multi-head latent attention
      "shared_experts", "moe_ffn_dim", "dense_layers", "router_bias", "kv_lora_rank",
      "q_lora_rank", "qk_rope_head_dim", "v_head_dim", "sliding_window", "window_layers",
      // DeepSeek-V3: multi-token prediction modules (num_nextn_predict_layers)
      "mtp_depth"};
  return keys;
}


// Far beyond any model, and small enough that the estimator's products of two
// sizes (heads x head_dim, say) stay within 64-bit integers.
constexpr int64_t kMaxSize = int64_t(1) << 30;

// An integer size from JSON: a whole number (1e3 is accepted as 1000), else
// one line naming the key. One far outside any size is refused here, as typed
// (beyond int64 it could not be named by its int64 value).
int64_t size_value(const Json& v, const std::string& origin, const std::string& key) {
  const double d = v.is_number() ? v.get<double>() : std::nan("");
  if (!std::isfinite(d) || d != std::floor(d))
    throw_bad_input(origin + ": " + key + " must be a whole number, got " + v.dump());
  if (d > double(kMaxSize))
    throw_bad_input(origin + ": " + key + " " + v.dump() + " is too large (at most " + std::to_string(kMaxSize) + ")");
  if (d < -double(kMaxSize)) throw_bad_input(origin + ": " + key + " must not be negative, got " + v.dump());
  return int64_t(d);
}

bool bool_value(const Json& v, const std::string& origin, const std::string& key) {
  if (!v.is_boolean()) throw_bad_input(origin + ": " + key + " must be true or false, got " + v.dump());
  return v.get<bool>();
}

}  // namespace

ModelConfig parse_model_config(const std::string& json_text, const std::string& origin) {
  const Json j = detail::parse_json_text(json_text, origin);
  if (!j.is_object()) throw_bad_input(origin + ": a model config must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& keys = known_keys();
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end())
      throw_bad_input(origin + ": unknown key '" + it.key() + "' (known: " + joined(keys) + ")");
  }
  ModelConfig m;
  m.name = origin;
  // Present sizes must be positive; absent optional ones keep their default.
  // A count whose default is 0 (`zero_is_none`) may also be 0: none, as absent
  // (a config.json's n_shared_experts or first_k_dense_replace of 0).
  auto size = [&](const char* key, int64_t& out, bool required, bool zero_is_none = false) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) throw_bad_input(origin + ": missing key '" + key + "' (a positive whole number)");
      return;
    }
    out = size_value(*it, origin, key);
    if (out < 0 || (out == 0 && !zero_is_none))
      throw_bad_input(origin + ": " + key + " must be " + (zero_is_none ? "0 (none) or more" : "positive") +
                      ", got " + std::to_string(out));
  };
  auto flag = [&](const char* key, bool& out) {
    auto it = j.find(key);
    if (it != j.end() && !it->is_null()) out = bool_value(*it, origin, key);
  };
  if (auto it = j.find("name"); it != j.end() && !it->is_null()) {
    // Refused like every other key of the wrong type, not ignored.
    if (!it->is_string()) throw_bad_input(origin + ": name must be a string, got " + it->dump());
    m.title = it->get<std::string>();
  }
  size("layers", m.layers, true);
  size("d_model", m.d_model, true);
  size("heads", m.heads, true);
  size("kv_heads", m.kv_heads, false);
  size("head_dim", m.head_dim, false);
  size("ffn_dim", m.ffn_dim, true);
  size("vocab", m.vocab, true);
  size("seq_len", m.seq_len, true);
  size("experts", m.experts, false);
  size("active_experts", m.active_experts, false);
  size("shared_experts", m.shared_experts, false, /*zero_is_none=*/true);
  size("moe_ffn_dim", m.moe_ffn_dim, false);
  size("dense_layers", m.dense_layers, false, /*zero_is_none=*/true);
  size("kv_lora_rank", m.kv_lora_rank, false);
  size("q_lora_rank", m.q_lora_rank, false);  // null, as in DeepSeek-V2-Lite's config.json: absent
  size("qk_rope_head_dim", m.qk_rope_head_dim, false, /*zero_is_none=*/true);
  size("v_head_dim", m.v_head_dim, false);
  size("sliding_window", m.sliding_window, false);
  size("window_layers", m.window_layers, false);
  // validate_mtp names the fix for a negative depth.
  if (auto it = j.find("mtp_depth"); it != j.end() && !it->is_null())
    m.mtp_depth = size_value(*it, origin, "mtp_depth");
  flag("router_bias", m.router_bias);
  flag("tied_embeddings", m.tied_embeddings);
  flag("bias", m.bias);
  flag("norm_bias", m.norm_bias);
  flag("parallel_block", m.parallel_block);
  flag("learned_positions", m.learned_positions);
  if (auto it = j.find("ffn_type"); it != j.end() && !it->is_null()) {
    const std::string t = it->is_string() ? it->get<std::string>() : it->dump();
    if (t == "gelu")
      m.ffn_type = FfnType::gelu;
    else if (t == "swiglu")
      m.ffn_type = FfnType::swiglu;
    else
      throw_bad_input(origin + ": ffn_type must be \"gelu\" or \"swiglu\", got " + it->dump());
  } else {
    throw_bad_input(origin + ": missing key 'ffn_type' (\"gelu\" or \"swiglu\")");
  }
  validate_model(m, origin);
  return m;
}

std::string to_config_json(const ModelConfig& m) {
  Json j;  // ordered: the keys in the order a person writes them
  j["name"] = m.title.empty() ? m.name : m.title;
  j["layers"] = m.layers;
  j["d_model"] = m.d_model;
  j["heads"] = m.heads;
  j["kv_heads"] = m.kv_heads;
  j["head_dim"] = m.head_dim;
  if (is_mla(m)) {  // absent: MHA/GQA/MQA
    j["kv_lora_rank"] = m.kv_lora_rank;
    if (m.q_lora_rank > 0) j["q_lora_rank"] = m.q_lora_rank;
    if (m.qk_rope_head_dim > 0) j["qk_rope_head_dim"] = m.qk_rope_head_dim;
    j["v_head_dim"] = m.v_head_dim;
  }
  j["ffn_dim"] = m.ffn_dim;
  j["ffn_type"] = m.ffn_type == FfnType::swiglu ? "swiglu" : "gelu";
  j["vocab"] = m.vocab;
  j["tied_embeddings"] = m.tied_embeddings;
  j["seq_len"] = m.seq_len;
  if (m.experts > 0) {  // absent: dense (0 is refused on input)
    j["experts"] = m.experts;
    j["active_experts"] = m.active_experts;
    // DeepSeek's details only where used, so that other models' configs stay as they were.
    if (m.shared_experts > 0) j["shared_experts"] = m.shared_experts;
    if (m.moe_ffn_dim != m.ffn_dim) j["moe_ffn_dim"] = m.moe_ffn_dim;
    if (m.dense_layers > 0) j["dense_layers"] = m.dense_layers;
    if (m.router_bias) j["router_bias"] = true;
  }
  j["bias"] = m.bias;
  j["norm_bias"] = m.norm_bias;
  j["parallel_block"] = m.parallel_block;
  j["learned_positions"] = m.learned_positions;
  if (m.sliding_window > 0) {  // absent: full attention, so that other configs stay as they were
    j["sliding_window"] = m.sliding_window;
    j["window_layers"] = m.window_layers;
  }
  if (m.mtp_depth > 0) j["mtp_depth"] = m.mtp_depth;  // absent: none, so that other configs stay as they were
  return j.dump();
}

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// MLA's keys, checked before head_dim gets its d_model / heads default (which
// means nothing for latent attention).
void validate_mla(ModelConfig& m, const std::string& origin) {
  if (!is_mla(m)) {
    // Each of these is a part of latent attention: alone it would be ignored.
    for (const auto& [key, v] : {std::pair{"q_lora_rank", m.q_lora_rank},
                                 {"qk_rope_head_dim", m.qk_rope_head_dim}, {"v_head_dim", m.v_head_dim}})
      if (v > 0)
        throw_bad_input(origin + ": " + key + " (" + str(v) +
                        ") needs kv_lora_rank: it is part of multi-head latent attention; set "
                        "kv_lora_rank, or drop " + key + " (a standard head is head_dim wide, RoPE included)");
    return;
  }
  if (m.head_dim == 0)
    throw_bad_input(origin + ": kv_lora_rank (" + str(m.kv_lora_rank) +
                    ") needs head_dim, the no-position part of each query/key head (qk_nope_head_dim "
                    "in a DeepSeek config.json): d_model / heads does not apply to latent attention");
  if (m.kv_heads != 0 && m.kv_heads != m.heads)
    throw_bad_input(origin + ": kv_heads (" + str(m.kv_heads) +
                    ") does not apply to multi-head latent attention (kv_lora_rank): every head's keys "
                    "and values are up-projected from one shared latent; drop kv_heads");
  if (m.v_head_dim == 0) m.v_head_dim = m.head_dim;
}

// The mixture-of-experts details (shared experts, expert width, dense first layers).
void validate_moe(ModelConfig& m, const std::string& origin) {
  if (m.experts == 0) {
    for (const auto& [key, v] : {std::pair{"shared_experts", m.shared_experts},
                                 {"moe_ffn_dim", m.moe_ffn_dim}, {"dense_layers", m.dense_layers}})
      if (v > 0)
        throw_bad_input(origin + ": " + key + " (" + str(v) +
                        ") needs experts: set experts and active_experts (the routed experts), or drop " +
                        key + " for a dense model");
    if (m.router_bias)
      throw_bad_input(origin + ": router_bias needs experts: a dense model has no router; drop router_bias");
    return;
  }
  if (m.dense_layers >= m.layers)
    throw_bad_input(origin + ": dense_layers (" + str(m.dense_layers) + ") must be less than layers (" +
                    str(m.layers) + "): at least one layer has experts; drop experts for a dense model");
  if (m.moe_ffn_dim == 0) m.moe_ffn_dim = m.ffn_dim;
}

// Multi-token prediction: a count of modules, 0 for none.
void validate_mtp(const ModelConfig& m, const std::string& origin) {
  if (m.mtp_depth < 0)
    throw_bad_input(origin + ": mtp_depth must not be negative, got " + str(m.mtp_depth) +
                    " (0: no multi-token prediction)");
  if (m.mtp_depth > m.layers)
    throw_bad_input(origin + ": mtp_depth (" + str(m.mtp_depth) + ") is more than layers (" + str(m.layers) +
                    "): each multi-token prediction module is one transformer layer more than the main "
                    "model's (DeepSeek-V3 has 1, num_nextn_predict_layers in its config.json)");
  if (m.mtp_depth >= m.seq_len)
    throw_bad_input(origin + ": mtp_depth (" + str(m.mtp_depth) + ") must be less than seq_len (" +
                    str(m.seq_len) + "): module k predicts the token k + 1 ahead, from seq_len - k positions");
}

// Sliding-window attention: the window and how many layers use it.
void validate_window(ModelConfig& m, const std::string& origin) {
  if (m.sliding_window == 0) {
    if (m.window_layers > 0)
      throw_bad_input(origin + ": window_layers (" + str(m.window_layers) +
                      ") needs sliding_window, the keys each query of those layers attends to; set "
                      "sliding_window, or drop window_layers for full attention");
    return;
  }
  if (m.window_layers == 0) m.window_layers = m.layers;
  if (m.window_layers > m.layers)
    throw_bad_input(origin + ": window_layers (" + str(m.window_layers) + ") is more than layers (" +
                    str(m.layers) + "): give the number of layers that use the sliding window");
}

}  // namespace

bool is_mla(const ModelConfig& m) { return m.kv_lora_rank > 0; }

int64_t qk_head_dim(const ModelConfig& m) { return m.head_dim + (is_mla(m) ? m.qk_rope_head_dim : 0); }

int64_t moe_layers(const ModelConfig& m) { return m.experts > 0 ? m.layers - m.dense_layers : 0; }

std::vector<Projection> attention_in_projections(const ModelConfig& m) {
  const int64_t d = m.d_model, h = m.heads;
  if (!is_mla(m)) return {{d, (h + 2 * m.kv_heads) * m.head_dim}};
  std::vector<Projection> w;
  // DeepSeek-V2 Section 2.1.2-2.1.3: the query through its own low-rank
  // bottleneck (or directly, as in V2-Lite), then one down-projection to the
  // K/V latent plus the shared RoPE key, and the latent's up-projection to every
  // head's no-position key and value.
  if (m.q_lora_rank > 0) {
    w.push_back({d, m.q_lora_rank});
    w.push_back({m.q_lora_rank, h * qk_head_dim(m)});
  } else {
    w.push_back({d, h * qk_head_dim(m)});
  }
  w.push_back({d, m.kv_lora_rank + m.qk_rope_head_dim});
  w.push_back({m.kv_lora_rank, h * (m.head_dim + m.v_head_dim)});
  return w;
}

Projection attention_out_projection(const ModelConfig& m) {
  return {m.heads * (is_mla(m) ? m.v_head_dim : m.head_dim), m.d_model};
}

void validate_model(ModelConfig& m, const std::string& origin) {
  struct Size {
    const char* key;
    int64_t value;
    bool required;  // else 0 means "absent"
  };
  const Size sizes[] = {
      {"layers", m.layers, true},          {"d_model", m.d_model, true},
      {"heads", m.heads, true},            {"ffn_dim", m.ffn_dim, true},
      {"vocab", m.vocab, true},            {"seq_len", m.seq_len, true},
      {"kv_heads", m.kv_heads, false},     {"head_dim", m.head_dim, false},
      {"experts", m.experts, false},       {"active_experts", m.active_experts, false},
      {"shared_experts", m.shared_experts, false}, {"moe_ffn_dim", m.moe_ffn_dim, false},
      {"dense_layers", m.dense_layers, false},     {"kv_lora_rank", m.kv_lora_rank, false},
      {"q_lora_rank", m.q_lora_rank, false},       {"qk_rope_head_dim", m.qk_rope_head_dim, false},
      {"v_head_dim", m.v_head_dim, false},         {"sliding_window", m.sliding_window, false},
      {"window_layers", m.window_layers, false}};
  for (const Size& z : sizes)
    if (z.value < 0 || (z.required && z.value == 0))
      throw_bad_input(origin + ": " + z.key + " must be positive, got " + std::to_string(z.value));
  for (const Size& z : sizes)
    if (z.value > kMaxSize)
      throw_bad_input(origin + ": " + z.key + " " + std::to_string(z.value) + " is too large (at most " +
                      std::to_string(kMaxSize) + ")");
  validate_mla(m, origin);
  if (m.head_dim == 0) {
    if (m.d_model % m.heads != 0)
      throw_bad_input(origin + ": heads (" + std::to_string(m.heads) + ") does not divide d_model (" +
                      std::to_string(m.d_model) +
                      "): set head_dim, or choose heads that divide d_model");
    m.head_dim = m.d_model / m.heads;
  }
  if (m.kv_heads == 0) m.kv_heads = m.heads;
  if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0)
    throw_bad_input(origin + ": kv_heads (" + std::to_string(m.kv_heads) + ") must divide heads (" +
                    std::to_string(m.heads) +
                    "): grouped-query attention shares each K/V head among heads/kv_heads query "
                    "heads (kv_heads = heads is multi-head, 1 is multi-query)");
  if (m.experts == 0 && m.active_experts > 0)
    throw_bad_input(origin + ": active_experts (" + std::to_string(m.active_experts) +
                    ") needs experts: set experts to the number of experts per layer, or drop "
                    "active_experts for a dense model");
  if (m.experts > 0) {
    if (m.active_experts == 0)
      throw_bad_input(origin + ": experts (" + std::to_string(m.experts) +
                      ") needs active_experts, the experts each token runs through (top-k)");
    if (m.active_experts > m.experts)
      throw_bad_input(origin + ": active_experts (" + std::to_string(m.active_experts) +
                      ") is greater than experts (" + std::to_string(m.experts) +
                      "): a token cannot use more experts than a layer has");
  }
  validate_moe(m, origin);
  validate_mtp(m, origin);
  validate_window(m, origin);
}

namespace {

// Weights of one linear layer, with its output bias when the model has biases.
double linear_params(const Projection& w, bool bias) {
  return double(w.in) * double(w.out) + (bias ? double(w.out) : 0.0);
}

// One FFN (or one expert) of hidden size f: 2 or 3 matrices, and their biases.
double ffn_params(const ModelConfig& m, int64_t hidden) {
  const bool swiglu = m.ffn_type == FfnType::swiglu;
  const double d = double(m.d_model), f = double(hidden);
  double p = (swiglu ? 3.0 : 2.0) * d * f;
  if (m.bias) p += (swiglu ? 2.0 : 1.0) * f + d;
  return p;
}

}  // namespace

ParamCounts count_params(const ModelConfig& m) {
  const double d = double(m.d_model), v = double(m.vocab), L = double(m.layers);
  ParamCounts p;
  for (const Projection& w : attention_in_projections(m)) p.attention += linear_params(w, m.bias);
  p.attention += linear_params(attention_out_projection(m), m.bias);
  p.ffn_dense = ffn_params(m, m.ffn_dim);
  p.ffn_expert = m.experts > 0 ? ffn_params(m, m.moe_ffn_dim) : p.ffn_dense;
  const double routed = double(m.experts), shared = double(m.shared_experts);
  p.router = m.experts > 0 ? d * routed + (m.router_bias ? routed : 0.0) : 0.0;
  const double norm_params = m.norm_bias ? 2.0 : 1.0;  // per normalized feature
  const double per_norm = d * norm_params;
  p.norms = (m.parallel_block ? 1.0 : 2.0) * per_norm;
  // MLA normalizes the compressed latents too: "additional RMSNorm layers after the
  // compressed latent vectors" (DeepSeek-V3 report, model hyper-parameters, as in V2).
  if (is_mla(m)) p.norms += (double(m.kv_lora_rank) + double(m.q_lora_rank)) * norm_params;
  // Dense layers have one FFN; MoE layers every routed and shared expert.
  const double n_moe = double(moe_layers(m)), n_dense = L - n_moe;
  const double dense_layer = p.attention + p.ffn_dense + p.norms;
  const double moe_layer = p.attention + (routed + shared) * p.ffn_expert + p.router + p.norms;
  const double token_emb = v * d;
  const double head = m.tied_embeddings ? 0.0 : v * d;
  const double positions = m.learned_positions ? double(m.seq_len) * d : 0.0;
  p.total = n_dense * dense_layer + n_moe * moe_layer + token_emb + head + positions +
            per_norm /* final norm */;
  p.embedding = token_emb + head + positions;
  p.non_embedding = p.total - p.embedding;
  p.active = p.total - n_moe * (routed - double(m.active_experts)) * p.ffn_expert;
  p.lookup = (m.tied_embeddings ? 0.0 : token_emb) + positions;
  // Multi-token prediction (DeepSeek-V3 Section 2.2): each module has its own
  // projection M_k (d x 2d) and transformer block, and shares the embedding and
  // the LM head with the main model. Its norms: the RMSNorms on the hidden state
  // and on the embedding (Eq. 21), and the norm before the shared head (the
  // released weights' enorm, hnorm and shared_head.norm). The block is a layer
  // of the last layer's kind: with experts, an MoE layer (dense_layers < layers).
  if (m.mtp_depth > 0) {
    const bool moe = m.experts > 0;
    const double own = linear_params({2 * m.d_model, m.d_model}, m.bias) + 3.0 * per_norm;
    const double unused = moe ? (routed - double(m.active_experts)) * p.ffn_expert : 0.0;
    const double D = double(m.mtp_depth);
    p.mtp_module = own + (moe ? moe_layer : dense_layer);
    p.mtp = D * p.mtp_module;
    p.mtp_active = D * (p.mtp_module - unused);
  }
  return p;
}

}  // namespace flopscope::estimate
