// flopscope: measure the FLOPs GPU kernels really execute.
// main parses the command line, runs the chosen subcommand, and maps every
// error to one line on stderr and one documented exit code.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/error.h"
#include "flopscope/version.h"
#include "flopscope_commit.h"

using namespace flopscope;

// A table cut short by a full disk must not exit 0: stdout is checked once
// the command is done (std::cout and stdio share the stream).
static int with_stdout_checked(int rc, bool four_is_inconclusive = false) {
  const std::optional<std::string> failure = cli::stdout_failure();
  if (!failure) return rc;
  std::fprintf(stderr, "flopscope: error: %s\n", failure->c_str());
  // An inconclusive compare whose report was lost is a failure too: CI jobs
  // that allow 4 would pass with no report. (`profile` passes on the
  // application's code, whatever it is.)
  return rc == cli::kOk || (four_is_inconclusive && rc == cli::kInconclusive) ? cli::kFailure : rc;
}

// Whether the command line chose `name`.
static bool is_subcommand_used(CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : app.get_subcommands())
    if (sub->get_name() == name) return true;
  return false;
}

// The command named `name`, or null.
static const CLI::App* command_named(CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : app.get_subcommands({}))
    if (sub->check_name(name)) return sub;
  return nullptr;
}

// An option of `sub` named by the word `word` ("--md", "--md=x", "-h"), or null.
static const CLI::Option* option_named(const CLI::App& sub, const std::string& word) {
  if (word.size() < 2 || word[0] != '-') return nullptr;
  const std::string name = word.substr(0, word.find('='));
  for (const CLI::Option* o : sub.get_options())
    if (o->nonpositional() && o->check_name(name)) return o;
  return nullptr;
}

// The number of edits between a and b: a character inserted, deleted or
// replaced, or two neighbours swapped ("--cvs" is one from "--csv").
static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// " (did you mean '--gpu'?)" for the option of `sub` at most two edits from
// `name`; empty when none is. Hidden (internal) options are never suggested.
static std::string did_you_mean(const CLI::App& sub, const std::string& name) {
  std::string nearest;
  size_t best = 3;
  for (const CLI::Option* o : sub.get_options()) {
    if (!o->nonpositional() || o->get_group().empty()) continue;
    for (const std::string& l : o->get_lnames()) {
      const std::string option = "--" + l;
      // Lengths more than two apart are more than two edits apart: a huge word
      // (128 KiB) costs no table of its length times the name's.
      if (name.size() > option.size() + 2 || option.size() > name.size() + 2) continue;
      if (const size_t d = edit_distance(name, option); d < best) best = d, nearest = option;
    }
  }
  return nearest.empty() ? "" : " (did you mean '" + nearest + "'?)";
}

// A word that is a number ("-5", "-0.5e3"): a value, not an option.
static bool is_number(const std::string& word) {
  char* end = nullptr;
  std::strtod(word.c_str(), &end);
  return !word.empty() && end == word.c_str() + word.size();
}

// The options of the chosen command, checked word by word; empty when every
// option is known and every value in its place.
//
// A word that looks like an option but is none of the command's is named,
// with the nearest option when one is close: CLI11 said "The following
// arguments were not expected: h200 --gpuu", or, for `check --contract F`,
// only that --contracts was required.
//
// CLI11 hands an option the next word whatever it is, so "--md --csv x.csv"
// would write Markdown to a file named "--csv" and then read x.csv as input.
// An option name, or the "--" before an application, where a value belongs is
// a missing value; the error names it. So is "--md=" with nothing after the
// '=' (an unset shell variable), which CLI11 also fills with the next word:
// `report --csv= a.json b.json` overwrote a.json. A flag given a value
// ("--json=2", which CLI11 reads as true) and a list of separators alone
// ("--dtype ,", for which CLI11 took the next word as the list) are refused
// too.
static std::string option_problem(CLI::App& app, int argc, char** argv) {
  const CLI::App* sub = argc < 2 ? nullptr : command_named(app, argv[1]);
  if (!sub) return {};
  for (int i = 2; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") break;  // the application's own arguments follow
    const CLI::Option* o = option_named(*sub, word);
    if (!o) {
      if (word.size() >= 2 && word[0] == '-' && !is_number(word)) {
        const std::string name = word.substr(0, word.find('='));
        return "unknown option '" + name + "' for 'flopscope " + sub->get_name() + "'" +
               did_you_mean(*sub, name) + " (see 'flopscope " + sub->get_name() + " --help')";
      }
      // Where positionals come last (`profile APP ARGS...`), the first word that
      // is not flopscope's starts them: the application's `--out` is its own.
      if (sub->get_positionals_at_end()) break;
      continue;
    }
    const size_t eq = word.find('=');
    const std::string name = word.substr(0, eq);
    if (o->get_items_expected_min() < 1) {
      if (eq != std::string::npos)
        return name + " is a flag and takes no value, got '" + word + "' (give " + name + " alone, or leave it out)";
      continue;
    }
    if (eq + 1 == word.size())
      return word + " has an empty value (give " + word + "VALUE, or leave the option out)";
    std::string value;
    if (eq != std::string::npos) {
      value = word.substr(eq + 1);
    } else if (i + 1 == argc) {
      return word + " needs a value, and is the last word (give " + word + " VALUE)";
    } else {
      value = argv[i + 1];
      if (value == "--" || option_named(*sub, value))
        return word + " needs a value, but the next word is '" + value + "' (give " + word + " VALUE)";
      // A misspelled option ("--md --cvs") was written to as a file: a value
      // that looks like an option must be given as --md=--x.
      if (value.rfind("--", 0) == 0)
        return word + " needs a value, but the next word '" + value + "' looks like an option" +
               did_you_mean(*sub, value.substr(0, value.find('='))) +
               " (a value that starts with '--': give " + word + "=VALUE)";
      ++i;  // skip the value
    }
    if (const char d = o->get_delimiter(); d != '\0' && !value.empty() &&
        value.find_first_not_of(d) == std::string::npos)
      return name + " '" + value + "' names no item (give a list such as a" + d + "b)";
  }
  return {};
}

// What is wrong with the command line, found before CLI11 reads it, as one
// line; empty when nothing is.
static std::string command_line_problem(CLI::App& app, int argc, char** argv) {
  if (argc < 2) return {};
  const std::string first = argv[1];
  // CLI11 answers --version as soon as it sees it, whatever follows: a word
  // after it is a mistake the user should hear about, not silently dropped.
  if (argc > 2 && first == "--version")
    return "--version takes nothing after it, got '" + std::string(argv[2]) +
           "' (run 'flopscope --version' alone)";
  // CLI11 would only say "a subcommand is required"; name the unknown word.
  if (first[0] == '-' && !option_named(app, first))
    return "unknown option '" + first + "' before the command (see 'flopscope --help')";
  if (first[0] != '-' && !command_named(app, first))
    return "unknown command '" + first + "' (see 'flopscope --help')";
  return option_problem(app, argc, argv);
}

// A reader that stops early (`| head`) makes writes fail with EPIPE instead of
// killing flopscope, so that its other outputs (--md, --junit) are still
// written and its exit code is its own. A no-op handler, not SIG_IGN: ignored
// signals stay ignored across exec, and `profile` must not change its app's.
static void ignore_broken_pipe() {
  struct sigaction sa{};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGPIPE, &sa, nullptr);
}

int main(int argc, char** argv) {
  // A parent that ignores SIGCHLD (some daemons and supervisors do) passes that
  // on, and the kernel would then reap the programs flopscope runs itself:
  // waitpid could not say how the application ended, and profile lost its exit
  // status and every result. They inherit the default instead.
  ::signal(SIGCHLD, SIG_DFL);
  CLI::App app{"flopscope: measured FLOPs, MFU and roofline positions for NVIDIA GPU kernels.\n"
               "Exit codes: 0 ok, 1 failure or regression, 2 bad usage or input, 3 no GPU/driver/"
               "permission, 4 inconclusive.",
               "flopscope"};
  app.set_version_flag("--version", std::string("flopscope ") + FLOPSCOPE_VERSION + " (" +
                                        FLOPSCOPE_GIT_COMMIT + ")");
  app.require_subcommand(1);
  app.fallthrough(false);
  cli::add_registered_commands(app);

  if (const std::string why = command_line_problem(app, argc, argv); !why.empty()) {
    std::fprintf(stderr, "flopscope: error: %s\n", error_line(why).c_str());
    return cli::kBadInput;
  }
  ignore_broken_pipe();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return with_stdout_checked(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return with_stdout_checked(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return with_stdout_checked(app.exit(e));
  } catch (const CLI::ParseError& e) {
    // One line, naming the problem and where to look, instead of CLI11's two.
    std::string where = "flopscope";
    for (const CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
    std::fprintf(stderr, "flopscope: error: %s (see '%s --help')\n", error_line(e.what()).c_str(), where.c_str());
    return cli::kBadInput;
  }

  try {
    cli::Action* action = cli::selected_action(app);
    const bool verdict = is_subcommand_used(app, "compare") || is_subcommand_used(app, "check");
    return with_stdout_checked(action ? (*action)() : cli::kBadInput, verdict);
  } catch (const Error& e) {
    std::fprintf(stderr, "flopscope: error: %s\n", error_line(e.what()).c_str());
    return cli::exit_code_for(e.kind());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "flopscope: error: out of host memory: free memory, or use smaller shapes or inputs\n");
    return cli::kFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flopscope: internal error: %s\n", error_line(e.what()).c_str());
    return cli::kFailure;
  }
}
