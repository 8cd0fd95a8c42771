#include "load_results.h"

#include <cstdio>
#include <cstring>

#include "flopscope/error.h"
#ifdef FLOPSCOPE_HAS_CUDA
#include "flopscope/counter_file.h"
#endif

namespace flopscope::cli {

ResultsDoc load_results(const std::string& path, CounterFold fold) {
  // Read once, then look at the bytes: a pipe (`report <(...)`) cannot be
  // opened a second time to sniff its first bytes.
  const std::string text = read_file(path);
  const bool counters = text.size() >= 8 && std::memcmp(text.data(), "FLOPSCTR", 8) == 0;
  // Raw counter files (docs/collector.md) are evaluated again with CUPTI's
  // host API, which needs no GPU.
#ifdef FLOPSCOPE_HAS_CUDA
  if (counters) {
    CounterFile f = parse_counter_file(text, path);
    // Without its run, a range folds with the other launches of its kernel.
    if (fold == CounterFold::per_kernel)
      for (CounterRange& r : f.ranges) r.run = {};
    // The file holds only part of what was profiled: its totals are partial.
    if (f.dropped_ranges > 0 || f.unsaved_ranges > 0)
      std::fprintf(stderr,
                   "note: %s: %llu ranges were dropped by CUPTI and %llu not saved while recording; "
                   "its figures cover the %zu ranges it holds\n",
                   path.c_str(), static_cast<unsigned long long>(f.dropped_ranges),
                   static_cast<unsigned long long>(f.unsaved_ranges), f.ranges.size());
    try {
      return counter_file_to_results(f);
    } catch (const Error& e) {  // evaluation errors do not know the file's name
      throw Error(e.kind(), path + ": " + e.what());
    }
  }
#else
  (void)fold;
  if (counters)
    throw Error(ErrorKind::no_gpu, path + ": a raw counter file; this flopscope was built without the CUDA "
                                   "toolkit (FLOPSCOPE_CUDA=OFF) and cannot evaluate it");  // exit 3, as documented
#endif
  return parse_results(text, path);
}

}  // namespace flopscope::cli
