#pragma once
// NVTX range bookkeeping, plain code (no CUPTI, no NVTX headers).
//
// Attribution rule (docs/profile.md): a kernel belongs to the NVTX ranges open
// *at its launch*, as seen from the launching thread:
//   - push/pop ranges of the launching thread (they nest per thread and per
//     NVTX domain: a pop closes the innermost range of its own domain), and
//   - start/end ranges of the whole process (nvtxRangeStart/End are not tied to
//     a thread),
// ordered by when each range began, and joined with '/': "step/forward/attn".
// Ranges from every NVTX domain count; the path holds range names only.
//
// NvtxTracker follows the ranges live, from NVTX callbacks on the calling
// thread, so the path can be snapshotted inside the launch API callback; that
// is exact even when kernels complete out of order or long after the range
// closed. MarkerTimeline answers the same question after the fact from
// CUPTI_ACTIVITY_KIND_MARKER records and a (thread, timestamp) per launch.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "activity_types.h"
#include "flopscope/utf8.h"  // valid_utf8

namespace flopscope::cupti {

/// Path ids are small integers; 0 is the empty path (no range open).
using PathId = uint32_t;

/// Interns NVTX paths so each launch stores 4 bytes, not a string.
class PathTable {
 public:
  PathTable();
  PathId intern(const std::string& path);
  const std::string& path(PathId id) const;
  size_t size() const { return paths_.size(); }

 private:
  std::vector<std::string> paths_;
  std::unordered_map<std::string, PathId> ids_;
};

/// An NVTX domain handle as a number; 0 is the default domain (nvtxRangePush*,
/// or a nvtxDomain* call with a null domain).
using NvtxDomain = uint64_t;

class NvtxTracker {
 public:
  explicit NvtxTracker(PathTable& paths) : paths_(paths) {}

  void push(uint64_t thread, const std::string& name, NvtxDomain domain = 0);
  /// Closes the innermost range `thread` pushed in `domain` ("nesting is
  /// maintained per thread per domain", nvToolsExt.h). A pop with nothing
  /// pushed there (its push happened before profiling began) is ignored and
  /// counted.
  void pop(uint64_t thread, NvtxDomain domain = 0);
  void start(uint64_t range_id, const std::string& name);
  /// An end for an unknown id is ignored and counted.
  void end(uint64_t range_id);

  /// The path the next launch on `thread` is attributed to.
  PathId current(uint64_t thread);

  uint64_t unmatched_pops() const { return unmatched_pops_; }
  uint64_t unmatched_ends() const { return unmatched_ends_; }
  /// Ranges that were ever opened (push or start).
  uint64_t ranges_seen() const { return seq_; }
  /// Threads with a push/pop range open: a thread's entry goes with its last
  /// pop, so threads that come and go (pools, loaders) leave nothing behind.
  size_t threads_with_ranges() const { return threads_.size(); }

 private:
  struct Open {
    uint64_t seq;
    std::string name;
  };
  struct Thread {
    std::map<NvtxDomain, std::vector<Open>> stacks;  // no empty stack kept
    PathId cached = 0;
    uint64_t cached_stack_version = ~0ull, cached_global_version = ~0ull;
    uint64_t stack_version = 0;
  };
  PathTable& paths_;
  std::unordered_map<uint64_t, Thread> threads_;
  std::map<uint64_t, Open> started_;  // start/end ranges by id
  // The path of a thread with no push/pop range open: start/end ranges only.
  PathId no_stack_cached_ = 0;
  uint64_t no_stack_cached_version_ = ~0ull;
  uint64_t seq_ = 0, global_version_ = 0;
  uint64_t unmatched_pops_ = 0, unmatched_ends_ = 0;
};

/// Time-based attribution from MARKER activity records.
class MarkerTimeline {
 public:
  /// Records may arrive in any order (several buffers, several threads); an
  /// end seen before its start is kept until the start arrives.
  void add(const MarkerActivity& m);
  /// Ranges open at `timestamp_ns` for a launch from `thread` (start inclusive,
  /// end exclusive; a range never closed stays open), joined as in NvtxTracker.
  std::string path_at(uint64_t thread, uint64_t timestamp_ns) const;
  size_t ranges() const { return ranges_.size(); }

 private:
  struct Range {
    std::string name;
    bool thread_scoped = true;
    uint64_t thread = 0;
    uint64_t start = 0;
    std::optional<uint64_t> end;
    bool have_start = false;
  };
  std::map<uint64_t, Range> ranges_;  // by marker id
};

/// UTF-8 text of a wide NVTX message (nvtxRangePushW and friends); null: "".
/// A value that is no Unicode scalar (a lone surrogate, past U+10FFFF) becomes
/// U+FFFD.
std::string utf8_from_wide(const wchar_t* text);

/// A range's name as one element of a path: valid_utf8 (flopscope/utf8.h;
/// nvtxRangePushA takes any bytes, Latin-1 "\xe9poque" too, and one such name
/// made every write of the process's results fail), with each '/' written
/// as U+2215 ("∕", which reads the same): a range named "layer/attn" once read
/// as a range "attn" inside a range "layer" that never existed. A range with
/// no name is kUnnamedRange: outermost, an empty element vanished from the
/// path ("" + "x" read "x", and "" alone as no range open).
std::string path_part(const std::string& name);
inline constexpr std::string_view kUnnamedRange = "(unnamed)";

/// Splits "a/b/c" into {"a","b","c"} (empty string: no elements).
std::vector<std::string> split_path(const std::string& path);

/// True when `pattern` (a path such as "step" or "step/forward") occurs as
/// consecutive elements of `path`. This is --nvtx-include's rule.
bool nvtx_path_matches(const std::string& path, const std::string& pattern);

}  // namespace flopscope::cupti
