// flopscope::Session: the range profiler (range_profiler.h) driven per kernel
// launch, evaluated with the host API (metric_plan_host.h). Needs a GPU to run;
// compiled and linked everywhere.
#include "flopscope/session.h"

#include <cuda_runtime_api.h>
#include <cupti_callbacks.h>
#include <cupti_driver_cbid.h>
#include <cupti_runtime_cbid.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>

#include "flopscope/device.h"
#include "flopscope/error.h"
#include "flopscope/peaks.h"
#include "flopscope/version.h"
#include "launch_stream.h"
#include "metric_plan_host.h"
#include "range_profiler.h"
#include "session_errors.h"

namespace flopscope {
namespace {

constexpr CUpti_CallbackId kRuntimeLaunches[] = {
    CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000,
    CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000,
    CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_v11060,
    CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_ptsz_v11060,
    CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_v9000,
    CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_ptsz_v9000,
    CUPTI_RUNTIME_TRACE_CBID___cudaLaunchKernel_v13000,
    CUPTI_RUNTIME_TRACE_CBID___cudaLaunchKernel_ptsz_v13000,
};
constexpr CUpti_CallbackId kDriverLaunches[] = {
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz,
};
constexpr CUpti_CallbackId kGraphLaunches[] = {
    CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch,
    CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch_ptsz,
};

// Runtime launches call the driver's launch underneath; count each launch once.
// A thread's depth is valid for one start()..stop() epoch only: the callbacks
// are off in between, so the exit of a call in flight may never be seen.
struct RuntimeDepth {
  uint64_t epoch = 0;
  int depth = 0;
};
thread_local RuntimeDepth tls_runtime;
std::atomic<uint64_t> g_epoch{0};

int& runtime_launch_depth() {
  const uint64_t now = g_epoch.load(std::memory_order_acquire);
  if (tls_runtime.epoch != now) tls_runtime = {now, 0};
  return tls_runtime.depth;
}

bool is_graph_launch(CUpti_CallbackId cbid) {
  return std::find(std::begin(kGraphLaunches), std::end(kGraphLaunches), cbid) != std::end(kGraphLaunches);
}

std::string now_iso() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

HwCounters combine_launches(const std::vector<KernelCounters>& launches) {
  HwCounters out;
  if (launches.empty()) return out;
  // An amount is the run's total only if every launch has it: one left out as
  // unreadable would make the sum short, so the sum is dropped instead.
  for (HwAmount f : kHwAmounts) {
    double sum = 0;
    bool every = true;
    for (const KernelCounters& k : launches) {
      if (!(k.hw.*f)) every = false;
      else sum += *(k.hw.*f);
    }
    if (every) out.*f = sum;
  }
  std::map<std::string, size_t> pipe_count, metric_count;
  double clock_sum = 0;
  int clocks = 0;
  for (const KernelCounters& k : launches) {
    const HwCounters& h = k.hw;
    if (h.sm_clock_hz) {
      clock_sum += *h.sm_clock_hz;
      ++clocks;
    }
    for (const auto& [key, v] : h.flops_by_pipe) {
      out.flops_by_pipe[key] += v;
      ++pipe_count[key];
    }
    for (const auto& [key, v] : h.metrics) {
      out.metrics[key] += v;
      ++metric_count[key];
    }
  }
  if (clocks > 0) out.sm_clock_hz = clock_sum / clocks;  // a rate: over the launches that have one
  std::erase_if(out.flops_by_pipe, [&](const auto& kv) { return pipe_count[kv.first] != launches.size(); });
  for (auto it = out.metrics.begin(); it != out.metrics.end();) {
    const size_t n = metric_count[it->first];
    if (!is_sum_metric(it->first)) it->second /= double(n), ++it;
    else if (n == launches.size()) ++it;
    else it = out.metrics.erase(it);  // a sum some launch lacks
  }
  return out;
}

struct Session::Impl {
  SessionOptions opt;
  // start() and stop() hold cb_mu throughout (before mu): CUPTI asks that
  // cuptiEnableCallback calls be serialized, and a stop() must not switch off
  // the callbacks of a start() racing it. Callbacks never take cb_mu.
  std::mutex cb_mu;
  mutable std::mutex mu;
  CUcontext ctx = nullptr;
  int device = 0;
  std::string chip;
  MetricPlan plan;
  std::vector<uint8_t> availability;
  bool enabled = false;
  std::vector<std::string> notes;
  std::unique_ptr<cupti::RangeProfiler> profiler;
  std::unique_ptr<cupti::HostObject> host;
  CUpti_SubscriberHandle subscriber = nullptr;
  bool running = false;
  bool flushing = false;
  bool graph_pending = false;  // a graph was launched since the batch began
  uint64_t graph_batches_empty = 0;  // graph-only batches in which CUPTI made no range
  struct Noted {
    std::string kernel, nvtx;
  };
  CounterRun run;        // what the launches since start() belong to
  std::string run_nvtx;  // their NVTX path when a launch note has none
  std::vector<Noted> batch;  // launches noted in the current batch
  uint64_t next_launch = 0;
  uint64_t batch_index = 0;  // batches flushed since construction
  uint64_t dropped = 0;
  uint64_t graph_launches = 0;
  uint64_t capturing_skipped = 0;  // launches into a capturing stream, not noted
  uint64_t unnamed_ranges = 0;     // ranges of batches with no noted launch (graph kernels)
  uint64_t unreadable_ranges = 0;  // ranges with a value no counter reads (NaN, < 0)
  std::string first_unreadable;    // the first such value, for the note
  // User replay (replay()): the pass in progress, and whether a pass launched
  // more kernels than a batch holds (it cannot be flushed inside a pass).
  int pass = 0;
  bool overfull = false;
  std::vector<KernelCounters> results;  // since start()
  CounterFile raw;
  uint64_t raw_bytes = 0;  // raw's size as a file, bounded above
  bool raw_full = false;   // raw_limit_bytes reached: later ranges are not saved
  // raw's range counts, readable without mu: the injection library reads them
  // from its exit and signal paths, where another thread may hold mu.
  std::atomic<uint64_t> saved{0}, unsaved{0}, unreadable{0};

  void note_locked(const char* kernel, const char* nvtx);
  void flush_locked(bool restart, bool synchronize);
  void absorb_locked(cupti::RangeProfiler::Batch b);
  void begin_locked(const CounterRun& run, const std::string& nvtx);
  void end_notes_locked();
  void keep_raw_locked(std::vector<uint8_t> image, std::vector<CounterRange> ranges);
  uint64_t raw_limit() const;
  static void CUPTIAPI on_callback(void* self, CUpti_CallbackDomain domain, CUpti_CallbackId cbid,
                                   const void* data);
  void on_graph_launch(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const CUpti_CallbackData* cb);
  void subscribe();
  void set_callbacks(bool on);
  void unsubscribe();
  void init();
};

void Session::Impl::unsubscribe() {
  if (!subscriber) return;
  cuptiUnsubscribe(subscriber);
  subscriber = nullptr;
}

void Session::Impl::subscribe() {
  char old_name[256] = {};
  auto p = cupti::cupti_params<CUpti_SubscriberParams>(CUpti_SubscriberParams_STRUCT_SIZE);
  p.subscriberName = "flopscope";
  p.oldSubscriberName = old_name;
  p.oldSubscriberSize = sizeof old_name;
  const CUptiResult r = cuptiSubscribe_v2(&subscriber, &Impl::on_callback, this, &p);
  if (r != CUPTI_SUCCESS) {
    subscriber = nullptr;
    cupti::throw_cupti_failure(r, "cuptiSubscribe_v2", old_name[0] ? old_name : "");
  }
}

// On from start() to stop() only, so that the runs a caller times between
// sessions (flopscope bench) pay no callback per launch.
void Session::Impl::set_callbacks(bool on) {
  if (!subscriber) return;
  auto enable = [&](CUpti_CallbackDomain d, CUpti_CallbackId id) {
    const CUptiResult e = cuptiEnableCallback(on ? 1 : 0, subscriber, d, id);
    if (e != CUPTI_SUCCESS && on) cupti::throw_cupti_failure(e, "cuptiEnableCallback");
  };
  for (auto id : kRuntimeLaunches) enable(CUPTI_CB_DOMAIN_RUNTIME_API, id);
  for (auto id : kDriverLaunches) enable(CUPTI_CB_DOMAIN_DRIVER_API, id);
  for (auto id : kGraphLaunches) enable(CUPTI_CB_DOMAIN_DRIVER_API, id);
}

void CUPTIAPI Session::Impl::on_callback(void* self, CUpti_CallbackDomain domain,
                                         CUpti_CallbackId cbid, const void* data) {
  auto* s = static_cast<Impl*>(self);
  const auto* cb = static_cast<const CUpti_CallbackData*>(data);
  if (domain == CUPTI_CB_DOMAIN_RUNTIME_API) {
    int& depth = runtime_launch_depth();
    if (cb->callbackSite == CUPTI_API_EXIT) {
      if (depth > 0) --depth;
      return;
    }
    ++depth;
  } else if (domain == CUPTI_CB_DOMAIN_DRIVER_API) {
    if (cb->callbackSite != CUPTI_API_ENTER || runtime_launch_depth() > 0) return;
    if (is_graph_launch(cbid)) {
      s->on_graph_launch(domain, cbid, cb);
      return;
    }
  } else {
    return;
  }
  // The runtime may not have a context yet at its API entry; the driver does.
  if (cb->context && cb->context != s->ctx) return;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (!s->running || s->flushing) return;
  }
  // A launch into a stream under graph capture does not run now: noting it
  // could flush a batch (Stop, Decode) in the middle of the capture.
  if (cupti::launch_is_captured(domain, cbid, cb->functionParams)) {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->running) ++s->capturing_skipped;
    return;
  }
  try {
    std::lock_guard<std::mutex> lock(s->mu);
    s->note_locked(cb->symbolName, nullptr);
  } catch (const std::exception& e) {
    // A callback cannot throw into the application; the note reaches stop().
    std::lock_guard<std::mutex> lock(s->mu);
    s->notes.push_back(std::string("counter collection stopped: ") + e.what());
    s->running = false;
  }
}

// A graph's kernels are not launch calls of their own, so CUPTI's ranges for
// them (if any) cannot be matched to noted launches. The batch so far is
// flushed first, and the next noted launch flushes the graph's ranges, so
// only those come back unnamed.
void Session::Impl::on_graph_launch(CUpti_CallbackDomain domain, CUpti_CallbackId cbid,
                                    const CUpti_CallbackData* cb) {
  if (cb->context && cb->context != ctx) return;
  const bool capturing = cupti::launch_is_captured(domain, cbid, cb->functionParams);
  std::lock_guard<std::mutex> lock(mu);
  if (!running || flushing) return;
  if (capturing) {  // becomes a child graph of the capture; nothing runs now
    ++capturing_skipped;
    return;
  }
  if (opt.user_replay) {  // no flush inside a pass: its kernels' ranges stay unnamed
    if (pass == 0) ++graph_launches;  // every later pass launches the same graphs again
    return;
  }
  ++graph_launches;
  try {
    if (!batch.empty()) flush_locked(/*restart=*/true, /*synchronize=*/false);
    graph_pending = true;
  } catch (const std::exception& e) {
    notes.push_back(std::string("counter collection stopped: ") + e.what());
    running = false;
  }
}

void Session::Impl::note_locked(const char* kernel, const char* nvtx) {
  if (!running || flushing) return;
  if (opt.user_replay) {
    // Every pass launches the same kernels: named from the first. A batch
    // cannot be flushed inside a pass, so one that would overflow is an error.
    if (pass > 0) return;
    if (batch.size() >= opt.ranges_per_batch) {
      overfull = true;
      return;
    }
    batch.push_back({kernel ? kernel : "", nvtx && *nvtx ? nvtx : run_nvtx});
    return;
  }
  // From a launch callback: no cuCtxSynchronize (kernel replay has finished
  // every earlier launch inside its own launch call).
  if (graph_pending || batch.size() >= opt.ranges_per_batch)
    flush_locked(/*restart=*/true, /*synchronize=*/false);
  batch.push_back({kernel ? kernel : "", nvtx && *nvtx ? nvtx : run_nvtx});
}

void Session::Impl::flush_locked(bool restart, bool synchronize) {
  flushing = true;
  struct Reset {
    bool& f;
    ~Reset() { f = false; }
  } reset{flushing};
  cupti::RangeProfiler::Batch b = profiler->stop(synchronize, !batch.empty());
  running = false;
  absorb_locked(std::move(b));
  if (restart) {
    // The runtime's API enter may come with no context current on this thread.
    cupti::ScopedContext scope(ctx);
    profiler->start();
    running = true;
  }
}

// Evaluates a decoded batch: one KernelCounters per range, named by the
// launches noted for it, and the raw image kept for the counter file.
void Session::Impl::absorb_locked(cupti::RangeProfiler::Batch b) {
  if (graph_pending && batch.empty() && b.ranges == 0) ++graph_batches_empty;
  graph_pending = false;
  dropped += b.dropped;
  const uint32_t image = uint32_t(raw.counter_images.size());
  const bool names_ok = b.ranges == batch.size();
  if (!names_ok && !batch.empty())
    notes.push_back("batch " + std::to_string(batch_index) + ": " + std::to_string(b.ranges) +
                    " ranges for " + std::to_string(batch.size()) +
                    " noted launches; its kernels are left unnamed");
  if (batch.empty()) unnamed_ranges += b.ranges;
  ++batch_index;
  std::vector<CounterRange> ranges;
  for (size_t i = 0; i < b.ranges; ++i) {
    const std::vector<double> v = host->evaluate(b.image, i, plan.metrics);
    std::map<std::string, double> values;
    bool readable = true;
    for (size_t k = 0; k < plan.metrics.size(); ++k) {
      if (readable_counter_value(v[k])) {
        values[plan.metrics[k]] = v[k];
        continue;
      }
      // Left out, so the quantities built on it are absent rather than NaN in
      // a results file no command could read back.
      if (readable && unreadable_ranges++ == 0)
        first_unreadable = plan.metrics[k] + " = " + std::to_string(v[k]) + " at launch " +
                           std::to_string(next_launch + i);
      readable = false;
    }
    KernelCounters kc;
    kc.kernel = names_ok ? batch[i].kernel : "";
    kc.nvtx = names_ok ? batch[i].nvtx : run_nvtx;
    kc.launch = next_launch + i;
    kc.hw = hw_counters_from_values(plan.quantities, values);
    // A file holding the range would be refused as damaged (evaluate_counter_file):
    // it is counted there instead, so that its totals are known to be partial.
    if (opt.keep_raw && !readable) unreadable = ++raw.unreadable_ranges;
    if (opt.keep_raw && readable)
      ranges.push_back({kc.kernel, kc.nvtx, cupti::counter_data_range_name(b.image, i), image, uint32_t(i),
                        kc.launch, run});
    results.push_back(std::move(kc));
  }
  next_launch += std::max(b.ranges, batch.size());
  batch.clear();
  if (opt.keep_raw) keep_raw_locked(std::move(b.image), std::move(ranges));
}

// Up to raw_limit_bytes as a file; from the first batch that does not fit on,
// nothing more is saved, so a file is always the start of a profile.
void Session::Impl::keep_raw_locked(std::vector<uint8_t> image, std::vector<CounterRange> ranges) {
  if (ranges.empty()) return;  // an image with no range is only a file section to skip
  uint64_t bytes = counter_image_bytes(image);
  for (const CounterRange& r : ranges) bytes += counter_range_bytes_bound(r);
  raw_full = raw_full || raw_bytes + bytes > raw_limit();
  if (raw_full) {
    raw.unsaved_ranges += ranges.size();
    unsaved = raw.unsaved_ranges;
    return;
  }
  raw_bytes += bytes;
  for (CounterRange& r : ranges) raw.ranges.push_back(std::move(r));
  raw.counter_images.push_back(std::move(image));
  saved = raw.ranges.size();
}

// Room is left for what the estimate leaves out (the counts written at the end).
uint64_t Session::Impl::raw_limit() const {
  return std::min<uint64_t>(opt.raw_limit_bytes, kMaxInputBytes - (64u << 10));
}

Session::Session(SessionOptions opt) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.opt = std::move(opt);
  if (s.opt.ranges_per_batch == 0) throw_bad_input("ranges_per_batch must be at least 1");
  cupti::driver_api();  // throws no_gpu without a driver or device
  s.ctx = s.opt.context ? static_cast<CUcontext>(s.opt.context) : cupti::current_context();
  s.device = cupti::context_device(s.ctx);
  // Subscribe before any other CUPTI call (cupti_callbacks.h asks clients to),
  // so that another profiler already attached is named rather than surfacing
  // as a later call's UNKNOWN. Callbacks see running == false until start().
  try {
    if (s.opt.track_launches && s.opt.set != MetricSet::none) s.subscribe();
    s.init();
  } catch (...) {
    s.unsubscribe();
    throw;
  }
  if (!s.enabled) s.unsubscribe();  // timing only: no launch to name
}

void Session::Impl::init() {
  Impl& s = *this;

  s.raw.created = now_iso();
  s.raw.tool_version = FLOPSCOPE_VERSION;
  s.raw.tool_commit = build_commit();
  s.raw.set = std::string(to_string(s.opt.set));
  s.raw.tensor = s.opt.tensor;
  // As bench records it: a counter file compared with bench's own results
  // once read "different drivers: 13.0 vs ''".
  s.raw.device = query_device(s.device);

  cupti::profiler_initialize();
  if (s.opt.set == MetricSet::none) {
    s.notes.push_back("metric set none: no counters collected");
    return;
  }
  try {
    const std::string why = cupti::device_unsupported_reason(s.device);
    if (!why.empty()) {
      s.notes.push_back("counters off, timing only: " + why);
      return;
    }
    s.chip = cupti::device_chip_name(s.device);
    s.raw.chip = s.chip;
    if (!is_supported_chip(s.chip)) {
      s.notes.push_back("counters off, timing only: this CUPTI cannot profile chip '" + s.chip +
                        "' (a newer CUDA toolkit may)");
      return;
    }
    s.availability = cupti::counter_availability(s.ctx, s.device);
    s.plan = build_metric_plan(s.chip, s.opt.set, s.opt.tensor, s.availability);
  } catch (const cupti::CuptiError& e) {
    // MIG, vGPU, WSL and the like: carry on with timing and say why. Privileges,
    // another profiler or no driver propagate: the message says what to do.
    if (!e.timing_fallback()) throw;
    s.notes.push_back(std::string("counters off, timing only: ") + e.what());
    return;
  }
  for (const auto& n : s.plan.notes) s.notes.push_back(n);
  if (s.plan.metrics.empty()) {
    s.notes.push_back("counters off, timing only: no metric of set " + s.raw.set + " exists on " +
                      s.chip);
    return;
  }
  s.raw.plan_version = s.plan.version;
  s.raw.metrics = s.plan.metrics;
  s.raw.quantities = s.plan.quantities;
  s.raw.config_image = s.plan.config_image;
  s.raw_bytes = serialize_counter_file(s.raw).size();  // the file with no range yet
  s.host = std::make_unique<cupti::HostObject>(s.chip, s.availability);
  try {
    cupti::ScopedContext scope(s.ctx);
    s.profiler = std::make_unique<cupti::RangeProfiler>(s.ctx, s.plan.config_image, s.plan.metrics,
                                                        s.opt.ranges_per_batch, s.opt.user_replay);
  } catch (const cupti::CuptiError& e) {
    if (!e.timing_fallback()) throw;
    s.notes.push_back(std::string("counters off, timing only: ") + e.what());
    return;
  }
  s.enabled = true;
}

Session::~Session() {
  Impl& s = *impl_;
  s.unsubscribe();
  if (s.running) {
    try {
      std::lock_guard<std::mutex> lock(s.mu);
      cupti::ScopedContext scope(s.ctx);
      s.flush_locked(false, s.opt.synchronize_on_stop);
    } catch (...) {
      // destructor: the results are lost, but the context is left clean below
    }
  }
  s.profiler.reset();  // cuptiRangeProfilerDisable
}

void Session::Impl::begin_locked(const CounterRun& r, const std::string& nvtx) {
  results.clear();
  batch.clear();
  run = r;
  run_nvtx = nvtx;
  graph_launches = 0;
  capturing_skipped = 0;
  unnamed_ranges = 0;
  unreadable_ranges = 0;
  first_unreadable.clear();
  graph_batches_empty = 0;
  graph_pending = false;
  pass = 0;
  overfull = false;
}

void Session::Impl::end_notes_locked() {
  if (capturing_skipped > 0)
    notes.push_back(std::to_string(capturing_skipped) +
                    " launches into a stream under CUDA graph capture were not profiled");
  if (graph_launches > 0)
    notes.push_back(std::to_string(graph_launches) + " CUDA graph launches: " + std::to_string(unnamed_ranges) +
                    " ranges CUPTI made for their kernels are unnamed (no launch call per node)" +
                    (graph_batches_empty > 0 ? "; after " + std::to_string(graph_batches_empty) +
                                                   " of them CUPTI made none, so those kernels are not counted"
                                             : ""));
  if (unreadable_ranges > 0)
    notes.push_back(std::to_string(unreadable_ranges) + " ranges evaluated a counter to a value no counter reads (" +
                    first_unreadable + "): those values are left out, and those ranges out of the counter file");
  raw.dropped_ranges = dropped;
}

void Session::start(const CounterRun& run, const std::string& nvtx) {
  Impl& s = *impl_;
  if (s.opt.user_replay) throw Error(ErrorKind::failure, "internal: a user-replay Session counts with replay()");
  std::lock_guard<std::mutex> cb_lock(s.cb_mu);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.enabled || s.running) return;
  }
  // Callbacks on before running is set, without mu (a callback in flight
  // takes it): every launch after start() is seen.
  g_epoch.fetch_add(1, std::memory_order_release);
  try {
    s.set_callbacks(true);
    std::lock_guard<std::mutex> lock(s.mu);
    s.begin_locked(run, nvtx);
    cupti::ScopedContext scope(s.ctx);
    s.profiler->start();
    s.running = true;
  } catch (...) {
    s.set_callbacks(false);
    throw;
  }
}

void Session::note_launch(const char* kernel, const char* nvtx) {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.note_locked(kernel, nvtx);
}

void Session::forget_last_launch() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.batch.empty()) s.batch.pop_back();
}

std::vector<KernelCounters> Session::stop() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> cb_lock(s.cb_mu);
  // Callbacks off once mu is released, even when the flush throws.
  struct CallbacksOff {
    Impl& s;
    ~CallbacksOff() { s.set_callbacks(false); }
  } off{s};
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.enabled) return {};
  if (s.running) {
    cupti::ScopedContext scope(s.ctx);
    s.flush_locked(false, s.opt.synchronize_on_stop);
  }
  s.end_notes_locked();
  return std::move(s.results);
}

std::vector<KernelCounters> Session::replay(const std::function<void()>& between, const std::function<void()>& pass,
                                            const CounterRun& run, const std::string& nvtx) {
  Impl& s = *impl_;
  if (!s.opt.user_replay) throw Error(ErrorKind::failure, "internal: Session::replay needs SessionOptions::user_replay");
  std::lock_guard<std::mutex> cb_lock(s.cb_mu);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.enabled) return {};
    s.begin_locked(run, nvtx);
  }
  g_epoch.fetch_add(1, std::memory_order_release);
  struct CallbacksOff {
    Impl& s;
    ~CallbacksOff() { s.set_callbacks(false); }
  } off{s};
  s.set_callbacks(true);
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.running = true;
  }
  // Ranges past the image's capacity: CUPTI drops them or fails the pass;
  // either way the fix is a larger image.
  auto overfull = [&] {
    return Error(ErrorKind::failure, "a counted run launched more kernels than a counter image holds (" +
                                         std::to_string(s.opt.ranges_per_batch) +
                                         "); size the images for more (bench: --ranges-per-image)");
  };
  cupti::RangeProfiler::Batch b;
  try {
    // Without mu: the launch callbacks of each pass take it.
    cupti::ScopedContext scope(s.ctx);
    b = s.profiler->replay(
        [&] {
          {
            std::lock_guard<std::mutex> lock(s.mu);
            ++s.pass;
          }
          between();
        },
        pass,
        [&] {  // the first pass launched something CUPTI could count (begin_locked zeroed these)
          std::lock_guard<std::mutex> lock(s.mu);
          return !s.batch.empty() || s.overfull || s.graph_launches > 0;
        });
  } catch (...) {
    std::lock_guard<std::mutex> lock(s.mu);
    s.running = false;
    if (s.overfull) throw overfull();
    throw;
  }
  std::lock_guard<std::mutex> lock(s.mu);
  s.running = false;
  if (s.overfull) throw overfull();
  s.absorb_locked(std::move(b));
  s.end_notes_locked();
  return std::move(s.results);
}

bool Session::counters_enabled() const { return impl_->enabled; }
const MetricPlan& Session::plan() const { return impl_->plan; }
std::string Session::chip() const { return impl_->chip; }

std::vector<std::string> Session::notes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out = impl_->notes;
  if (impl_->dropped > 0)
    out.push_back(std::to_string(impl_->dropped) +
                  " ranges dropped: a counter image filled up (raise ranges_per_batch or note launches)");
  if (impl_->raw.unsaved_ranges > 0)
    out.push_back(std::to_string(impl_->raw.unsaved_ranges) +
                  " ranges evaluated but not saved for the counter file: it reached its limit of " +
                  std::to_string(impl_->raw_limit() >> 20) + " MiB (profile fewer launches)");
  return out;
}

uint64_t Session::dropped_ranges() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->dropped;
}

uint64_t Session::saved_ranges() const { return impl_->saved; }
uint64_t Session::unsaved_ranges() const { return impl_->unsaved; }
uint64_t Session::unreadable_ranges() const { return impl_->unreadable; }

CounterFile Session::raw() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CounterFile f = impl_->raw;
  f.dropped_ranges = impl_->dropped;
  return f;
}

}  // namespace flopscope
