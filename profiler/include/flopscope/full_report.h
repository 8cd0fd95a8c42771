#pragma once
/// The whole report over one or more results documents: every view (runs,
/// roofline, precision comparison, reconciliation, device and peaks), and, for
/// several documents (two GPUs, two commits), the runs side by side. Each
/// renderer takes the documents and nothing else, and is deterministic.
#include <string>
#include <vector>

#include "flopscope/results.h"

namespace flopscope {

/// Terminal: the runs table per document plus every table view; no chart.
std::string render_report_terminal(const std::vector<ResultsDoc>& docs, size_t width = 100,
                                   bool color = false);
/// The NVTX range tree of an application profile (nvtx_ranges): launches, GPU
/// time and hardware FLOPs per range, subranges indented. Empty without ranges.
/// `report` shows it for profiles, and `profile` prints it under its table.
std::string render_nvtx_ranges_terminal(const ResultsDoc& doc, size_t width = 100, bool color = false);
/// The table `flopscope profile` prints: one row per kernel name x NVTX path
/// in the document's order (profile puts the longest total GPU time first),
/// their share of the GPU time, then the NVTX range tree. `top` > 0: only the
/// first `top` rows, and one line for the rest.
std::string render_profile_terminal(const ResultsDoc& doc, size_t width = 120, bool color = false, size_t top = 0);
/// Markdown: for one document, render_markdown() followed by the other views.
std::string render_report_markdown(const std::vector<ResultsDoc>& docs);
/// CSV, one row per run: for one document exactly render_csv(); for several, a
/// leading `source` column holds each document's label (doc_labels()).
std::string render_report_csv(const std::vector<ResultsDoc>& docs);
/// The roofline chart(s) as one SVG file, charts side by side.
std::string render_report_svg(const std::vector<ResultsDoc>& docs);
/// One self-contained HTML file: inline CSS, JS and SVG, no network access.
std::string render_report_html(const std::vector<ResultsDoc>& docs);

}  // namespace flopscope
