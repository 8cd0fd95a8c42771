#pragma once
// A small, hand-made results document for tests of the format and reporters.
// Its numbers are invented: they test plumbing, not GPUs.
#include "flopscope/results.h"

namespace flopscope::test {

inline RunRecord sample_run(const std::string& family, const std::string& variant,
                            const std::string& dtype, const std::string& precision, Cost model,
                            double seconds, Shape shape) {
  RunRecord r;
  r.family = family;
  r.variant = variant;
  r.dtype = dtype;
  r.id = family + "." + variant + "." + dtype;
  r.precision = precision;
  r.shape = std::move(shape);
  r.time_s = summarize({seconds * 1.02, seconds, seconds * 0.99});
  r.sm_clock_mhz = 1980;
  r.model = std::move(model);
  return r;
}

inline ResultsDoc sample_doc() {
  ResultsDoc doc = new_results_doc();
  DeviceInfo dev;
  dev.name = "NVIDIA H200";
  dev.gpu_key = "h200";
  dev.cc_major = 9;
  dev.sm_count = 132;
  dev.max_sm_clock_mhz = 1980;
  dev.memory_bytes = 141e9;
  dev.driver_version = "13.0";
  dev.cuda_runtime_version = "13.0";
  doc.device = dev;
  doc.peaks.datasheet = datasheet_peaks(require_gpu("h200"));

  RunRecord g = sample_run("gemm", "cublas", "bf16", "bf16_tensor", gemm_cost({8192, 8192, 8192}, 2, 2),
                           1.4e-3, {{"m", 8192}, {"n", 8192}, {"k", 8192}});
  HwCounters hw;
  hw.flops_total = g.model.flops * 1.0002;
  hw.flops_by_pipe["bf16_tensor"] = *hw.flops_total;
  hw.dram_read_bytes = 5e8;
  hw.dram_write_bytes = 1.4e8;
  hw.l2_bytes = 4e9;
  g.hw = hw;
  g.validation = Validation{2e-3, 1e-3, 1e-2, true};
  compute_derived(g, doc.peaks.datasheet);
  doc.runs.push_back(g);

  RunRecord c = sample_run("memory", "copy", "fp32", "fp32", copy_cost(1 << 28, 4), 0.52e-3,
                           {{"n", 1 << 28}});
  compute_derived(c, doc.peaks.datasheet);
  doc.runs.push_back(c);
  return doc;
}

}  // namespace flopscope::test
