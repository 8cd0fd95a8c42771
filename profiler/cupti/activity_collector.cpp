// Every CUPTI call of the Activity/NVTX/launch-callback collector.
#include "activity_collector.h"

#include <cupti.h>
#include <generated_nvtx_meta.h>
#include <nvtx3/nvToolsExt.h>
#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <map>
#include <optional>
#include <memory>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "activity_decode.h"
#include "api_nesting.h"
#include "launch_stream.h"
#include "range_profiler.h"
#include "session_errors.h"
#include "flopscope/error.h"
#include "flopscope/metric_plan.h"
#include "flopscope/session.h"

namespace flopscope::cupti {

namespace {

std::atomic<bool> g_fork_child{false};  // see watch_fork()
thread_local int tls_callback_depth = 0;  // see in_collector_callback()

// Marks this thread as inside a collector callback while it lives.
struct InCallback {
  InCallback() { ++tls_callback_depth; }
  ~InCallback() { --tls_callback_depth; }
  InCallback(const InCallback&) = delete;
  InCallback& operator=(const InCallback&) = delete;
};

// The NVTX tracker's key for the calling thread: a number never given to
// another thread. Not the kernel's thread id, which Linux hands to a new
// thread once the old one has exited: that thread would inherit any range the
// old one left open (an exception past a pop, a thread ended mid-range), and
// its launches would be filed under it.
uint64_t this_thread() {
  static std::atomic<uint64_t> next{1};
  thread_local uint64_t id = 0;
  if (id == 0) id = next.fetch_add(1, std::memory_order_relaxed);
  return id;
}

// The launch/copy/memset calls running on this thread, so that the driver
// call a runtime call makes (or a runtime call inside another) is recognised
// as the same launch. Trivially destructible (api_nesting.h).
thread_local ApiNesting tls_nesting;

// Process-lifetime state is allocated once and never destroyed: CUPTI can call
// back from other threads while static destructors run at exit.
std::vector<ApiKind>& g_driver_kind = *new std::vector<ApiKind>;   // by callback id, set before enabling
std::vector<ApiKind>& g_runtime_kind = *new std::vector<ApiKind>;
auto& g_strings = *new std::unordered_map<const void*, std::string>;  // nvtxDomainRegisterString handles
size_t g_host_buffer_bytes = 8u << 20;

// Privileges, a busy GPU or another profiler, at session creation or at
// Start/Stop, are the user's to fix (exit 3); a device that cannot be
// profiled at all is a timing fallback.
bool counters_error_is_fatal(const std::exception& e) {
  if (const auto* c = dynamic_cast<const CuptiError*>(&e)) return c->kind() == ErrorKind::no_gpu && !c->timing_fallback();
  if (const auto* err = dynamic_cast<const Error*>(&e)) return err->kind() == ErrorKind::no_gpu;
  return false;
}

// Hardware counters (--set flops|roofline): one range-profiler Session per
// context, started at the enter of a kept launch and stopped at its exit, so
// only the launches the filters keep are replayed. Session methods call CUPTI
// and may make it deliver buffers (which takes the collector's mutex), so they
// run with neither that mutex nor Counters::mu held (status() takes both).
// One profiled launch per context at a time: a launch that finds its context
// busy (another thread is mid-launch on it) is timed without counters, so one
// range is never another thread's launch. A context's session is retired
// (stopped, range profiler disabled, raw record kept) when CUDA is about to
// destroy the context.
struct Counters {
  std::mutex mu;
  std::atomic<bool> enabled{false};
  MetricSet set = MetricSet::timing;
  std::vector<std::string> tensor;
  bool keep_raw = false;  // --counters: sessions keep their images for the counter files
  struct Context {
    std::unique_ptr<Session> session;
    bool busy = false;  // a launch on it is being profiled, or its session created
    bool no_counters = false;  // its device cannot be profiled: its launches are timed only
  };
  std::map<CUcontext, Context> contexts;
  struct Slot {
    Session* live = nullptr;  // null once its context was destroyed
    CounterFile retired;      // its raw record then
  };
  std::vector<Slot> order;  // sessions in creation order
  std::string note;
  bool fatal = false;
  uint64_t profiled = 0, without_context = 0, capturing = 0, concurrent = 0, shared_window = 0;

  // What the sessions' raw records hold and left out; the caller holds mu.
  // Session's counts are atomics: no session lock is taken.
  ActivityCollector::RawCounts raw_counts() const {
    ActivityCollector::RawCounts n;
    for (const Slot& slot : order) {
      n.saved += slot.live ? slot.live->saved_ranges() : slot.retired.ranges.size();
      n.unsaved += slot.live ? slot.live->unsaved_ranges() : slot.retired.unsaved_ranges;
      n.unreadable += slot.live ? slot.live->unreadable_ranges() : slot.retired.unreadable_ranges;
    }
    return n;
  }

  // Counters off everywhere: a failure that is the user's to fix (exit 3)
  // leads the note, so its advice is not hidden behind a device's fallback.
  void disable(const std::string& why, bool is_fatal) {
    enabled = false;
    if (is_fatal && !fatal) {
      note = note.empty() ? why : why + "; " + note;
      fatal = true;
    } else {
      add_note(why);
    }
  }

  // A reason once, after those before it; the caller holds mu.
  void add_note(const std::string& why) {
    if (note.find(why) == std::string::npos) note += (note.empty() ? "" : "; ") + why;
  }

  // Takes `c`'s session out of the table, its raw record kept for the counter
  // files; the caller holds mu and destroys it after releasing mu (its
  // destructor stops a running batch and disables the range profiler, which a
  // failed Start or Stop could leave replaying every later launch).
  std::unique_ptr<Session> retire(Context& c) {
    for (Slot& slot : order)
      if (c.session && slot.live == c.session.get()) {
        slot.retired = slot.live->raw();  // takes only the session's own lock
        slot.live = nullptr;
      }
    return std::move(c.session);
  }

  // After a failed Start or Stop on `ctx`, whose launch holds it busy:
  // counters off, the context's session retired (destroyed by the caller).
  std::unique_ptr<Session> give_up(CUcontext ctx, const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu);
    disable(std::string("counter collection stopped: ") + e.what(), counters_error_is_fatal(e));
    auto it = contexts.find(ctx);
    if (it == contexts.end()) return nullptr;
    it->second.busy = false;
    return retire(it->second);
  }
};
// Never destroyed: ~Session would disable range profiling on contexts that
// CUDA has already torn down at exit.
Counters& g_counters = *new Counters;
thread_local uint32_t tls_profiled_launch = 0;  // correlation id being profiled on this thread
thread_local Session* tls_profiled_session = nullptr;
thread_local CUcontext tls_profiled_context = nullptr;

// The context's session, created on first use, marked busy for the caller;
// null when counters are off or another thread is profiling on the context.
// Pair with release_session().
Session* acquire_session(CUcontext ctx) {
  SessionOptions o;
  {
    std::lock_guard<std::mutex> lock(g_counters.mu);
    if (!g_counters.enabled) return nullptr;
    Counters::Context& c = g_counters.contexts[ctx];
    if (c.no_counters) return nullptr;
    if (c.busy) {
      ++g_counters.concurrent;
      return nullptr;
    }
    c.busy = true;
    if (c.session) return c.session.get();
    o.set = g_counters.set;
    o.tensor = g_counters.tensor;
    o.keep_raw = g_counters.keep_raw;
  }
  o.ranges_per_batch = 4;  // one launch per start/stop
  o.track_launches = false;  // our subscriber names the launches
  o.synchronize_on_stop = false;  // stop() runs inside the launch callback
  o.context = ctx;
  // Built without Counters::mu (dozens of CUPTI calls); `busy` keeps other
  // threads from building a second one on the same context.
  std::unique_ptr<Session> s;
  std::string why;
  bool fatal = false;
  try {
    s = std::make_unique<Session>(o);
    if (!s->counters_enabled()) {
      for (const std::string& n : s->notes()) why += (why.empty() ? "" : "; ") + n;
      if (why.empty()) why = "counters are not available on this device";
      // A fallback: what is the user's to fix (privileges, another profiler),
      // Session throws instead, and the catch below judges it.
    }
  } catch (const std::exception& e) {
    why = e.what();
    fatal = counters_error_is_fatal(e);  // a MIG slice, say, is a fallback, not exit 3
  }
  std::unique_ptr<Session> unused;  // destroyed after the lock is released
  std::lock_guard<std::mutex> lock(g_counters.mu);
  Counters::Context& c = g_counters.contexts[ctx];  // only a context destroy erases, and not a busy one
  if (!why.empty()) {
    // What is the user's to fix stops counters everywhere; a device that cannot
    // be profiled (a MIG slice, an unsupported chip) only its own contexts, so
    // a second GPU of the process keeps them.
    if (fatal) {
      g_counters.disable(why, true);
    } else {
      c.no_counters = true;
      g_counters.add_note(why);
    }
    c.busy = false;
    unused = std::move(s);
    return nullptr;
  }
  c.session = std::move(s);
  g_counters.order.push_back({c.session.get(), {}});
  return c.session.get();
}

void release_session(CUcontext ctx) {
  std::lock_guard<std::mutex> lock(g_counters.mu);
  auto it = g_counters.contexts.find(ctx);
  if (it != g_counters.contexts.end()) it->second.busy = false;
}

}  // namespace

struct CollectorAccess {
  static std::mutex& mu() { return ActivityCollector::instance().mu_; }
  static ProfileAggregator* agg() { return ActivityCollector::instance().agg_.load(); }

  static std::string attrib_message(const nvtxEventAttributes_t* a) {
    if (!a) return "";
    switch (a->messageType) {
      case NVTX_MESSAGE_TYPE_ASCII: return a->message.ascii ? a->message.ascii : "";
      case NVTX_MESSAGE_TYPE_UNICODE: return utf8_from_wide(a->message.unicode);
      case NVTX_MESSAGE_TYPE_REGISTERED: {
        auto it = g_strings.find(a->message.registered);
        return it != g_strings.end() ? it->second : std::string("(registered string)");
      }
      default: return "";
    }
  }

  static uint64_t returned_range_id(const CUpti_NvtxData* d) {
    return d->functionReturnValue ? uint64_t(*static_cast<const nvtxRangeId_t*>(d->functionReturnValue)) : 0;
  }

  // Push/pop ranges nest per domain; a null handle is the default domain,
  // the one nvtxRangePush/Pop use.
  static NvtxDomain domain_of(nvtxDomainHandle_t h) { return NvtxDomain(reinterpret_cast<uintptr_t>(h)); }

  static void on_nvtx(CUpti_CallbackId cbid, const CUpti_NvtxData* d) {
    ProfileAggregator* a = agg();
    if (!a || !d) return;
    const void* p = d->functionParams;
    std::lock_guard<std::mutex> lock(mu());
    NvtxTracker& t = a->nvtx();
    switch (cbid) {
      case CUPTI_CBID_NVTX_nvtxRangePushA: {
        const char* m = static_cast<const nvtxRangePushA_params*>(p)->message;
        t.push(this_thread(), m ? m : "");
        break;
      }
      case CUPTI_CBID_NVTX_nvtxRangePushW:
        t.push(this_thread(), utf8_from_wide(static_cast<const nvtxRangePushW_params*>(p)->message));
        break;
      case CUPTI_CBID_NVTX_nvtxRangePushEx:
        t.push(this_thread(), attrib_message(static_cast<const nvtxRangePushEx_params*>(p)->eventAttrib));
        break;
      case CUPTI_CBID_NVTX_nvtxDomainRangePushEx: {
        const auto* q = static_cast<const nvtxDomainRangePushEx_params*>(p);
        t.push(this_thread(), attrib_message(q->core.eventAttrib), domain_of(q->domain));
        break;
      }
      case CUPTI_CBID_NVTX_nvtxRangePop: t.pop(this_thread()); break;
      case CUPTI_CBID_NVTX_nvtxDomainRangePop:
        t.pop(this_thread(), domain_of(static_cast<const nvtxDomainRangePop_params*>(p)->domain));
        break;
      case CUPTI_CBID_NVTX_nvtxRangeStartA: {
        const char* m = static_cast<const nvtxRangeStartA_params*>(p)->message;
        if (uint64_t id = returned_range_id(d)) t.start(id, m ? m : "");
        break;
      }
      case CUPTI_CBID_NVTX_nvtxRangeStartW:
        if (uint64_t id = returned_range_id(d))
          t.start(id, utf8_from_wide(static_cast<const nvtxRangeStartW_params*>(p)->message));
        break;
      case CUPTI_CBID_NVTX_nvtxRangeStartEx:
        if (uint64_t id = returned_range_id(d))
          t.start(id, attrib_message(static_cast<const nvtxRangeStartEx_params*>(p)->eventAttrib));
        break;
      case CUPTI_CBID_NVTX_nvtxDomainRangeStartEx:
        if (uint64_t id = returned_range_id(d))
          t.start(id,
                  attrib_message(static_cast<const nvtxDomainRangeStartEx_params*>(p)->core.eventAttrib));
        break;
      case CUPTI_CBID_NVTX_nvtxRangeEnd: t.end(uint64_t(static_cast<const nvtxRangeEnd_params*>(p)->id)); break;
      case CUPTI_CBID_NVTX_nvtxDomainRangeEnd:
        t.end(uint64_t(static_cast<const nvtxDomainRangeEnd_params*>(p)->core.id));
        break;
      case CUPTI_CBID_NVTX_nvtxDomainRegisterStringA:
        if (d->functionReturnValue) {
          const char* s = static_cast<const nvtxDomainRegisterStringA_params*>(p)->string;
          g_strings[*static_cast<const nvtxStringHandle_t*>(d->functionReturnValue)] = s ? s : "";
        }
        break;
      case CUPTI_CBID_NVTX_nvtxDomainRegisterStringW:
        if (d->functionReturnValue) {
          // The generated params struct declares this member as const char*;
          // nvtxDomainRegisterStringW passes a wide string.
          const auto* s = reinterpret_cast<const wchar_t*>(
              static_cast<const nvtxDomainRegisterStringW_params*>(p)->string);
          g_strings[*static_cast<const nvtxStringHandle_t*>(d->functionReturnValue)] = utf8_from_wide(s);
        }
        break;
      default: break;
    }
  }

  static void begin_counters(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const CUpti_CallbackData* cb,
                             const std::string& symbol, const std::string& path) {
    if (!cb->context) {  // the runtime's first launch, before its context exists
      std::lock_guard<std::mutex> lock(g_counters.mu);
      ++g_counters.without_context;
      return;
    }
    // Launches known to be captured never get here (on_api); one whose
    // stream could not be queried may be captured, and replaying or stopping
    // around it inside the capture could invalidate the capture.
    if (launch_is_captured(domain, cbid, cb->functionParams)) {
      std::lock_guard<std::mutex> lock(g_counters.mu);
      ++g_counters.capturing;
      return;
    }
    Session* s = acquire_session(cb->context);
    if (!s) return;
    try {
      s->start();
      s->note_launch(symbol.c_str(), path.c_str());
    } catch (const std::exception& e) {
      g_counters.give_up(cb->context, e).reset();
      return;
    }
    tls_profiled_launch = cb->correlationId;
    tls_profiled_session = s;
    tls_profiled_context = cb->context;
    std::lock_guard<std::mutex> lock(mu());
    agg()->expect_counters(cb->correlationId);
  }

  // `failed`: the launch call returned an error, so nothing ran and no pass
  // was submitted; that is not a reason to stop counting (an autotuner's
  // probe of a configuration that does not fit fails this way).
  static void end_counters(uint32_t correlation, bool failed) {
    Session* s = tls_profiled_session;
    const CUcontext ctx = tls_profiled_context;
    tls_profiled_launch = 0;
    tls_profiled_session = nullptr;
    tls_profiled_context = nullptr;
    // The aggregator expects counters for this launch since begin_counters:
    // on every way out without them, say none will come.
    auto none_coming = [correlation] {
      std::lock_guard<std::mutex> lock(mu());
      agg()->counters_dropped(correlation);
    };
    std::vector<KernelCounters> got;
    try {
      if (failed) s->forget_last_launch();
      got = s->stop();  // the replay passes ran inside the launch call
    } catch (const std::exception& e) {
      g_counters.give_up(ctx, e).reset();
      none_coming();
      return;
    }
    release_session(ctx);
    if (got.empty() || failed) return none_coming();
    // Auto range profiles every launch on the context: one made by another
    // thread inside this window is a second range, and summing it into this
    // launch's counters would be wrong. Such a launch keeps its timing only.
    const bool shared = got.size() != 1;
    {
      std::lock_guard<std::mutex> lock(g_counters.mu);
      ++(shared ? g_counters.shared_window : g_counters.profiled);
    }
    if (shared) return none_coming();
    std::lock_guard<std::mutex> lock(mu());
    agg()->on_counters(correlation, combine_launches(got));
  }

  // CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING: the context is still alive.
  // Keep the session's raw record, then destroy it (a running batch is
  // stopped and the range profiler disabled on the live context), so a new
  // context at the same address starts afresh.
  static void on_context_destroy(CUcontext ctx) {
    if (!ctx) return;
    std::unique_ptr<Session> dead;
    {
      std::lock_guard<std::mutex> lock(g_counters.mu);
      auto it = g_counters.contexts.find(ctx);
      if (it == g_counters.contexts.end() || it->second.busy) return;  // busy: mid-launch on another thread
      dead = g_counters.retire(it->second);
      g_counters.contexts.erase(it);
    }
    dead.reset();
  }

  static void on_api(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const CUpti_CallbackData* cb) {
    const std::vector<ApiKind>& table = domain == CUPTI_CB_DOMAIN_DRIVER_API ? g_driver_kind : g_runtime_kind;
    const ApiKind kind = cbid < table.size() ? table[cbid] : ApiKind::other;
    ProfileAggregator* a = agg();
    if (kind == ApiKind::other || !a || !cb) return;
    if (cb->callbackSite == CUPTI_API_ENTER) {
      // First: exit() pairs with it. Only a positive answer counts as captured
      // here: a launch wrongly left out would lose its kernels' times, a copy
      // its NVTX path. A captured copy or memset has no record of its own
      // (it runs, under the graph launch's id, when the graph does), so it
      // must not wait for one.
      const ApiCall call = tls_nesting.enter(cb->correlationId, [&] {
        return call_capture(kind, domain, cbid, cb->functionParams) == LaunchCapture::yes;
      });
      const std::string symbol =
          kind == ApiKind::kernel_launch && cb->symbolName ? std::string(cb->symbolName) : std::string();
      bool kept = false;
      std::string path;
      {
        std::lock_guard<std::mutex> lock(mu());
        const PathId id = a->nvtx().current(this_thread());
        kept = a->on_launch(cb->correlationId, kind, symbol, id, call);
        if (kept && g_counters.enabled) path = a->paths().path(id);
      }
      if (call.captured && call.outer == 0 && kind == ApiKind::kernel_launch && g_counters.enabled) {
        std::lock_guard<std::mutex> lock(g_counters.mu);
        ++g_counters.capturing;  // its kernels run in graph launches: no counters
      }
      if (kept && g_counters.enabled && kind == ApiKind::kernel_launch && call.outer == 0 &&
          tls_profiled_launch == 0)
        begin_counters(domain, cbid, cb, symbol, path);
      return;
    }
    tls_nesting.exit(cb->correlationId);
    // cudaError_t and CUresult are both int-sized enums with 0 for success.
    const bool failed = cb->functionReturnValue && *static_cast<const int*>(cb->functionReturnValue) != 0;
    if (tls_profiled_launch != 0 && tls_profiled_launch == cb->correlationId) end_counters(cb->correlationId, failed);
    // Only the outermost call's failure retires the operation: a nested call
    // that fails may be retried by the call around it, which then succeeds.
    if (failed && tls_nesting.depth() == 0) {
      std::lock_guard<std::mutex> lock(mu());
      a->on_launch_failed(cb->correlationId);
    }
  }
};

namespace {

// Nothing may unwind into CUPTI or the application: a failure here costs one
// record, never the run.
void CUPTIAPI on_callback(void*, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* data) {
  if (in_fork_child()) return;  // its parent owns the profile; a lock may be held forever
  const InCallback inside;
  try {
    if (domain == CUPTI_CB_DOMAIN_NVTX)
      CollectorAccess::on_nvtx(cbid, static_cast<const CUpti_NvtxData*>(data));
    else if (domain == CUPTI_CB_DOMAIN_DRIVER_API || domain == CUPTI_CB_DOMAIN_RUNTIME_API)
      CollectorAccess::on_api(domain, cbid, static_cast<const CUpti_CallbackData*>(data));
    else if (domain == CUPTI_CB_DOMAIN_RESOURCE && cbid == CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING && data)
      CollectorAccess::on_context_destroy(static_cast<const CUpti_ResourceData*>(data)->context);
  } catch (...) {
  }
}

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *max_records = 0;  // as many as fit
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, g_host_buffer_bytes));
  *size = *buffer ? g_host_buffer_bytes : 0;  // CUPTI counts what it cannot store as dropped
}

void CUPTIAPI buffer_completed(CUcontext ctx, uint32_t stream, uint8_t* buffer, size_t, size_t valid) {
  if (in_fork_child()) {  // as on_callback
    std::free(buffer);
    return;
  }
  const InCallback inside;
  const DecodedBuffer decoded = decode_buffer(buffer, valid);
  size_t dropped = 0;
  if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) != CUPTI_SUCCESS) dropped = 0;
  std::free(buffer);
  ProfileAggregator* a = CollectorAccess::agg();
  if (!a) return;
  std::lock_guard<std::mutex> lock(CollectorAccess::mu());
  for (const Activity& r : decoded.records) {
    try {
      a->on_activity(r);
    } catch (...) {
    }
  }
  a->add_dropped(dropped);
  if (decoded.cut_short) a->add_cut_short_buffer();
}

std::vector<ApiKind> classify_domain(CUpti_CallbackDomain domain, uint32_t size) {
  std::vector<ApiKind> kinds(size, ApiKind::other);
  for (uint32_t cbid = 1; cbid < size; ++cbid) {
    const char* name = nullptr;
    if (cuptiGetCallbackName(domain, cbid, &name) == CUPTI_SUCCESS && name) kinds[cbid] = classify_api(name);
  }
  return kinds;
}

}  // namespace

std::string cupti_library_path() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&cuptiGetVersion), &info) == 0 || !info.dli_fname) return "";
  return info.dli_fname;
}

void watch_fork() {
  static std::once_flag once;
  std::call_once(once, [] { ::pthread_atfork(nullptr, nullptr, [] { g_fork_child.store(true); }); });
}

bool in_fork_child() { return g_fork_child.load(std::memory_order_relaxed); }

bool in_collector_callback() { return tls_callback_depth > 0; }

ActivityCollector& ActivityCollector::instance() {
  static ActivityCollector* c = new ActivityCollector();  // never destroyed: used at exit
  return *c;
}

bool ActivityCollector::started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ok_;
}

CollectorFailure ActivityCollector::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

bool ActivityCollector::start(const CollectorOptions& opt) {
  static std::mutex start_mu;  // CUPTI may call back on this thread: never hold mu_ here
  std::lock_guard<std::mutex> start_lock(start_mu);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (attempted_) return ok_;
    attempted_ = true;
    opt_ = opt;
  }
  auto fail = [&](CUptiResult r, const char* call, std::string detail = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    failure_ = {int(r), call, std::move(detail)};
    return false;
  };
  auto agg = std::make_unique<ProfileAggregator>(opt.filter);  // throws bad_input for a bad filter
  g_host_buffer_bytes = opt.host_buffer_bytes;
  watch_fork();  // before any callback can fire

  CUpti_SubscriberHandle sub = nullptr;
  char old_name[256] = {0};
  CUpti_SubscriberParams params{};
  params.structSize = CUpti_SubscriberParams_STRUCT_SIZE;
  params.subscriberName = "flopscope";
  params.oldSubscriberName = old_name;
  params.oldSubscriberSize = sizeof old_name;
  CUptiResult r = cuptiSubscribe_v2(&sub, on_callback, nullptr, &params);
  if (r != CUPTI_SUCCESS) return fail(r, "cuptiSubscribe_v2", old_name);

  // From here on a failure undoes what was done: no callback or record kind
  // stays on to feed an aggregator nobody reads (launch entries no record
  // would retire), and the process's one CUPTI subscriber slot is freed for
  // another tool.
  std::vector<CUpti_ActivityKind> kinds_on;
  auto undo = [&](CUptiResult result, const char* call) {
    for (CUpti_ActivityKind k : kinds_on) cuptiActivityDisable(k);
    cuptiUnsubscribe(sub);  // no callback is issued to it after this
    agg_.store(nullptr);    // not freed: a callback already running may hold it
    return fail(result, call);
  };
  auto enable_kind = [&](CUpti_ActivityKind k) {
    const CUptiResult e = cuptiActivityEnable(k);
    if (e == CUPTI_SUCCESS) kinds_on.push_back(k);
    return e;
  };

  // Set before any callback can fire.
  g_driver_kind = classify_domain(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_SIZE);
  g_runtime_kind = classify_domain(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_SIZE);
  agg_.store(agg.release());  // lives as long as the process: exit paths use it
  for (uint32_t cbid = 1; cbid < g_driver_kind.size(); ++cbid)
    if (g_driver_kind[cbid] != ApiKind::other &&
        (r = cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_DRIVER_API, cbid)) != CUPTI_SUCCESS)
      return undo(r, "cuptiEnableCallback(driver launch)");
  for (uint32_t cbid = 1; cbid < g_runtime_kind.size(); ++cbid)
    if (g_runtime_kind[cbid] != ApiKind::other &&
        (r = cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_RUNTIME_API, cbid)) != CUPTI_SUCCESS)
      return undo(r, "cuptiEnableCallback(runtime launch)");
  if ((r = cuptiEnableDomain(1, sub, CUPTI_CB_DOMAIN_NVTX)) != CUPTI_SUCCESS)
    return undo(r, "cuptiEnableDomain(NVTX)");

  size_t device_bytes = opt.device_buffer_bytes, value_size = sizeof device_bytes;
  cuptiActivitySetAttribute(CUPTI_ACTIVITY_ATTR_DEVICE_BUFFER_SIZE, &value_size, &device_bytes);
  if ((r = cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed)) != CUPTI_SUCCESS)
    return undo(r, "cuptiActivityRegisterCallbacks");
  // CONCURRENT_KERNEL, not KERNEL: KERNEL serializes every kernel launch.
  if ((r = enable_kind(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL)) != CUPTI_SUCCESS)
    return undo(r, "cuptiActivityEnable(CONCURRENT_KERNEL)");
  if ((r = enable_kind(CUPTI_ACTIVITY_KIND_MEMCPY)) != CUPTI_SUCCESS)
    return undo(r, "cuptiActivityEnable(MEMCPY)");
  if ((r = enable_kind(CUPTI_ACTIVITY_KIND_MEMSET)) != CUPTI_SUCCESS)
    return undo(r, "cuptiActivityEnable(MEMSET)");
  enable_kind(CUPTI_ACTIVITY_KIND_MEMCPY2);  // peer-to-peer copies; optional, like DEVICE
  enable_kind(CUPTI_ACTIVITY_KIND_DEVICE);   // optional: names the GPU in the results
  if (opt.flush_period_ms > 0) cuptiActivityFlushPeriod(opt.flush_period_ms);

  if (!opt.metric_set.empty() && opt.metric_set != "timing") {
    // Sessions are retired when their context is about to be destroyed.
    const CUptiResult rr =
        cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_RESOURCE, CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING);
    std::lock_guard<std::mutex> lock(g_counters.mu);
    const auto set = parse_metric_set(opt.metric_set);
    g_counters.set = set.value_or(MetricSet::timing);
    g_counters.tensor = opt.tensor;
    g_counters.keep_raw = opt.keep_raw_counters;
    g_counters.enabled = set.has_value();
    if (!set) g_counters.disable("unknown metric set '" + opt.metric_set + "'", false);
    else if (rr != CUPTI_SUCCESS)
      g_counters.disable("cannot follow context destruction (cuptiEnableCallback(RESOURCE) returned " +
                             cupti_result_name(int(rr)) + ")",
                         false);
  }
  std::lock_guard<std::mutex> lock(mu_);
  ok_ = true;
  return true;
}

void ActivityCollector::flush(bool forced) {
  if (!started()) return;
  // Not under mu_: the flush delivers buffers to buffer_completed on this thread.
  cuptiActivityFlushAll(forced ? CUPTI_ACTIVITY_FLAG_FLUSH_FORCED : 0);
  // Records dropped since the last completed buffer (CUPTI resets the count on
  // each read): while no buffer can be had, none completes to report them.
  size_t dropped = 0;
  if (cuptiActivityGetNumDroppedRecords(nullptr, 0, &dropped) != CUPTI_SUCCESS || dropped == 0) return;
  if (ProfileAggregator* a = CollectorAccess::agg()) {
    std::lock_guard<std::mutex> lock(CollectorAccess::mu());
    a->add_dropped(dropped);
  }
}

ResultsDoc ActivityCollector::snapshot() {
  ResultsDoc doc = new_results_doc();
  // Copied under the lock, summarized outside it: every launch callback waits
  // on mu_, and sorting millions of durations there would stall the app.
  std::optional<ProfileAggregator::Frozen> frozen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const ProfileAggregator* a = agg_.load();
    if (!a) return doc;
    frozen = a->freeze();
  }
  doc.device = frozen->device();
  doc.runs = frozen->runs();
  return doc;
}

InjectStatus ActivityCollector::status(const std::string& state) {
  InjectStatus s;
  s.pid = int(::getpid());
  char exe[PATH_MAX] = {0};
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) s.exe.assign(exe, size_t(n));
  s.state = state;
  // Counters::mu and mu_ are never held together (lock order: a thread
  // creating a session may hold CUPTI's locks and wait for mu_).
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.cupti_result = failure_.result;
    s.cupti_call = failure_.call;
    s.cupti_detail = failure_.detail;
    if (const ProfileAggregator* a = agg_.load()) s.counters = a->counters();
  }
  std::lock_guard<std::mutex> counters_lock(g_counters.mu);
  s.counters_note = g_counters.note;
  s.counters_fatal = g_counters.fatal;
  s.counters_launches = g_counters.profiled;
  auto add_note = [&](const std::string& line) {
    s.counters_note += (s.counters_note.empty() ? "" : "; ") + line;
  };
  if (g_counters.without_context > 0)
    add_note(std::to_string(g_counters.without_context) +
             " launches made before their context existed were timed without counters");
  if (g_counters.capturing > 0)
    add_note(std::to_string(g_counters.capturing) +
             " launches into a stream under CUDA graph capture were timed without counters");
  if (g_counters.concurrent > 0)
    add_note(std::to_string(g_counters.concurrent) +
             " launches made while another thread's launch on the same context was being profiled "
             "got no counters; replayed with it, they are timed only where their records carry timestamps "
             "(else they count as incomplete)");
  if (g_counters.shared_window > 0)
    add_note(std::to_string(g_counters.shared_window) +
             " profiled launches shared their counter window with another thread's launch on the same "
             "context; their counters were dropped, and they are timed only where their records carry "
             "timestamps (else they count as incomplete)");
  const uint64_t unsaved = g_counters.raw_counts().unsaved;
  if (unsaved > 0)
    add_note(std::to_string(unsaved) +
             " profiled launches are in the results but not in the raw counter files, which reached "
             "their size limit (profile fewer launches: --launch-count, --kernel-regex)");
  return s;
}

ActivityCollector::RawCounts ActivityCollector::raw_counter_counts() {
  std::lock_guard<std::mutex> lock(g_counters.mu);  // as counter_files()
  return g_counters.raw_counts();
}

std::vector<CounterFile> ActivityCollector::counter_files() {
  // Under Counters::mu, so that a context destroy cannot free a session
  // meanwhile; raw() takes only the session's own lock and calls no CUPTI.
  std::lock_guard<std::mutex> lock(g_counters.mu);
  std::vector<CounterFile> out;
  for (const Counters::Slot& slot : g_counters.order) out.push_back(slot.live ? slot.live->raw() : slot.retired);
  return out;
}

}  // namespace flopscope::cupti
