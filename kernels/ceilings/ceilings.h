#pragma once
/// `flopscope ceilings`: microbenchmarks that measure a GPU's real ceilings
/// (docs/ceilings.md). This header is host-only (no CUDA header): the bench
/// list, the arithmetic that turns a launch into FLOPs or bytes, and the
/// conversion of measurements into a PeakTable are plain C++ and tested on the
/// CPU; run_ceilings() is implemented with the CUDA runtime in run.cpp.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/peaks.h"
#include "flopscope/results.h"

namespace flopscope::ceilings {

enum class Bench {
  fp32_ffma,
  fp16_hfma2,
  bf16_hfma2,
  fp64_dfma,
  fp16_mma_sync,
  bf16_mma_sync,
  tf32_mma_sync,
  fp16_wgmma,
  bf16_wgmma,
  tf32_wgmma,
  dram_read,
  dram_write,
  dram_copy,
  l2_read,
  smem_read,
};

/// Where a measurement lands in the PeakTable.
enum class Target { flops, dram, l2, l1 };

struct BenchInfo {
  Bench bench;
  const char* id;           ///< "fp32.ffma", "bf16.wgmma", "dram.copy", ...
  Target target;
  const char* peak_key;     ///< Precision key for flops ("bf16_tensor"), else "dram", "l2", "l1"
  const char* instruction;  ///< the SASS instruction that does the work
  const char* what;         ///< one line for the table
  bool needs_sm90a = false; ///< wgmma: only on compute capability 9.0 with sm_90a code
};

/// Every benchmark, in the order they print.
const std::vector<BenchInfo>& all_benches();
/// The order they run, the likeliest to fault last (a fault loses the CUDA
/// context): the CUDA-core and memory benchmarks (plain C++ loops), then the
/// mma.sync ones (inline PTX), then the wgmma ones (sm_90a); in list order
/// within each group.
std::vector<Bench> run_order();
const BenchInfo& info(Bench b);
/// The mma.sync benchmarks (warp-wide inline PTX).
bool is_mma_sync(Bench b);
/// The benchmark with this id ("bf16.wgmma"), or nullopt.
std::optional<Bench> find_bench(const std::string& id);

/// How one launch was shaped. `trips` is the trip count of the kernel's
/// timed loop: iterations for arithmetic, passes over the buffer for memory.
struct LaunchShape {
  int64_t blocks = 0;
  int64_t threads = 0;  ///< per block
  int64_t trips = 0;
  int64_t bytes = 0;    ///< memory benchmarks: buffer (working-set) bytes; 0 otherwise
};

/// FLOPs (arithmetic) or bytes moved (memory) by one launch, from the shape
/// and the kernels' compile-time constants (params.h). Throws bad_input on a
/// shape the kernel cannot take (threads not a multiple of a warp or a
/// warpgroup, non-positive counts, a buffer not a whole number of 16-byte accesses).
double work_per_launch(Bench b, const LaunchShape& s);

/// In-kernel clock readings of one block: clock64() and %globaltimer at the
/// start and the end of its timed loop.
struct ClockSample {
  int64_t clk0 = 0, clk1 = 0;
  uint64_t ns0 = 0, ns1 = 0;
};
/// The SM clock under load in MHz: the median over blocks of
/// (clk1 - clk0) / (ns1 - ns0). nullopt when no block spans a positive time.
std::optional<double> sm_clock_mhz(const std::vector<ClockSample>& samples);
/// The SM clock of the median launch, the one the stored rate comes from
/// (work / median time): clocks[i] belongs to times_s[i]; with an even count,
/// the mean over the two middle launches. nullopt when either lacks a clock.
/// The last launch's clock, shown before, was the most throttled under tensor
/// load: a median rate read 106% of what the tensor cores can do at it.
std::optional<double> median_launch_clock_mhz(const std::vector<double>& times_s,
                                              const std::vector<std::optional<double>>& clocks);

/// The trip count that makes a launch last about `target_s`, from one timed
/// launch of `trips` trips that took `elapsed_s`; clamped to [1, max_trips].
int64_t calibrate_trips(int64_t trips, double elapsed_s, double target_s, int64_t max_trips);

struct Measurement {
  Bench bench{};
  bool ran = false;
  std::string skipped;       ///< why it did not run ("needs sm_90a", "not run: ...")
  /// Not run because an earlier benchmark lost this process's CUDA context
  /// (`skipped` says which): a new process can still run it.
  bool after_lost_context = false;
  std::string failed;        ///< the error that stopped it, when it started and failed
  LaunchShape shape;
  double work = 0;           ///< FLOPs or bytes per launch
  std::vector<double> times_s;  ///< every timed launch, in order
  std::optional<double> sm_clock_mhz;
  std::string note;          ///< e.g. a buffer smaller than planned

  double best_s() const;     ///< the shortest launch
  double median_s() const;
  double best_rate() const { return work / best_s(); }      ///< per second
  double median_rate() const { return work / median_s(); }  ///< per second: the stored ceiling
};

/// The measured PeakTable: for each key, the highest median rate of the
/// benchmarks that feed it (mma.sync and wgmma both feed bf16_tensor; read,
/// write and copy all feed dram). Benchmarks that did not run are left out.
/// `source` becomes "measured: flopscope ceilings on <device> (<date>)".
PeakTable to_peak_table(const std::vector<Measurement>& ms, const std::string& device_name,
                        const std::string& date);

/// The value a PeakTable holds for a benchmark's key (0 or absent: unknown).
std::optional<double> table_value(const PeakTable& t, const BenchInfo& b);

/// The table `flopscope ceilings` prints, one row per benchmark: median and
/// best rate (TFLOP/s or TB/s), the datasheet figure for its key, median over
/// datasheet, the SM clock measured under load and, when `gpu` is known, the
/// clock its datasheet figure assumes (vector or tensor clock).
std::string render_table(const std::vector<Measurement>& ms, const PeakTable& datasheet, const GpuSpec* gpu,
                         size_t width, bool color);

struct RunOptions {
  int device = 0;
  bool quick = false;  ///< shorter launches and fewer repetitions
  std::vector<Bench> only;  ///< just these (empty: every benchmark)
  /// Called before each benchmark with its id; may be empty.
  std::function<void(const std::string&)> progress;
  /// Called with each benchmark's entry once it has one (measured, failed or
  /// skipped), in run order; may be empty.
  std::function<void(const Measurement&)> measured;
};

/// Runs the benchmarks (every one, or `opt.only`) on `opt.device`, in
/// run_order(); returns them in all_benches() order. Throws Error(no_gpu) when
/// there is no usable GPU and Error(failure) when the run cannot start
/// (memory, a CUDA error before the first benchmark). A benchmark that fails (a
/// CUDA error, a kernel that did no work) gets `failed` and the others still
/// run; after an error that loses the CUDA context, the rest get skipped =
/// "not run: ..." and after_lost_context, and the device is reset
/// (cudaDeviceReset) so that a new process can have it.
std::vector<Measurement> run_ceilings(const RunOptions& opt);

/// Measurements as JSON, for the new process that runs what a lost context
/// left (`flopscope ceilings --resumed`) to hand back to the first one.
std::string measurements_to_json(const std::vector<Measurement>& ms);
/// Reads that JSON back; Error(bad_input) naming `origin` and the place of
/// anything malformed (an unknown id, a negative time, a missing field).
std::vector<Measurement> measurements_from_json(const std::string& text, const std::string& origin);

}  // namespace flopscope::ceilings
