// Results files (flopscope.results/1): what `report`, `compare`, `check` and
// `estimate --from` load (parse_results), then the writer and the reporters on
// what loaded. Written back, a document loads again and reads the same.
#include <cstdio>
#include <cstdlib>

#include "flopscope/ci_report.h"
#include "flopscope/full_report.h"
#include "flopscope/report.h"
#include "flopscope/results.h"
#include "fuzz_target.h"
#include "unit/xml_check.h"

using namespace flopscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::text_of(data, size);
  fuzz::loaded_or_refused("r.json", [&] {
    const ResultsDoc doc = parse_results(text, "r.json");
    fuzz::round_trips(to_json_text(doc), [](const std::string& t) {
      return to_json_text(parse_results(t, "written.json"));
    });
    render_terminal(doc);
    render_csv(doc);
    render_gbench_json(doc);
    render_report_markdown({doc});
    // Whatever names a file holds, the SVG stays well-formed XML.
    if (const std::string problem = test::xml_problem(render_report_svg({doc})); !problem.empty()) {
      std::fprintf(stderr, "SVG not well-formed: %s\n", problem.c_str());
      std::abort();
    }
  });
  return 0;
}
