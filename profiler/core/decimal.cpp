#include "flopscope/decimal.h"

#include <charconv>
#include <cmath>
#include <string>

namespace flopscope {

std::optional<double> decimal_times_pow10(std::string_view number, int exp10) {
  std::string text(number);
  long long exponent = 0;
  if (const size_t at = text.find_first_of("eE"); at != std::string::npos) {
    const char* b = text.data() + at + 1;
    const char* e = text.data() + text.size();
    if (b != e && *b == '+') ++b;  // "e+20", as printf and to_chars write it
    const auto [p, ec] = std::from_chars(b, e, exponent);
    if (ec != std::errc() || p != e) return std::nullopt;  // past long long: no double either
    text.resize(at);
  }
  // Appended piecewise: GCC 12 misreports "e" + to_string(...) (-Wrestrict).
  text += 'e';
  text += std::to_string(exponent + exp10);
  double out = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(out)) return std::nullopt;
  return out;
}

}  // namespace flopscope
