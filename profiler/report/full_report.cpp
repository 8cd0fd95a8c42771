// The whole report in terminal, Markdown, CSV and SVG form (HTML is in
// html_report.cpp). Every figure comes from the views in views.h.
#include "flopscope/full_report.h"

#include <algorithm>
#include <sstream>

#include "flopscope/error.h"
#include "flopscope/report.h"
#include "flopscope/roofline_chart.h"
#include "flopscope/table.h"
#include "flopscope/views.h"

namespace flopscope {

namespace {

// File n's speedup over file 1 on one row: none where either is missing or
// has no time to divide by.
std::optional<double> speedup(const RunRecord* base, const RunRecord* r) {
  if (!base || !r || base->time_s.median <= 0 || r->time_s.median <= 0) return std::nullopt;
  return base->time_s.median / r->time_s.median;
}

std::string peak_value(const PeakRow& r, const std::optional<double>& v) {
  if (!v) return "-";
  return r.is_bandwidth ? fmt_fixed(*v / 1e12, 2) + " TB/s" : fmt_fixed(*v / 1e12, 1) + " TFLOP/s";
}

std::string pipe_split(const ReconRow& row) {
  std::string s;
  for (const auto& p : row.hw_by_pipe) {
    if (!s.empty()) s += ", ";
    s += p.key + " " + fmt_si(p.flops);
    if (row.hw_flops > 0) s += " (" + fmt_fixed(100.0 * p.flops / row.hw_flops, 1) + "%)";
  }
  return s.empty() ? "not split by the counters" : s;
}

std::string model_parts(const ReconRow& row) {
  std::string s;
  for (const auto& [k, v] : row.model_parts) s += (s.empty() ? "" : ", ") + k + " " + fmt_si(v);
  return s.empty() ? "-" : s;
}

// A peak table's source line, starting with what kind of table it is.
std::string named_source(const std::string& kind, const std::string& source) {
  return source.rfind(kind, 0) == 0 ? source : kind + ": " + source;
}

void require_docs(const std::vector<ResultsDoc>& docs) {
  if (docs.empty()) throw_bad_input("report needs at least one results file");
}

}  // namespace

// ---- Terminal ----------------------------------------------------------------------

// A table whose rows start with a kernel and its shape, each kept readable
// in a narrow terminal (as the runs table keeps them): the kernel's label cut
// to no fewer than 24 columns, the shape to no fewer than 14, and the other
// columns left out first.
static Table kernel_and_shape_table() {
  Table t;
  t.add_column("kernel", Align::left, true, true);
  t.set_min_width(Table::kMinKernelWidth);
  t.add_column("shape", Align::left, true);
  t.set_min_width(Table::kMinShapeWidth);
  return t;
}

// The peaks, datasheet against measured, and each run's MFU against both.
static std::string measured_peaks_view(const ResultsDoc& doc, size_t width, bool color) {
  if (!doc.peaks.measured) return "";
  std::ostringstream os;
  os << "\npeaks: datasheet against measured (" << terminal_text(doc.peaks.measured->source) << ")\n";
  Table t;
  t.add_column("peak", Align::left);
  t.add_column("datasheet", Align::right);
  t.add_column("measured", Align::right);
  t.add_column("measured/datasheet", Align::right);
  for (const auto& r : peak_rows(doc))
    t.add_row({r.key, peak_value(r, r.datasheet), peak_value(r, r.measured),
               r.datasheet && r.measured ? fmt_fixed(100.0 * *r.measured / *r.datasheet, 1) + "%" : "-"});
  os << t.render(width, color);
  if (doc.runs.empty()) return os.str();
  Table m = kernel_and_shape_table();
  m.add_column("peak", Align::left);
  m.add_column("MFU% datasheet", Align::right);
  m.add_column("MFU% measured", Align::right);
  for (const auto& r : doc.runs)
    m.add_row({terminal_text(run_label(r)), terminal_text(shape_string(r.shape)), terminal_text(r.precision),
               fmt_percent_cell(r.derived.mfu), fmt_percent_cell(mfu_measured(r, doc))});
  os << m.render(width, color);
  return os.str();
}

static std::string precision_view(const ResultsDoc& doc, size_t width, bool color) {
  const auto groups = precision_comparison(doc);
  if (groups.empty()) return "";
  std::ostringstream os;
  os << "\n"
     << wrap_words("precision comparison (speedup and peak ratio against the FP32 run of the same shape)",
                   width);
  Table t = kernel_and_shape_table();  // the ratios give way first
  t.add_column("dtype", Align::left);
  t.add_column("precision", Align::left);
  t.set_drop_rank(4);
  t.add_column("TFLOP/s", Align::right);
  t.add_column("MFU%", Align::right);
  t.add_column("speedup", Align::right);
  t.add_column("peak ratio", Align::right);
  t.set_drop_rank(2);
  t.add_column("realized%", Align::right);
  t.set_drop_rank(3);
  t.add_column("bytes ratio", Align::right);
  t.set_drop_rank(1);
  t.add_column("bound", Align::left);
  t.set_drop_rank(5);
  for (const auto& g : groups)
    for (const auto& r : g.rows)
      t.add_row({terminal_text(g.kernel), terminal_text(g.shape), terminal_text(r.dtype),
                 terminal_text(r.precision), fmt_fixed(r.tflops, 1), fmt_percent_cell(r.mfu),
                 fmt_times(r.speedup), fmt_times(r.peak_ratio), fmt_percent_cell(r.realized),
                 fmt_times(r.bytes_ratio), terminal_text(r.bound)});
  os << t.render(width, color);
  return os.str();
}

// Model against hardware FLOPs, then why they differ where they do.
static std::string reconciliation_view(const ResultsDoc& doc, size_t width, bool color) {
  const auto recon = reconciliation(doc);
  if (recon.empty()) return "";
  std::ostringstream os;
  os << "\nmodel vs hardware FLOPs\n";
  Table t = kernel_and_shape_table();
  t.add_column("model", Align::right);
  t.add_column("hardware", Align::right);
  t.add_column("hw/model", Align::right);
  t.add_column("tensor", Align::right);
  t.set_drop_rank(2);
  t.add_column("CUDA core", Align::right);
  t.set_drop_rank(1);
  t.add_column("MFU%", Align::right);
  t.set_drop_rank(3);
  t.add_column("HFU%", Align::right);
  t.set_drop_rank(4);
  for (const auto& r : recon)
    t.add_row({terminal_text(run_label(doc.runs[r.run])), terminal_text(shape_string(doc.runs[r.run].shape)),
               fmt_si(r.model_flops), fmt_si(r.hw_flops),
               r.ratio ? Cell(fmt_fixed(*r.ratio, 3), r.agree ? Color::none : Color::yellow) : Cell("-"),
               fmt_si(r.hw_tensor), fmt_si(r.hw_cuda_core), fmt_percent_cell(r.mfu),
               fmt_percent_cell(r.hfu)});
  os << t.render(width, color);
  for (const auto& r : recon)
    for (const auto& why : r.reasons)
      os << wrap_words(terminal_text(why), width, "  " + terminal_text(run_title(doc.runs[r.run])) + ": ",
                       "      ");
  return os.str();
}

static std::string terminal_views(const ResultsDoc& doc, size_t width, bool color) {
  std::ostringstream os;
  if (const std::string w = implausible_runs_warning(doc); !w.empty())
    os << (color ? "\033[31m" : "") << wrap_words(terminal_text(w), width, "warning: ", "  ")
       << (color ? "\033[0m" : "");
  os << render_nvtx_ranges_terminal(doc, width, color) << measured_peaks_view(doc, width, color)
     << precision_view(doc, width, color) << reconciliation_view(doc, width, color);
  return os.str();
}

std::string render_report_terminal(const std::vector<ResultsDoc>& docs, size_t width, bool color) {
  require_docs(docs);
  std::ostringstream os;
  const auto labels = doc_labels(docs);
  if (docs.size() > 1) {
    os << "side by side:";
    for (size_t d = 0; d < docs.size(); ++d) os << " [" << d + 1 << "] " << terminal_text(labels[d]) << ";";
    os << "\n";
    const auto rows = side_by_side(docs);
    Table t;
    t.add_column("kernel", Align::left, true, true);
    t.set_min_width(Table::kMinKernelWidth);
    for (size_t d = 0; d < docs.size(); ++d) {
      // Appended piecewise: GCC 12 misreports "[" + to_string(...) (-Wrestrict).
      std::string n = "[";
      n += std::to_string(d + 1);
      n += ']';
      t.add_column("TFLOP/s" + n, Align::right);
      t.add_column("MFU%" + n, Align::right);
      if (d > 0) t.add_column(n + "/[1]", Align::right);
    }
    // The shape only where one label runs at several shapes: width goes to numbers.
    std::map<std::string, size_t> shapes_per_label;
    for (const auto& row : rows) ++shapes_per_label[run_label(row.id, row.nvtx)];
    bool any_counted = false;
    for (const auto& row : rows) {
      const std::string label = run_label(row.id, row.nvtx);
      std::vector<Cell> cells{terminal_text(shapes_per_label[label] > 1 ? label + " (" + row.shape + ")" : label)};
      for (size_t d = 0; d < docs.size(); ++d) {
        const RunRecord* r = row.runs[d] ? &docs[d].runs[*row.runs[d]] : nullptr;
        const SideFigures f = side_figures(r);
        any_counted = any_counted || f.counted;
        cells.emplace_back(f.tflops_text(1));
        cells.emplace_back(f.utilization_text());
        if (d > 0) {
          const RunRecord* b = row.runs[0] ? &docs[0].runs[*row.runs[0]] : nullptr;
          cells.emplace_back(fmt_times(speedup(b, r)));
        }
      }
      t.add_row(std::move(cells));
    }
    os << t.render(width, color);
    os << "[n]/[1]: speedup of file n over file 1 (median time of [1] / median time of [n]).\n";
    if (any_counted) os << kSideCountedNote << "\n";
  }
  for (size_t d = 0; d < docs.size(); ++d) {
    if (docs.size() > 1) os << "\n== [" << d + 1 << "] " << terminal_text(labels[d]) << " ==\n";
    ResultsDoc safe = docs[d];
    for (auto& r : safe.runs) {
      r.id = terminal_text(r.id);
      r.nvtx = terminal_text(r.nvtx);
    }
    if (safe.device) safe.device->name = terminal_text(safe.device->name);
    safe.peaks.datasheet.source = terminal_text(safe.peaks.datasheet.source);
    os << render_terminal(safe, width, color);
    os << terminal_views(docs[d], width, color);
  }
  return os.str();
}

// ---- NVTX ranges -------------------------------------------------------------------

/// Whether any range has launches with hardware counters: the range views then
/// show how many were counted, and (in the terminal) the hw columns and their note.
static bool any_counted(const std::vector<RangeRow>& rows) {
  return std::any_of(rows.begin(), rows.end(), [](const RangeRow& r) { return r.launches_with_counters > 0; });
}

std::string render_nvtx_ranges_terminal(const ResultsDoc& doc, size_t width, bool color) {
  const std::vector<RangeRow> rows = nvtx_ranges(doc);
  if (rows.empty()) return "";
  const bool any_hw = any_counted(rows);
  Table t;
  t.add_column("NVTX range", Align::left, true);
  t.add_column("launches", Align::right);
  t.add_column("GPU time", Align::right);
  if (any_hw) {
    t.add_column("hw tensor", Align::right);
    t.add_column("hw CUDA-core", Align::right);
  }
  for (size_t i = 0; i < rows.size() && i < kRangeRowsShown; ++i) {
    const RangeRow& r = rows[i];
    const size_t slash = r.path.rfind('/');
    std::string name = r.path.substr(slash == std::string::npos ? 0 : slash + 1);
    if (name.empty()) name = "(empty name)";
    std::vector<Cell> cells{std::string(2 * size_t(r.depth), ' ') + terminal_text(name),
                            any_hw ? range_launches_text(r) : std::to_string(r.launches),
                            fmt_time(r.gpu_time_s)};
    if (any_hw) {
      cells.emplace_back(r.launches_with_counters > 0 ? fmt_si(r.hw_tensor) : "-");
      cells.emplace_back(r.launches_with_counters > 0 ? fmt_si(r.hw_cuda_core) : "-");
    }
    t.add_row(std::move(cells));
  }
  std::string out = "\nper NVTX range (kernels launched in the range or its subranges, summed)\n";
  out += t.render(width, color);
  std::istringstream more(ranges_left_out(rows.size(), runs_past_range_depth(doc)));
  for (std::string line; std::getline(more, line);) out += wrap_words(line, width);
  if (any_hw) out += "hw: hardware-counted FLOPs, per-launch mean x launches; '(n counted)': launches in profile lines with counters\n"
           "(a line's mean stands for all its launches).\n";
  return out;
}

static std::string markdown_ranges(const ResultsDoc& doc, const std::string& h) {
  const std::vector<RangeRow> rows = nvtx_ranges(doc);
  if (rows.empty()) return "";
  const bool any_hw = any_counted(rows);
  std::ostringstream os;
  os << "\n" << h << " Per NVTX range\n\nKernels launched in the range or its subranges, summed. Hardware "
     << "FLOPs are per-launch means x launches.\n\n| range | launches | GPU time | hw tensor FLOPs | "
     << "hw CUDA-core FLOPs |\n|---|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < rows.size() && i < kRangeRowsShown; ++i) {
    const RangeRow& r = rows[i];
    const bool hw = r.launches_with_counters > 0;
    os << "| " << md_cell(r.path) << " | " << (any_hw ? range_launches_text(r) : std::to_string(r.launches)) << " | " << fmt_time(r.gpu_time_s) << " | "
       << (hw ? fmt_si(r.hw_tensor) : "-") << " | " << (hw ? fmt_si(r.hw_cuda_core) : "-") << " |\n";
  }
  if (const std::string more = ranges_left_out(rows.size(), runs_past_range_depth(doc)); !more.empty())
    os << "\n" << more;  // after a blank line: not a table row
  return os.str();
}

// ---- Markdown ----------------------------------------------------------------------

static std::string markdown_views(const ResultsDoc& doc, const std::string& h) {
  std::ostringstream os;
  if (const std::string w = implausible_runs_warning(doc); !w.empty()) os << "\n> **Warning:** " << md_cell(w) << "\n";
  os << markdown_ranges(doc, h);
  os << "\n" << h << " Peaks\n\n";
  os << "- " << md_cell(named_source("datasheet", doc.peaks.datasheet.source)) << "\n";
  if (doc.peaks.measured) os << "- " << md_cell(named_source("measured", doc.peaks.measured->source)) << "\n";
  const auto peaks = peak_rows(doc);
  if (peaks.empty()) os << "\nNo peaks are known for this GPU.\n";
  else os << "\n| peak | datasheet | measured | measured / datasheet |\n|---|---:|---:|---:|\n";
  for (const auto& r : peaks)
    os << "| " << md_cell(r.key) << " | " << peak_value(r, r.datasheet) << " | " << peak_value(r, r.measured)
       << " | "
       << (r.datasheet && r.measured ? fmt_fixed(100.0 * *r.measured / *r.datasheet, 1) + "%" : "-")
       << " |\n";
  if (doc.peaks.measured && !doc.runs.empty()) {
    os << "\n| kernel | peak | MFU % (datasheet) | MFU % (measured) |\n|---|---|---:|---:|\n";
    for (const auto& r : doc.runs)
      os << "| " << md_cell(run_title(r)) << " | " << md_cell(r.precision) << " | "
         << fmt_percent_cell(r.derived.mfu) << " | " << fmt_percent_cell(mfu_measured(r, doc)) << " |\n";
  }

  const auto groups = precision_comparison(doc);
  if (!groups.empty()) {
    os << "\n" << h << " Precision comparison\n\n"
       << "Speedup = FP32 median time / this median time; peak ratio = this precision's dense peak / the "
          "FP32 peak; realized = speedup / peak ratio; bytes ratio = FP32 model bytes / these.\n\n"
       << "| kernel | shape | dtype | precision | TFLOP/s | MFU % | speedup | peak ratio | realized % | bytes ratio "
          "| bound |\n|---|---|---|---|---:|---:|---:|---:|---:|---:|---|\n";
    for (const auto& g : groups)
      for (const auto& r : g.rows)
        os << "| " << md_cell(g.kernel) << " | " << md_cell(g.shape) << " | " << md_cell(r.dtype) << " | "
           << md_cell(r.precision) << " | " << fmt_fixed(r.tflops, 2) << " | " << fmt_percent_cell(r.mfu)
           << " | " << fmt_times(r.speedup) << " | " << fmt_times(r.peak_ratio) << " | "
           << fmt_percent_cell(r.realized) << " | " << fmt_times(r.bytes_ratio) << " | " << md_cell(r.bound)
           << " |\n";
  }

  const auto recon = reconciliation(doc);
  if (!recon.empty()) {
    os << "\n" << h << " Model vs hardware FLOPs\n\n"
       << "| kernel | model FLOPs | model parts | hardware FLOPs | by pipe | hw / model | MFU % | HFU % | "
          "why they differ |\n|---|---:|---|---:|---|---:|---:|---:|---|\n";
    for (const auto& r : recon) {
      std::string why;
      for (const auto& w : r.reasons) why += (why.empty() ? "" : "; ") + w;
      if (why.empty()) why = "agree within " + fmt_fixed(kReconTolerance * 100, 0) + "%";
      os << "| " << md_cell(run_title(doc.runs[r.run])) << " | " << fmt_si(r.model_flops) << " | "
         << md_cell(model_parts(r)) << " | " << fmt_si(r.hw_flops) << " | " << md_cell(pipe_split(r)) << " | "
         << fmt_fixed(r.ratio, 3) << " | " << fmt_percent_cell(r.mfu) << " | " << fmt_percent_cell(r.hfu)
         << " | " << md_cell(why) << " |\n";
    }
  }
  const RooflineChart chart = build_roofline_chart(doc);
  for (const auto& [title, list] : {std::pair{"Not on the roofline", &chart.omitted},
                                     std::pair{"Hierarchical points not drawn", &chart.levels_omitted}}) {
    if (list->empty()) continue;
    os << "\n" << title << ":\n\n";
    for (const OmittedGroup& g : group_omitted(*list))
      os << "- " << md_cell(g.reason) << " (" << g.runs << (g.runs == 1 ? " run" : " runs")
         << "): " << md_cell(joined(g.labels, ", ")) << "\n";
  }
  // Our own words (code spans meant), not a cell: written as they are.
  if (const std::string note = levels_without_roof_note(chart); !note.empty()) os << "\n" << note << ".\n";
  return os.str();
}

std::string render_report_markdown(const std::vector<ResultsDoc>& docs) {
  require_docs(docs);
  if (docs.size() == 1) return render_markdown(docs[0]) + markdown_views(docs[0], "##");
  const auto labels = doc_labels(docs);
  std::ostringstream os;
  os << "# flopscope report\n\n";
  for (size_t d = 0; d < docs.size(); ++d) os << "- [" << d + 1 << "] " << md_cell(labels[d]) << "\n";
  os << "\n## Side by side\n\n| kernel | shape |";
  for (size_t d = 0; d < docs.size(); ++d) {
    os << " TFLOP/s [" << d + 1 << "] | MFU % [" << d + 1 << "] |";
    if (d > 0) os << " [" << d + 1 << "] / [1] |";
  }
  os << "\n|---|---|";
  for (size_t d = 0; d < docs.size(); ++d) os << (d > 0 ? "---:|---:|---:|" : "---:|---:|");
  os << "\n";
  bool any_counted = false;
  for (const auto& row : side_by_side(docs)) {
    os << "| " << md_cell(run_label(row.id, row.nvtx)) << " | " << md_cell(row.shape) << " |";
    const RunRecord* b = row.runs[0] ? &docs[0].runs[*row.runs[0]] : nullptr;
    for (size_t d = 0; d < docs.size(); ++d) {
      const RunRecord* r = row.runs[d] ? &docs[d].runs[*row.runs[d]] : nullptr;
      const SideFigures f = side_figures(r);
      any_counted = any_counted || f.counted;
      os << " " << f.tflops_text(2) << " | " << f.utilization_text() << " |";
      if (d > 0) os << " " << fmt_times(speedup(b, r)) << " |";
    }
    os << "\n";
  }
  os << "\n[n] / [1]: speedup of file n over file 1 (median time of [1] / median time of [n]).\n";
  if (any_counted) os << "\n" << kSideCountedNote << "\n";
  for (size_t d = 0; d < docs.size(); ++d) {
    std::string md = render_markdown(docs[d]);
    md = md.substr(md.find('\n') + 1);  // drop "# flopscope results"
    os << "\n## [" << d + 1 << "] " << md_cell(labels[d]) << "\n" << md << markdown_views(docs[d], "###");
  }
  return os.str();
}

// ---- CSV and SVG -------------------------------------------------------------------

std::string render_report_csv(const std::vector<ResultsDoc>& docs) {
  require_docs(docs);
  if (docs.size() == 1) return render_csv(docs[0]);
  const auto labels = doc_labels(docs);
  std::string out;
  for (size_t d = 0; d < docs.size(); ++d) {
    std::istringstream in(render_csv(docs[d]));
    std::string line;
    std::getline(in, line);
    if (d == 0) out += "source," + line + "\n";
    // render_csv quotes embedded newlines, so read whole records.
    std::string record;
    bool in_quotes = false;
    while (std::getline(in, line)) {
      record += record.empty() ? line : "\n" + line;
      for (char c : line)
        if (c == '"') in_quotes = !in_quotes;
      if (in_quotes) continue;
      out += csv_field(labels[d]) + "," + record + "\n";
      record.clear();
    }
  }
  return out;
}

std::string render_report_svg(const std::vector<ResultsDoc>& docs) {
  require_docs(docs);
  return render_roofline_svg(build_roofline_charts(docs));
}

}  // namespace flopscope
