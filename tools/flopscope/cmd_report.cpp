// `flopscope report FILE.json... [--peaks CEILINGS.json] [--html F] [--svg F] [--md F] [--csv F]`:
// render one or more results files offline. One file gives every view; several
// (two GPUs, two commits) are shown side by side. Each output is written
// atomically, and only after every input has loaded and every output rendered.
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/full_report.h"
#include "flopscope/views.h"
#include "load_results.h"

namespace flopscope::cli {
namespace {
struct ReportOptions {
  std::vector<std::string> inputs;
  std::string peaks, html, svg, md, csv;
};

void add_report_command(CLI::App& app) {
  auto opt = std::make_shared<ReportOptions>();
  CLI::App* sub = app.add_subcommand(
      "report", "Render results files: terminal tables, and HTML, SVG roofline, Markdown or CSV (no GPU needed)");
  sub->add_option("file", opt->inputs,
                  "flopscope results files (flopscope.results/1); several are shown side by side")
      ->required();
  sub->add_option("--peaks", opt->peaks,
                  "Read every file against the measured peaks of this `flopscope ceilings --out` file "
                  "(same GPU model): MFU against them, and their roofs")->check(not_empty());
  sub->add_option("--html", opt->html, "Write a self-contained HTML report (roofline, sortable tables) to this file")->check(not_empty());
  sub->add_option("--svg", opt->svg, "Write the roofline chart(s) as SVG to this file")->check(not_empty());
  sub->add_option("--md", opt->md, "Also write a Markdown report to this file")->check(not_empty());
  sub->add_option("--csv", opt->csv, "Also write CSV (one row per run) to this file")->check(not_empty());
  set_action(sub, [opt]() {
    std::vector<std::string> reads = opt->inputs;
    if (!opt->peaks.empty()) reads.push_back(opt->peaks);
    check_outputs({opt->html, opt->svg, opt->md, opt->csv}, reads);
    std::vector<ResultsDoc> docs;
    for (const auto& path : opt->inputs) docs.push_back(load_results(path));
    if (!opt->peaks.empty()) {
      const ResultsDoc ceilings = load_results(opt->peaks);
      for (size_t i = 0; i < docs.size(); ++i)
        adopt_measured_peaks(docs[i], ceilings, "--peaks " + opt->peaks + " with " + opt->inputs[i]);
    }
    // Render everything first: a failure leaves no output half-done.
    std::vector<std::pair<std::string, std::pair<std::string, const char*>>> outputs;
    if (!opt->html.empty()) outputs.push_back({opt->html, {render_report_html(docs), "HTML"}});
    if (!opt->svg.empty()) outputs.push_back({opt->svg, {render_report_svg(docs), "SVG"}});
    if (!opt->md.empty()) outputs.push_back({opt->md, {render_report_markdown(docs), "Markdown"}});
    if (!opt->csv.empty()) outputs.push_back({opt->csv, {render_report_csv(docs), "CSV"}});
    std::cout << render_report_terminal(docs, stdout_width(), stdout_is_color_tty());
    for (const auto& [path, what] : outputs) write_output(path, what.first, what.second);
    return int(kOk);
  });
}

}  // namespace

static const bool registered = register_command(60, add_report_command);

}  // namespace flopscope::cli
