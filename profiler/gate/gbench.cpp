// Google Benchmark's JSON format, so that dashboards built for it (compare.py,
// github-action-benchmark, bencher) can track flopscope runs.
#include <map>

#include <nlohmann/json.hpp>

#include "flopscope/ci_report.h"

namespace flopscope {

std::string render_gbench_json(const ResultsDoc& doc) {
  using json = nlohmann::ordered_json;
  json ctx;
  ctx["date"] = doc.created;
  ctx["host_name"] = "";
  ctx["executable"] = "flopscope";
  ctx["num_cpus"] = 0;
  ctx["mhz_per_cpu"] = 0;
  ctx["cpu_scaling_enabled"] = false;
  ctx["caches"] = json::array();
  ctx["load_avg"] = json::array();
  ctx["library_build_type"] = "release";
  ctx["flopscope_version"] = doc.tool_version;
  ctx["flopscope_commit"] = doc.tool_commit;
  if (doc.device) {
    ctx["gpu"] = doc.device->name;
    ctx["gpu_key"] = doc.device->gpu_key;
    ctx["driver_version"] = doc.device->driver_version;
  }
  ctx["peaks"] = doc.peaks.datasheet.source;

  json benchmarks = json::array();
  std::map<std::string, int> family, instances;
  for (const auto& r : doc.runs) {
    std::string name = r.id;
    for (const auto& [k, v] : r.shape) name += "/" + k + ":" + std::to_string(v);
    if (const std::string nvtx = distinguishing_nvtx(r); !nvtx.empty()) name += "/nvtx:" + nvtx;
    const int fam = family.emplace(r.id, int(family.size())).first->second;
    const double t = r.time_s.median;
    json b;
    b["name"] = name;
    b["family_index"] = fam;
    b["per_family_instance_index"] = instances[r.id]++;
    b["run_name"] = name;
    b["run_type"] = "iteration";
    b["repetitions"] = 1;
    b["repetition_index"] = 0;
    b["threads"] = 1;
    b["iterations"] = r.time_s.samples.empty() ? int64_t(1) : int64_t(r.time_s.samples.size());
    b["real_time"] = t * 1e6;  // GPU time per launch, median of the samples
    b["cpu_time"] = t * 1e6;   // no separate CPU time: the same figure
    b["time_unit"] = "us";
    // A profiled application's kernel has no model: no model rates, which a
    // dashboard would plot as real zeros (every other view shows "-").
    const bool modelled = shows_model(r);
    if (t > 0 && modelled) {
      b["bytes_per_second"] = r.model.bytes / t;
      b["items_per_second"] = r.model.flops / t;  // items are model FLOPs
    }
    b["p10_us"] = r.time_s.p10 * 1e6;
    b["p90_us"] = r.time_s.p90 * 1e6;
    if (modelled) b["tflops"] = r.derived.tflops_model;
    if (r.derived.tflops_hw) b["tflops_hw"] = *r.derived.tflops_hw;
    if (r.derived.mfu) b["mfu"] = *r.derived.mfu;
    if (r.derived.hfu) b["hfu"] = *r.derived.hfu;
    if (modelled) b["model_flops"] = r.model.flops;
    if (r.hw && r.hw->flops_total) b["hw_flops"] = *r.hw->flops_total;
    if (r.sm_clock_mhz) b["sm_clock_mhz"] = *r.sm_clock_mhz;
    if (r.validation && !r.validation->passed) {
      b["error_occurred"] = true;
      b["error_message"] = "validation failed";
    }
    benchmarks.push_back(std::move(b));
  }
  json j;
  j["context"] = std::move(ctx);
  j["benchmarks"] = std::move(benchmarks);
  return j.dump(2) + "\n";
}

}  // namespace flopscope
