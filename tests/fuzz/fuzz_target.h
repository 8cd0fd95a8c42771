#pragma once
// What every fuzz target (tests/fuzz/fuzz_*.cpp) holds a parser of user input
// to: it returns, or it throws flopscope::Error of kind bad_input whose what()
// is one non-empty line naming the input. Anything else, another exception
// included, aborts, so that libFuzzer (or replay_main.cpp in CI) reports it
// with the input. Crashes, leaks and undefined behaviour are the sanitizers'.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "flopscope/error.h"

namespace flopscope::fuzz {

/// A property the target checks failed: print it and abort.
[[noreturn]] inline void defect(const std::string& what) {
  std::fprintf(stderr, "fuzz target: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

/// The input's bytes as the parsers take them.
inline std::string text_of(const uint8_t* data, size_t size) {
  return size == 0 ? std::string() : std::string(reinterpret_cast<const char*>(data), size);
}

/// Runs `parse`: loaded, or refused with one bad_input line starting with
/// `origin` (what the parser was told the input is called); else a defect.
template <class F>
void loaded_or_refused(const std::string& origin, F&& parse) {
  try {
    parse();
  } catch (const Error& e) {
    const std::string what = e.what();
    if (e.kind() != ErrorKind::bad_input) defect("an Error that is not bad_input: " + what);
    if (what.empty()) defect("a bad_input error with an empty message");
    if (what.find_first_of("\n\r") != std::string::npos) defect("a message of several lines: " + what);
    if (what.rfind(origin, 0) != 0) defect("a message that does not start with '" + origin + "': " + what);
  } catch (const std::exception& e) {
    defect(std::string("a std::exception that is not flopscope::Error: ") + e.what());
  } catch (...) {
    defect("an exception that is not a std::exception");
  }
}

/// What a writer made of a parsed value (`written`) reads back and writes
/// again as the same text: `again(written)` reads and writes it once more.
/// A difference, or a refusal to read it, is a defect.
template <class F>
void round_trips(const std::string& written, F&& again) {
  try {
    if (again(written) != written) defect("no round trip: " + written);
  } catch (const Error& e) {
    defect(std::string("written back, it does not load: ") + e.what());
  }
}

/// For what runs after a successful parse and may refuse the parsed value
/// itself (no run in common, say): a bad_input error is an answer, not a defect.
template <class F>
void refusal_allowed(F&& step) {
  try {
    step();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::bad_input) throw;
  }
}

}  // namespace flopscope::fuzz
