#pragma once
/// In-process hardware-counter collection: one range per kernel launch, each
/// kernel replayed by CUPTI as many times as the metric plan needs. Used by
/// `flopscope bench --metrics` and by the injection library behind
/// `flopscope profile`. Plain structs only; CUPTI stays in profiler/cupti/.
///
///   flopscope::Session s({.set = MetricSet::roofline, .tensor = {"bf16"}});
///   s.start();
///   my_kernel<<<...>>>(...);          // every launch between start and stop
///   auto kernels = s.stop();          // one KernelCounters per launch
///
/// Kernel replay serializes launches and saves/restores device memory around
/// each pass, so time kernels in a separate, unprofiled run (hw.duration_s is
/// the profiled launch's own gpu__time_duration). Launches into a stream under
/// CUDA graph capture are not noted (a note says how many); their stream comes
/// from the launch call's parameters (launch_stream.h). With
/// `track_launches`, the launch callbacks are enabled only between start() and
/// stop(), so runs timed in between see no CUPTI callback. A CUDA graph launch
/// ends the batch before it (those launches keep their names); ranges CUPTI
/// makes for the graph's kernels come back unnamed.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "flopscope/counter_file.h"
#include "flopscope/metric_plan.h"
#include "flopscope/results.h"

namespace flopscope {

struct SessionOptions {
  MetricSet set = MetricSet::roofline;
  /// Tensor-core source types to count ("bf16", ...); each may cost a pass.
  std::vector<std::string> tensor;
  /// Launches per counter-data image. When `track_launches` (or note_launch)
  /// sees a batch fill up, the session decodes it and starts the next one
  /// before the launch proceeds, so nothing is dropped; without launch
  /// notes, ranges beyond this are dropped by CUPTI and counted.
  size_t ranges_per_batch = 256;
  /// Subscribe to CUPTI's driver-API launch callbacks to name each kernel and
  /// to flush full batches. Only one CUPTI subscriber may exist per process:
  /// a caller that has its own (the injection library) sets this false and
  /// calls note_launch() from its launch callback instead.
  bool track_launches = true;
  /// The CUcontext to profile, as an opaque pointer; null: the calling
  /// thread's current context (the runtime's primary context is created on
  /// the current device when there is none).
  void* context = nullptr;
  /// Keep every counter image and range for raw() (a .fscounters file). A
  /// caller that writes none sets this false: each batch is evaluated and its
  /// image freed, so a long profile does not grow with it.
  bool keep_raw = true;
  /// raw() keeps at most about this many bytes (as a file). Ranges past it are
  /// still evaluated and returned by stop(), but not saved; raw() counts them
  /// (CounterFile::unsaved_ranges) and a note says so. The default leaves room
  /// under the 256 MiB that flopscope reads back; larger values are held below it.
  size_t raw_limit_bytes = size_t(192) << 20;
  /// stop() synchronizes the context before stopping the range profiler, so
  /// a kernel that faulted is reported as such. A caller that stops from
  /// inside a CUPTI launch callback (the injection library) sets this false:
  /// kernel replay has finished the launch by then, and a synchronization of
  /// our own would add to the ones CUPTI already makes (after each profiled
  /// launch in auto range, and in DecodeData; docs/collector.md).
  bool synchronize_on_stop = true;
  /// CUPTI's user replay instead of kernel replay: count with replay(), which
  /// runs the caller's work once per replay pass (start() and stop() refuse).
  /// CUPTI then saves and restores no memory around each kernel; kernel
  /// replay's restores were seen to add DRAM writes on an H200
  /// (docs/crosscheck.md). The work must launch the same kernels each pass,
  /// at most ranges_per_batch of them. Not for applications (the injection
  /// library), whose work cannot be rerun.
  bool user_replay = false;
};

/// Counters of one kernel launch.
struct KernelCounters {
  std::string kernel;      ///< symbol name (mangled as the driver reports it); empty when unknown
  std::string nvtx;        ///< NVTX path passed to note_launch, if any
  uint64_t launch = 0;     ///< launch ordinal since the session was created
  HwCounters hw;
};

/// The counters of several launches as one: FLOPs, bytes and durations
/// summed, the SM clock averaged, raw metrics summed for ".sum" counters and
/// averaged otherwise. For a benchmark run made of several kernels. A sum
/// some launch lacks (a value left out as unreadable) is absent, not short.
HwCounters combine_launches(const std::vector<KernelCounters>& launches);

/// Whether a raw metric is an amount that adds up over launches (its name ends
/// in ".sum"), rather than a rate or ratio that is averaged.
inline bool is_sum_metric(const std::string& key) {
  return key.size() > 4 && key.compare(key.size() - 4, 4, ".sum") == 0;
}

class Session {
 public:
  /// Checks the driver and device and builds the metric plan for the device's
  /// chip. Throws Error(no_gpu) without a driver or GPU, or when counters are
  /// not permitted (the message says how to enable them) or another profiler
  /// is attached (named). A device or chip that cannot be profiled at all does
  /// not throw: counters_enabled() is false and notes() say why (timing only).
  /// Throws Error(bad_input) for options that cannot work (ranges_per_batch 0).
  explicit Session(SessionOptions opt = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Begins profiling on the context. May be called again after stop(); raw()
  /// keeps every cycle. `run` and `nvtx` are recorded with each range until
  /// stop() (`nvtx` for launches noted without a path of their own):
  /// `flopscope bench` passes its run and the NVTX range it opened for it.
  void start(const CounterRun& run = {}, const std::string& nvtx = {});
  /// For callers with their own launch callback (track_launches = false): call
  /// at the API-enter of every kernel launch on the profiled context, before
  /// the kernel runs. Flushes a full batch first. Thread-safe.
  void note_launch(const char* kernel, const char* nvtx = nullptr);
  /// The launch noted last did not happen (its call returned an error): forget
  /// it, so that stop() does not take a batch with no passes for a failure.
  void forget_last_launch();
  /// Ends profiling, decodes and evaluates every range since start().
  std::vector<KernelCounters> stop();
  /// With user_replay: counts one run of `pass`, called once per replay pass
  /// with `between` before each pass but the first (neither inside a pass: a
  /// flush there would be counted), and returns its launches as stop() does.
  /// The context is synchronized after each pass.
  std::vector<KernelCounters> replay(const std::function<void()>& between, const std::function<void()>& pass,
                                     const CounterRun& run = {}, const std::string& nvtx = {});

  bool counters_enabled() const;
  const MetricPlan& plan() const;
  std::string chip() const;
  /// Quantities not collected, fallbacks and launch-naming caveats, one line each.
  std::vector<std::string> notes() const;
  /// Ranges CUPTI dropped because a counter image was full.
  uint64_t dropped_ranges() const;
  /// Ranges raw() holds, those evaluated but left out of it because it reached
  /// raw_limit_bytes, and those left out because a counter read NaN or below 0
  /// (CounterFile::unreadable_ranges). Lock-free (safe from an exit or signal
  /// path while another thread is inside the session), and no copy of raw().
  uint64_t saved_ranges() const;
  uint64_t unsaved_ranges() const;
  uint64_t unreadable_ranges() const;
  /// Everything recorded since construction, ready for write_counter_file().
  CounterFile raw() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flopscope
