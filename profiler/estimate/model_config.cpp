// Model configs for the estimator: JSON parsing, validation and parameter counts.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "flopscope/error.h"
#include "flopscope/estimate.h"
#include "json_reader.h"

namespace flopscope::estimate {

namespace {

using detail::Json;

const std::vector<std::string>& known_keys() {
  static const std::vector<std::string> keys{
      "name",     "layers",          "d_model", "heads",   "kv_heads",       "head_dim",
      "ffn_dim",  "ffn_type",        "vocab",   "tied_embeddings", "seq_len", "experts",
      "active_experts", "bias",      "norm_bias", "parallel_block", "learned_positions"};
  return keys;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// An integer size from JSON: a whole number (1e3 is accepted as 1000), else
// one line naming the key. Whole numbers beyond int64 saturate, so that
// validate_model names them too large (not negative).
int64_t size_value(const Json& v, const std::string& origin, const std::string& key) {
  if (v.is_number_unsigned()) return int64_t(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX));
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d))
      return std::fabs(d) < 9e18 ? int64_t(d) : d > 0 ? INT64_MAX : INT64_MIN;
  }
  throw_bad_input(origin + ": " + key + " must be a whole number, got " + v.dump());
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
      throw_bad_input(origin + ": unknown key '" + it.key() + "' (known: " + join(keys) + ")");
  }
  ModelConfig m;
  m.name = origin;
  auto size = [&](const char* key, int64_t& out, bool required) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) throw_bad_input(origin + ": missing key '" + key + "' (a positive whole number)");
      return;
    }
    out = size_value(*it, origin, key);
    // Present keys must be positive; absent optional ones keep their default.
    if (out <= 0)
      throw_bad_input(origin + ": " + key + " must be positive, got " + std::to_string(out));
  };
  auto flag = [&](const char* key, bool& out) {
    auto it = j.find(key);
    if (it != j.end() && !it->is_null()) out = bool_value(*it, origin, key);
  };
  if (auto it = j.find("name"); it != j.end() && it->is_string()) m.title = it->get<std::string>();
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
  j["ffn_dim"] = m.ffn_dim;
  j["ffn_type"] = m.ffn_type == FfnType::swiglu ? "swiglu" : "gelu";
  j["vocab"] = m.vocab;
  j["tied_embeddings"] = m.tied_embeddings;
  j["seq_len"] = m.seq_len;
  if (m.experts > 0) {  // absent: dense (0 is refused on input)
    j["experts"] = m.experts;
    j["active_experts"] = m.active_experts;
  }
  j["bias"] = m.bias;
  j["norm_bias"] = m.norm_bias;
  j["parallel_block"] = m.parallel_block;
  j["learned_positions"] = m.learned_positions;
  return j.dump();
}

void validate_model(ModelConfig& m, const std::string& origin) {
  auto positive = [&](const char* key, int64_t v) {
    if (v <= 0) throw_bad_input(origin + ": " + key + " must be positive, got " + std::to_string(v));
  };
  positive("layers", m.layers);
  positive("d_model", m.d_model);
  positive("heads", m.heads);
  positive("ffn_dim", m.ffn_dim);
  positive("vocab", m.vocab);
  positive("seq_len", m.seq_len);
  if (m.kv_heads < 0) positive("kv_heads", m.kv_heads);
  if (m.head_dim < 0) positive("head_dim", m.head_dim);
  if (m.experts < 0) positive("experts", m.experts);
  if (m.active_experts < 0) positive("active_experts", m.active_experts);
  // Far beyond any model, and small enough that the estimator's products of two
  // sizes (heads x head_dim, say) stay within 64-bit integers.
  constexpr int64_t kMaxSize = int64_t(1) << 30;
  for (const auto& [key, v] : {std::pair{"layers", m.layers}, {"d_model", m.d_model}, {"heads", m.heads},
                               {"kv_heads", m.kv_heads}, {"head_dim", m.head_dim}, {"ffn_dim", m.ffn_dim},
                               {"vocab", m.vocab}, {"seq_len", m.seq_len}, {"experts", m.experts},
                               {"active_experts", m.active_experts}})
    if (v > kMaxSize)
      throw_bad_input(origin + ": " + key + " " + std::to_string(v) + " is too large (at most " +
                      std::to_string(kMaxSize) + ")");
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
}

ParamCounts count_params(const ModelConfig& m) {
  const double d = double(m.d_model), q = double(m.head_dim), h = double(m.heads),
               kv = double(m.kv_heads), f = double(m.ffn_dim), v = double(m.vocab),
               L = double(m.layers);
  const bool swiglu = m.ffn_type == FfnType::swiglu;
  ParamCounts p;
  p.attention = d * h * q + 2.0 * d * kv * q + h * q * d;
  if (m.bias) p.attention += h * q + 2.0 * kv * q + d;
  p.ffn_expert = (swiglu ? 3.0 : 2.0) * d * f;
  if (m.bias) p.ffn_expert += (swiglu ? 2.0 : 1.0) * f + d;
  p.router = m.experts > 0 ? d * double(m.experts) : 0.0;
  const double per_norm = d * (m.norm_bias ? 2.0 : 1.0);
  p.norms = (m.parallel_block ? 1.0 : 2.0) * per_norm;
  const double n_ffn = m.experts > 0 ? double(m.experts) : 1.0;
  const double n_active = m.experts > 0 ? double(m.active_experts) : 1.0;
  const double layer = p.attention + n_ffn * p.ffn_expert + p.router + p.norms;
  const double token_emb = v * d;
  const double head = m.tied_embeddings ? 0.0 : v * d;
  const double positions = m.learned_positions ? double(m.seq_len) * d : 0.0;
  p.total = L * layer + token_emb + head + positions + per_norm /* final norm */;
  p.embedding = token_emb + head + positions;
  p.non_embedding = p.total - p.embedding;
  p.active = p.total - L * (n_ffn - n_active) * p.ffn_expert;
  p.lookup = (m.tied_embeddings ? 0.0 : token_emb) + positions;
  return p;
}

}  // namespace flopscope::estimate
