#pragma once
/// The FLOP budget estimator behind `flopscope estimate`: parameter counts,
/// FLOPs per token, training totals, time, energy and cost, and the inference
/// (prefill / decode) budget of a decoder-only transformer. Host-only; every
/// formula and its convention is in docs/estimate.md. The per-layer GEMM,
/// attention and FFN FLOPs come from models.h, so the estimator and the
/// kernels' model FLOPs share one definition.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/models.h"
#include "flopscope/results.h"

namespace flopscope::estimate {

// ---- the model ------------------------------------------------------------------

/// A decoder-only transformer. Dense unless `experts` > 0 (mixture of experts,
/// every layer's FFN but the first `dense_layers` replaced by `experts` routed
/// experts of which `active_experts` run per token, with a linear router, plus
/// `shared_experts` that every token runs). Attention is multi-head (MHA, GQA,
/// MQA) unless `kv_lora_rank` > 0: DeepSeek-V2/V3's multi-head latent attention
/// (MLA). With `mtp_depth` > 0, training also runs that many multi-token
/// prediction modules (DeepSeek-V3 Section 2.2). Config keys in JSON are these names.
struct ModelConfig {
  std::string name;    ///< preset key, or the config file's path
  std::string title;   ///< "Llama 3 8B"
  std::string source;  ///< where the hyper-parameters come from (presets)
  std::string notes;   ///< what this config cannot express about the real model

  int64_t layers = 0, d_model = 0, heads = 0;
  int64_t kv_heads = 0;  ///< 0 in input: = heads (multi-head); 1 = multi-query
  int64_t head_dim = 0;  ///< 0 in input: = d_model / heads
  int64_t ffn_dim = 0;   ///< hidden size of the FFN (of each expert)
  FfnType ffn_type = FfnType::gelu;
  int64_t vocab = 0;
  bool tied_embeddings = false;  ///< LM head shares the token embedding
  int64_t seq_len = 0;           ///< training sequence length (T in PaLM's formula)
  int64_t experts = 0;           ///< routed experts per MoE layer; 0: dense
  int64_t active_experts = 0;    ///< routed experts per token (top-k)
  int64_t shared_experts = 0;    ///< experts every token runs, beside the routed ones
  int64_t moe_ffn_dim = 0;       ///< hidden size of each expert; 0 in input: = ffn_dim
  int64_t dense_layers = 0;      ///< the first layers keep a dense FFN of ffn_dim
  // Multi-head latent attention (DeepSeek-V2 Section 2.1), on when kv_lora_rank > 0.
  // Each head's query/key is head_dim (no position) + qk_rope_head_dim (RoPE) wide.
  int64_t kv_lora_rank = 0;      ///< the compressed K/V latent (d_c); 0: MHA/GQA/MQA
  int64_t q_lora_rank = 0;       ///< the compressed query (d_c'); 0: direct d -> H x qk projection
  int64_t qk_rope_head_dim = 0;  ///< the decoupled RoPE part of each query/key head (d_h^R)
  int64_t v_head_dim = 0;        ///< each head's value size; 0 in input: = head_dim
  /// Sliding-window attention (Mistral 7B, Section 2): a query attends to at
  /// most this many keys (itself and the ones just before it), and a layer's
  /// KV cache keeps at most this many tokens. 0: full attention.
  int64_t sliding_window = 0;
  /// The layers that use the window (Gemma 2 alternates windowed and global
  /// layers); which ones changes no FLOP or byte count. Absent in input with a
  /// window: every layer.
  int64_t window_layers = 0;
  // Parameter-count details; they change no FLOP figure.
  bool bias = false;               ///< biases on every linear layer (GPT-2/3)
  bool norm_bias = false;          ///< norms have a bias (LayerNorm) as well as a scale
  bool parallel_block = false;     ///< one norm per layer (PaLM's parallel block), else two
  bool learned_positions = false;  ///< a learned seq_len x d_model position table (GPT-2/3)
  bool router_bias = false;        ///< a bias per routed expert on the router (DeepSeek-V3)
  /// Multi-token prediction (DeepSeek-V3 Section 2.2): D sequential modules,
  /// each a projection 2d -> d of the normalized hidden state and the next
  /// token's embedding, one more transformer layer of the last layer's kind and
  /// three norms, sharing the embedding and the LM head with the main model.
  /// They add training work only: inference runs the main model. 0: none.
  int64_t mtp_depth = 0;
  /// Training tokens the source reports (presets only); 0: unknown.
  double train_tokens = 0;
  std::string train_tokens_source;
};

/// One weight matrix a token's activations are multiplied by: `in` features to `out`.
struct Projection {
  int64_t in = 0, out = 0;
};
/// One layer's attention projections before the attention itself. MHA/GQA/MQA:
/// the fused Q/K/V, d -> (H + 2K)·Q. MLA: the query (d -> q_lora_rank ->
/// H·qk, or d -> H·qk directly), the K/V down-projection with the RoPE key
/// (d -> kv_lora_rank + qk_rope_head_dim) and the K/V up-projection
/// (kv_lora_rank -> H·(head_dim + v_head_dim)).
std::vector<Projection> attention_in_projections(const ModelConfig& m);
/// The output projection, H·v -> d (v = head_dim unless MLA's v_head_dim).
Projection attention_out_projection(const ModelConfig& m);

bool is_mla(const ModelConfig& m);          ///< multi-head latent attention
int64_t qk_head_dim(const ModelConfig& m);  ///< query/key head size: head_dim (+ RoPE part for MLA)
int64_t moe_layers(const ModelConfig& m);   ///< layers with experts (0 for a dense model)

/// Parses a JSON model config; errors name `origin`, the key and the fix.
/// Unknown keys are refused (a typo would otherwise be ignored silently).
ModelConfig parse_model_config(const std::string& json_text, const std::string& origin);
/// Checks sizes and fills kv_heads / head_dim defaults. `origin` prefixes errors.
void validate_model(ModelConfig& m, const std::string& origin);
/// The model as a config file (defaults filled, `name` the title): what
/// parse_model_config reads back to the same model, so that `estimate --json`'s
/// `model` can be edited and given to `--config`.
std::string to_config_json(const ModelConfig& m);

const std::vector<ModelConfig>& presets();
/// Throws bad_input listing every preset when `key` is unknown.
const ModelConfig& require_preset(std::string_view key);
std::string preset_list();  ///< "gpt2-small, gpt2-xl, ..."

// ---- parameters ------------------------------------------------------------------

struct ParamCounts {
  double total = 0;
  double embedding = 0;      ///< token embedding + untied LM head + learned positions
  double non_embedding = 0;  ///< total - embedding (Kaplan et al. 2020's N)
  double active = 0;         ///< per token: total less the experts a token does not use
  /// Tables read by lookup, not multiplied: an untied token embedding and
  /// learned positions (a tied table is the LM head's matmul, so not here).
  double lookup = 0;
  // per layer
  double attention = 0;  ///< Q, K, V, O projections (and their biases); MLA: all its projections
  double ffn_expert = 0; ///< one FFN of a dense model, or one expert (routed or shared)
  double ffn_dense = 0;  ///< the FFN of a dense layer (ffn_dim wide)
  double router = 0;     ///< of an MoE layer, its bias included
  double norms = 0;      ///< the layer's norms, MLA's latent norms included
  // Multi-token prediction (mtp_depth modules), in none of the figures above:
  // `total` is the main model, the one inference runs.
  double mtp = 0;         ///< the modules' own parameters (projection, norms, block), all modules
  double mtp_active = 0;  ///< of those, the ones a token uses (its experts only), all modules
  double mtp_module = 0;  ///< one module's own parameters
};
ParamCounts count_params(const ModelConfig& m);

// ---- FLOPs per token -------------------------------------------------------------------

/// Forward FLOPs of one token, split by part, for a sequence of `seq_len`
/// tokens. Matmul FLOPs only (the 6N convention): elementwise work (norms,
/// activations, softmax, residual adds) is left out.
struct ForwardFlops {
  double qkv = 0;        ///< all layers: X·[Wq Wk Wv]; MLA: every projection before attention
  double attn_out = 0;   ///< all layers: O·Wo
  double attention = 0;  ///< all layers: QKᵀ and PV
  double ffn = 0;        ///< all layers: the dense FFNs' and active experts' GEMMs
  double router = 0;     ///< all layers
  double logits = 0;     ///< the LM head
  double total() const { return qkv + attn_out + attention + ffn + router + logits; }
};
/// `causal` false: every query sees all `seq_len` keys (the PaLM / Megatron
/// convention, 4·H·Q·T per layer; MLA 2·H·(qk + v)·T). true: exact causal
/// count, (T+1)/2 keys on average. MLA is counted in the form training uses:
/// keys and values up-projected from the latent once per token. The main
/// model only: the multi-token prediction modules are mtp_forward_flops_per_token.
ForwardFlops forward_flops_per_token(const ModelConfig& m, int64_t seq_len, bool causal);

/// Forward FLOPs of one token through the `mtp_depth` multi-token prediction
/// modules, all of them, for a sequence of `seq_len` tokens: each module's
/// projection 2d -> d, its transformer block (one layer of the last layer's
/// kind: its parts in `block`, router included) and the shared LM head once
/// more (`block.logits`). Every module is counted over all seq_len positions
/// (module k runs on T - k). All zero without MTP.
struct MtpForwardFlops {
  double projection = 0;  ///< [RMSNorm(h); RMSNorm(Emb)] · M_kᵀ, 2d -> d
  ForwardFlops block;     ///< the block's parts and the shared LM head's logits
  double total() const { return projection + block.total(); }
};
MtpForwardFlops mtp_forward_flops_per_token(const ModelConfig& m, int64_t seq_len, bool causal);

enum class Checkpointing { none, selective, full };
const char* to_string(Checkpointing c);
std::optional<Checkpointing> parse_checkpointing(std::string_view s);

struct TokenFlops {
  double forward = 0;         ///< ForwardFlops::total(), dense attention at seq_len
  double forward_causal = 0;  ///< the same with the exact causal score count
  double train_6n = 0;        ///< 6 * params_active (+ the MTP modules' 6N, below)
  double train = 0;           ///< PaLM Appendix B: 6N + 12·L·H·Q·T, N = active - lookup
                              ///< (MLA: 6·L·H·(qk + v)·T for the attention term),
                              ///< + train_mtp
  /// The multi-token prediction modules' part of `train`: 6·(mtp_active +
  /// D·V·d, the shared LM head once more per module) + D attention terms. 0 without MTP.
  double train_mtp = 0;
  /// `train` with the exact causal score count, (T+1)/2 keys on average, in its
  /// attention terms (current Megatron-LM's and DeepSeek's convention halves it).
  double train_causal = 0;
  double recompute = 0;       ///< what checkpointing re-runs, per token (MTP blocks included)
  double hardware = 0;        ///< train + recompute (the HFU numerator)
};
TokenFlops token_flops(const ModelConfig& m, Checkpointing c);

/// One training step of `step_tokens` tokens, by part, for setting beside a
/// profiled step (`estimate --model-flops-out`, `crosscheck --model-flops`):
/// "qkv", "attn_out", "attention", "ffn", "router", "logits" are 3 x the
/// forward part (forward, and backward at twice it), "mtp" 3 x the forward of
/// the multi-token prediction modules, and "recompute" what the
/// checkpointing re-runs; parts that are 0 are left out. Attention counts every
/// key of seq_len, as token_flops does.
std::map<std::string, double> training_step_flops(const ModelConfig& m, Checkpointing c, double step_tokens);

// ---- training ---------------------------------------------------------------------------

struct Peak {
  double flops_per_s = 0;       ///< dense peak of one GPU; 0: unknown
  std::string key;              ///< "bf16_tensor"
  std::string source;           ///< "h100-sxm datasheet" or "--peak-tflops"
  double dram_bytes_per_s = 0;  ///< 0: unknown
  std::string gpu_key;          ///< database key, empty without --gpu
  double memory_bytes = 0;      ///< one GPU's memory; 0: unknown
};

/// Default board power of a database GPU: the datasheet's maximum TDP.
/// nullopt when the datasheet gives a range that includes other parts (GH200).
std::optional<double> default_gpu_power_w(std::string_view gpu_key);
std::string gpu_power_source(std::string_view gpu_key);

struct TrainingInputs {
  std::optional<double> tokens;             ///< training tokens
  std::optional<double> tokens_per_second;  ///< measured, all GPUs together
  int64_t gpus = 1;
  std::optional<double> mfu;                ///< assumed MFU, (0, 1]
  std::optional<double> measured_mfu;       ///< from --from
  std::optional<double> price_per_gpu_hour;
  double pue = 1.0;
  std::optional<double> gpu_power_w;        ///< per GPU
  Checkpointing checkpointing = Checkpointing::none;
};

struct TrainingEstimate {
  std::optional<double> training_flops, training_flops_6n, training_flops_hardware;
  std::optional<double> training_flops_mtp;             ///< of training_flops; with mtp_depth only
  std::optional<double> time_to_train_s;                ///< at the assumed MFU
  std::optional<double> time_to_train_s_measured_mfu;   ///< at the MFU from --from
  std::optional<double> time_at_tokens_per_second_s;    ///< tokens / tokens_per_second
  std::optional<double> mfu, hfu;                       ///< observed, from tokens_per_second
  /// The time energy and cost are computed for: "mfu", "measured_mfu" or
  /// "tokens_per_second" (the first available), empty when there is none.
  std::string time_basis;
  std::optional<double> time_s, gpu_hours, energy_kwh, cost;
  std::optional<double> gpu_power_w;
};
TrainingEstimate estimate_training(const ModelConfig& m, const TokenFlops& f,
                                   const TrainingInputs& in, const Peak& peak);

// ---- inference ----------------------------------------------------------------------------

/// The most tokens any count may name (prompt, generated, batch, context, a
/// training step): far beyond any model, and small enough that sums and
/// products of them stay exact.
inline constexpr int64_t kMaxTokenCount = int64_t(1) << 40;

struct InferenceInputs {
  int64_t prompt_tokens = 0;  ///< 0: the model's seq_len (learned positions: seq_len - gen_tokens)
  int64_t gen_tokens = 0;     ///< tokens generated after the prompt
  int64_t batch = 1;
  int64_t context = 0;        ///< keys the decode step attends to; 0: prompt + gen
  int weight_bytes = 2;
  int kv_bytes = 2;
};

struct DecodePoint {
  int64_t batch = 1;
  double flops = 0;       ///< per step, all sequences
  double bytes = 0;       ///< per step: weights read once + every sequence's KV cache
  double intensity = 0;   ///< FLOP/byte
  std::optional<bool> memory_bound;           ///< needs a peak and a bandwidth
  std::optional<double> step_s_roofline;      ///< max(flops/peak, bytes/bandwidth)
  std::optional<double> tokens_per_s_roofline;  ///< batch / step_s_roofline
};

struct InferenceEstimate {
  int64_t prompt_tokens = 0, gen_tokens = 0, batch = 1, context = 0;
  double prefill_flops = 0;            ///< the batch's prompts, causal attention
  double decode_flops_per_token = 0;   ///< one sequence, one step at `context`
  double decode_bytes_per_token = 0;   ///< batch 1: weights + one KV cache
  double weight_bytes_per_step = 0;    ///< batch 1
  double kv_bytes_per_token = 0;       ///< KV cache of one cached token, all layers
                                       ///< (MLA: the latent and the RoPE key)
  double kv_cache_bytes = 0;           ///< one sequence at `context`
  /// What serving the batch keeps in GPU memory: every weight (all experts,
  /// the embedding tables) and the batch's KV caches at `context`; not the
  /// activations or the framework's own.
  double resident_bytes = 0;
  /// Whether resident_bytes fits one GPU's memory (nullopt: no GPU memory
  /// known). The roofline figures are one GPU's either way.
  std::optional<bool> fits_one_gpu;
  double generation_flops = 0;         ///< prefill + every decode step, the whole batch
  std::optional<double> ridge;         ///< FLOP/byte of the chosen GPU
  DecodePoint batch1, at_batch;
  std::optional<int64_t> compute_bound_batch;  ///< smallest batch at or above the ridge
};
InferenceEstimate estimate_inference(const ModelConfig& m, const InferenceInputs& in,
                                     const Peak& peak);

/// Weights read by one decode step of `batch` sequences, in parameters. For a
/// mixture of experts the expected number of distinct routed experts touched,
/// under uniform routing: E·(1 − (1 − k/E)^batch) per MoE layer.
double decode_weight_params(const ModelConfig& m, int64_t batch);

// ---- measured utilization (--from) ---------------------------------------------------------

struct MatchedRun {
  std::string id;
  std::string part;  ///< "gemm", "attention" or "ffn"
  std::string shape;
  double mfu = 0;
};

struct MeasuredUtilization {
  double mfu = 0;  ///< forward-FLOP-weighted harmonic mean of the parts' MFU
  std::optional<double> gemm_mfu, attention_mfu, ffn_mfu;  ///< best matched run per part
  std::vector<MatchedRun> runs;  ///< every matched run
  std::vector<std::string> notes;  ///< fallbacks taken ("attention: no run ...; used ...")
  std::string device;  ///< the results' GPU
};

/// The MFU flopscope measured for the model's kernels: runs of family gemm,
/// attention or ffn at `precision_key`, with an MFU, whose shapes are within a
/// factor of 2 of the model's (docs/estimate.md, "Matching rule"). Throws
/// bad_input in one line when no GEMM or FFN run matches.
MeasuredUtilization measured_utilization(const ModelConfig& m, const ResultsDoc& doc,
                                         const std::string& precision_key,
                                         const std::string& origin);

}  // namespace flopscope::estimate
