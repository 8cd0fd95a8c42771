// `flopscope specs [--gpu NAME] [--json]`: the peak database, no GPU needed.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/peaks.h"
#include "flopscope/table.h"

namespace flopscope::cli {
namespace {

struct SpecsOptions {
  std::string gpu;
  bool json = false;
};

// The clock a precision's peak is quoted at: the tensor clock for tensor
// cores (FP64 tensor aside, at the vector clock), else the boost clock.
double clock_mhz(const GpuSpec& g, const Precision& prec) {
  const bool tensor_clock = prec.pipe == Pipe::tensor && prec.dtype != DType::fp64;
  return tensor_clock ? g.tensor_clock_mhz : g.vector_clock_mhz;
}

nlohmann::json gpu_json(const GpuSpec& g) {
  const PeakTable t = datasheet_peaks(g);
  nlohmann::json j;
  j["key"] = g.key;
  j["name"] = g.name;
  j["arch"] = g.arch;
  j["sm_count"] = g.sm_count;
  j["vector_clock_mhz"] = g.vector_clock_mhz;
  j["tensor_clock_mhz"] = g.tensor_clock_mhz;
  j["memory_bytes"] = g.memory_bytes;
  j["dram_bytes_per_s"] = t.dram_bytes_per_s;
  j["dense_flops_per_s"] = t.flops_per_s;
  j["sparse_flops_per_s"] = t.sparse_flops_per_s;
  j["source"] = g.source;
  // The three factors of each dense peak, as `specs --gpu` prints them.
  j["precisions"] = nlohmann::json::object();
  for (const auto& prec : all_precisions()) {
    const auto it = t.flops_per_s.find(prec.key());
    if (it == t.flops_per_s.end()) continue;
    const double mhz = clock_mhz(g, prec);
    j["precisions"][prec.key()] = {{"flops_per_clk_per_sm", it->second / (g.sm_count * mhz * 1e6)},
                                   {"clock_mhz", mhz},
                                   {"ridge_flop_per_byte", it->second / t.dram_bytes_per_s}};
  }
  return j;
}

std::string tf(const PeakTable& t, const char* key) {
  auto it = t.flops_per_s.find(key);
  return it == t.flops_per_s.end() ? "-" : fmt_fixed(it->second / 1e12, 1);
}

int print_all(bool color) {
  Table t;
  t.add_column("gpu", Align::left);
  t.add_column("arch", Align::left);
  t.add_column("SMs", Align::right);
  t.add_column("FP64", Align::right);
  t.add_column("FP32", Align::right);
  t.add_column("TF32 TC", Align::right);
  t.add_column("BF16 TC", Align::right);
  t.add_column("FP8 TC", Align::right);
  t.add_column("DRAM TB/s", Align::right);
  for (const auto& g : gpu_database()) {
    const PeakTable p = datasheet_peaks(g);
    t.add_row({g.key, g.arch, std::to_string(g.sm_count), tf(p, "fp64"), tf(p, "fp32"),
               tf(p, "tf32_tensor"), tf(p, "bf16_tensor"), tf(p, "fp8_tensor"),
               fmt_fixed(p.dram_bytes_per_s / 1e12, 2)});
  }
  std::cout << "Dense peak TFLOP/s (TC = tensor cores); sparse peaks and every precision: "
               "flopscope specs --gpu NAME\n"
            << t.render(stdout_width(), color);
  return kOk;
}

int print_one(const GpuSpec& g, bool color) {
  const PeakTable p = datasheet_peaks(g);
  std::cout << g.name << " (" << g.key << "), " << g.arch << ", " << g.sm_count << " SMs, "
            << fmt_fixed(g.memory_bytes / kGiB, 0) << " GiB at "
            << fmt_fixed(p.dram_bytes_per_s / 1e12, 2) << " TB/s\n"
            << "source: " << g.source << "\n";
  Table t;
  t.add_column("precision", Align::left);
  t.add_column("FLOP/clk/SM", Align::right);
  t.add_column("clock MHz", Align::right);
  t.add_column("dense TFLOP/s", Align::right);
  t.add_column("sparse TFLOP/s", Align::right);
  t.add_column("ridge FLOP/B", Align::right);
  for (const auto& prec : all_precisions()) {
    auto it = p.flops_per_s.find(prec.key());
    if (it == p.flops_per_s.end()) continue;
    const double mhz = clock_mhz(g, prec);
    auto sp = p.sparse_flops_per_s.find(prec.key());
    t.add_row({prec.key(), fmt_fixed(it->second / (g.sm_count * mhz * 1e6), 0), fmt_fixed(mhz, 0),
               fmt_fixed(it->second / 1e12, 1),
               sp == p.sparse_flops_per_s.end() ? "-" : fmt_fixed(sp->second / 1e12, 1),
               fmt_fixed(it->second / p.dram_bytes_per_s, 1)});
  }
  std::cout << t.render(stdout_width(), color)
            << "dense = FLOP/clk/SM x SMs x clock. Sparse peaks are never used for MFU.\n";
  return kOk;
}

}  // namespace

namespace {
void add_specs_command(Command app) {
  auto opt = std::make_shared<SpecsOptions>();
  Command sub = app.add_subcommand("specs", "Print the GPU peak database (no GPU needed)");
  sub.add_option("--gpu", opt->gpu, "One GPU by key or name, e.g. h200, \"NVIDIA H100 PCIe\"").check(not_empty());
  sub.add_flag("--json", opt->json, "Print JSON instead of a table");
  set_action(sub, [opt]() {
    const bool color = stdout_is_color_tty();
    if (!opt->gpu.empty()) {
      const GpuSpec& g = require_gpu(opt->gpu);
      if (opt->json) {
        std::cout << gpu_json(g).dump(2) << "\n";
        return int(kOk);
      }
      return print_one(g, color);
    }
    if (opt->json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& g : gpu_database()) j.push_back(gpu_json(g));
      std::cout << j.dump(2) << "\n";
      return int(kOk);
    }
    return print_all(color);
  });
}

}  // namespace

static const bool registered = register_command(10, add_specs_command);

}  // namespace flopscope::cli
