// `flopscope bench [--kernel REGEX] [--dtype LIST] [--shape PRESET|DIMS] [--reps N] [--warmup N]
//                  [--out results.json] [--no-validate] [--metrics SET [--counters F]]`
// Runs registered kernels through the harness, validates them against their CPU
// references, prints a table and writes the results format. Without --kernel and
// --dtype it runs the default suite at default shapes. --counters also saves the
// raw counters of every run (docs/collector.md) for `flopscope report F`.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/error.h"
#include "flopscope/report.h"
#include "flopscope/table.h"
#include "flopscope/views.h"
#include "new_process.h"
#ifdef FLOPSCOPE_HAS_KERNELS
#include "bench_counters.h"
#include "flopscope/counter_file.h"
#include "flopscope/device.h"
#include "harness/harness.h"
#include "registry.h"
#endif

namespace flopscope::cli {
namespace {

// Every timed sample is kept, in memory and in the results file (about 33
// bytes each), which flopscope reads up to 256 MiB: per run, and over all the
// runs of one file (nine runs of 1,000,000 made a 282 MiB file nothing read).
constexpr int kMaxRepetitions = 1'000'000;
constexpr int64_t kMaxSamplesPerFile = 7'000'000;

struct BenchCliOptions {
  std::string kernel;               // regex over ids
  std::vector<std::string> dtypes;  // empty: any
  std::string shape;                // preset, NAME=V,... or AxBxC; empty: defaults
  std::optional<int> reps;          // none: until min count and min time
  std::optional<int> warmup;        // none: at least 2 runs, then up to 0.25 s or 1000 more
  double min_time_s = 0.1;
  std::string out;
  bool no_validate = false;
  bool no_flush = false;
  std::string l2_flush = "write";  // how the L2 is flushed: write (a memset) or read
  int device = 0;
  std::string metrics = "none";  // CUPTI counters per run: timing, flops, roofline
  std::string counters;          // raw counter file (.fscounters) of every run
  std::optional<int> ranges_per_image;  // launches each counter-data image is sized for; none: 16
  std::string replay = "kernel";        // how runs are replayed for counters: kernel (CUPTI) or user (bench)
  // Internal, for a bench that goes on in a new process after a fault: this
  // is that process (a kernel that no longer fits is skipped, not the end of
  // the command; the first process prints the summary), the kernels left (ids,
  // not a --kernel pattern: every id joined is over the pattern length limit),
  // and the tensor types of the counter plan, so that both processes' files merge,
  // and how many runs the command counted before these, so that the progress
  // lines go on from the first process's ([5/9] after [4/9], not [1/5]).
  bool resumed = false;
  std::vector<std::string> ids;
  std::vector<std::string> counter_tensor;
  int numbered_from = 0;
};

#ifdef FLOPSCOPE_HAS_KERNELS
struct Planned {
  const kernels::KernelSpec* spec;
  Shape shape;
};

struct Plan {
  std::vector<Planned> runs;
  std::vector<std::string> skipped;  // why each kernel that rejects the shape is left out
};

/// The "skipping" line on stderr for a kernel left out of the runs.
void print_skipping(const std::string& why) { std::fprintf(stderr, "skipping %s\n", why.c_str()); }

/// Selected kernels with resolved shapes. Kernels that reject the shape are
/// left out with their reason, printed only once a GPU is known to be there
/// (without one, bench stops with that single line); when none is left, the
/// first reason becomes the error.
Plan plan_runs(const BenchCliOptions& o) {
  std::vector<const kernels::KernelSpec*> specs;
  if (!o.ids.empty()) {
    for (const std::string& id : o.ids) {
      const kernels::KernelSpec* s = kernels::find_kernel(id);
      if (!s) throw_bad_input("--ids: no kernel has the id '" + id + "' (see 'flopscope list')");
      specs.push_back(s);
    }
  } else if (o.kernel.empty() && o.dtypes.empty()) {
    specs = kernels::default_suite();
  } else {
    specs = kernels::select_kernels(o.kernel, o.dtypes);
  }
  if (specs.empty()) throw_bad_input("the default suite is empty: this build registered no kernels");
  std::vector<Planned> plan;
  std::vector<std::string> rejected;
  for (const kernels::KernelSpec* s : specs) {
    try {
      plan.push_back({s, kernels::resolve_shape(*s, o.shape)});
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::bad_input) throw;
      rejected.push_back(e.what());
    }
  }
  if (plan.empty()) {
    if (rejected.size() == 1) throw_bad_input(rejected.front());
    throw_bad_input("none of the " + std::to_string(rejected.size()) +
                    " selected kernels accepts --shape '" + o.shape + "'; the first: " +
                    rejected.front());
  }
  return {std::move(plan), std::move(rejected)};
}

/// One line on stderr per finished run.
void print_progress_done(const RunRecord& r) {
  std::string valid = "not validated";
  if (r.validation) {
    // Two significant digits: two decimals read "rel 0.00" for every error
    // under 0.005, a failing FP32 run's 3e-5 included.
    const Validation& v = *r.validation;
    valid = std::string(v.passed ? "valid" : "INVALID") + " (rel " + fmt_sig(v.rel_l2_err, 2) +
            ", worst element " + fmt_sig(v.max_rel_err, 2) + ", tolerance " + fmt_sig(v.tolerance, 2) + ")";
  }
  // What NVML saw hold the clocks down while the repetitions ran (power cap,
  // thermal...), with the power drawn: a reason for a slow median.
  std::string held;
  if (r.clock_limits && !r.clock_limits->empty()) {
    held = ", clocks held down: " + clock_limits_text(*r.clock_limits);
    if (r.power_w) held += " (" + fmt_fixed(*r.power_w, 0) + " W)";
  }
  // A kernel that only moves data: its bandwidth, not 0.0 TFLOP/s.
  const std::string rate = r.model.flops > 0 || !(r.time_s.median > 0)
                               ? fmt_fixed(r.derived.tflops_model, 1) + " TFLOP/s" +
                                     (r.derived.mfu ? ", MFU " + fmt_fixed(*r.derived.mfu * 100, 1) + "%" : "")
                               : fmt_fixed(r.model.bytes / r.time_s.median / 1e9, 0) + " GB/s";
  std::fprintf(stderr, "    %s median, %s, %s%s\n", fmt_time(r.time_s.median).c_str(), rate.c_str(), valid.c_str(),
               held.c_str());
}

/// What the new process measured after this one's CUDA context was lost.
struct Continued {
  std::vector<RunRecord> runs;
  std::optional<CounterFile> counters;
  int exit_code = 0;
};

/// Runs `rest` in a fresh `flopscope bench --resumed` (which, after a fault of
/// its own, goes on in another) with the same options, its table unprinted,
/// and reads back what it wrote. `tensor`: this process's counter plan;
/// `numbered`: the runs the command has numbered before `rest`.
Continued continue_in_new_process(const BenchCliOptions& o, const std::vector<Planned>& rest,
                                  const std::vector<std::string>& tensor, size_t numbered) {
  namespace fs = std::filesystem;
  const PrivateTempDir tmp("flopscope-bench");
  const fs::path& dir = tmp.path();
  std::string ids;
  for (const Planned& p : rest) ids += (ids.empty() ? "" : ",") + p.spec->id();
  const std::string out = (dir / "rest.json").string(), counters = (dir / "rest.fscounters").string();
  std::vector<std::string> args{"bench",           "--resumed",
                                "--ids",           ids,
                                "--min-time",      fmt_sig(o.min_time_s, 17),
                                "--device",        std::to_string(o.device),
                                "--metrics",       o.metrics,
                                "--out",           out,
                                "--numbered-from", std::to_string(numbered)};
  if (!o.shape.empty()) args.insert(args.end(), {"--shape", o.shape});
  if (o.reps) args.insert(args.end(), {"--reps", std::to_string(*o.reps)});
  if (o.warmup) args.insert(args.end(), {"--warmup", std::to_string(*o.warmup)});
  if (o.no_validate) args.push_back("--no-validate");
  if (o.no_flush) args.push_back("--no-flush");
  if (o.replay != "kernel") args.insert(args.end(), {"--replay", o.replay});
  if (o.l2_flush != "write") args.insert(args.end(), {"--l2-flush", o.l2_flush});
  if (!o.counters.empty()) {
    args.insert(args.end(), {"--counters", counters});
    if (o.ranges_per_image) args.insert(args.end(), {"--ranges-per-image", std::to_string(*o.ranges_per_image)});
    std::string list;
    for (const std::string& t : tensor) list += (list.empty() ? "" : ",") + t;
    if (!list.empty()) args.insert(args.end(), {"--counter-tensor", list});
  }
  Continued c;
  c.exit_code = run_quietly(self_executable(), args);
  // Each file on its own: one that cannot be read does not lose the other.
  try {
    std::error_code ec;
    if (fs::exists(out, ec)) c.runs = read_results(out).runs;
  } catch (const Error& e) {
    std::fprintf(stderr, "flopscope: error: the new process's results cannot be read: %s\n", e.what());
  }
  try {
    std::error_code ec;
    if (fs::exists(counters, ec)) c.counters = read_counter_file(counters);
  } catch (const Error& e) {
    std::fprintf(stderr, "flopscope: error: the new process's counters cannot be read: %s\n", e.what());
  }
  return c;
}

// The planned runs this GPU can run, each other one skipped with a line;
// refuses a run that does not fit in memory, and a plan of which none can run.
std::vector<Planned> runnable_here(const Plan& plan, kernels::Harness& harness, bool resumed) {
  // Refuse what cannot run here before allocating anything.
  std::vector<Planned> runnable;
  for (const Planned& p : plan.runs) {
    if (std::string why = harness.unsupported_reason(*p.spec); !why.empty()) {
      print_skipping(why);
      continue;
    }
    if (std::string why = harness.fit_reason(*p.spec, p.shape); !why.empty()) {
      // Resumed after a fault: the memory is not what the first process planned
      // with, and one kernel that no longer fits must not cancel the others.
      if (!resumed) throw_bad_input(why);
      print_skipping(why);
      continue;
    }
    runnable.push_back(p);
  }
  if (runnable.empty()) throw_bad_input("none of the selected kernels can run on " + harness.device().name);
  return runnable;
}

// The harness's options from the command line's.
kernels::BenchOptions bench_options(const BenchCliOptions& o) {
  kernels::BenchOptions bo;
  bo.validate = !o.no_validate;
  bo.flush_l2 = !o.no_flush;
  bo.l2_flush = o.l2_flush == "read" ? kernels::L2Flush::read : kernels::L2Flush::write;
  bo.min_time_s = o.min_time_s;
  if (o.warmup) {  // exactly: a profiler then sees a known number of launches
    bo.warmup_reps = *o.warmup;
    bo.warmup_time_s = 0;
  }
  if (o.reps) {
    bo.min_reps = bo.max_reps = *o.reps;
    bo.min_time_s = 0;
    bo.probe_clock = false;  // a profiler sees the kernel's launches and no others
  }
  return bo;
}

// The tensor types of every run, each once, in the runs' order.
std::vector<std::string> tensor_types_of(const std::vector<Planned>& runs) {
  std::vector<std::string> all;
  for (const Planned& p : runs)
    for (const std::string& t : tensor_types(*p.spec))
      if (std::find(all.begin(), all.end(), t) == all.end()) all.push_back(t);
  return all;
}

// What went wrong over a bench's runs, for its summary and exit code.
struct BenchTally {
  std::vector<std::string> failed, not_run;  // validation failed; did not run, or not to the end
  bool rest_failed = false;     // the new process reported a failure of its own
  bool stopped_no_gpu = false;  // the GPU or its counters became unusable after some runs
};

// Prints the table, writes --out and --counters, and names what failed;
// returns the exit code.
int report_bench(const BenchCliOptions& o, const ResultsDoc& doc, BenchCounters& counters,
                 const BenchTally& tally) {
  std::cout << render_terminal(doc, stdout_width(), stdout_is_color_tty());
  // A resumed process's files are temporary: the first one says what it wrote.
  auto save = [&o](const std::string& path, const std::string& content, const char* what) {
    if (o.resumed)
      write_files_atomic({{path, content}});
    else
      write_output(path, content, what);
  };
  if (!o.out.empty()) save(o.out, to_json_text(doc), "results");
  // No file when nothing was counted: an empty one would only fail later.
  const std::optional<CounterFile> raw = counters.file();
  const bool counters_lost = !o.counters.empty() && !raw;
  if (raw) save(o.counters, serialize_counter_file(*raw), "raw counters");
  if (counters_lost)
    std::fprintf(stderr,
                 "flopscope: error: no counter file written: this device's counters cannot be read "
                 "(see the notes above)\n");
  // A resumed process leaves the summary to the first one, which has every run.
  if (!tally.not_run.empty() && !o.resumed)
    std::fprintf(stderr, "flopscope: error: failed to run (not in the results): %s\n",
                 joined(tally.not_run).c_str());
  if (!tally.failed.empty() && !o.resumed)
    std::fprintf(stderr, "flopscope: error: validation failed for %s\n", joined(tally.failed).c_str());
  if (tally.stopped_no_gpu) return kNoGpu;
  if (!tally.failed.empty() || !tally.not_run.empty() || tally.rest_failed) return kFailure;
  return counters_lost ? kNoGpu : kOk;
}

int run_bench(const BenchCliOptions& o) {
  const auto metric_set = parse_metric_set(o.metrics);
  if (!metric_set) throw_bad_input("unknown --metrics '" + o.metrics + "' (use none, timing, bytes, flops or roofline)");

  const Plan plan = plan_runs(o);
  if (o.reps && int64_t(*o.reps) * int64_t(plan.runs.size()) > kMaxSamplesPerFile)
    throw_bad_input("--reps " + std::to_string(*o.reps) + " over " + std::to_string(plan.runs.size()) +
                    " runs keeps " + std::to_string(int64_t(*o.reps) * int64_t(plan.runs.size())) +
                    " times, more than the " + std::to_string(kMaxSamplesPerFile) +
                    " a results file holds (flopscope reads files up to 256 MiB): fewer --reps or fewer kernels");

  // Throws no_gpu without a GPU: one line on stderr, before any "skipping" line.
  kernels::Harness harness(o.device);
  for (const std::string& why : plan.skipped) print_skipping(why);
  const DeviceInfo& dev = harness.device();
  const std::vector<Planned> runnable = runnable_here(plan, harness, o.resumed);

  ResultsDoc doc = new_results_doc();
  doc.device = dev;
  try {
    doc.peaks.datasheet = peaks_for_device(dev);
  } catch (const Error& e) {
    std::fprintf(stderr, "note: %s; MFU and roofline columns stay empty\n", e.what());
  }

  const kernels::BenchOptions bo = bench_options(o);
  // Hardware counters per run attach here (RunRecord::hw), from the CUPTI
  // collector; without one, runs carry timing and model figures only. One
  // Session for every run, counting the tensor types of all selected kernels
  // at once (more replay passes per run): a counter file holds one config
  // image (one chip, one metric plan), and a new Session after another's
  // Disable crashed the process under CUPTI 13.0 (bench/results/h200/2026-11-30).
  const std::vector<std::string> all_tensor =
      o.counter_tensor.empty() ? tensor_types_of(runnable) : o.counter_tensor;
  BenchCounters counters({.set = *metric_set,
                          .keep_file = !o.counters.empty(),
                          .tensor = all_tensor,
                          .ranges_per_image = size_t(o.ranges_per_image.value_or(16)),
                          .user_replay = o.replay == "user"});
  kernels::CounterHook hook;
  if (*metric_set != MetricSet::none)
    hook = [&counters](const kernels::KernelSpec& spec, const Shape& shape, const std::function<void()>& ready,
                       const std::function<void()>& run_once) { return counters.count(spec, shape, ready, run_once); };

  BenchTally tally;
  // A fault is sticky: nothing more can run in this process. The rest goes
  // on in a new one, and its runs and counters join these.
  auto go_on = [&](const std::string& sticky, const std::vector<Planned>& rest) {
    std::fprintf(stderr,
                 "flopscope: error: the GPU context is unusable after that failure (%s); the %zu remaining "
                 "run(s) go on in a new process\n",
                 sticky.c_str(), rest.size());
    // The new process gets the memory, and under the exclusive-process
    // compute mode the device itself: nothing more runs in this one.
    counters.drop_session();
    harness.release_device();
    Continued c;
    try {
      c = continue_in_new_process(o, rest, all_tensor, size_t(o.numbered_from) + runnable.size() - rest.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "flopscope: error: cannot start a new process: %s\n", e.what());
      c.exit_code = kFailure;
    }
    std::vector<std::string> ran;
    for (RunRecord& r : c.runs) {
      if (r.validation && !r.validation->passed) tally.failed.push_back(r.id);
      ran.push_back(r.id);
      doc.runs.push_back(std::move(r));
    }
    for (const Planned& p : rest)  // what the new process did not bring back
      if (std::find(ran.begin(), ran.end(), p.spec->id()) == ran.end()) tally.not_run.push_back(p.spec->id());
    if (c.counters) counters.add(*c.counters, "the new process");
    if (c.exit_code != kOk && c.exit_code != kFailure)
      std::fprintf(stderr, "flopscope: error: the new process ended with exit code %d\n", c.exit_code);
    tally.rest_failed = c.exit_code != kOk;
  };
  for (size_t i = 0; i < runnable.size(); ++i) {
    const Planned& p = runnable[i];
    const size_t first = size_t(o.numbered_from);  // runs an earlier process numbered
    std::fprintf(stderr, "[%zu/%zu] %s %s (%zu left after this)\n", first + i + 1, first + runnable.size(),
                 p.spec->id().c_str(), shape_string(p.shape).c_str(), runnable.size() - i - 1);
    RunRecord rec;
    try {
      try {
        rec = harness.run(*p.spec, p.shape, bo, hook);
      } catch (const std::bad_alloc&) {
        throw Error(ErrorKind::failure, p.spec->id() + ": out of host memory for its inputs and reference");
      }
    } catch (const Error& e) {
      // One kernel failing loses no other run: it is reported, the rest run and
      // the results are written; unless the fault poisoned the CUDA context.
      // bad_input here is the memory re-check just before allocation (free
      // memory shrank since the plan was checked): that run only.
      // No GPU, or counters refused (another tool took them between runs):
      // nothing later can run either. Before any run that is the command's
      // error; after some, those runs are still reported and written.
      if (e.kind() == ErrorKind::no_gpu && doc.runs.empty()) throw;
      std::fprintf(stderr, "flopscope: error: %s\n", e.what());
      tally.not_run.push_back(p.spec->id());
      if (e.kind() == ErrorKind::no_gpu) {
        for (size_t j = i + 1; j < runnable.size(); ++j) tally.not_run.push_back(runnable[j].spec->id());
        tally.stopped_no_gpu = true;
        break;
      }
      if (const std::string sticky = harness.context_error(); !sticky.empty()) {
        const std::vector<Planned> rest(runnable.begin() + std::ptrdiff_t(i) + 1, runnable.end());
        if (!rest.empty()) go_on(sticky, rest);
        break;
      }
      continue;
    }
    compute_derived(rec, doc.peaks.datasheet);
    print_progress_done(rec);
    if (rec.validation && !rec.validation->passed) tally.failed.push_back(rec.id);
    doc.runs.push_back(std::move(rec));
  }

  return report_bench(o, doc, counters, tally);
}
#endif

void add_bench_command(Command app) {
  auto o = std::make_shared<BenchCliOptions>();
  Command sub = app.add_subcommand(
      "bench", "Benchmark and validate reference kernels (default: the default suite)");
  // Empty would match every kernel: an unset shell variable, not a request.
  sub.add_option("--kernel", o->kernel, "Regular expression over kernel ids (see 'flopscope list')")
      .check(not_empty());
  sub.add_option("--dtype", o->dtypes, "Comma-separated dtypes: fp32,tf32,fp16,bf16")
      .delimiter(',');
  sub.add_option("--shape", o->shape,
                  "A preset (tiny, small, large, ...), NAME=V,... or AxBxC in parameter order")
      .check(not_empty());
  sub.add_option("--reps", o->reps, "Exactly N timed repetitions, at most 1000000 (default: until 10 and 0.1 s)")
      .transform(positive_integer(kMaxRepetitions, "every time is kept, in memory and in the results file"));
  sub.add_option("--warmup", o->warmup,
                  "Exactly N untimed warm-up runs, 1 to 1000000 (default: at least 2, then up to 0.25 s or 1000 "
                  "more); with --reps, "
                  "a profiler such as ncu sees a known number of launches")
      .transform(positive_integer(kMaxRepetitions));
  sub.add_option("--min-time", o->min_time_s,
                 "Minimum summed kernel time per run, seconds (default 0.1; at most 2000 repetitions: "
                 "--reps fixes the count)")
      .check(positive_number());
  sub.add_option("--out", o->out, "Write the results (flopscope.results/1 JSON) here").check(not_empty());
  sub.add_flag("--no-validate", o->no_validate, "Skip the comparison with the CPU reference");
  const Option no_flush = sub.add_flag("--no-flush", o->no_flush, "Do not flush L2 between repetitions");
  sub.add_option("--l2-flush", o->l2_flush,
                 "How to flush L2 before each repetition: write (default: a memset, which leaves dirty lines "
                 "the next kernel writes back) or read (a read-only sweep, which leaves clean ones)")
      .check(one_of({"write", "read"}))
      .excludes(no_flush);
  sub.add_option("--device", o->device, "GPU index (default 0)").transform(non_negative_integer(9));
  sub.add_option("--metrics", o->metrics,
                  "Hardware counters per run (CUPTI): timing, bytes, flops or roofline (default none); "
                  "each kernel runs once more under the profiler (docs/collector.md)");
  sub.add_option("--counters", o->counters,
                  "With --metrics: also write the raw counters of every run to this file (.fscounters), "
                  "which 'flopscope report' re-evaluates on any machine; one metric plan for all runs, "
                  "with the tensor types of every selected kernel (docs/collector.md)")
      .check(not_empty());
  sub.add_option("--ranges-per-image", o->ranges_per_image,
                  "With --counters: size each raw counter image for N launches (default 16; CUPTI's image "
                  "grows with N). A run with more launches spreads over several images (with --replay "
                  "user it is an error); 1 makes the smallest file")
      .transform(positive_integer());
  sub.add_option("--replay", o->replay,
                  "With --metrics: kernel (default: CUPTI replays each kernel, saving and restoring memory "
                  "around it) or user (bench reruns the whole run once per replay pass, the L2 flushed "
                  "before each, and nothing is restored: the restores are suspected of the extra DRAM "
                  "writes seen on an H200, docs/crosscheck.md)")
      .check(one_of({"kernel", "user"}));
  sub.add_flag("--resumed", o->resumed, "Internal: going on after another bench's fault").group("");
  sub.add_option("--ids", o->ids, "Internal: exactly these kernel ids, in this order").delimiter(',').group("");
  sub.add_option("--counter-tensor", o->counter_tensor, "Internal: the counter plan's tensor types")
      .delimiter(',')
      .group("");
  sub.add_option("--numbered-from", o->numbered_from, "Internal: runs numbered before these")
      .transform(non_negative_integer(9))
      .group("");
  set_action(sub, [o]() -> int {
    // Internal: the process that goes on after a fault gets exactly its kernels.
    if (o->resumed != !o->ids.empty() || (o->resumed && (!o->kernel.empty() || !o->dtypes.empty())) ||
        ((!o->counter_tensor.empty() || o->numbered_from > 0) && !o->resumed))
      throw_bad_input("--resumed and --ids go together, without --kernel or --dtype, and --counter-tensor and "
                      "--numbered-from only with them (all are internal: bench passes them to the process that goes on after a fault)");
    if (!o->counters.empty() && o->metrics == "none")
      throw_bad_input("--counters needs hardware counters: add --metrics timing, bytes, flops or roofline");
    if (o->replay != "kernel" && o->metrics == "none")
      throw_bad_input("--replay " + o->replay + " replays runs for hardware counters: add --metrics timing, bytes, flops or roofline");
    if (o->ranges_per_image && o->counters.empty())
      throw_bad_input("--ranges-per-image sizes the raw counter file's images: add --counters FILE");
    check_outputs({o->out, o->counters});
#ifndef FLOPSCOPE_HAS_KERNELS
    throw Error(ErrorKind::bad_input,
                "this flopscope was built without kernels (FLOPSCOPE_KERNELS=OFF); rebuild with it on");
#else
    return run_bench(*o);
#endif
  });
}

}  // namespace

static const bool registered = register_command(36, add_bench_command);

}  // namespace flopscope::cli
