// The ceilings' host runner: allocates, launches and times every benchmark
// through the CUDA runtime. Kernels are reached through launch.h only.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "ceilings/ceilings.h"
#include "ceilings/launch.h"
#include "ceilings/params.h"
#include "flopscope/error.h"
#include "flopscope/stats.h"

namespace flopscope::ceilings {

namespace {

namespace p = params;
using detail::KernelArgs;

void check(cudaError_t e, const std::string& what) {
  if (e == cudaSuccess) return;
  std::string msg = "ceilings: " + what + ": " + cudaGetErrorString(e);
  if (e == cudaErrorNoKernelImageForDevice || e == cudaErrorInvalidDeviceFunction)
    msg += " (this build has no code for the device's architecture; rebuild with its sm_XX in "
           "CMAKE_CUDA_ARCHITECTURES)";
  throw Error(ErrorKind::failure, msg);
}

/// A device allocation freed on scope exit.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes, const std::string& what) {
    if (bytes == 0) return;
    check(cudaMalloc(&ptr_, bytes), "allocating " + std::to_string(bytes >> 20) + " MiB for " + what);
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_) { o.ptr_ = nullptr; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    return *this;
  }
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
};

class Events {
 public:
  Events() {
    check(cudaEventCreate(&start_), "creating an event");
    check(cudaEventCreate(&stop_), "creating an event");
  }
  ~Events() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

const void* kernel_for(Bench b) {
  if (const void* k = detail::core_kernel(b)) return k;
  if (const void* k = detail::wgmma_kernel(b)) return k;
  if (const void* k = detail::memory_kernel(b)) return k;
  throw Error(ErrorKind::failure, std::string("ceilings: no kernel for ") + info(b).id);
}

int threads_for(Bench b) {
  switch (info(b).target) {
    case Target::flops:
      if (info(b).needs_sm90a) return p::kWgmmaThreads;  // the wgmma benchmarks
      if (is_mma_sync(b)) return p::kMmaThreads;
      return p::kCoreThreads;
    case Target::dram:
    case Target::l2: return p::kMemThreads;
    case Target::l1: return p::kSmemThreads;
  }
  return p::kCoreThreads;
}

void launch(const void* kernel, int blocks, int threads, KernelArgs args, const std::string& what) {
  void* params[] = {&args};
  check(cudaLaunchKernel(kernel, dim3(unsigned(blocks)), dim3(unsigned(threads)), params, 0, nullptr),
        "launching " + what);
}

/// Launches once between two events and returns the elapsed seconds.
double timed_launch(const void* kernel, int blocks, int threads, const KernelArgs& args,
                    const Events& ev, const std::string& what) {
  check(cudaEventRecord(ev.start_, nullptr), "recording an event");
  launch(kernel, blocks, threads, args, what);
  check(cudaEventRecord(ev.stop_, nullptr), "recording an event");
  check(cudaEventSynchronize(ev.stop_), "running " + what);
  check(cudaGetLastError(), "running " + what);
  float ms = 0;
  check(cudaEventElapsedTime(&ms, ev.start_, ev.stop_), "reading an event");
  return seconds_of_event_ms(ms);
}

struct Plan {
  double target_s;  ///< how long one timed launch should last
  int reps;         ///< timed launches per benchmark
};

/// What every benchmark shares: the device, the buffers, the timing events.
struct Rig {
  int sms = 0, cc_major = 0, cc_minor = 0;
  Plan plan{};
  size_t buf_bytes = 0, l2_bytes = 0;
  void *src = nullptr, *dst = nullptr, *sink = nullptr, *clocks = nullptr;
  int* did_run = nullptr;
  const Events* events = nullptr;
  uint32_t seed = 0x9e3779b9U;
  bool sm90() const { return cc_major == 9 && cc_minor == 0; }
  uint32_t next_seed() {
    const uint32_t s = seed;
    seed = seed * 1664525U + 1013904223U;
    return s;
  }
};

/// Sizes, warms, calibrates and times one benchmark. Throws Error(failure) on a
/// CUDA error or a kernel that did no work.
Measurement measure(const BenchInfo& b, Rig& r) {
  Measurement m;
  m.bench = b.bench;
  const Events& ev = *r.events;
  const void* kernel = kernel_for(b.bench);
  if (b.needs_sm90a && !r.sm90()) {
    m.skipped = "needs compute capability 9.0 (wgmma), device is " + std::to_string(r.cc_major) + "." +
                std::to_string(r.cc_minor);
    return m;
  }
  const int threads = threads_for(b.bench);
  if (b.target == Target::l1 || b.needs_sm90a)  // shared-memory bound: the most shared memory per SM
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                               int(cudaSharedmemCarveoutMaxShared)),
          std::string("setting the shared-memory carveout of ") + b.id);
  int per_sm = 0;
  check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, 0),
        std::string("occupancy of ") + b.id);
  if (per_sm < 1) throw Error(ErrorKind::failure, std::string("ceilings: ") + b.id + " cannot fit on an SM");
  const int blocks = std::min(per_sm, 32) * r.sms;

  KernelArgs args;
  args.seed = r.next_seed();
  args.sink = r.sink;
  const bool memory = b.target == Target::dram || b.target == Target::l2;
  if (b.target == Target::flops) args.clocks = static_cast<ClockSample*>(r.clocks);
  args.did_run = r.did_run;
  args.src = r.src;
  args.dst = r.dst;
  // L2: at most half the L2 (its two partitions may each keep a copy), a
  // whole number of grid-wide rounds of kMemInFlight accesses, so every thread
  // keeps its loads in flight (rounded down: one round, 16.5 MiB, on a 132-SM
  // part at 4 blocks per SM, about a quarter of a 60 MiB L2); a quarter of the
  // L2 when one round is larger than 60% of it.
  size_t set_bytes = r.buf_bytes;
  if (b.target == Target::l2) {
    const size_t round = size_t(blocks) * size_t(threads) * p::kMemInFlight * p::kMemAccessBytes;
    set_bytes = round <= r.l2_bytes * 6 / 10 ? std::max<size_t>(1, r.l2_bytes / 2 / round) * round
                                             : r.l2_bytes / 4 - (r.l2_bytes / 4) % 4096;
  }
  args.n16 = memory ? int64_t(set_bytes / 16) : 0;
  m.shape = LaunchShape{blocks, threads, 0, memory ? int64_t(set_bytes) : 0};
  const int64_t max_trips = memory ? 100000 : (int64_t(1) << 30);

  // Warm up (module load, clocks ramping), then size the launch so that it
  // lasts about the plan's target_s, re-timing while it is far shorter.
  check(cudaMemset(r.did_run, 0, sizeof(int)), "clearing a flag");
  args.trips = memory ? 1 : 64;
  launch(kernel, blocks, threads, args, b.id);
  check(cudaDeviceSynchronize(), std::string("running ") + b.id);
  if (b.needs_sm90a) {
    int ran = 0;
    check(cudaMemcpy(&ran, r.did_run, sizeof(int), cudaMemcpyDeviceToHost), "reading a flag");
    if (ran != 1) {
      m.skipped = "this build has no sm_90a code (add 90a to CMAKE_CUDA_ARCHITECTURES)";
      return m;
    }
  }
  double t = timed_launch(kernel, blocks, threads, args, ev, b.id);
  for (int round = 0; round < 4 && t < r.plan.target_s / 4 && args.trips < max_trips; ++round) {
    args.trips = int(calibrate_trips(args.trips, t, r.plan.target_s, max_trips));
    t = timed_launch(kernel, blocks, threads, args, ev, b.id);
  }
  args.trips = int(calibrate_trips(args.trips, t, r.plan.target_s, max_trips));
  m.shape.trips = args.trips;
  m.work = work_per_launch(b.bench, m.shape);

  (void)timed_launch(kernel, blocks, threads, args, ev, b.id);  // warm at the final size
  // Each launch's clock, read between launches (outside the timed events).
  std::vector<std::optional<double>> clocks;
  std::vector<ClockSample> cs(static_cast<size_t>(blocks));
  for (int rep = 0; rep < r.plan.reps; ++rep) {
    m.times_s.push_back(timed_launch(kernel, blocks, threads, args, ev, b.id));
    if (!args.clocks) continue;
    check(cudaMemcpy(cs.data(), r.clocks, cs.size() * sizeof(ClockSample), cudaMemcpyDeviceToHost),
          "reading clock samples");
    clocks.push_back(sm_clock_mhz(cs));
  }
  if (args.clocks) m.sm_clock_mhz = median_launch_clock_mhz(m.times_s, clocks);
  if (!(m.best_s() > 0)) throw Error(ErrorKind::failure, std::string("ceilings: ") + b.id + " took no time");
  if (b.target == Target::dram && r.buf_bytes < (size_t(2) << 30))
    m.note = "buffer " + std::to_string(r.buf_bytes >> 20) + " MiB";
  if (b.target == Target::l2) m.note = "working set " + std::to_string(set_bytes >> 20) + " MiB";
  m.ran = true;
  return m;
}

/// True when the CUDA context no longer works (a sticky error: a fault, a trap),
/// so that no later benchmark can run; clears a non-sticky error.
bool context_lost() {
  (void)cudaGetLastError();
  return cudaDeviceSynchronize() != cudaSuccess;
}

/// The benchmarks on the selected device, in run_order(); sets `lost_context`
/// when a fault left the context unusable. Its buffers are freed on return.
std::vector<Measurement> run_on_device(const RunOptions& opt, const cudaDeviceProp& prop, bool& lost_context) {
  Rig rig;
  rig.sms = prop.multiProcessorCount;
  rig.cc_major = prop.major;
  rig.cc_minor = prop.minor;
  rig.plan = opt.quick ? Plan{0.005, 5} : Plan{0.020, 15};

  // Device memory: two buffers for copy, each 2 GiB (1 GiB with --quick),
  // fewer when the card has less free; L2 reads use the front of the first.
  size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "reading free memory");
  size_t buf_bytes = opt.quick ? (size_t(1) << 30) : (size_t(2) << 30);
  buf_bytes = std::min(buf_bytes, size_t(double(free_b) * 0.4));
  buf_bytes -= buf_bytes % (size_t(1) << 20);
  const size_t l2_bytes = size_t(std::max(prop.l2CacheSize, 4 << 20));
  if (buf_bytes < 4 * l2_bytes)
    throw Error(ErrorKind::failure, "ceilings: only " + std::to_string(buf_bytes >> 20) +
                                        " MiB of device memory free, under four times the L2 (" +
                                        std::to_string(l2_bytes >> 20) + " MiB): DRAM figures would be cache figures");

  DeviceBuffer src(buf_bytes, "the source buffer"), dst(buf_bytes, "the destination buffer");
  // No GPU keeps more than 32 blocks resident per SM: room for any grid below.
  const int max_blocks = rig.sms * 32;
  const size_t max_threads = size_t(max_blocks) * 1024;  // at most 1024 threads per block
  DeviceBuffer sink(max_threads * sizeof(double), "the result sink");
  DeviceBuffer clocks(size_t(max_blocks) * sizeof(ClockSample), "clock samples");
  DeviceBuffer did_run(sizeof(int), "a flag");
  Events ev;

  // Non-zero, hashed contents: never time on zeros.
  {
    KernelArgs fill;
    fill.seed = 0x2545f491U;
    fill.n16 = int64_t(buf_bytes / 16);
    fill.dst = src.get();
    launch(detail::fill_kernel(), rig.sms * 8, 256, fill, "the buffer fill");
    fill.dst = dst.get();
    fill.seed ^= 0xffffU;
    launch(detail::fill_kernel(), rig.sms * 8, 256, fill, "the buffer fill");
    check(cudaDeviceSynchronize(), "filling the buffers");
  }

  rig.buf_bytes = buf_bytes;
  rig.l2_bytes = l2_bytes;
  rig.src = src.get();
  rig.dst = dst.get();
  rig.sink = sink.get();
  rig.clocks = clocks.get();
  rig.did_run = static_cast<int*>(did_run.get());
  rig.events = &ev;

  // A benchmark that fails leaves the others to run; one that loses the context
  // (a fault) leaves nothing to run on, and the rest say so.
  std::vector<Measurement> done;
  std::string lost;
  for (const Bench bench : run_order()) {
    if (!opt.only.empty() && std::find(opt.only.begin(), opt.only.end(), bench) == opt.only.end()) continue;
    const BenchInfo& b = info(bench);
    Measurement m;
    m.bench = bench;
    if (!lost.empty()) {
      m.skipped = "not run: " + lost;
      m.after_lost_context = true;
    } else {
      if (opt.progress) opt.progress(b.id);
      try {
        m = measure(b, rig);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::failure) throw;
        m.failed = e.what();
        if (context_lost()) {
          lost = std::string("the CUDA context was lost when ") + b.id + " failed";
          lost_context = true;
        }
      }
    }
    done.push_back(m);
    if (opt.measured) opt.measured(m);
  }
  return done;
}

}  // namespace

std::vector<Measurement> run_ceilings(const RunOptions& opt) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaErrorInsufficientDriver || err == cudaErrorNoDevice || count == 0)
    throw Error(ErrorKind::no_gpu, err == cudaErrorInsufficientDriver
                                       ? "no NVIDIA driver found: this machine cannot run GPU work"
                                       : "no CUDA-capable GPU is visible (check CUDA_VISIBLE_DEVICES)");
  if (err != cudaSuccess)
    throw Error(ErrorKind::no_gpu, std::string("CUDA cannot list devices: ") + cudaGetErrorString(err));
  if (opt.device < 0 || opt.device >= count)
    throw_bad_input("device " + std::to_string(opt.device) + " does not exist (" + std::to_string(count) +
                    " visible)");
  check(cudaSetDevice(opt.device), "selecting device " + std::to_string(opt.device));
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, opt.device), "reading device properties");
  bool lost_context = false;
  const std::vector<Measurement> done = run_on_device(opt, prop, lost_context);
  // Nothing more can run in this process: free the device (its memory, and
  // under the exclusive-process compute mode the device itself) for a new one.
  if (lost_context) (void)cudaDeviceReset();
  std::vector<Measurement> out;  // in all_benches() order
  for (const BenchInfo& b : all_benches())
    for (const Measurement& m : done)
      if (m.bench == b.bench) out.push_back(m);
  return out;
}

}  // namespace flopscope::ceilings
