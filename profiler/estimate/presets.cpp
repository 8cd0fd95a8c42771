// Presets for `flopscope estimate --preset NAME`. Every entry's hyper-parameters
// come from the model's paper or its released configuration, cited in `source`;
// what the config model cannot express is said in `notes`. Parameter counts the
// sources publish are checked in tests/unit/estimate_test.cpp.
#include "flopscope/error.h"
#include "flopscope/estimate.h"

namespace flopscope::estimate {

namespace {

struct P {
  ModelConfig m;
  P(std::string key, std::string title) {
    m.name = std::move(key);
    m.title = std::move(title);
  }
  P& dims(int64_t layers, int64_t d_model, int64_t heads, int64_t kv_heads, int64_t head_dim) {
    m.layers = layers;
    m.d_model = d_model;
    m.heads = heads;
    m.kv_heads = kv_heads;
    m.head_dim = head_dim;
    return *this;
  }
  P& ffn(int64_t dim, FfnType t) {
    m.ffn_dim = dim;
    m.ffn_type = t;
    return *this;
  }
  P& vocab(int64_t v, bool tied) {
    m.vocab = v;
    m.tied_embeddings = tied;
    return *this;
  }
  P& seq(int64_t s) {
    m.seq_len = s;
    return *this;
  }
  // Sliding-window attention on `layers` layers (0: every layer).
  P& window(int64_t keys, int64_t layers = 0) {
    m.sliding_window = keys;
    m.window_layers = layers;
    return *this;
  }
  P& moe(int64_t experts, int64_t active) {
    m.experts = experts;
    m.active_experts = active;
    return *this;
  }
  // DeepSeek-V2/V3's multi-head latent attention; q_lora_rank 0: no query compression.
  P& mla(int64_t q_lora_rank, int64_t kv_lora_rank, int64_t qk_rope_head_dim, int64_t v_head_dim) {
    m.q_lora_rank = q_lora_rank;
    m.kv_lora_rank = kv_lora_rank;
    m.qk_rope_head_dim = qk_rope_head_dim;
    m.v_head_dim = v_head_dim;
    return *this;
  }
  // DeepSeekMoE: shared experts beside the routed ones, experts of their own
  // width, and the first layers dense.
  P& moe_details(int64_t shared, int64_t expert_dim, int64_t dense_layers) {
    m.shared_experts = shared;
    m.moe_ffn_dim = expert_dim;
    m.dense_layers = dense_layers;
    return *this;
  }
  // GPT-2/GPT-3 style: biases everywhere, LayerNorm with bias, learned positions.
  P& gpt_style() {
    m.bias = m.norm_bias = m.learned_positions = true;
    return *this;
  }
  P& tokens(double n, std::string src) {
    m.train_tokens = n;
    m.train_tokens_source = std::move(src);
    return *this;
  }
  P& cite(std::string src) {
    m.source = std::move(src);
    return *this;
  }
  P& note(std::string n) {
    m.notes = std::move(n);
    return *this;
  }
};

std::vector<ModelConfig> build() {
  constexpr auto gelu = FfnType::gelu;
  constexpr auto swiglu = FfnType::swiglu;
  std::vector<P> v;

  v.emplace_back("gpt2-small", "GPT-2 small (124M)");
  v.back().dims(12, 768, 12, 12, 64).ffn(3072, gelu).vocab(50257, true).seq(1024).gpt_style()
      .cite("Radford et al. 2019, 'Language Models are Unsupervised Multitask Learners', Table 2 "
            "(12 layers, d_model 768) and Sections 2.2-2.3 (vocabulary 50,257, context 1024); "
            "n_head 12 and the 4*d_model MLP from OpenAI's released hparams.json / GPT-1 design")
      .note("The paper's Table 2 says 117M; the released weights have 124M parameters (the "
            "count here, with tied embeddings and learned positions).");

  v.emplace_back("gpt2-xl", "GPT-2 XL (1.5B)");
  v.back().dims(48, 1600, 25, 25, 64).ffn(6400, gelu).vocab(50257, true).seq(1024).gpt_style()
      .cite("Radford et al. 2019, Table 2 (48 layers, d_model 1600); n_head 25 from the released "
            "hparams.json (openai/gpt-2, model 1558M)")
      .note("The paper's Table 2 says 1542M; the released weights have 1558M parameters (the "
            "count here).");

  v.emplace_back("gpt3-175b", "GPT-3 175B");
  v.back().dims(96, 12288, 96, 96, 128).ffn(4 * 12288, gelu).vocab(50257, true).seq(2048)
      .gpt_style()
      .tokens(300e9, "Brown et al. 2020, Section 2.2 and Table D.1: 300B training tokens")
      .cite("Brown et al. 2020, 'Language Models are Few-Shot Learners', Table 2.1 (96 layers, "
            "d_model 12288, 96 heads of 128, context 2048) and Section 2.1 (GPT-2 architecture, "
            "d_ff = 4*d_model; GPT-2's 50,257-token BPE)")
      .note("GPT-3 alternates dense and locally banded sparse attention layers (Section 2.1); "
            "attention is counted dense in every layer here. Table D.1 lists 174,600M parameters "
            "and 3.14e23 training FLOPs.");

  v.emplace_back("llama2-7b", "Llama 2 7B");
  v.back().dims(32, 4096, 32, 32, 128).ffn(11008, swiglu).vocab(32000, false).seq(4096)
      .tokens(2.0e12, "Touvron et al. 2023 (Llama 2), Table 1: 2.0T tokens")
      .cite("Touvron et al. 2023, 'Llama 2: Open Foundation and Fine-Tuned Chat Models', Table 1 "
            "(context 4096, GQA only for 34B/70B) and Section 2.2 (SwiGLU, RMSNorm, 32k vocab); "
            "dim 4096, 32 layers, 32 heads, FFN 11008 from the released params.json / "
            "config.json (meta-llama/Llama-2-7b-hf)");

  v.emplace_back("llama2-13b", "Llama 2 13B");
  v.back().dims(40, 5120, 40, 40, 128).ffn(13824, swiglu).vocab(32000, false).seq(4096)
      .tokens(2.0e12, "Touvron et al. 2023 (Llama 2), Table 1: 2.0T tokens")
      .cite("Touvron et al. 2023 (Llama 2), Table 1; dim 5120, 40 layers, 40 heads, FFN 13824 "
            "from the released config.json (meta-llama/Llama-2-13b-hf)");

  v.emplace_back("llama2-70b", "Llama 2 70B");
  v.back().dims(80, 8192, 64, 8, 128).ffn(28672, swiglu).vocab(32000, false).seq(4096)
      .tokens(2.0e12, "Touvron et al. 2023 (Llama 2), Table 1: 2.0T tokens")
      .cite("Touvron et al. 2023 (Llama 2), Table 1 (GQA) and Section 2.2; dim 8192, 80 layers, "
            "64 heads, 8 KV heads, FFN 28672 from the released config.json "
            "(meta-llama/Llama-2-70b-hf)");

  const std::string llama3 =
      "Llama Team 2024, 'The Llama 3 Herd of Models', Table 3 (layers, model and FFN "
      "dimensions, 8 KV heads, SwiGLU, RoPE); vocabulary 128,256 and context 8192 from the "
      "released config.json (the paper rounds the vocabulary to 128K)";
  v.emplace_back("llama3-8b", "Llama 3 8B");
  v.back().dims(32, 4096, 32, 8, 128).ffn(14336, swiglu).vocab(128256, false).seq(8192)
      .tokens(15e12, "Meta Llama 3 model card: 'over 15T tokens' (a lower bound)")
      .cite(llama3 + " (meta-llama/Meta-Llama-3-8B)");
  v.emplace_back("llama3-70b", "Llama 3 70B");
  v.back().dims(80, 8192, 64, 8, 128).ffn(28672, swiglu).vocab(128256, false).seq(8192)
      .tokens(15e12, "Meta Llama 3 model card: 'over 15T tokens' (a lower bound)")
      .cite(llama3 + " (meta-llama/Meta-Llama-3-70B)");
  v.emplace_back("llama3-405b", "Llama 3 405B");
  v.back().dims(126, 16384, 128, 8, 128).ffn(53248, swiglu).vocab(128256, false).seq(8192)
      .tokens(15.6e12, "Llama Team 2024, Section 3: pre-trained on 15.6T tokens with 3.8e25 FLOPs")
      .cite(llama3 + " (meta-llama/Llama-3.1-405B)")
      .note("Pre-training used 8K sequences, then 128K-token long-context training "
            "(Section 3.4.2); seq_len 8192 is the main phase.");

  v.emplace_back("mistral-7b", "Mistral 7B");
  v.back().dims(32, 4096, 32, 8, 128).ffn(14336, swiglu).vocab(32000, false).seq(8192).window(4096)
      .cite("Jiang et al. 2023, 'Mistral 7B', Table 1 (dim 4096, 32 layers, head_dim 128, "
            "hidden_dim 14336, 32 heads, 8 KV heads, window 4096, context 8192, vocabulary 32000) and "
            "Section 2 (sliding window attention in every layer, rolling buffer cache of W = 4096); "
            "untied LM head per the released config.json");

  v.emplace_back("gemma2-9b", "Gemma 2 9B");
  v.back().dims(42, 3584, 16, 8, 256).ffn(14336, swiglu).vocab(256000, true).seq(8192).window(4096, 21)
      .tokens(8e12, "Gemma Team 2024 (Gemma 2), Section 3.1: 8 trillion tokens")
      .cite("Gemma Team 2024, 'Gemma 2: Improving Open Language Models at a Practical Size' "
            "(arXiv:2408.00118), Section 2 (local sliding-window attention of 4096 tokens and "
            "global attention of 8192 in alternate layers, GQA, approximated GeGLU) and Table 2 "
            "(8,324,201,984 non-embedding parameters); d_model 3584, 42 layers, 16 heads, 8 KV "
            "heads, head_dim 256, FFN 14336, vocabulary 256,000, tied embeddings from the released "
            "config.json (google/gemma-2-9b)")
      .note("GeGLU is counted as swiglu: the same three matrices and matmul FLOPs. Each layer "
            "has four RMSNorms (before and after attention and FFN), two counted here: 301,056 "
            "parameters fewer than Table 2. Logit soft-capping is elementwise, not counted.");

  // Gemma 3: five local layers (window 1024) to one global, starting local, so
  // layer i is global when (i + 1) % 6 == 0 (config.json's sliding_window_pattern 6).
  const std::string gemma3_cite =
      "Gemma Team 2025, 'Gemma 3 Technical Report' (arXiv:2503.19786), Section 2 (5:1 "
      "interleaving of local sliding-window layers of 1024 tokens and global layers, starting "
      "with a local one; GQA; QK-norm; 262k-entry SentencePiece vocabulary; 128K context) and "
      "Table 1 (embedding and non-embedding parameters); ";
  const std::string gemma3_note =
      "Text model only: the 417M-parameter SigLIP vision encoder (Table 1) is not counted. "
      "GeGLU is counted as swiglu (the same three matrices). Each layer has four RMSNorms and "
      "a QK-norm on queries and keys; two norms per layer are counted here. seq is 32768, the "
      "131072 context of config.json over its linear RoPE scaling factor 8; for 128K sequences, "
      "take the 'model' object of --json as a --config and set its seq_len to 131072.";
  // One Gemma 3 size: its dims, local layers and tokens, from its config.json.
  auto gemma3 = [&](const std::string& size, int64_t layers, int64_t d_model, int64_t heads,
                    int64_t kv_heads, int64_t head_dim, int64_t ffn_dim, int64_t local_layers,
                    double tokens, const std::string& dims_text) {
    std::string title = size;  // "27b" -> "27B"
    title.back() = 'B';
    v.emplace_back("gemma3-" + size, "Gemma 3 " + title + " (text)");
    v.back().dims(layers, d_model, heads, kv_heads, head_dim).ffn(ffn_dim, swiglu).vocab(262208, true)
        .seq(32768).window(1024, local_layers)
        .tokens(tokens, "Gemma Team 2025 (Gemma 3 Technical Report), pre-training data: " +
                            std::to_string(int(tokens / 1e12)) + "T tokens for the " + title + " model")
        .cite(gemma3_cite + dims_text + ", vocabulary 262,208, tied embeddings from the released "
              "config.json (google/gemma-3-" + size + "-pt, text_config)")
        .note(gemma3_note);
  };
  gemma3("12b", 48, 3840, 16, 8, 256, 15360, 40, 12e12,
         "d_model 3840, 48 layers, 16 heads, 8 KV heads, head_dim 256, FFN 15360");
  gemma3("27b", 62, 5376, 32, 16, 128, 21504, 52, 14e12,
         "d_model 5376, 62 layers, 32 heads, 16 KV heads, head_dim 128, FFN 21504");

  v.emplace_back("mixtral-8x7b", "Mixtral 8x7B");
  v.back().dims(32, 4096, 32, 8, 128).ffn(14336, swiglu).vocab(32000, false).seq(32768)
      .moe(8, 2)
      .cite("Jiang et al. 2024, 'Mixtral of Experts', Table 1 (dim 4096, 32 layers, head_dim 128, "
            "hidden_dim 14336, 32 heads, 8 KV heads, context 32768, vocabulary 32000, 8 experts, "
            "top-2) and Section 2.1 (47B parameters, 13B active per token)");

  v.emplace_back("palm-540b", "PaLM 540B");
  v.back().dims(118, 18432, 48, 1, 256).ffn(4 * 18432, swiglu).vocab(256000, true).seq(2048)
      .tokens(780e9, "Chowdhery et al. 2022 (PaLM), Section 3: 780 billion tokens")
      .cite("Chowdhery et al. 2022, 'PaLM: Scaling Language Modeling with Pathways', Table 1 "
            "(118 layers, 48 heads, d_model 18432, 540.35B parameters; head size 256, d_ff = "
            "4*d_model) and Section 2 (SwiGLU, parallel layers, multi-query attention, shared "
            "input-output embeddings, no biases, 256k vocabulary, sequence length 2048)");
  v.back().m.parallel_block = true;

  // DeepSeek: head_dim is the no-position part of each query/key head
  // (qk_nope_head_dim); heads = kv_heads, as MLA has no K/V heads to share.
  const std::string activated_note =
      " The published activated count is reproduced without the input embedding, a lookup: "
      "compare it with params_active - params_lookup.";
  v.emplace_back("deepseek-v2-lite", "DeepSeek-V2-Lite");
  v.back().dims(27, 2048, 16, 16, 128).mla(0, 512, 64, 128).ffn(10944, swiglu).vocab(102400, false)
      .seq(4096).moe(64, 6).moe_details(2, 1408, 1)
      .tokens(5.7e12, "DeepSeek-V2-Lite model card (deepseek-ai/DeepSeek-V2-Lite): trained from scratch on 5.7T tokens")
      .cite("DeepSeek-AI 2024, 'DeepSeek-V2: A Strong, Economical, and Efficient Mixture-of-Experts "
            "Language Model' (arXiv:2405.04434), the DeepSeek-V2-Lite appendix (27 layers, d_model 2048, "
            "16 heads of 128, KV compression 512, no query compression, RoPE head 64, every FFN but the "
            "first a MoE of 2 shared and 64 routed experts of 1408, 6 routed per token; 15.7B parameters, "
            "2.4B activated); intermediate_size 10944, vocabulary 102,400, untied embeddings from the "
            "released config.json (deepseek-ai/DeepSeek-V2-Lite) and inference/configs/config_16B.json "
            "(deepseek-ai/DeepSeek-V3); pre-training sequence length 4K")
      .note("Expert routing is counted as uniform top-6 of 64 (no capacity limit)." + activated_note +
            " That gives 2.451B, 1.4M (0.06%) above the 2.45B that would round to the published "
            "2.4B; the sources do not say what their count leaves out (without the 26 routers' 3.4M "
            "weights it would round to 2.4B).");

  v.emplace_back("deepseek-v2", "DeepSeek-V2");
  v.back().dims(60, 5120, 128, 128, 128).mla(1536, 512, 64, 128).ffn(12288, swiglu).vocab(102400, false)
      .seq(4096).moe(160, 6).moe_details(2, 1536, 1)
      .tokens(8.1e12, "DeepSeek-V2 README (deepseek-ai/DeepSeek-V2): pretrained on 8.1 trillion tokens")
      .cite("DeepSeek-AI 2024, 'DeepSeek-V2' (arXiv:2405.04434), model hyper-parameters (60 layers, "
            "d_model 5120, 128 heads of 128, KV compression 512, query compression 1536, RoPE head 64, "
            "every FFN but the first a MoE of 2 shared and 160 routed experts of 1536, 6 routed per "
            "token; 236B parameters, 21B activated; pre-training sequence length 4K); intermediate_size "
            "12288, vocabulary 102,400, untied embeddings from the released config.json "
            "(deepseek-ai/DeepSeek-V2) and inference/configs/config_236B.json (deepseek-ai/DeepSeek-V3)")
      .note("Device-limited routing and the 128K context extension (YaRN) are not expressed; routing "
            "is counted as uniform top-6 of 160." + activated_note);

  v.emplace_back("deepseek-v3", "DeepSeek-V3");
  v.back().dims(61, 7168, 128, 128, 128).mla(1536, 512, 64, 128).ffn(18432, swiglu).vocab(129280, false)
      .seq(4096).moe(256, 8).moe_details(1, 2048, 3)
      .tokens(14.8e12, "DeepSeek-V3 Technical Report (arXiv:2412.19437), abstract: pre-trained on 14.8T tokens")
      .cite("DeepSeek-AI 2024, 'DeepSeek-V3 Technical Report' (arXiv:2412.19437), model hyper-parameters "
            "(61 layers, d_model 7168, 128 heads of 128, KV compression 512, query compression 1536, RoPE "
            "head 64, every FFN but the first three a MoE of 1 shared and 256 routed experts of 2048, 8 "
            "routed per token; 671B parameters, 37B activated; multi-token prediction depth 1) and "
            "pre-training sequence length 4K; the MTP module (Section 2.2: a d x 2d projection and one "
            "Transformer block, embedding and output head shared); first_k_dense_replace 3, "
            "intermediate_size 18432, vocabulary 129,280, untied embeddings, the router's "
            "e_score_correction_bias, original_max_position_embeddings 4096 and num_nextn_predict_layers 1 "
            "from the released config.json and README_WEIGHTS.md (deepseek-ai/DeepSeek-V3)");
  v.back().m.router_bias = true;  // the auxiliary-loss-free load-balancing bias
  v.back().m.mtp_depth = 1;       // trained with one multi-token prediction module
  v.back().note("Training counts the one multi-token-prediction module (mtp_depth 1) beside the 671B "
                "main model: params_mtp is 11.610B where README_WEIGHTS.md says 11.5B, 102.8M (0.9%) "
                "more, the size of the module's projection eh_proj, which the released weights have (the "
                "sources do not say what their count leaves out); it adds 3.8% to the training FLOPs and "
                "nothing to inference, which discards it. Node-limited routing and the 128K context "
                "extension are not expressed; routing is counted as uniform top-8 of 256." +
                activated_note);

  std::vector<ModelConfig> out;
  for (auto& p : v) {
    validate_model(p.m, "preset " + p.m.name);
    out.push_back(p.m);
  }
  return out;
}

}  // namespace

const std::vector<ModelConfig>& presets() {
  static const std::vector<ModelConfig> db = build();
  return db;
}

std::string preset_list() {
  std::string s;
  for (const auto& p : presets()) s += (s.empty() ? "" : ", ") + p.name;
  return s;
}

const ModelConfig& require_preset(std::string_view key) {
  for (const auto& p : presets())
    if (p.name == key) return p;
  throw_bad_input("unknown preset '" + std::string(key) + "' (presets: " + preset_list() + ")");
}

}  // namespace flopscope::estimate
