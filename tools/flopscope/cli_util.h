#pragma once
// Helpers shared by the subcommands, and the command line they declare.
//
// The subcommands declare their options through Command and Option below,
// thin handles on CLI11's App and Option: CLI11's header costs every file that
// includes it about 10 s of compile time, so only cli_util.cpp and main.cpp do.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/results.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace flopscope::cli {

/// What a subcommand's action returns: its exit code.
using Action = std::function<int()>;

/// A check on an option's value, run by CLI11 as it parses (the factory
/// functions below make them).
struct Check {
  enum class Kind {
    positive_number, finite_number, percentage, positive_integer, non_negative_integer, integer, not_empty,
    one_of
  };
  Kind kind;
  int max_digits = 0;                  // non_negative_integer, integer
  std::vector<std::string> choices{};  // one_of
  int64_t max_value = 0;              // positive_integer
  std::string why_max{};               // positive_integer: why max_value, if not a format limit
};

/// One option of a subcommand (a CLI::Option). Each call returns the option,
/// so that calls chain as in CLI11.
class Option {
 public:
  Option() = default;
  explicit Option(CLI::Option* option) : option_(option) {}
  Option check(const Check& c);      // refuses a bad value
  Option transform(const Check& c);  // ... and may rewrite a good one (the integer checks)
  Option required();
  Option group(const std::string& name);  // "" hides the option from --help
  Option excludes(Option other);
  Option delimiter(char separator);
  Option default_val(const std::string& value);
  Option capture_default_str();
  Option allow_extra_args(bool allow);
  /// How many times the option was given.
  size_t count() const;

 private:
  CLI::Option* option_ = nullptr;
};

/// A command or subcommand (a CLI::App). Options store their value in `into`,
/// which must outlive the parse.
class Command {
 public:
  explicit Command(CLI::App* app) : app_(app) {}
  Command add_subcommand(const std::string& name, const std::string& description);
  Option add_option(const std::string& name, std::string& into, const std::string& help);
  Option add_option(const std::string& name, std::vector<std::string>& into, const std::string& help);
  Option add_option(const std::string& name, double& into, const std::string& help);
  Option add_option(const std::string& name, int& into, const std::string& help);
  Option add_option(const std::string& name, int64_t& into, const std::string& help);
  Option add_option(const std::string& name, std::optional<int>& into, const std::string& help);
  Option add_flag(const std::string& name, bool& into, const std::string& help);
  /// The names of the options given on this command line ("--json"), in declaration order.
  std::vector<std::string> given_options() const;
  /// Every word after the first positional is positional too (an
  /// application's arguments: `profile app --out x` passes --out to app).
  void positionals_at_end();
  CLI::App* app() const { return app_; }

 private:
  CLI::App* app_;
};

/// Registers `sub` so that main runs `action` when it is selected.
void set_action(Command sub, Action action);
/// The action of the selected subcommand, if any.
Action* selected_action(CLI::App& app);

/// True when stdout is a terminal and NO_COLOR is unset.
bool stdout_is_color_tty();
/// For stdout_width: a file or pipe gets every character of a table's cells.
inline constexpr size_t kNoWidthLimit = size_t(1) << 20;
/// Columns for the terminal tables: the terminal's width, else COLUMNS
/// (60..1000), else no limit (a pipe or file: a cut cell may hide what tells
/// two rows apart, as `causal=` at a shape's end did).
size_t stdout_width();
/// Flushes standard output; what to say when it could not be written (a full
/// disk), else nothing. A pipe whose reader stopped early (`| head`) is the
/// reader's choice, not a failure.
std::optional<std::string> stdout_failure();

/// Option checks with one short message, NaN and infinity refused (CLI11's
/// PositiveNumber lets NaN through and prints its range with 309 digits).
Check positive_number();
/// Any finite number (the command checks its range); "5%", "nan", "inf" and
/// "" are refused, naming what was given.
Check finite_number();
/// A percentage: a finite number, with or without '%' ("5" and "5%" are 5).
/// Give it with transform(), which passes the number on without the '%'.
Check percentage();
/// The integer ones take decimal digits only (CLI11 alone reads "010" as octal
/// 8 and saturates a number past int64) and pass the number on without leading
/// zeros: give them with transform(), not check(), which would discard that.
/// A positive integer up to max, with the reason for that limit in the message
/// when it is the command's ("every time is kept ...") rather than the format's.
Check positive_integer(int64_t max = 999'999'999, std::string why_max = "");
Check non_negative_integer(int max_digits = 18);
/// A whole number with an optional '-', for options whose command explains a
/// negative value itself.
Check integer(int max_digits = 18);
/// For string options whose empty value would silently mean "not given".
Check not_empty();
/// One of these words (CLI11's IsMember).
Check one_of(std::vector<std::string> choices);

/// An output given as this is standard output (report's --csv - and kin).
inline constexpr const char* kStdoutName = "-";

/// A file a command writes: where, what it holds, and what it is ("Markdown").
struct OutputFile {
  std::string path, content;
  const char* what;
};
/// Writes every file with a path, all or none (write_files_atomic), and says
/// so on stderr, a line each.
void write_outputs(const std::vector<OutputFile>& files);
/// Writes `content` atomically to `path` and says so on stderr.
void write_output(const std::string& path, const std::string& content, const char* what);
/// Checks every non-empty output path before any work, so that a bad one
/// leaves no other output written and no long run lost (check_output_path),
/// and that no two outputs, and no output and input, are one file
/// (check_outputs_apart). '-' is refused: a command that takes it for
/// standard output leaves it out of `paths`.
void check_outputs(const std::vector<std::string>& paths, const std::vector<std::string>& inputs = {});

/// Refuses a results file given twice (by any two names): its runs would be
/// counted, reported or pooled twice.
void refuse_repeated_files(const std::vector<std::string>& paths);

}  // namespace flopscope::cli

namespace flopscope::cli {

/// Subcommands register themselves from their own file, so adding one touches
/// no shared code:
///   static const bool registered = register_command(30, add_specs_command);
/// `order` sets their place in --help (lower first).
using CommandAdder = void (*)(Command app);
bool register_command(int order, CommandAdder add);
/// Adds every registered subcommand to `app`, in order.
void add_registered_commands(CLI::App& app);

}  // namespace flopscope::cli
