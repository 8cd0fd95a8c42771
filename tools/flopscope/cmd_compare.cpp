// `flopscope compare BASELINE.json CURRENT.json`: the regression gate.
// Exit codes (docs/ci.md): 0 no regression, 1 regression, 2 bad input,
// 4 inconclusive.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/ci_report.h"
#include "flopscope/error.h"  // one_line
#include "flopscope/gate.h"
#include "load_results.h"

namespace flopscope::cli {
namespace {

struct CompareOptions {
  std::string baseline, current;
  std::string md, junit, gbench;
  double threshold_pct = 5, confidence_pct = 99;
  double flops_tol_pct = 0.1, bytes_tol_pct = 5, clock_tol_pct = 2;
  int min_samples = 10;
  Option min_samples_given;
  std::string clock = "flag", work_gate = "increase";
};

GateOptions gate_options(const CompareOptions& o) {
  GateOptions g;
  g.threshold = o.threshold_pct / 100;
  g.confidence = o.confidence_pct / 100;
  g.min_samples = o.min_samples;
  // Unless given, the floor follows --confidence: 10 samples have no 99.99%
  // interval. (An out-of-range confidence is left for validate to refuse.)
  const double widest = std::max(g.confidence, g.equivalence_confidence);
  if (!o.min_samples_given.count() && widest > 0.5 && widest <= kMaxConfidence)
    g.min_samples = std::max(g.min_samples, least_min_samples(g));
  g.flops_tolerance = o.flops_tol_pct / 100;
  g.bytes_tolerance = o.bytes_tol_pct / 100;
  g.clock_tolerance = o.clock_tol_pct / 100;
  g.clock = *parse_clock_policy(o.clock);      // CLI11 checked the spelling
  g.work_gate = *parse_work_gate(o.work_gate);
  validate(g);
  return g;
}

int exit_code(Outcome o) {
  switch (o) {
    case Outcome::ok: return kOk;
    case Outcome::regression: return kFailure;
    case Outcome::inconclusive: return kInconclusive;
  }
  return kFailure;
}

void add_compare_command(Command app) {
  auto opt = std::make_shared<CompareOptions>();
  Command sub = app.add_subcommand(
      "compare",
      "Gate a change: compare CURRENT results against BASELINE, run by run (no GPU needed).\n"
      "Exit: 0 no regression, 1 regression, 2 bad input, 3 raw counter files that cannot be\n"
      "evaluated here, 4 inconclusive (docs/ci.md)");
  sub.add_option("baseline", opt->baseline, "Results of the reference (e.g. main)").required();
  sub.add_option("current", opt->current, "Results of the change under test").required();
  sub.add_option("--md", opt->md, "Also write a Markdown summary (a PR comment) to this file").check(not_empty());
  sub.add_option("--junit", opt->junit, "Also write JUnit XML to this file").check(not_empty());
  sub.add_option("--gbench", opt->gbench,
                  "Also write CURRENT as Google Benchmark JSON to this file (dashboards)").check(not_empty());
  sub.add_option("--threshold", opt->threshold_pct, "Smallest time change that counts, percent (default 5)")
      .transform(percentage());
  sub.add_option("--confidence", opt->confidence_pct,
                 "Confidence of the interval a verdict needs, percent (default 99)")
      .transform(percentage());
  opt->min_samples_given = sub.add_option("--min-samples", opt->min_samples,
                  "Fewer timing samples on either side give inconclusive (default 10, at "
                  "least 6 at 99% confidence; record 30: flopscope bench --reps 30)")
                               .transform(integer(9));
  sub.add_option("--clock", opt->clock,
                  "SM clocks: flag (a verdict a clock change could explain is inconclusive), "
                  "normalize (scale to the baseline clock), ignore (default flag)")
      .check(one_of({"flag", "normalize", "ignore"}));
  sub.add_option("--clock-tolerance", opt->clock_tol_pct,
                 "SM clock difference that is noticed, percent (default 2)")
      .transform(percentage());
  sub.add_option("--flops-tolerance", opt->flops_tol_pct,
                 "Model and hardware FLOP change that counts, percent (default 0.1)")
      .transform(percentage());
  sub.add_option("--bytes-tolerance", opt->bytes_tol_pct,
                 "Byte count change that counts, percent (default 5)")
      .transform(percentage());
  sub.add_option("--work-gate", opt->work_gate,
                  "Which hardware FLOP / DRAM byte changes fail: increase, any, none "
                  "(default increase; all are reported)")
      .check(one_of({"increase", "any", "none"}));
  set_action(sub, [opt]() {
    const GateOptions g = gate_options(*opt);
    check_outputs({opt->md, opt->junit, opt->gbench}, {opt->baseline, opt->current});
    // A run compared with itself is always unchanged: a misconfigured CI step.
    if (same_file(opt->baseline, opt->current))
      throw_bad_input("the baseline and the current results are one file (" + opt->current +
                      "): compare against results of another run");
    const ResultsDoc base = load_results(opt->baseline);
    const ResultsDoc cur = load_results(opt->current);
    const CompareReport rep = compare_results(base, cur, g, opt->baseline, opt->current);
    // Warnings quote the files (device names, drivers): one line, controls escaped.
    for (const auto& w : rep.warnings) std::fprintf(stderr, "flopscope: warning: %s\n", one_line(w).c_str());
    // The files first: the text ends with the exit code, which a failed write changes.
    write_outputs({{opt->md, opt->md.empty() ? "" : render_compare_markdown(rep), "Markdown"},
                   {opt->junit, opt->junit.empty() ? "" : render_compare_junit(rep), "JUnit XML"},
                   {opt->gbench, opt->gbench.empty() ? "" : render_gbench_json(cur), "Google Benchmark JSON"}});
    std::cout << render_compare_text(rep, stdout_is_color_tty(), false, stdout_width()) << std::flush;
    return exit_code(rep.outcome());
  });
}

}  // namespace

static const bool registered = register_command(62, add_compare_command);

}  // namespace flopscope::cli
