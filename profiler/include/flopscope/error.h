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

/// An error is one line: a newline or other control character that came from
/// a user's file, key or argument is shown escaped ("\n", "\x01"), never printed.
inline std::string one_line(const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

class Error : public std::runtime_error {
 public:
  /// `what` is made one line (one_line): messages quote what the user gave.
  Error(ErrorKind kind, const std::string& what) : std::runtime_error(one_line(what)), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

/// Shorthand for the most common case: the user gave us something we cannot use.
[[noreturn]] inline void throw_bad_input(const std::string& what) {
  throw Error(ErrorKind::bad_input, what);
}

}  // namespace flopscope
