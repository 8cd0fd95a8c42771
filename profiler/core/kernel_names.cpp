// Kernel symbols: demangling and the short name (flopscope/kernel_names.h).
#include "flopscope/kernel_names.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace flopscope {

std::string demangle(const std::string& symbol) {
  if (symbol.rfind("_Z", 0) != 0) return symbol;
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(
      abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : symbol;
}

std::string kernel_short_name(const std::string& demangled) {
  // Cut the parameter list: the first '(' at template depth 0 that is not part
  // of "(anonymous namespace)".
  std::string s = demangled;
  int depth = 0;
  size_t cut = std::string::npos;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '<') ++depth;
    else if (c == '>' && depth > 0) --depth;
    else if (c == '(' && depth == 0) {
      if (s.compare(i, 21, "(anonymous namespace)") == 0) {
        i += 20;
        continue;
      }
      cut = i;
      break;
    }
  }
  if (cut != std::string::npos) s.resize(cut);
  // Drop template arguments at depth 0 ("foo<float, 4>" -> "foo").
  std::string flat;
  depth = 0;
  for (char c : s) {
    if (c == '<') ++depth;
    else if (c == '>' && depth > 0) --depth;
    else if (depth == 0) flat.push_back(c);
  }
  // The return type precedes a space; the namespaces precede "::".
  const size_t space = flat.rfind(' ');
  if (space != std::string::npos) flat = flat.substr(space + 1);
  const size_t colons = flat.rfind("::");
  if (colons != std::string::npos) flat = flat.substr(colons + 2);
  return flat.empty() ? demangled : flat;
}

}  // namespace flopscope
