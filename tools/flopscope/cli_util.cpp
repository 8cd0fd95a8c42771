#include "cli_util.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flopscope/error.h"

namespace flopscope::cli {

static std::map<CLI::App*, Action>& actions() {
  static std::map<CLI::App*, Action> m;
  return m;
}

void set_action(Command sub, Action action) { actions()[sub.app()] = std::move(action); }

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
  for (const auto& [order, add] : v) add(Command(&app));
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

static CLI::Validator positive_number_validator() {
  return CLI::Validator(
      [](std::string& in) -> std::string {
        const auto v = finite_decimal(in);
        return v && *v > 0 ? "" : "must be a finite number above 0, got '" + in + "'";
      },
      "NUMBER > 0");
}

static CLI::Validator finite_number_validator() {
  return CLI::Validator(
      [](std::string& in) -> std::string {
        return finite_decimal(in) ? "" : "must be a finite number, got '" + in + "'";
      },
      "NUMBER");
}

static CLI::Validator percentage_validator() {
  return CLI::Validator(
      [](std::string& in) -> std::string {
        std::string number = in;
        if (!number.empty() && number.back() == '%') number.pop_back();
        if (!finite_decimal(number)) return "must be a percentage (5 or 5%), got '" + in + "'";
        in = number;
        return "";
      },
      "PERCENT");
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

static CLI::Validator positive_integer_validator(int64_t max, const std::string& why_max) {
  return CLI::Validator(
      [max, why_max](std::string& in) -> std::string {
        const std::string n = all_digits(in) ? without_leading_zeros(in) : std::string();
        // 18 digits always fit an int64_t; max is below that.
        if (n.empty() || n.size() > 18 || n == "0" || std::stoll(n) > max)
          return "must be a whole number from 1 to " + std::to_string(max) +
                 (why_max.empty() ? "" : " (" + why_max + ")") + ", got '" + in + "'";
        in = n;
        return "";
      },
      "INTEGER >= 1");
}

static CLI::Validator non_negative_integer_validator(int max_digits) {
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

static CLI::Validator integer_validator(int max_digits) {
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

static CLI::Validator not_empty_validator() {
  return CLI::Validator([](std::string& in) -> std::string { return in.empty() ? "must not be empty" : ""; },
                        "");
}

Check positive_number() { return {.kind = Check::Kind::positive_number}; }
Check finite_number() { return {.kind = Check::Kind::finite_number}; }
Check percentage() { return {.kind = Check::Kind::percentage}; }
Check positive_integer(int64_t max, std::string why_max) {
  return {.kind = Check::Kind::positive_integer, .max_value = max, .why_max = std::move(why_max)};
}
Check non_negative_integer(int max_digits) {
  return {.kind = Check::Kind::non_negative_integer, .max_digits = max_digits};
}
Check integer(int max_digits) { return {.kind = Check::Kind::integer, .max_digits = max_digits}; }
Check not_empty() { return {.kind = Check::Kind::not_empty}; }
Check one_of(std::vector<std::string> choices) {
  return {.kind = Check::Kind::one_of, .choices = std::move(choices)};
}

static CLI::Validator validator(const Check& c) {
  switch (c.kind) {
    case Check::Kind::positive_number: return positive_number_validator();
    case Check::Kind::finite_number: return finite_number_validator();
    case Check::Kind::percentage: return percentage_validator();
    case Check::Kind::positive_integer: return positive_integer_validator(c.max_value, c.why_max);
    case Check::Kind::non_negative_integer: return non_negative_integer_validator(c.max_digits);
    case Check::Kind::integer: return integer_validator(c.max_digits);
    case Check::Kind::not_empty: return not_empty_validator();
    case Check::Kind::one_of: return CLI::IsMember(c.choices);
  }
  throw std::logic_error("unknown option check");
}

Option Option::check(const Check& c) { option_->check(validator(c)); return *this; }
Option Option::transform(const Check& c) { option_->transform(validator(c)); return *this; }
Option Option::required() { option_->required(); return *this; }
Option Option::group(const std::string& name) { option_->group(name); return *this; }
Option Option::excludes(Option other) { option_->excludes(other.option_); return *this; }
Option Option::delimiter(char separator) { option_->delimiter(separator); return *this; }
Option Option::default_val(const std::string& value) { option_->default_val(value); return *this; }
Option Option::capture_default_str() { option_->capture_default_str(); return *this; }
Option Option::allow_extra_args(bool allow) { option_->allow_extra_args(allow); return *this; }
size_t Option::count() const { return option_->count(); }

Command Command::add_subcommand(const std::string& name, const std::string& description) {
  return Command(app_->add_subcommand(name, description));
}
Option Command::add_option(const std::string& name, std::string& into, const std::string& help) {
  return Option(app_->add_option(name, into, help));
}
Option Command::add_option(const std::string& name, std::vector<std::string>& into, const std::string& help) {
  return Option(app_->add_option(name, into, help));
}
Option Command::add_option(const std::string& name, double& into, const std::string& help) {
  return Option(app_->add_option(name, into, help));
}
Option Command::add_option(const std::string& name, int& into, const std::string& help) {
  return Option(app_->add_option(name, into, help));
}
Option Command::add_option(const std::string& name, int64_t& into, const std::string& help) {
  return Option(app_->add_option(name, into, help));
}
Option Command::add_option(const std::string& name, std::optional<int>& into, const std::string& help) {
  return Option(app_->add_option(name, into, help));
}
Option Command::add_flag(const std::string& name, bool& into, const std::string& help) {
  return Option(app_->add_flag(name, into, help));
}
void Command::positionals_at_end() { app_->positionals_at_end(); }

std::vector<std::string> Command::given_options() const {
  std::vector<std::string> names;
  for (const CLI::Option* o : app_->get_options())
    if (o->count() > 0) names.push_back(o->get_name());
  return names;
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
  return kNoWidthLimit;
}

std::optional<std::string> stdout_failure() {
  std::cout.flush();
  errno = 0;
  const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) || std::cout.fail();
  if (!failed) return std::nullopt;
  struct stat st{};
  if (::fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) return std::nullopt;
  const int err = errno;
  return std::string("cannot write standard output (") + (err ? std::strerror(err) : "write failed") +
         "): check the disk or pipe it is sent to";
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

void refuse_repeated_files(const std::vector<std::string>& paths) {
  for (size_t i = 0; i < paths.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (same_file(paths[i], paths[j]))
        throw_bad_input(paths[i] + " is given twice (as '" + paths[j] + "'): give each results file once");
}

void write_outputs(const std::vector<OutputFile>& files) {
  std::vector<FileToWrite> to_write;
  for (const OutputFile& f : files)
    if (!f.path.empty()) to_write.push_back({f.path, f.content});
  write_files_atomic(to_write);
  for (const OutputFile& f : files)
    if (!f.path.empty()) std::fprintf(stderr, "wrote %s: %s\n", f.what, one_line(f.path).c_str());
}

void write_output(const std::string& path, const std::string& content, const char* what) {
  write_outputs({{path, content, what}});
}

}  // namespace flopscope::cli
