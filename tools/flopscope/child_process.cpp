#include "child_process.h"

#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "flopscope/error.h"

namespace flopscope::cli {

int wait_for_child(int pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(ErrorKind::failure, std::string("waitpid: ") + std::strerror(errno));
  }
  return status;
}

}  // namespace flopscope::cli
