// Estimator model configs (`estimate --config FILE`, parse_model_config), then
// everything `estimate` computes from a config it accepted: the config written
// back (`estimate --json`'s model, which --config must read again), parameter
// and FLOP counts, training and inference budgets, and the MFU measured in a
// results file (`--from`).
#include "flopscope/estimate.h"
#include "fuzz_target.h"
#include "unit/sample_doc.h"

using namespace flopscope;
using namespace flopscope::estimate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ResultsDoc measured = test::sample_doc();
  const std::string text = fuzz::text_of(data, size);
  fuzz::loaded_or_refused("m.json", [&] {
    const ModelConfig m = parse_model_config(text, "m.json");
    fuzz::round_trips(to_config_json(m), [](const std::string& t) {
      return to_config_json(parse_model_config(t, "written.json"));
    });
    count_params(m);
    const Peak peak{989.4e12, "bf16_tensor", "h200 datasheet", 4.8e12, "h200"};
    for (const Checkpointing c : {Checkpointing::none, Checkpointing::selective, Checkpointing::full}) {
      const TokenFlops f = token_flops(m, c);
      TrainingInputs in;
      in.tokens = 1e12;
      in.tokens_per_second = 1e6;
      in.gpus = 1024;
      in.mfu = 0.4;
      in.checkpointing = c;
      // Refused when 1e6 tokens/s would be over 100% MFU for this model: the flags' fault, not the file's.
      fuzz::refusal_allowed([&] { estimate_training(m, f, in, peak); });
      training_step_flops(m, c, 8192);
    }
    forward_flops_per_token(m, m.seq_len, true);
    InferenceInputs inf;
    inf.gen_tokens = 128;
    inf.batch = 8;
    // Refused when 128 generated tokens run past a learned position table of
    // fewer rows (seq_len < 129): the flags' fault, not the file's.
    fuzz::refusal_allowed([&] { estimate_inference(m, inf, peak); });
    inf.gen_tokens = 0;  // the CLI's default: the prompt fills seq_len, always accepted
    estimate_inference(m, inf, peak);
    fuzz::refusal_allowed([&] { measured_utilization(m, measured, "bf16_tensor", "r.json"); });
  });
  return 0;
}
