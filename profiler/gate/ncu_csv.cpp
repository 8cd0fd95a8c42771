// Reading Nsight Compute's CSV exports (flopscope/crosscheck.h).
//
// ncu writes two CSV layouts. The details page (`--csv`) has one row per
// launch and metric: "ID",...,"Kernel Name",...,"Metric Name","Metric Unit",
// "Metric Value". The raw page (`--csv --page raw`) has one row per launch, a
// column per metric, and a second header row with the units. Without
// `--log-file`, the application's own output and ncu's "==PROF==" lines are
// interleaved with the rows. ncu quotes every field, so after the header a
// line that starts with a quote is ncu's and must be a whole row; the others
// are not rows and are skipped.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "flopscope/crosscheck.h"
#include "flopscope/error.h"
#include "flopscope/results.h"  // read_file

namespace flopscope {
namespace {

/// One CSV record (RFC 4180 quoting, no embedded newlines: ncu has none).
/// Empty when the line is a CSV row, else what breaks its quoting.
std::string_view split_csv_line(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return "a quote is not closed";
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      if (i < line.size() && line[i] != ',') return "text follows a closing quote";
    } else {
      while (i < line.size() && line[i] != ',') field += line[i++];
    }
    out.push_back(field);
    if (i >= line.size()) return {};
    ++i;  // the comma
  }
}

int column(const std::vector<std::string>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return int(i);
  return -1;
}

/// "1,048,576.5" -> "1048576.5" (digit groups of three after the first);
/// anything else unchanged. By hand: libstdc++'s regex recurses per character.
std::string ungroup(const std::string& v) {
  if (v.find(',') == std::string::npos) return v;
  const size_t start = !v.empty() && v[0] == '-' ? 1 : 0;
  const size_t end = std::min(v.find('.'), v.size());
  if (v.find(',', end) != std::string::npos) return v;
  size_t digits = 0;  // in the current group
  bool first = true;
  for (size_t i = start; i < end; ++i) {
    if (v[i] == ',') {
      if (digits == 0 || digits > 3 || (!first && digits != 3)) return v;
      first = false;
      digits = 0;
    } else if (std::isdigit(static_cast<unsigned char>(v[i]))) {
      ++digits;
    } else {
      return v;
    }
  }
  if (first || digits != 3) return v;
  std::string out;
  for (char c : v)
    if (c != ',') out += c;
  return out;
}

bool parse_number(const std::string& text, double& out) {
  const std::string v = ungroup(text);
  if (v.empty()) return false;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && end == v.data() + v.size();
}

/// Time words: to nanoseconds in a numerator, to seconds in a denominator.
double time_scale(std::string_view w, bool denominator) {
  double ns = 0;
  // "ns", "us", "ms", "s": ncu 2025.3.1's words ("byte/s"; --print-units base gives ns)
  if (w == "nsecond" || w == "ns") ns = 1;
  else if (w == "usecond" || w == "us") ns = 1e3;
  else if (w == "msecond" || w == "ms") ns = 1e6;
  else if (w == "second" || w == "s") ns = 1e9;
  else return 0;
  return denominator ? ns * 1e-9 : ns;
}

/// One unit word, with an optional decimal prefix: "byte" 1, "Mbyte" 1e6,
/// "Ghz" 1e9. Only the base words ncu prints are known; any other word, or
/// another prefix ("kbyte", "Kibyte"), is not understood (0), never guessed.
double word_scale(std::string_view w, bool denominator) {
  if (const double t = time_scale(w, denominator); t != 0) return t;
  static constexpr std::string_view kBases[] = {"byte",  "bit",     "inst",   "cycle", "sector",
                                                "request", "warp",  "thread", "block", "register",
                                                "hz",    "op",      "ops",    "pass",  "wavefront",
                                                "SM",    "cluster"};  // launch__sm_count, launch__cluster_max_active
  const auto known = [](std::string_view b) {
    return std::find(std::begin(kBases), std::end(kBases), b) != std::end(kBases);
  };
  if (known(w)) return 1;
  static constexpr std::string_view kPrefixes = "KMGTP";  // 1e3 .. 1e15
  const size_t p = w.empty() ? std::string_view::npos : kPrefixes.find(w.front());
  if (p == std::string_view::npos || !known(w.substr(1))) return 0;
  double s = 1;
  for (size_t i = 0; i <= p; ++i) s *= 1e3;
  return s;
}

/// "launch 3 of process 4242", for a refusal.
std::string describe(const NcuLaunch& l) {
  std::string s = "launch " + std::to_string(l.id);
  if (!l.process.empty()) s += " of process " + l.process;
  return s;
}

}  // namespace

double ncu_unit_scale(std::string_view unit) {
  if (unit.empty() || unit == "%") return 1;
  const size_t slash = unit.find('/');
  const double num = word_scale(unit.substr(0, slash), false);
  if (slash == std::string_view::npos) return num;
  const double den = word_scale(unit.substr(slash + 1), true);
  return num == 0 || den == 0 ? 0 : num / den;
}

namespace {

// A launch's ID as printed: "1,024", should ncu group an ID as it groups values.
bool id_of(const std::string& printed, int64_t& id) {
  const std::string s = ungroup(printed);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size() && id >= 0;
}

// CUPTI's metric names hold "unit__counter..."; ncu's other columns and the
// details page's display labels ("Memory Throughput") do not.
bool is_counter_name(const std::string& name) { return name.find("__") != std::string::npos; }

// A header: a row whose first field is "ID" and which names the kernel.
bool is_header(const std::vector<std::string>& r) {
  return !r.empty() && r[0] == "ID" && column(r, "Kernel Name") >= 0;
}

// Reads one export, a line at a time: the header in force, the launches so
// far, and each launch's values.
class NcuCsvReader {
 public:
  NcuCsvReader(std::string_view text, const std::string& origin, const std::set<std::string>* keep)
      : text_(text), origin_(origin), keep_(keep) {}

  NcuCsv read() {
    // A UTF-8 byte order mark (an export saved again by an editor or a
    // spreadsheet) is not part of the first field: "ID" must still be found.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);
    std::string_view line;
    size_t at = 0;  // the line's index
    bool found = false;
    for (; next_line(line); ++at)
      if (split_csv_line(line, row_).empty() && is_header(row_)) {
        found = true;
        break;
      }
    if (!found)
      throw_bad_input(origin_ +
                      " is not an Nsight Compute CSV export (no \"ID\",...,\"Kernel Name\" header row): "
                      "write one with ncu --csv [--page raw] --log-file F");
    use_header(at, row_);
    for (size_t index = at + 1; next_line(line); ++index) read_line(index, line);
    if (out_.launches.empty() && unquoted_rows_ > 0)
      throw_bad_input(
          origin_ + " has " + std::to_string(unquoted_rows_) +
          " rows as wide as its header but without ncu's quotes (saved again by an editor?): use the "
          "file ncu wrote");
    if (out_.launches.empty())
      throw_bad_input(origin_ +
                      " has an Nsight Compute header but no profiled launch: did ncu profile any kernel?");
    return std::move(out_);
  }

 private:
  // Lines are taken one at a time, not indexed: 256 MiB of line breaks would
  // otherwise hold 16 bytes of index per byte read.
  bool next_line(std::string_view& line) {
    if (from_ >= text_.size()) return false;
    const size_t nl = std::min(text_.find('\n', from_), text_.size());
    line = text_.substr(from_, nl - from_);
    from_ = nl + 1;
    return true;
  }

  [[noreturn]] void refuse(size_t line_index, const std::string& why) const {
    throw_bad_input(origin_ + ": line " + std::to_string(line_index + 1) + ": " + why);
  }

  // The columns of the header in force. Each process ncu profiles may write its
  // own header (and units row), with the metrics in another order: a later
  // header replaces the earlier one.
  void use_header(size_t line_index, const std::vector<std::string>& h) {
    // A metric column given twice: whichever one won, the comparison would be a guess.
    std::set<std::string> metric_columns;
    for (const std::string& name : h)
      if (is_counter_name(name) && !metric_columns.insert(name).second)
        refuse(line_index, "the header names the metric '" + name + "' twice");
    header_ = h;
    c_kernel_ = column(h, "Kernel Name");
    c_process_ = column(h, "Process ID");
    c_metric_ = column(h, "Metric Name");
    c_unit_ = column(h, "Metric Unit");
    c_value_ = column(h, "Metric Value");
    c_rule_ = column(h, "Rule Name");
    details_ = c_metric_ >= 0 && c_value_ >= 0;
    units_.assign(h.size(), "");
    have_units_ = false;
  }

  // The index of a launch in out_.launches. A launch is its ID within its
  // process: IDs restart in each process ncu profiles.
  size_t launch_index(size_t line_index, const std::string& process, int64_t id, const std::string& kernel) {
    auto [it, fresh] = by_key_.try_emplace({process, id}, out_.launches.size());
    if (fresh) out_.launches.push_back({id, process, kernel, {}});
    const NcuLaunch& l = out_.launches[it->second];
    if (l.kernel != kernel)
      refuse(line_index, describe(l) + " names the kernel " + l.kernel + " above and " + kernel +
                             " here: two exports in one file?");
    return it->second;
  }

  // Each launch and metric once. The same value again changes nothing (a row
  // repeated); another one would leave a guess of which is the launch's. Only
  // for counter names: the details page's display labels may recur in two
  // sections with other units ("Memory Throughput": % under Speed Of Light,
  // byte/s under Memory Workload Analysis), and the first is kept.
  void add_value(size_t line_index, size_t li, const std::string& metric, const std::string& unit,
                 const std::string& value) {
    if (keep_ && !keep_->count(metric)) return;
    const bool counter = is_counter_name(metric);
    const auto [it, fresh] = seen_.try_emplace({li, metric}, unit + '\n' + value);
    if (!fresh && counter && it->second != unit + '\n' + value)
      refuse(line_index,
             describe(out_.launches[li]) + " has a second value of " + metric + ": two exports in one file?");
    if (!fresh || value.empty() || value == "n/a") return;
    double v = 0;
    const double scale = ncu_unit_scale(unit);
    if (scale == 0) return skip(metric, "its unit '" + unit + "' is not understood");
    if (!parse_number(value, v) || !std::isfinite(v * scale))
      return skip(metric, "a value is not a finite number ('" + value + "')");
    // No count or byte total is negative: the export is damaged, and the value
    // would be gated. Info metrics (times, clocks) are only shown, as given;
    // the raw page's launch__/device__ columns are attributes, not counters.
    const bool attribute = metric.rfind("launch__", 0) == 0 || metric.rfind("device__", 0) == 0;
    if (v < 0 && !attribute && classify_metric(metric) != MetricClass::info)
      refuse(line_index, metric + " is " + value + ": a count or a byte total cannot be negative");
    out_.launches[li].metrics[metric] = v * scale;
  }

  // One entry per metric, whatever the values: a text column of the raw page
  // (a device's name) must not make one note per launch.
  void skip(const std::string& metric, const std::string& why) {
    NcuSkipped& sk = out_.skipped[metric];
    if (sk.reason.empty()) sk.reason = why;
    ++sk.values;
  }

  // Line `line_index`, after the first header: another header, the raw page's units row,
  // a launch's row, or a line that is not ncu's.
  void read_line(size_t line_index, std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // ncu quotes every field: any other line is the application's output or
    // ncu's "==PROF==" lines, even one with as many commas as the header and a
    // number first (an application printing CSV of its own).
    if (line.empty() || line[0] != '"') {
      // Counted for read()'s refusal of an export that lost ncu's quotes (saved
      // again by an editor): no row of such a file is read.
      if (!line.empty() && split_csv_line(line, row_).empty() && row_.size() == header_.size())
        ++unquoted_rows_;
      return;
    }
    std::string why(split_csv_line(line, row_));
    if (why.empty() && is_header(row_)) return use_header(line_index, row_);
    // ncu 2025.3's details page: a metric row with no rule ends after its
    // value with one empty field, short of the header's rule columns.
    const bool ruleless = why.empty() && details_ && c_rule_ > c_value_ &&
                          row_.size() == size_t(c_rule_) + 1 && line.back() == ',' && row_.back().empty();
    if (ruleless) row_.resize(header_.size());
    if (why.empty() && row_.size() != header_.size())
      why = std::to_string(row_.size()) + " fields where the header has " + std::to_string(header_.size());
    if (why.empty() && line.back() != '"' && !ruleless)
      why = "its last field is not quoted";  // cut just after a comma
    if (!why.empty()) {
      // ncu's row, but not whole: refused, never dropped (it may be the launch that differs).
      const bool cut = from_ > text_.size();  // the last line, with no line break after it
      refuse(line_index, why + (cut ? ": the file ends mid-row (a truncated export?)" : ""));
    }
    int64_t id = 0;
    if (!id_of(row_[0], id)) {
      if (!details_ && !have_units_ && row_[0].empty()) {
        units_ = row_;
        have_units_ = true;
        return;
      }
      // Dropped, it would leave its launch out unseen (and the comparison with it).
      refuse(line_index, "the ID '" + row_[0] + "' is not a launch's index (a whole number)" +
                             (details_ ? "" : " nor the raw page's units row, under the header"));
    }
    const size_t li = launch_index(line_index, c_process_ >= 0 ? row_[size_t(c_process_)] : "", id,
                                   row_[size_t(c_kernel_)]);
    if (details_) {
      add_value(line_index, li, row_[size_t(c_metric_)], c_unit_ >= 0 ? row_[size_t(c_unit_)] : "",
                row_[size_t(c_value_)]);
    } else {
      // Metric columns are CUPTI names ("unit__counter..."); the others describe the launch.
      for (size_t c = 0; c < header_.size(); ++c)
        if (is_counter_name(header_[c])) add_value(line_index, li, header_[c], units_[c], row_[c]);
    }
  }

  std::string_view text_;
  const std::string& origin_;
  const std::set<std::string>* keep_;
  size_t from_ = 0;  // where the next line starts
  std::vector<std::string> header_, row_;
  int c_kernel_ = -1, c_process_ = -1, c_metric_ = -1, c_unit_ = -1, c_value_ = -1, c_rule_ = -1;
  bool details_ = false, have_units_ = false;
  std::vector<std::string> units_;  // raw page: the row under the header
  NcuCsv out_;
  std::map<std::pair<std::string, int64_t>, size_t> by_key_;  // (process, ID) -> index in out_.launches
  std::map<std::pair<size_t, std::string>, std::string>
      seen_;  // (launch, metric) -> unit and value as printed
  size_t unquoted_rows_ = 0;
};

}  // namespace

NcuCsv parse_ncu_csv(std::string_view text, const std::string& origin, const std::set<std::string>* keep) {
  return NcuCsvReader(text, origin, keep).read();
}

NcuCsv read_ncu_csv(const std::string& path, const std::set<std::string>* keep) {
  return parse_ncu_csv(read_file(path), path, keep);
}

}  // namespace flopscope
