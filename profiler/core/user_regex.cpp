#include "flopscope/user_regex.h"

#include <cctype>

#include "flopscope/error.h"

namespace flopscope {

namespace {

#ifdef __GLIBCXX__
constexpr auto kRegexFlags = std::regex::ECMAScript | std::regex::optimize | std::regex_constants::__polynomial;
#else
constexpr auto kRegexFlags = std::regex::ECMAScript | std::regex::optimize;
#endif

// libstdc++ reads a brace count into a long with no overflow check (undefined
// behaviour past LONG_MAX; a wrapped count then matched nonsense) and makes one
// NFA state per repetition. No kernel-name pattern needs more than this.
constexpr long kMaxRepeat = 1000;

// libstdc++'s regex compiler recurses once per item of a sequence (about 100
// bytes of stack each, optimized) and a few times per level of parentheses:
// 130 000 'a's or 30 000 '(' (one command-line argument each) overflowed an
// 8 MiB stack, 3000 'a's a 256 KiB one, and the injection library compiles
// --kernel-regex on the application thread that initialises CUDA. These keep
// it near 100 KiB, and are far beyond any kernel-name pattern.
constexpr size_t kMaxPatternBytes = 1024;
constexpr int kMaxGroupDepth = 100;

constexpr const char* kBackReference =
    " uses a back-reference (\\1...), which is not supported: write the text out";

// A pattern too long or too deep as an error message quotes it: cut short.
std::string quoted(const std::string& option, const std::string& pattern) {
  constexpr size_t kShown = 60;
  return option + " '" + (pattern.size() > kShown ? pattern.substr(0, kShown) + "..." : pattern) + "'";
}

// The pattern's length, how deep its groups nest, its back-references, and
// the counts of every {m}, {m,} and {m,n} outside a character class.
void check_pattern(const std::string& pattern, const std::string& option) {
  if (pattern.size() > kMaxPatternBytes)
    throw_bad_input(quoted(option, pattern) + " is " + std::to_string(pattern.size()) +
                    " characters long: patterns over " + std::to_string(kMaxPatternBytes) + " are not supported");
  bool in_class = false;
  int depth = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      // libstdc++ reads the number of a back-reference (\1, \23...) into a long
      // with no overflow check: refused before it parses "\99999999999999999999".
      if (!in_class && i + 1 < pattern.size() && pattern[i + 1] >= '1' && pattern[i + 1] <= '9')
        throw_bad_input(option + " '" + pattern + "'" + kBackReference);
      ++i;  // an escaped character is literal
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      if (++depth > kMaxGroupDepth)
        throw_bad_input(quoted(option, pattern) + " nests parentheses over " + std::to_string(kMaxGroupDepth) +
                        " deep, which is not supported");
    } else if (c == ')') {
      depth = depth > 0 ? depth - 1 : 0;  // an unmatched ')' is the regex parser's to refuse
    } else if (c == '{') {
      for (size_t j = i + 1;; ++j) {  // the digits up to the closing brace, commas skipped
        size_t end = j;
        while (end < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[end]))) ++end;
        if (end - j > 4 || (end > j && std::stol(pattern.substr(j, end - j)) > kMaxRepeat))
          throw_bad_input(option + " '" + pattern + "' repeats something " + pattern.substr(j, end - j) +
                          " times: counts above " + std::to_string(kMaxRepeat) + " are not supported");
        if (end >= pattern.size() || pattern[end] != ',') break;
        j = end;
      }
    }
  }
}

}  // namespace

std::regex compile_user_regex(const std::string& pattern, const std::string& option) {
  check_pattern(pattern, option);
  try {
    return std::regex(pattern, kRegexFlags);
  } catch (const std::regex_error& e) {
    if (e.code() == std::regex_constants::error_complexity)  // __polynomial's refusal
      throw_bad_input(option + " '" + pattern + "'" + kBackReference);
    throw_bad_input(option + " '" + pattern + "' is not a valid regular expression (" + e.what() + ")");
  }
}

}  // namespace flopscope
