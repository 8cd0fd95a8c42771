// libflopscope_inject.so: loaded into an unmodified CUDA application by
// `flopscope profile` through CUDA_INJECTION64_PATH (the driver calls
// InitializeInjection during cuInit) and NVTX_INJECTION64_PATH (the NVTX
// loader calls InitializeInjectionNvtx2 at the first NVTX call, which we hand
// on to libcupti so CUPTI sees the ranges).
//
// Each process writes <FLOPSCOPE_PROFILE_DIR>/flopscope-<pid>.json (a results
// document) and .status (what happened), and with FLOPSCOPE_PROFILE_COUNTERS=1
// the raw counters of each profiled context, flopscope-<pid>[-<n>].fscounters
// (when launches were profiled since the last write), atomically (a program
// exec()ed in the process writes flopscope-<pid>.<image>.*: InjectFileId):
//   - every FLOPSCOPE_PROFILE_PERIOD_MS, or longer in a long run (next_wait_ms);
//     a crash or SIGKILL loses what came after the last write,
//   - at exit() (atexit), whether or not the application tore CUDA down,
//   - on SIGINT, SIGTERM, SIGHUP, SIGQUIT and on crash signals (and on the other
//     signals that end a process by default, where it left them so), from a helper thread
//     while the handler waits (bounded), then the previous handler runs. A write that
//     outlasts the wait of one of the first four (the interrupted thread
//     may hold a lock it needs) is finished by the helper, which then ends the
//     process with that signal if its default action would have.
// docs/profile.md describes the behaviour and its limits.
#include <cupti_version.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>

#include "activity_collector.h"
#include "cupti_callable.h"
#include "flopscope/counter_file.h"
#include "flopscope/error.h"
#include "flopscope/results.h"
#include "inject_config.h"

#define FLOPSCOPE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using flopscope::cupti::ActivityCollector;

struct State {
  flopscope::cupti::InjectConfig cfg;
  pid_t pid = 0;
  flopscope::cupti::InjectFileId files;  // whose files this program writes
  std::mutex write_mu;
  std::atomic<bool> exiting{false};
  bool dir_gone = false;  // under write_mu
  std::atomic<bool> helper_running{false};  // the helper thread started: signal handlers hand it their work
  // The CUPTI this process bound to: a PyTorch wheel's, loaded at import, wins
  // over the toolkit's by SONAME.
  std::string cupti_library;
  uint32_t cupti_version = 0;
  ActivityCollector::RawCounts counters_written;  // what the counter files on disk hold (under write_mu)
};
State* g = nullptr;  // never freed: exit paths use it

constexpr int kFlushSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
// The other signals whose default action ends the process: ones `flopscope
// profile` passes on (USR1, USR2, ALRM), a pipe's reader gone (`| head`), a
// CPU limit. Flushed only where the process left them at their default: an
// application's own handler (a trainer's SIGUSR1 checkpoint) is its business,
// and an ignored SIGPIPE (Python's) stays ignored. They killed the process
// with no write at all (a reviewer's case).
constexpr int kFlushIfDefaultSignals[] = {SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGXCPU, SIGVTALRM, SIGPROF};
constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
struct sigaction g_prev[NSIG];

// A handler hands its signal to the helper thread through a semaphore
// (sem_post is async-signal-safe) and an atomic, not a pipe: a pipe's
// descriptors could be closed by the application, or their numbers reused for
// its own files, which the handler and helper would then write into.
sem_t g_wake;                   // posted by the handler of each signal that claims a write
std::atomic<int> g_signal{0};   // that signal
// The handshake of a signal's write: the helper acknowledges a write it
// finished while the handler waited; a handler done waiting defers instead,
// and returns so that its thread can release what it holds, and the helper
// then ends the process itself (when the signal's default action would have).
// Whichever comes first wins the exchange. Lock-free, so signal-safe.
enum Handshake : int { kWaiting = 0, kAcked = 1, kDeferred = 2 };
std::atomic<int> g_handshake{kWaiting};
static_assert(std::atomic<int>::is_always_lock_free);
// The signal's write, as a repeat of the signal sees it. A signal sent to the
// process group reaches the application twice (directly, and passed on by
// `flopscope`; also `timeout`, scancel, an SSH hangup): the repeat, on another
// thread, waits for the write in progress, bounded, instead of ending the
// process in the middle of it. After the bound it ends a hung process.
enum SignalWrite : int { kNoWrite = 0, kWriting = 1, kWritten = 2 };
std::atomic<int> g_signal_write{kNoWrite};
// Set once a crash signal the application survived has been written: later
// crash signals (a runtime's safepoint polls fault on purpose) get no write of
// their own, while a later SIGTERM or Ctrl-C still does.
std::atomic<bool> g_crash_written{false};
static_assert(std::atomic<bool>::is_always_lock_free);
constexpr int kRepeatWaitMs = 3000;
// A repeat within this long of the first signal, once its handler has
// deferred to the helper (which ends the process after writing), is dropped:
// it may have landed on the thread that holds what the write needs (inside a
// launch or NVTX callback), where waiting would only stall the write. A later
// one is a user's second signal to a hung process, and ends it.
constexpr int64_t kRepeatDropNs = 5'000'000'000;
std::atomic<int64_t> g_first_signal_ns{0};  // CLOCK_MONOTONIC
static_assert(std::atomic<int64_t>::is_always_lock_free);

int64_t monotonic_ns() {  // clock_gettime is async-signal-safe
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// Whether the directory is gone (a process that outlives `flopscope profile`,
// a daemon the application left running, finds it removed): says so once,
// not every period. Under write_mu.
bool profile_dir_gone() {
  std::error_code ec;
  if (std::filesystem::is_directory(g->cfg.dir, ec)) return false;
  if (!g->dir_gone)
    std::fprintf(stderr, "flopscope-inject: %s is gone (flopscope profile has ended): process %d is no longer "
                 "profiled\n", g->cfg.dir.c_str(), int(g->pid));
  g->dir_gone = true;
  return true;
}

// `flush`: deliver CUPTI's buffers first. Not from inside InitializeInjection
// (the driver is in cuInit) or the NVTX loader: nothing is buffered yet.
void write_outputs(const std::string& state, bool forced_flush, bool flush = true) {
  if (!g || ::getpid() != g->pid) return;  // a fork() child: its parent owns these files
  std::lock_guard<std::mutex> lock(g->write_mu);
  // Once the exit or a fatal signal has written, that is the last word: a
  // periodic write that was waiting for the lock, or a signal the application
  // handles and goes on from (a SIGTERM arriving while it exits), must not
  // replace it. Only a signal the process dies of (a forced flush) still writes.
  if (g->exiting && !forced_flush) return;
  if (profile_dir_gone()) return;
  ActivityCollector& c = ActivityCollector::instance();
  try {
    if (flush) c.flush(forced_flush);
    flopscope::write_results(flopscope::cupti::inject_results_path(g->cfg.dir, g->files), c.snapshot());
  } catch (const std::exception& e) {
    if (profile_dir_gone()) return;  // removed while this wrote
    std::fprintf(stderr, "flopscope-inject: cannot write results: %s\n", e.what());
  }
  flopscope::cupti::InjectStatus status = c.status(state);
  status.cupti_library = g->cupti_library;
  status.cupti_version = g->cupti_version;
  try {
    flopscope::write_file_atomic(flopscope::cupti::inject_status_path(g->cfg.dir, g->files),
                                 flopscope::cupti::to_text(status));
  } catch (const std::exception& e) {
    if (profile_dir_gone()) return;
    std::fprintf(stderr, "flopscope-inject: cannot write status: %s\n", e.what());
  }
  // Last: a session's lock may be held by the thread a signal interrupted.
  // Periodically rewritten only when they hold more ranges, first leave some
  // out (their size limit), or leave out more for an unreadable counter (a
  // file that said 0 would read as whole); at exit or a signal always.
  if (!g->cfg.counters) return;
  try {
    const ActivityCollector::RawCounts now = c.raw_counter_counts();
    const bool partial_before = g->counters_written.unsaved > 0;
    if (now.saved == g->counters_written.saved && (now.unsaved > 0) == partial_before &&
        now.unreadable == g->counters_written.unreadable && state == "running")
      return;
    const std::vector<flopscope::CounterFile> files = c.counter_files();
    for (size_t i = 0; i < files.size(); ++i)
      flopscope::write_counter_file(flopscope::cupti::inject_counters_path(g->cfg.dir, g->files, i), files[i]);
    g->counters_written = now;
  } catch (const std::exception& e) {
    if (profile_dir_gone()) return;
    std::fprintf(stderr, "flopscope-inject: cannot write raw counters: %s\n", e.what());
  }
}

void on_exit() {
  if (!g) return;
  g->exiting = true;
  // exit() from a signal handler that interrupted one of our callbacks: the
  // write needs what this thread holds (it hung the process for good).
  if (flopscope::cupti::in_collector_callback() && ::getpid() == g->pid) {
    std::fprintf(stderr,
                 "flopscope-inject: process %d called exit() inside a CUDA or NVTX call (from a signal handler?): "
                 "its results are those of its last write\n",
                 int(g->pid));
    return;
  }
  write_outputs("exit", true);
}

bool is_crash_signal(int sig) {
  for (int s : kCrashSignals)
    if (s == sig) return true;
  return false;
}

bool is_handled_signal(int sig) {
  for (int s : kFlushSignals)
    if (s == sig) return true;
  for (int s : kFlushIfDefaultSignals)
    if (s == sig) return true;
  return is_crash_signal(sig);
}

// Whether the process is about to die of `sig`: no handler of the
// application's (on_signal then re-raises it with the default action).
// Otherwise it may go on: Python's KeyboardInterrupt, a trainer's SIGTERM
// handler, and crash signals too: a JVM's or Julia's safepoint polls fault on
// purpose, and their handlers return (the first such fault once switched off
// every later write).
bool signal_ends_process(int sig) {
  const struct sigaction& prev = g_prev[sig];
  return !(prev.sa_flags & SA_SIGINFO) && prev.sa_handler == SIG_DFL;
}

// Whether the first handler returned leaving the helper to end the process
// (it deferred, and the first signal's default action ends it): only then may
// a repeat be dropped (a first signal the application handles leaves the
// process running, and a SIGTERM after it must still end it).
bool helper_ends() { return g_handshake.load() == kDeferred && signal_ends_process(g_signal.load()); }

// A periodic write copies every duration so far under the collector's lock
// (launch callbacks wait) and sorts them after: in a long run it costs more
// with every write. The wait after one is at least 20 times what it cost, so
// it takes at most ~5% of the time, and at most 10 minutes.
int next_wait_ms(int period_ms, std::chrono::steady_clock::duration write_cost) {
  const int64_t cost_ms = std::chrono::duration_cast<std::chrono::milliseconds>(write_cost).count();
  return int(std::clamp<int64_t>(20 * cost_ms, period_ms, std::max<int64_t>(period_ms, 600'000)));
}

// Lets `sig` reach the calling thread (signal-safe).
void unblock(int sig) {
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
}

// The default action of `sig`, from the helper: the handler deferred to it.
[[noreturn]] void end_process_with(int sig) {
  ::sigaction(sig, &g_prev[sig], nullptr);  // SIG_DFL: signal_ends_process said so
  unblock(sig);  // the helper blocks every signal
  ::raise(sig);
  ::_exit(128 + sig);  // not reached: the default action of a flush signal ends the process
}

// Waits up to `ms` (forever when negative) for a handler's post: true when
// one came, false at the timeout (or a semaphore error). The helper blocks
// every signal, so EINTR is not expected; it is waited through all the same.
bool wait_for_signal(int ms) {
  if (ms < 0) {
    while (::sem_wait(&g_wake) != 0)
      if (errno != EINTR) return false;
    return true;
  }
  timespec deadline{};
  ::clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += ms / 1000;
  deadline.tv_nsec += long(ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000L;
  }
  while (::sem_clockwait(&g_wake, CLOCK_MONOTONIC, &deadline) != 0)
    if (errno != EINTR) return false;
  return true;
}

// After a signal the application handles, the records of kernels still
// running stay in CUPTI (the flush was not forced), for the exit handler's
// forced flush. Not every such process runs it: CPython ends an uncaught
// KeyboardInterrupt by restoring SIGINT's default and raising it again. Short
// follow-up writes, each this long after the last, deliver those records once
// the kernels have finished.
constexpr int kFollowUpMs[] = {200, 800, 2000};
constexpr int kFollowUps = int(std::size(kFollowUpMs));

void helper_main() {
  const int period = g->cfg.period_ms > 0 ? g->cfg.period_ms : -1;
  int wait_ms = period;
  int follow_ups = kFollowUps;  // those done since the signal: none to do before one
  std::string signal_state;
  // After a signal the application handled, once its follow-ups are written
  // (its handler, which waits at most 1 s, is long done), the next signal
  // gets a write of its own: a SIGTERM after a caught Ctrl-C once ended the
  // process with no write, its status still naming the Ctrl-C. After a crash
  // signal too, but later crash signals are not written (g_crash_written): a
  // runtime that faults on purpose would pay for a write at every one, and a
  // SIGTERM after its first fault ended the process with no write at all.
  bool rearm = false;
  for (;;) {
    const bool following = follow_ups < kFollowUps;
    if (wait_for_signal(following ? kFollowUpMs[follow_ups] : wait_ms)) {
      const int sig = g_signal.load();
      if (!is_handled_signal(sig)) continue;
      // A forced flush hands over the records of kernels still running, and
      // CUPTI never completes them: only for a process about to die. One that
      // goes on gets them from the exit handler's forced flush.
      const bool dying = signal_ends_process(sig);
      if (dying) g->exiting = true;
      signal_state = "signal " + std::to_string(sig);
      write_outputs(signal_state, dying);
      g_signal_write.store(kWritten);
      if (!dying) follow_ups = 0;
      if (is_crash_signal(sig)) g_crash_written.store(true);
      rearm = !dying;
      int waiting = kWaiting;
      if (!g_handshake.compare_exchange_strong(waiting, kAcked) && dying) end_process_with(sig);
    } else if (following) {
      write_outputs(signal_state, false);
      if (++follow_ups == kFollowUps && rearm) {
        g_handshake.store(kWaiting);
        g_signal_write.store(kNoWrite);
        rearm = false;
      }
    } else if (period < 0) {
      return;  // no period, and the semaphore failed: only the exit handler writes
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      write_outputs("running", false);
      wait_ms = next_wait_ms(period, std::chrono::steady_clock::now() - t0);
    }
  }
}

// A handler's wait, up to `ms`, for `done()`; nanosleep is async-signal-safe.
template <class Done>
void wait_in_handler(int ms, Done done) {
  const timespec step{0, 1000 * 1000};  // 1 ms
  for (int waited = 0; waited < ms && !done(); ++waited) ::nanosleep(&step, nullptr);
}

// Runs the application's own action for `sig` as the kernel would have: with
// its SA_RESETHAND (the action is the default from now on: a crash handler that
// returns must not fault forever) and SA_NODEFER (its handler may raise `sig`
// again, as backward-cpp's does, and die of it).
void run_previous_action(int sig, siginfo_t* info, void* uctx) {
  const struct sigaction& prev = g_prev[sig];
  if (prev.sa_flags & SA_RESETHAND) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(sig, &dfl, nullptr);
  }
  if (prev.sa_flags & SA_NODEFER) unblock(sig);
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) prev.sa_sigaction(sig, info, uctx);
    return;
  }
  if (prev.sa_handler == SIG_IGN) return;
  if (prev.sa_handler == SIG_DFL) {
    // Restore the default action and deliver the signal again, so the process
    // ends the way it would have without flopscope (exit status 128 + sig).
    ::sigaction(sig, &prev, nullptr);
    ::raise(sig);
    return;
  }
  prev.sa_handler(sig);
}

// The first flushing signal: hands the write to the helper and waits for it,
// bounded. True when the handler is to return, leaving the helper to end the
// process once written (the signal's default action would have ended it).
bool hand_over_first(int sig) {
  g_first_signal_ns.store(monotonic_ns());
  g_signal.store(sig);
  if (::sem_post(&g_wake) != 0) {
    g_signal_write.store(kNoWrite);
    return false;
  }
  // A crash would fault again if its thread went on: it waits, bounded.
  const bool crash = is_crash_signal(sig);
  wait_in_handler(crash ? 3000 : 1000, [] { return g_handshake.load() == kAcked; });
  int waiting = kWaiting;
  return !crash && g_handshake.compare_exchange_strong(waiting, kDeferred) && helper_ends();
}

// A signal after the first: waits, bounded, for the write in progress, or
// for the first handler to leave it to the helper (a copy of a group signal
// taken at once by another thread comes before that). True when it is then
// dropped, the helper ending the process once written; a repeat it does not
// drop (a crash, a user's later signal) still waits for the write, bounded.
bool drop_repeat(int sig) {
  auto writing = [] { return g_signal_write.load() == kWriting; };
  wait_in_handler(kRepeatWaitMs, [&] { return !writing() || helper_ends(); });
  if (!writing()) return false;
  if (helper_ends() && !is_crash_signal(sig) && monotonic_ns() - g_first_signal_ns.load() < kRepeatDropNs)
    return true;
  wait_in_handler(kRepeatWaitMs, [&] { return !writing(); });
  return false;
}

// Only async-signal-safe calls here: the helper thread does the work.
void on_signal(int sig, siginfo_t* info, void* uctx) {
  const int saved_errno = errno;
  const bool ours = g && g->helper_running && ::getpid() == g->pid;  // not a child's before exec
  // The first signal claims the write in one step, so that a repeat arriving
  // at once on another thread already finds it under way.
  int no_write = kNoWrite;
  const bool writes = ours && !(is_crash_signal(sig) && g_crash_written.load());
  const bool first = writes && g_signal_write.compare_exchange_strong(no_write, kWriting);
  const bool left_to_helper = first ? hand_over_first(sig) : ours && drop_repeat(sig);
  errno = saved_errno;
  if (!left_to_helper) run_previous_action(sig, info, uctx);
}

void install(int sig) {
  struct sigaction sa {};
  sa.sa_sigaction = on_signal;
  // Keep the application's SA_RESTART/SA_ONSTACK choice: Python's SIGINT
  // relies on EINTR, faulthandler on the alternate stack. Keep its mask too:
  // its handler, called from ours, counts on the signals it blocks.
  struct sigaction prev {};
  ::sigaction(sig, nullptr, &prev);
  // An ignored signal stays ignored (`nohup`): the process would not have
  // noticed it, and the programs it runs inherit the ignoring.
  if (!(prev.sa_flags & SA_SIGINFO) && prev.sa_handler == SIG_IGN) return;
  sa.sa_mask = prev.sa_mask;
  sa.sa_flags = SA_SIGINFO | (prev.sa_flags & (SA_RESTART | SA_ONSTACK));
  ::sigaction(sig, &sa, &g_prev[sig]);
}

void start_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Nothing may throw out of InitializeInjection into the application: a
    // malformed variable (the library loaded without `flopscope profile`,
    // which checks them) leaves the application unprofiled, and says why.
    flopscope::cupti::InjectConfig cfg;
    try {
      cfg = flopscope::cupti::inject_config_from_env([](const char* n) { return std::getenv(n); });
    } catch (const std::exception& e) {
      std::fprintf(stderr, "flopscope-inject: not profiling: %s\n", e.what());
      return;
    }
    if (cfg.dir.empty()) {
      std::fprintf(stderr,
                   "flopscope-inject: %s is not set; run the application through 'flopscope profile -- APP'\n",
                   flopscope::cupti::kEnvProfileDir);
      return;
    }
    // Carried to a process that cannot see it (srun to other nodes), or to
    // one started after `flopscope profile` ended: nothing to profile for.
    std::error_code ec;
    if (!std::filesystem::is_directory(cfg.dir, ec)) {
      std::fprintf(stderr, "flopscope-inject: not profiling: %s=%s is not a directory on this host\n",
                   flopscope::cupti::kEnvProfileDir, cfg.dir.c_str());
      return;
    }
    g = new State;
    g->cfg = std::move(cfg);
    g->pid = ::getpid();
    g->files = flopscope::cupti::claim_inject_files(g->cfg.dir, g->pid);
    g->cupti_library = flopscope::cupti::cupti_library_path();
    if (cuptiGetVersion(&g->cupti_version) != CUPTI_SUCCESS) g->cupti_version = 0;
    flopscope::cupti::CollectorOptions opt;
    opt.filter = g->cfg.filter;
    opt.metric_set = g->cfg.metric_set;
    opt.keep_raw_counters = g->cfg.counters;
    opt.tensor = g->cfg.tensor;
    bool ok = false;
    try {
      ok = ActivityCollector::instance().start(opt);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "flopscope-inject: %s\n", e.what());
    }
    // The CLI learns early what happened; no flush from inside cuInit.
    write_outputs(ok ? "running" : "failed", false, /*flush=*/false);
    if (!ok) return;
    std::atexit(on_exit);
    if (::sem_init(&g_wake, 0, 0) != 0) {
      std::fprintf(stderr, "flopscope-inject: cannot make the helper's semaphore; only the exit handler writes\n");
      return;
    }
    // The helper inherits a full signal mask, so a process-directed signal is
    // never handled on the thread that has to answer it.
    sigset_t all, old;
    sigfillset(&all);
    const bool masked = ::pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
    try {
      std::thread(helper_main).detach();
      g->helper_running = true;
    } catch (...) {
      std::fprintf(stderr, "flopscope-inject: cannot start the helper thread; only the exit handler writes\n");
    }
    if (masked) ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    // Signals are flushed by the helper: without it, the application's own handlers stay.
    if (g->helper_running) {
      for (int s : kFlushSignals) install(s);
      for (int s : kCrashSignals) install(s);
      for (int s : kFlushIfDefaultSignals) {
        struct sigaction now {};
        ::sigaction(s, nullptr, &now);
        if (!(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_DFL) install(s);
      }
    }
  });
}

}  // namespace

/// CUDA_INJECTION64_PATH entry point: called by the driver inside cuInit.
FLOPSCOPE_EXPORT int InitializeInjection(void) {
  start_once();
  return 1;
}

namespace {
using NvtxGetExportTable = const void* (*)(uint32_t);
using NvtxInit = int (*)(NvtxGetExportTable);
using NvtxExtInit = int (*)(void*);

// libcupti's own symbol of that name (ours shadows it inside this library).
void* cupti_symbol(const char* name) {
  const std::string path = flopscope::cupti::cupti_library_path();
  if (!path.empty()) {
    if (void* h = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD))
      if (void* s = ::dlsym(h, name)) return s;
  }
  return ::dlsym(RTLD_NEXT, name);
}

// NVTX is handed to CUPTI only where a CUDA driver answers. Without one there is
// no CUDA work to attribute, and CUPTI 13.2 (the one PyTorch's CUDA 13 wheels
// bring) crashes at its first call (cupti_callable.h): profiling a PyTorch
// script on a machine with no driver crashed the script
// (tests/cli/cupti_13_2_without_driver.sh). NVTX calls then stay no-ops.
void* nvtx_entry(const char* name) {
  return flopscope::cupti::driver_answers() ? cupti_symbol(name) : nullptr;
}
}  // namespace

/// NVTX_INJECTION64_PATH entry point: hand NVTX to CUPTI, then start
/// collecting so that ranges opened before the first CUDA call are seen.
FLOPSCOPE_EXPORT int InitializeInjectionNvtx2(NvtxGetExportTable get_export_table) {
  auto fn = reinterpret_cast<NvtxInit>(nvtx_entry("InitializeInjectionNvtx2"));
  const int r = fn ? fn(get_export_table) : 0;
  if (r) start_once();
  return r;
}

/// The entry point of older NVTX loaders (libnvToolsExt.so.1): one pointer
/// argument, handed to libcupti's function of the same name.
FLOPSCOPE_EXPORT int InitializeInjectionNvtx(void* table) {
  auto fn = reinterpret_cast<NvtxExtInit>(nvtx_entry("InitializeInjectionNvtx"));
  const int r = fn ? fn(table) : 0;
  if (r) start_once();
  return r;
}

/// NVTX extension modules (payloads, counters) are CUPTI's too.
FLOPSCOPE_EXPORT int InitializeInjectionNvtxExtension(void* module_info) {
  auto fn = reinterpret_cast<NvtxExtInit>(nvtx_entry("InitializeInjectionNvtxExtension"));
  return fn ? fn(module_info) : 0;
}
