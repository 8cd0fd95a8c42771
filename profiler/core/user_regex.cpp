#include "flopscope/user_regex.h"

#include "flopscope/error.h"

namespace flopscope {

namespace {

#ifdef __GLIBCXX__
constexpr auto kRegexFlags = std::regex::ECMAScript | std::regex::optimize | std::regex_constants::__polynomial;
#else
constexpr auto kRegexFlags = std::regex::ECMAScript | std::regex::optimize;
#endif

}  // namespace

std::regex compile_user_regex(const std::string& pattern, const std::string& option) {
  try {
    return std::regex(pattern, kRegexFlags);
  } catch (const std::regex_error& e) {
    if (e.code() == std::regex_constants::error_complexity)  // __polynomial's refusal
      throw_bad_input(option + " '" + pattern +
                      "' uses a back-reference (\\1...), which is not supported: write the text out");
    throw_bad_input(option + " '" + pattern + "' is not a valid regular expression (" + e.what() + ")");
  }
}

}  // namespace flopscope
