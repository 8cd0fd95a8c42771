#pragma once
// A small XML well-formedness check for the JUnit reporters' tests: balanced
// and properly nested elements, quoted attributes, only the five predefined
// entities (or numeric ones), no raw '<' or '&' in text, no code point XML
// 1.0 forbids (controls but tab, newline and carriage return; DEL and the C1
// controls, which XML 1.0 discourages and HTML forbids; noncharacters).
// Not a full parser: no DTDs, CDATA or comments.
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

namespace flopscope::test {

/// "" when `xml` is well-formed, else the first problem found.
inline std::string xml_problem(const std::string& xml) {
  std::vector<std::string> open;
  size_t i = 0;
  auto entity_ok = [&](size_t at) {
    const size_t semi = xml.find(';', at);
    if (semi == std::string::npos) return false;
    const std::string e = xml.substr(at + 1, semi - at - 1);
    if (e == "amp" || e == "lt" || e == "gt" || e == "quot" || e == "apos") return true;
    if (e.size() > 1 && e[0] == '#') {
      for (size_t k = 1; k < e.size(); ++k)
        if (!std::isxdigit(static_cast<unsigned char>(e[k])) && !(k == 1 && e[k] == 'x')) return false;
      return true;
    }
    return false;
  };
  // The code point of the UTF-8 sequence at `k` (0xFFFFFFFF for a broken one).
  auto code_point = [&](size_t k) -> uint32_t {
    const unsigned char lead = static_cast<unsigned char>(xml[k]);
    const size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n == 1) return lead;
    if (k + n > xml.size()) return 0xFFFFFFFF;
    uint32_t cp = lead & (0x7F >> n);
    for (size_t j = 1; j < n; ++j) cp = (cp << 6) | (static_cast<unsigned char>(xml[k + j]) & 0x3F);
    return cp;
  };
  auto forbidden = [](uint32_t cp) {
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F) ||
           (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
  };
  auto text_ok = [&](size_t b, size_t e, char quote) -> std::string {
    for (size_t k = b; k < e; ++k) {
      const unsigned char c = static_cast<unsigned char>(xml[k]);
      if ((c < 0x80 || c >= 0xC0) && forbidden(code_point(k)))
        return "forbidden code point at " + std::to_string(k);
      if (xml[k] == '<') return "raw '<' at " + std::to_string(k);
      if (xml[k] == '&' && !entity_ok(k)) return "bad entity at " + std::to_string(k);
      if (quote && xml[k] == quote) return "unescaped quote at " + std::to_string(k);
    }
    return "";
  };
  if (xml.rfind("<?xml", 0) == 0) {
    i = xml.find("?>");
    if (i == std::string::npos) return "unterminated XML declaration";
    i += 2;
  }
  bool root_seen = false;
  while (i < xml.size()) {
    const size_t lt = xml.find('<', i);
    const size_t text_end = lt == std::string::npos ? xml.size() : lt;
    if (auto p = text_ok(i, text_end, 0); !p.empty()) return p;
    if (open.empty() && xml.find_first_not_of(" \t\r\n", i) < text_end) return "text outside the root";
    if (lt == std::string::npos) break;
    const size_t gt = xml.find('>', lt);
    if (gt == std::string::npos) return "unterminated tag at " + std::to_string(lt);
    std::string tag = xml.substr(lt + 1, gt - lt - 1);
    if (!tag.empty() && tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return "mismatched </" + tag.substr(1) + ">";
      open.pop_back();
    } else {
      const bool self_closing = !tag.empty() && tag.back() == '/';
      if (self_closing) tag.pop_back();
      size_t k = 0;
      while (k < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[k])) || tag[k] == '-' ||
                                tag[k] == '_' || tag[k] == ':'))
        ++k;
      if (k == 0) return "bad element name at " + std::to_string(lt);
      const std::string name = tag.substr(0, k);
      // Attributes: name="value" pairs.
      while (k < tag.size()) {
        while (k < tag.size() && std::isspace(static_cast<unsigned char>(tag[k]))) ++k;
        if (k == tag.size()) break;
        const size_t eq = tag.find('=', k);
        if (eq == std::string::npos || eq + 1 >= tag.size() || (tag[eq + 1] != '"' && tag[eq + 1] != '\''))
          return "unquoted attribute in <" + name + ">";
        const char q = tag[eq + 1];
        const size_t close = tag.find(q, eq + 2);
        if (close == std::string::npos) return "unterminated attribute in <" + name + ">";
        const size_t base = lt + 1;
        if (auto p = text_ok(base + eq + 2, base + close, q); !p.empty()) return p;
        k = close + 1;
      }
      if (open.empty() && root_seen) return "second root element <" + name + ">";
      root_seen = true;
      if (!self_closing) open.push_back(name);
    }
    i = gt + 1;
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (!root_seen) return "no root element";
  return "";
}

}  // namespace flopscope::test
