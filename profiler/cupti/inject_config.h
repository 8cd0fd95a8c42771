#pragma once
// How `flopscope profile` configures the injection library it loads into an
// application: a handful of environment variables, so the settings reach every
// child process the application starts. Plain code, tested on the CPU.
#include <functional>
#include <string>
#include <vector>

#include "activity_profile.h"

namespace flopscope::cupti {

inline constexpr const char* kEnvProfileDir = "FLOPSCOPE_PROFILE_DIR";
inline constexpr const char* kEnvKernelRegex = "FLOPSCOPE_PROFILE_KERNEL_REGEX";
inline constexpr const char* kEnvLaunchSkip = "FLOPSCOPE_PROFILE_LAUNCH_SKIP";
inline constexpr const char* kEnvLaunchCount = "FLOPSCOPE_PROFILE_LAUNCH_COUNT";
inline constexpr const char* kEnvNvtxInclude = "FLOPSCOPE_PROFILE_NVTX_INCLUDE";  ///< one range per line
inline constexpr const char* kEnvPeriodMs = "FLOPSCOPE_PROFILE_PERIOD_MS";
inline constexpr const char* kEnvSet = "FLOPSCOPE_PROFILE_SET";        ///< timing, flops, roofline
inline constexpr const char* kEnvTensor = "FLOPSCOPE_PROFILE_TENSOR";  ///< comma-separated
inline constexpr const char* kEnvCounters = "FLOPSCOPE_PROFILE_COUNTERS";  ///< "1": write raw counter files

struct InjectConfig {
  std::string dir;  ///< where each process writes flopscope-<pid>.json and .status (InjectFileId)
  LaunchFilterOptions filter;
  int period_ms = 5000;  ///< rewrite the results this often (a crash loses at most this); 0: never
  std::string metric_set = "timing";  ///< "bytes", "flops" or "roofline" add range-profiler counters
  std::vector<std::string> tensor;    ///< tensor-core source types to count
  bool counters = false;  ///< each process also writes its raw counters (.fscounters)
};

/// "NAME=value" entries for the application's environment.
std::vector<std::string> inject_environment(const InjectConfig& c);

/// Reads the configuration through `getenv` (std::getenv in the library).
/// Throws bad_input naming the variable when a number is malformed.
InjectConfig inject_config_from_env(const std::function<const char*(const char*)>& getenv);
/// FLOPSCOPE_PROFILE_PERIOD_MS alone (5000 when unset), for `flopscope
/// profile`, which replaces the other variables for the application: a stale
/// one left in the user's shell must not fail it.
int inject_period_from_env(const std::function<const char*(const char*)>& getenv);

/// Whose files: a process, and which of its program images (0 for the first;
/// 1, 2, ... for a program it exec()s, which keeps the pid, or a later process
/// given a pid the run has already seen). Files are flopscope-<pid>[.<image>].*
struct InjectFileId {
  int pid = 0;
  int image = 0;
};

/// Claims the first free file id of `pid` in `dir` by creating its status file
/// (O_EXCL), so that a program exec()ed in the same process, which runs no exit
/// handler, cannot overwrite what the one before it wrote. Where nothing can be
/// created (the directory gone), image 0: the writes then fail and say why.
InjectFileId claim_inject_files(const std::string& dir, int pid);

/// Per-process output files inside InjectConfig::dir.
std::string inject_results_path(const std::string& dir, InjectFileId id);
std::string inject_status_path(const std::string& dir, InjectFileId id);
/// The raw counter file of a process's `index`-th profiled context (0, 1, ...):
/// flopscope-<pid>[.<image>].fscounters for the first,
/// flopscope-<pid>[.<image>]-<index>.fscounters for the others.
std::string inject_counters_path(const std::string& dir, InjectFileId id, size_t index);

}  // namespace flopscope::cupti
