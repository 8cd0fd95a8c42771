// `flopscope report FILE.json... [--peaks CEILINGS.json] [--html F] [--svg F] [--md F] [--csv F]`:
// render one or more results files offline. One file gives every view; several
// (two GPUs, two commits) are shown side by side. Each output is written
// atomically, and only after every input has loaded and every output rendered.
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/error.h"
#include "flopscope/full_report.h"
#include "flopscope/views.h"
#include "load_results.h"

namespace flopscope::cli {
namespace {
struct ReportOptions {
  std::vector<std::string> inputs;
  std::string peaks, html, svg, md, csv;
};

void add_report_command(Command app) {
  auto opt = std::make_shared<ReportOptions>();
  Command sub = app.add_subcommand(
      "report", "Render results files: terminal tables, and HTML, SVG roofline, Markdown or CSV (no GPU needed)");
  sub.add_option("file", opt->inputs,
                  "flopscope results files (flopscope.results/1) or raw counter files (.fscounters, re-evaluated here); "
                  "several are shown side by side")
      .required();
  sub.add_option("--peaks", opt->peaks,
                  "Read every file against the measured peaks of this `flopscope ceilings --out` file "
                  "(same GPU model): MFU against them, and their roofs").check(not_empty());
  sub.add_option("--html", opt->html, "Write a self-contained HTML report (roofline, sortable tables) to this file").check(not_empty());
  sub.add_option("--svg", opt->svg, "Write the roofline chart(s) as SVG to this file").check(not_empty());
  sub.add_option("--md", opt->md, "Also write a Markdown report to this file").check(not_empty());
  sub.add_option("--csv", opt->csv,
                 "Also write CSV (one row per run) to this file (one of --html, --svg, --md and --csv may be '-': "
                 "standard output)")
      .check(not_empty());
  set_action(sub, [opt]() {
    // One output may be '-': it goes to standard output, in place of the
    // terminal tables (`--csv - | column -ts,`).
    struct Output {
      std::string path;
      const char* what;
      std::string (*render)(const std::vector<ResultsDoc>&);
    };
    const std::vector<Output> wanted{{opt->html, "HTML", render_report_html},
                                     {opt->svg, "SVG", render_report_svg},
                                     {opt->md, "Markdown", render_report_markdown},
                                     {opt->csv, "CSV", render_report_csv}};
    std::vector<std::string> files;
    const Output* to_stdout = nullptr;
    for (const Output& o : wanted) {
      if (o.path != kStdoutName) {
        files.push_back(o.path);
      } else if (to_stdout) {
        throw_bad_input(std::string("both the ") + to_stdout->what + " and the " + o.what +
                        " output are '-': standard output takes one; give the other a file name");
      } else {
        to_stdout = &o;
      }
    }
    refuse_repeated_files(opt->inputs);
    std::vector<std::string> reads = opt->inputs;
    if (!opt->peaks.empty()) reads.push_back(opt->peaks);
    check_outputs(files, reads);
    std::vector<ResultsDoc> docs;
    for (const auto& path : opt->inputs) docs.push_back(load_results(path));
    if (!opt->peaks.empty()) {
      const ResultsDoc ceilings = load_results(opt->peaks);
      for (size_t i = 0; i < docs.size(); ++i)
        adopt_measured_peaks(docs[i], ceilings, "--peaks " + opt->peaks + " with " + opt->inputs[i]);
    }
    // Render everything first: a failure leaves no output half-done.
    std::vector<std::pair<const Output*, std::string>> rendered;
    for (const Output& o : wanted)
      if (!o.path.empty()) rendered.emplace_back(&o, o.render(docs));
    std::cout << (to_stdout ? std::string() : render_report_terminal(docs, stdout_width(), stdout_is_color_tty()));
    std::vector<OutputFile> written;
    for (const auto& [o, text] : rendered) {
      if (o == to_stdout) std::cout << text;
      else written.push_back({o->path, text, o->what});
    }
    // Standard output first: when it fails, no file is written beside it.
    if (const std::optional<std::string> failure = stdout_failure())
      throw Error(ErrorKind::failure, *failure + "; no output file was written");
    write_outputs(written);
    return int(kOk);
  });
}

}  // namespace

static const bool registered = register_command(60, add_report_command);

}  // namespace flopscope::cli
