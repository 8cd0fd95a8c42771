// Model FLOPs per NVTX range (`crosscheck --model-flops FILE`,
// parse_model_flops), written back and read again, then set beside a profiled
// training step and rendered.
#include "flopscope/crosscheck.h"
#include "fuzz_target.h"
#include "unit/crosscheck_sample.h"

using namespace flopscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ResultsDoc twin = test::model_twin_profile();
  const std::string text = fuzz::text_of(data, size);
  fuzz::loaded_or_refused("m.json", [&] {
    const ModelFlops model = parse_model_flops(text, "m.json");
    fuzz::round_trips(serialize_model_flops(model), [](const std::string& t) {
      return serialize_model_flops(parse_model_flops(t, "written.json"));
    });
    render_model_crosscheck_text(crosscheck_model_flops(twin, model));
  });
  return 0;
}
