// Performance contracts: a line-oriented file of assertions about one results
// file, parsed strictly (file:line and the reason) and checked run by run.
#include "flopscope/contracts.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "flopscope/decimal.h"
#include "flopscope/error.h"
#include "flopscope/table.h"
#include "flopscope/utf8.h"
#include "flopscope/views.h"

namespace flopscope {

const char* to_string(CmpOp op) {
  switch (op) {
    case CmpOp::ge: return ">=";
    case CmpOp::le: return "<=";
    case CmpOp::gt: return ">";
    case CmpOp::lt: return "<";
    case CmpOp::eq: return "=";
  }
  return "?";
}

const std::vector<ContractMetric>& contract_metrics() {
  static const std::vector<ContractMetric> m = {
      {"time", "s", "median time per launch, seconds (units: s, ms, us, ns)"},
      {"tflops", "TFLOP/s", "model FLOPs / median time, TFLOP/s"},
      {"tflops_hw", "TFLOP/s", "hardware FLOPs / median time, TFLOP/s"},
      {"mfu", "fraction", "model FLOPs utilization, a fraction (0.5 or 50%)"},
      {"hfu", "fraction", "hardware FLOPs utilization, a fraction"},
      {"roof", "fraction", "achieved / attainable at the kernel's arithmetic intensity, a fraction"},
      {"model_flops", "FLOP", "FLOPs from the analytic model"},
      {"hw_flops", "FLOP", "FLOPs the hardware counted"},
      {"model_bytes", "bytes", "minimal DRAM bytes from the analytic model"},
      {"bandwidth", "bytes/s", "model bytes / median time, bytes/s (units: GB/s, TB/s)"},
      {"dram_bytes", "bytes", "DRAM bytes read + written, hardware-counted"},
      {"l2_bytes", "bytes", "L2 bytes, hardware-counted"},
      {"ai", "FLOP/byte", "arithmetic intensity, model FLOPs per model byte"},
      {"ai_hw", "FLOP/byte", "arithmetic intensity, hardware FLOPs per DRAM byte"},
      {"rel_err", "relative error", "validation: worst relative error against the reference"},
  };
  return m;
}

namespace {

// The tolerance sign, '±' in UTF-8 ('+-' is read as it), and the signs a
// ratio's factor may take: 'x', '×' or '*'.
constexpr const char* kPlusMinus = "\xC2\xB1";
bool is_times_sign(const std::string& w) { return w == "x" || w == "\xC3\x97" || w == "*"; }

bool is_fraction_metric(const std::string& m) { return m == "mfu" || m == "hfu" || m == "roof"; }
// What a fraction metric is a fraction of, for its messages.
std::string fraction_of(const std::string& m) { return m == "roof" ? "its roofline bound" : "its peak"; }

const ContractMetric* find_metric(const std::string& m) {
  const auto& all = contract_metrics();
  const auto it = std::find_if(all.begin(), all.end(), [&](const ContractMetric& c) { return m == c.name; });
  return it == all.end() ? nullptr : &*it;
}

std::string metric_list() {
  std::string s;
  for (const auto& c : contract_metrics()) s += (s.empty() ? "" : ", ") + std::string(c.name);
  return s;
}

/// Why a run has no roofline position (its bound is "unknown").
std::string no_roofline_why(const RunRecord& r) {
  if (!(r.derived.peak_tflops > 0)) return "no peak for precision '" + r.precision + "'";
  return "no roofline position (no DRAM bandwidth peak, or no bytes, for this run)";
}

/// The value of `metric` for `r`, or why it has none.
std::optional<double> metric_value(const RunRecord& r, const std::string& metric, std::string& why) {
  const Derived& d = r.derived;
  auto hw = [&](std::optional<double> v) -> std::optional<double> {
    if (!v) why = metric + " was not collected (no hardware counters in this run)";
    return v;
  };
  if (metric == "time") return r.time_s.median;
  const bool model_metric = metric == "tflops" || metric == "model_flops" || metric == "model_bytes" ||
                            metric == "bandwidth" || metric == "ai" || metric == "mfu";
  if (model_metric && !has_model(r)) {
    why = metric + " needs the analytic model, which this run has not (a raw counter file's or a profiled "
          "application's run): use the hardware metrics (hw_flops, tflops_hw, hfu, ai_hw)";
    return std::nullopt;
  }
  if (metric == "tflops") return d.tflops_model;
  if (metric == "model_flops") return r.model.flops;
  if (metric == "model_bytes") return r.model.bytes;
  if (metric == "bandwidth") {
    if (r.model.bytes > 0 && r.time_s.median > 0) return r.model.bytes / r.time_s.median;
    why = "bandwidth needs model bytes and a time, absent in this run";
    return std::nullopt;
  }
  if (metric == "ai") {
    // As the views show it: a model of no bytes has no intensity (0 would
    // read as a run that only moves data).
    if (const auto ai = shown_model_intensity(r)) return ai;
    why = "ai needs a model that counts bytes, absent in this run";
    return std::nullopt;
  }
  if (metric == "roof") {
    // pct_of_roof reads 0, not absent, where the run has no roofline position.
    if (d.bound != "unknown") return d.pct_of_roof / 100;
    why = no_roofline_why(r);
    return std::nullopt;
  }
  if (metric == "mfu" || metric == "hfu") {
    const auto v = metric == "mfu" ? d.mfu : d.hfu;
    // With a peak, what an HFU lacks is counted FLOPs (an application's
    // timing profile has no model either, so no MFU to tell by).
    if (!v)
      why = metric == "hfu" && d.peak_tflops > 0 ? "hfu needs hardware FLOP counters, absent in this run"
                                                 : "no peak for precision '" + r.precision + "'";
    return v;
  }
  if (metric == "tflops_hw") return hw(d.tflops_hw);
  if (metric == "ai_hw") return hw(d.ai_dram_hw);
  if (metric == "hw_flops") return hw(r.hw ? r.hw->flops_total : std::nullopt);
  if (metric == "dram_bytes") return hw(r.hw ? r.hw->dram_bytes() : std::nullopt);
  if (metric == "l2_bytes") return hw(r.hw ? r.hw->l2_bytes : std::nullopt);
  if (metric == "rel_err") {
    if (!r.validation) why = "the run was not validated";
    return r.validation ? std::optional<double>(r.validation->max_rel_err) : std::nullopt;
  }
  why = "unknown metric " + metric;
  return std::nullopt;
}

// '*' matches any run of characters. On a mismatch only the last '*' takes
// one more character: O(|pat| x |s|) at worst, where trying every split at
// every '*' took time exponential in the number of stars.
bool glob_match(const char* pat, const char* s) {
  const char* star = nullptr;    // the last '*' passed in pat
  const char* resume = nullptr;  // where the text after it starts in s
  while (*s) {
    if (*pat == '*') {
      star = pat++;
      resume = s;
    } else if (*pat == *s) {
      ++pat;
      ++s;
    } else if (star) {
      pat = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (*pat == '*') ++pat;
  return *pat == '\0';
}

// A metric's value as a contract states it, to `digits` significant digits:
// times and bandwidths with their unit, the one that suits `unit_of` (by
// default the value itself; a value beside its bound takes the bound's, so
// that 999.9999 ns reads "0.9999999 us", not "1000 ns", against "1 us"; a
// `unit_of` of 0 has no unit of its own, and leaves the value its own).
std::string fmt_value(const std::string& metric, double v, int digits = 4, std::optional<double> unit_of = {}) {
  auto scaled = [digits](double x, const char* unit) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g%s", digits, x, unit);
    return std::string(buf);
  };
  const double a = std::fabs(unit_of && *unit_of != 0 ? *unit_of : v);
  if (metric == "time")
    return a < 1e-6 ? scaled(v * 1e9, " ns") : a < 1e-3 ? scaled(v * 1e6, " us")
                     : a < 1                  ? scaled(v * 1e3, " ms")
                                              : scaled(v, " s");
  if (metric == "bandwidth") return a >= 1e12 ? scaled(v / 1e12, " TB/s") : scaled(v / 1e9, " GB/s");
  return scaled(v, "");
}

// Digits enough that a value and the bound it is held to read apart where
// they differ ("400.04 us > 400 us", not "400 us > 400 us").
int digits_apart(const std::string& metric, double a, double b) {
  for (int digits : {4, 6, 9})
    if (a == b || fmt_value(metric, a, digits, b) != fmt_value(metric, b, digits)) return digits;
  return 17;
}

// The relation that holds when `op` does not.
const char* negated(CmpOp op) {
  switch (op) {
    case CmpOp::ge: return "<";
    case CmpOp::le: return ">";
    case CmpOp::gt: return "<=";
    case CmpOp::lt: return ">=";
    case CmpOp::eq: return "!=";
  }
  return "?";
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// ---- parsing -------------------------------------------------------------------

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}


class LineParser {
 public:
  LineParser(std::string origin, int line) : origin_(std::move(origin)), line_(line) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw_bad_input(origin_ + ":" + std::to_string(line_) + ": " + why);
  }

  // '~': profile's ids of template instances ("app.reduce~a44be7.bf16").
  static bool id_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '~' ||
           c == '*';
  }

  /// ID [KEY=INT ...]; `allow_glob` only for the subject.
  RunSelector selector(const std::vector<std::string>& words, size_t from, bool allow_glob,
                       const char* what) const {
    RunSelector sel;
    if (from >= words.size()) fail(std::string("expected ") + what + " (a kernel id)");
    sel.id = words[from];
    if (sel.id.find('=') != std::string::npos)
      fail(std::string(what) + " must start with a kernel id, got '" + sel.id + "'");
    for (char c : sel.id)
      if (!id_char(c))
        fail("'" + sel.id + "' is not a kernel id (letters, digits, '_', '.', '-', '~'" +
             (allow_glob ? ", '*')" : ")"));
    if (!allow_glob && sel.id.find('*') != std::string::npos)
      fail("the reference '" + sel.id + "' must name one kernel id, without '*'");
    // `mfu >= 0.3 x 2` read "2" as an id and failed on no such run (exit 1).
    if (!allow_glob && std::count(sel.id.begin(), sel.id.end(), '.') != 2)
      fail("the reference '" + sel.id + "' is not a kernel id (family.variant.dtype, e.g. gemm.cublas.bf16)");
    std::set<std::string> keys;  // a line may give many: no pairwise comparison
    for (size_t i = from + 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w == kPlusMinus || w == "+-" || w.rfind(kPlusMinus, 0) == 0 || w.rfind("+-", 0) == 0)
        fail("a ratio takes no tolerance ('" + w + "'): its factor is the bound");
      const size_t eq = w.find('=');
      if (eq == std::string::npos || eq == 0)
        fail("expected a shape value KEY=INTEGER (e.g. n=4096), got '" + w + "'");
      int64_t v = 0;
      const char* b = w.data() + eq + 1;
      const char* e = w.data() + w.size();
      auto [p, ec] = std::from_chars(b, e, v);
      if (ec != std::errc() || p != e || b == e)
        fail("shape value '" + w + "' is not an integer");
      if (v < 0)
        fail("shape value '" + w + "' is negative: shape values are sizes and flags (>= 0), so it matches no run");
      const std::string key = w.substr(0, eq);
      if (!keys.insert(key).second) fail("shape key '" + key + "' given twice");
      sel.shape.emplace_back(key, v);
    }
    return sel;
  }

  /// Splits the assertion into words and operators (">=", "<=", ">", "<",
  /// "=", "±"); "+-" and "==" are spelled out alternatives. `offsets` gets
  /// where each token starts.
  static std::vector<std::string> tokens(const std::string& s, std::vector<size_t>& offsets) {
    std::vector<std::string> out;
    auto push = [&](std::string tok, size_t at) {
      out.push_back(std::move(tok));
      offsets.push_back(at);
    };
    size_t i = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == ' ' || c == '\t') {
        ++i;
      } else if (s.compare(i, 2, ">=") == 0 || s.compare(i, 2, "<=") == 0) {
        push(s.substr(i, 2), i);
        i += 2;
      } else if (s.compare(i, 2, "==") == 0) {
        push("=", i);
        i += 2;
      } else if (c == '>' || c == '<' || c == '=') {
        push(std::string(1, c), i);
        ++i;
      } else if (s.compare(i, 2, kPlusMinus) == 0 || s.compare(i, 2, "+-") == 0) {
        push(kPlusMinus, i);
        i += 2;
      } else {
        size_t j = i;
        while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '>' && s[j] != '<' && s[j] != '=' &&
               s.compare(j, 2, kPlusMinus) != 0)
          ++j;
        const std::string word = s.substr(i, j - i);
        // A factor written against its sign, as prose writes "0.6× cuBLAS":
        // "0.4x REF" and "0.4×REF" read as "0.4 x REF".
        if (const size_t sign = attached_times_sign(word); sign != std::string::npos) {
          push(word.substr(0, sign), i);
          const size_t sign_length = word.compare(sign, 2, "\xC3\x97") == 0 ? 2 : 1;
          push("x", i + sign);
          if (sign + sign_length < word.size()) push(word.substr(sign + sign_length), i + sign + sign_length);
        } else {
          push(word, i);
        }
        i = j;
      }
    }
    return out;
  }

  /// Where 'x', '×' or '*' follows a number (and an optional '%') in `w`;
  /// npos when `w` is not such a word.
  static size_t attached_times_sign(const std::string& w) {
    const char* b = w.data();
    const char* e = w.data() + w.size();
    if (b != e && *b == '+') ++b;
    double v = 0;
    const char* p = std::from_chars(b, e, v).ptr;
    if (p == b) return std::string::npos;
    if (p != e && *p == '%') ++p;
    const size_t at = size_t(p - w.data());
    return at < w.size() && (w[at] == 'x' || w[at] == '*' || w.compare(at, 2, "\xC3\x97") == 0)
               ? at
               : std::string::npos;
  }

  // Microseconds as people write them: "µs" (micro sign) or "μs" (Greek mu).
  static constexpr const char* kMicroSign = "\xC2\xB5s";
  static constexpr const char* kGreekMu = "\xCE\xBCs";

  static bool is_unit(const std::string& w) {
    for (const char* u : {"%", "s", "ms", "us", kMicroSign, kGreekMu, "ns", "B/s", "GB/s", "TB/s"})
      if (w == u) return true;
    return false;
  }

  static bool looks_numeric(const std::string& w) {
    return !w.empty() && (std::isdigit(static_cast<unsigned char>(w[0])) || w[0] == '.' ||
                          ((w[0] == '-' || w[0] == '+') && w.size() > 1));
  }

  /// A finite number and the text after it ("2ms" -> 2, "ms"); a leading '+' is allowed.
  std::pair<double, std::string> value_and_unit(const std::string& w) const {
    double v = 0;
    const char* b = w.data();
    const char* e = w.data() + w.size();
    if (b != e && *b == '+') ++b;
    auto [p, ec] = std::from_chars(b, e, v);
    // 1e-400 and 1e400 are numbers no double holds, as scaled() says too.
    if (ec == std::errc::result_out_of_range) fail("'" + w + "' is out of range");
    if (ec != std::errc() || !std::isfinite(v)) fail("'" + w + "' is not a number");
    return {v, std::string(p, e)};
  }

  /// The number `w` starts with, times 10^exp10, rounded once
  /// (decimal_times_pow10: a median at a bound of its own decimal holds it).
  double scaled(const std::string& w, int exp10) const {
    const char* b = w.data();
    const char* e = w.data() + w.size();
    if (b != e && *b == '+') ++b;
    double v = 0;
    const char* end = std::from_chars(b, e, v).ptr;
    const std::optional<double> out = decimal_times_pow10(std::string_view(b, size_t(end - b)), exp10);
    if (!out) fail("'" + w + "' is out of range");
    return *out;
  }

  /// A number with its unit: '%' (divides by 100; a fraction or a tolerance),
  /// s/ms/us/ns for time, B/s, GB/s or TB/s for bandwidth (required, but for
  /// 0), none for the other metrics.
  double number(const std::string& w, const std::string& metric, bool tolerance) const {
    const auto [v, unit] = value_and_unit(w);
    if (unit == "%") {
      if (!tolerance && !is_fraction_metric(metric) && metric != "rel_err")
        fail("'%' fits a fraction (mfu, hfu, roof), a relative error or a tolerance, not " + metric);
      const double fraction = scaled(w, -2);
      // As for a bare number below: `mfu >= 150%` never held and was taken.
      if (!tolerance && is_fraction_metric(metric) && fraction > 1)
        fail(metric + " is a fraction of " + fraction_of(metric) + ", at most 100%: got " + w);
      return fraction;
    }
    if (tolerance) fail("a tolerance is a percentage (e.g. ± 0.1%), got '" + w + "'");
    if (!unit.empty() && metric == "time") {
      if (unit == "s") return v;
      if (unit == "ms") return scaled(w, -3);
      if (unit == "us" || unit == kMicroSign || unit == kGreekMu) return scaled(w, -6);
      if (unit == "ns") return scaled(w, -9);
      fail("unknown time unit '" + unit + "' (use s, ms, us or ns)");
    }
    if (!unit.empty() && metric == "bandwidth") {
      if (unit == "B/s") return v;
      if (unit == "GB/s") return scaled(w, 9);
      if (unit == "TB/s") return scaled(w, 12);
      fail("unknown bandwidth unit '" + unit + "' (use B/s, GB/s or TB/s)");
    }
    if (!unit.empty()) fail("unexpected unit '" + unit + "' in '" + w + "'");
    // A bare number would be seconds or bytes/s: `time <= 400` passed every
    // kernel for 400 s. Zero is zero in any unit.
    if (metric == "time" && v != 0) fail("a time needs its unit: write " + w + "us, " + w + "ms or " + w + "s");
    if (metric == "bandwidth" && v != 0)
      fail("a bandwidth needs its unit: write " + w + " GB/s, " + w + " TB/s or " + w + " B/s");
    if (is_fraction_metric(metric) && v > 1)
      fail(metric + " is a fraction of " + fraction_of(metric) + ", at most 1: for " + fmt_sig(v, 4) +
           " percent write " + fmt_sig(v, 4) + "% (" + fmt_sig(v / 100, 4) + ")");
    return v;
  }

  /// The factor of a ratio: a number, or a percentage (60% = 0.6), for any
  /// metric; no unit, and no fraction rule (a fraction metric may be 1.2 x
  /// another run's).
  double factor(const std::string& w, const std::string& metric) const {
    const auto [v, unit] = value_and_unit(w);
    if (unit == "%") return scaled(w, -2);
    if (!unit.empty())
      fail("the factor of a ratio is a plain number (e.g. 0.6 or 60%), got '" + w + "': the reference's " +
           metric + " carries the unit");
    return v;
  }

  /// Every metric is >= 0 (results files hold no negative figure) and a
  /// median time is > 0: a bound beyond that never holds (`time <= 0`,
  /// `tflops < 0`), or always does (`tflops >= -1`), and is a mistake.
  void bound_can_hold(const Contract& c, const std::string& number) const {
    const std::string shown = "'" + c.metric + " " + to_string(c.op) + " " + number + "'";
    const bool upper = c.op == CmpOp::le || c.op == CmpOp::lt || c.op == CmpOp::eq;
    if (c.value < 0)
      fail(c.metric + " is never negative, so " + shown + (upper ? " can never hold" : " always holds"));
    if (c.value == 0 && c.metric == "time" && upper)
      fail("time is always positive, so " + shown + " can never hold");
    if (c.value == 0 && c.op == CmpOp::lt)
      fail(c.metric + " is never negative, so " + shown + " can never hold");
  }

  void metric_name(const std::string& m) const {
    if (!find_metric(m)) fail("unknown metric '" + m + "' (known: " + metric_list() + ")");
  }

  CmpOp op(const std::string& w, const std::string& after) const {
    if (w == ">=") return CmpOp::ge;
    if (w == "<=") return CmpOp::le;
    if (w == ">") return CmpOp::gt;
    if (w == "<") return CmpOp::lt;
    if (w == "=") return CmpOp::eq;
    fail("expected a comparison (>=, <=, >, <, =) after '" + after + "', got '" + w + "'");
  }

  void assertion(Contract& c, const std::string& text) const {
    std::vector<size_t> at;
    const auto t = tokens(text, at);
    if (t.empty()) fail("nothing after ':' (expected an assertion such as 'mfu >= 0.5')");
    if (fixed_form(c, t)) return;
    metric_name(t[0]);
    c.metric = t[0];
    if (t.size() < 2) fail("expected a comparison (>=, <=, >, <, =) after '" + t[0] + "'");
    c.op = op(t[1], t[0]);
    if (t.size() < 3) fail("expected a number or a metric after '" + t[1] + "'");
    right_side_is_a_value(t);
    size_t i = 3;  // the token after the right side
    if (looks_numeric(t[2])) {
      if (value_or_ratio(c, t, text, at, i)) return;  // a ratio's reference ends the line
    } else {
      metric_right_side(c, t[2]);
    }
    tolerance_after(c, t, i);
    if (i < t.size()) fail("unexpected '" + t[i] + "' after the assertion");
  }

 private:
  // The fixed forms, 'validation passed', 'compute-bound', 'memory-bound' and
  // 'bound = compute|memory': true when `t` is one of them.
  bool fixed_form(Contract& c, const std::vector<std::string>& t) const {
    if (t.size() >= 2 && t[0] == "validation") {
      if (t[1] != "passed") fail("expected 'validation passed', got 'validation " + t[1] + "'");
      nothing_after(t, 2);
      c.kind = ContractKind::validation;
      return true;
    }
    if (t[0] == "compute-bound" || t[0] == "memory-bound") {
      nothing_after(t, 1);
      c.kind = ContractKind::bound;
      c.bound = t[0].substr(0, t[0].find('-'));
      return true;
    }
    if (t[0] == "bound") {
      if (t.size() < 3 || t[1] != "=" || (t[2] != "compute" && t[2] != "memory"))
        fail("expected 'bound = compute' or 'bound = memory'");
      nothing_after(t, 3);
      c.kind = ContractKind::bound;
      c.bound = t[2];
      return true;
    }
    if (t[0] == "validation" || t[0] == "compute" || t[0] == "memory")
      fail("expected 'validation passed', 'compute-bound' or 'memory-bound'");
    return false;
  }

  // A fixed form's first n words end it: a word after them is named, not
  // taken for a metric.
  void nothing_after(const std::vector<std::string>& t, size_t n) const {
    if (t.size() > n) {
      std::string form = t[0];
      for (size_t k = 1; k < n; ++k) form += " " + t[k];
      fail("unexpected '" + t[n] + "' after '" + form + "'");
    }
  }

  // The right side t[2] is a number or a metric: not another operator, and
  // not a number no bound can be.
  void right_side_is_a_value(const std::vector<std::string>& t) const {
    if (t[1] == "=" && (t[2] == ">" || t[2] == "<"))
      fail("'=" + t[2] + "' is written '" + t[2] + "='");
    if (t[2] == ">=" || t[2] == "<=" || t[2] == ">" || t[2] == "<" || t[2] == "=" || t[2] == kPlusMinus)
      fail("expected a number or a metric after '" + t[1] + "', got '" + t[2] + "'");
    std::string lower = t[2];
    for (char& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    // With a sign or a unit too ("NaN%", "-inf"): not taken for a metric's
    // name ("information" still is one, and is named as unknown).
    const std::string unsigned_word = lower.substr(lower[0] == '+' || lower[0] == '-' ? 1 : 0);
    for (const char* word : {"infinity", "inf", "nan"})
      if (unsigned_word.rfind(word, 0) == 0) {
        const std::string unit = t[2].substr(t[2].size() - (unsigned_word.size() - std::strlen(word)));
        if (unit.empty() || is_unit(unit)) fail("'" + t[2] + "' is not a number a bound can be (a finite number)");
      }
  }

  // A number on the right: a bound, or the factor of a ratio to a reference
  // run (true: the reference took the rest of the line). `i` moves past a
  // unit written apart.
  bool value_or_ratio(Contract& c, const std::vector<std::string>& t, const std::string& text,
                      const std::vector<size_t>& at, size_t& i) const {
    // A unit may stand apart: "4 TB/s" as "4TB/s". A time or a bandwidth
    // takes the word after its number as its unit, so that an unknown one
    // ("4 PB/s") is named as such.
    const bool word_after = i < t.size() && !is_times_sign(t[i]) && t[i] != kPlusMinus;
    const bool bare = value_and_unit(t[2]).second.empty();
    const bool unit_apart =
        word_after && (is_unit(t[i]) || (bare && (c.metric == "time" || c.metric == "bandwidth")));
    const std::string written = unit_apart ? t[2] + t[i] : t[2];
    if (unit_apart) ++i;
    c.kind = ContractKind::value;
    if (i < t.size() && is_times_sign(t[i])) {
      // A factor is a plain number whatever the metric: the reference's
      // value carries the unit, so `mfu >= 1.2 x REF` is not a fraction
      // over 1 and `time <= 2ms x REF` is no factor at all.
      c.value = factor(written, c.metric);
      if (c.value <= 0) fail("the factor of a ratio must be positive");
      c.kind = ContractKind::ratio;
      // The reference and its shape overrides, as words ("m=4096").
      const auto words = i + 1 < t.size() ? split_words(text.substr(at[i + 1])) : std::vector<std::string>{};
      c.reference = selector(words, 0, false, "a reference run after 'x'");
      return true;
    }
    c.value = number(written, c.metric, false);
    if (c.value == 0) c.value = 0;  // "-0" is shown as 0
    bound_can_hold(c, unit_apart ? t[2] + " " + t[i - 1] : t[2]);
    return false;
  }

  // A metric on the right, of the same unit as the left one.
  void metric_right_side(Contract& c, const std::string& rhs) const {
    metric_name(rhs);
    c.rhs_metric = rhs;
    c.kind = ContractKind::metrics;
    // `mfu >= tflops` compares numbers of different units: never meant.
    const std::string lu = find_metric(c.metric)->unit, ru = find_metric(c.rhs_metric)->unit;
    if (lu != ru)
      fail("comparing " + c.metric + " (" + lu + ") with " + c.rhs_metric + " (" + ru + ") mixes units");
  }

  // An optional '± PCT%' at t[i] (only with '='); `i` moves past it.
  void tolerance_after(Contract& c, const std::vector<std::string>& t, size_t& i) const {
    if (i >= t.size() || t[i] != kPlusMinus) return;
    if (c.op != CmpOp::eq) fail("a tolerance '±' needs '=' (e.g. hw_flops = model_flops ± 0.1%)");
    if (i + 1 >= t.size()) fail("expected a tolerance after '±' (e.g. 0.1%)");
    const bool unit_apart = i + 2 < t.size() && t[i + 2] == "%";
    c.tolerance = number(unit_apart ? t[i + 1] + "%" : t[i + 1], c.metric, true);
    if (c.tolerance < 0) fail("a tolerance must not be negative");
    i += unit_apart ? 3 : 2;
  }

  std::string origin_;
  int line_;
};

// ---- checking ------------------------------------------------------------------

bool compare(double a, CmpOp op, double b, double tol) {
  switch (op) {
    case CmpOp::ge: return a >= b;
    case CmpOp::le: return a <= b;
    case CmpOp::gt: return a > b;
    case CmpOp::lt: return a < b;
    case CmpOp::eq: return std::fabs(a - b) <= tol * std::fabs(b);
  }
  return false;
}

std::string tol_text(const Contract& c) {
  return c.tolerance > 0 ? " " + std::string(kPlusMinus) + " " + fmt_sig(c.tolerance * 100, 4) + "%" : "";
}

Shape sorted(Shape s) {
  std::sort(s.begin(), s.end());
  return s;
}

/// How to pick one of several runs a ratio's reference matches: by shape when
/// their shapes differ, else they differ by NVTX range only.
std::string reference_hint(const std::vector<const RunRecord*>& runs) {
  for (const RunRecord* r : runs)
    if (r->shape != runs.front()->shape)
      return " of different shapes: give the reference's shape after its id (e.g. " + runs.front()->id + " " +
             shape_string(runs.front()->shape) + ")";
  return " that differ only by NVTX range (a profile): a ratio needs one reference run";
}

// The runs a ratio's reference may be, indexed once per check: scanning every
// run for every subject, sorting shapes as it went, took minutes at 100k runs.
// Lists hold runs in file order.
class References {
 public:
  explicit References(const ResultsDoc& doc) {
    for (const auto& o : doc.runs) {
      by_shape_[{o.id, sorted(o.shape)}].push_back(&o);
      Kernel& k = by_id_[o.id];
      k.runs.push_back(&o);
      for (const auto& kv : o.shape) k.keys.insert(kv.first);
    }
  }

  /// Runs of `id` whose shape, keys sorted, is `shape` (order of keys aside).
  const std::vector<const RunRecord*>& with_shape(const std::string& id, const Shape& shape) const {
    const auto it = by_shape_.find({id, sorted(shape)});
    return it == by_shape_.end() ? none_ : it->second;
  }

  /// Whether kernel `id` has runs, none of them with any parameter of `shape`.
  bool has_other_parameters(const std::string& id, const Shape& shape) const {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) return false;
    for (const auto& kv : shape)
      if (it->second.keys.count(kv.first)) return false;
    return true;
  }

  /// The runs `sel` (an id without '*') selects; worked out once per selector.
  const std::vector<const RunRecord*>& selected(const RunSelector& sel) {
    const auto [it, fresh] = selected_.try_emplace(&sel);
    if (fresh) {
      const auto k = by_id_.find(sel.id);
      if (k != by_id_.end())
        for (const RunRecord* o : k->second.runs)
          if (sel.matches(*o)) it->second.push_back(o);
    }
    return it->second;
  }

 private:
  struct Kernel {
    std::vector<const RunRecord*> runs;
    std::set<std::string> keys;  ///< every shape key of any of its runs
  };
  std::map<std::pair<std::string, Shape>, std::vector<const RunRecord*>> by_shape_;
  std::map<std::string, Kernel> by_id_;
  std::map<const RunSelector*, std::vector<const RunRecord*>> selected_;
  const std::vector<const RunRecord*> none_;
};

// The fixed forms: validation passed, and the bound.
ContractResult evaluate_fixed(const Contract& c, const RunRecord& r) {
  ContractResult res;
  if (c.kind == ContractKind::validation) {
    res.passed = r.validation && r.validation->passed;
    res.detail = !r.validation ? "not validated (was it run with --no-validate?)"
                 : res.passed
                     ? "validation passed (max rel err " + fmt_sig(r.validation->max_rel_err, 4) + ")"
                     : "validation FAILED: max rel err " + fmt_sig(r.validation->max_rel_err, 4) +
                           " > tolerance " + fmt_sig(r.validation->tolerance, 4);
    return res;
  }
  res.passed = r.derived.bound == c.bound;
  res.detail = r.derived.bound == "unknown"
                   ? "bound unknown (" + no_roofline_why(r) + ")"
                   : r.derived.bound + "-bound (AI " +
                         fmt_sig(r.derived.ai_dram_hw.value_or(r.derived.ai_dram), 4) + " FLOP/B)" +
                         (res.passed ? "" : ", expected " + c.bound + "-bound");
  return res;
}

// A relation as it held or failed: "tflops 701.5 < 750", not shown as if it
// held. `digits` as digits_apart gives for the value and its bound.
std::string shown(const Contract& c, double lhs, bool passed, int digits, double bound_value,
                  const std::string& bound) {
  return c.metric + " " + fmt_value(c.metric, lhs, digits, bound_value) + " " +
         (passed ? to_string(c.op) : negated(c.op)) + " " + bound;
}

// ", expected >= 750" after a failed relation.
std::string expected(const Contract& c, bool passed, const std::string& bound) {
  return passed ? std::string() : std::string(", expected ") + to_string(c.op) + " " + bound;
}

// A ratio's reference: the run, or why there is none, and how to name it.
struct Reference {
  const RunRecord* run = nullptr;
  std::string label;  // its id and the shape it was looked for with
  std::string why;    // without a run
};

// A ratio's reference run: the subject's shape with the contract's
// overrides, and the reference id; exactly one must exist. A reference of
// other shape parameters (memory.softmax against memory.copy) has none of the
// subject's: the values given then select it, as a selector does.
Reference find_reference(const Contract& c, const RunRecord& r, References* refs) {
  Shape want = r.shape;
  std::map<std::string, size_t> index;  // key -> its place in want: overrides may be many
  for (size_t i = 0; i < want.size(); ++i) index.emplace(want[i].first, i);
  for (const auto& [k, v] : c.reference.shape) {
    const auto [it, fresh] = index.emplace(k, want.size());
    if (fresh) want.emplace_back(k, v);
    else want[it->second].second = v;
  }
  // The subject may be its own reference (`gemm.* : tflops >= 0.1 x
  // gemm.cublas.bf16` for the cuBLAS run itself): ratio 1, said so.
  const std::vector<const RunRecord*>* found = &refs->with_shape(c.reference.id, want);
  if (found->empty() && refs->has_other_parameters(c.reference.id, r.shape)) {
    want = c.reference.shape;
    found = &refs->selected(c.reference);
  }
  Reference ref;
  ref.label = RunSelector{c.reference.id, want}.label();
  if (found->size() == 1)
    ref.run = found->front();
  else
    ref.why = found->empty() ? "no reference run " + ref.label + " in the results file"
                             : "the reference " + ref.label + " matches " + std::to_string(found->size()) +
                                   " runs" + reference_hint(*found);
  return ref;
}

ContractResult evaluate_ratio(const Contract& c, const RunRecord& r, double lhs, References* refs) {
  ContractResult res;
  const Reference reference = find_reference(c, r, refs);
  const RunRecord* ref = reference.run;
  const std::string& ref_label = reference.label;
  if (!ref) {
    res.detail = reference.why;
    return res;
  }
  std::string why;
  const auto rv = metric_value(*ref, c.metric, why);
  if (!rv) {
    res.detail = "reference " + ref_label + ": " + why;
    return res;
  }
  // A bound of 0 (the reference's model FLOPs were 0) holds for any
  // `tflops >=`: it would pass without measuring anything.
  if (!(*rv > 0) || !std::isfinite(*rv)) {
    res.detail = "reference " + ref_label + ": its " + c.metric + " is " + fmt_sig(*rv, 4) +
                 ", so no ratio can be taken";
    return res;
  }
  res.passed = compare(lhs, c.op, c.value * *rv, 0);
  const int digits = digits_apart(c.metric, lhs, c.value * *rv);
  res.detail = shown(c, lhs, res.passed, digits, c.value * *rv,
                     fmt_sig(c.value, 4) + " x " + fmt_value(c.metric, *rv) + " (" + c.reference.id +
                         ") = " + fmt_value(c.metric, c.value * *rv, digits)) +
               "; ratio " + fmt_sig(lhs / *rv, 4) + (ref == &r ? " (the run is its own reference)" : "") +
               expected(c, res.passed, fmt_sig(c.value, 4));
  return res;
}

// `metric OP number [± tol]`.
ContractResult evaluate_value(const Contract& c, double lhs) {
  ContractResult res;
  res.passed = compare(lhs, c.op, c.value, c.tolerance);
  const int digits = digits_apart(c.metric, lhs, c.value);
  // A bound of 0 in the value's unit: "time 1.913 ms > 0 ms", not "1.913e+06 ns > 0 ns".
  const std::string bound =
      fmt_value(c.metric, c.value, digits, c.value == 0 ? std::optional(lhs) : std::nullopt) + tol_text(c);
  res.detail = shown(c, lhs, res.passed, digits, c.value, bound) + expected(c, res.passed, bound);
  return res;
}

// `metric OP metric [± tol]`, both of the run.
ContractResult evaluate_metrics(const Contract& c, const RunRecord& r, double lhs) {
  ContractResult res;
  std::string why;
  const auto rhs = metric_value(r, c.rhs_metric, why);
  if (!rhs) {
    res.detail = why;
    return res;
  }
  res.passed = compare(lhs, c.op, *rhs, c.tolerance);
  const int digits = digits_apart(c.metric, lhs, *rhs);  // the same unit: parse checked
  res.detail = shown(c, lhs, res.passed, digits, *rhs,
                     c.rhs_metric + " " + fmt_value(c.rhs_metric, *rhs, digits) + tol_text(c));
  if (c.op == CmpOp::eq && *rhs != 0)
    res.detail += " (differ by " + fmt_sig(std::fabs(lhs - *rhs) / std::fabs(*rhs) * 100, 4) + "%)";
  return res;
}

ContractResult evaluate(const Contract& c, const RunRecord& r, References* refs) {
  ContractResult res;
  if (c.kind == ContractKind::validation || c.kind == ContractKind::bound) {
    res = evaluate_fixed(c, r);
  } else {
    std::string why;
    const auto lhs = metric_value(r, c.metric, why);
    if (!lhs)
      res.detail = why;
    else if (c.kind == ContractKind::value)
      res = evaluate_value(c, *lhs);
    else if (c.kind == ContractKind::metrics)
      res = evaluate_metrics(c, r, *lhs);
    else
      res = evaluate_ratio(c, r, *lhs, refs);
  }
  // With its NVTX range: a profile holds one kernel once per range, and each
  // must be its own test case.
  res.run = run_title(r);
  return res;
}

}  // namespace

bool RunSelector::matches(const RunRecord& r) const {
  if (!glob_match(id.c_str(), r.id.c_str())) return false;
  for (const auto& [k, v] : shape) {
    auto rv = shape_get(r.shape, k);
    if (!rv || *rv != v) return false;
  }
  return true;
}

std::string RunSelector::label() const {
  return shape.empty() ? id : id + " " + shape_string(shape);
}

namespace {
// What a contract asserts, whatever its spelling: its parsed parts, numbers
// exact (1ms, 1 ms and 1000us are one bound; 50% and 0.5 one fraction).
// Shape values in any order: `m=1 n=2` and `n=2 m=1` select the same runs.
std::string selector_key(RunSelector s) {
  s.shape = sorted(std::move(s.shape));
  return s.label();
}
std::string meaning_key(const Contract& c) {
  return selector_key(c.subject) + "|" + std::to_string(int(c.kind)) + "|" + c.metric + "|" +
         to_string(c.op) + "|" + fmt_sig(c.value, 17) + "|" + selector_key(c.reference) + "|" + c.rhs_metric +
         "|" + fmt_sig(c.tolerance, 17) + "|" + c.bound;
}
}  // namespace

std::vector<Contract> parse_contracts(const std::string& file_text, const std::string& origin) {
  // An editor's UTF-8 byte order mark is not part of the first line's kernel id.
  const std::string text = file_text.rfind("\xEF\xBB\xBF", 0) == 0 ? file_text.substr(3) : file_text;
  std::vector<Contract> out;
  std::unordered_map<std::string, int> line_of;  // a contract's meaning_key -> its line
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    line = trim(line);
    if (line.empty()) continue;
    LineParser p(origin, line_no);
    // Its words reach the JUnit XML and the JSON: bytes that are not UTF-8
    // made a report no parser reads.
    if (valid_utf8(line) != line) p.fail("not UTF-8 text (save the file as UTF-8)");
    const size_t colon = line.find(':');
    if (colon == std::string::npos)
      p.fail("expected 'SELECTOR : ASSERTION' (e.g. 'gemm.cublas.bf16 : mfu >= 0.5'), found no ':'");
    Contract c;
    c.origin = origin;
    c.line = line_no;
    const auto words = split_words(line.substr(0, colon));
    for (const auto& w : words) c.text += w + " ";
    c.text += ":";
    for (const auto& w : split_words(line.substr(colon + 1))) c.text += " " + w;
    if (words.empty()) p.fail("no selector before ':' (a kernel id, or '*' for every run)");
    c.subject = p.selector(words, 0, true, "the selector");
    p.assertion(c, line.substr(colon + 1));
    // Checked twice, it would count twice among the passed or failed: the
    // same contract in other spellings (1ms, 1 ms, 1000us) too.
    if (const auto [at, fresh] = line_of.emplace(meaning_key(c), line_no); !fresh)
      p.fail("repeats line " + std::to_string(at->second) + "; give each contract once");
    out.push_back(std::move(c));
  }
  if (out.empty())
    throw_bad_input(origin + ": no contracts (each line reads 'SELECTOR : ASSERTION', see docs/ci.md)");
  return out;
}

std::vector<Contract> read_contracts(const std::string& path) {
  return parse_contracts(read_file(path), path);
}

int CheckReport::failures() const {
  return int(std::count_if(results.begin(), results.end(),
                           [](const ContractResult& r) { return !r.passed; }));
}

CheckReport check_contracts(const ResultsDoc& doc, std::vector<Contract> contracts,
                            const std::string& results_origin,
                            const std::string& contracts_origin) {
  CheckReport rep;
  rep.results_origin = results_origin;
  rep.contracts_origin = contracts_origin;
  if (doc.device) rep.device = device_label(*doc.device);
  rep.contracts = std::move(contracts);
  std::optional<References> refs;  // built for the first ratio
  for (size_t i = 0; i < rep.contracts.size(); ++i) {
    const Contract& c = rep.contracts[i];
    bool any = false;
    for (const auto& r : doc.runs) {
      if (!c.subject.matches(r)) continue;
      any = true;
      if (c.kind == ContractKind::ratio && !refs) refs.emplace(doc);
      ContractResult res = evaluate(c, r, refs ? &*refs : nullptr);
      res.contract = i;
      rep.results.push_back(std::move(res));
    }
    if (!any) {
      ContractResult res;
      res.contract = i;
      res.detail = "matches no run in " + results_origin + ": a contract that checks nothing fails";
      rep.results.push_back(std::move(res));
    }
  }
  return rep;
}

}  // namespace flopscope
