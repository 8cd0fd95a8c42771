// Terminal, Markdown and CSV views of a results document's runs.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/error.h"
#include "flopscope/report.h"
#include "flopscope/table.h"
#include "flopscope/utf8.h"
#include "flopscope/views.h"

namespace flopscope {
namespace {

/// "bf16_tensor 989.4, fp32 66.9": each peak the runs use, once, in run order,
/// so that the terminal states its denominators as the Markdown's column does.
std::string peak_values(const ResultsDoc& doc) {
  std::vector<std::string> seen;
  std::string s;
  for (const auto& r : doc.runs) {
    const std::string& key = r.derived.peak_key;
    if (key.empty() || std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    const auto peak = shown_peak_tflops(r);
    s += (s.empty() ? "" : ", ") + terminal_text(key) + " " + fmt_fixed(peak, 1);
  }
  return s.empty() ? "-" : s;
}

// One line per run whose clocks NVML saw held down (power cap, thermal...),
// with the power and clock it ran at: what a slow median may owe to the card.
std::string clock_limit_lines(const ResultsDoc& doc, size_t width) {
  std::string lines;
  for (const std::string& line : clock_limit_notes(doc)) lines += first_columns(terminal_text("  " + line), width) + "\n";
  return lines.empty() ? "" : "clocks held down during the timed runs (NVML):\n" + lines;
}

std::string validity(const RunRecord& r) {
  if (!r.validation) return "-";
  return r.validation->passed ? "ok" : "FAIL";
}

}  // namespace

std::string render_terminal(const ResultsDoc& doc, size_t width, bool color) {
  bool any_hw = false, any_model_flops = false;
  for (const auto& r : doc.runs) {
    any_hw = any_hw || (r.hw && r.hw->flops_total);
    any_model_flops = any_model_flops || (shows_model(r) && r.model.flops > 0);
  }
  Table t;
  // In a narrow terminal the kernel and shape keep enough to be read, and the
  // columns with drop ranks give way instead, lowest rank first.
  t.add_column("kernel", Align::left, true, true);
  t.set_min_width(Table::kMinKernelWidth);
  t.add_column("shape", Align::left, true);
  t.set_min_width(Table::kMinShapeWidth);
  t.add_column("time", Align::right);
  t.add_column("FLOPs", Align::right);  // the model's, as TFLOP/s and MFU use
  t.set_drop_rank(1);
  t.add_column("bytes", Align::right);
  t.set_drop_rank(2);
  t.add_column("TFLOP/s", Align::right);
  // Without model FLOPs (a profile, raw counters) TFLOP/s and MFU are all '-':
  // they give way first, before the hardware's figures.
  if (!any_model_flops) t.set_drop_rank(1);
  if (any_hw) {
    t.add_column("hw TF/s", Align::right);  // hardware-counted FLOPs / median time
    t.set_drop_rank(6);
  }
  t.add_column("MFU%", Align::right);
  if (!any_model_flops) t.set_drop_rank(1);
  if (any_hw) {
    t.add_column("HFU%", Align::right);
    t.set_drop_rank(4);
  }
  t.add_column("peak", Align::left);
  t.set_drop_rank(7);
  t.add_column("AI", Align::right);
  t.set_drop_rank(3);
  t.add_column("bound", Align::left);
  t.add_column("roof%", Align::right);  // how near its roof: the one a copy's MFU cannot show
  t.set_drop_rank(5);
  t.add_column("ok", Align::left);
  for (const auto& r : doc.runs) {
    const bool model = has_model(r);
    std::vector<Cell> row{run_label(r),
                          shape_string(r.shape),
                          fmt_time(r.time_s.median),
                          model ? fmt_si(r.model.flops) : "-",
                          model ? fmt_si(r.model.bytes) : "-",
                          fmt_fixed(model_tflops(r), 1)};
    if (any_hw) row.emplace_back(fmt_fixed(r.derived.tflops_hw, 1));
    row.emplace_back(fmt_percent_cell(r.derived.mfu));
    if (any_hw) row.emplace_back(fmt_percent_cell(r.derived.hfu));
    row.emplace_back(r.derived.peak_key);
    row.emplace_back(fmt_fixed(shown_intensity(r), 1));
    row.emplace_back(r.derived.bound,
                     r.derived.bound == "compute" ? Color::green : Color::blue);
    row.emplace_back(fmt_fixed(shown_pct_of_roof(r), 1));
    const bool failed = r.validation && !r.validation->passed;
    row.emplace_back(validity(r), failed ? Color::red : Color::none);
    t.add_row(std::move(row));
  }
  std::ostringstream os;
  os << "device: " << terminal_text(device_label(doc.device)) << "\n";  // from the file
  if (doc.runs.empty()) {  // a ceilings file: its measured peaks follow
    os << "no runs in this file" << (doc.peaks.measured ? ": measured peaks only" : "") << "\n";
    return os.str();
  }
  os << t.render(width, color);
  os << "MFU/HFU = FLOPs / median time / the dense peak named in 'peak'.\n";
  if (any_hw) os << "hw TF/s, HFU: hardware-counted FLOPs (TFLOP/s, MFU: the model's).\n";
  os << first_columns("peak TFLOP/s: " + peak_values(doc), width) << "\n"
     << "peaks from: " << first_columns(terminal_text(doc.peaks.datasheet.source), width - 12) << "\n"
     << "FLOPs, bytes: the model's (bytes: minimum DRAM traffic).\n"
     << "AI = FLOP per DRAM byte" << (any_hw ? ", hardware-counted where available" : ", model")
     << ".\nroof% = achieved / the roof at that AI: the peak, or AI x DRAM bandwidth.\n";
  os << clock_limit_lines(doc, width);
  return os.str();
}

std::string md_cell(const std::string& s) {
  std::string flat = s;
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  std::replace(flat.begin(), flat.end(), '\r', ' ');
  const std::string t = terminal_text(flat);  // ESC, NUL, bidi overrides: never raw in a document
  auto alnum = [&](size_t i) { return i < t.size() && std::isalnum(static_cast<unsigned char>(t[i])); };
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    // Backslash escapes (CommonMark): '|' would end the cell, '<' '>' '&' would
    // start raw HTML or an entity, '*' '~' '`' '[' ']' would start markup, and so
    // would '_' except inside a word (GFM: bf16_tensor stays as it is).
    const bool word_underscore = c == '_' && i > 0 && alnum(i - 1) && alnum(i + 1);
    if (c == '|' || c == '\\' || c == '<' || c == '>' || c == '&' || c == '*' || c == '~' || c == '`' ||
        c == '[' || c == ']' || (c == '_' && !word_underscore))
      out += '\\';
    out += c;
  }
  return out;
}

std::string render_markdown(const ResultsDoc& doc) {
  std::ostringstream os;
  os << "# flopscope results\n\n";
  os << "- device: " << md_cell(device_label(doc.device)) << "\n";
  os << "- flopscope " << md_cell(doc.tool_version)
     << (doc.tool_commit.empty() ? "" : " (" + md_cell(doc.tool_commit) + ")") << ", " << md_cell(doc.created) << "\n";
  os << "- peaks: " << md_cell(doc.peaks.datasheet.source) << "\n\n";
  if (doc.runs.empty()) {  // as the terminal says it; a ceilings file's peaks follow
    os << "No runs in this file" << (doc.peaks.measured ? ": measured peaks only" : "") << ".\n";
    return os.str();
  }
  os << "| kernel | shape | median time | TFLOP/s (model) | TFLOP/s (hw) | MFU % | HFU % "
        "| peak (TFLOP/s) | AI (FLOP/B) | bound | % of roof | valid |\n";
  os << "|---|---|---:|---:|---:|---:|---:|---|---:|---|---:|---|\n";
  for (const auto& r : doc.runs) {
    const Derived& d = r.derived;
    os << "| " << md_cell(run_label(r)) << " | " << md_cell(shape_string(r.shape)) << " | "
       << fmt_time(r.time_s.median) << " | " << fmt_fixed(model_tflops(r), 2) << " | "
       << fmt_fixed(d.tflops_hw, 2) << " | " << fmt_percent_cell(d.mfu) << " | " << fmt_percent_cell(d.hfu)
       << " | " << md_cell(d.peak_key) << " (" << fmt_fixed(shown_peak_tflops(r), 1) << ") | "
       << fmt_fixed(shown_intensity(r), 2) << " | " << md_cell(d.bound) << " | "
       << fmt_fixed(shown_pct_of_roof(r), 1) << " | " << validity(r) << " |\n";
  }
  os << "\nMFU = model FLOPs / median time / dense peak of the run's precision; HFU uses "
        "hardware-counted FLOPs over the same peak. AI = FLOP per DRAM byte, hardware-counted where "
        "available, else the model's.\n";
  if (const auto notes = clock_limit_notes(doc); !notes.empty()) {
    os << "\nClocks held down during the timed runs (NVML):\n\n";
    for (const std::string& n : notes) os << "- " << md_cell(n) << "\n";
  }
  return os.str();
}

std::string csv_field(const std::string& raw) {
  // A NUL or other control character (a JSON string may hold one: C0, DEL,
  // or C1 as UTF-8's C2 80..9F) would break the readers of a CSV file, and a
  // bidi override reorders the rest of its row in a spreadsheet: each is '?'
  // as in the other views; tab, CR and LF stay (a field with CR or LF is quoted).
  std::string s;
  for (size_t i = 0; i < raw.size(); ++i) {
    const size_t unsafe = unsafe_char_length(raw, i);
    if (unsafe > 0 && raw[i] != '\t' && raw[i] != '\n' && raw[i] != '\r') {
      s += '?';
      i += unsafe - 1;
    } else {
      s += raw[i];
    }
  }
  // A text field that starts like a formula is prefixed with ' so that a
  // spreadsheet shows it instead of evaluating it (CSV injection).
  const bool formula = !s.empty() && std::string_view("=+-@\t\r").find(s[0]) != std::string_view::npos;
  if (!formula && s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = formula ? "\"'" : "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

static std::string csv_number(double v) {
  // The shortest digits that read back as the same double (0.026892, not
  // 0.026891999999999999), in plain notation where %.17g used it (a count
  // stays 1000000000000, not 1e+12), else with an exponent.
  char buf[64];
  const double a = std::fabs(v);
  const bool plain = v == 0 || (a >= 1e-4 && a < 1e17);
  const auto res = plain ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string render_csv(const ResultsDoc& doc) {
  std::ostringstream os;
  os << "id,family,variant,dtype,precision,shape,name,nvtx,launches,time_median_s,time_p10_s,time_p90_s,"
        "sm_clock_mhz,model_flops,model_bytes,hw_flops,hw_dram_read_bytes,hw_dram_write_bytes,"
        "hw_l2_bytes,hw_l1_bytes,hw_launches,tflops_model,tflops_hw,mfu,hfu,peak_key,peak_tflops,ai_dram,"
        "ai_dram_hw,bound,pct_of_roof,validation_passed,max_rel_err,power_w,clock_limits,"
        "peak_tflops_measured,mfu_measured\n";
  auto opt = [&](const std::optional<double>& v) {
    if (v) os << csv_number(*v);
  };
  for (const auto& r : doc.runs) {
    const Derived& d = r.derived;
    os << csv_field(r.id) << ',' << csv_field(r.family) << ',' << csv_field(r.variant) << ','
       << csv_field(r.dtype) << ',' << csv_field(r.precision) << ','
       << csv_field(shape_string(r.shape)) << ',' << csv_field(r.name) << ',' << csv_field(r.nvtx) << ','
       << r.launches << ',' << csv_number(r.time_s.median) << ','
       << csv_number(r.time_s.p10) << ',' << csv_number(r.time_s.p90) << ',';
    opt(known_sm_clock_mhz(r));
    // Model FLOPs and bytes are empty where the terminal shows '-' (no model: a
    // profiled application's kernel, a raw counter file's run); 0 would read as
    // modelled. A profiled memcpy or memset has its bytes, as the terminal shows.
    os << ',';
    if (has_model(r)) os << csv_number(r.model.flops) << ',' << csv_number(r.model.bytes);
    else os << ',';
    os << ',';
    const HwCounters none;
    const HwCounters& h = r.hw ? *r.hw : none;
    opt(h.flops_total);
    os << ',';
    opt(h.dram_read_bytes);
    os << ',';
    opt(h.dram_write_bytes);
    os << ',';
    opt(h.l2_bytes);
    os << ',';
    opt(h.l1_bytes);
    os << ',';
    if (h.launches) os << *h.launches;
    os << ',';
    opt(model_tflops(r));
    os << ',';
    opt(d.tflops_hw);
    os << ',';
    opt(d.mfu);
    os << ',';
    opt(d.hfu);
    os << ',' << csv_field(d.peak_key) << ',';
    opt(shown_peak_tflops(r));
    os << ',';
    opt(shown_model_intensity(r));  // not for a profile's memcpy, nor a model of no bytes
    os << ',';
    opt(d.ai_dram_hw);
    os << ',' << d.bound << ',';
    opt(shown_pct_of_roof(r));
    os << ',';
    if (r.validation) os << (r.validation->passed ? "true" : "false") << ',' << csv_number(r.validation->max_rel_err);
    else os << ',';
    os << ',';
    opt(known_power_w(r));
    os << ',';
    if (r.clock_limits) os << csv_field(clock_limits_text(*r.clock_limits));
    // Against measured peaks (ceilings' own, or report --peaks'): empty without.
    os << ',';
    if (const auto peak = measured_peak_flops(r, doc)) os << csv_number(*peak / 1e12);
    os << ',';
    opt(mfu_measured(r, doc));
    os << '\n';
  }
  return os.str();
}

}  // namespace flopscope
