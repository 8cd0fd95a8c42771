// `flopscope ceilings [--out F] [--quick] [--device N]`: microbenchmarks that
// measure the GPU's real ceilings (docs/ceilings.md), printed against the
// datasheet and stored in a results file's peaks.measured.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/error.h"
#include "flopscope/table.h"
#ifdef FLOPSCOPE_HAS_CEILINGS
#include "ceilings/ceilings.h"
#include "flopscope/device.h"
#include "new_process.h"
#endif

namespace flopscope::cli {

namespace {

struct CeilingsOptions {
  std::string out;
  bool quick = false;
  int device = 0;
  // Internal: a new process going on after a fault lost the first one's CUDA
  // context runs just `ids`, writes its measurements to `measurements` and
  // leaves the table and the summary to the first process.
  bool resumed = false;
  std::vector<std::string> ids;
  std::string measurements;
};

#ifdef FLOPSCOPE_HAS_CEILINGS
/// The benchmarks a lost CUDA context left (after_lost_context) run in a fresh
/// `flopscope ceilings --resumed`, which after a fault of its own goes on in
/// another; what it brings back replaces their entries, and those it does not
/// say why.
void continue_in_new_process(const CeilingsOptions& o, std::vector<ceilings::Measurement>& ms) {
  std::string ids, lost;  // lost: "the CUDA context was lost when <id> failed"
  size_t left = 0;
  for (const ceilings::Measurement& m : ms)
    if (m.after_lost_context) {
      if (!ids.empty()) ids += ',';
      ids += ceilings::info(m.bench).id;
      if (lost.empty()) lost = m.skipped.rfind("not run: ", 0) == 0 ? m.skipped.substr(9) : m.skipped;
      ++left;
    }
  if (left == 0) return;
  std::fprintf(stderr, "flopscope: error: %s; the %zu remaining benchmark(s) go on in a new process\n",
               lost.c_str(), left);
  std::vector<ceilings::Measurement> back;
  std::string lost_why;  // why nothing came back
  try {
    const PrivateTempDir tmp("flopscope-ceilings");
    const std::string file = (tmp.path() / "rest.json").string();
    std::vector<std::string> args{"ceilings", "--resumed", "--ids", ids, "--measurements", file,
                                  "--device", std::to_string(o.device)};
    if (o.quick) args.push_back("--quick");
    const int code = run_quietly(self_executable(), args);
    if (code != kOk && code != kFailure)
      std::fprintf(stderr, "flopscope: error: the new process ended with exit code %d\n", code);
    std::error_code ec;
    if (std::filesystem::exists(file, ec))
      back = ceilings::measurements_from_json(read_file(file), "the new process's measurements");
    else
      lost_why = "the new process wrote no measurements (exit code " + std::to_string(code) + ")";
  } catch (const Error& e) {
    lost_why = e.what();
  }
  for (ceilings::Measurement& m : ms) {
    if (!m.after_lost_context) continue;
    // Not one its own new process did not bring back either.
    const auto b = std::find_if(back.begin(), back.end(), [&](const ceilings::Measurement& x) {
      return x.bench == m.bench && !x.after_lost_context;
    });
    if (b != back.end()) {
      m = *b;
      continue;
    }
    m.skipped += "; nothing came back from the new process: " +
                 (lost_why.empty() ? std::string("not in its measurements") : lost_why);
    m.after_lost_context = false;
  }
}

int run_ceilings_command(const CeilingsOptions& o) {
  std::vector<ceilings::Bench> only;  // bad input before any GPU work
  for (const std::string& id : o.ids) {
    const std::optional<ceilings::Bench> b = ceilings::find_bench(id);
    if (!b) throw_bad_input("--ids: no ceiling benchmark has the id '" + id + "'");
    only.push_back(*b);
  }
  const DeviceInfo dev = device_for_ordinal(o.device);  // the ordinal the benchmarks run on

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
  ro.only = only;
  ro.progress = [](const std::string& id) { std::fprintf(stderr, "ceilings: measuring %s\n", id.c_str()); };
  // A resumed process hands back each benchmark as it finishes: if it dies on
  // a later one, the first process still has these.
  std::vector<ceilings::Measurement> so_far;
  if (o.resumed)
    ro.measured = [&](const ceilings::Measurement& m) {
      so_far.push_back(m);
      try {
        write_file_atomic(o.measurements, ceilings::measurements_to_json(so_far));
      } catch (const Error&) {
        // The final write below reports it.
      }
    };
  std::vector<ceilings::Measurement> ms = ceilings::run_ceilings(ro);
  continue_in_new_process(o, ms);
  if (o.resumed) {  // the first process prints, stores and sums up
    write_file_atomic(o.measurements, ceilings::measurements_to_json(ms));
    for (const ceilings::Measurement& m : ms)
      if (!m.failed.empty()) return kFailure;
    return kOk;
  }
  const PeakTable measured = ceilings::to_peak_table(ms, dev.name, doc.created.substr(0, 10));
  doc.peaks.measured = measured;

  const GpuSpec* spec = dev.gpu_key.empty() ? nullptr : find_gpu_key(dev.gpu_key);
  std::cout << dev.name << " (" << dev.sm_count << " SMs, max clock " << fmt_fixed(dev.max_sm_clock_mhz, 0)
            << " MHz); datasheet: " << doc.peaks.datasheet.source << "\n"
            << ceilings::render_table(ms, doc.peaks.datasheet, spec, stdout_width(), stdout_is_color_tty())
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

void add_ceilings_command(Command app) {
  auto o = std::make_shared<CeilingsOptions>();
  Command sub = app.add_subcommand(
      "ceilings", "Measure the GPU's real ceilings: FLOP/s per pipe and precision, DRAM, L2 and "
                  "shared-memory bandwidth");
  sub.add_option("--out", o->out, "Write a results file whose peaks.measured holds the ceilings").check(not_empty());
  sub.add_flag("--quick", o->quick, "Shorter launches and fewer repetitions (less precise)");
  sub.add_option("--device", o->device, "CUDA device index").transform(non_negative_integer(9));
  sub.add_flag("--resumed", o->resumed, "Internal: going on after another ceilings' fault").group("");
  sub.add_option("--ids", o->ids, "Internal: just these benchmarks").delimiter(',').group("");
  sub.add_option("--measurements", o->measurements, "Internal: where --resumed writes its measurements")
      .group("");
  set_action(sub, [o]() -> int {
    if (o->resumed != !o->measurements.empty() || o->resumed != !o->ids.empty() || (o->resumed && !o->out.empty()))
      throw_bad_input("--resumed, --ids and --measurements go together, without --out (all three are internal: "
                      "ceilings passes them to the process that goes on after a fault)");
    check_outputs({o->out, o->measurements});  // a bad output path fails before any GPU work, in every build
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
