#include "cupti_callable.h"

#include <cupti.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "activity_collector.h"  // cupti_library_path
#include "flopscope/error.h"

namespace flopscope::cupti {

int installed_driver_version() {
  void* h = ::dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!h) return 0;
  using DriverGetVersion = int (*)(int*);
  auto get = reinterpret_cast<DriverGetVersion>(::dlsym(h, "cuDriverGetVersion"));
  int version = 0;
  if (get && get(&version) == 0 && version > 0) return version;  // 0: CUDA_SUCCESS; kept loaded, as CUPTI will load it
  ::dlclose(h);
  return 0;
}

bool driver_answers() { return installed_driver_version() > 0; }

namespace {

// CUPTI's first call, in a child: true when the child returned from it.
bool first_call_survives() {
  const pid_t child = ::fork();
  if (child < 0) return true;  // cannot tell: let the call itself decide
  if (child == 0) {
    // Silent: what a crash prints (a sanitizer's report) is not the user's concern.
    const int null_fd = ::open("/dev/null", O_WRONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDOUT_FILENO);
      ::dup2(null_fd, STDERR_FILENO);
    }
    uint32_t version = 0;
    cuptiGetVersion(&version);
    ::_exit(0);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

void require_cupti_callable() {
  static std::once_flag once;
  static bool callable = true;
  std::call_once(once, [] { callable = driver_answers() || first_call_survives(); });
  if (!callable)
    throw Error(ErrorKind::no_gpu,
                "the CUPTI library " + cupti_library_path() +
                    " cannot run without an NVIDIA driver: its first call crashed, as CUPTI 13.2 does; use the "
                    "toolkit's CUPTI flopscope was built with (check LD_LIBRARY_PATH), or a machine with a driver");
}

}  // namespace flopscope::cupti
