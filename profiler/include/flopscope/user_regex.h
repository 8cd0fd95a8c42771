#pragma once
/// Regular expressions a user gives on the command line (`--kernel`,
/// `--kernel-regex`), compiled so that no pattern can hang the search.
#include <regex>
#include <string>

namespace flopscope {

/// An ECMAScript pattern, searched for anywhere in a text in time linear in the
/// text's length (for a given pattern).
///
/// libstdc++'s default executor backtracks: nested loops such as "(.*)*x" or
/// "i******x" take exponential time in the text's length (over 20 s for a
/// 35-character kernel name). So the pattern is compiled for libstdc++'s
/// breadth-first executor (its own __polynomial flag). That executor's
/// regex_search restarts at every position (quadratic: "(?:.*){1000}#" took
/// 43 s on a 1000-character name), so the search is one full match of
/// `[\s\S]*?(?:pattern)[\s\S]*` instead (0.1 s), which finds the same texts:
/// anchors and \b still see the whole text.
///
/// Refused with bad_input naming `option` (e.g. "--kernel") and the pattern,
/// before libstdc++ reads it: back-references (that executor cannot do them,
/// and libstdc++ overflows a long on a huge number), repetition counts above
/// 1000 (likewise), a pattern that expands past 4000 items once its counts are
/// applied (nested counts multiply: each item is a state the search carries),
/// patterns over 1024 characters and parentheses nested over 100 deep (its
/// parser recurses on them). An invalid pattern is refused too.
class UserRegex {
 public:
  UserRegex(const std::string& pattern, const std::string& option);

  /// True when the pattern matches somewhere in `text`, as std::regex_search
  /// would say.
  bool found_in(const std::string& text) const;

 private:
  std::regex anywhere_;  // [\s\S]*?(?:pattern)[\s\S]*, matched against the whole text
};

}  // namespace flopscope
