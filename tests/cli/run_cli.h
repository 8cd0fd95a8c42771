#pragma once
// Runs the built flopscope binary and captures what it printed.
#include <string>
#include <vector>

namespace flopscope::test {

struct CliResult {
  int exit_code = -1;  ///< 128 + the signal when a signal ended it, as a shell says
  int signal = 0;      ///< the signal that ended it; 0 when it exited
  std::string out;     ///< stdout
  std::string err;     ///< stderr
};

/// A flopscope started by start_cli and not yet waited for.
struct RunningCli {
  int pid = -1;
  std::string out_path, err_path;
  bool capture_out = true;
};

/// `stdout_to` that makes stdout a pipe whose reader has gone, as `| head`
/// leaves one once it has its lines.
inline const std::string kClosedPipe = "<closed pipe>";

/// Runs `flopscope ARGS...` with no shell in between; `env` entries are
/// "NAME=value" strings added to the environment. `stdout_to`, when given, is
/// opened as its stdout instead of a capture file (e.g. /dev/full, kClosedPipe).
CliResult run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                  const std::string& stdout_to = {});

/// run_cli in two halves, for a test that signals the process in between.
RunningCli start_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                     const std::string& stdout_to = {});
CliResult finish_cli(const RunningCli& running);

/// Whether an NVIDIA GPU's device node (/dev/nvidia0, /dev/nvidia1, ...) is
/// here, read without flopscope: a test of what flopscope says where there is
/// no GPU must not learn that from the command under test.
bool nvidia_device_node_present();

/// `profile`'s exit status for an application that succeeded without CUDA
/// starting in it: 3 where no GPU is here (profiling was impossible; with no
/// driver the injection library is never loaded), 0 where one is.
inline int profile_exit_without_cuda() { return nvidia_device_node_present() ? 0 : 3; }

/// Whether `err` says there is no GPU to run on (no driver, or one that sees no
/// device), as device_count_failure words it: a test of the no-GPU path that
/// checked only exit 3 and one line passed for any other error of that code.
inline bool says_no_gpu(const std::string& err) {
  return err.find("no NVIDIA driver found") != std::string::npos ||
         err.find("no CUDA-capable GPU is visible") != std::string::npos;
}

/// A fresh empty directory under the system temp dir, removed at exit.
std::string temp_dir();

}  // namespace flopscope::test
