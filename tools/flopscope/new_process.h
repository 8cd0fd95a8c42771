#pragma once
// What `flopscope bench` and `flopscope ceilings` need to go on in a fresh
// process after a kernel fault has left their CUDA context unusable (a fault
// is sticky: no later CUDA call in the process can succeed). Host-only, tested
// on the CPU.
#include <filesystem>
#include <string>
#include <vector>

namespace flopscope::cli {

/// Runs `exe` with `args` (argv[0] is `exe`), its stdout sent to /dev/null and
/// its stderr shared, and waits: its exit code, or 128 + the signal that
/// ended it. Throws Error(failure) when it cannot be started.
int run_quietly(const std::string& exe, const std::vector<std::string>& args);

/// This program's own executable (/proc/self/exe).
std::string self_executable();

/// A fresh private directory (mkdtemp, mode 0700) under the system's temporary
/// directory, for the files the new process writes back; removed with all it
/// holds when this goes out of scope. Throws Error(failure) when it cannot be made.
class PrivateTempDir {
 public:
  explicit PrivateTempDir(const std::string& prefix);
  ~PrivateTempDir();
  PrivateTempDir(const PrivateTempDir&) = delete;
  PrivateTempDir& operator=(const PrivateTempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// Renames the directory (beside itself, ".sealed" added) so that processes
  /// still holding its old name, ones an application left running, can no
  /// longer write into it while it is read and removed; path() names it from
  /// then on. Where the rename fails it stays as it was.
  void seal();

 private:
  std::filesystem::path path_;
};

}  // namespace flopscope::cli
