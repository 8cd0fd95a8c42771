#include "flopscope/utf8.h"

#include <algorithm>

namespace flopscope {

size_t text_columns(const std::string& s) {  // continuation bytes take none
  return size_t(
      std::count_if(s.begin(), s.end(), [](char c) { return !continues_character(static_cast<unsigned char>(c)); }));
}

std::string valid_utf8(const std::string& text) {
  auto byte = [&](size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned b = byte(i);
    // Length of the sequence b starts, and the range its second byte must lie in
    // (which rules out overlong forms, surrogates and values past U+10FFFF).
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (b < 0x80) len = 1;
    else if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b == 0xE0) len = 3, lo = 0xA0;
    else if (b == 0xED) len = 3, hi = 0x9F;
    else if (b >= 0xE1 && b <= 0xEF) len = 3;
    else if (b == 0xF0) len = 4, lo = 0x90;
    else if (b == 0xF4) len = 4, hi = 0x8F;
    else if (b >= 0xF1 && b <= 0xF3) len = 4;
    size_t good = len ? 1 : 0;  // bytes of the sequence that are right so far
    while (good && good < len) {
      const unsigned c = byte(i + good);
      if (i + good >= text.size() || c < (good == 1 ? lo : 0x80u) || c > (good == 1 ? hi : 0xBFu)) break;
      ++good;
    }
    if (len && good == len) {
      out.append(text, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += std::max<size_t>(good, 1);
    }
  }
  return out;
}

std::string first_columns(const std::string& s, size_t n) {
  size_t seen = 0, i = 0;
  for (; i < s.size(); ++i)
    if (!continues_character(static_cast<unsigned char>(s[i])) && seen++ == n) break;
  return s.substr(0, i);
}

std::string last_columns(const std::string& s, size_t n) {
  const size_t cols = text_columns(s);
  if (n >= cols) return s;
  const std::string head = first_columns(s, cols - n);
  return s.substr(head.size());
}

}  // namespace flopscope
