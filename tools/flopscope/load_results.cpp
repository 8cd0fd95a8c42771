#include "load_results.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "flopscope/counter_file.h"  // the magic; evaluation needs FLOPSCOPE_HAS_CUDA
#include "flopscope/error.h"
#include "flopscope/table.h"  // joined

namespace flopscope::cli {
namespace {

// A counter file whose first bytes were damaged would otherwise be read as
// JSON and reported as "malformed JSON". Two changed bytes of eight are far
// from any JSON text, which starts with '{' or a blank.
bool damaged_counter_magic(const std::string& text) {
  if (text.size() < 8) return false;
  int differing = 0;
  for (int i = 0; i < 8; ++i) differing += text[i] != kCounterFileMagic[i];
  return differing > 0 && differing <= 2;
}

// Bytes for a message: printable ASCII as is, anything else as \xNN.
std::string printable(const std::string& bytes) {
  std::string out;
  for (const char c : bytes) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(uint8_t(c)));
      out.append(buf);
    }
  }
  return out;
}

#ifdef FLOPSCOPE_HAS_CUDA
// "while recording, 2 ranges were dropped by CUPTI ...; its figures cover the
// 5 ranges it holds", naming only the counts that are not 0; "" for a whole file.
std::string partial_recording_note(const CounterFile& f) {
  auto ranges = [](uint64_t n) { return std::to_string(n) + (n == 1 ? " range" : " ranges"); };
  std::vector<std::string> left_out;
  if (f.dropped_ranges > 0) left_out.push_back(ranges(f.dropped_ranges) + " dropped by CUPTI (a counter image was full)");
  if (f.unsaved_ranges > 0) left_out.push_back(ranges(f.unsaved_ranges) + " not saved (the file reached its size limit)");
  if (f.unreadable_ranges > 0)
    left_out.push_back(ranges(f.unreadable_ranges) + " left out (a counter read NaN, an infinity or below 0)");
  if (left_out.empty()) return "";
  return "while recording, " + joined(left_out, ", ") + "; its figures cover the " + ranges(f.ranges.size()) +
         " it holds";
}
#endif

}  // namespace

ResultsDoc load_results(const std::string& path, CounterFold fold) {
  // Read once, then look at the bytes: a pipe (`report <(...)`) cannot be
  // opened a second time to sniff its first bytes.
  const std::string text = read_file(path);
  const bool counters = text.size() >= 8 && std::memcmp(text.data(), kCounterFileMagic, 8) == 0;
  // Cut inside its magic ("FLOP" of a copy that stopped early): no JSON starts so.
  // Worded as parse_counter_file words a file cut later in its header.
  if (!text.empty() && text.size() < 8 && std::memcmp(text.data(), kCounterFileMagic, text.size()) == 0)
    throw_bad_input(path + ": truncated counter file: " + std::to_string(text.size()) +
                    (text.size() == 1 ? " byte" : " bytes") + ", shorter than its header; copy the whole file again");
  if (damaged_counter_magic(text))
    throw_bad_input(path + ": a damaged counter file (its first 8 bytes are '" + printable(text.substr(0, 8)) +
                    "', not 'FLOPSCTR'); record it again");
  // Raw counter files (docs/collector.md) are evaluated again with CUPTI's
  // host API, which needs no GPU.
#ifdef FLOPSCOPE_HAS_CUDA
  if (counters) {
    CounterFile f = parse_counter_file(text, path);
    // Without its run, a range folds with the other launches of its kernel.
    if (fold == CounterFold::per_kernel)
      for (CounterRange& r : f.ranges) r.run = {};
    // The file holds only part of what was profiled: its totals are partial.
    if (const std::string note = partial_recording_note(f); !note.empty())
      std::fprintf(stderr, "note: %s: %s\n", path.c_str(), note.c_str());
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
