#pragma once
/// UTF-8 text: the one place that knows how the encoding's bytes look. Names in
/// results files are UTF-8 (the reader checks), and every cut, count or escape
/// of them goes through these so that no character is split in two.
#include <cstddef>
#include <cstdint>
#include <string>

namespace flopscope {

/// True for a byte that continues a character (10xxxxxx) rather than starting one.
inline bool continues_character(unsigned char byte) { return (byte & 0xC0) == 0x80; }

/// The length of the sequence `lead` starts, by its high bits alone (1 for a
/// stray continuation byte, so that a loop over text always advances).
inline size_t sequence_length(unsigned char lead) {
  return lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

/// The largest n' <= n at which `s` may be cut without splitting a character.
inline size_t character_start_at_or_before(const std::string& s, size_t n) {
  if (n >= s.size()) return s.size();
  while (n > 0 && continues_character(static_cast<unsigned char>(s[n]))) --n;
  return n;
}

/// The smallest n' >= n at which `s` may be cut without splitting a character.
inline size_t character_start_at_or_after(const std::string& s, size_t n) {
  while (n < s.size() && continues_character(static_cast<unsigned char>(s[n]))) ++n;
  return n;
}

/// The bidi overrides and isolates (U+202A..U+202E, U+2066..U+2069): one in a
/// kernel name reorders what follows it, the figures beside it too ("76.8%"
/// read as "8.67%"). Every view replaces them.
inline bool reorders_text(uint32_t code_point) {
  return (code_point >= 0x202A && code_point <= 0x202E) || (code_point >= 0x2066 && code_point <= 0x2069);
}

/// The bytes of a character at `i` that must not reach a terminal as is, or
/// 0: an ASCII control or DEL (1), a C1 control U+0080..U+009F, an 8-bit CSI
/// among them (2), or one of reorders_text's code points, as its three UTF-8
/// bytes E2 80 AA..AE and E2 81 A6..A9 (3). Shared by error messages
/// (flopscope/error.h) and the reports' terminal, CSV and Markdown text.
inline size_t unsafe_char_length(const std::string& s, size_t i) {
  auto byte = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned u = byte(i);
  if (u < 0x20 || u == 0x7f) return 1;
  if (u == 0xC2 && byte(i + 1) >= 0x80 && byte(i + 1) <= 0x9F) return 2;
  if (u == 0xE2 && ((byte(i + 1) == 0x80 && byte(i + 2) >= 0xAA && byte(i + 2) <= 0xAE) ||
                    (byte(i + 1) == 0x81 && byte(i + 2) >= 0xA6 && byte(i + 2) <= 0xA9)))
    return 3;
  return 0;
}

/// `text` with each ill-formed UTF-8 sequence (its maximal subpart, as Unicode
/// recommends) replaced by U+FFFD: what may go into JSON, XML or a terminal.
std::string valid_utf8(const std::string& text);

/// Terminal columns of UTF-8 text, taken as one per character (a wide CJK
/// character counts as one, close enough for alignment).
size_t text_columns(const std::string& s);

/// The first `n` columns (characters) of UTF-8 text `s`, never cutting one in two.
std::string first_columns(const std::string& s, size_t n);
/// The last `n` columns (characters) of UTF-8 text `s`, never cutting one in two.
std::string last_columns(const std::string& s, size_t n);

}  // namespace flopscope
