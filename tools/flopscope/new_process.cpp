#include "new_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "child_process.h"
#include "flopscope/error.h"

extern char** environ;

namespace flopscope::cli {

int run_quietly(const std::string& exe, const std::vector<std::string>& args) {
  std::vector<std::string> argv_s{exe};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = 0;
  const int err = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw Error(ErrorKind::failure, "cannot run " + exe + ": " + std::strerror(err));
  const int status = wait_for_child(pid);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

std::string self_executable() {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error(ErrorKind::failure, "cannot find this program's executable (/proc/self/exe): " + ec.message());
  return p.string();
}

PrivateTempDir::PrivateTempDir(const std::string& prefix) {
  namespace fs = std::filesystem;
  std::error_code ec;  // TMPDIR naming no directory: an Error like any other failure here
  fs::path root = fs::temp_directory_path(ec);
  if (ec) throw Error(ErrorKind::failure, "cannot find a temporary directory (check TMPDIR): " + ec.message());
  // Absolute: the path is handed to processes that may change directory (a
  // relative TMPDIR would lose their files).
  root = fs::absolute(root, ec);
  if (ec) throw Error(ErrorKind::failure, "cannot make TMPDIR an absolute path: " + ec.message());
  std::string tmpl = (root / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    throw Error(ErrorKind::failure,
                "cannot create a temporary directory in " + root.string() + ": " + std::strerror(errno));
  path_ = tmpl;
}

void PrivateTempDir::seal() {
  std::filesystem::path sealed = path_;
  sealed += ".sealed";  // mkdtemp's name is unique in its directory, so this one is too
  std::error_code ec;
  std::filesystem::rename(path_, sealed, ec);
  if (!ec) path_ = sealed;
}

PrivateTempDir::~PrivateTempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace flopscope::cli
