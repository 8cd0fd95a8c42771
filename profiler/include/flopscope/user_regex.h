#pragma once
/// Regular expressions a user gives on the command line (`--kernel`,
/// `--kernel-regex`), compiled so that no pattern can hang the search.
#include <regex>
#include <string>

namespace flopscope {

/// `pattern` as an ECMAScript regex. libstdc++'s default executor backtracks:
/// nested loops such as "(.*)*x" or "i******x" take exponential time in the
/// text's length (over 20 s for a 35-character kernel name). This compiles for
/// its breadth-first executor instead (libstdc++'s own __polynomial flag),
/// whose time is polynomial; that executor cannot do back-references, which are
/// refused before libstdc++ reads their number (it overflows on huge ones), as
/// are repetition counts above 1000 (likewise), patterns over 1024 characters
/// and parentheses nested over 100 deep (its parser recurses on them). Throws
/// bad_input naming `option` (e.g. "--kernel") and the pattern.
std::regex compile_user_regex(const std::string& pattern, const std::string& option);

}  // namespace flopscope
