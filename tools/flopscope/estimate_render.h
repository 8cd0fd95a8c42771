#pragma once
// What `flopscope estimate` computed for one model, and its two renderings:
// the JSON of --json (keys in docs/estimate.md) and the terminal's tables.
#include <cstddef>
#include <optional>
#include <string>

#include "flopscope/estimate.h"

namespace flopscope::cli {

struct EstimateRun {
  estimate::ModelConfig model;
  estimate::Checkpointing checkpointing = estimate::Checkpointing::none;
  std::string dtype;  // --dtype as given
  estimate::Peak peak;
  estimate::TokenFlops token_flops;
  estimate::ParamCounts params;
  estimate::ForwardFlops forward_parts;  // per token, at seq_len
  std::string from;                      // --from, if given
  std::optional<estimate::MeasuredUtilization> measured;
  estimate::TrainingInputs training_inputs;
  std::string tokens_source;  // "--tokens" or "preset: ..."
  estimate::TrainingEstimate training;
  estimate::InferenceEstimate inference;
  std::string power_source;        // "--gpu-power-w" or the datasheet's
  bool cost_inputs_given = false;  // --price-per-gpu-hour, --gpu-power-w or --pue
};

/// The presets, as --list-presets prints them.
std::string render_presets_json();
std::string render_presets_table(size_t width, bool color);

std::string render_estimate_json(const EstimateRun& e);
std::string render_estimate_table(const EstimateRun& e, size_t width, bool color);

}  // namespace flopscope::cli
