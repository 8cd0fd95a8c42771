#pragma once
/// Decimal numbers scaled by a power of ten with one rounding: "1.42" at -3 is
/// read as the text 1.42e-3, the double a file's 0.00142 is. Scaling the value
/// read (1.42 / 1e3) can land one ulp away, and a median at a bound written
/// as that decimal then failed it.
#include <optional>
#include <string_view>

namespace flopscope {

/// `number` (a decimal as std::from_chars reads a double: "1.42", "3e-05",
/// no '+') times 10^exp10, rounded once; nullopt when it is not wholly such a
/// number or the result is not a finite double.
std::optional<double> decimal_times_pow10(std::string_view number, int exp10);

}  // namespace flopscope
