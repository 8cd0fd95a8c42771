// Performance contracts (`check --contracts FILE`, parse_contracts), then
// checked against a small results document and reported as `check` reports
// them: globs, references, shape values, units and tolerances of any size.
#include "flopscope/ci_report.h"
#include "flopscope/contracts.h"
#include "fuzz_target.h"
#include "unit/sample_doc.h"

using namespace flopscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ResultsDoc doc = test::sample_doc();
  const std::string text = fuzz::text_of(data, size);
  fuzz::loaded_or_refused("c.txt:", [&] {
    const CheckReport rep = check_contracts(doc, parse_contracts(text, "c.txt"), "r.json", "c.txt");
    render_check_text(rep);
    render_check_markdown(rep);
    render_check_junit(rep);
  });
  return 0;
}
