// `flopscope profile [options] -- APP [ARGS...]`: time every kernel of an
// unmodified CUDA application, per NVTX range, by loading
// libflopscope_inject.so into it (CUDA_INJECTION64_PATH, NVTX_INJECTION64_PATH).
// docs/profile.md has the details, the attribution rule and the limits.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "child_process.h"
#include "new_process.h"  // PrivateTempDir
#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/error.h"
#include "flopscope/results.h"
#include "flopscope/full_report.h"  // render_profile_terminal
#include "flopscope/table.h"
#include "flopscope/views.h"
#ifdef FLOPSCOPE_HAS_CUDA
#include "activity_profile.h"
#include "cupti_callable.h"  // installed_driver_version
#include "flopscope/counter_file.h"
#include "flopscope/device.h"
#include "flopscope/metric_plan.h"
#include "inject_config.h"
#include "inject_report.h"
#endif

extern char** environ;

namespace flopscope::cli {
namespace {

struct ProfileOptions {
  std::string set = "timing";
  std::string tensor;
  std::string kernel_regex;
  int64_t launch_skip = 0;
  int64_t launch_count = -1;
  std::vector<std::string> nvtx_include;
  std::string out;
  std::string counters;  // a .fscounters file, or an existing directory for one file per process
  std::vector<std::string> command;
  int64_t top = 30;  // rows printed; 0: all
};

bool is_directory(const std::string& path) {
  std::error_code ec;
  return !path.empty() && std::filesystem::is_directory(path, ec);
}

/// The file `posix_spawnp` runs for `name`: as given when it has a '/', else
/// the first executable regular file of that name on PATH ("" when none).
std::string program_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/bin:/usr/bin";
  for (size_t begin = 0; begin <= dirs.size();) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end > begin ? dirs.substr(begin, end - begin) : ".";
    const std::string file = dir + "/" + name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec) && ::access(file.c_str(), X_OK) == 0) return file;
    begin = end + 1;
  }
  return "";
}

#ifdef FLOPSCOPE_HAS_CUDA
namespace fs = std::filesystem;

std::string exe_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

std::string find_inject_library() {
  if (const char* over = std::getenv("FLOPSCOPE_INJECT_LIB"); over && *over) {
    std::error_code ec;
    if (!fs::is_regular_file(over, ec))
      throw Error(ErrorKind::bad_input, std::string("FLOPSCOPE_INJECT_LIB=") + over +
                                            (fs::exists(over, ec) ? " is not a file" : " does not exist") +
                                            ": name libflopscope_inject.so itself");
    return fs::absolute(over).string();
  }
  const auto candidates = cupti::inject_library_candidates(exe_dir(), FLOPSCOPE_INSTALL_LIBDIR);
  for (const std::string& c : candidates) {
    std::error_code ec;
    if (fs::exists(c, ec)) return fs::canonical(c, ec).string();
  }
  std::string looked;
  for (const std::string& c : candidates) looked += (looked.empty() ? "" : ", ") + c;
  throw Error(ErrorKind::failure, "cannot find libflopscope_inject.so (looked in " + looked +
                                      "); reinstall flopscope or set FLOPSCOPE_INJECT_LIB to its path");
}

// While the application runs, flopscope stays alive to collect its results:
// a Ctrl-C or Ctrl-\ from the terminal reaches the application directly (same
// process group); every other SIGINT, SIGTERM, SIGHUP and SIGQUIT flopscope
// gets is passed on, and SIGUSR1, SIGUSR2 and SIGALRM too (their default
// action would end flopscope and leave the application running), so one sent
// to the whole group reaches the application twice (docs/profile.md).
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};
constexpr int kForwardedCount = int(std::size(kForwarded));
volatile sig_atomic_t g_child = 0;
// After the application ended: the first signal waits until the outputs are
// written and the private temporary directory is gone (ProfileSignals).
volatile sig_atomic_t g_held = 0;

void forward_signal(int sig, siginfo_t* info, void*) {
  const bool from_terminal = (sig == SIGINT || sig == SIGQUIT) && info && info->si_code == SI_KERNEL;
  if (g_child > 0) {
    if (!from_terminal) ::kill(pid_t(g_child), sig);
  } else if (g_held == 0) {
    g_held = sig;  // the application has ended: held until flopscope is done (ProfileSignals)
  }
}

// `handler` on the forwarded signals while it lives. A signal flopscope
// ignores (`nohup flopscope profile ...`, `trap '' INT`) is left ignored: the
// application inherits that across exec, as it would without flopscope, where
// a handler of ours would become the default action.
class SignalHandlers {
 public:
  explicit SignalHandlers(void (*handler)(int, siginfo_t*, void*)) {
    struct sigaction sa {};
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < kForwardedCount; ++i) {
      if (::sigaction(kForwarded[i], nullptr, &prev_[i]) != 0) continue;
      if (!(prev_[i].sa_flags & SA_SIGINFO) && prev_[i].sa_handler == SIG_IGN) continue;
      installed_[i] = ::sigaction(kForwarded[i], &sa, nullptr) == 0;
    }
  }
  ~SignalHandlers() {
    for (int i = 0; i < kForwardedCount; ++i)
      if (installed_[i]) ::sigaction(kForwarded[i], &prev_[i], nullptr);
  }
  SignalHandlers(const SignalHandlers&) = delete;
  SignalHandlers& operator=(const SignalHandlers&) = delete;

 private:
  struct sigaction prev_[kForwardedCount];
  bool installed_[kForwardedCount] = {};
};

// The forwarded signals' handlers, from just before the application starts
// until flopscope is done. While it runs they pass signals on; once it has
// ended (while the processes' files are merged and reported) they hold the
// first one, which would have ended flopscope with its temporary directory,
// up to 192 MiB of counter files a process, left behind. It then takes its
// action: 128 + the signal, as before. One object from start to end, so no
// moment is left between the two uses with the default actions back.
class ProfileSignals {
 public:
  void start() { handlers_.emplace(forward_signal); }
  /// Restores the handlers; a held signal then ends flopscope (the default
  /// action) once what it printed is flushed.
  void take_action() {
    handlers_.reset();
    if (g_held != 0) end_by_signal(int(g_held));
  }

  /// Ends flopscope by `sig`'s default action, without a core dump, once what
  /// it printed is flushed; returns only where that action does not end it.
  static void end_by_signal(int sig) {
    std::cout.flush();
    std::fflush(nullptr);
    const struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(sig, &dfl, nullptr);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    ::raise(sig);
  }

 private:
  std::optional<SignalHandlers> handlers_;
};

bool is_managed_env(const std::string& e) {
  for (const char* name : {"CUDA_INJECTION64_PATH=", "NVTX_INJECTION64_PATH="})
    if (e.rfind(name, 0) == 0) return true;
  return e.rfind("FLOPSCOPE_PROFILE_", 0) == 0;
}

// Why posix_spawnp could not start `app` (errno `err`), with what to do.
std::string why_not_started(const std::string& app, int err) {
  std::error_code ec;
  const bool path = app.find('/') != std::string::npos;
  // A script is started by the interpreter its '#!' line names: a missing
  // one reads ENOENT, as a missing script does; no '#!' line, ENOEXEC (which
  // bash would run through sh).
  if (err == ENOENT && path && std::filesystem::is_regular_file(app, ec))
    return "it exists, but the interpreter its '#!' line names was not found";
  if (err == ENOENT) return "not found (check the name and PATH)";
  if (err == ENOEXEC)
    return "not a program this system can start (a script without a '#!' line? run it as: flopscope profile "
           "-- sh " +
           app + ")";
  if (path && std::filesystem::is_directory(app, ec))
    return "a directory, not a program (name the executable in it)";
  if (err == EACCES) return "permission denied (is it executable?)";
  return std::strerror(err);
}

cupti::AppExit run_app(const std::vector<std::string>& command, const std::vector<std::string>& extra_env,
                       ProfileSignals& signals) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string s = *e;
    if (s.rfind("CUDA_INJECTION64_PATH=", 0) == 0 && extra_env.size() > 0)
      std::fprintf(stderr, "flopscope: note: replacing %s for the application\n", s.c_str());
    if (!is_managed_env(s)) env.push_back(s);
  }
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp, argv;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = command;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::fflush(stdout);
  std::fflush(stderr);
  // The forwarded signals wait while the application starts, until g_child
  // names it: one arriving in between was neither passed on nor acted on.
  // The application starts with the mask flopscope had.
  sigset_t forwarded, mask;
  sigemptyset(&forwarded);
  for (int s : kForwarded) sigaddset(&forwarded, s);
  ::pthread_sigmask(SIG_BLOCK, &forwarded, &mask);
  signals.start();
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &mask);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int err = ::posix_spawnp(&pid, args[0].c_str(), nullptr, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (err == 0) g_child = pid;
  ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  if (err != 0) {
    const std::string why = why_not_started(command[0], err);
    throw Error(ErrorKind::bad_input, "cannot run '" + command[0] + "': " + why);
  }
  const int status = wait_for_child(pid);
  g_child = 0;
  cupti::AppExit app;
  if (WIFSIGNALED(status)) {
    app.signal = WTERMSIG(status);
    app.code = 128 + app.signal;
  } else {
    app.code = WEXITSTATUS(status);
  }
  return app;
}

void attach_peaks(ResultsDoc& doc) {
  if (!doc.device && !doc.runs.empty()) {
    // No CUPTI device record reached the results: ask the runtime (same
    // environment, so the same CUDA_VISIBLE_DEVICES) for the first device.
    try {
      const std::vector<DeviceInfo> devices = query_devices();
      if (!devices.empty()) doc.device = devices.front();
    } catch (const Error&) {
    }
  }
  if (doc.device) {
    // CUPTI's device record names no driver; this machine's is the one that ran it.
    if (doc.device->nvidia_driver.empty()) doc.device->nvidia_driver = read_nvidia_driver();
    const DeviceInfo& d = *doc.device;
    if (const GpuSpec* g = find_gpu_for_device(d.name, d.sm_count, d.memory_bytes)) doc.device->gpu_key = g->key;
    try {
      doc.peaks.datasheet = peaks_for_device(*doc.device);
    } catch (const Error&) {  // an unknown architecture: no peaks, records say so
    }
  }
  recompute_derived(doc);  // every run an application kernel
}


/// --counters: the raw counter files the processes left in `dir`, either
/// copied into a directory as <pid>[.<image>][-<n>].fscounters, or merged into one file
/// (one metric plan: the sessions must share chip and plan). Each file is read
/// and checked first; nothing is written unless all of them are whole.
void save_counter_files(const std::string& dir, const std::string& target) {
  const std::vector<std::string> found = cupti::list_counter_files(dir);
  if (found.empty()) {
    std::fprintf(stderr, "flopscope: no counter file written: no launch was profiled with counters\n");
    return;
  }
  std::vector<std::string> bytes, names;
  std::vector<CounterFile> files;
  for (const std::string& p : found) {
    names.push_back(fs::path(p).filename().string().substr(std::strlen("flopscope-")));
    bytes.push_back(read_file(p));
    files.push_back(parse_counter_file(bytes.back(), names.back()));
  }
  if (is_directory(target)) {
    for (size_t i = 0; i < found.size(); ++i)
      write_output((fs::path(target) / names[i]).string(), bytes[i], "raw counters");
    return;
  }
  // Processes with different plans, or more than one file can hold: one file each instead.
  std::string merged;
  try {
    merged = serialize_counter_file(merge_counter_files(files, names));
  } catch (const Error& e) {
    throw_bad_input(std::string(e.what()) + "; give --counters an existing directory for one file per process");
  }
  write_output(target, merged, "raw counters");
}

// What the injection library is told, checked here (bad input fails before
// the application starts, not in it).
cupti::InjectConfig inject_config_of(const ProfileOptions& o) {
  cupti::InjectConfig cfg;
  cfg.metric_set = o.set;
  cfg.counters = !o.counters.empty();
  if (!o.tensor.empty()) cfg.tensor = parse_tensor_list(o.tensor);
  cfg.filter.kernel_regex = o.kernel_regex;
  cfg.filter.launch_skip = o.launch_skip;
  cfg.filter.launch_count = o.launch_count;
  cfg.filter.nvtx_include = o.nvtx_include;
  { cupti::LaunchFilter check(cfg.filter); }
  // The periodic rewrite interval may be tuned from the environment (docs/profile.md).
  cfg.period_ms = cupti::inject_period_from_env([](const char* n) { return std::getenv(n); });
  return cfg;
}

// Where CUDA never started (no process wrote a status), why it may not have:
// no driver or no visible GPU. With no driver the injection library is never
// loaded, so this is the only sign.
std::optional<Error> device_problem_without_cuda(const cupti::ProfileCollection& c) {
  if (!c.statuses.empty()) return std::nullopt;
  try {
    query_devices();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

// Whether profiling could run, so that `--out` holds this run's results, runs
// or none (the filters kept nothing, or the application never started CUDA):
// a later `check` of it must not read an earlier run's file while profile
// exits 0. It could not where CUPTI refused every process or the library
// failed to start in it, where no process's results could be read, or with
// no GPU; the exit code then says so.
bool profiling_ran(const cupti::ProfileCollection& c, const std::optional<Error>& no_device) {
  if (!c.doc.runs.empty()) return true;
  if (c.statuses.empty()) return !no_device;
  const auto unstarted =
      std::count_if(c.statuses.begin(), c.statuses.end(),
                    [](const cupti::InjectStatus& s) { return s.cupti_result != 0 || s.state == "failed"; });
  return size_t(unstarted) < c.statuses.size() && c.unreadable.empty();
}

// A line where `--out` holds no run: left alone (not `profiled`), or
// `written` with none.
void say_what_out_holds(const std::string& out, const cupti::ProfileCollection& c, bool profiled,
                        bool written) {
  if (!profiled)
    std::fprintf(stderr, "flopscope: no results file written to %s: %s\n", one_line(out).c_str(),
                 c.unreadable.empty() ? "nothing was profiled" : "no process's results could be read");
  else if (c.doc.runs.empty() && written)
    std::fprintf(stderr, "flopscope: the results file %s holds no runs: nothing was kept\n",
                 one_line(out).c_str());
}

int profile_and_report(const ProfileOptions& o, ProfileSignals& signals, int& app_signal) {
  cupti::InjectConfig cfg = inject_config_of(o);
  const std::string lib = find_inject_library();
  PrivateTempDir tmp("flopscope-profile");  // the processes' files; removed at the end
  cfg.dir = tmp.path().string();

  std::vector<std::string> env = cupti::inject_environment(cfg);
  env.push_back("CUDA_INJECTION64_PATH=" + lib);
  env.push_back("NVTX_INJECTION64_PATH=" + lib);
  const cupti::AppExit app = run_app(o.command, env, signals);
  app_signal = app.signal;
  // Processes the application left running write no more (they find the
  // directory gone and say so), so what is read is what is removed.
  tmp.seal();
  cfg.dir = tmp.path().string();

  std::vector<std::string> notes;
  cupti::ProfileCollection c = cupti::read_profile_dir(cfg.dir, notes);
  attach_peaks(c.doc);
  // Where CUPTI was refused, the driver's version can say it is too old for
  // this build (asked only then: it loads libcuda into this process).
  const bool refused = std::any_of(c.statuses.begin(), c.statuses.end(),
                                   [](const cupti::InjectStatus& s) { return s.cupti_result != 0; });
  const cupti::ProfileOutcome outcome =
      cupti::judge_profile(c, app, o.command[0], refused ? cupti::installed_driver_version() : 0);
  if (!c.doc.runs.empty())
    std::cout << render_profile_terminal(c.doc, stdout_width(), stdout_is_color_tty(), size_t(o.top))
              << std::flush;
  // An output that cannot be written (its directory removed while the app
  // ran) is one line among the notes: it must not hide the application's
  // exit status, nor the notes that say how the application ended.
  int output_error = kOk;
  auto writing = [&](const auto& write) {
    try {
      write();
    } catch (const Error& e) {
      std::fprintf(stderr, "flopscope: error: %s\n", one_line(e.what()).c_str());
      output_error = exit_code_for(e.kind());
    }
  };
  const std::optional<Error> no_device = device_problem_without_cuda(c);
  const bool profiled = profiling_ran(c, no_device);
  if (!o.out.empty() && profiled)
    writing([&] { write_output(o.out, to_json_text(c.doc) + "\n", "results"); });
  for (const std::string& n : notes) std::fprintf(stderr, "flopscope: %s\n", n.c_str());
  for (const std::string& n : outcome.notes) std::fprintf(stderr, "flopscope: %s\n", n.c_str());
  if (!o.out.empty()) say_what_out_holds(o.out, c, profiled, output_error == kOk);
  int exit_code = outcome.exit_code;
  // Results lost are a failure, whatever the application did (its own failure
  // keeps its code): one line each, naming the process and why.
  for (const std::string& u : c.unreadable)
    std::fprintf(stderr, "flopscope: error: %s\n", one_line(u).c_str());
  if (!c.unreadable.empty() && app.code == 0) exit_code = kFailure;
  if (c.statuses.empty() && !no_device) {
    std::fprintf(stderr, "flopscope: a GPU and driver are present here\n");
  } else if (no_device) {
    // Profiling was impossible (3), unless the app's own status says more.
    // The line that decides the exit code is an error line, as every other is.
    const bool decides = app.code == 0 && no_device->kind() == ErrorKind::no_gpu;
    std::fprintf(stderr, "flopscope: %s%s\n", decides ? "error: " : "", no_device->what());
    if (decides) exit_code = exit_code_for(no_device->kind());
  }
  if (!o.counters.empty()) writing([&] { save_counter_files(cfg.dir, o.counters); });
  return app.code != 0 || output_error == kOk ? exit_code : output_error;
}

int run_profile(const ProfileOptions& o) {
  ProfileSignals signals;
  int app_signal = 0;
  const int code = profile_and_report(o, signals, app_signal);  // its temporary directory is gone now
  signals.take_action();
  // An application a signal ended ends flopscope by the same signal, as GNU
  // timeout and sudo do: a shell then sees the signal, and a Ctrl-C stops a
  // loop of `flopscope profile` as it stops a loop of the application (bash
  // goes on after a child that exits, even with 130). The status is 128 + the
  // signal either way.
  if (app_signal != 0 && code == 128 + app_signal) ProfileSignals::end_by_signal(app_signal);
  return code;
}
#endif

void add_profile_command(Command app) {
  auto opt = std::make_shared<ProfileOptions>();
  Command sub = app.add_subcommand(
      "profile",
      "Time every kernel of an unmodified CUDA application, per NVTX range: flopscope profile -- APP "
      "[ARGS...].\n"
      "Exit: the application's status when it fails; else 0 ok, 1 a failure of flopscope's own (results\n"
      "that cannot be read back or written), 2 bad usage (the application does not run), 3 profiling\n"
      "impossible (no GPU/driver, counters not permitted, another profiler attached) (docs/profile.md)");
  sub.add_option("--set", opt->set,
                   "timing: kernel durations from CUPTI activity records. bytes, flops, roofline: also "
                   "hardware counters per kept launch (range profiler, kernel replay: slow, and the "
                   "profiled launches' times include replay effects; time in a separate --set timing "
                   "run). bytes (DRAM, L2, L1) needs one pass on GH100, so nothing is replayed")
      .check(one_of({"timing", "bytes", "flops", "roofline"}))
      .capture_default_str();
  sub.add_option("--tensor", opt->tensor,
                  "With flops or roofline: tensor-core source types to count, e.g. bf16,fp16 (each may "
                  "add replay passes; see 'flopscope metrics'). Default: none, so no tensor-core FLOPs are counted")
      .check(not_empty());
  sub.add_option("--kernel-regex", opt->kernel_regex,
                  "Keep kernels whose demangled name matches (ECMAScript regex, searched)")
      .check(not_empty());  // empty would keep every kernel: an unset variable, not a request
  sub.add_option("--launch-skip", opt->launch_skip, "Skip the first N matching launches")
      .transform(non_negative_integer());
  sub.add_option("--launch-count", opt->launch_count, "Then keep M matching launches")
      .transform(positive_integer(999'999'999'999'999'999));  // as many digits as --launch-skip
  sub.add_option("--nvtx-include", opt->nvtx_include,
                  "Keep launches inside this NVTX range ('name' or 'outer/inner'); one range a use: repeat "
                  "the option for more (a second word would be the application)")
      .check(not_empty())
      .allow_extra_args(false);  // one range per occurrence, so "--" still ends the options
  sub.add_option("--out", opt->out, "Write the results (flopscope.results/1 JSON) to this file").check(not_empty());
  sub.add_option("--top", opt->top, "Print the N kernel rows with the most GPU time (0: all; --out keeps every row)")
      .transform(non_negative_integer())
      .default_val("30");
  sub.add_option("--counters", opt->counters,
                  "With bytes, flops or roofline: also save the raw counters (.fscounters, for 'flopscope report'): "
                  "to this file, merged over processes, or into this existing directory as "
                  "<pid>[.<image>][-<n>].fscounters, one per process and context").check(not_empty());
  sub.add_option("command", opt->command, "The application and its arguments, after --").required();
  // Everything after the application is its own: `profile app --out x` must
  // not take --out for flopscope (and overwrite x), with or without "--".
  sub.positionals_at_end();
  set_action(sub, [opt]() -> int {
    if (!opt->counters.empty() && opt->set == "timing")
      throw_bad_input("--counters needs hardware counters: add --set bytes, flops or roofline");
    // --tensor picks FLOP counters; under timing or bytes it would be dropped without a word.
    if (!opt->tensor.empty() && (opt->set == "timing" || opt->set == "bytes"))
      throw_bad_input("--tensor chooses the tensor-core FLOPs the counters count: add --set flops or --set roofline");
    // A directory for --counters gets one file per process, named by the processes.
    const std::string counters_file = is_directory(opt->counters) ? std::string() : opt->counters;
    // The program and the files its arguments name are its inputs: `--out
    // train.py -- python train.py` must not replace the script.
    std::vector<std::string> inputs{program_path(opt->command.front())};
    for (size_t i = 1; i < opt->command.size(); ++i) {
      std::error_code ec;
      if (std::filesystem::exists(opt->command[i], ec)) inputs.push_back(opt->command[i]);
    }
    check_outputs({opt->out, counters_file}, inputs);
    // `metrics` plans every tensor type by default, profile none: said, so that
    // a BF16 model's FLOPs are not missed unawares (HFU against the CUDA cores).
    if (opt->tensor.empty() && (opt->set == "flops" || opt->set == "roofline"))
      std::fprintf(stderr, "note: --set %s without --tensor counts no tensor-core FLOPs; add --tensor bf16,fp16 "
                           "(or the types the application uses)\n", opt->set.c_str());
#ifdef FLOPSCOPE_HAS_CUDA
    return run_profile(*opt);
#else
    throw Error(ErrorKind::no_gpu, "this flopscope was built without CUDA (FLOPSCOPE_CUDA=OFF): profile is unavailable");
#endif
  });
}

}  // namespace

static const bool registered = register_command(45, add_profile_command);

}  // namespace flopscope::cli
