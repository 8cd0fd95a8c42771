#pragma once
// bench's hardware counters (--metrics, --counters): one CUPTI Session for
// every run of a process (after a failure closes it, none: the runs go on
// uncounted), and one counter file for every run whichever session, or
// process, counted it (docs/collector.md).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/counter_file.h"
#include "flopscope/results.h"
#include "flopscope/session.h"
#include "registry.h"

namespace flopscope::cli {

struct BenchCounterOptions {
  MetricSet set = MetricSet::roofline;
  bool keep_file = false;           ///< keep the raw counters for a counter file
  std::vector<std::string> tensor;  ///< the one metric plan's tensor types: every selected kernel's
  size_t ranges_per_image = 16;     ///< launches each counter-data image is sized for
  bool user_replay = false;         ///< rerun each run once per pass instead of CUPTI's kernel replay
};

class BenchCounters {
 public:
  explicit BenchCounters(BenchCounterOptions opt);

  /// Counts one run (the harness's CounterHook): `ready` (the L2 flush),
  /// then `run_once` under the session; with user replay both again for each
  /// further pass. Nothing when counters cannot be read here.
  std::optional<HwCounters> count(const kernels::KernelSpec& spec, const Shape& shape,
                                  const std::function<void()>& ready, const std::function<void()>& run_once);
  /// Ends the session, keeping what it recorded for the file.
  void drop_session();
  /// Adds another process's counter file (`what` names it in an error).
  void add(const CounterFile& f, const char* what);
  /// Every run's counters as one file, or none when nothing was counted.
  /// Prints the session's notes that arose during the runs.
  std::optional<CounterFile> file();

 private:
  void keep(const CounterFile& f, const char* what);
  void close_after_failure();

  BenchCounterOptions opt_;
  std::unique_ptr<Session> session_;
  size_t session_notes_shown_ = 0;   // notes() printed when it was built
  std::optional<CounterFile> kept_;  // what dropped sessions and other processes recorded
  bool closed_by_failure_ = false;   // a failed run closed the session: no more counters here
};

/// The tensor-core source types a kernel's counters need: its own, if it runs on tensor cores.
std::vector<std::string> tensor_types(const kernels::KernelSpec& spec);

}  // namespace flopscope::cli
