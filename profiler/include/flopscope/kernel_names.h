#pragma once
/// Kernel symbols: demangling and the short form reports show. Plain host code,
/// shared by the collector (profile's table) and crosscheck (matching ncu's names).
#include <string>

namespace flopscope {

/// The demangled symbol, or `symbol` itself when it is not a mangled C++ name.
std::string demangle(const std::string& symbol);

/// The bare function name of a demangled kernel signature:
/// "void at::native::foo<float, 4>(float*, int)" -> "foo".
std::string kernel_short_name(const std::string& demangled);

}  // namespace flopscope
