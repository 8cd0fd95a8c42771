// Raw counter files (`report FILE.fscounters`, parse_counter_file): the
// container and its JSON metadata, then what the host does with a file short
// of CUPTI: the writer (a round trip gives the same bytes), merging, and the
// fold of its ranges into a results document, its report and `compare`.
//
// Each input is parsed twice: as it is, and with its total length and CRC-32
// made right, so that mutants reach the sections and metadata behind them.
#include <map>

#include "flopscope/counter_file.h"
#include "flopscope/gate.h"
#include "flopscope/metric_plan.h"
#include "flopscope/report.h"
#include "fuzz_target.h"
#include "unit/counter_file_sample.h"

using namespace flopscope;

namespace {

void check(const std::string& bytes) {
  fuzz::loaded_or_refused("x.fscounters: ", [&] {
    const CounterFile f = parse_counter_file(bytes, "x.fscounters");
    fuzz::round_trips(serialize_counter_file(f), [](const std::string& t) {
      return serialize_counter_file(parse_counter_file(t, "written.fscounters"));
    });
    merge_counter_files({f, f}, {"a.fscounters", "b.fscounters"});
    // What load_results does next, with every metric read as 1 where CUPTI would
    // evaluate the images: the fold may refuse what the ranges hold (an unknown
    // precision, say), which load_results reports under the file's name.
    fuzz::refusal_allowed([&] {
      std::map<std::string, double> values;
      for (const std::string& m : f.metrics) values[m] = 1;
      std::vector<EvaluatedRange> ranges;
      for (const CounterRange& r : f.ranges) ranges.push_back({r, hw_counters_from_values(f.quantities, values)});
      const ResultsDoc doc = evaluated_ranges_to_results(f.device, ranges);
      render_terminal(doc);
      // What the fold hands on can be written, and read back.
      try {
        parse_results(to_json_text(doc), "written.json");
      } catch (const Error& e) {
        fuzz::defect(std::string("folded, it cannot be written and read back: ") + e.what());
      }
      fuzz::refusal_allowed([&] { compare_results(doc, doc, GateOptions{}, "a.fscounters", "b.fscounters"); });
    });
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes = fuzz::text_of(data, size);
  check(bytes);
  constexpr size_t kHeader = 24, kTrailer = 4;
  if (bytes.size() >= kHeader + kTrailer && bytes.compare(0, 8, kCounterFileMagic) == 0) {
    bytes.resize(bytes.size() - kTrailer);
    for (int i = 0; i < 8; ++i) bytes[16 + i] = char(uint64_t(bytes.size() + kTrailer) >> (8 * i));
    test::append_le(bytes, test::crc32_bitwise(bytes), 4);
    check(bytes);
  }
  return 0;
}
