// parse_json_text: JSON text to an ordered DOM, with one bad_input line for
// every way the text can be wrong (json_reader.h).
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "json_reader.h"

namespace flopscope::detail {
namespace {

// Builds the DOM as nlohmann's own SAX-to-DOM parser does, with two changes.
// Keys are appended, not looked up in the ordered map one by one: that lookup
// is linear, so one object with n keys took n^2/2 string comparisons (50 000
// keys: seconds; a few MiB of keys: hours). A repeated key is refused instead
// of silently keeping the last value. And nesting stops at kMaxJsonDepth.
class OrderedDomBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  OrderedDomBuilder(Json& root, const std::string& origin, std::size_t size)
      : root_(root), origin_(origin), size_(size) {}

  bool null() { return put(Json(nullptr)); }
  bool boolean(bool v) { return put(Json(v)); }
  bool number_integer(number_integer_t v) { return put(Json(v)); }
  bool number_unsigned(number_unsigned_t v) { return put(Json(v)); }
  bool number_float(number_float_t v, const string_t& /*text*/) { return put(Json(v)); }
  bool string(string_t& v) { return put(Json(std::move(v))); }
  bool binary(binary_t& /*v*/) { return false; }  // never produced by JSON text
  bool start_object(std::size_t /*len*/) { return open(Json::object()); }
  bool start_array(std::size_t /*len*/) { return open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    Frame& f = stack_.back();
    auto& members = f.value->get_ref<Json::object_t&>();
    bool repeated = false;
    if (f.index) {
      repeated = !f.index->insert(k).second;
    } else {
      for (const auto& m : members) repeated = repeated || m.first == k;
      // Small objects are scanned; from kIndexFrom keys on, a hash set is kept.
      if (!repeated && members.size() + 1 >= kIndexFrom) {
        f.index = std::make_unique<std::unordered_set<std::string>>();
        for (const auto& m : members) f.index->insert(m.first);
        f.index->insert(k);
      }
    }
    if (repeated)
      throw_bad_input(origin_ + ": " + path() + ": key '" + k + "' appears twice in one object; keep one");
    members.emplace_back(std::move(k), Json());  // Container::emplace_back: no lookup
    element_ = &members.back().second;
    f.key = members.back().first;
    return true;
  }

  bool parse_error(std::size_t byte, const std::string& /*token*/, const nlohmann::detail::exception& e) {
    if (e.id == 406)  // a number such as 1e999 that no double holds
      throw_bad_input(origin_ + ": " + value_path() + ": a number out of range at byte " +
                      std::to_string(byte) + " (finite numbers only)");
    // nlohmann's message is long and technical; keep the byte offset. An error
    // past the last byte is truncation, whatever the token (a cut inside a
    // string reads "invalid string"); trailing data ("expected end of input")
    // is not.
    const bool truncated =
        byte > size_ || std::string(e.what()).find("unexpected end of input") != std::string::npos;
    throw_bad_input(origin_ + ": " + (truncated ? "truncated JSON" : "malformed JSON") + " at byte " +
                    std::to_string(byte) + " (is the file complete and valid JSON?)");
  }

 private:
  static constexpr std::size_t kIndexFrom = 16;

  struct Frame {
    Json* value;
    std::unique_ptr<std::unordered_set<std::string>> index;  // keys seen, for large objects
    std::string key;    // object: the member being read
    std::size_t items = 0;  // array: elements so far
  };

  // Places a value where the parser is: the root, the next array element, or
  // the member whose key came last. Containers are filled one at a time, and
  // only the innermost open one grows, so the pointers on the stack stay valid.
  Json* place(Json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& f = stack_.back();
    if (f.value->is_array()) {
      auto& a = f.value->get_ref<Json::array_t&>();
      a.push_back(std::move(v));
      ++f.items;
      return &a.back();
    }
    *element_ = std::move(v);
    return element_;
  }
  bool put(Json&& v) {
    place(std::move(v));
    return true;
  }
  bool open(Json&& v) {
    if (stack_.size() >= kMaxJsonDepth)
      throw_bad_input(origin_ + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                      " levels (flopscope files nest a few); is this the right file?");
    Json* p = place(std::move(v));
    stack_.push_back(Frame{p, nullptr, {}, 0});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  // "$.runs[2].time_s": where the innermost open container sits.
  std::string path() const {
    std::string p = "$";
    for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.value->is_array()) {
        p.push_back('[');
        p.append(std::to_string(f.items - 1));
        p.push_back(']');
      } else {
        p.push_back('.');
        p.append(f.key);
      }
    }
    return p;
  }
  // The path of the value the parser is reading now: the innermost open
  // container's next element, or the member whose key came last.
  std::string value_path() const {
    if (stack_.empty()) return "$";
    std::string p = path();
    const Frame& f = stack_.back();
    if (f.value->is_array()) return p + "[" + std::to_string(f.items) + "]";
    return p + "." + f.key;
  }

  Json& root_;
  const std::string& origin_;
  std::size_t size_;  // bytes of the text
  std::vector<Frame> stack_;
  Json* element_ = nullptr;
};

}  // namespace

Json parse_json_text(const std::string& text, const std::string& origin) {
  // nlohmann reads a NUL byte as the end of the input: "[1]\0garbage" would
  // load, and a NUL mid-file would read as truncation. JSON text has none.
  if (const auto nul = text.find('\0'); nul != std::string::npos)
    throw_bad_input(origin + ": malformed JSON at byte " + std::to_string(nul + 1) +
                    ": a NUL byte (is this a JSON text file?)");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw_bad_input(origin + ": the file is empty" + (text.empty() ? "" : " (blanks only)") +
                    "; expected JSON (was it written completely?)");
  Json root;
  OrderedDomBuilder builder(root, origin, text.size());
  // Errors throw from the builder; false means a callback refused a value.
  if (!Json::sax_parse(text, &builder))
    throw_bad_input(origin + ": malformed JSON (is the file complete and valid JSON?)");
  return root;
}

}  // namespace flopscope::detail
