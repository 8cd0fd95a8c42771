#pragma once
// bench's hardware counters (--metrics, --counters): one CUPTI Session for
// every run (a new one only after a failure), and one counter file for every
// run whichever session, or process, counted it (docs/collector.md).
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

class BenchCounters {
 public:
  /// `tensor`: the tensor types of the one metric plan, every selected
  /// kernel's. `keep_file`: keep the raw counters for a counter file.
  /// `ranges_per_image`: the launches each counter-data image is sized for.
  BenchCounters(MetricSet set, bool keep_file, std::vector<std::string> tensor, size_t ranges_per_image = 16);

  /// Counts one run (the harness's CounterHook): `run_once` under the
  /// session. Nothing when counters cannot be read here.
  std::optional<HwCounters> count(const kernels::KernelSpec& spec, const Shape& shape,
                                  const std::function<void()>& run_once);
  /// Ends the session, keeping what it recorded for the file.
  void drop_session();
  /// Adds another process's counter file (`what` names it in an error).
  void add(const CounterFile& f, const char* what);
  /// Every run's counters as one file, or none when nothing was counted.
  /// Prints the session's notes that arose during the runs.
  std::optional<CounterFile> file();

 private:
  void keep(const CounterFile& f, const char* what);

  MetricSet set_;
  bool keep_file_;
  std::vector<std::string> tensor_;
  size_t ranges_per_image_;
  std::unique_ptr<Session> session_;
  size_t session_notes_shown_ = 0;   // notes() printed when it was built
  std::optional<CounterFile> kept_;  // what dropped sessions and other processes recorded
};

/// The tensor-core source types a kernel's counters need: its own, if it runs on tensor cores.
std::vector<std::string> tensor_types(const kernels::KernelSpec& spec);

}  // namespace flopscope::cli
