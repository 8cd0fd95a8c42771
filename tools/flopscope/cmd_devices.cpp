// `flopscope devices [--json]`: the GPUs present and the peaks flopscope uses.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/error.h"
#include "flopscope/table.h"
#ifdef FLOPSCOPE_HAS_CUDA
#include "flopscope/device.h"
#endif

namespace flopscope::cli {

namespace {
void add_devices_command(Command app) {
  auto json = std::make_shared<bool>(false);
  Command sub = app.add_subcommand("devices", "List the GPUs present with their peaks");
  sub.add_flag("--json", *json, "Print JSON instead of a table");
  set_action(sub, [json]() -> int {
#ifndef FLOPSCOPE_HAS_CUDA
    throw Error(ErrorKind::no_gpu,
                "this flopscope was built without CUDA (FLOPSCOPE_CUDA=OFF); rebuild with it on");
#else
    // Throws no_gpu when CUDA counts or describes none; rows are then numbered
    // by CUDA ordinal, the number --device takes, described or not.
    const std::vector<DeviceInfo> devs = query_devices();
    const int count = visible_device_count();
    nlohmann::json out = nlohmann::json::array();
    Table t;
    t.add_column("#", Align::right);
    t.add_column("name", Align::left, true);
    t.add_column("cc", Align::left);
    t.add_column("SMs", Align::right);
    t.add_column("MHz", Align::right);
    t.add_column("GiB", Align::right);  // as `specs` prints capacities
    t.add_column("peaks", Align::left);
    t.add_column("FP32", Align::right);
    t.add_column("BF16 TC", Align::right);
    t.add_column("DRAM TB/s", Align::right);
    for (int ordinal = 0; ordinal < count; ++ordinal) {
      const std::optional<DeviceInfo> described = query_device(ordinal);
      if (!described) {
        const char* why = "CUDA cannot describe it (cudaGetDeviceProperties fails)";
        t.add_row({std::to_string(ordinal), why, "-", "-", "-", "-", "-", "-", "-", "-"});
        out.push_back({{"index", ordinal}, {"error", why}});
        continue;
      }
      const DeviceInfo& d = *described;
      std::string source = d.gpu_key.empty() ? "derived" : d.gpu_key;
      PeakTable p;
      std::string no_peaks;  // why this GPU has none
      try {
        p = peaks_for_device(d);
      } catch (const Error& e) {
        source = "unknown arch";
        no_peaks = e.what();
      }
      auto tf = [&](const char* k) {
        auto it = p.flops_per_s.find(k);
        return it == p.flops_per_s.end() ? std::string("-") : fmt_fixed(it->second / 1e12, 1);
      };
      t.add_row({std::to_string(ordinal), d.name,
                 std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor),
                 std::to_string(d.sm_count), fmt_fixed(d.max_sm_clock_mhz, 0),
                 fmt_fixed(d.memory_bytes / kGiB, 0), source, tf("fp32"), tf("bf16_tensor"),
                 p.dram_bytes_per_s > 0 ? fmt_fixed(p.dram_bytes_per_s / 1e12, 2) : "-"});
      out.push_back({{"index", ordinal},
                     {"name", d.name},
                     {"gpu_key", d.gpu_key},
                     {"cc", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)},
                     {"sm_count", d.sm_count},
                     {"max_sm_clock_mhz", d.max_sm_clock_mhz},
                     {"memory_bytes", d.memory_bytes},
                     {"driver_version", d.driver_version},
                     {"cuda_runtime_version", d.cuda_runtime_version},
                     {"nvidia_driver", d.nvidia_driver},
                     {"peaks_source", p.source},
                     {"dense_flops_per_s", p.flops_per_s},
                     {"dram_bytes_per_s", p.dram_bytes_per_s}});
      // An architecture without peaks said peaks_source "" and nothing else.
      if (!no_peaks.empty()) {
        out.back()["peaks_source"] = nullptr;
        out.back()["dram_bytes_per_s"] = nullptr;
        out.back()["peaks_unknown"] = no_peaks;
      }
    }
    if (*json) {
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << driver_text(devs.front()) << ", CUDA runtime " << devs.front().cuda_runtime_version << "\n"
                << t.render(stdout_width(), stdout_is_color_tty());
    }
    return kOk;
#endif
  });
}

}  // namespace

static const bool registered = register_command(20, add_devices_command);

}  // namespace flopscope::cli
