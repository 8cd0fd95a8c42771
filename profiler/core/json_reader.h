#pragma once
// A cursor over a parsed JSON document that remembers its path, so that every
// validation error names exactly where it is ("$.runs[2].time_s.median").
// Internal to the core library; shared by every reader of flopscope files.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopscope/error.h"

namespace flopscope::detail {

/// Objects keep their key order, so shapes read back as written.
using Json = nlohmann::ordered_json;

/// Deeper nesting is bad input: flopscope files nest a few levels, and code
/// that walks a DOM recursively must not be handed a million levels.
inline constexpr std::size_t kMaxJsonDepth = 64;

class JsonCursor {
 public:
  JsonCursor(const Json& j, std::string path, std::string origin)
      : j_(&j), path_(std::move(path)), origin_(std::move(origin)) {}

  const Json& value() const { return *j_; }
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(const std::string& what) const {
    throw_bad_input(origin_ + ": " + path_ + ": " + what);
  }
  void require_object() const {
    if (!j_->is_object()) fail("expected an object");
  }
  bool has(const std::string& key) const { return j_->is_object() && j_->contains(key); }

  JsonCursor at(const std::string& key) const {
    require_object();
    auto it = j_->find(key);
    if (it == j_->end()) fail("missing key '" + key + "'");
    return JsonCursor(*it, path_ + "." + key, origin_);
  }
  std::optional<JsonCursor> maybe(const std::string& key) const {
    require_object();
    auto it = j_->find(key);
    if (it == j_->end() || it->is_null()) return std::nullopt;
    return JsonCursor(*it, path_ + "." + key, origin_);
  }
  std::vector<JsonCursor> items() const {
    if (!j_->is_array()) fail("expected an array");
    std::vector<JsonCursor> out;
    for (size_t i = 0; i < j_->size(); ++i)
      out.emplace_back((*j_)[i], path_ + "[" + std::to_string(i) + "]", origin_);
    return out;
  }

  double number() const {
    if (!j_->is_number()) fail("expected a number");
    return j_->get<double>();
  }
  int64_t integer() const {
    if (j_->is_number_unsigned() && j_->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      fail("integer out of range (at most 2^63 - 1)");
    if (j_->is_number_integer()) return j_->get<int64_t>();
    if (j_->is_boolean()) return j_->get<bool>() ? 1 : 0;
    fail("expected an integer");
  }
  /// An integer in [lo, hi]; `what` says what is allowed, e.g. "an integer >= 1".
  int64_t integer_in(int64_t lo, int64_t hi, const std::string& what) const {
    const int64_t v = integer();
    if (v < lo || v > hi) fail("expected " + what + ", got " + std::to_string(v));
    return v;
  }
  /// A number that is not negative (counts, sizes, rates: zero is allowed).
  double non_negative() const {
    const double v = number();
    if (!(v >= 0)) fail("expected a number >= 0, got " + j_->dump());
    return v;
  }
  /// An array of numbers >= 0, read without a cursor per element: the paths
  /// alone once cost ~170 bytes a sample (a 240 MB file took 8.7 GB).
  std::vector<double> non_negative_array() const {
    if (!j_->is_array()) fail("expected an array");
    std::vector<double> out;
    out.reserve(j_->size());
    for (size_t i = 0; i < j_->size(); ++i) {
      const Json& x = (*j_)[i];
      if (x.is_number() && x.get<double>() >= 0) {
        out.push_back(x.get<double>());
        continue;
      }
      JsonCursor(x, path_ + "[" + std::to_string(i) + "]", origin_).non_negative();  // fails, naming it
    }
    return out;
  }
  double positive() const {
    const double v = number();
    if (!(v > 0)) fail("expected a number > 0, got " + j_->dump());
    return v;
  }
  bool boolean() const {
    if (!j_->is_boolean()) fail("expected true or false");
    return j_->get<bool>();
  }
  std::string string() const {
    if (!j_->is_string()) fail("expected a string");
    return j_->get<std::string>();
  }
  /// The members of an object, in file order (no per-key lookup: large
  /// objects stay linear).
  std::vector<std::pair<std::string, JsonCursor>> members() const {
    require_object();
    std::vector<std::pair<std::string, JsonCursor>> out;
    for (auto it = j_->begin(); it != j_->end(); ++it)
      out.emplace_back(it.key(), JsonCursor(it.value(), path_ + "." + it.key(), origin_));
    return out;
  }
  std::map<std::string, double> number_map() const {
    std::map<std::string, double> out;
    for (const auto& [key, c] : members()) out[key] = c.number();
    return out;
  }
  std::map<std::string, double> non_negative_map() const {
    std::map<std::string, double> out;
    for (const auto& [key, c] : members()) out[key] = c.non_negative();
    return out;
  }

  double number(const std::string& key) const { return at(key).number(); }
  std::string string(const std::string& key) const { return at(key).string(); }
  double non_negative(const std::string& key) const { return at(key).non_negative(); }
  std::optional<double> maybe_non_negative(const std::string& key) const {
    auto c = maybe(key);
    return c ? std::optional<double>(c->non_negative()) : std::nullopt;
  }
  std::string string_or(const std::string& key, const std::string& fallback) const {
    auto c = maybe(key);
    return c ? c->string() : fallback;
  }

 private:
  const Json* j_;
  std::string path_;
  std::string origin_;
};

/// Parses text into an ordered DOM (json_reader.cpp). Every problem is one
/// bad_input line naming `origin`: malformed or truncated JSON with the byte
/// offset, a number out of range, a key given twice in one object, nesting
/// deeper than kMaxJsonDepth.
Json parse_json_text(const std::string& text, const std::string& origin);

}  // namespace flopscope::detail
