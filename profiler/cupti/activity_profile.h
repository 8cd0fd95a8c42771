#pragma once
// Aggregates decoded activity records into per-kernel results, the way
// `flopscope profile` reports them: one RunRecord per kernel name x NVTX path x
// device. Plain code, fed by activity_collector.cpp in the injection library
// and by synthetic records in the tests.
#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "activity_names.h"
#include "activity_types.h"
#include "api_nesting.h"
#include "flopscope/launch_times.h"
#include "flopscope/results.h"
#include "flopscope/user_regex.h"
#include "nvtx_ranges.h"

namespace flopscope::cupti {

/// Which launches are kept (flopscope profile --kernel-regex, --launch-skip,
/// --launch-count, --nvtx-include).
struct LaunchFilterOptions {
  std::string kernel_regex;               ///< ECMAScript, searched in the demangled name
  int64_t launch_skip = 0;                ///< matching launches to pass over first
  int64_t launch_count = -1;              ///< then keep this many; -1: all
  std::vector<std::string> nvtx_include;  ///< keep launches inside any of these ranges
};

class LaunchFilter {
 public:
  /// Throws bad_input naming the option for a regex that does not compile or a
  /// negative skip.
  explicit LaunchFilter(LaunchFilterOptions opt);
  /// True when only some kernels are wanted (regex, skip or count given).
  bool selects_kernels() const;
  bool name_ok(const std::string& mangled_or_plain);  ///< cached per symbol
  bool nvtx_ok(const std::string& path) const;
  /// Counts one launch that passed name and NVTX filters; true when it falls in
  /// the [skip, skip + count) window.
  bool take_index();
  /// A counted launch that failed (nothing ran) gives its place back: a
  /// refused probe must not use up --launch-count.
  void give_back_index() {
    if (index_ > 0) --index_;
  }
  const LaunchFilterOptions& options() const { return opt_; }

 private:
  LaunchFilterOptions opt_;
  std::optional<UserRegex> re_;
  std::unordered_map<std::string, bool> name_cache_;
  int64_t index_ = 0;
};

/// Counts reported with every profile.
struct ProfileCounters {
  uint64_t launches = 0;        ///< launch API calls seen (kernel and graph), captured ones aside
  /// Launch calls into a stream under CUDA graph capture: nothing runs then
  /// (the kernels run, and are counted, at the graph's launches).
  uint64_t launches_captured = 0;
  uint64_t kernels = 0;         ///< kernel records seen
  uint64_t kernels_kept = 0;
  uint64_t kernels_filtered = 0;
  uint64_t kernels_unattributed = 0;  ///< no launch callback matched their correlation id
  /// No end time, so no duration: flushed before they finished, or both
  /// timestamps 0, which cupti_activity.h says means CUPTI could not collect
  /// them (for lack of device memory). The record cannot tell which.
  uint64_t kernels_incomplete = 0;
  /// Kept launches whose record had no timestamps because the range profiler
  /// replayed them: timed by their counters' gpu__time_duration instead.
  uint64_t kernels_timed_by_counters = 0;
  /// Copies and memsets without an end time (as kernels_incomplete): left
  /// out rather than timed as zero-length operations.
  uint64_t copies_incomplete = 0;
  uint64_t graph_kernels = 0;
  uint64_t memcpys = 0, memsets = 0;
  uint64_t dropped_records = 0;  ///< cuptiActivityGetNumDroppedRecords, summed
  /// Completed buffers whose records could not all be read (DecodedBuffer::
  /// cut_short): an unknown number of records lost besides dropped_records.
  uint64_t buffers_cut_short = 0;
  uint64_t nvtx_ranges = 0, nvtx_unmatched = 0;

  /// Every count summed: several processes' counters as one profile's.
  ProfileCounters& operator+=(const ProfileCounters& o);
};

/// Every field of ProfileCounters with its key in the injection status file:
/// the one list that summing, writing and reading them go through.
inline constexpr std::pair<const char*, uint64_t ProfileCounters::*> kProfileCounterFields[] = {
    {"launches", &ProfileCounters::launches},
    {"launches_captured", &ProfileCounters::launches_captured},
    {"kernels", &ProfileCounters::kernels},
    {"kernels_kept", &ProfileCounters::kernels_kept},
    {"kernels_filtered", &ProfileCounters::kernels_filtered},
    {"kernels_unattributed", &ProfileCounters::kernels_unattributed},
    {"kernels_incomplete", &ProfileCounters::kernels_incomplete},
    {"kernels_timed_by_counters", &ProfileCounters::kernels_timed_by_counters},
    {"copies_incomplete", &ProfileCounters::copies_incomplete},
    {"graph_kernels", &ProfileCounters::graph_kernels},
    {"memcpys", &ProfileCounters::memcpys},
    {"memsets", &ProfileCounters::memsets},
    {"dropped_records", &ProfileCounters::dropped_records},
    {"buffers_cut_short", &ProfileCounters::buffers_cut_short},
    {"nvtx_ranges", &ProfileCounters::nvtx_ranges},
    {"nvtx_unmatched", &ProfileCounters::nvtx_unmatched},
};
static_assert(sizeof(ProfileCounters) == std::size(kProfileCounterFields) * sizeof(uint64_t),
              "a new field of ProfileCounters joins kProfileCounterFields");

inline ProfileCounters& ProfileCounters::operator+=(const ProfileCounters& o) {
  for (const auto& [name, field] : kProfileCounterFields) this->*field += o.*field;
  return *this;
}

/// The running sums mean_counters() needs: mean() equals mean_counters() of
/// every launch add()ed, in the same order, without keeping each launch's
/// counters (a few KiB each with their metric map: a long run profiled
/// without filters grew by that per launch, and every periodic write copied
/// them all under the collector's lock).
class HwCounterSum {
 public:
  void add(const HwCounters& h);
  size_t launches() const { return n_; }
  HwCounters mean() const;

 private:
  size_t n_ = 0;
  HwCounters sum_;         // every quantity summed as it comes
  size_t amount_n_[std::size(kHwAmounts)] = {};  // launches with each amount
  size_t clock_n_ = 0;     // launches with a clock
  std::map<std::string, size_t> pipe_n_, metric_n_;  // launches with each pipe, metric
  // The pipes of the launches with a FLOP total (every pipe read), so that the
  // mean pipes add up to the mean total.
  std::map<std::string, double> whole_pipes_;
  size_t whole_n_ = 0;
};

class ProfileAggregator {
 public:
  explicit ProfileAggregator(LaunchFilterOptions opt);

  PathTable& paths() { return paths_; }
  NvtxTracker& nvtx() { return nvtx_; }

  /// From the launch API callback, on the launching thread, before the work
  /// runs. `symbol` is the kernel's (mangled) name when the API knows it, else
  /// empty (graph launches). `call.outer` names the call this one is made
  /// inside (ApiNesting): then it is part of that launch, counted once, and a
  /// record under any of the launch's ids retires them all. A `call.captured`
  /// call leaves no pending entry (it becomes a graph node, with no record of
  /// its own); a captured kernel or graph launch is only counted
  /// (launches_captured) and takes no --launch-skip/--launch-count slot.
  /// Returns true when the launch is known to be kept by the filters (its
  /// counters, if collected, will be used).
  bool on_launch(uint32_t correlation, ApiKind kind, const std::string& symbol, PathId path, ApiCall call = {});
  /// The launch `correlation` is being profiled: its counters will follow.
  void expect_counters(uint32_t correlation);
  /// Hardware counters of one kept launch (from the range profiler), by the
  /// correlation id passed to on_launch; before or after its kernel record.
  void on_counters(uint32_t correlation, const HwCounters& hw);
  /// The launch `correlation` was being profiled, but no counters will come
  /// (the launch failed, or its window was shared): forget that it waits.
  void counters_dropped(uint32_t correlation);
  /// The launch call returned an error: no record will come for it.
  void on_launch_failed(uint32_t correlation);
  /// Any decoded record, in any order relative to other records.
  void on_activity(const Activity& a);
  void add_dropped(uint64_t n) { counters_.dropped_records += n; }
  void add_cut_short_buffer() { ++counters_.buffers_cut_short; }

  /// A graph launch's entry serves every kernel record of the graph, and a
  /// batch copy's every copy record CUDA may make under its one call, so no one
  /// record can retire it: the oldest go once this many newer such calls were
  /// made (their records long delivered), so a replay loop cannot grow it.
  static constexpr size_t kMultiRecordCallsKept = 1 << 16;

  /// Launch, copy and memset calls still waiting for their records (graph
  /// launches and batch copies stay, up to kMultiRecordCallsKept).
  size_t pending_calls() const { return pending_.size(); }
  /// Counters delivered or awaited whose pairing has not happened yet.
  size_t unpaired_counters() const { return early_counters_.size() + awaiting_counters_.size(); }

  /// The results so far, heaviest total time first.
  std::vector<RunRecord> runs() const;
  /// The reported device with the lowest id; nullopt before any device record.
  std::optional<DeviceInfo> device() const;
  ProfileCounters counters() const;

  /// What runs() reads, copied: taken under the caller's lock, summarized
  /// (sorting every duration) after it is released.
  class Frozen;
  Frozen freeze() const;

 private:
  // One per launch call. The calls of one operation (a runtime launch, the
  // driver call it makes, a runtime call nested in it) form a list from the
  // outermost call, whose entry alone holds the operation's data; the first
  // record under any of their ids retires the whole list.
  struct Pending {
    PathId path = 0;
    enum class Decision : uint8_t { undecided, keep, drop } decision = Decision::undecided;
    bool multi_record = false;  ///< a graph launch or batch copy: several records, one call
    bool counters = false;  ///< its hardware counters are being collected
    bool indexed = false;   ///< took a place in the --launch-skip/--launch-count count
    uint32_t root = 0;      ///< the outermost call's correlation id (its own, for that call)
    uint32_t next = 0;      ///< the next call of the list; 0: the last
  };
  enum class Kind : uint8_t { kernel, memcpy, memset };
  struct Key {
    Kind kind;
    std::string name;
    PathId path;
    uint32_t device;
    auto operator<=>(const Key&) const = default;
  };
  struct Group {
    LaunchTimes times;
    uint64_t bytes = 0;
    HwCounterSum hw;  ///< the launches with counters
  };
  static std::vector<RunRecord> runs_of(const std::map<Key, Group>& groups, const PathTable& paths);
  /// The outermost call's entry for `correlation`'s operation, removed unless
  /// a multi-record call's.
  std::optional<Pending> take_pending(uint32_t correlation);
  void forget_operation(uint32_t root);
  /// Whether to keep a launch; `indexed`, when given, says whether it took a
  /// place in the launch count (it passed the name and NVTX filters).
  bool decide(const std::string& symbol, PathId path, bool* indexed = nullptr);
  void on_kernel(const KernelActivity& k);
  /// The counters delivered before the record, under either id (0: none).
  std::optional<HwCounters> take_early_counters(uint32_t correlation, uint32_t other);
  /// The record came first: its counters, under either id, join run `key`.
  void await_counters(const Key& key, uint32_t correlation, uint32_t other, bool untimed);
  void add(const Key& key, uint64_t start_ns, uint64_t end_ns, uint64_t bytes);
  /// A copy or memset record, unless the filters select kernels or leave out
  /// its NVTX range.
  void add_copy(const Key& key, uint64_t start_ns, uint64_t end_ns, uint64_t bytes);
  /// A kept launch whose record has no timestamps: timed by its counters.
  void keep_untimed(const Key& key, const HwCounters& hw);

  LaunchFilter filter_;
  PathTable paths_;
  NvtxTracker nvtx_;
  std::unordered_map<uint32_t, Pending> pending_;
  std::deque<uint32_t> multi_record_calls_;  // kMultiRecordCallsKept at most, oldest first
  std::map<Key, Group> groups_;
  std::map<uint32_t, DeviceActivity> devices_;
  std::unordered_map<uint32_t, HwCounters> early_counters_;  // counters before the record
  // The record came first: its run, the operation's other id, and whether the
  // record had no timestamps (its duration comes with the counters).
  struct Awaiting {
    Key key;
    uint32_t other = 0;
    bool untimed = false;
  };
  std::unordered_map<uint32_t, Awaiting> awaiting_counters_;
  /// The record waiting for `correlation`'s counters, no longer waiting under
  /// either of its ids; nullopt when none waits.
  std::optional<Awaiting> take_awaiting(uint32_t correlation);
  size_t untimed_waiting_ = 0;  // untimed records in awaiting_counters_
  ProfileCounters counters_;
};

class ProfileAggregator::Frozen {
 public:
  std::vector<RunRecord> runs() const { return runs_of(groups_, paths_); }
  const std::optional<DeviceInfo>& device() const { return device_; }

 private:
  friend class ProfileAggregator;
  std::map<Key, Group> groups_;
  PathTable paths_;
  std::optional<DeviceInfo> device_;
};

/// At most this many samples are written per record (the means of equal
/// shares of all launches, weighted_summary's: their mean is every launch's,
/// which profile's NVTX totals take); median, p10 and p90 are every launch's,
/// exactly up to LaunchTimes::kExactLaunches launches and within 0.1% past it.
inline constexpr size_t kMaxProfileSamples = 1000;
static_assert(kMaxProfileSamples <= LaunchTimes::kExactLaunches,
              "a record of no more launches than it writes samples keeps them in launch order");
/// And at most this many in one file, over all its records: fewer per record
/// where there are more than 1000 records (no fewer than kMinProfileSamples),
/// so that a profile of thousands of kernels and NVTX ranges stays a file
/// flopscope reads (400 ranges x 30 kernels x 1000 samples was 302 MiB).
inline constexpr size_t kMaxProfileSamplesPerFile = 1'000'000;
inline constexpr size_t kMinProfileSamples = 20;
/// Thins each record's samples to the per-file budget (equal shares, as
/// weighted_summary makes them); median, p10 and p90 stay as they are.
void cap_profile_samples(std::vector<RunRecord>& runs);

/// Kernels with the same short name (template instances, overloads) in the
/// same NVTX path and device would share an id; `compare` and `check` key runs
/// on (id, shape, nvtx), so each such variant gets "~" and 6 hex digits of a
/// hash of its full name, stable across runs and machines; where two names of
/// the group share the 6, both get 16 digits of a 64-bit hash (so a run in
/// which only one of them appears names it with 6).
void disambiguate_profile_ids(std::vector<RunRecord>& runs);

/// The precision key of the pipe that executed most of `hw`'s FLOPs, the peak
/// a run of them is judged against; nullopt when no FLOP was counted.
std::optional<std::string> dominant_precision(const HwCounters& hw);

/// The per-launch mean of several launches' counters, each quantity (FLOPs,
/// bytes, durations, clocks, metrics) over the entries that have it; the FLOPs
/// by pipe over the entries with a FLOP total where one has it (a pipe such an
/// entry lacks counted 0), so that they add up to the mean total. With
/// `weights` (one per entry, finite and >= 0, else Error(failure)), entry i
/// stands for weights[i] launches (a process's per-launch mean of that many):
/// every mean is weighted by them, and a quantity only weight-0 entries have is
/// left out.
HwCounters mean_counters(const std::vector<HwCounters>& launches, const std::vector<double>& weights = {});

/// Status the injection library writes beside its results, one per process.
struct InjectStatus {
  int pid = 0;
  std::string exe;
  /// "running", "exit", "signal N", "periodic"; "started" (not in a file): the
  /// process claimed its status file and never wrote it (read_profile_dir)
  std::string state = "running";
  int cupti_result = 0;           ///< first CUPTI failure, 0 if none
  std::string cupti_call, cupti_detail;
  std::string cupti_library;      ///< the libcupti the process bound to ("": unknown, or an older writer)
  uint32_t cupti_version = 0;     ///< its cuptiGetVersion(); 0: unknown
  std::string counters_note;    ///< why hardware counters are missing or partial ("" if not)
  bool counters_fatal = false;  ///< counters impossible here (permissions, another profiler)
  uint64_t counters_launches = 0;  ///< launches profiled with the range profiler
  ProfileCounters counters;
  /// Not in the file: a "running" process found still alive when the files
  /// were read (one the application left running; read_profile_dir).
  bool still_running = false;
};
std::string to_text(const InjectStatus& s);
/// Unknown keys are skipped (newer writers); malformed numbers are bad_input.
InjectStatus parse_inject_status(const std::string& text, const std::string& origin);

/// Folds the per-process documents of one `flopscope profile` run into one:
/// records with the same name, NVTX path and device are merged (launches added,
/// statistics recomputed from the pooled samples; exact while no record was
/// subsampled).
ResultsDoc merge_profile_docs(const std::vector<ResultsDoc>& docs);

}  // namespace flopscope::cupti
