#pragma once
/// Errors thrown by the flopscope library. The CLI maps each kind to one
/// documented exit code (docs/exit-codes.md); library code never exits.
#include <stdexcept>
#include <string>

namespace flopscope {

enum class ErrorKind {
  failure,     ///< a check or validation failed (exit 1)
  bad_input,   ///< bad usage, a malformed file, an impossible size (exit 2)
  no_gpu,      ///< no GPU, no driver, or no permission for counters (exit 3)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

/// Shorthand for the most common case: the user gave us something we cannot use.
[[noreturn]] inline void throw_bad_input(const std::string& what) {
  throw Error(ErrorKind::bad_input, what);
}

}  // namespace flopscope
