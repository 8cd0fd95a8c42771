// `flopscope metrics --chip NAME [--set S] [--tensor LIST] [--json]`: the metric
// plan for a chip and the replay passes it costs, offline (CUPTI's host API).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/error.h"

#ifdef FLOPSCOPE_HAS_CUDA
#include "flopscope/metric_plan.h"
#endif

namespace flopscope::cli {
namespace {

struct MetricsOptions {
  std::string chip;
  std::string set = "roofline";
  std::string tensor = "all";
  bool json = false;
  bool list_chips = false;
};

#ifdef FLOPSCOPE_HAS_CUDA
std::string formula(const Quantity& q) {
  std::string out;
  for (const auto& t : q.terms) {
    if (!out.empty()) out += " + ";
    if (t.factor != 1) {
      nlohmann::json f = t.factor;
      out += f.dump() + "*";
    }
    out += t.metric;
  }
  return out;
}

nlohmann::json plan_json(const MetricPlan& p) {
  nlohmann::json j;
  j["plan_version"] = p.version;
  j["chip"] = p.chip;
  j["set"] = std::string(to_string(p.set));
  j["tensor"] = p.tensor;
  j["passes"] = p.passes;
  j["metrics"] = p.metrics;
  j["config_image_bytes"] = p.config_image.size();
  j["quantities"] = nlohmann::json::array();
  for (const auto& q : p.quantities) {
    nlohmann::json jq;
    jq["key"] = q.key;
    jq["description"] = q.description;
    jq["available"] = q.available;
    if (!q.note.empty()) jq["note"] = q.note;
    jq["terms"] = nlohmann::json::array();
    for (const auto& t : q.terms) jq["terms"].push_back({{"metric", t.metric}, {"factor", t.factor}});
    j["quantities"].push_back(jq);
  }
  j["notes"] = p.notes;
  return j;
}

int run_metrics(const MetricsOptions& o) {
  if (o.list_chips) {
    const std::vector<std::string> chips = supported_chips();
    if (o.json)  // --json was once ignored here, giving text to a JSON reader
      std::cout << nlohmann::json(chips).dump(2) << "\n";
    else
      for (const auto& c : chips) std::cout << c << "\n";
    return kOk;
  }
  std::string chip = o.chip;
  if (chip.empty()) {
    try {
      chip = device_chip(0);  // the GPU here, when there is one
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::no_gpu) throw;
      throw_bad_input("no GPU here to take the chip from: pass --chip NAME, e.g. --chip GH100 "
                      "(H100/H200); 'flopscope metrics --list-chips' lists them");
    }
  }
  const auto set = parse_metric_set(o.set);
  // "none" (a session's "no counters") plans nothing: not a set to print.
  if (!set || *set == MetricSet::none) throw_bad_input("unknown metric set '" + o.set + "' (use timing, bytes, flops or roofline)");
  const MetricPlan plan = build_metric_plan(chip, *set, parse_tensor_list(o.tensor));
  if (o.json) {
    std::cout << plan_json(plan).dump(2) << "\n";
    return kOk;
  }
  // Tensor types matter only to the sets that count FLOPs.
  std::string tensor;
  for (const auto& t : plan.tensor) tensor += (tensor.empty() ? "" : ",") + t;
  const bool counts_flops = plan.set == MetricSet::flops || plan.set == MetricSet::roofline;
  std::cout << "chip " << plan.chip << ", set " << to_string(plan.set)
            << (counts_flops ? ", tensor " + (tensor.empty() ? std::string("none") : tensor) : std::string())
            << ": " << plan.metrics.size() << " metrics, "
            << plan.passes << " replay pass" << (plan.passes == 1 ? "" : "es") << "\n";
  size_t width = 0;
  for (const auto& q : plan.quantities) width = std::max(width, q.key.size());
  for (const auto& q : plan.quantities) {
    if (!q.available) continue;
    std::cout << "  " << q.key << std::string(width - q.key.size() + 2, ' ') << "= " << formula(q)
              << "\n";
  }
  if (!plan.notes.empty()) {
    std::cout << "notes on " << plan.chip << " (quantities not collected, counters shared):\n";
    for (const auto& n : plan.notes) std::cout << "  " << n << "\n";
  }
  return kOk;
}
#else
int run_metrics(const MetricsOptions&) {
  // Exit 3, as every command a build without CUDA cannot run (exit-codes.md).
  throw Error(ErrorKind::no_gpu, "this flopscope was built without the CUDA toolkit (FLOPSCOPE_CUDA=OFF), so it "
                                 "has no CUPTI to build metric plans; rebuild with the toolkit");
}
#endif

void add_metrics_command(Command app) {
  auto opt = std::make_shared<MetricsOptions>();
  Command sub = app.add_subcommand(
      "metrics", "Print the hardware-counter plan for a chip and its replay passes (no GPU needed)");
  Option chip = sub.add_option("--chip", opt->chip,
                  "CUPTI chip name, e.g. GH100 (H100, H200), GA100, AD102; default: GPU 0's")
      .check(not_empty());
  Option set = sub.add_option("--set", opt->set, "timing, bytes, flops or roofline (default roofline)");
  Option tensor = sub.add_option("--tensor", opt->tensor,
                  "tensor-core source types to count: comma list of fp64,tf32,fp16,bf16,fp8, "
                  "or all (default) or none; each may add replay passes (this plan counts them)")
      .check(not_empty());
  sub.add_flag("--json", opt->json, "Print the plan as JSON");
  Option list = sub.add_flag("--list-chips", opt->list_chips, "List the chips CUPTI knows and exit");
  list.excludes(chip).excludes(set).excludes(tensor);
  set_action(sub, [opt, tensor]() {
    // --tensor picks FLOP counters; given under timing or bytes it would be
    // dropped without a word (its default, all, is simply unused there).
    if (tensor.count() > 0 && (opt->set == "timing" || opt->set == "bytes"))
      throw_bad_input("--tensor chooses the tensor-core FLOPs a plan counts: use --set flops or --set roofline");
    return run_metrics(*opt);
  });
}

}  // namespace

static const bool registered = register_command(45, add_metrics_command);

}  // namespace flopscope::cli
