// `flopscope check RESULTS.json... --contracts FILE`: performance contracts.
// Exit codes (docs/ci.md): 0 every contract holds, 1 a contract failed,
// 2 bad input (a malformed contract names its file and line).
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/ci_report.h"
#include "flopscope/contracts.h"
#include "flopscope/error.h"
#include "load_results.h"

namespace flopscope::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> results;
  std::string contracts;
  std::string md, junit, gbench;
};

void add_check_command(CLI::App& app) {
  auto opt = std::make_shared<CheckOptions>();
  CLI::App* sub = app.add_subcommand(
      "check",
      "Check performance contracts against results files, their runs taken together (no GPU needed).\n"
      "Exit: 0 all hold, 1 a contract failed or matched no run, 2 bad input (docs/ci.md)");
  sub->add_option("results", opt->results,
                  "Results files (or raw counter files); a ratio may refer to a run of any of them")
      ->required();
  sub->add_option("--contracts", opt->contracts,
                  "Contract file: one 'SELECTOR : ASSERTION' per line, e.g.\n"
                  "  gemm.mma_sync.bf16 m=4096 : tflops >= 0.6 x gemm.cublas.bf16")
      ->required()->check(not_empty());
  sub->add_option("--md", opt->md, "Also write a Markdown summary (a PR comment) to this file")->check(not_empty());
  sub->add_option("--junit", opt->junit, "Also write JUnit XML to this file")->check(not_empty());
  sub->add_option("--gbench", opt->gbench,
                  "Also write the results as Google Benchmark JSON to this file")->check(not_empty());
  set_action(sub, [opt]() {
    // Contracts first: a malformed contract is reported before any file I/O
    // on the results, so its line number is the first thing a user sees.
    std::vector<Contract> contracts = read_contracts(opt->contracts);
    std::vector<std::string> inputs = opt->results;
    inputs.push_back(opt->contracts);
    check_outputs({opt->md, opt->junit, opt->gbench}, inputs);
    // One pool of runs (e.g. the default suite and a large-shape run of the
    // same GPU); the first file's device and peaks describe it.
    ResultsDoc doc = load_results(opt->results.front());
    std::string origin = opt->results.front();
    for (size_t i = 1; i < opt->results.size(); ++i) {
      ResultsDoc more = load_results(opt->results[i]);
      if (doc.device && more.device && doc.device->name != more.device->name)
        throw_bad_input(opt->results[i] + " was measured on " + more.device->name + ", " + opt->results.front() +
                        " on " + doc.device->name + ": check each GPU's results on their own");
      for (RunRecord& r : more.runs) doc.runs.push_back(std::move(r));
      origin += " + " + opt->results[i];
    }
    const CheckReport rep = check_contracts(doc, std::move(contracts), origin, opt->contracts);
    std::cout << render_check_text(rep, stdout_is_color_tty()) << std::flush;
    if (!opt->md.empty()) write_output(opt->md, render_check_markdown(rep), "Markdown");
    if (!opt->junit.empty()) write_output(opt->junit, render_check_junit(rep), "JUnit XML");
    if (!opt->gbench.empty()) write_output(opt->gbench, render_gbench_json(doc), "Google Benchmark JSON");
    return rep.passed() ? int(kOk) : int(kFailure);
  });
}

}  // namespace

static const bool registered = register_command(64, add_check_command);

}  // namespace flopscope::cli
