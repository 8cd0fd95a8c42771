#include "flopscope/table.h"

#include "flopscope/utf8.h"
#include "flopscope/views.h"  // terminal_text

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace flopscope {

void Table::add_column(std::string header, Align align, bool shrinkable, bool keep_end) {
  cols_.push_back({std::move(header), align, shrinkable, keep_end});
}

void Table::set_min_width(size_t w) {
  if (!cols_.empty()) cols_.back().min_width = w;
}

void Table::set_drop_rank(int rank) {
  if (!cols_.empty()) cols_.back().drop_rank = rank;
}

void Table::add_row(std::vector<Cell> cells) {
  cells.resize(cols_.size(), Cell(""));
  // Cell text comes from results files: no control character (ESC would let a
  // kernel name recolor or rewrite the terminal) reaches the output.
  for (auto& c : cells) c.text = terminal_text(c.text);
  rows_.push_back(std::move(cells));
}

static const char* ansi(Color c) {
  switch (c) {
    case Color::red: return "\033[31m";
    case Color::green: return "\033[32m";
    case Color::yellow: return "\033[33m";
    case Color::blue: return "\033[34m";
    case Color::dim: return "\033[2m";
    case Color::none: break;
  }
  return "";
}

// Text cut to `w` columns ends in ".."; with `keep_end` it keeps its end too,
// with ".." between.
static std::string fit(const std::string& s, size_t w, Align a, bool keep_end) {
  const size_t cols = text_columns(s);
  if (cols > w) {
    if (w <= 2) return first_columns(s, w);
    const size_t tail = keep_end && w >= 12 ? (w - 2) / 2 : 0;
    return first_columns(s, w - 2 - tail) + ".." + last_columns(s, tail);
  }
  std::string pad(w - cols, ' ');
  return a == Align::left ? s + pad : pad + s;
}

// Leaves out droppable columns while even the narrowest shrinkable columns
// would not fit: those with no value in any row ('-' throughout) first, then
// the lowest rank; then shrinks the widest shrinkable column until the table
// fits.
Table::Layout Table::fit_to(size_t width) const {
  std::vector<size_t> full(cols_.size());
  std::vector<bool> no_value(cols_.size(), !rows_.empty());
  for (size_t c = 0; c < cols_.size(); ++c) {
    full[c] = text_columns(cols_[c].header);
    for (const auto& r : rows_) {
      full[c] = std::max(full[c], text_columns(r[c].text));
      no_value[c] = no_value[c] && r[c].text == "-";
    }
  }
  // Whether column a gives way before column b.
  auto before = [&](size_t a, size_t b) {
    if (no_value[a] != no_value[b]) return bool(no_value[a]);
    return cols_[a].drop_rank < cols_[b].drop_rank;
  };
  Layout l{std::vector<bool>(cols_.size(), true), full, {}, 0};
  auto floor_of = [&](size_t c) { return cols_[c].shrinkable ? std::min(full[c], cols_[c].min_width) : full[c]; };
  auto total = [&](auto width_of) {
    size_t t = 0, n = 0;
    for (size_t c = 0; c < cols_.size(); ++c)
      if (l.shown[c]) t += width_of(c), ++n;
    return t + (n ? n - 1 : 0);
  };
  while (total(floor_of) > width) {
    size_t drop = cols_.size();
    for (size_t c = 0; c < cols_.size(); ++c)
      if (l.shown[c] && cols_[c].drop_rank > 0 && (drop == cols_.size() || before(c, drop))) drop = c;
    if (drop == cols_.size()) break;
    l.shown[drop] = false;
    l.left_out.push_back(cols_[drop].header);
  }
  while (total([&](size_t c) { return l.width[c]; }) > width) {
    size_t best = cols_.size();
    for (size_t c = 0; c < cols_.size(); ++c)
      if (l.shown[c] && cols_[c].shrinkable && l.width[c] > floor_of(c) &&
          (best == cols_.size() || l.width[c] > l.width[best]))
        best = c;
    if (best == cols_.size()) break;
    --l.width[best];
  }
  l.line_width = total([&](size_t c) { return l.width[c]; });
  return l;
}

std::string Table::render(size_t width, bool color) const {
  const Layout l = fit_to(width);
  std::string out;
  auto line = [&](const std::vector<Cell>& cells, bool header) {
    std::string text_line;
    bool first = true;
    for (size_t c = 0; c < cols_.size(); ++c) {
      if (!l.shown[c]) continue;
      if (!first) text_line += ' ';
      first = false;
      std::string text = fit(cells[c].text, l.width[c], cols_[c].align, cols_[c].keep_end);
      const Color col = header ? Color::dim : cells[c].color;
      if (color && col != Color::none) text = ansi(col) + text + "\033[0m";
      text_line += text;
    }
    while (!text_line.empty() && text_line.back() == ' ') text_line.pop_back();
    out += text_line + "\n";
  };
  std::vector<Cell> head;
  for (const auto& c : cols_) head.emplace_back(c.header);
  line(head, true);
  for (const auto& r : rows_) line(r, false);
  if (l.left_out.empty()) return out;
  // The note, in lines of the table's width at most (words are kept whole).
  // The columns kept may still not fit (their minimum widths): it says so.
  const bool fits = l.line_width <= width;
  const std::string note =
      (fits ? "(left out to fit " + std::to_string(width) + " columns: "
            : "(left out for " + std::to_string(width) + " columns, which the rest still exceeds: ") +
      joined(l.left_out, ", ") + "; " + full_view_ + ")";
  return out + wrap_words(note, width);
}

std::string wrap_words(const std::string& text, size_t width, const std::string& first,
                       const std::string& rest) {
  width = std::min(width, kMaxProseWidth);
  std::string out, line = first;
  bool empty_line = true;
  std::istringstream words(text);
  for (std::string w; words >> w;) {
    if (!empty_line && text_columns(line) + 1 + text_columns(w) > width) {
      out += line + "\n";
      line = rest;
      empty_line = true;
    }
    if (!empty_line) line += ' ';
    line += w;
    empty_line = false;
  }
  return out + line + "\n";
}

std::string fmt_fixed(double v, int decimals) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  // A value no GPU reaches (a corrupt or hand-edited file) must not print
  // hundreds of digits into a table.
  if (std::fabs(v) >= 1e15) std::snprintf(buf, sizeof buf, "%.3g", v);
  else std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string fmt_sig(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string fmt_fixed(const std::optional<double>& v, int decimals) {
  return v ? fmt_fixed(*v, decimals) : "-";
}

std::string fmt_percent_cell(const std::optional<double>& fraction, int decimals) {
  return fraction ? fmt_fixed(*fraction * 100.0, decimals) : "-";
}

std::string fmt_times(const std::optional<double>& ratio) { return ratio ? fmt_fixed(*ratio, 2) + "x" : "-"; }

std::string fmt_percent_apart(double fraction, double other, int decimals) {
  for (int d = decimals; d < 12; ++d)
    if (fraction == other || fmt_fixed(100 * fraction, d) != fmt_fixed(100 * other, d))
      return fmt_fixed(100 * fraction, d) + "%";
  return fmt_fixed(100 * fraction, 12) + "%";
}

std::string fmt_change(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", (ratio - 1) * 100);
  return buf;
}

std::string fmt_percent_given(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g%%", 100 * fraction);
  return buf;
}

std::string joined(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& item : items) out.append(out.empty() ? "" : sep).append(item);
  return out;
}

std::string fmt_si(double v) {
  if (std::isnan(v)) return "nan";
  static const char* suffix[] = {"", "k", "M", "G", "T", "P", "E"};
  const double unscaled = v;
  int i = 0;
  double a = std::fabs(v);
  while (a >= 999.5 && i < 6) {
    a /= 1000;
    v /= 1000;
    ++i;
  }
  char buf[64];
  if (a >= 999.5) {  // beyond exa: a mantissa and exponent, never a long row of digits
    std::snprintf(buf, sizeof buf, "%.3g", unscaled);
    return buf;
  }
  const int dec = a >= 99.95 ? 0 : a >= 9.995 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f%s", i == 0 && a == std::floor(a) ? 0 : dec, v, suffix[i]);
  return buf;
}

std::string fmt_time(double s) {
  // Three significant digits from 1 us up, whole ns below: 608 and 640 ns both
  // read "0.6 us" beside a +5.3% change.
  char buf[64];
  if (s < 0.9995e-6)
    std::snprintf(buf, sizeof buf, "%.0f ns", s * 1e9);
  else if (s < 9.995e-6)
    std::snprintf(buf, sizeof buf, "%.2f us", s * 1e6);
  else if (s < 1e-3)
    std::snprintf(buf, sizeof buf, "%.1f us", s * 1e6);
  else if (s < 1)
    std::snprintf(buf, sizeof buf, "%.3f ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

}  // namespace flopscope
