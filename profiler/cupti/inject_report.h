#pragma once
// What `flopscope profile` concludes from the files the injection library left
// behind: the merged results, the notes to print, and the exit code. Plain
// code, tested on the CPU with synthetic status files and results.
#include <string>
#include <vector>

#include "activity_profile.h"
#include "flopscope/results.h"

namespace flopscope::cupti {

/// Everything the processes of one profiled run wrote.
struct ProfileCollection {
  std::vector<InjectStatus> statuses;  ///< one per process that initialised CUDA
  ResultsDoc doc;                      ///< merged over processes
  /// A process's results file that exists but could not be read, and why
  /// (too large, not UTF-8): what it held is lost, which profile must not call success.
  std::vector<std::string> unreadable;
};

/// Reads every flopscope-<pid>[.<image>].status and .json in `dir`. A results file that
/// is missing (a process killed before its first write) is skipped; one that
/// cannot be read is skipped and listed in `unreadable`.
ProfileCollection read_profile_dir(const std::string& dir, std::vector<std::string>& notes);

/// The raw counter files in `dir` (flopscope-<pid>[.<image>][-<n>].fscounters),
/// by pid, then program image, then context index.
std::vector<std::string> list_counter_files(const std::string& dir);

/// The results file written beside a status file (same stem, .json).
std::string inject_results_for(const std::string& status_path);

/// How the application ended, as a shell reports it.
struct AppExit {
  int code = 0;    ///< exit status, or 128 + signal
  int signal = 0;  ///< the signal that ended it, 0 if it exited
};

struct ProfileOutcome {
  std::vector<std::string> notes;  ///< one line each, for stderr
  int exit_code = 0;
};

/// The rule (docs/profile.md): the application's own failure wins (its exit
/// code is passed on, after reporting what was collected); otherwise a
/// collection failure gives that failure's exit code (3: no GPU/driver,
/// counters not permitted, another profiler attached); otherwise 0. The notes
/// also name the libcupti the processes used ("CUPTI used: ...").
/// `driver_version` (installed_driver_version(), 0 when unknown) names a
/// driver too old for this build where CUPTI could not reach one.
ProfileOutcome judge_profile(const ProfileCollection& c, const AppExit& app, const std::string& app_name,
                             int driver_version = 0);

/// Where to look for libflopscope_inject.so, in order: beside the binary (build
/// tree), then ../<libdir>, ../lib and ../lib64 (install tree).
std::vector<std::string> inject_library_candidates(const std::string& exe_dir, const std::string& libdir);

}  // namespace flopscope::cupti
