#include "flopscope/user_regex.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

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

// The breadth-first search carries a state per item: "(?:(?:.*){1000}){15}#"
// (15 000 items) took 52 s on a 187-character name searched position by
// position, and still 1.5 s on a 1000-character one matched in one pass. No
// kernel-name pattern needs more than this.
constexpr double kMaxItems = 4000;

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
  return option + " '" + clipped(pattern) + "'";
}

// Items in one open group of a pattern, as check_pattern reads it.
struct GroupItems {
  double total = 0;  // items so far, counts applied
  double last = 0;   // the last item's size: what a count after it repeats
  void add(double items) {
    total += items;
    last = items;
  }
};

// The count of "{m}", "{m,}" or "{m,n}" starting at `open` (its '{') and the
// index of its '}'; none when the brace starts no count (the regex parser
// reads it as a literal or refuses it). Every number up to the closing brace
// is checked first: libstdc++ reads each into a long.
std::optional<std::pair<long, size_t>> repeat_count(const std::string& pattern, size_t open,
                                                    const std::string& option) {
  std::vector<std::string> numbers;
  size_t j = open + 1;
  for (;;) {
    size_t end = j;
    while (end < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[end]))) ++end;
    numbers.push_back(pattern.substr(j, end - j));
    if (numbers.back().size() > 4 || (end > j && std::stol(numbers.back()) > kMaxRepeat))
      throw_bad_input(option + " '" + pattern + "' repeats something " + numbers.back() +
                      " times: counts above " + std::to_string(kMaxRepeat) + " are not supported");
    j = end;
    if (j >= pattern.size() || pattern[j] != ',') break;
    ++j;
  }
  if (j >= pattern.size() || pattern[j] != '}' || numbers.size() > 2 || numbers[0].empty()) return std::nullopt;
  const long m = std::stol(numbers[0]);
  if (numbers.size() == 1) return std::pair{m, j};
  // "{m,}" is m items and a loop: one more.
  return std::pair{numbers[1].empty() ? m + 1 : std::max(m, std::stol(numbers[1])), j};
}

// The pattern's length, how deep its groups nest, its back-references, the
// counts of every {m}, {m,} and {m,n} outside a character class, and how many
// items it expands to with those counts applied.
void check_pattern(const std::string& pattern, const std::string& option) {
  if (pattern.size() > kMaxPatternBytes)
    throw_bad_input(quoted(option, pattern) + " is " + std::to_string(pattern.size()) +
                    " characters long: patterns over " + std::to_string(kMaxPatternBytes) + " are not supported");
  std::vector<GroupItems> groups(1);  // the whole pattern, then each open group
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    GroupItems& g = groups.back();
    if (c == '\\') {
      // libstdc++ reads the number of a back-reference (\1, \23...) into a long
      // with no overflow check: refused before it parses "\99999999999999999999".
      if (i + 1 < pattern.size() && pattern[i + 1] >= '1' && pattern[i + 1] <= '9')
        throw_bad_input(option + " '" + pattern + "'" + kBackReference);
      ++i;  // an escaped character is literal
      g.add(1);
    } else if (c == '[') {  // a class is one item, whatever it holds
      for (++i; i < pattern.size() && pattern[i] != ']'; ++i) i += pattern[i] == '\\';
      g.add(1);
    } else if (c == '(') {
      if (groups.size() > size_t(kMaxGroupDepth))
        throw_bad_input(quoted(option, pattern) + " nests parentheses over " + std::to_string(kMaxGroupDepth) +
                        " deep, which is not supported");
      if (i + 2 < pattern.size() && pattern[i + 1] == '?') i += 2;  // (?: (?= (?!
      groups.emplace_back();
    } else if (c == ')') {
      if (groups.size() == 1) continue;  // an unmatched ')' is the regex parser's to refuse
      const double inside = g.total;
      groups.pop_back();
      groups.back().add(inside);
    } else if (c == '|') {
      g.last = 0;  // another alternative: its items add to the group's
    } else if (c == '{') {
      if (const auto count = repeat_count(pattern, i, option)) {
        // The last item, `count` times: nested counts multiply.
        g.total += g.last * double(count->first - 1);
        g.last *= double(count->first);
        i = count->second;
      } else {
        g.add(1);
      }
    } else if (c != '*' && c != '+' && c != '?') {  // those loop or skip: no item more
      g.add(1);
    }
    // Checked as it grows (totals stay small): an inner group over the limit
    // is refused even if a {0} drops it, as libstdc++ builds it first.
    if (groups.back().total > kMaxItems)
      throw_bad_input(quoted(option, pattern) + " expands to over " + std::to_string(long(kMaxItems)) +
                      " items once its repetition counts are applied (nested counts multiply), "
                      "which is not supported");
  }
}

}  // namespace

UserRegex::UserRegex(const std::string& pattern, const std::string& option) {
  check_pattern(pattern, option);
  try {
    // Compiled as given first: that is what is valid or not ("a)(b" would pass wrapped).
    const std::regex as_given(pattern, kRegexFlags);
    anywhere_ = std::regex("[\\s\\S]*?(?:" + pattern + ")[\\s\\S]*", kRegexFlags);
  } catch (const std::regex_error& e) {
    if (e.code() == std::regex_constants::error_complexity)  // __polynomial's refusal
      throw_bad_input(option + " '" + pattern + "'" + kBackReference);
    throw_bad_input(option + " '" + pattern + "' is not a valid regular expression (" + e.what() + ")");
  }
}

bool UserRegex::found_in(const std::string& text) const { return std::regex_match(text, anywhere_); }

}  // namespace flopscope
