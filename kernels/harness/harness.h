#pragma once
/// The benchmark harness: runs one registered kernel at one shape and returns a
/// RunRecord. Plain structs only; the CUDA runtime stays in harness.cpp.
///
/// Per run: refuse before allocating when the problem does not fit; create the
/// instance; fresh random inputs, NaN-poisoned outputs; one run validated against
/// the CPU reference; warm-up; timed repetitions, each preceded by an L2 flush
/// (a memset of twice the L2 size) and bracketed by CUDA events, until both a
/// minimum count and a minimum total time are reached. The SM clock is the
/// median of what a one-thread probe kernel measures right after each flushed
/// repetition (outside its events); without the flush (back to back, nothing
/// between them) the median of NVML's readings while they run (NvmlSampler),
/// or, where NVML is missing, measure_sm_clock_mhz() right after them. NVML's
/// clock reading lagged the power cap on an H200: a run it read at 1980 MHz
/// slowed by 15% as it went. The board power and the reasons NVML gives for
/// clocks held down come from NVML's readings.
/// All of it inside one NVTX range named "<kernel id> <shape>".
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "flopscope/results.h"
#include "registry.h"

namespace flopscope::kernels {

/// How the L2 is flushed before each repetition (and before the counted run).
/// write: a memset of twice the L2's size, which leaves it full of dirty
/// lines that the next kernel evicts, so its time and DRAM writes include
/// their write-back. read: a kernel reads the same buffer and stores nothing,
/// leaving clean lines (l2_flush.cu).
enum class L2Flush { write, read };

struct BenchOptions {
  int min_reps = 10;          ///< timed repetitions, at least
  int max_reps = 2000;        ///< and at most
  double min_time_s = 0.1;    ///< summed kernel time to reach before stopping
  int warmup_reps = 2;        ///< untimed runs first, at least
  /// and this long, with at most 1000 runs more (a kernel under 250 us warms
  /// for less): past the power cap's onset, so that the timed
  /// repetitions are not a staircase from burst to capped clocks (on the H200
  /// cuBLAS BF16 at 8192^3 ran its first 24 timed repetitions, 33 ms after a
  /// 20 ms warm-up, at full speed before its 700 W cap took hold; with that
  /// 20 ms warm-up a 0.1 s timed window held both states).
  double warmup_time_s = 0.25;
  bool flush_l2 = true;
  L2Flush l2_flush = L2Flush::write;  ///< how, when flush_l2
  /// A clock probe kernel after each flushed repetition (the SM clock); off,
  /// NVML reads it, and a profiler sees no launch but the kernel's.
  bool probe_clock = true;
  bool validate = true;
  uint64_t seed = 0;          ///< input seed; 0: a fresh one per run
};

/// Called once per run after the timed repetitions, inside the run's NVTX
/// range, with `ready` (flushes the L2 as before each timed repetition, and
/// waits) and `run_once` (runs the kernel once more and waits for it). Call
/// ready() before each counted run_once(), outside the counted range. What
/// it returns becomes RunRecord::hw (the CUPTI collector attaches here).
using CounterHook = std::function<std::optional<HwCounters>(const KernelSpec& spec, const Shape& shape,
                                                            const std::function<void()>& ready,
                                                            const std::function<void()>& run_once)>;

class Harness {
 public:
  /// Opens `device` (a CUDA ordinal, device_for_ordinal()), creates a stream, events
  /// and the L2 flush buffer. Throws Error(no_gpu) when there is no GPU.
  explicit Harness(int device = 0);
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  const DeviceInfo& device() const;
  /// "" when `spec` can run on this device, else one line why not.
  std::string unsupported_reason(const KernelSpec& spec) const;
  /// "" when the problem fits in free device memory (with the flush buffer),
  /// else one line with the bytes needed and the bytes free (fit_problem).
  std::string fit_reason(const KernelSpec& spec, const Shape& shape) const;

  /// Benchmarks `spec` at `shape` (already resolved). Throws bad_input when it
  /// does not fit or cannot run here, Error(failure) on a CUDA or launch error.
  /// `derived` is left for the caller (compute_derived with its peaks).
  RunRecord run(const KernelSpec& spec, const Shape& shape, const BenchOptions& options,
                const CounterHook& hook = {});

  /// "" when the device still runs work after a failed run; else the sticky
  /// error (a fault or trap in a kernel) that makes every later run fail too.
  std::string context_error() const;

  /// After a sticky fault: stops the clock sampler, frees what the harness
  /// holds and resets the device (cudaDeviceReset, errors ignored), so that
  /// another process gets its memory, and the device itself under the
  /// exclusive-process compute mode. The harness runs nothing afterwards.
  void release_device();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// SM clock measured by a one-thread kernel that compares clock64() with the
/// global nanosecond timer over about `spin_ns`; MHz. Run right after a
/// benchmark, it reports the clock the SMs were at then (not during each rep).
double measure_sm_clock_mhz(int64_t spin_ns = 1'000'000);

/// Enqueues that probe on `stream`, writing (cycles, nanoseconds) to out[0..1]
/// (device memory) for probe_clock_mhz.
void launch_clock_probe(long long* out, int64_t spin_ns, StreamHandle stream);

/// The clock a probe saw, in MHz: `cycles` SM cycles in `elapsed_ns` of the
/// global timer; nullopt when the timer advanced less than `spin_ns` (the
/// probe's cycle bound ended it: a timer that does not run).
inline std::optional<double> probe_clock_mhz(long long cycles, long long elapsed_ns, int64_t spin_ns) {
  if (elapsed_ns < spin_ns || elapsed_ns <= 0 || cycles <= 0) return std::nullopt;
  return double(cycles) / double(elapsed_ns) * 1e3;  // cycles per ns = GHz
}

}  // namespace flopscope::kernels
