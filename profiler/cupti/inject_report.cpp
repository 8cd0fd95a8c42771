#include "inject_report.h"

#include <cupti_version.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "flopscope/error.h"
#include "session_errors.h"

namespace flopscope::cupti {

namespace fs = std::filesystem;

namespace {

// Whether process `pid` still runs: it exists and is no zombie (one killed
// but not yet reaped, as a process whose parent is PID 1 in a container can
// stay, answers kill(pid, 0) too).
bool process_running(int pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;  // EPERM: alive, another user's
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return true;  // no /proc: take kill's word
  const size_t paren = stat.rfind(')');  // the name may hold spaces and parentheses
  const char state = paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
  return state != 'Z' && state != 'X';
}

// A process whose status is not its last word: it never wrote one at exit or a signal.
bool without_final_write(const InjectStatus& s) { return s.state == "running" || s.state == "started"; }

// The pid in "flopscope-<pid>[.<image>].status"; 0 where the name says none.
int pid_of_status_file(const fs::path& p) {
  return int(std::strtol(p.filename().string().c_str() + std::strlen("flopscope-"), nullptr, 10));
}

}  // namespace

ProfileCollection read_profile_dir(const std::string& dir, std::vector<std::string>& notes) {
  ProfileCollection c;
  std::vector<fs::path> status_files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("flopscope-", 0) == 0 && e.path().extension() == ".status") status_files.push_back(e.path());
  }
  std::sort(status_files.begin(), status_files.end());
  std::vector<ResultsDoc> docs;
  for (const fs::path& p : status_files) {
    InjectStatus s;
    try {
      const std::string text = read_file(p.string());
      if (text.empty()) {
        // Claimed (claim_inject_files) by a process that never wrote its first status.
        s.pid = pid_of_status_file(p);
        s.state = "started";
      } else {
        s = parse_inject_status(text, p.filename().string());
      }
    } catch (const Error& e) {
      notes.push_back(std::string("skipped a process's status: ") + e.what());
      continue;
    }
    // A process the application left running.
    s.still_running = without_final_write(s) && process_running(s.pid);
    const std::string results = inject_results_for(p.string());
    if (fs::exists(results)) {
      try {
        docs.push_back(read_results(results));
      } catch (const Error& e) {
        c.unreadable.push_back("process " + std::to_string(s.pid) + "'s results could not be read (" +
                               e.what() + ")");
      }
    }
    c.statuses.push_back(std::move(s));
  }
  c.doc = merge_profile_docs(docs);
  return c;
}

std::vector<std::string> list_counter_files(const std::string& dir) {
  // flopscope-<pid>[.<image>].fscounters is context 0, flopscope-<pid>[.<image>]-<n>.fscounters context n.
  std::vector<std::tuple<long long, long long, long long, std::string>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("flopscope-", 0) != 0 || e.path().extension() != ".fscounters") continue;
    const std::string stem = e.path().stem().string().substr(std::strlen("flopscope-"));
    char* end = nullptr;
    const long long pid = std::strtoll(stem.c_str(), &end, 10);
    const long long image = *end == '.' ? std::strtoll(end + 1, &end, 10) : 0;
    const long long index = *end == '-' ? std::strtoll(end + 1, nullptr, 10) : 0;
    found.emplace_back(pid, image, index, e.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(std::get<3>(f)));
  return out;
}

std::string inject_results_for(const std::string& status_path) {
  fs::path p(status_path);
  p.replace_extension(".json");
  return p.string();
}

namespace {

std::string who(const InjectStatus& s) {
  std::string exe = fs::path(s.exe).filename().string();
  return "process " + std::to_string(s.pid) + (exe.empty() ? "" : " (" + exe + ")");
}

int exit_code_for(ErrorKind k) {
  switch (k) {
    case ErrorKind::failure: return 1;
    case ErrorKind::bad_input: return 2;
    case ErrorKind::no_gpu: return 3;
  }
  return 1;
}

// One line naming the CUPTI each process bound to (an application that loads
// its own libcupti first, as PyTorch does, makes the injection library use
// that one); "" when no status says (older libraries).
std::string cupti_used(const std::vector<InjectStatus>& statuses) {
  std::vector<std::string> seen;
  for (const InjectStatus& s : statuses) {
    if (s.cupti_library.empty() && s.cupti_version == 0) continue;
    std::string one = (s.cupti_library.empty() ? "an unknown libcupti" : s.cupti_library) + " (API version " +
                      (s.cupti_version ? std::to_string(s.cupti_version) : "unknown");
    if (s.cupti_version != CUPTI_API_VERSION)
      one += "; flopscope was built with " + std::to_string(CUPTI_API_VERSION);
    one += ")";
    if (std::find(seen.begin(), seen.end(), one) == seen.end()) seen.push_back(std::move(one));
  }
  std::string line;
  for (const std::string& one : seen) line += (line.empty() ? "CUPTI used: " : "; ") + one;
  return line;
}

// One process's notes: CUPTI's refusal or the library's own failure, its
// counters' note, and how it ended. `collection_exit` takes the first
// failure's exit code.
void add_status_notes(ProfileOutcome& o, const InjectStatus& s, const std::string& app_name, int driver_version,
                      int& collection_exit) {
  if (s.cupti_result != 0) {
    CuptiFailure f = describe_cupti_failure(s.cupti_result, s.cupti_call, s.cupti_detail, driver_version);
    // The status's failure is activity tracing's own (ActivityCollector::start):
    // timing itself, with nothing to fall back on.
    if (f.timing_fallback)
      f.message = "CUPTI cannot trace this GPU or configuration (" + s.cupti_call + " returned " +
                  cupti_result_name(s.cupti_result) + "): no kernel timing could be collected";
    o.notes.push_back(who(s) + ": " + f.message);
    if (collection_exit == 0) collection_exit = exit_code_for(f.kind);
  } else if (s.state == "failed") {
    // Not CUPTI's refusal: the library's own start threw (its one line,
    // "flopscope-inject: ...", went to the application's stderr).
    o.notes.push_back(who(s) + ": the injection library could not start (its message is above): nothing of it "
                      "was profiled");
    if (collection_exit == 0) collection_exit = exit_code_for(ErrorKind::failure);
  }
  if (!s.counters_note.empty()) {
    o.notes.push_back(who(s) + ": hardware counters: " + s.counters_note);
    if (s.counters_fatal && collection_exit == 0) collection_exit = exit_code_for(ErrorKind::no_gpu);
  }
  const bool signalled = s.state.rfind("signal ", 0) == 0;
  // Still running first: a process that handled a signal and went on was
  // reported only as having received it.
  if (s.still_running)
    o.notes.push_back(who(s) + " was still running when '" + app_name + "' ended" +
                      (signalled ? " (it had handled " + s.state + ")" : "") +
                      ": results are from its last write, and it is no longer profiled");
  else if (signalled)
    o.notes.push_back(who(s) + " received " + s.state + "; results are what it had collected by then");
  else if (s.state == "started")
    o.notes.push_back(who(s) + " ended (killed or crashed) while the injection library started, before its "
                      "first write: nothing of it was recorded");
  else if (s.state == "running")
    o.notes.push_back(who(s) + " ended without running its exit handlers (killed, crashed, _exit() or "
                      "exec()); results are from its last periodic write");
}

// The notes on every process taken together: what ran, what was filtered,
// dropped, incomplete or attributed elsewhere.
void add_total_notes(ProfileOutcome& o, const ProfileCollection& c, const ProfileCounters& total,
                     const std::string& app_name, int collection_exit) {
  if (const std::string used = cupti_used(c.statuses); !used.empty()) o.notes.push_back(used);
  if (c.statuses.empty())
    o.notes.push_back("no CUDA activity was seen: the injection library never started, so '" + app_name +
                      "' did not initialise CUDA (or could not: see below)");
  else if (collection_exit == 0 && total.kernels == 0) {
    const bool unfinished = std::any_of(c.statuses.begin(), c.statuses.end(), without_final_write);
    // A process without its final write may have run kernels after its last periodic one.
    o.notes.push_back(unfinished ? "no kernel was recorded: the processes' last writes hold none"
                                 : "CUDA was initialised but no kernel ran");
  }
  // Only when the filters are why nothing was kept: records without a
  // duration are not filtered out, and have their own note below.
  if (total.kernels_filtered > 0 && total.kernels_kept == 0)
    o.notes.push_back("all " + std::to_string(total.kernels_filtered) +
                      " kernels that ran to completion were filtered out (--kernel-regex, "
                      "--launch-skip/--launch-count, --nvtx-include)");
  if (total.dropped_records > 0)
    o.notes.push_back("warning: CUPTI dropped " + std::to_string(total.dropped_records) +
                      " activity records (buffers full); launch counts and totals are incomplete");
  if (total.buffers_cut_short > 0)
    o.notes.push_back("warning: " + std::to_string(total.buffers_cut_short) +
                      " CUPTI activity buffers could not be read to the end; the records after an unreadable "
                      "one were lost and are not counted as dropped");
  if (total.kernels_incomplete > 0)
    o.notes.push_back(std::to_string(total.kernels_incomplete) +
                      " kernels have no duration: still running when the process ended, or CUPTI could not "
                      "collect their timestamps");
  if (total.kernels_timed_by_counters > 0)
    o.notes.push_back(std::to_string(total.kernels_timed_by_counters) +
                      " profiled kernels are timed by their counters' gpu__time_duration: CUPTI gave their "
                      "activity records no timestamps (the range profiler replays each one)");
  if (total.copies_incomplete > 0)
    o.notes.push_back(std::to_string(total.copies_incomplete) +
                      " memory copies or memsets have no duration (still running when the process ended, or "
                      "CUPTI could not collect their timestamps) and are left out");
  if (total.launches_captured > 0)
    o.notes.push_back(std::to_string(total.launches_captured) +
                      " launches were captured into CUDA graphs: they ran only when a graph was launched, "
                      "and are counted there");
  if (total.kernels_unattributed > 0)
    o.notes.push_back(std::to_string(total.kernels_unattributed) +
                      " kernels could not be matched to their launch call and have no NVTX path");
  if (total.graph_kernels > 0)
    o.notes.push_back(std::to_string(total.graph_kernels) +
                      " kernels ran inside CUDA graphs: timed and attributed to the NVTX ranges open at "
                      "the graph launch");
  if (total.nvtx_unmatched > 0)
    o.notes.push_back(std::to_string(total.nvtx_unmatched) +
                      " NVTX pops or ends had no matching push or start (ranges opened before profiling began)");
}

}  // namespace

ProfileOutcome judge_profile(const ProfileCollection& c, const AppExit& app, const std::string& app_name,
                             int driver_version) {
  ProfileOutcome o;
  int collection_exit = 0;
  ProfileCounters total;
  for (const InjectStatus& s : c.statuses) {
    add_status_notes(o, s, app_name, driver_version, collection_exit);
    total += s.counters;
  }
  add_total_notes(o, c, total, app_name, collection_exit);
  if (app.signal != 0) {
    o.notes.push_back("'" + app_name + "' was killed by signal " + std::to_string(app.signal) +
                      "; passing on exit status " + std::to_string(app.code));
    o.exit_code = app.code;
  } else if (app.code != 0) {
    o.notes.push_back("'" + app_name + "' exited with status " + std::to_string(app.code) +
                      "; passing it on");
    o.exit_code = app.code;
  } else {
    o.exit_code = collection_exit;
  }
  return o;
}

std::vector<std::string> inject_library_candidates(const std::string& exe_dir, const std::string& libdir) {
  const std::string name = "libflopscope_inject.so";
  std::vector<std::string> out{exe_dir + "/" + name};
  for (const std::string& d : {libdir, std::string("lib"), std::string("lib64")}) {
    if (d.empty()) continue;
    const std::string p = fs::path(d).is_absolute() ? d + "/" + name : exe_dir + "/../" + d + "/" + name;
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

}  // namespace flopscope::cupti
