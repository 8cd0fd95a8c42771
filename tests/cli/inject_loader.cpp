// A stand-in for what the CUDA driver and the NVTX loader do with the
// injection variables, so the real libflopscope_inject.so can be exercised
// where there is no driver:
//   inject_loader cuda EXIT [ACTION]   dlopen($CUDA_INJECTION64_PATH), call InitializeInjection
//   inject_loader nvtx EXIT            nvtxRangePushA/Pop: the NVTX loader reads
//                                      NVTX_INJECTION64_PATH and calls InitializeInjectionNvtx2
// then exit(EXIT). Without a driver, CUPTI refuses and the library records why.
// With INJECT_LOADER_CUPTI set, that library is loaded first (RTLD_GLOBAL), as
// PyTorch loads its wheel's libcupti at import: the injection library then binds
// to it (tests/cli/fake_cupti.cpp lets the library start without a GPU). ACTION,
// after InitializeInjection:
//   sigterm          raise(SIGTERM) with its default action: the process dies of it
//   sigterm-handled  raise(SIGTERM) with a handler of the application's (installed
//                    before CUDA started), which returns: the process goes on
//   abort-slow       raise(SIGABRT) with a handler of the application's that takes
//                    300 ms (a crash reporter) before the default action ends it
//   fds              fail (exit 69) if InitializeInjection left a pipe open without
//                    FD_CLOEXEC, which would leak into every program the application
//                    runs; 73 if one took a standard descriptor (the application
//                    started with it closed). The library itself opens none
//   chdir            chdir("/") before exiting (its files must still be found)
//   exec             exec this loader again (`cuda EXIT`): a second program image in
//                    the same process, which must not overwrite the first one's files
//   linger           create $INJECT_LOADER_READY, then live 3 s more: a process the
//                    application leaves running
//   close-fds        close every descriptor above stderr, wait 300 ms, then
//                    raise(SIGTERM): the signal must still be flushed
//   segv-resethand   a real fault, under a SIGSEGV handler of the application's with
//                    SA_RESETHAND that returns: the fault repeats once, then kills
//   segv-nodefer     the same with SA_NODEFER | SA_RESETHAND, a handler that raises
//                    SIGSEGV itself (backward-cpp's way), then _exit(1) if it lived
//   nvtx-sigterm     NVTX callbacks in a loop (the fake CUPTI's), while another thread
//                    sends the process SIGTERM after 200 ms
//   nvtx-sigterm-twice  the same with a second SIGTERM 20 ms after the first, as a
//                    signal to the process group arrives: it is taken by the same
//                    thread, inside the callback, once the first handler returns
//   nvtx-sigterm-exit  nvtx-sigterm under a SIGTERM handler of the application's
//                    (installed before CUDA started) that calls exit(0), as many C and
//                    C++ programs do: the signal most often lands inside the callback
//   nvtx-sigterm-exit-late  the same handler installed after CUDA started (it
//                    replaces the library's)
//   hup-ignored      SIGHUP ignored before CUDA starts, then raised, then SIGTERM: the
//                    process dies of the SIGTERM, and the write says so
//   sigterm-twice    SIGTERM to one thread, and 20 ms later to another, as a signal sent to
//                    the process group arrives (directly, and passed on by flopscope):
//                    the second, taken by another thread, must not cut the first's
//                    write short (FAKE_CUPTI_FLUSH_MS makes it take a while)
//   sigint-reraise   as CPython ends an uncaught KeyboardInterrupt: SIGINT under a
//                    handler of the application's (installed before CUDA started),
//                    then, 700 ms later, SIGINT's default action restored and SIGINT
//                    raised again: the process dies with no exit handler
//   int-then-term    SIGINT under a handler of the application's (installed before
//                    CUDA started), then, 1.3 s later, SIGTERM with its default action,
//                    then exit 0 after 6 s: the SIGTERM must end the process, though
//                    it comes while the SIGINT's write is still going
//   int-then-term-late  the same with the SIGTERM 4 s after the SIGINT, once the
//                    SIGINT's write and its follow-ups are done: it gets a write of its own
//   segv-recovered   a real fault under a SA_SIGINFO SIGSEGV handler of the application's
//                    (installed before CUDA started) that makes the page writable and
//                    returns, as a JVM's safepoint poll does; then 1 s more, then exit(0)
//   segv-then-term   segv-recovered's fault, then, 4 s later (its write and follow-ups
//                    done), a second recovered fault, and 300 ms later SIGTERM with its
//                    default action: the SIGTERM gets a write, the second fault none
//   term-then-segv   SIGTERM with its default action, then, 1.5 s later, a real fault
//                    on another thread: the fault waits for the SIGTERM's write
//   sigquit          raise(SIGQUIT), its default action (a core dump, with none kept)
//   wait-signal      create the file $INJECT_LOADER_READY, then wait for a signal to
//                    end the process (one sent to `flopscope`, which passes it on)
// Each of the segv, hup, nvtx, wait and twice actions gives up after 20 s (SIGALRM, 142)
// rather than hang.
#include <cupti_callbacks.h>
#include <cupti_nvtx_cbid.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <generated_nvtx_meta.h>
#include <nvtx3/nvToolsExt.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <thread>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace {

volatile sig_atomic_t g_handled = 0;

void on_term(int) { g_handled = 1; }

void exit_on_term(int) { std::exit(0); }

void on_segv_return(int) { g_handled = 1; }

void on_segv_raise(int sig) {
  ::raise(sig);  // with SA_NODEFER and SA_RESETHAND: the default action, now
  ::_exit(1);
}

// Makes the faulting page writable, so the store that faulted succeeds on return.
void on_segv_recover(int, siginfo_t* info, void*) {
  const uintptr_t page = reinterpret_cast<uintptr_t>(info->si_addr) & ~uintptr_t(4095);
  ::mprotect(reinterpret_cast<void*>(page), 4096, PROT_READ | PROT_WRITE);
  g_handled = 1;
}

void install_segv(void (*handler)(int), int flags) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGSEGV, &sa, nullptr);
}

// A fault the sanitizers leave alone: a store to a page mapped PROT_NONE.
void fault() {
  void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) ::_exit(71);
  *static_cast<volatile char*>(page) = 1;
}

// NVTX push/pop through the CUPTI callback, as the real CUPTI makes them, until
// a SIGTERM sent from another thread ends the process.
void nvtx_until_sigterm(bool twice) {
  using CallBack = void (*)(int, unsigned, const void*);
  auto call_back = reinterpret_cast<CallBack>(dlsym(RTLD_DEFAULT, "fake_cupti_call_back"));
  if (!call_back) ::_exit(72);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &term, nullptr);  // the sender's copy: it goes to this thread
  std::thread([twice] {
    const timespec wait{0, 200 * 1000 * 1000};
    ::nanosleep(&wait, nullptr);
    ::kill(::getpid(), SIGTERM);
    if (!twice) return;
    const timespec again{0, 20 * 1000 * 1000};
    ::nanosleep(&again, nullptr);
    ::kill(::getpid(), SIGTERM);  // pending on the same thread until the first handler returns
  }).detach();
  ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
  // A long name: copying it under the collector's lock keeps this thread there
  // most of the time, so the signal most often lands inside; a short sleep
  // between ranges lets the writer have the lock once the handler is done.
  static const std::string name(16 << 20, 's');
  nvtxRangePushA_params push_params{name.c_str()};
  CUpti_NvtxData push{"nvtxRangePushA", &push_params, nullptr}, pop{"nvtxRangePop", nullptr, nullptr};
  for (;;) {
    call_back(CUPTI_CB_DOMAIN_NVTX, CUPTI_CBID_NVTX_nvtxRangePushA, &push);
    call_back(CUPTI_CB_DOMAIN_NVTX, CUPTI_CBID_NVTX_nvtxRangePop, &pop);
    const timespec gap{0, 1000 * 1000};
    ::nanosleep(&gap, nullptr);
  }
}

// SIGTERM twice, 20 ms apart, each to its own thread (a process-directed
// signal may be taken by any thread that does not block it): this one takes
// the first, and an idle one the second while the first's handler runs.
void signal_twice() {
  const pthread_t self = ::pthread_self();
  std::thread idle([] {
    for (;;) ::pause();
  });
  const pthread_t second = idle.native_handle();
  idle.detach();
  std::thread([second] {
    const timespec wait{0, 20 * 1000 * 1000};
    ::nanosleep(&wait, nullptr);
    ::pthread_kill(second, SIGTERM);
  }).detach();
  ::pthread_kill(self, SIGTERM);
  for (;;) ::pause();
}

void on_abort_slowly(int sig) {
  const timespec wait{0, 300 * 1000 * 1000};
  ::nanosleep(&wait, nullptr);
  ::signal(sig, SIG_DFL);
  ::raise(sig);  // delivered when this handler returns
}

// The open pipes, by descriptor; the value says whether exec'd programs inherit it.
std::map<int, bool> open_pipes() {
  std::map<int, bool> pipes;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return pipes;
  while (const dirent* e = ::readdir(d)) {
    char target[64] = {0};
    const std::string link = std::string("/proc/self/fd/") + e->d_name;
    if (e->d_name[0] == '.' || ::readlink(link.c_str(), target, sizeof target - 1) <= 0) continue;
    const int fd = std::atoi(e->d_name);
    if (fd != ::dirfd(d) && std::strncmp(target, "pipe:", 5) == 0) pipes[fd] = !(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
  }
  ::closedir(d);
  return pipes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: inject_loader cuda|nvtx EXIT [ACTION] (the actions are listed at the top)\n");
    return 64;
  }
  const std::string action = argc == 4 ? argv[3] : "";
  if (action == "sigterm-handled") ::signal(SIGTERM, on_term);
  if (action == "nvtx-sigterm-exit") ::signal(SIGTERM, exit_on_term);
  if (action == "sigint-reraise" || action == "int-then-term") ::signal(SIGINT, on_term);
  if (action == "abort-slow") ::signal(SIGABRT, on_abort_slowly);
  if (action == "segv-resethand") install_segv(on_segv_return, SA_RESETHAND);
  if (action == "segv-nodefer") install_segv(on_segv_raise, SA_RESETHAND | SA_NODEFER);
  if (action == "hup-ignored") ::signal(SIGHUP, SIG_IGN);
  if (action == "int-then-term-late") ::signal(SIGINT, on_term);
  if (action == "segv-recovered" || action == "segv-then-term") {
    struct sigaction sa {};
    sa.sa_sigaction = on_segv_recover;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, nullptr);
  }
  if (action.rfind("segv-", 0) == 0 || action == "hup-ignored" || action.rfind("nvtx-sigterm", 0) == 0 ||
      action == "wait-signal" || action == "sigterm-twice" || action == "int-then-term" || action == "int-then-term-late" ||
      action == "term-then-segv")
    ::alarm(20);
  const std::map<int, bool> pipes_before = open_pipes();  // those the test runner left open
  if (const char* cupti = std::getenv("INJECT_LOADER_CUPTI")) {
    if (!dlopen(cupti, RTLD_NOW | RTLD_GLOBAL)) {
      std::fprintf(stderr, "dlopen: %s\n", dlerror());
      return 66;
    }
  }
  if (std::strcmp(argv[1], "cuda") == 0) {
    const char* path = std::getenv("CUDA_INJECTION64_PATH");
    if (!path) return 65;
    void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      std::fprintf(stderr, "dlopen: %s\n", dlerror());
      return 66;
    }
    auto init = reinterpret_cast<int (*)()>(dlsym(h, "InitializeInjection"));
    if (!init || init() != 1) return 67;
  } else {
    nvtxRangePushA("outer");
    nvtxRangePop();
  }
  if (action == "sigterm" || action == "sigterm-handled") ::raise(SIGTERM);
  if (action == "sigquit") {
    const struct rlimit none = {0, 0};
    ::setrlimit(RLIMIT_CORE, &none);  // SIGQUIT's default action dumps core: no file
    ::raise(SIGQUIT);
  }
  if (action == "sigterm-handled" && !g_handled) return 68;  // the application's handler must run
  if (action == "sigint-reraise") {
    ::raise(SIGINT);
    if (!g_handled) return 68;
    const timespec wait{0, 700 * 1000 * 1000};
    ::nanosleep(&wait, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::raise(SIGINT);
  }
  if (action == "abort-slow") ::raise(SIGABRT);
  if (action == "segv-resethand" || action == "segv-nodefer") fault();
  if (action == "segv-recovered") {
    fault();
    if (!g_handled) return 68;
    const timespec more{1, 0};
    ::nanosleep(&more, nullptr);
  }
  if (action == "segv-then-term") {
    fault();
    const timespec later{4, 0};
    ::nanosleep(&later, nullptr);
    g_handled = false;
    fault();
    if (!g_handled) return 68;
    const timespec after{0, 300 * 1000 * 1000};
    ::nanosleep(&after, nullptr);
    ::kill(::getpid(), SIGTERM);
    const timespec wait{6, 0};
    ::nanosleep(&wait, nullptr);
  }
  if (action == "int-then-term-late") {
    ::kill(::getpid(), SIGINT);
    const timespec later{4, 0};
    ::nanosleep(&later, nullptr);
    ::kill(::getpid(), SIGTERM);
    const timespec wait{6, 0};
    ::nanosleep(&wait, nullptr);
  }
  if (action == "usr1") {  // its default action ends the process
    ::kill(::getpid(), SIGUSR1);
    const timespec wait{6, 0};
    ::nanosleep(&wait, nullptr);
  }
  if (action == "hup-ignored") {
    ::raise(SIGHUP);
    ::raise(SIGTERM);
  }
  if (action == "nvtx-sigterm-exit-late") ::signal(SIGTERM, exit_on_term);
  if (action.rfind("nvtx-sigterm", 0) == 0) nvtx_until_sigterm(action == "nvtx-sigterm-twice");
  if (action == "sigterm-twice") signal_twice();
  if (action == "term-then-segv") {
    const struct rlimit none = {0, 0};
    ::setrlimit(RLIMIT_CORE, &none);  // SIGSEGV's default action dumps core: no file
    ::kill(::getpid(), SIGTERM);      // its handler returns after 1 s, the write going on
    const timespec later{0, 500 * 1000 * 1000};
    ::nanosleep(&later, nullptr);
    std::thread(fault).join();
  }
  if (action == "int-then-term") {
    ::kill(::getpid(), SIGINT);
    const timespec later{1, 300 * 1000 * 1000};
    ::nanosleep(&later, nullptr);
    ::kill(::getpid(), SIGTERM);
    const timespec wait{6, 0};
    ::nanosleep(&wait, nullptr);
  }
  if (action == "chdir" && ::chdir("/") != 0) return 74;
  if (action == "exec") {
    char* again[] = {argv[0], argv[1], argv[2], nullptr};
    ::execv("/proc/self/exe", again);
    return 75;
  }
  if (action == "linger") {
    if (const char* ready = std::getenv("INJECT_LOADER_READY")) ::close(::open(ready, O_CREAT | O_WRONLY, 0600));
    const timespec wait{3, 0};
    ::nanosleep(&wait, nullptr);
  }
  if (action == "close-fds") {
    for (int fd = STDERR_FILENO + 1; fd < 1024; ++fd) ::close(fd);
    const timespec wait{0, 300 * 1000 * 1000};
    ::nanosleep(&wait, nullptr);
    ::raise(SIGTERM);
  }
  if (action == "wait-signal") {
    const struct rlimit none = {0, 0};
    ::setrlimit(RLIMIT_CORE, &none);  // SIGQUIT's default action dumps core: no file
    if (const char* ready = std::getenv("INJECT_LOADER_READY")) ::close(::open(ready, O_CREAT | O_WRONLY, 0600));
    for (;;) ::pause();
  }
  if (action == "fds") {
    int opened = 0, inherited = 0;
    for (const auto& [fd, inheritable] : open_pipes()) {
      if (pipes_before.count(fd)) continue;
      ++opened;
      if (inheritable) std::fprintf(stderr, "inject_loader: pipe fd %d is inherited by exec'd programs\n", fd);
      inherited += inheritable;
      if (fd <= STDERR_FILENO) return 73;
    }
    if (inherited > 0) return 69;
    (void)opened;
  }
  return std::atoi(argv[2]);
}
