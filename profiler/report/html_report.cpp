// The HTML report: one self-contained file (inline CSS, JS and SVG; a Content
// Security Policy forbids any network access and any inline code but its own,
// named by hash). Every string from a results
// file goes through html_escape(); the script is a constant and carries no
// data: it reads the table cells and the SVG already in the page.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>
#include <sstream>

#include "flopscope/error.h"
#include "flopscope/full_report.h"
#include "flopscope/roofline_chart.h"
#include "flopscope/sha256.h"
#include "flopscope/table.h"
#include "flopscope/views.h"

namespace flopscope {

namespace {

const char* const kStyle = R"CSS(
:root { --fg:#1b1b1b; --muted:#5f6368; --line:#d9d9d9; --head:#f3f4f6; --accent:#1f5fbf; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 28px 40px; font: 14px/1.45 "DejaVu Sans", Helvetica, Arial, sans-serif;
       color: var(--fg); background: #ffffff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.meta, p.note, .muted { color: var(--muted); }
p.note, p.muted { overflow-wrap: anywhere; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 300px; max-width: 560px; }
.card h3 { margin-top: 0; }
.card dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 0; }
.card dt { color: var(--muted); }
.card dd { margin: 0; overflow-wrap: anywhere; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart svg { max-width: 100%; height: auto; border: 1px solid var(--line); }
.charts.multi { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 900px), 1fr)); }
.charts.multi .chart { min-width: 0; max-width: 1100px; }
.charts.multi .chart svg { width: 100%; }
.chart .pt { cursor: pointer; }
.by-family summary { cursor: pointer; margin: 10px 0; font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 7px; vertical-align: top; }
th { background: var(--head); text-align: left; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " \2195"; color: #b0b0b0; }
table.sortable th[aria-sort="ascending"]::after { content: " \2191"; color: var(--fg); }
table.sortable th[aria-sort="descending"]::after { content: " \2193"; color: var(--fg); }
td.shape { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .sym { color: var(--muted); font-size: 11px; max-width: 420px; overflow-wrap: anywhere; }
tr.hl td { background: #fff4c2; }
.bad { color: #b00020; font-weight: bold; }
.compute { color: #1a7f37; } .memory { color: #1f5fbf; }
ul.why { margin: 0; padding-left: 16px; }
)CSS";

// Sorting (click a header; #sort=TABLE:COLUMN:asc|desc in the address sorts on
// load), and point <-> row highlighting. It reads only the page.
const char* const kScript = R"JS(
(function () {
  "use strict";
  // Text in natural order ("m=512" before "m=4096"); a cell without a value
  // ("-": not measured) is null and goes last in either direction.
  var collator = window.Intl && Intl.Collator ? new Intl.Collator(undefined, { numeric: true, sensitivity: "base" }) : null;
  function cellKey(td, numeric) {
    var v = td.hasAttribute("data-v") ? td.getAttribute("data-v") : td.textContent;
    if (numeric) { var x = parseFloat(v); return isNaN(x) ? null : x; }
    return v === "-" ? null : v;
  }
  function compare(x, y, numeric) {
    if (numeric) return x < y ? -1 : x > y ? 1 : 0;
    if (collator) return collator.compare(x, y);
    x = x.toLowerCase(); y = y.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  function sortTable(table, col, dir) {
    var head = table.tHead.rows[0].cells;
    if (col < 0 || col >= head.length) return;
    var numeric = head[col].getAttribute("data-type") === "num";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellKey(a.cells[col], numeric), y = cellKey(b.cells[col], numeric);
      var c = (x === null) - (y === null);
      if (!c && x !== null) c = dir === "desc" ? -compare(x, y, numeric) : compare(x, y, numeric);
      return c || (+a.getAttribute("data-i") - +b.getAttribute("data-i"));
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < head.length; i++) head[i].removeAttribute("aria-sort");
    head[col].setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r, i) { r.setAttribute("data-i", i); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      function go() { sortTable(table, col, th.getAttribute("aria-sort") === "ascending" ? "desc" : "asc"); }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
    });
  });
  var m = /^#sort=([A-Za-z0-9_-]+):([0-9]+):(asc|desc)$/.exec(window.location.hash);
  if (m) { var t = document.getElementById(m[1]); if (t && t.classList.contains("sortable")) sortTable(t, +m[2], m[3]); }

  Array.prototype.forEach.call(document.querySelectorAll(".chart .pt"), function (pt) {
    pt.addEventListener("click", function () {
      var doc = pt.closest(".chart").getAttribute("data-doc"), run = pt.getAttribute("data-run");
      Array.prototype.forEach.call(document.querySelectorAll("tr.hl"), function (r) { r.classList.remove("hl"); });
      var row = document.querySelector('#runs-' + doc + ' tr[data-run="' + run + '"]');
      if (row) { row.classList.add("hl"); row.scrollIntoView({ block: "center" }); }
    });
  });
  var svg = document.querySelector(".chart svg");
  if (svg) {
    var r = svg.getBoundingClientRect();
    document.body.setAttribute("data-roofline-box", [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]
      .map(function (v) { return Math.round(v); }).join(","));
  }
  document.body.setAttribute("data-js", "ok");
})();
)JS";

std::string e(const std::string& s) { return html_escape(s); }

// "[d+1]", appended piecewise: GCC 12 misreports "[" + to_string(...) (-Wrestrict).
std::string bracket(size_t d) {
  std::string s = "[";
  s += std::to_string(d + 1);
  s += ']';
  return s;
}

// A sort key: the shortest digits that read back as the same double, so that
// values shown apart never tie (%.6g made 1234561 and 1234565 launches equal).
std::string sort_key(double v) {
  char buf[40];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// A numeric cell: shown text, exact value for sorting.
std::string num_td(const std::string& shown, const std::optional<double>& v) {
  return "<td class=\"num\" data-v=\"" + (v ? sort_key(*v) : std::string("")) + "\">" + e(shown) + "</td>";
}
std::string pct_td(const std::optional<double>& f) {
  return num_td(fmt_percent_cell(f), f ? std::optional<double>(*f * 100) : f);
}
std::string times_td(const std::optional<double>& v) { return num_td(fmt_times(v), v); }
std::string text_td(const std::string& s) { return "<td>" + e(s) + "</td>"; }
std::string shape_td(const std::string& s) { return "<td class=\"shape\">" + e(s) + "</td>"; }

std::string th(const std::string& label, bool numeric, const std::string& title = "") {
  return std::string("<th") + (numeric ? " data-type=\"num\"" : "") +
         (title.empty() ? "" : " title=\"" + e(title) + "\"") + ">" + e(label) + "</th>";
}

std::string bound_td(const std::string& b) {
  const std::string cls = b == "compute" ? "compute" : b == "memory" ? "memory" : "muted";
  return "<td class=\"" + cls + "\">" + e(b) + "</td>";
}

// `label`: run_label where a shape column follows, else run_title.
std::string kernel_td(const RunRecord& r, const std::string& label) {
  std::string s = "<td>" + e(label);
  if (!r.name.empty()) s += "<div class=\"sym\">" + e(r.name) + "</div>";
  return s + "</td>";
}

std::string peak_text(const PeakRow& r, const std::optional<double>& v) {
  if (!v) return "-";
  return r.is_bandwidth ? fmt_fixed(*v / 1e12, 2) + " TB/s" : fmt_fixed(*v / 1e12, 1) + " TFLOP/s";
}

void summary_card(std::ostringstream& o, const ResultsDoc& doc, const std::string& label, size_t d) {
  size_t compute = 0, memory = 0, unknown = 0, failed = 0, validated = 0;
  const RunRecord* best = nullptr;
  for (const auto& r : doc.runs) {
    (r.derived.bound == "compute" ? compute : r.derived.bound == "memory" ? memory : unknown)++;
    if (r.validation) {
      ++validated;
      if (!r.validation->passed) ++failed;
    }
    if (r.derived.mfu && (!best || *r.derived.mfu > *best->derived.mfu)) best = &r;
  }
  o << "<div class=\"card\" id=\"summary-" << d << "\"><h3>" << e(label) << "</h3><dl>\n";
  o << "<dt>device</dt><dd>" << e(device_label(doc.device)) << "</dd>\n";
  o << "<dt>runs</dt><dd>" << doc.runs.size() << " (" << compute << " compute-bound, " << memory
    << " memory-bound" << (unknown ? ", " + std::to_string(unknown) + " unknown" : std::string()) << ")</dd>\n";
  if (best)
    o << "<dt>highest MFU</dt><dd>" << e(best->id) << ": " << fmt_percent_cell(best->derived.mfu) << "% of "
      << e(best->derived.peak_key) << " " << fmt_fixed(best->derived.peak_tflops, 1) << " TFLOP/s</dd>\n";
  if (const std::string w = implausible_runs_warning(doc); !w.empty())
    o << "<dt>implausible</dt><dd><span class=\"bad\">" << e(w) << "</span></dd>\n";
  o << "<dt>validation</dt><dd>";
  if (!validated) o << "not recorded";
  else if (failed) o << "<span class=\"bad\">" << failed << " of " << validated << " failed</span>";
  else o << validated << " of " << validated << " passed";
  o << "</dd>\n";
  o << "<dt>peaks</dt><dd>" << e(doc.peaks.datasheet.source);
  if (doc.peaks.measured) {
    const std::string& ms = doc.peaks.measured->source;
    o << "; " << (ms.rfind("measured", 0) == 0 ? "" : "measured: ") << e(ms);
  }
  o << "</dd>\n";
  o << "<dt>flopscope</dt><dd>" << e(doc.tool_version) << (doc.tool_commit.empty() ? "" : " (" + e(doc.tool_commit) + ")")
    << ", " << e(doc.created) << "</dd>\n";
  o << "</dl></div>\n";
}

void runs_table(std::ostringstream& o, const ResultsDoc& doc, size_t d) {
  const bool measured = doc.peaks.measured.has_value();
  o << "<div class=\"scroll\"><table class=\"sortable\" id=\"runs-" << d << "\"><thead><tr>"
    << th("kernel", false) << th("shape", false) << th("median time", true) << th("TFLOP/s (model)", true)
    << th("TFLOP/s (hw)", true) << th("MFU %", true, "model FLOPs / median time / the peak named in 'peak'");
  if (measured) o << th("MFU % (measured peak)", true);
  o << th("HFU %", true, "hardware FLOPs / median time / the same peak") << th("peak", false)
    << th("peak TFLOP/s", true) << th("AI model (FLOP/B)", true) << th("AI hw (FLOP/B)", true) << th("bound", false)
    << th("% of roof", true) << th("valid", false) << "</tr></thead><tbody>\n";
  for (size_t i = 0; i < doc.runs.size(); ++i) {
    const RunRecord& r = doc.runs[i];
    const Derived& v = r.derived;
    o << "<tr data-run=\"" << i << "\">" << kernel_td(r, run_label(r)) << shape_td(shape_string(r.shape))
      << num_td(fmt_time(r.time_s.median), r.time_s.median)
      << num_td(fmt_fixed(model_tflops(r), 2), model_tflops(r))
      << num_td(fmt_fixed(v.tflops_hw, 2), v.tflops_hw) << pct_td(v.mfu);
    if (measured) o << pct_td(mfu_measured(r, doc));
    o << pct_td(v.hfu) << "<td title=\"" << e(v.peak_source) << "\">" << e(v.peak_key) << "</td>"
      << num_td(fmt_fixed(shown_peak_tflops(r), 1), shown_peak_tflops(r))
      << num_td(shown_model_intensity(r) ? fmt_fixed(v.ai_dram, 2) : "-", shown_model_intensity(r))
      << num_td(fmt_fixed(v.ai_dram_hw, 2), v.ai_dram_hw) << bound_td(v.bound)
      << num_td(fmt_fixed(shown_pct_of_roof(r), 1), shown_pct_of_roof(r));
    if (!r.validation) o << "<td class=\"muted\">-</td>";
    else if (r.validation->passed) o << "<td>ok</td>";
    else o << "<td class=\"bad\">FAIL</td>";
    o << "</tr>\n";
  }
  o << "</tbody></table></div>\n";
  if (const auto notes = clock_limit_notes(doc); !notes.empty()) {
    o << "<p>Clocks held down during the timed runs (NVML):</p><ul>\n";
    for (const std::string& n : notes) o << "<li>" << e(n) << "</li>\n";
    o << "</ul>\n";
  }
}

void precision_table(std::ostringstream& o, const ResultsDoc& doc, size_t d) {
  const auto groups = precision_comparison(doc);
  if (groups.empty()) {
    o << "<p class=\"muted\">No kernel was run in more than one precision at the same shape.</p>\n";
    return;
  }
  const bool measured = doc.peaks.measured.has_value();
  o << "<div class=\"scroll\"><table class=\"sortable\" id=\"precision-" << d << "\"><thead><tr>" << th("kernel", false)
    << th("shape", false) << th("dtype", false, "the inputs' type") << th("precision", false, "the peak it ran against")
    << th("TFLOP/s", true) << th("MFU %", true) << th("speedup vs FP32", true, "FP32 median time / this median time")
    << th("peak ratio", true, "this precision's datasheet peak / the FP32 peak");
  if (measured) o << th("peak ratio (measured)", true);
  o << th("realized %", true, "speedup / peak ratio") << th("bytes ratio", true, "FP32 model bytes / these")
    << th("bound", false) << "</tr></thead><tbody>\n";
  for (const auto& g : groups)
    for (const auto& r : g.rows) {
      o << "<tr data-run=\"" << r.run << "\">" << text_td(g.kernel) << shape_td(g.shape) << text_td(r.dtype)
        << text_td(r.precision)
        << num_td(fmt_fixed(r.tflops, 2), r.tflops) << pct_td(r.mfu) << times_td(r.speedup) << times_td(r.peak_ratio);
      if (measured) o << times_td(r.peak_ratio_measured);
      o << pct_td(r.realized) << times_td(r.bytes_ratio) << bound_td(r.bound) << "</tr>\n";
    }
  o << "</tbody></table></div>\n";
}

void recon_table(std::ostringstream& o, const ResultsDoc& doc, size_t d) {
  const auto rows = reconciliation(doc);
  if (rows.empty()) {
    o << "<p class=\"muted\">No run has hardware-counted FLOPs (run under <code>flopscope profile</code> to "
         "collect them).</p>\n";
    return;
  }
  o << "<div class=\"scroll\"><table class=\"sortable\" id=\"recon-" << d << "\"><thead><tr>" << th("kernel", false)
    << th("model FLOPs", true) << th("model parts", false) << th("hardware FLOPs", true) << th("by pipe", false)
    << th("hw / model", true) << th("MFU %", true) << th("HFU %", true) << th("why they differ", false)
    << "</tr></thead><tbody>\n";
  for (const auto& r : rows) {
    std::string parts, pipes;
    for (const auto& [k, v] : r.model_parts) parts += (parts.empty() ? "" : ", ") + k + " " + fmt_si(v);
    for (const auto& p : r.hw_by_pipe) {
      pipes += (pipes.empty() ? "" : ", ") + p.key + (p.tensor ? " (tensor) " : " (CUDA core) ") + fmt_si(p.flops);
      if (r.hw_flops > 0) {
        pipes += ' ';
        pipes += fmt_fixed(100.0 * p.flops / r.hw_flops, 1);
        pipes += '%';
      }
    }
    o << "<tr data-run=\"" << r.run << "\">" << kernel_td(doc.runs[r.run], run_title(doc.runs[r.run]))
      << num_td(fmt_si(r.model_flops), r.model_flops) << text_td(parts.empty() ? "-" : parts)
      << num_td(fmt_si(r.hw_flops), r.hw_flops)
      << text_td(pipes.empty() ? "not split by the counters" : pipes)
      << num_td(fmt_fixed(r.ratio, 3), r.ratio) << pct_td(r.mfu) << pct_td(r.hfu) << "<td>";
    if (r.reasons.empty()) o << "agree within " << fmt_fixed(kReconTolerance * 100, 0) << "%";
    else {
      o << "<ul class=\"why\">";
      for (const auto& w : r.reasons) o << "<li>" << e(w) << "</li>";
      o << "</ul>";
    }
    o << "</td></tr>\n";
  }
  o << "</tbody></table></div>\n";
}

void nvtx_table(std::ostringstream& o, const ResultsDoc& doc, const std::vector<RangeRow>& rows, size_t d) {
  if (rows.empty()) {
    o << "<p class=\"muted\">No NVTX range in this file (ranges come from <code>flopscope profile</code>).</p>\n";
    return;
  }
  o << "<div class=\"scroll\"><table class=\"sortable\" id=\"nvtx-" << d << "\"><thead><tr>" << th("range", false)
    << th("launches", true) << th("in lines with counters", true) << th("GPU time", true) << th("hw tensor FLOPs", true)
    << th("hw CUDA-core FLOPs", true) << "</tr></thead><tbody>\n";
  for (size_t i = 0; i < rows.size() && i < kRangeRowsShown; ++i) {
    const RangeRow& r = rows[i];
    const bool hw = r.launches_with_counters > 0;
    o << "<tr><td class=\"range depth-" << r.depth << "\">" << e(r.path) << "</td>"
      << num_td(std::to_string(r.launches), double(r.launches))
      << num_td(std::to_string(r.launches_with_counters), double(r.launches_with_counters))
      << num_td(fmt_time(r.gpu_time_s), r.gpu_time_s)
      << num_td(hw ? fmt_si(r.hw_tensor) : "-", hw ? std::optional<double>(r.hw_tensor) : std::nullopt)
      << num_td(hw ? fmt_si(r.hw_cuda_core) : "-", hw ? std::optional<double>(r.hw_cuda_core) : std::nullopt)
      << "</tr>\n";
  }
  o << "</tbody></table></div>\n";
  std::istringstream more(ranges_left_out(rows.size(), runs_past_range_depth(doc)));
  for (std::string line; std::getline(more, line);) o << "<p class=\"muted\">" << e(line) << ".</p>\n";
}

// One rule per nesting depth shown in the NVTX tables (a class, not a style
// attribute: the policy allows no inline style but the hashed sheet).
std::string range_depth_rules(const std::vector<std::vector<RangeRow>>& ranges) {
  std::set<int> depths;
  for (const std::vector<RangeRow>& rows : ranges)
    for (size_t i = 0; i < rows.size() && i < kRangeRowsShown; ++i) depths.insert(rows[i].depth);
  std::string rules;
  for (const int depth : depths) {
    // Appended piecewise: GCC 12 misreports "..." + to_string(...) (-Wrestrict).
    rules += "td.range.depth-";
    rules += std::to_string(depth);
    rules += " { padding-left: ";
    rules += std::to_string(6 + 16 * int64_t{depth});
    rules += "px; }\n";
  }
  return rules;
}

// A CSP source that allows exactly `text` as an inline <script> or <style>.
std::string csp_hash_source(std::string_view text) {
  const Sha256Digest digest = sha256(text);
  return "'sha256-" + base64(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())) +
         "'";
}

void device_section(std::ostringstream& o, const ResultsDoc& doc, size_t d) {
  o << "<div class=\"cards\"><div class=\"card\"><h3>Device</h3><dl>\n";
  if (doc.device) {
    const DeviceInfo& v = *doc.device;
    o << "<dt>name</dt><dd>" << e(v.name) << "</dd>\n<dt>database key</dt><dd>"
      << e(v.gpu_key.empty() ? std::string("not in the peak database") : v.gpu_key) << "</dd>\n"
      << "<dt>compute capability</dt><dd>" << v.cc_major << "." << v.cc_minor << "</dd>\n"
      << "<dt>SMs</dt><dd>" << v.sm_count << "</dd>\n<dt>max SM clock</dt><dd>" << fmt_fixed(v.max_sm_clock_mhz, 0)
      << " MHz</dd>\n<dt>memory</dt><dd>" << fmt_fixed(v.memory_bytes / 1e9, 1) << " GB</dd>\n"
      << "<dt>driver / runtime</dt><dd>" << e(driver_text(v))
      << (v.cuda_runtime_version.empty() ? std::string() : " / CUDA runtime " + e(v.cuda_runtime_version)) << "</dd>\n";
  } else {
    o << "<dt>device</dt><dd>not recorded</dd>\n";
  }
  o << "</dl></div>\n<div class=\"card\"><h3>Where the peaks come from</h3><dl>\n<dt>datasheet</dt><dd>"
    << e(doc.peaks.datasheet.source) << "</dd>\n<dt>measured</dt><dd>"
    << (doc.peaks.measured ? e(doc.peaks.measured->source)
                           : std::string("none in this file (<code>flopscope ceilings</code> measures them)"))
    << "</dd>\n</dl></div></div>\n";
  o << "<div class=\"scroll\"><table class=\"sortable\" id=\"peaks-" << d << "\"><thead><tr>" << th("peak", false)
    << th("datasheet", true) << th("measured", true) << th("measured / datasheet %", true) << "</tr></thead><tbody>\n";
  for (const auto& r : peak_rows(doc)) {
    std::optional<double> ratio;
    if (r.datasheet && r.measured) ratio = 100.0 * *r.measured / *r.datasheet;
    o << "<tr>" << text_td(r.key) << num_td(peak_text(r, r.datasheet), r.datasheet)
      << num_td(peak_text(r, r.measured), r.measured) << num_td(fmt_fixed(ratio, 1), ratio) << "</tr>\n";
  }
  o << "</tbody></table></div>\n";
}

void side_by_side_table(std::ostringstream& o, const std::vector<ResultsDoc>& docs,
                        const std::vector<std::string>& labels) {
  o << "<div class=\"scroll\"><table class=\"sortable\" id=\"side\"><thead><tr>" << th("kernel", false)
    << th("shape", false);
  for (size_t d = 0; d < docs.size(); ++d) {
    const std::string n = bracket(d);
    o << th("TFLOP/s " + n, true, labels[d]) << th("MFU % " + n, true, labels[d]);
    if (d > 0) o << th("speedup " + n + "/[1]", true, "median time of [1] / median time of " + n);
  }
  o << "</tr></thead><tbody>\n";
  bool any_counted = false;
  for (const auto& row : side_by_side(docs)) {
    o << "<tr>" << text_td(run_label(row.id, row.nvtx)) << shape_td(row.shape);
    const RunRecord* b = row.runs[0] ? &docs[0].runs[*row.runs[0]] : nullptr;
    for (size_t d = 0; d < docs.size(); ++d) {
      const RunRecord* r = row.runs[d] ? &docs[d].runs[*row.runs[d]] : nullptr;
      const SideFigures f = side_figures(r);
      any_counted = any_counted || f.counted;
      const std::optional<double> pct = f.utilization ? std::optional(*f.utilization * 100) : std::nullopt;
      o << num_td(f.tflops_text(2), f.tflops) << num_td(f.utilization_text(), pct);
      if (d > 0) {
        std::optional<double> s;
        if (r && b && r->time_s.median > 0) s = b->time_s.median / r->time_s.median;
        o << times_td(s);
      }
    }
    o << "</tr>\n";
  }
  o << "</tbody></table></div>\n";
  if (any_counted) o << "<p class=\"note\">" << e(kSideCountedNote) << "</p>\n";
}

// The whole chart again, a family at a time, on the same axes: where a suite
// crowds the whole chart (some labels became numbers) the section starts open.
void family_charts(std::ostringstream& o, const std::vector<RooflineChart>& whole,
                   const std::vector<ResultsDoc>& docs) {
  size_t left_out = 0;
  const std::vector<RooflineChart> charts = build_family_roofline_charts(docs, &left_out);
  if (charts.empty()) return;
  const bool crowded = std::any_of(whole.begin(), whole.end(), [](const RooflineChart& c) {
    return std::any_of(c.points.begin(), c.points.end(), [](const ChartPoint& p) { return p.key > 0; });
  });
  o << "<details class=\"by-family\"" << (crowded ? " open" : "") << "><summary>By family: " << charts.size()
    << " charts on the same axes, each with room to name its runs</summary>\n";
  if (left_out > 0)
    o << "<p>" << left_out << " more famil" << (left_out == 1 ? "y is" : "ies are")
      << " in the whole chart only: these are the " << kMaxFamilyCharts << " with the most runs.</p>\n";
  o << "<div class=\"charts multi\">\n";
  for (const RooflineChart& c : charts)
    o << "<div class=\"chart\" data-doc=\"" << c.doc << "\" data-family=\"" << e(c.family) << "\">\n"
      << render_roofline_svg(c) << "</div>\n";
  o << "</div></details>\n";
}

}  // namespace

std::string render_report_html(const std::vector<ResultsDoc>& docs) {
  if (docs.empty()) throw_bad_input("report needs at least one results file");
  const auto labels = doc_labels(docs);
  const auto charts = build_roofline_charts(docs);
  const bool multi = docs.size() > 1;
  auto heading = [&](std::ostringstream& o, size_t d) {
    if (multi) o << "<h3>" << bracket(d) << " " << e(labels[d]) << "</h3>\n";
  };

  // Before the head: the style indents their rows; the header's nav links the
  // NVTX section only when there is one.
  std::vector<std::vector<RangeRow>> ranges;
  ranges.reserve(docs.size());
  for (const ResultsDoc& doc : docs) ranges.push_back(nvtx_ranges(doc));
  const std::string style = kStyle + range_depth_rules(ranges);
  std::ostringstream o;
  // Only this script and this style may run or apply: a string from a results
  // file that escaped html_escape() could do neither.
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
    << csp_hash_source(style) << "; script-src " << csp_hash_source(kScript) << "; img-src data:\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>flopscope report: " << e(labels[0])
    << (multi ? " and " + std::to_string(docs.size() - 1) + " more" : "") << "</title>\n<style>" << style
    << "</style>\n</head>\n<body>\n";
  const bool any_ranges =
      std::any_of(ranges.begin(), ranges.end(), [](const std::vector<RangeRow>& rows) { return !rows.empty(); });
  o << "<header><h1>flopscope report</h1><p class=\"meta\">" << docs.size() << " results file"
    << (multi ? "s" : "") << ":";
  for (size_t d = 0; d < docs.size(); ++d) o << (d ? "; " : " ") << (multi ? bracket(d) + " " : "") << e(labels[d]);
  o << "</p>\n<nav><a href=\"#summary\">Summary</a><a href=\"#roofline\">Roofline</a>"
    << (multi ? "<a href=\"#side-by-side\">Side by side</a>" : "")
    << "<a href=\"#runs\">Runs</a><a href=\"#precision\">Precisions</a><a href=\"#reconciliation\">Model vs "
       "hardware</a>"
    << (any_ranges ? "<a href=\"#nvtx\">NVTX ranges</a>" : "") << "<a href=\"#device\">Device and peaks</a></nav></header>\n";

  o << "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">\n";
  for (size_t d = 0; d < docs.size(); ++d) summary_card(o, docs[d], labels[d], d);
  o << "</div></section>\n";

  o << "<section id=\"roofline\"><h2>Roofline</h2>\n<div class=\"charts" << (multi ? " multi" : "") << "\">\n";
  for (size_t d = 0; d < charts.size(); ++d)
    o << "<div class=\"chart\" data-doc=\"" << d << "\">\n" << render_roofline_svg(charts[d]) << "</div>\n";
  o << "</div>\n<p class=\"note\">Each point is a kernel at its arithmetic intensity (FLOP per DRAM byte) and its "
       "achieved TFLOP/s. Filled markers use hardware-counted FLOPs and DRAM bytes, hollow ones the model's; a "
       "dashed line joins the two points of one run. Small markers tagged L2 or L1 place the same run by its counted L2 or L1 traffic (a hierarchical roofline): read them against the sloped roof of that level. Flat roofs are the dense peaks of each precision (solid: "
       "datasheet, dashed: measured), sloped roofs the DRAM, L2 and L1 bandwidths known for the device. A point "
       "left of where its precision's roof meets the DRAM roof is memory-bound. Click a point to find its row.</p>\n";
  for (size_t d = 0; d < charts.size(); ++d) {
    const std::string which = multi ? bracket(d) + " " : "";
    for (const OmittedGroup& g : group_omitted(charts[d].omitted))
      o << "<p class=\"muted\">" << which << "Not drawn (" << g.runs << (g.runs == 1 ? " run" : " runs")
        << "): " << e(g.reason) << ": " << e(g.listed()) << ".</p>\n";
    for (const OmittedGroup& g : group_omitted(charts[d].levels_omitted))
      o << "<p class=\"muted\">" << which << e(g.listed()) << ": " << e(g.reason) << ".</p>\n";
    if (const std::string note = levels_without_roof_note(charts[d]); !note.empty())
      o << "<p class=\"muted\">" << which << e(note) << ".</p>\n";
  }
  family_charts(o, charts, docs);
  o << "</section>\n";

  if (multi) {
    o << "<section id=\"side-by-side\"><h2>Side by side</h2>\n<p class=\"note\">Runs matched by id, shape and NVTX path. "
         "Speedup [n]/[1] = median time in file 1 / median time in file n.</p>\n";
    side_by_side_table(o, docs, labels);
    o << "</section>\n";
  }

  // One section per view, a table per document.
  // table(o, doc, d) writes document d's table.
  auto section = [&](const char* id, const char* title, const std::string& note, const auto& table) {
    o << "<section id=\"" << id << "\"><h2>" << title << "</h2>\n";
    if (!note.empty()) o << "<p class=\"note\">" << note << "</p>\n";
    for (size_t d = 0; d < docs.size(); ++d) {
      heading(o, d);
      table(o, docs[d], d);
    }
    o << "</section>\n";
  };
  section("runs", "Runs",
          "MFU = model FLOPs / median time / the dense peak named in 'peak' (hover it for its source); HFU uses "
          "hardware-counted FLOPs over the same peak. AI = FLOP per DRAM byte. Click a header to sort.",
          runs_table);
  section("precision", "Precision comparison",
          "For each kernel run in several precisions at one shape: speedup over its FP32 run, the ratio of the "
          "peaks it could have reached, and the share of that possible gain it realized. For memory-bound runs "
          "the bytes ratio is the gain to expect.",
          precision_table);
  section("reconciliation", "Model vs hardware FLOPs",
          "Model FLOPs come from a formula, hardware FLOPs from the counters, split by the pipe and precision "
          "that executed them. They agree within " + fmt_fixed(kReconTolerance * 100, 0) +
              "% or the last column says why they differ, from what the file records; 'unexplained' when it "
              "records no reason.",
          recon_table);
  // Each file's range tree, built once: it decides whether the section appears, then fills its tables.
  if (any_ranges)
    section(
        "nvtx", "Per NVTX range",
        "Kernels launched in the range or its subranges, summed; subranges are indented. Hardware FLOPs are "
        "per-launch means x launches; copies and memsets are left out.",
        [&](std::ostringstream& os, const ResultsDoc& doc, size_t d) { nvtx_table(os, doc, ranges[d], d); });
  section("device", "Device and peaks", "", device_section);
  o << "<script>" << kScript << "</script>\n</body>\n</html>\n";
  return o.str();
}

}  // namespace flopscope
