#pragma once
// Handmade samples for crosscheck and the NVTX range views: Nsight Compute CSV
// exports with the `flopscope profile` results they are set beside, and a
// profiled training step with its model FLOPs per range. The ncu layouts
// (columns, quoting, units row, "==PROF==" lines, digit grouping, scaled units)
// follow ncu's documented output; every number is made up. Replace with
// recorded ones once an H200 run exists (bench/results/h200/).
#include <string>

#include "flopscope/results.h"

namespace flopscope::test {

// void gemm_kernel<128>(float const*, float const*, float*, int, int, int), its
// <64> sibling, and copy_kernel(float const*, float*, long).
inline constexpr const char* kNcuGemm128 = "_Z11gemm_kernelILi128EEvPKfS1_Pfiii";
inline constexpr const char* kNcuGemm64 = "_Z11gemm_kernelILi64EEvPKfS1_Pfiii";
inline constexpr const char* kNcuCopy = "_Z11copy_kernelPKfPfl";

/// The details page (`ncu --csv --print-kernel-base mangled`, no --log-file, no
/// --print-units base): the application's output and ncu's own lines around
/// the rows. gemm<128> is launched twice; copy's bytes are printed scaled
/// ("Mbyte"), as ncu's default `--print-units auto` does.
inline std::string ncu_details_csv() {
  const std::string head =
      R"csv("ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value")csv";
  auto row = [](int id, const std::string& kernel, const std::string& metric, const std::string& unit,
                const std::string& value) {
    // Appended piece by piece: GCC 12's -Wrestrict misfires on one long `a + b + ...` at -O3.
    std::string r = "\"";
    r += std::to_string(id);
    r += R"csv(","4242","flopscope","127.0.0.1",")csv";
    r += kernel;
    r += R"csv(","1","7","(256, 1, 1)","(64, 1, 1)","0","9.0","Command line profiler metrics",")csv";
    for (const std::string* part : {&metric, &unit}) {
      r += *part;
      r += "\",\"";
    }
    r += value;
    r += "\"\n";
    return r;
  };
  std::string s = "==PROF== Connected to process 4242 (/usr/local/bin/flopscope)\n";
  s += "flopscope: running gemm.naive.fp32 (1 of 2)\n";
  s += "==PROF== Profiling \"gemm_kernel\" - 0: 0%....50%....100% - 2 passes\n";
  s += head + "\n";
  for (int id : {0, 1}) {
    s += row(id, kNcuGemm128, "sm__sass_thread_inst_executed_op_ffma_pred_on.sum", "inst", "2,097,152");
    s += row(id, kNcuGemm128, "sm__sass_thread_inst_executed_op_ffma_pred_on.sum.peak_sustained", "inst/cycle", "16,896");
    s += row(id, kNcuGemm128, "dram__bytes_read.sum", "byte", "1,572,864");
    s += row(id, kNcuGemm128, "gpu__time_duration.sum", "usecond", "21.5");
    s += row(id, kNcuGemm128, "sm__cycles_elapsed.avg.per_second", "cycle/nsecond", "1.98");
  }
  s += "a line the application printed between launches\n";
  s += row(2, kNcuGemm64, "sm__sass_thread_inst_executed_op_ffma_pred_on.sum", "inst", "262,144");
  s += row(3, kNcuCopy, "dram__bytes_read.sum", "Mbyte", "268.44");
  s += row(3, kNcuCopy, "dram__bytes_write.sum", "Mbyte", "268.44");
  s += row(3, kNcuCopy, "sm__ops_path_tensor_src_bf16_dst_fp32.sum", "", "n/a");
  s += "==PROF== Disconnected from process 4242\n";
  return s;
}

/// The raw page (`ncu --csv --page raw --print-units base`): one row per
/// launch, units under the header. Kernel names as ncu's "function" base.
inline std::string ncu_raw_csv() {
  return R"csv("ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","dram__bytes_read.sum","gpu__time_duration.sum","sm__sass_thread_inst_executed_op_ffma_pred_on.sum")csv"
         "\n"
         R"csv("","","","","","","","","","","","byte","nsecond","inst")csv"
         "\n"
         R"csv("0","4242","flopscope","127.0.0.1","gemm_kernel","1","7","(256, 1, 1)","(64, 1, 1)","0","9.0","1572864","21500","2097152")csv"
         "\n"
         R"csv("1","4242","flopscope","127.0.0.1","copy_kernel","1","7","(256, 1, 1)","(64, 1, 1)","0","9.0","268440000","90000","0")csv"
         "\n";
}

/// What `flopscope profile --set roofline` of the same command recorded: the
/// gemm<128> launches split over two NVTX paths, per-launch means.
inline ResultsDoc ncu_twin_profile() {
  ResultsDoc doc;
  // `variant` as profile names it: a template sibling in the same path gets a hash suffix.
  auto run = [](const std::string& name, const std::string& variant, const std::string& nvtx, int64_t launches,
                std::map<std::string, double> metrics) {
    RunRecord r;
    r.family = "app";
    r.name = name;
    r.nvtx = nvtx;
    r.variant = variant;
    r.dtype = "fp32";
    r.precision = "fp32";
    r.id = "app." + r.variant + ".fp32";
    r.launches = launches;
    r.derived.bound = "unknown";
    r.time_s.median = 2e-5;
    r.time_s.p10 = r.time_s.p90 = r.time_s.median;
    r.time_s.samples = {r.time_s.median};
    HwCounters hw;
    hw.metrics = std::move(metrics);
    r.hw = hw;
    return r;
  };
  const std::string g128 = "void gemm_kernel<128>(float const*, float const*, float*, int, int, int)";
  doc.runs.push_back(run(g128, "gemm_kernel", "warmup", 1,
                         {{"sm__sass_thread_inst_executed_op_ffma_pred_on.sum", 2097152},
                          {"sm__sass_thread_inst_executed_op_ffma_pred_on.sum.peak_sustained", 16896},
                          {"dram__bytes_read.sum", 1.60e6},
                          {"gpu__time_duration.sum", 24000},
                          {"sm__cycles_elapsed.avg.per_second", 1.755e9}}));
  doc.runs.push_back(run(g128, "gemm_kernel", "timed", 1,
                         {{"sm__sass_thread_inst_executed_op_ffma_pred_on.sum", 2097152},
                          {"sm__sass_thread_inst_executed_op_ffma_pred_on.sum.peak_sustained", 16896},
                          {"dram__bytes_read.sum", 1.56e6},
                          {"gpu__time_duration.sum", 23000},
                          {"sm__cycles_elapsed.avg.per_second", 1.755e9}}));
  doc.runs.push_back(run("void gemm_kernel<64>(float const*, float const*, float*, int, int, int)", "gemm_kernel~3f1a2b", "", 1,
                         {{"sm__sass_thread_inst_executed_op_ffma_pred_on.sum", 262144}}));
  doc.runs.push_back(run("copy_kernel(float const*, float*, long)", "copy_kernel", "", 1,
                         {{"dram__bytes_read.sum", 2.70e8}, {"dram__bytes_write.sum", 2.69e8}}));
  doc.runs.push_back(run("void fill_kernel(float*, long)", "fill_kernel", "", 3, {{"dram__bytes_write.sum", 4096}}));
  return doc;
}

}  // namespace flopscope::test

namespace flopscope::test {

/// A profile of a training step in the shape scripts/torch_step.py gives it:
/// the counted step's kernels under "counted/forward" and "counted/backward",
/// one later step under "step0/...", a copy, and a kernel without counters.
inline ResultsDoc model_twin_profile() {
  ResultsDoc doc;
  auto run = [](const std::string& variant, const std::string& nvtx, int64_t launches,
                std::map<std::string, double> per_launch) {
    RunRecord r;
    r.family = "app";
    r.name = "void " + variant + "(int)";
    r.variant = variant;
    r.nvtx = nvtx;
    r.dtype = "bf16";
    r.precision = "bf16_tensor";
    r.id = "app." + variant + ".bf16";
    r.launches = launches;
    r.derived.bound = "unknown";
    r.time_s.median = r.time_s.p10 = r.time_s.p90 = 1e-4;
    r.time_s.samples = {1e-4};
    if (!per_launch.empty()) {
      HwCounters hw;
      hw.flops_by_pipe = std::move(per_launch);
      for (const auto& [pipe, v] : hw.flops_by_pipe) hw.flops_total = hw.flops_total.value_or(0) + v;
      r.hw = hw;
    }
    return r;
  };
  doc.runs.push_back(run("sm90_gemm_bf16", "counted/forward", 4, {{"bf16_tensor", 2e9}}));
  doc.runs.push_back(run("flash_fwd", "counted/forward/attn", 1, {{"bf16_tensor", 1e9}, {"fp32", 1e7}}));
  doc.runs.push_back(run("layer_norm", "counted/forward", 2, {{"fp32", 5e6}}));
  doc.runs.push_back(run("sm90_gemm_bf16", "counted/backward", 8, {{"bf16_tensor", 2e9}}));
  doc.runs.push_back(run("flash_bwd", "counted/backward", 1, {{"bf16_tensor", 2.5e9}, {"fp32", 2e7}}));
  doc.runs.push_back(run("sgd_foreach", "counted/optimizer", 3, {}));  // no counters
  doc.runs.push_back(run("sm90_gemm_bf16", "step0/forward", 4, {{"bf16_tensor", 2e9}}));
  RunRecord copy = run("memcpy_HtoD", "counted/forward", 1, {});
  copy.name = "[memcpy HtoD]";
  doc.runs.push_back(copy);
  return doc;
}

/// What torch_step.py writes for the counted step (flopscope.model-flops/1).
inline std::string model_flops_json() {
  return R"json({
  "schema": "flopscope.model-flops/1",
  "source": "torch.utils.flop_counter.FlopCounterMode (handmade sample)",
  "ranges": [
    {"nvtx": "counted", "flops": 2.9e10},
    {"nvtx": "counted/forward", "flops": 9e9, "by_op": {"aten.mm": 8e9, "aten._scaled_dot_product_flash_attention": 1e9}},
    {"nvtx": "counted/backward", "flops": 2e10, "by_op": {"aten.mm": 1.6e10, "aten._scaled_dot_product_flash_attention_backward": 2.5e9}},
    {"nvtx": "counted/optimizer", "flops": 0},
    {"nvtx": "warmup", "flops": 1}
  ]
})json";
}

}  // namespace flopscope::test
