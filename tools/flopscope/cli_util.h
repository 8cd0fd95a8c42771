#pragma once
// Helpers shared by the subcommands.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "flopscope/results.h"

namespace flopscope::cli {

/// What a subcommand's action returns: its exit code.
using Action = std::function<int()>;

/// Registers `sub` so that main runs `action` when it is selected.
void set_action(CLI::App* sub, Action action);
/// The action of the selected subcommand, if any.
Action* selected_action(CLI::App& app);

/// True when stdout is a terminal and NO_COLOR is unset.
bool stdout_is_color_tty();
/// Columns for the terminal tables: the terminal's width, else COLUMNS
/// (60..1000), else 160.
size_t stdout_width();

/// Option checks with one short message, NaN and infinity refused (CLI11's
/// PositiveNumber lets NaN through and prints its range with 309 digits).
CLI::Validator positive_number();
/// Any finite number (the command checks its range); "5%", "nan", "inf" and
/// "" are refused, naming what was given.
CLI::Validator finite_number();
/// The integer ones take decimal digits only (CLI11 alone reads "010" as octal
/// 8 and saturates a number past int64) and pass the number on without leading
/// zeros: give them with ->transform(), not ->check(), which would discard that.
CLI::Validator positive_integer();
CLI::Validator non_negative_integer(int max_digits = 18);
/// A whole number with an optional '-', for options whose command explains a
/// negative value itself.
CLI::Validator integer(int max_digits = 18);
/// For string options whose empty value would silently mean "not given".
CLI::Validator not_empty();

/// An output given as this is standard output (report's --csv - and kin).
inline constexpr const char* kStdoutName = "-";

/// Writes `content` atomically to `path` and says so on stderr.
void write_output(const std::string& path, const std::string& content, const char* what);
/// Checks every non-empty output path before any work, so that a bad one
/// leaves no other output written and no long run lost (check_output_path),
/// and that no two outputs, and no output and input, are one file
/// (check_outputs_apart). '-' is refused: a command that takes it for
/// standard output leaves it out of `paths`.
void check_outputs(const std::vector<std::string>& paths, const std::vector<std::string>& inputs = {});

}  // namespace flopscope::cli

namespace flopscope::cli {

/// Subcommands register themselves from their own file, so adding one touches
/// no shared code:
///   static const bool registered = register_command(30, add_specs_command);
/// `order` sets their place in --help (lower first).
using CommandAdder = void (*)(CLI::App& app);
bool register_command(int order, CommandAdder add);
/// Adds every registered subcommand to `app`, in order.
void add_registered_commands(CLI::App& app);

}  // namespace flopscope::cli
