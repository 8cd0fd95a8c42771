// `bench --shape ARG` (kernels::resolve_shape): presets, KEY=VALUE lists and
// AxBxC sizes against a spec shaped like the real families' (shape_spec_sample.h).
#include "fuzz_target.h"
#include "unit/shape_spec_sample.h"

using namespace flopscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kernels::KernelSpec spec = test::shape_spec();
  const std::string arg = fuzz::text_of(data, size);
  // Refusals name the option or the kernel, not a file.
  fuzz::loaded_or_refused("", [&] { kernels::resolve_shape(spec, arg); });
  return 0;
}
