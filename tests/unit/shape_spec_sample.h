#pragma once
// A kernel spec for fuzzing `bench --shape` (kernels::resolve_shape), shaped
// like the real families' (kernels/*/instance.cuh): sizes, a flag, presets,
// and a check that refuses what an int cannot index. Shared by the mutation
// test (parser_fuzz_test.cpp) and the libFuzzer target (tests/fuzz/fuzz_shape.cpp).
#include <limits>
#include <memory>
#include <string>

#include "registry.h"

namespace flopscope::test {

inline kernels::KernelSpec shape_spec() {
  kernels::KernelSpec s;
  // Moved in, not assigned from literals: GCC 12's -Wrestrict misfires on those at -O3.
  s.family = std::string("fuzz");
  s.variant = std::string("v");
  s.dtype = std::string("fp32");
  s.params = {{"m", 4096, "rows"}, {"n", 4096, "cols"}, {"k", 64, "depth"}, {"causal", 0, "flag", 0}};
  s.presets = {{"tiny", {16, 16, 16, 0}}, {"large", {8192, 8192, 8192, 1}}};
  s.model = [](const Shape&) { return Cost{}; };
  s.check_shape = [](const Shape& sh) -> std::string {
    for (const auto& [name, v] : sh)
      if (v > std::numeric_limits<int>::max()) return name + " exceeds 2^31-1";
    return shape_get(sh, "causal").value_or(0) > 1 ? "causal is a flag: give 0 or 1" : "";
  };
  s.device_bytes = [](const Shape&) { return 0.0; };
  s.host_bytes = [](const Shape&) { return 0.0; };
  s.create = [](const Shape&) -> std::unique_ptr<kernels::KernelInstance> { return nullptr; };
  return s;
}

}  // namespace flopscope::test
