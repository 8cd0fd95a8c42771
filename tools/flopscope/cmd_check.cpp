// `flopscope check RESULTS.json... --contracts FILE`: performance contracts.
// Exit codes (docs/ci.md): 0 every contract holds, 1 a contract failed,
// 2 bad input (a malformed contract names its file and line).
#include <iostream>
#include <map>
#include <memory>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/ci_report.h"
#include "flopscope/contracts.h"
#include "flopscope/error.h"
#include "flopscope/gate.h"
#include "load_results.h"

namespace flopscope::cli {
namespace {

// The runs of several results files of one GPU, checked as one pool (e.g.
// the default suite and a large-shape run).
struct Pool {
  ResultsDoc doc;             ///< the first file's peaks and tool; every file's runs
  std::string origin;         ///< "a.json + b.json"
  std::string device_origin;  ///< the first file with a device: the GPU every file must match
  std::map<std::string, std::string> file_of_run;  ///< run_key -> the file it came from
};

// Against the first file that has a device, not the first file: a first file
// without one would let any two GPUs through.
void check_same_gpu(Pool& pool, const ResultsDoc& more, const std::string& path) {
  if (!more.device) return;
  if (!pool.doc.device) {
    pool.doc.device = more.device;
    pool.device_origin = path;
  } else if (!same_gpu(*more.device, *pool.doc.device)) {
    // The SM count too: one name may be a whole GPU and a MIG slice.
    throw_bad_input(path + " was measured on " + device_label(*more.device, true) + ", " +
                    pool.device_origin + " on " + device_label(*pool.doc.device, true) +
                    ": check each GPU's results on their own");
  }
}

// A run in two files is refused, as two runs of one key in one file are: it
// would be checked twice, and be an ambiguous reference for every ratio.
void add_file(Pool& pool, const std::string& path) {
  ResultsDoc more = load_results(path);
  check_same_gpu(pool, more, path);
  std::vector<RunRecord> runs = std::move(more.runs);
  if (pool.origin.empty()) pool.doc = std::move(more);
  for (RunRecord& r : runs) {
    const auto [it, fresh] = pool.file_of_run.emplace(run_key(r), path);
    if (!fresh)
      throw_bad_input(path + ": the run " + run_key_label(r) + " is also in " + it->second +
                      "; a run is checked once: keep it in one file");
    pool.doc.runs.push_back(std::move(r));
  }
  pool.origin += (pool.origin.empty() ? "" : " + ") + path;
}

struct CheckOptions {
  std::vector<std::string> results;
  std::string contracts;
  std::string md, junit, gbench;
};

void add_check_command(Command app) {
  auto opt = std::make_shared<CheckOptions>();
  Command sub = app.add_subcommand(
      "check",
      "Check performance contracts against results files, their runs taken together (no GPU needed).\n"
      "Exit: 0 all hold, 1 a contract failed or matched no run, 2 bad input, 3 raw counter files\n"
      "that cannot be evaluated here (docs/ci.md)");
  sub.add_option("results", opt->results,
                  "Results files (or raw counter files); a ratio may refer to a run of any of them")
      .required();
  sub.add_option("--contracts", opt->contracts,
                  "Contract file: one 'SELECTOR : ASSERTION' per line, e.g.\n"
                  "  gemm.mma_sync.bf16 m=4096 : tflops >= 0.6 x gemm.cublas.bf16")
      .required().check(not_empty());
  sub.add_option("--md", opt->md, "Also write a Markdown summary (a PR comment) to this file").check(not_empty());
  sub.add_option("--junit", opt->junit, "Also write JUnit XML to this file").check(not_empty());
  sub.add_option("--gbench", opt->gbench,
                  "Also write the results as Google Benchmark JSON to this file").check(not_empty());
  set_action(sub, [opt]() {
    // Contracts first: a malformed contract is reported before any file I/O
    // on the results, so its line number is the first thing a user sees.
    std::vector<Contract> contracts = read_contracts(opt->contracts);
    std::vector<std::string> inputs = opt->results;
    inputs.push_back(opt->contracts);
    check_outputs({opt->md, opt->junit, opt->gbench}, inputs);
    refuse_repeated_files(opt->results);
    Pool pool;
    for (const std::string& path : opt->results) add_file(pool, path);
    const ResultsDoc& doc = pool.doc;
    const CheckReport rep = check_contracts(doc, std::move(contracts), pool.origin, opt->contracts);
    // The files first: the text ends with the outcome, which a failed write changes.
    write_outputs({{opt->md, opt->md.empty() ? "" : render_check_markdown(rep), "Markdown"},
                   {opt->junit, opt->junit.empty() ? "" : render_check_junit(rep), "JUnit XML"},
                   {opt->gbench, opt->gbench.empty() ? "" : render_gbench_json(doc), "Google Benchmark JSON"}});
    std::cout << render_check_text(rep, stdout_is_color_tty()) << std::flush;
    return rep.passed() ? int(kOk) : int(kFailure);
  });
}

}  // namespace

static const bool registered = register_command(64, add_check_command);

}  // namespace flopscope::cli
