// Nsight Compute CSV exports (`crosscheck --ncu FILE`, parse_ncu_csv), then
// set beside a profile of the same kernels and rendered, as crosscheck does.
#include "flopscope/crosscheck.h"
#include "fuzz_target.h"
#include "unit/crosscheck_sample.h"

using namespace flopscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ResultsDoc twin = test::ncu_twin_profile();
  const std::string text = fuzz::text_of(data, size);
  fuzz::loaded_or_refused("n.csv", [&] {
    const NcuCsv csv = parse_ncu_csv(text, "n.csv");
    render_crosscheck_text(crosscheck_ncu(twin, csv, {}));
  });
  return 0;
}
