#pragma once
// Runs the built flopscope binary and captures what it printed.
#include <string>
#include <vector>

namespace flopscope::test {

struct CliResult {
  int exit_code = -1;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// `stdout_to` that makes stdout a pipe whose reader has gone, as `| head`
/// leaves one once it has its lines.
inline const std::string kClosedPipe = "<closed pipe>";

/// Runs `flopscope ARGS...` with no shell in between; `env` entries are
/// "NAME=value" strings added to the environment. `stdout_to`, when given, is
/// opened as its stdout instead of a capture file (e.g. /dev/full, kClosedPipe).
CliResult run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                  const std::string& stdout_to = {});

/// A fresh empty directory under the system temp dir, removed at exit.
std::string temp_dir();

}  // namespace flopscope::test
