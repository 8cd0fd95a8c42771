#pragma once
// Deterministic mutation fuzzing of the parsers of user input
// (parser_fuzz_test.cpp, collector_fuzz_test.cpp): mutants of valid seed
// inputs, and the oracle every parser is held to. Bad input is one bad_input
// line naming the file; never another exception, a crash or a slow parse.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopscope/error.h"

namespace flopscope::test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

#ifdef NDEBUG
inline constexpr bool kOptimized = !kSanitized;
#else
inline constexpr bool kOptimized = false;
#endif

/// One parse taking this long means super-linear work on some input (the
/// blow-ups found so far took 8 s to minutes). A linear parse of the largest
/// inputs here (440 KB of contract overrides) takes 0.4 s alone but 1.4 s on a
/// 2-core machine under ctest -j and a build: hence 4 s, not less.
/// Unoptimized and sanitized builds get ten times as long.
inline constexpr double kSlowParseSeconds = kOptimized ? 4.0 : 40.0;

/// Printable and bounded: a failing input shown in a test log, \xNN for any
/// byte that is not printable ASCII.
inline std::string escaped(const std::string& s, size_t max = 600) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

/// Tokens every text format meets: JSON punctuation and escapes, numbers at
/// the edges of double and int64, whitespace and control bytes.
inline std::vector<std::string> json_tokens() {
  return {"{", "}", "[", "]", "\"", ",", ":", "\\", "\\u0000", "\\n", "\\ud800", "\\\"",
          "0", "1", "-", "-0", "1e309", "-1e309", "4.9e-324", "1.7976931348623157e308",
          "9223372036854775807", "9223372036854775808", "-9223372036854775808",
          "18446744073709551615", "18446744073709551616", "1e18", "0.5", "NaN", "Infinity",
          "null", "true", "false", "\"\"", "[]", "{}", "[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]",
          " ", "\t", "\n", "\r", std::string(1, '\0'), "\xff", "\xc3\xa9", "\xef\xbb\xbf"};
}

class Mutator {
  using Json = nlohmann::ordered_json;

 public:
  Mutator(uint32_t seed, std::vector<std::string> tokens) : rng_(seed), tokens_(std::move(tokens)) {}

  /// An index below n (0 when n is 0). mt19937's output is the same on every
  /// platform; the standard distributions' are not.
  size_t below(size_t n) { return n == 0 ? 0 : size_t(rng_() % n); }
  bool chance(int percent) { return below(100) < size_t(percent); }
  const std::string& token() { return tokens_[below(tokens_.size())]; }

  /// One to four byte-level changes: bytes set, flipped, inserted, removed,
  /// duplicated or swapped; dictionary tokens inserted; a number replaced by
  /// one at the edge; a truncation.
  std::string bytes(std::string s) {
    const size_t n = 1 + below(4);
    for (size_t i = 0; i < n; ++i) s = one_change(std::move(s));
    return s;
  }

  /// A JSON text changed as a tree, then written back: a value replaced by
  /// another type or an extreme, removed, duplicated, or its key renamed. So
  /// the mutants are valid JSON and reach the validation behind the syntax.
  /// `json_text` must parse.
  std::string tree(const std::string& json_text) {
    Json doc = Json::parse(json_text);
    const size_t n = 1 + below(3);
    for (size_t i = 0; i < n; ++i) tree_change(doc);
    return chance(50) ? doc.dump() : doc.dump(2);
  }

 private:
  // A span [at, at + len) of s, len >= 1 when s is not empty.
  std::pair<size_t, size_t> span(const std::string& s, size_t max_len = 64) {
    const size_t at = below(s.size());
    const size_t len = 1 + below(std::min(max_len, s.size() - at));
    return {at, len};
  }

  std::string one_change(std::string s) {
    const size_t op = below(10);
    if (s.empty() || op == 0) {
      s.insert(below(s.size() + 1), token());
      return s;
    }
    switch (op) {
      case 1: s[below(s.size())] = char(below(256)); break;
      case 2: s[below(s.size())] ^= char(1u << below(8)); break;
      case 3: s.resize(below(s.size())); break;
      case 4: {
        std::string junk(1 + below(8), '\0');
        for (char& c : junk) c = char(below(256));
        s.insert(below(s.size() + 1), junk);
        break;
      }
      case 5: {
        const auto [at, len] = span(s);
        s.erase(at, len);
        break;
      }
      case 6: {
        const auto [at, len] = span(s);
        const std::string copy = s.substr(at, len);
        s.insert(below(s.size() + 1), copy);
        break;
      }
      case 7: {  // two spans trade places
        const auto [a, la] = span(s, 32);
        if (a + la >= s.size()) break;
        const size_t b = a + la + below(s.size() - a - la);
        const size_t lb = 1 + below(std::min<size_t>(32, s.size() - b));
        s = s.substr(0, a) + s.substr(b, lb) + s.substr(a + la, b - a - la) + s.substr(a, la) + s.substr(b + lb);
        break;
      }
      case 8: {  // a run of digits becomes a token (an edge number, most often)
        const size_t from = s.find_first_of("0123456789", below(s.size()));
        if (from == std::string::npos) break;
        const size_t to = s.find_first_not_of("0123456789.eE+-", from);
        s.replace(from, (to == std::string::npos ? s.size() : to) - from, token());
        break;
      }
      default: {
        const auto [at, len] = span(s, 8);
        s.replace(at, len, token());
        break;
      }
    }
    return s;
  }

  Json odd_value() {
    switch (below(22)) {
      case 0: return nullptr;
      case 1: return true;
      case 2: return 0;
      case 3: return -1;
      case 4: return -0.0;
      case 5: return 1.5;
      case 6: return 1.7976931348623157e308;
      case 7: return -1e300;
      case 8: return 4.9e-324;
      case 9: return INT64_MAX;
      case 10: return uint64_t(INT64_MAX) + 1;
      case 11: return UINT64_MAX;
      case 12: return INT64_MIN;
      case 13: return "";
      case 14: return "x\ny\r\tz\x01";
      case 15: return std::string(10000, 'a');
      case 16: return Json::array();
      case 17: return Json::object();
      case 18: return Json::array({1, "a", nullptr});
      case 19: return Json::object({{"a", 1}});
      case 20: {
        Json deep = 1;
        for (int i = 0; i < 70; ++i) deep = Json::array({deep});
        return deep;
      }
      default: return 4e9;  // above uint32
    }
  }

  // Every node as (its parent, its key or index); the root has no parent.
  struct Slot {
    Json* parent;
    std::string key;
    size_t index;
    Json* node;
  };
  static void collect(Json& j, Json* parent, const std::string& key, size_t index, std::vector<Slot>& out) {
    out.push_back({parent, key, index, &j});
    if (j.is_object())
      for (auto& [k, v] : j.items()) collect(v, &j, k, 0, out);
    if (j.is_array())
      for (size_t i = 0; i < j.size(); ++i) collect(j[i], &j, "", i, out);
  }

  void tree_change(Json& doc) {
    std::vector<Slot> slots;
    collect(doc, nullptr, "", 0, slots);
    const Slot s = slots[below(slots.size())];
    const size_t op = below(6);
    if (op == 0 && s.parent) {  // removed
      if (s.parent->is_object()) s.parent->erase(s.key);
      else s.parent->erase(s.index);
    } else if (op == 1 && s.parent && s.parent->is_object()) {  // key renamed, order kept
      static const char* const kKeys[] = {"", "x", "a\nb", "\xc3\xa9", "$", "runs", "id", "shape", "n"};
      const std::string to = chance(50) ? kKeys[below(std::size(kKeys))] : s.key + s.key;
      if (s.parent->contains(to)) return;
      Json renamed = Json::object();
      for (auto& [k, v] : s.parent->items()) renamed[k == s.key ? to : k] = v;
      *s.parent = std::move(renamed);
    } else if (op == 2 && s.parent && s.parent->is_array()) {  // duplicated, a few or many times
      const Json copy = *s.node;
      const size_t times = chance(90) ? 1 + below(3) : 200;
      for (size_t i = 0; i < times; ++i) s.parent->push_back(copy);
    } else if (op == 3) {  // another node of the same document: realistic, often the wrong type
      *s.node = Json(*slots[below(slots.size())].node);
    } else {
      *s.node = odd_value();
    }
  }

  std::mt19937 rng_;
  std::vector<std::string> tokens_;
};

/// Runs parsers on inputs and holds each call to the contract: it returns, or
/// throws flopscope::Error of kind bad_input whose what() is one non-empty
/// line starting with `origin` (when given); in under kSlowParseSeconds.
/// Failures name the case and the input, escaped, so it can be reproduced.
class Oracle {
 public:
  Oracle(std::string name, std::string origin) : name_(std::move(name)), origin_(std::move(origin)) {}
  ~Oracle() {
    std::printf("[ fuzz     ] %s: %d inputs, %d accepted, %d refused, slowest %.3f ms (%s)\n", name_.c_str(),
                accepted_ + refused_, accepted_, refused_, slowest_s_ * 1e3, slowest_label_.c_str());
  }

  /// The valid input the next mutants come from: a failure shows where its
  /// mutant differs from it.
  void seed(const std::string& s) { seed_ = s; }

  /// True when `parse` accepted `input`.
  bool check(const std::string& input, const std::function<void()>& parse, const std::string& label = "") {
    const auto t0 = std::chrono::steady_clock::now();
    std::string problem;
    bool ok = false;
    try {
      parse();
      ok = true;
    } catch (const Error& e) {
      const std::string what = e.what();
      if (e.kind() != ErrorKind::bad_input) problem = "an Error that is not bad_input: " + what;
      else if (what.empty()) problem = "an empty message";
      else if (what.find_first_of("\n\r") != std::string::npos)
        problem = "a message of several lines: " + escaped(what);
      else if (what.rfind(origin_, 0) != 0) problem = "a message not naming '" + origin_ + "': " + what;
    } catch (const std::exception& e) {
      problem = std::string("a std::exception that is not flopscope::Error: ") + e.what();
    } catch (...) {
      problem = "an exception that is not a std::exception";
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > slowest_s_) {
      slowest_s_ = s;
      slowest_label_ = label;
    }
    if (problem.empty() && s > kSlowParseSeconds)
      problem = "a slow parse: " + std::to_string(s) + " s for " + std::to_string(input.size()) + " bytes";
    (ok ? accepted_ : refused_)++;
    if (!problem.empty()) fail(label, input, problem);
    return ok;
  }

  /// A failure of a property checked after the parse (a round trip, say).
  void fail(const std::string& label, const std::string& input, const std::string& problem) {
    if (++failures_ > 5) return;
    size_t at = 0;
    while (at < input.size() && at < seed_.size() && input[at] == seed_[at]) ++at;
    const size_t from = at > 80 ? at - 80 : 0;
    ADD_FAILURE() << name_ << " " << label << ": " << problem << "\n  input (" << input.size()
                  << " bytes, from byte " << from << "; differs from the seed at byte " << at << "): \""
                  << escaped(input.substr(from)) << "\"";
  }

  int accepted() const { return accepted_; }
  int refused() const { return refused_; }

 private:
  std::string name_, origin_, seed_, slowest_label_;
  int accepted_ = 0, refused_ = 0, failures_ = 0;
  double slowest_s_ = 0;
};

/// `n` mutants of `seeds` made by `mutate(seed, i)`, each checked with
/// `parse(mutant, label)`, where the label names the mutant for a rerun.
inline void check_mutants(Oracle& oracle, Mutator& m, const std::vector<std::string>& seeds, int n,
                          const std::function<std::string(const std::string&, int)>& mutate,
                          const std::function<void(const std::string&, const std::string&)>& parse) {
  for (int i = 0; i < n; ++i) {
    const std::string& seed = seeds[m.below(seeds.size())];
    oracle.seed(seed);
    const std::string text = mutate(seed, i);
    const std::string label = "mutant " + std::to_string(i);
    oracle.check(text, [&] { parse(text, label); }, label);
  }
}

/// Every prefix of `seed`, from empty to whole: a file cut short anywhere.
inline void check_prefixes(Oracle& oracle, const std::string& seed,
                           const std::function<void(const std::string&)>& parse) {
  oracle.seed(seed);
  for (size_t cut = 0; cut <= seed.size(); ++cut) {
    const std::string text = seed.substr(0, cut);
    oracle.check(text, [&] { parse(text); }, "prefix " + std::to_string(cut));
  }
}

}  // namespace flopscope::test
