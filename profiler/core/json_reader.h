#pragma once
// A cursor over a parsed JSON document that remembers its path, so that every
// validation error names exactly where it is ("$.runs[2].time_s.median").
// Internal to the core library; shared by every reader of flopscope files.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flopscope/error.h"

namespace flopscope::detail {

/// Objects keep their key order, so shapes read back as written.
using Json = nlohmann::ordered_json;

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
    if (j_->is_number_integer()) return j_->get<int64_t>();
    if (j_->is_boolean()) return j_->get<bool>() ? 1 : 0;
    fail("expected an integer");
  }
  bool boolean() const {
    if (!j_->is_boolean()) fail("expected true or false");
    return j_->get<bool>();
  }
  std::string string() const {
    if (!j_->is_string()) fail("expected a string");
    return j_->get<std::string>();
  }
  std::map<std::string, double> number_map() const {
    require_object();
    std::map<std::string, double> out;
    for (auto it = j_->begin(); it != j_->end(); ++it)
      out[it.key()] = JsonCursor(it.value(), path_ + "." + it.key(), origin_).number();
    return out;
  }

  double number(const std::string& key) const { return at(key).number(); }
  std::string string(const std::string& key) const { return at(key).string(); }
  std::optional<double> maybe_number(const std::string& key) const {
    auto c = maybe(key);
    return c ? std::optional<double>(c->number()) : std::nullopt;
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

/// Parses text, turning nlohmann's exceptions into one clear bad_input line.
Json parse_json_text(const std::string& text, const std::string& origin);

}  // namespace flopscope::detail
