// The benchmark harness (harness.h). CUDA runtime only: no kernels here besides
// those the registry's instances launch, the clock probe and the read flush.
#include "harness/harness.h"
#include "harness/l2_flush.h"
#include "harness/nvml_sampler.h"

#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "common/cuda_util.cuh"
#include "flopscope/device.h"
#include "flopscope/error.h"
#include "flopscope/stats.h"

namespace flopscope::kernels {

namespace {

/// Pushes an NVTX range for its lifetime.
class NvtxRange {
 public:
  explicit NvtxRange(const std::string& name) { nvtxRangePushA(name.c_str()); }
  ~NvtxRange() { nvtxRangePop(); }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};

uint64_t fresh_seed() {
  std::random_device rd;
  return (uint64_t(rd()) << 32) ^ rd() ^
         uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
}

void require_ok(const Status& s, const std::string& id) {
  if (!s.ok()) throw Error(ErrorKind::failure, id + ": launch failed: " + s.message);
}

}  // namespace

struct Harness::Impl {
  int device = 0;
  DeviceInfo info;
  int smem_optin = 0;  // shared memory a block may opt into (99 KB on sm_86/89, 227 KB on sm_90)
  cudaStream_t stream = nullptr;
  DeviceBuffer<unsigned char> flush;  // zeros: the read flush's stores stay off
  DeviceBuffer<int> flush_sink;       // the read flush's never-taken store
  std::vector<cudaEvent_t> starts, stops;  // one pair per repetition of a batch
  DeviceBuffer<long long> probes;           // (cycles, ns) of each repetition's clock probe
  bool probe_broken = false;                // a batch of probes read no clock: probe no more
  // 50 us of spinning, from an edge of the global timer (which may step only
  // every microsecond: a window of whole steps), and a median over the repetitions.
  static constexpr int64_t kProbeSpinNs = 50'000;
  std::unique_ptr<NvmlSampler> nvml;        // clock, power, limits while the timed repetitions run
  bool released = false;                    // release_device(): nothing runs any more

  ~Impl() { destroy_stream_and_events(); }

  // At the end, or early in release_device().
  void destroy_stream_and_events() {
    for (cudaEvent_t e : starts) cudaEventDestroy(e);
    for (cudaEvent_t e : stops) cudaEventDestroy(e);
    starts.clear();
    stops.clear();
    if (stream) cudaStreamDestroy(stream);
    stream = nullptr;
  }

  void ensure_events(size_t n) {
    while (starts.size() < n) {
      cudaEvent_t a = nullptr, b = nullptr;
      FLOPSCOPE_CUDA_CHECK(cudaEventCreate(&a));
      starts.push_back(a);
      FLOPSCOPE_CUDA_CHECK(cudaEventCreate(&b));
      stops.push_back(b);
    }
  }

  void flush_l2(L2Flush how) {
    if (!flush.size()) return;
    if (how == L2Flush::read)
      launch_l2_flush_read(flush.get(), flush.bytes(), flush_sink.get(), info.sm_count, stream);
    else
      FLOPSCOPE_CUDA_CHECK(cudaMemsetAsync(flush.get(), 0, flush.bytes(), stream));
  }

  /// `count` repetitions, each flushed (optionally) and timed; appends seconds.
  /// With `clocks`, a clock probe follows each repetition, outside its events,
  /// and its MHz are appended there.
  void timed_batch(KernelInstance& inst, const std::string& id, int count, std::optional<L2Flush> flush_each,
                   std::vector<double>& samples, std::vector<double>* clocks = nullptr) {
    ensure_events(size_t(count));
    // Sized for the timed loop's batches (up to 256) at the first use, in the warm-up.
    if (clocks && probes.size() < 2 * size_t(count))
      probes = DeviceBuffer<long long>(2 * std::max<size_t>(count, 256));
    for (int i = 0; i < count; ++i) {
      if (flush_each) flush_l2(*flush_each);
      FLOPSCOPE_CUDA_CHECK(cudaEventRecord(starts[size_t(i)], stream));
      require_ok(inst.run(stream), id);
      FLOPSCOPE_CUDA_CHECK(cudaEventRecord(stops[size_t(i)], stream));
      if (clocks) launch_clock_probe(probes.get() + 2 * i, kProbeSpinNs, stream);
    }
    FLOPSCOPE_CUDA_CHECK(cudaStreamSynchronize(stream));
    for (int i = 0; i < count; ++i) {
      float ms = 0;
      FLOPSCOPE_CUDA_CHECK(cudaEventElapsedTime(&ms, starts[size_t(i)], stops[size_t(i)]));
      samples.push_back(seconds_of_event_ms(ms));
    }
    if (!clocks) return;
    std::vector<long long> host(2 * size_t(count));
    FLOPSCOPE_CUDA_CHECK(
        cudaMemcpy(host.data(), probes.get(), host.size() * sizeof(long long), cudaMemcpyDeviceToHost));
    size_t read = 0;
    for (size_t i = 0; i < size_t(count); ++i)
      if (const auto mhz = probe_clock_mhz(host[2 * i], host[2 * i + 1], kProbeSpinNs)) {
        clocks->push_back(*mhz);
        ++read;
      }
    // A timer that does not run (some virtualized GPUs) reads nothing: no more
    // probes for this device, each of which spins to its cycle bound.
    if (read == 0) probe_broken = true;
  }
};

Harness::Harness(int device) : impl_(std::make_unique<Impl>()) {
  impl_->info = device_for_ordinal(device);  // throws no_gpu, or bad_input naming the ordinal
  impl_->device = device;
  FLOPSCOPE_CUDA_CHECK(cudaSetDevice(device));
  FLOPSCOPE_CUDA_CHECK(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamNonBlocking));
  FLOPSCOPE_CUDA_CHECK(
      cudaDeviceGetAttribute(&impl_->smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  int l2 = 0;
  FLOPSCOPE_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
  // Twice the L2: every line a kernel left behind is evicted by the flush.
  impl_->flush = DeviceBuffer<unsigned char>(size_t(std::max(l2, 1 << 20)) * 2);
  FLOPSCOPE_CUDA_CHECK(cudaMemset(impl_->flush.get(), 0, impl_->flush.bytes()));  // the read flush reads zeros
  impl_->flush_sink = DeviceBuffer<int>(1);
  char pci[32] = {};
  FLOPSCOPE_CUDA_CHECK(cudaDeviceGetPCIBusId(pci, int(sizeof pci), device));
  impl_->nvml = std::make_unique<NvmlSampler>(pci);
}

Harness::~Harness() = default;

void Harness::release_device() {
  Impl& h = *impl_;
  if (h.released) return;
  h.released = true;
  h.nvml.reset();
  h.flush = DeviceBuffer<unsigned char>();
  h.flush_sink = DeviceBuffer<int>();
  h.probes = DeviceBuffer<long long>();
  h.destroy_stream_and_events();
  cudaDeviceReset();
}

const DeviceInfo& Harness::device() const { return impl_->info; }

std::string Harness::unsupported_reason(const KernelSpec& spec) const {
  return device_refusal(spec, impl_->info.cc_major * 10 + impl_->info.cc_minor, impl_->smem_optin);
}

std::string Harness::fit_reason(const KernelSpec& spec, const Shape& shape) const {
  size_t free_bytes = 0, total = 0;
  FLOPSCOPE_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total));
  const std::string what = spec.id() + " " + shape_string(shape);
  if (std::string why = fit_problem(what, spec.device_bytes(shape), double(free_bytes)); !why.empty()) return why;
  // The host holds float copies of the inputs for the CPU reference.
  if (const double host = available_host_bytes(); host >= 0)
    return fit_problem(what, spec.host_bytes(shape), host, Memory::host);
  return "";
}

RunRecord Harness::run(const KernelSpec& spec, const Shape& shape, const BenchOptions& opt,
                       const CounterHook& hook) {
  if (impl_->released) throw Error(ErrorKind::failure, "the device was released after a fault; nothing runs here");
  if (std::string why = unsupported_reason(spec); !why.empty()) throw_bad_input(why);
  if (std::string why = fit_reason(spec, shape); !why.empty()) throw_bad_input(why);

  const std::string id = spec.id();
  RunRecord rec;
  rec.id = id;
  rec.family = spec.family;
  rec.variant = spec.variant;
  rec.dtype = spec.dtype;
  rec.precision = spec.precision.key();
  rec.shape = shape;
  rec.model = spec.model(shape);
  rec.nvtx = bench_nvtx_range(id, shape_string(shape));

  NvtxRange range(rec.nvtx);
  std::unique_ptr<KernelInstance> inst = spec.create(shape);
  rec.launches = inst->launches();
  inst->prepare(opt.seed ? opt.seed : fresh_seed());
  // prepare() uploads with cudaMemcpy (pageable: may return before the last DMA
  // lands) and poisons with cudaMemset, both on the legacy default stream, which
  // our non-blocking stream does not wait for: without this, the first run could
  // read stale inputs or have its outputs overwritten by the NaN poison.
  FLOPSCOPE_CUDA_CHECK(cudaDeviceSynchronize());

  // Validate first: a wrong kernel is not worth timing.
  if (opt.validate) {
    require_ok(inst->run(impl_->stream), id);
    FLOPSCOPE_CUDA_CHECK(cudaStreamSynchronize(impl_->stream));
    rec.validation = inst->validate();
  }

  // Warm-up: clocks up, caches and the instruction cache primed, lazy module
  // loading done.
  std::vector<double> warm;
  // The clock probe runs after each flushed repetition; it is loaded (lazily,
  // by the first launch) and its buffer allocated here, not in the timed loop.
  const bool probing = opt.flush_l2 && opt.probe_clock && !impl_->probe_broken;
  std::vector<double> warm_mhz;
  // In batches of at most 256, as the timed loop: each repetition of a batch
  // has its own events (--warmup 100000000 would have made 2e8 at once).
  auto warm_up = [&](int count) {
    for (int left = count; left > 0; left -= 256)
      impl_->timed_batch(*inst, id, std::min(left, 256), std::nullopt, warm,
                         probing && warm.empty() ? &warm_mhz : nullptr);
  };
  warm_up(std::max(1, opt.warmup_reps));
  auto sum = [](const std::vector<double>& v) {
    double t = 0;
    for (double s : v) t += s;
    return t;
  };
  // Per run from the fastest: the first run absorbs lazy loading (and, without
  // validation, a library's setup), and a mean with it made the top-up far too
  // small. Topped up until the time is reached, at most 1000 runs more: a
  // kernel of a few microseconds (each run after an L2 flush) warms for less.
  const double per_run = std::max(*std::min_element(warm.begin(), warm.end()), 1e-7);
  constexpr int kMaxTopUp = 1000;
  for (int topped = 0; topped < kMaxTopUp && sum(warm) < opt.warmup_time_s;) {
    const int n = int(std::min(double(kMaxTopUp - topped), std::ceil((opt.warmup_time_s - sum(warm)) / per_run)));
    warm_up(std::max(1, n));
    topped += std::max(1, n);
  }

  // Timed repetitions: at least min_reps and min_time_s, at most max_reps.
  std::vector<double> samples, probed_mhz;
  double total = 0;
  // Flushed repetitions are not back to back, and a probe after each costs
  // them nothing; back to back (--no-flush) they stay so, and NVML reads the clock.
  std::vector<double>* clocks = probing ? &probed_mhz : nullptr;
  impl_->nvml->start();
  const int max_reps = std::max(opt.max_reps, opt.min_reps);
  while (int(samples.size()) < max_reps &&
         (int(samples.size()) < opt.min_reps || total < opt.min_time_s)) {
    const double mean = samples.empty() ? per_run : total / double(samples.size());
    int want = std::max(opt.min_reps - int(samples.size()),
                        int(std::min(1e6, std::ceil((opt.min_time_s - total) / std::max(mean, 1e-7)))));
    want = std::clamp(want, 1, std::min(256, max_reps - int(samples.size())));
    const size_t before = samples.size();
    impl_->timed_batch(*inst, id, want, opt.flush_l2 ? std::optional(opt.l2_flush) : std::nullopt, samples,
                       impl_->probe_broken ? nullptr : clocks);
    for (size_t i = before; i < samples.size(); ++i) total += samples[i];
  }
  rec.time_s = summarize(samples);
  // The clock after each repetition (the probes), else during them (NVML),
  // else right after them, which for a power-capped kernel reads high. Power
  // and the clock limits only from NVML.
  const NvmlReadings during = impl_->nvml->stop();
  if (!probed_mhz.empty()) {
    rec.sm_clock_mhz = median(probed_mhz);
  } else if (during.sm_clock_mhz) {
    rec.sm_clock_mhz = *during.sm_clock_mhz;
  } else if (const double after = measure_sm_clock_mhz(); after > 0) {
    rec.sm_clock_mhz = after;
  }
  rec.power_w = during.power_w;
  if (during.clock_reasons) rec.clock_limits = clock_limit_names(*during.clock_reasons);

  if (hook) {
    // The counted run starts from a cold L2, as the timed ones do: right after
    // them, a working set under the L2's size would read little DRAM. The
    // hook flushes outside the counted range.
    auto ready = [&] {
      if (!opt.flush_l2) return;
      impl_->flush_l2(opt.l2_flush);
      FLOPSCOPE_CUDA_CHECK(cudaStreamSynchronize(impl_->stream));
    };
    auto run_once = [&] {
      require_ok(inst->run(impl_->stream), id);
      FLOPSCOPE_CUDA_CHECK(cudaStreamSynchronize(impl_->stream));
    };
    rec.hw = hook(spec, shape, ready, run_once);
  }
  return rec;
}

std::string Harness::context_error() const {
  // A launch error (bad configuration) is cleared by cudaGetLastError; a fault
  // or trap in a kernel is sticky: every later call returns it again.
  cudaGetLastError();
  const cudaError_t e = cudaDeviceSynchronize();
  return e == cudaSuccess ? "" : std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

}  // namespace flopscope::kernels
