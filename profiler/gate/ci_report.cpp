// Terminal, Markdown and JUnit views of `compare` and `check` (Google
// Benchmark JSON of a results file is gbench.cpp's).
#include "flopscope/ci_report.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <sstream>

#include "flopscope/report.h"
#include "flopscope/table.h"
#include "flopscope/views.h"

namespace flopscope {
namespace {

// Every digit: a whole count as an integer (exact below 2^53), else 17 digits.
std::string exact_num(double v, bool sign = false) {
  char buf[48];
  const bool whole = std::fabs(v) < 9007199254740992.0 && v == std::floor(v);
  std::snprintf(buf, sizeof buf, whole ? (sign ? "%+.0f" : "%.0f") : (sign ? "%+.17g" : "%.17g"), v);
  return buf;
}

// JUnit's `time`, in seconds: a decimal without an exponent (the schemas type
// it xs:decimal), to the nanosecond.
std::string junit_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9f", std::isfinite(s) && s > 0 ? s : 0.0);
  std::string out = buf;
  while (out.size() > 1 && out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

// A compared run's test case name: its shape, and its NVTX range in brackets.
std::string case_name(const RunKey& k) {
  return shape_string(k.shape) + (k.nvtx.empty() ? "" : " [" + k.nvtx + "]");
}

/// Inline code for a Markdown table or list: a fence longer than any run of
/// backticks inside, '|' escaped (GitHub tables split on it even in code),
/// line breaks as spaces, and control and bidi characters as '?', as in the
/// terminal (a name or path from a results file must not reorder the comment).
std::string md_code(const std::string& s) {
  std::string one_line = s;
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  std::replace(one_line.begin(), one_line.end(), '\r', ' ');
  size_t run = 0, longest = 0;
  std::string body;
  for (char c : terminal_text(one_line)) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (c == '|') body += '\\';
    body += c;
  }
  const std::string fence(longest + 1, '`');
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

bool has_stats(const TimingComparison& t) { return t.ratio > 0; }

// A run that needs no detail line: unchanged, with no remark, work change or note.
bool plainly_unchanged(const RunComparison& r) {
  return r.timing.verdict == Verdict::unchanged && !r.timing.remark && !r.work_changed() && r.notes.empty();
}

// The terminal table's kernel cell: its id, and its NVTX path where that tells
// it apart (one kernel of a profiled application in many ranges), as the
// Markdown table writes it with each part escaped.
std::string kernel_cell(const RunKey& k) { return k.id + (k.nvtx.empty() ? "" : " [" + k.nvtx + "]"); }
// One estimate of a change means nothing between runs whose samples fall in two
// modes and are not called: the pairwise estimate blends them, and read beside
// the medians it could have the opposite sign (-3.1% beside medians 369 -> 383 us).
bool blended(const TimingComparison& t) {
  return t.verdict == Verdict::inconclusive && (t.base_modes.bimodal || t.cur_modes.bimodal);
}
std::string change(const TimingComparison& t) {
  if (!has_stats(t)) return "-";
  return blended(t) ? "bimodal" : fmt_change(t.ratio);
}
std::string interval(const TimingComparison& t) {
  return has_stats(t) && !blended(t) && t.ci_low > 0 ? fmt_change(t.ci_low) + ".." + fmt_change(t.ci_high) : "-";
}
std::string median_text(double s) { return s > 0 ? fmt_time(s) : "-"; }

// A work change as a percentage with the digits it needs to be seen: a gated
// change once printed as "+0.0%", or as "+2.0%" against a 2% tolerance.
std::string work_pct(const WorkDelta& d) {
  if (d.base == 0) return "new";
  const double change = (d.cur / d.base - 1) * 100, tolerance = d.tolerance * 100;
  char shown[48], tol[48];
  // Fixed decimals, then significant digits (7.3e-10%), each until the change
  // reads as neither zero nor the tolerance: two significant digits read "+5%"
  // for a change 1e-7 past a 5% tolerance.
  auto try_digits = [&](const char* fmt, int digits) {
    std::snprintf(shown, sizeof shown, fmt, digits, change);
    std::snprintf(tol, sizeof tol, fmt, digits, tolerance);
    const double read = std::fabs(std::strtod(shown, nullptr));
    return read != 0 && read != std::fabs(std::strtod(tol, nullptr));
  };
  for (int decimals = 1; decimals <= 6; ++decimals)
    if (try_digits("%+.*f%%", decimals)) return shown;
  for (int significant = 2; significant <= 17; ++significant)
    if (try_digits("%+.*g%%", significant)) return shown;
  return shown;
}

std::string gated_text(const WorkDelta& d) {
  return d.gated ? " (gated: beyond the " + fmt_percent_given(d.tolerance) + " tolerance)" : "";
}

std::string delta_text(const WorkDelta& d) {
  const std::string rel = work_pct(d);
  // A change four digits cannot show (one FLOP more, gated at
  // --flops-tolerance 0), or show past its tolerance (6e+08 to 6.3e+08, gated
  // at 5%), is given in full, with the difference.
  // (With slack: 6.3e8 / 6e8 - 1 is 0.050000000000000044 in doubles.)
  const double shown =
      std::strtod(fmt_sig(d.cur, 4).c_str(), nullptr) / std::strtod(fmt_sig(d.base, 4).c_str(), nullptr) - 1;
  if (fmt_sig(d.base, 4) == fmt_sig(d.cur, 4) || (d.gated && !(std::fabs(shown) > d.tolerance * (1 + 1e-9))))
    return d.quantity + " " + rel + " (from " + exact_num(d.base) + " to " + exact_num(d.cur) + ", " +
           exact_num(d.cur - d.base, true) + ")";
  return d.quantity + " " + rel + " (from " + fmt_sig(d.base, 4) + " to " + fmt_sig(d.cur, 4) + ")";
}

std::string work_summary(const RunComparison& r) {
  std::string out;
  bool hw = false;
  for (const auto& d : r.work) {
    hw = hw || d.quantity.rfind("hw.", 0) == 0;
    if (!d.changed) continue;
    out += (out.empty() ? "" : ", ") + d.quantity + " " + work_pct(d) + (d.gated ? " (gated)" : "");
  }
  // Gated quantities the current run lacks.
  const std::string unchecked =
      r.work_unchecked.empty() ? "" : joined(r.work_unchecked) + " unchecked: not in current";
  if (!out.empty()) return unchecked.empty() ? out : out + "; " + unchecked;
  if (!unchecked.empty()) return unchecked;
  return hw ? "same" : "same model; no counters";
}

/// Whether a gated work change of the run went up (`more`) or down.
bool has_gated_change(const RunComparison& r, bool more) {
  return std::any_of(r.work.begin(), r.work.end(),
                     [more](const WorkDelta& d) { return d.gated && (d.cur > d.base) == more; });
}

std::string verdict_word(const RunComparison& r) {
  std::string v = to_string(r.timing.verdict);
  if (has_gated_change(r, true)) v += ", more work";
  if (has_gated_change(r, false)) v += ", less work";
  if (!r.work_unchecked.empty()) v += ", work unchecked";
  if (r.validation_failed) v += ", INVALID";
  return v;
}

/// Why a run fails the gate, each cause named (the JUnit failure message):
/// a work-only regression must not read as "unchanged".
std::string failure_message(const RunComparison& r) {
  std::string s;
  auto add = [&s](const std::string& cause) { s.append(s.empty() ? "" : "; ").append(cause); };
  if (r.timing.verdict == Verdict::slower) add("slower: " + r.timing.reason);
  for (const auto& d : r.work)
    if (d.gated) add((d.cur > d.base ? "more work: " : "less work: ") + delta_text(d));
  if (r.validation_failed) add("validation failed");
  if (r.timing.verdict != Verdict::slower)
    add("time " + std::string(to_string(r.timing.verdict)) + ": " + r.timing.reason);
  return s;
}

/// Why the gate could not judge a run: its timing, gated work it could not check.
std::string inconclusive_message(const RunComparison& r) {
  std::string s = "inconclusive: ";
  if (r.timing.verdict == Verdict::inconclusive) s += r.timing.reason;
  if (!r.work_unchecked.empty()) {
    if (r.timing.verdict == Verdict::inconclusive) s += "; ";
    s += "gated work missing from the current run, not checked: " + joined(r.work_unchecked);
  }
  return s;
}

/// Regressions first, then inconclusive, faster, unchanged; file order within.
std::vector<const RunComparison*> ordered(const CompareReport& rep) {
  auto rank = [](const RunComparison& r) {
    if (r.regression()) return 0;
    if (r.inconclusive()) return 1;
    if (r.timing.verdict == Verdict::faster) return 2;
    return r.work_changed() ? 3 : 4;
  };
  std::vector<const RunComparison*> v;
  for (const auto& r : rep.runs) v.push_back(&r);
  std::stable_sort(v.begin(), v.end(),
                   [&](const auto* a, const auto* b) { return rank(*a) < rank(*b); });
  return v;
}

std::string counts_line(const CompareReport& rep) {
  int more_work = 0, less_work = 0, unchecked = 0, invalid = 0;
  for (const auto& r : rep.runs) {
    more_work += has_gated_change(r, true);
    less_work += has_gated_change(r, false);
    unchecked += !r.work_unchecked.empty();
    invalid += r.validation_failed;
  }
  // The four verdicts are the timings'; what else held a run back follows.
  std::string s = "times " + std::to_string(rep.count(Verdict::slower)) + " slower, " +
                  std::to_string(rep.count(Verdict::faster)) + " faster, " +
                  std::to_string(rep.count(Verdict::unchanged)) + " unchanged, " +
                  std::to_string(rep.count(Verdict::inconclusive)) + " inconclusive";
  if (more_work) s += ", " + std::to_string(more_work) + " with more work";
  if (less_work) s += ", " + std::to_string(less_work) + " with less work";
  if (unchecked) s += ", " + std::to_string(unchecked) + " with gated work missing from current";
  if (invalid) s += ", " + std::to_string(invalid) + " failing validation";
  if (!rep.only_in_baseline.empty())
    s += ", " + std::to_string(rep.only_in_baseline.size()) + " missing from current";
  return s;
}

int exit_code_of(Outcome o) {
  switch (o) {
    case Outcome::ok: return 0;
    case Outcome::regression: return 1;
    case Outcome::inconclusive: return 4;
  }
  return 1;
}

std::string method_line(const GateOptions& o) {
  return "time: Hodges-Lehmann ratio current/baseline, " + fmt_percent_given(o.confidence) +
         " Mann-Whitney (Moses) interval, threshold " + fmt_percent_given(o.threshold) + " (unchanged: the " +
         fmt_percent_given(o.equivalence_confidence) + " interval within it)" +
         ", clocks: " + to_string(o.clock) + "; work: FLOPs within " +
         fmt_percent_given(o.flops_tolerance) + ", bytes within " + fmt_percent_given(o.bytes_tolerance) +
         ", gate on " + to_string(o.work_gate);
}

std::string origin_with_device(const std::string& origin, const std::string& device) {
  return device.empty() ? origin : origin + " (" + device + ")";
}

}  // namespace

std::string xml_escape(const std::string& s) { return html_escape(s); }

// ---- compare -----------------------------------------------------------------------

std::string render_compare_text(const CompareReport& rep, bool color, bool warnings, size_t width) {
  std::ostringstream os;
  // Every text from the files goes through terminal_text: a device name or
  // kernel id must not move the cursor or split a line.
  const auto& tt = terminal_text;
  os << "baseline: " << tt(origin_with_device(rep.baseline_origin, rep.baseline_device)) << "\n"
     << "current:  " << tt(origin_with_device(rep.current_origin, rep.current_device)) << "\n";
  if (warnings)
    for (const auto& w : rep.warnings) os << "warning: " << tt(w) << "\n";
  Table t;
  // As `report` does: the kernel and shape keep enough to be told apart (two
  // FFN variants both read "ffn.swig..ed.bf16"), the interval gives way first.
  t.add_column("kernel", Align::left, true, true);
  t.set_min_width(Table::kMinKernelWidth);
  t.add_column("shape", Align::left, true);
  t.set_min_width(Table::kMinShapeWidth);
  t.add_column("baseline", Align::right);
  t.add_column("current", Align::right);
  t.add_column("change", Align::right);
  t.add_column(fmt_percent_given(rep.options.confidence) + " CI", Align::right);
  t.set_drop_rank(1);
  t.add_column("verdict", Align::left);
  t.set_full_view("--md has every column");
  for (const auto* r : ordered(rep)) {
    const Color c = r->regression()                          ? Color::red
                    : r->inconclusive()                      ? Color::yellow
                    : r->timing.verdict == Verdict::faster ? Color::green
                                                           : Color::none;
    t.add_row({tt(kernel_cell(r->key)),
               tt(shape_string(r->key.shape)), median_text(r->timing.base_median),
               median_text(r->timing.cur_median), change(r->timing), interval(r->timing),
               Cell(verdict_word(*r), c)});
  }
  os << t.render(width, color);
  os << "method: " << method_line(rep.options) << "\n";
  for (const auto* r : ordered(rep)) {
    if (plainly_unchanged(*r)) continue;
    os << "  " << tt(r->key.label()) << ": " << tt(r->timing.reason) << "\n";
    for (const auto& d : r->work)
      if (d.changed) os << "    work: " << tt(delta_text(d)) << gated_text(d) << "\n";
    for (const auto& n : r->notes) os << "    note: " << tt(n) << "\n";
  }
  for (const auto& k : rep.only_in_baseline)
    os << "missing from current: " << tt(k.label()) << "\n";
  for (const auto& k : rep.only_in_current) os << "new in current: " << tt(k.label()) << "\n";
  const Outcome o = rep.outcome();
  os << "outcome: " << to_string(o) << " (" << counts_line(rep) << "); exit "
     << exit_code_of(o) << "\n";
  return os.str();
}

std::string render_compare_markdown(const CompareReport& rep) {
  std::ostringstream os;
  const Outcome o = rep.outcome();
  os << "## flopscope compare: " << to_string(o) << "\n\n";
  os << "**" << counts_line(rep) << "** (exit " << exit_code_of(o) << ")\n\n";
  os << "- baseline: " << md_code(rep.baseline_origin)
     << (rep.baseline_device.empty() ? "" : " on " + md_cell(rep.baseline_device)) << "\n";
  os << "- current: " << md_code(rep.current_origin)
     << (rep.current_device.empty() ? "" : " on " + md_cell(rep.current_device)) << "\n";
  os << "- " << md_cell(method_line(rep.options)) << "\n\n";
  for (const auto& w : rep.warnings) os << "> **Warning:** " << md_cell(w) << "\n>\n";
  if (!rep.warnings.empty()) os << "\n";
  os << "| Kernel | Shape | Baseline | Current | Change | " << fmt_percent_given(rep.options.confidence)
     << " CI | Verdict | Work |\n";
  os << "|---|---|---:|---:|---:|---:|---|---|\n";
  for (const auto* r : ordered(rep)) {
    const bool bad = r->regression();
    os << "| " << md_cell(r->key.id) << (r->key.nvtx.empty() ? "" : " [" + md_cell(r->key.nvtx) + "]")
       << " | " << md_cell(shape_string(r->key.shape)) << " | "
       << median_text(r->timing.base_median) << " | " << median_text(r->timing.cur_median)
       << " | " << change(r->timing) << " | " << interval(r->timing) << " | "
       << (bad ? "**" : "") << md_cell(verdict_word(*r)) << (bad ? "**" : "") << " | "
       << md_cell(work_summary(*r)) << " |\n";
  }
  std::ostringstream details;
  for (const auto* r : ordered(rep)) {
    if (plainly_unchanged(*r)) continue;
    details << "- " << md_code(r->key.label()) << ": " << md_cell(r->timing.reason);
    for (const auto& d : r->work)
      if (d.changed) details << "; " << md_cell(delta_text(d)) << gated_text(d);
    for (const auto& n : r->notes) details << "; " << md_cell(n);
    details << "\n";
  }
  if (!details.str().empty()) os << "\n### Details\n\n" << details.str();
  if (!rep.only_in_baseline.empty() || !rep.only_in_current.empty()) {
    os << "\n### Unmatched runs\n\n";
    for (const auto& k : rep.only_in_baseline)
      os << "- missing from current (not compared): " << md_code(k.label()) << "\n";
    for (const auto& k : rep.only_in_current)
      os << "- new in current (no baseline): " << md_code(k.label()) << "\n";
  }
  os << "\n<sub>Exit codes: 0 no regression, 1 regression, 2 bad input, 4 inconclusive. "
        "See docs/ci.md.</sub>\n";
  return os.str();
}

std::string render_compare_junit(const CompareReport& rep) {
  int failures = 0, skipped = 0;
  std::ostringstream cases;
  for (const auto& r : rep.runs) {
    cases << "    <testcase classname=\"flopscope.compare." << xml_escape(r.key.id) << "\" name=\""
          << xml_escape(case_name(r.key)) << "\" time=\"" << junit_seconds(r.timing.cur_median) << "\">\n";
    std::string body = "baseline " + median_text(r.timing.base_median) + ", current " +
                       median_text(r.timing.cur_median) + ", change " + change(r.timing) +
                       ", interval " + interval(r.timing) + ": " + r.timing.reason;
    for (const auto& d : r.work)
      if (d.changed) body += "\nwork: " + delta_text(d) + gated_text(d);
    for (const auto& n : r.notes) body += "\nnote: " + n;
    if (r.regression()) {
      ++failures;
      cases << "      <failure type=\"regression\" message=\"" << xml_escape(failure_message(r))
            << "\">" << xml_escape(body) << "</failure>\n";
    } else if (r.inconclusive()) {
      ++skipped;
      cases << "      <skipped message=\"" << xml_escape(inconclusive_message(r)) << "\"/>\n";
    }
    if (!r.regression()) cases << "      <system-out>" << xml_escape(body) << "</system-out>\n";
    cases << "    </testcase>\n";
  }
  for (const auto& k : rep.only_in_baseline) {
    ++skipped;
    cases << "    <testcase classname=\"flopscope.compare." << xml_escape(k.id) << "\" name=\""
          << xml_escape(case_name(k)) << "\" time=\"0\">\n      <skipped message=\"missing from "
          << "the current results: not compared\"/>\n    </testcase>\n";
  }
  const size_t tests = rep.runs.size() + rep.only_in_baseline.size();
  std::ostringstream os;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
     << "<testsuites name=\"flopscope compare\" tests=\"" << tests << "\" failures=\"" << failures
     << "\" errors=\"0\" skipped=\"" << skipped << "\">\n"
     << "  <testsuite name=\"flopscope compare\" tests=\"" << tests << "\" failures=\"" << failures
     << "\" errors=\"0\" skipped=\"" << skipped << "\">\n"
     << "    <properties>\n"
     << "      <property name=\"baseline\" value=\""
     << xml_escape(origin_with_device(rep.baseline_origin, rep.baseline_device)) << "\"/>\n"
     << "      <property name=\"current\" value=\""
     << xml_escape(origin_with_device(rep.current_origin, rep.current_device)) << "\"/>\n"
     << "      <property name=\"method\" value=\"" << xml_escape(method_line(rep.options)) << "\"/>\n"
     << "      <property name=\"outcome\" value=\"" << to_string(rep.outcome()) << "\"/>\n";
  for (const auto& w : rep.warnings)
    os << "      <property name=\"warning\" value=\"" << xml_escape(w) << "\"/>\n";
  os << "    </properties>\n" << cases.str();
  if (!rep.only_in_current.empty()) {
    std::string s;
    for (const auto& k : rep.only_in_current) s += "new in current (no baseline): " + k.label() + "\n";
    os << "    <system-out>" << xml_escape(s) << "</system-out>\n";
  }
  os << "  </testsuite>\n</testsuites>\n";
  return os.str();
}

// ---- check -------------------------------------------------------------------------

std::string render_check_text(const CheckReport& rep, bool color) {
  std::ostringstream os;
  const auto& tt = terminal_text;  // texts from the files: no control characters
  os << "results:   " << tt(origin_with_device(rep.results_origin, rep.device)) << "\n"
     << "contracts: " << tt(rep.contracts_origin) << "\n";
  for (const auto& r : rep.results) {
    const Contract& c = rep.contracts[r.contract];
    const char* word = r.passed ? "PASS" : "FAIL";
    const char* on = color ? (r.passed ? "\033[32m" : "\033[31m") : "";
    const char* off = color ? "\033[0m" : "";
    os << on << word << off << "  " << tt(c.origin) << ":" << c.line << "  " << tt(c.text) << "\n"
       << "      " << tt(r.run.empty() ? "" : r.run + ": ") << tt(r.detail) << "\n";
  }
  os << "outcome: " << (rep.passed() ? "all contracts hold" : "contracts failed") << " ("
     << rep.results.size() - size_t(rep.failures()) << " passed, " << rep.failures()
     << " failed); exit " << (rep.passed() ? 0 : 1) << "\n";
  return os.str();
}

std::string render_check_markdown(const CheckReport& rep) {
  std::ostringstream os;
  os << "## flopscope check: " << (rep.passed() ? "all contracts hold" : "contracts failed")
     << "\n\n**" << rep.results.size() - size_t(rep.failures()) << " passed, " << rep.failures()
     << " failed** (exit " << (rep.passed() ? 0 : 1) << ")\n\n"
     << "- results: " << md_code(rep.results_origin)
     << (rep.device.empty() ? "" : " on " + md_cell(rep.device)) << "\n"
     << "- contracts: " << md_code(rep.contracts_origin) << "\n\n"
     << "| | Line | Contract | Run | Detail |\n|---|---:|---|---|---|\n";
  std::vector<const ContractResult*> v;
  for (const auto& r : rep.results) v.push_back(&r);
  std::stable_sort(v.begin(), v.end(), [](const auto* a, const auto* b) { return !a->passed && b->passed; });
  for (const auto* r : v) {
    const Contract& c = rep.contracts[r->contract];
    os << "| " << (r->passed ? "pass" : "**FAIL**") << " | " << c.line << " | "
       << md_code(c.text) << " | " << (r->run.empty() ? "(none)" : md_cell(r->run)) << " | "
       << md_cell(r->detail) << " |\n";
  }
  os << "\n<sub>Exit codes: 0 all contracts hold, 1 a contract failed, 2 bad input. "
        "See docs/ci.md.</sub>\n";
  return os.str();
}

std::string render_check_junit(const CheckReport& rep) {
  std::ostringstream cases;
  for (const auto& r : rep.results) {
    const Contract& c = rep.contracts[r.contract];
    cases << "    <testcase classname=\"flopscope.check\" name=\""
          << xml_escape("line " + std::to_string(c.line) + ": " + c.text +
                        (r.run.empty() ? "" : " [" + r.run + "]"))
          << "\">\n";
    if (!r.passed)
      cases << "      <failure type=\"contract\" message=\"" << xml_escape(r.detail) << "\">"
            << xml_escape(c.origin + ":" + std::to_string(c.line) + ": " + c.text + "\n" +
                          (r.run.empty() ? "" : r.run + ": ") + r.detail)
            << "</failure>\n";
    else
      cases << "      <system-out>" << xml_escape(r.detail) << "</system-out>\n";
    cases << "    </testcase>\n";
  }
  const size_t tests = rep.results.size();
  std::ostringstream os;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
     << "<testsuites name=\"flopscope check\" tests=\"" << tests << "\" failures=\""
     << rep.failures() << "\" errors=\"0\">\n"
     << "  <testsuite name=\"flopscope check\" tests=\"" << tests << "\" failures=\""
     << rep.failures() << "\" errors=\"0\" skipped=\"0\">\n"
     << "    <properties>\n      <property name=\"results\" value=\""
     << xml_escape(origin_with_device(rep.results_origin, rep.device)) << "\"/>\n"
     << "      <property name=\"contracts\" value=\"" << xml_escape(rep.contracts_origin)
     << "\"/>\n    </properties>\n"
     << cases.str() << "  </testsuite>\n</testsuites>\n";
  return os.str();
}

}  // namespace flopscope
