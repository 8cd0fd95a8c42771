#pragma once
/// Errors thrown by the flopscope library. The CLI maps each kind to one
/// documented exit code (docs/exit-codes.md); library code never exits.
#include <stdexcept>
#include <string>

#include "flopscope/utf8.h"  // unsafe_char_length, character boundaries

namespace flopscope {

enum class ErrorKind {
  failure,     ///< a check or validation failed (exit 1)
  bad_input,   ///< bad usage, a malformed file, an impossible size (exit 2)
  no_gpu,      ///< no GPU, no driver, or no permission for counters (exit 3)
};

/// An error is one line: a newline or other control character that came from
/// a user's file, key or argument is shown escaped ("\n", "\x01", "\xe2\x80\xae"),
/// never printed.
inline std::string one_line(const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const size_t n = unsafe_char_length(s, i);
    if (s[i] == '\n') {
      out += "\\n";
    } else if (s[i] == '\r') {
      out += "\\r";
    } else if (n == 0) {
      out += s[i];
    } else {
      for (size_t k = i; k < i + n; ++k) {
        const auto u = static_cast<unsigned char>(s[k]);
        out += "\\x";
        out += kHex[u >> 4];
        out += kHex[u & 15];
      }
      i += n - 1;
    }
  }
  return out;
}

/// What the user gave, cut to `n` bytes and "..." for a message: a 100 kB
/// argument made a 200 kB error "line". The cut backs off to a character's
/// first byte, so that no UTF-8 character is split into an invalid byte.
inline std::string clipped(const std::string& s, size_t n = 60) {
  if (s.size() <= n) return s;
  return s.substr(0, character_start_at_or_before(s, n)) + "...";
}

/// A message as the CLI prints it: one line (one_line), each word longer than
/// a path can be (PATH_MAX, 4096 bytes) cut to its first and last 60 bytes.
/// Values the user gave are quoted whole in many messages, and a 100 kB --gpu
/// made a 100 kB error line; a long path keeps every byte.
inline std::string error_line(const std::string& s) {
  constexpr size_t kLongestWord = 4096, kKept = 60;
  auto head_and_tail = [](const std::string& w) {
    return clipped(w, kKept) + w.substr(character_start_at_or_after(w, w.size() - kKept));
  };
  const std::string line = one_line(s);
  std::string out;
  size_t start = 0;
  while (start <= line.size()) {
    size_t end = line.find(' ', start);
    if (end == std::string::npos) end = line.size();
    const std::string word = line.substr(start, end - start);
    out += word.size() > kLongestWord ? head_and_tail(word) : word;
    if (end < line.size()) out += ' ';
    start = end + 1;
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
