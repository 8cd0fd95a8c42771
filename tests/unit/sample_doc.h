#pragma once
// A small, hand-made results document for tests of the format and reporters.
// Its numbers are invented: they test plumbing, not GPUs.
#include <algorithm>
#include <string>
#include <vector>

#include "flopscope/models.h"
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

// Fifty runs laid out as `flopscope bench --kernel .` would on an H200: every
// family, variant and dtype the project ships, with invented efficiencies, so
// that the tensor-core runs crowd one corner of the roofline as real ones do.
inline ResultsDoc suite_like_doc() {
  ResultsDoc doc = sample_doc();
  doc.runs.clear();
  struct Kind {
    const char* family;
    const char* variant;
    double efficiency;  // of the roof at its intensity
    std::vector<const char*> dtypes;
  };
  const std::vector<Kind> kinds{
      {"attention", "flash_mma", 0.5, {"bf16", "fp16"}},  {"attention", "flash_simt", 0.4, {"fp32"}},
      {"attention", "naive", 0.05, {"bf16", "fp16", "fp32"}},
      {"ffn", "gelu_cublas", 0.7, {"bf16", "fp16", "fp32", "tf32"}},
      {"ffn", "gelu_fused", 0.55, {"bf16", "fp16", "tf32"}},  {"ffn", "gelu_unfused", 0.5, {"bf16", "fp16", "tf32"}},
      {"ffn", "swiglu_cublas", 0.7, {"bf16", "fp16", "fp32", "tf32"}},
      {"ffn", "swiglu_fused", 0.55, {"bf16", "fp16", "tf32"}},
      {"ffn", "swiglu_unfused", 0.5, {"bf16", "fp16", "tf32"}},
      {"gemm", "cublas", 0.8, {"bf16", "fp16", "fp32", "tf32"}},
      {"gemm", "cublaslt", 0.8, {"bf16", "fp16", "fp32", "tf32"}},
      {"gemm", "mma_sync", 0.6, {"bf16", "fp16", "tf32"}},     {"gemm", "naive", 0.05, {"bf16", "fp16", "fp32"}},
      {"gemm", "reg_tiled", 0.6, {"fp32"}},                    {"gemm", "smem_tiled", 0.2, {"bf16", "fp16", "fp32"}},
      {"gemm", "wgmma", 0.75, {"bf16", "fp16"}},               {"memory", "copy", 0.9, {"fp32"}},
      {"memory", "softmax", 0.8, {"bf16", "fp32"}},            {"memory", "triad", 0.9, {"fp32"}}};
  unsigned jitter = 12345;  // a fixed sequence: the same chart every time
  for (const Kind& k : kinds)
    for (const std::string dtype : k.dtypes) {
      const int bytes = dtype == "fp32" || dtype == "tf32" ? 4 : 2;
      const std::string family = k.family, variant = k.variant;
      // Naive, SIMT and tiled kernels run any dtype on the FP32 CUDA cores.
      const bool tensor = family != "memory" && variant != "naive" && variant.find("simt") == std::string::npos &&
                          variant.find("tiled") == std::string::npos;
      const std::string precision = dtype == "fp32" || !tensor ? "fp32" : dtype + "_tensor";
      Cost cost;
      Shape shape;
      if (family == "gemm") {
        cost = gemm_cost({4096, 4096, 4096}, bytes, bytes);
        shape = {{"m", 4096}, {"n", 4096}, {"k", 4096}};
      } else if (family == "ffn") {
        const FfnShape s{8192, 4096, 16384, variant.rfind("gelu", 0) == 0 ? FfnType::gelu : FfnType::swiglu};
        cost = ffn_cost(s, variant.find("unfused") == std::string::npos, bytes);
        shape = {{"tokens", 8192}, {"d_model", 4096}, {"d_ff", 16384}};
      } else if (family == "attention") {
        const AttentionShape s{4, 16, 4096, 4096, 128, false};
        cost = variant == "naive" ? attention_naive_cost(s, bytes, 4) : attention_fused_cost(s, bytes);
        shape = {{"batch", 4}, {"heads", 16}, {"seq", 4096}, {"head_dim", 128}};
      } else {
        const int64_t n = int64_t(1) << 28;
        cost = variant == "copy" ? copy_cost(n, bytes) : variant == "triad" ? triad_cost(n, bytes)
                                                                            : softmax_rows_cost(131072, 4096, bytes);
        shape = {{"n", n}};
      }
      jitter = jitter * 1103515245u + 12345u;
      const double wobble = 0.9 + 0.2 * double((jitter >> 8) % 1000) / 1000.0;
      const double peak = doc.peaks.datasheet.flops_per_s.at(precision);
      const double bw = doc.peaks.datasheet.dram_bytes_per_s;
      // The time its roof allows, or its bytes' time for a copy (no FLOPs).
      const double best = cost.flops > 0 ? cost.flops / std::min(peak, cost.flops / cost.bytes * bw) : cost.bytes / bw;
      RunRecord r = sample_run(family, variant, dtype, precision, cost, best / (k.efficiency * wobble), shape);
      compute_derived(r, doc.peaks.datasheet);
      doc.runs.push_back(r);
    }
  return doc;
}

}  // namespace flopscope::test
