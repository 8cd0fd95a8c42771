#pragma once
/// A small text table: aligned columns that fit a width, with optional ANSI
/// color that is dropped when the output is not a terminal.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flopscope {

enum class Align { left, right };
enum class Color { none, red, green, yellow, blue, dim };

struct Cell {
  std::string text;
  Color color = Color::none;
  Cell(const char* t) : text(t) {}  // NOLINT: cells are built from literals freely
  Cell(std::string t, Color c = Color::none) : text(std::move(t)), color(c) {}
};

class Table {
 public:
  /// `shrinkable` columns give up width (truncated with "..") to fit, at the
  /// end, or in the middle with `keep_end` (a kernel's label ends in its NVTX
  /// range, the part that tells a profile's rows apart).
  void add_column(std::string header, Align align, bool shrinkable = false, bool keep_end = false);
  /// The last column added, if shrinkable, keeps at least `w` columns (6
  /// unless set): a kernel cut to "gemm.." names no kernel.
  void set_min_width(size_t w);
  /// What a kernel label and a shape keep at least, in every table of them.
  static constexpr size_t kMinKernelWidth = 24, kMinShapeWidth = 14;
  /// The last column added may be left out where the table cannot fit
  /// otherwise, lowest rank first; the table then ends with a line naming it.
  void set_drop_rank(int rank);
  /// Where the columns left out can be read, for the note that names them.
  void set_full_view(std::string where) { full_view_ = std::move(where); }
  void add_row(std::vector<Cell> cells);
  /// Renders with every line at most `width` columns wide, as far as the
  /// columns' minimum widths allow.
  std::string render(size_t width, bool color) const;

 private:
  /// The columns shown, their widths, the headers of those left out, and the
  /// width of a line (the columns shown, a space apart).
  struct Layout {
    std::vector<bool> shown;
    std::vector<size_t> width;
    std::vector<std::string> left_out;
    size_t line_width = 0;
  };
  Layout fit_to(size_t width) const;
  struct Column {
    std::string header;
    Align align;
    bool shrinkable;
    bool keep_end;
    size_t min_width = 6;
    int drop_rank = 0;  ///< 0: always shown
  };
  std::vector<Column> cols_;
  std::vector<std::vector<Cell>> rows_;
  std::string full_view_ = "--md and --csv have every column";
};

/// Prose is wrapped at no more than this many columns: a file or pipe has no
/// width, and a note of 300 characters on one line is hard to read.
inline constexpr size_t kMaxProseWidth = 160;
/// `text` in lines of at most `width` terminal columns (and kMaxProseWidth)
/// where words allow (greedy; a longer word keeps a line of its own), the
/// first line starting with `first`, the others with `rest`; every line ends
/// in a newline.
std::string wrap_words(const std::string& text, size_t width, const std::string& first = "",
                       const std::string& rest = "");

/// Number formatting shared by every reporter.
std::string fmt_fixed(double v, int decimals);
/// `digits` significant digits, as %g writes them: fmt_sig(0.0268, 3) is
/// "0.0268", fmt_sig(1.5e20, 4) "1.5e+20"; 17 digits give a double back exactly.
std::string fmt_sig(double v, int digits);
/// An optional value as a table cell: fixed, or "-" when there is none.
std::string fmt_fixed(const std::optional<double>& v, int decimals);
/// A fraction as a percent with `decimals` decimals, more where needed so that
/// it does not read equal to `other` when it differs: a difference and the
/// tolerance it is held to ("0.002% DIFFERS" beside a 0.0016% tolerance).
std::string fmt_percent_apart(double fraction, double other, int decimals);
/// A ratio as the signed change it is, one decimal: 1.078 -> "+7.8%".
std::string fmt_change(double ratio);
/// A fraction as a table cell under a "%" header: 0.837 is "83.7", none is "-".
std::string fmt_percent_cell(const std::optional<double>& fraction, int decimals = 1);
/// A ratio as so many times: 1.874 is "1.87x", none is "-".
std::string fmt_times(const std::optional<double>& ratio);
/// A tolerance (a fraction) as the percent it was given: "0.55%", "0.0016%".
std::string fmt_percent_given(double fraction);
/// 3 significant digits with an SI suffix: 1.23G, 456M, 7.89T.
std::string fmt_si(double v);
/// The items with `sep` between them ("a, b, c"), for lists in messages.
std::string joined(const std::vector<std::string>& items, std::string_view sep = ", ");
/// Seconds in the most readable unit, three or four significant digits:
/// "608 ns", "8.12 us", "812.0 us", "1.420 ms", "2.10 s".
std::string fmt_time(double seconds);

}  // namespace flopscope
