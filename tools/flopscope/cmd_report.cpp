// `flopscope report FILE.json [--md F] [--csv F]`: render a results file offline.
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/report.h"
#include "load_results.h"

namespace flopscope::cli {
namespace {
struct ReportOptions {
  std::string input;
  std::string md, csv;
};
}  // namespace

namespace {
void add_report_command(CLI::App& app) {
  auto opt = std::make_shared<ReportOptions>();
  CLI::App* sub = app.add_subcommand("report", "Render a results file (no GPU needed)");
  sub->add_option("file", opt->input, "A flopscope results file (flopscope.results/1)")->required();
  sub->add_option("--md", opt->md, "Also write a Markdown report to this file");
  sub->add_option("--csv", opt->csv, "Also write CSV (one row per run) to this file");
  set_action(sub, [opt]() {
    const ResultsDoc doc = load_results(opt->input);
    std::cout << render_terminal(doc, 100, stdout_is_color_tty());
    if (!opt->md.empty()) write_output(opt->md, render_markdown(doc), "Markdown");
    if (!opt->csv.empty()) write_output(opt->csv, render_csv(doc), "CSV");
    return int(kOk);
  });
}

}  // namespace

static const bool registered = register_command(60, add_report_command);

}  // namespace flopscope::cli
