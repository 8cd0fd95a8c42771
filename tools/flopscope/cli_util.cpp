#include "cli_util.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>
#include <sys/ioctl.h>
#include <unistd.h>

#include "flopscope/error.h"

namespace flopscope::cli {

static std::map<CLI::App*, Action>& actions() {
  static std::map<CLI::App*, Action> m;
  return m;
}

void set_action(CLI::App* sub, Action action) { actions()[sub] = std::move(action); }

Action* selected_action(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands()) {
    auto it = actions().find(sub);
    if (it != actions().end()) return &it->second;
  }
  return nullptr;
}

static std::vector<std::pair<int, CommandAdder>>& commands() {
  static std::vector<std::pair<int, CommandAdder>> v;
  return v;
}

bool register_command(int order, CommandAdder add) {
  commands().emplace_back(order, add);
  return true;
}

void add_registered_commands(CLI::App& app) {
  auto v = commands();
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [order, add] : v) add(app);
}

bool stdout_is_color_tty() {
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0');
}

// A finite number in decimal (or e) notation as typed: strtod also took hex
// ("0x10" as 16), leading spaces and '+'.
static std::optional<double> finite_decimal(const std::string& in) {
  double v = 0;
  const char* end = in.data() + in.size();
  const auto [p, ec] = std::from_chars(in.data(), end, v, std::chars_format::general);
  if (ec != std::errc() || p != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& in) -> std::string {
        const auto v = finite_decimal(in);
        return v && *v > 0 ? "" : "must be a finite number above 0, got '" + in + "'";
      },
      "NUMBER > 0");
}

CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& in) -> std::string {
        return finite_decimal(in) ? "" : "must be a finite number, got '" + in + "'";
      },
      "NUMBER");
}

static bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// CLI11 reads an integer with strtoll in base 0: "010" is octal 8, "09" cannot
// be converted, and a number past int64 saturates to 9223372036854775807.
// Every integer option goes through one of the validators below, given by
// ->transform(), which refuses all but decimal digits and hands CLI11 the
// number without its leading zeros, so "010" is ten.
static std::string without_leading_zeros(const std::string& digits) {
  const auto first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

CLI::Validator positive_integer() {
  return CLI::Validator(
      [](std::string& in) -> std::string {
        const std::string n = all_digits(in) ? without_leading_zeros(in) : std::string();
        if (n.empty() || n.size() > 9 || n == "0")
          return "must be a whole number from 1 to 999999999, got '" + in + "'";
        in = n;
        return "";
      },
      "INTEGER >= 1");
}

CLI::Validator non_negative_integer(int max_digits) {
  return CLI::Validator(
      [max_digits](std::string& in) -> std::string {
        // 18 digits always fit an int64_t, 9 an int.
        const std::string n = all_digits(in) ? without_leading_zeros(in) : std::string();
        if (n.empty() || n.size() > size_t(max_digits))
          return "must be a whole number, 0 or more (at most " + std::to_string(max_digits) +
                 " digits), got '" + in + "'";
        in = n;
        return "";
      },
      "INTEGER >= 0");
}

CLI::Validator integer(int max_digits) {
  return CLI::Validator(
      [max_digits](std::string& in) -> std::string {
        // A sign is let through: the command names what a negative value means.
        const bool neg = !in.empty() && in[0] == '-';
        const std::string digits = in.substr(neg ? 1 : 0);
        const std::string n = all_digits(digits) ? without_leading_zeros(digits) : std::string();
        if (n.empty() || n.size() > size_t(max_digits))
          return "must be a whole number (at most " + std::to_string(max_digits) + " digits), got '" +
                 in + "'";
        in = (neg && n != "0" ? "-" : "") + n;
        return "";
      },
      "INTEGER");
}

CLI::Validator not_empty() {
  return CLI::Validator([](std::string& in) -> std::string { return in.empty() ? "must not be empty" : ""; },
                        "");
}

size_t stdout_width() {
  // A terminal: its width. A file or pipe: wide enough for whole kernel names,
  // unless COLUMNS says otherwise.
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return std::max<size_t>(ws.ws_col, 60);
  if (const char* c = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long v = std::strtol(c, &end, 10);
    if (end != c && *end == '\0' && v >= 60 && v <= 1000) return size_t(v);
  }
  return 160;
}

void check_outputs(const std::vector<std::string>& paths, const std::vector<std::string>& inputs) {
  for (const auto& p : paths) {
    // '-' reads as standard output; here it would make a file called '-'.
    if (p == kStdoutName)
      throw_bad_input("an output named '-': this command writes files, not standard output (only 'flopscope "
                      "report' takes '-'); give a file name, ./- for a file called '-'");
    if (!p.empty()) check_output_path(p);
  }
  check_outputs_apart(paths, inputs);
}

void write_output(const std::string& path, const std::string& content, const char* what) {
  write_file_atomic(path, content);
  std::fprintf(stderr, "wrote %s: %s\n", what, one_line(path).c_str());
}

}  // namespace flopscope::cli
