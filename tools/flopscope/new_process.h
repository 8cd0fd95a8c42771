#pragma once
// What `flopscope bench` needs to go on in a fresh process after a kernel fault
// has left its CUDA context unusable (a fault is sticky: no later CUDA call in
// the process can succeed). Host-only, tested on the CPU.
#include <string>
#include <vector>

namespace flopscope::cli {

/// Runs `exe` with `args` (argv[0] is `exe`), its stdout sent to /dev/null and
/// its stderr shared, and waits: its exit code, or 128 + the signal that
/// ended it. Throws Error(failure) when it cannot be started.
int run_quietly(const std::string& exe, const std::vector<std::string>& args);

/// This program's own executable (/proc/self/exe).
std::string self_executable();

}  // namespace flopscope::cli
