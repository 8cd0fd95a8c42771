#pragma once
// The live side of the Activity API: subscribes to CUPTI, enables kernel,
// memcpy (peer-to-peer too), memset and device records plus NVTX and launch
// callbacks, and feeds
// everything to a ProfileAggregator. No CUPTI type appears in this header.
//
// CUPTI callbacks are process-wide, so there is one collector per process.
// Used by the injection library (tools/inject); every CUPTI call it makes is in
// activity_collector.cpp.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "activity_profile.h"
#include "flopscope/counter_file.h"
#include "flopscope/results.h"

namespace flopscope::cupti {

struct CollectorOptions {
  LaunchFilterOptions filter;
  size_t host_buffer_bytes = 8u << 20;     ///< each buffer handed to CUPTI
  size_t device_buffer_bytes = 32u << 20;  ///< CUPTI_ACTIVITY_ATTR_DEVICE_BUFFER_SIZE
  uint32_t flush_period_ms = 1000;         ///< cuptiActivityFlushPeriod
  /// Hardware counters per kept kernel launch with the range profiler (one
  /// Session per context, each launch replayed as the plan needs): "bytes",
  /// "flops" or "roofline"; empty or "timing": none.
  std::string metric_set;
  std::vector<std::string> tensor;  ///< tensor source types for the plan
  /// Keep each context's counter images for counter_files() (`--counters`);
  /// without it they are freed once evaluated.
  bool keep_raw_counters = false;
};

/// The first CUPTI call that failed, if any.
struct CollectorFailure {
  int result = 0;      ///< CUptiResult value; 0: none
  std::string call;    ///< e.g. "cuptiSubscribe_v2"
  std::string detail;  ///< e.g. the name of the subscriber already attached
};

/// The file libcupti was loaded from (dladdr on one of its functions); "" if unknown.
std::string cupti_library_path();

/// Installs (once) a pthread_atfork handler that marks a fork() child; start()
/// does. In a child every CUPTI callback of the collector returns at once:
/// another thread of the parent may have held the collector's mutex at the
/// fork, and in the child nobody would release it.
void watch_fork();
/// True in a fork() child of a process that called watch_fork().
bool in_fork_child();
/// True on a thread inside one of the collector's CUPTI callbacks, which may
/// hold the collector's lock and CUPTI's: an exit() there (from a signal
/// handler of the application's) must not flush or snapshot, or it waits on
/// itself forever.
bool in_collector_callback();

class ActivityCollector {
 public:
  static ActivityCollector& instance();

  /// Subscribes and enables everything. Idempotent: later calls return the
  /// first call's outcome. False when CUPTI refused (see failure()).
  bool start(const CollectorOptions& opt);
  bool started() const;
  CollectorFailure failure() const;

  /// Delivers every buffered record (forced flush) and adds the dropped-record
  /// counts. Safe to call repeatedly, from any thread.
  void flush(bool forced);

  /// The results so far: one record per kernel name x NVTX path x device.
  ResultsDoc snapshot();
  InjectStatus status(const std::string& state);
  /// With hardware counters: the raw record of each profiled context
  /// (Session::raw()), in the order their first launch was profiled.
  std::vector<CounterFile> counter_files();
  /// The ranges those files hold together, and those left out of them (size
  /// limit), without copying them or taking a session's lock: the files need
  /// rewriting only when these change.
  struct RawCounts {
    uint64_t saved = 0, unsaved = 0, unreadable = 0;
  };
  RawCounts raw_counter_counts();

 private:
  ActivityCollector() = default;
  friend struct CollectorAccess;
  mutable std::mutex mu_;
  bool attempted_ = false, ok_ = false;
  CollectorFailure failure_;
  CollectorOptions opt_;
  // Created by start(), never destroyed (exit paths and callbacks already
  // running use it); published only while collection is on. Callbacks read
  // it without mu_.
  std::atomic<ProfileAggregator*> agg_{nullptr};
};

}  // namespace flopscope::cupti
