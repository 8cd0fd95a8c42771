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
//                    runs; 70 if it opened none (its signal pipes are missing)
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <nvtx3/nvToolsExt.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace {

volatile sig_atomic_t g_handled = 0;

void on_term(int) { g_handled = 1; }

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
    std::fprintf(stderr, "usage: inject_loader cuda|nvtx EXIT [sigterm|sigterm-handled|abort-slow|fds]\n");
    return 64;
  }
  const std::string action = argc == 4 ? argv[3] : "";
  if (action == "sigterm-handled") ::signal(SIGTERM, on_term);
  if (action == "abort-slow") ::signal(SIGABRT, on_abort_slowly);
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
  if (action == "sigterm-handled" && !g_handled) return 68;  // the application's handler must run
  if (action == "abort-slow") ::raise(SIGABRT);
  if (action == "fds") {
    int opened = 0, inherited = 0;
    for (const auto& [fd, inheritable] : open_pipes()) {
      if (pipes_before.count(fd)) continue;
      ++opened;
      if (inheritable) std::fprintf(stderr, "inject_loader: pipe fd %d is inherited by exec'd programs\n", fd);
      inherited += inheritable;
    }
    if (inherited > 0) return 69;
    if (opened == 0) return 70;
  }
  return std::atoi(argv[2]);
}
