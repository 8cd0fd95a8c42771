// `flopscope ceilings [--out F] [--quick] [--device N]`: microbenchmarks that
// measure the GPU's real ceilings (docs/ceilings.md), printed against the
// datasheet and stored in a results file's peaks.measured.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/error.h"
#include "flopscope/table.h"
#ifdef FLOPSCOPE_HAS_CEILINGS
#include "ceilings/ceilings.h"
#include "flopscope/device.h"
#endif

namespace flopscope::cli {

namespace {

struct CeilingsOptions {
  std::string out;
  bool quick = false;
  int device = 0;
};

#ifdef FLOPSCOPE_HAS_CEILINGS
int run_ceilings_command(const CeilingsOptions& o) {
  const std::vector<DeviceInfo> devs = query_devices();  // throws no_gpu, one line
  if (o.device < 0 || size_t(o.device) >= devs.size())
    throw_bad_input("--device " + std::to_string(o.device) + ": " + std::to_string(devs.size()) +
                    " GPU(s) visible");
  const DeviceInfo& dev = devs[size_t(o.device)];

  ResultsDoc doc = new_results_doc();
  doc.device = dev;
  try {
    doc.peaks.datasheet = peaks_for_device(dev);
  } catch (const Error& e) {
    doc.peaks.datasheet.source = std::string("none: ") + e.what();
  }

  ceilings::RunOptions ro;
  ro.device = o.device;
  ro.quick = o.quick;
  ro.progress = [](const std::string& id) { std::fprintf(stderr, "ceilings: measuring %s\n", id.c_str()); };
  const std::vector<ceilings::Measurement> ms = ceilings::run_ceilings(ro);
  const PeakTable measured = ceilings::to_peak_table(ms, dev.name, doc.created.substr(0, 10));
  doc.peaks.measured = measured;

  const GpuSpec* spec = dev.gpu_key.empty() ? nullptr : find_gpu(dev.gpu_key);
  std::cout << dev.name << " (" << dev.sm_count << " SMs, max clock " << fmt_fixed(dev.max_sm_clock_mhz, 0)
            << " MHz); datasheet: " << doc.peaks.datasheet.source << "\n"
            << ceilings::render_table(ms, doc.peaks.datasheet, spec, 150, stdout_is_color_tty())
            << "Stored in peaks.measured: the rate at the median launch time, the highest per key\n"
               "(mma.sync and wgmma both feed *_tensor; read, write and copy feed dram).\n";
  if (!o.out.empty()) {
    write_results(o.out, doc);
    std::fprintf(stderr, "wrote results: %s\n", o.out.c_str());
  }
  // Like bench: what ran is printed and written; a benchmark that failed is
  // named with its error, one line each, and makes the exit code 1.
  int failed = 0;
  for (const ceilings::Measurement& m : ms)
    if (!m.failed.empty()) {
      ++failed;
      std::string why = one_line(m.failed);
      if (why.rfind("ceilings: ", 0) == 0) why.erase(0, 10);  // the line says "ceiling" already
      std::fprintf(stderr, "flopscope: error: ceiling %s failed: %s\n", ceilings::info(m.bench).id, why.c_str());
    }
  return failed ? kFailure : kOk;
}
#endif

void add_ceilings_command(CLI::App& app) {
  auto o = std::make_shared<CeilingsOptions>();
  CLI::App* sub = app.add_subcommand(
      "ceilings", "Measure the GPU's real ceilings: FLOP/s per pipe and precision, DRAM, L2 and "
                  "shared-memory bandwidth");
  sub->add_option("--out", o->out, "Write a results file whose peaks.measured holds the ceilings")->check(not_empty());
  sub->add_flag("--quick", o->quick, "Shorter launches and fewer repetitions (less precise)");
  sub->add_option("--device", o->device, "CUDA device index")->check(non_negative_integer());
  set_action(sub, [o]() -> int {
    check_outputs({o->out});  // a bad output path fails before any GPU work, in every build
#ifndef FLOPSCOPE_HAS_CEILINGS
    throw Error(ErrorKind::no_gpu,
                "this flopscope was built without its CUDA kernels (FLOPSCOPE_KERNELS=OFF); "
                "rebuild with them to measure ceilings");
#else
    return run_ceilings_command(*o);
#endif
  });
}

}  // namespace

static const bool registered = register_command(40, add_ceilings_command);

}  // namespace flopscope::cli
