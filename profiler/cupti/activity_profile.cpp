#include "activity_profile.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <climits>
#include <cstdio>
#include <sstream>

#include <pthread.h>

#include "flopscope/error.h"
#include "flopscope/roofline.h"
#include "flopscope/session.h"
#include "flopscope/stats.h"
#include "flopscope/user_regex.h"
#include "flopscope/utf8.h"
#include "flopscope/views.h"  // profile_total_s

namespace flopscope::cupti {

// ---------------------------------------------------------------- LaunchFilter

namespace {

// libstdc++'s regex executor recurses about once per character a loop like
// `.*` or `(a|b)*` consumes: a 20 000-character name overflows an 8 MiB stack,
// and this runs on the application's launching thread, whose stack may be far
// smaller. Each kernel name is matched once (name_ok caches it), so the match
// gets a thread of its own with a large stack (reserved, touched only as deep
// as it goes); if that thread cannot be made, the match runs here.
constexpr size_t kRegexStackBytes = size_t(512) << 20;

struct RegexJob {
  const std::string* text;
  const UserRegex* re;
  bool found = false;
  bool failed = false;  // the engine threw (out of memory)
};

void* regex_job(void* arg) {
  auto* job = static_cast<RegexJob*>(arg);
  try {
    job->found = job->re->found_in(*job->text);
  } catch (...) {
    job->failed = true;
  }
  return nullptr;
}

bool search_with_room(const std::string& text, const UserRegex& re) {
  RegexJob job{&text, &re};
  pthread_attr_t attr;
  pthread_t thread;
  bool created = false;
  if (::pthread_attr_init(&attr) == 0) {
    created = ::pthread_attr_setstacksize(&attr, kRegexStackBytes) == 0 &&
              ::pthread_create(&thread, &attr, regex_job, &job) == 0;
    ::pthread_attr_destroy(&attr);
  }
  if (created)
    ::pthread_join(thread, nullptr);
  else
    regex_job(&job);
  return job.found && !job.failed;
}

}  // namespace

LaunchFilter::LaunchFilter(LaunchFilterOptions opt) : opt_(std::move(opt)) {
  if (!opt_.kernel_regex.empty()) re_.emplace(opt_.kernel_regex, "--kernel-regex");
  if (opt_.launch_skip < 0) throw_bad_input("--launch-skip must be 0 or more");
  if (opt_.launch_count < -1 || opt_.launch_count == 0)
    throw_bad_input("--launch-count must be 1 or more");
  // Paths are range names joined by single '/': an empty name ("step/",
  // "a//b") matches no range, so every kernel would be filtered out unsaid.
  for (const std::string& p : opt_.nvtx_include)
    if (p.empty() || p.front() == '/' || p.back() == '/' || p.find("//") != std::string::npos ||
        p.find('\n') != std::string::npos)
      throw_bad_input("--nvtx-include '" + p + "' has an empty range name or a line break: give names joined by "
                      "single '/', e.g. 'step' or 'step/forward'");
}

bool LaunchFilter::selects_kernels() const {
  return re_.has_value() || opt_.launch_skip > 0 || opt_.launch_count >= 0;
}

bool LaunchFilter::name_ok(const std::string& symbol) {
  if (!re_) return true;
  auto it = name_cache_.find(symbol);
  if (it != name_cache_.end()) return it->second;
  const bool ok = search_with_room(demangle(symbol), *re_) || search_with_room(symbol, *re_);
  name_cache_.emplace(symbol, ok);
  return ok;
}

bool LaunchFilter::nvtx_ok(const std::string& path) const {
  if (opt_.nvtx_include.empty()) return true;
  for (const std::string& p : opt_.nvtx_include)
    if (nvtx_path_matches(path, p)) return true;
  return false;
}

bool LaunchFilter::take_index() {
  const int64_t i = index_++;
  if (i < opt_.launch_skip) return false;
  // Launches past the skip, counted from 0: skip + count overflowed (undefined
  // behaviour) for --launch-count 9223372036854775807 after a skip, and
  // wrapped to keep nothing.
  return opt_.launch_count < 0 || i - opt_.launch_skip < opt_.launch_count;
}

// ------------------------------------------------------------ ProfileAggregator

ProfileAggregator::ProfileAggregator(LaunchFilterOptions opt) : filter_(std::move(opt)), nvtx_(paths_) {}

bool ProfileAggregator::decide(const std::string& symbol, PathId path, bool* indexed) {
  const bool counted = filter_.name_ok(symbol) && filter_.nvtx_ok(paths_.path(path));
  if (indexed) *indexed = counted;
  return counted && filter_.take_index();
}

bool ProfileAggregator::on_launch(uint32_t correlation, ApiKind kind, const std::string& symbol,
                                  PathId path, ApiCall call) {
  if (kind == ApiKind::other) return false;
  if (call.captured) {
    // Becomes a graph node: no record comes for this call, so it waits for none.
    if (call.outer == 0 && (kind == ApiKind::kernel_launch || kind == ApiKind::graph_launch))
      ++counters_.launches_captured;
    return false;
  }
  if (call.outer != 0) {
    // A call inside another: the same launch, counted once. It joins the end
    // of the outermost call's list.
    auto outer = pending_.find(call.outer);
    auto root = outer == pending_.end() ? pending_.end() : pending_.find(outer->second.root);
    if (root != pending_.end()) {
      const bool keep = root->second.decision == Pending::Decision::keep;
      // An id already in a list (the outermost call's own, should CUPTI ever
      // reuse it for a nested call) keeps its entry: replacing it would lose
      // the operation's path and multi-record flag.
      if (pending_.count(correlation)) return keep;
      uint32_t last = root->first;  // a list's calls are only ever removed together
      while (pending_.at(last).next != 0) last = pending_.at(last).next;
      pending_.at(last).next = correlation;
      Pending nested;
      nested.root = root->first;
      pending_[correlation] = nested;
      return keep;
    }
  }
  Pending p;
  p.path = path;
  p.multi_record = kind == ApiKind::graph_launch || kind == ApiKind::memcpy_batch;
  p.root = correlation;
  if (kind == ApiKind::kernel_launch || kind == ApiKind::graph_launch) ++counters_.launches;
  if (kind == ApiKind::kernel_launch && !symbol.empty())
    p.decision = decide(symbol, path, &p.indexed) ? Pending::Decision::keep : Pending::Decision::drop;
  pending_[correlation] = p;
  if (p.multi_record) {
    multi_record_calls_.push_back(correlation);
    if (multi_record_calls_.size() > kMultiRecordCallsKept) {
      forget_operation(multi_record_calls_.front());
      multi_record_calls_.pop_front();
    }
  }
  return p.decision == Pending::Decision::keep;
}

void ProfileAggregator::expect_counters(uint32_t correlation) {
  auto it = pending_.find(correlation);
  if (it == pending_.end()) return;
  auto root = pending_.find(it->second.root);
  if (root != pending_.end()) root->second.counters = true;
}

void ProfileAggregator::on_counters(uint32_t correlation, const HwCounters& hw) {
  const std::optional<Awaiting> w = take_awaiting(correlation);
  if (!w) {
    early_counters_[correlation] = hw;
    return;
  }
  if (w->untimed) {
    keep_untimed(w->key, hw);
    return;
  }
  auto g = groups_.find(w->key);
  if (g != groups_.end()) g->second.hw.add(hw);
}

std::optional<ProfileAggregator::Awaiting> ProfileAggregator::take_awaiting(uint32_t correlation) {
  auto it = awaiting_counters_.find(correlation);
  if (it == awaiting_counters_.end()) return std::nullopt;
  const Awaiting w = it->second;
  awaiting_counters_.erase(it);
  if (w.other) awaiting_counters_.erase(w.other);
  if (w.untimed) --untimed_waiting_;
  return w;
}

void ProfileAggregator::keep_untimed(const Key& key, const HwCounters& hw) {
  if (!hw.duration_s) {
    ++counters_.kernels_incomplete;  // neither the record nor the counters say how long it ran
    return;
  }
  ++counters_.kernels_kept;
  ++counters_.kernels_timed_by_counters;
  Group& g = groups_[key];
  g.times.add(*hw.duration_s);
  g.hw.add(hw);
}

void ProfileAggregator::counters_dropped(uint32_t correlation) {
  auto it = pending_.find(correlation);
  if (it != pending_.end()) {  // the record has not come yet
    auto root = pending_.find(it->second.root);
    if (root != pending_.end()) root->second.counters = false;
  }
  // The record came first: an untimed one's duration was to come with them.
  if (const std::optional<Awaiting> w = take_awaiting(correlation); w && w->untimed)
    ++counters_.kernels_incomplete;
}

// Nothing ran, so no record will come, not even for a graph launch.
void ProfileAggregator::on_launch_failed(uint32_t correlation) {
  auto it = pending_.find(correlation);
  if (it == pending_.end()) return;
  auto root = pending_.find(it->second.root);
  if (root != pending_.end() && root->second.indexed) filter_.give_back_index();
  forget_operation(it->second.root);
}

std::optional<ProfileAggregator::Pending> ProfileAggregator::take_pending(uint32_t correlation) {
  auto it = pending_.find(correlation);
  if (it == pending_.end()) return std::nullopt;
  auto root = pending_.find(it->second.root);
  if (root == pending_.end()) return std::nullopt;
  Pending p = root->second;
  if (!p.multi_record) forget_operation(p.root);  // a graph launch or batch copy yields many records
  return p;
}

void ProfileAggregator::forget_operation(uint32_t root) {
  for (uint32_t id = root; id != 0;) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    id = it->second.next;
    pending_.erase(it);
  }
}

void ProfileAggregator::add(const Key& key, uint64_t start_ns, uint64_t end_ns, uint64_t bytes) {
  Group& g = groups_[key];
  g.times.add(end_ns > start_ns ? double(end_ns - start_ns) * 1e-9 : 0.0);
  g.bytes += bytes;
}

void ProfileAggregator::on_activity(const Activity& a) {
  if (const auto* k = std::get_if<KernelActivity>(&a)) {
    on_kernel(*k);
  } else if (const auto* m = std::get_if<MemcpyActivity>(&a)) {
    ++counters_.memcpys;
    std::optional<Pending> p = take_pending(m->correlation);
    if (!p && m->runtime_correlation) p = take_pending(m->runtime_correlation);
    add_copy({Kind::memcpy, "[memcpy " + m->kind + "]", p ? p->path : 0, m->device}, m->start_ns, m->end_ns,
             m->bytes);
  } else if (const auto* s = std::get_if<MemsetActivity>(&a)) {
    ++counters_.memsets;
    const std::optional<Pending> p = take_pending(s->correlation);
    add_copy({Kind::memset, "[memset]", p ? p->path : 0, s->device}, s->start_ns, s->end_ns, s->bytes);
  } else if (const auto* d = std::get_if<DeviceActivity>(&a)) {
    devices_[d->id] = *d;
  }
}

void ProfileAggregator::on_kernel(const KernelActivity& k) {
  ++counters_.kernels;
  if (k.graph_id != 0) ++counters_.graph_kernels;
  const std::optional<Pending> p = take_pending(k.correlation);
  if (!p) ++counters_.kernels_unattributed;
  // A launch the range profiler replayed has a record without timestamps
  // (CUPTI 13.0 on an H200: bench/results/h200/2026-11-30): its counters'
  // gpu__time_duration times it instead, as ncu does. Any other record
  // without them was still running at a forced flush, or CUPTI could not
  // collect them.
  const bool timed = k.end_ns != 0 && k.end_ns >= k.start_ns;
  const bool counted = p && p->counters;
  // Counters of this launch, if it was profiled: under the kernel's
  // correlation id or its outermost call's (where counters begin).
  const uint32_t other = p && p->root != k.correlation ? p->root : 0u;
  if (!timed && !counted) {
    ++counters_.kernels_incomplete;
    // No run takes this launch, so neither do counters delivered for it
    // before the record: they would wait in early_counters_ forever.
    if (p) {
      early_counters_.erase(k.correlation);
      early_counters_.erase(p->root);
    }
    return;
  }
  const PathId path = p ? p->path : 0;
  // Graph kernels and unmatched ones are decided here, in arrival order.
  const bool keep = p && p->decision != Pending::Decision::undecided ? p->decision == Pending::Decision::keep
                                                                     : decide(k.name, path);
  if (!keep) {
    ++counters_.kernels_filtered;
    return;
  }
  const Key key{Kind::kernel, k.name, path, k.device};
  const std::optional<HwCounters> early = take_early_counters(k.correlation, other);
  if (!timed) {
    if (early)
      keep_untimed(key, *early);
    else
      await_counters(key, k.correlation, other, true);  // kept, or left incomplete, when they come
    return;
  }
  ++counters_.kernels_kept;
  add(key, k.start_ns, k.end_ns, 0);
  if (early)
    groups_[key].hw.add(*early);
  else if (counted)
    await_counters(key, k.correlation, other, false);
}

std::optional<HwCounters> ProfileAggregator::take_early_counters(uint32_t correlation, uint32_t other) {
  for (const uint32_t id : {correlation, other}) {
    if (id == 0) continue;
    if (auto e = early_counters_.find(id); e != early_counters_.end()) {
      HwCounters hw = std::move(e->second);
      early_counters_.erase(e);
      return hw;
    }
  }
  return std::nullopt;
}

void ProfileAggregator::await_counters(const Key& key, uint32_t correlation, uint32_t other, bool untimed) {
  if (untimed) ++untimed_waiting_;
  awaiting_counters_[correlation] = {key, other, untimed};
  if (other) awaiting_counters_[other] = {key, correlation, untimed};
}

void ProfileAggregator::add_copy(const Key& key, uint64_t start_ns, uint64_t end_ns, uint64_t bytes) {
  if (filter_.selects_kernels() || !filter_.nvtx_ok(paths_.path(key.path))) return;
  if (end_ns == 0 || end_ns < start_ns) {
    ++counters_.copies_incomplete;  // as a kernel's: no duration, not a zero one
    return;
  }
  add(key, start_ns, end_ns, bytes);
}

ProfileCounters ProfileAggregator::counters() const {
  ProfileCounters c = counters_;
  c.kernels_incomplete += untimed_waiting_;  // no duration yet: their counters have not come
  c.nvtx_ranges = nvtx_.ranges_seen();
  c.nvtx_unmatched = nvtx_.unmatched_pops() + nvtx_.unmatched_ends();
  return c;
}

namespace {

// The results format needs a positive median; a record of zero-length
// (clock-resolution) operations keeps the smallest representable time.
TimeStats with_positive_median(TimeStats t) {
  t.median = std::max(t.median, 1e-9);
  return t;
}

}  // namespace

ProfileAggregator::Frozen ProfileAggregator::freeze() const {
  Frozen f;
  f.groups_ = groups_;
  f.paths_ = paths_;
  f.device_ = device();
  return f;
}

std::vector<RunRecord> ProfileAggregator::runs() const { return runs_of(groups_, paths_); }

std::vector<RunRecord> ProfileAggregator::runs_of(const std::map<Key, Group>& groups, const PathTable& paths) {
  std::vector<RunRecord> out;
  for (const auto& [key, g] : groups) {
    if (g.times.count() == 0) continue;
    RunRecord r;
    r.family = "app";
    r.nvtx = paths.path(key.path);
    r.launches = int64_t(g.times.count());
    r.shape = {{"device", int64_t(key.device)}};
    if (key.kind == Kind::kernel) {
      // A symbol is bytes: one that is not UTF-8 made the whole results file
      // unwritable, every other kernel's times with it.
      r.name = valid_utf8(demangle(key.name));
      r.variant = kernel_short_name(r.name);
      const PrecisionGuess p = guess_precision(r.name);
      r.dtype = p.dtype;
      r.precision = p.precision;
    } else {
      r.name = key.name;
      r.variant = key.kind == Kind::memset ? "memset" : "memcpy_" + key.name.substr(8, key.name.size() - 9);
      r.dtype = "unknown";
      r.precision = "fp32";
      r.model.bytes = double(g.bytes) / double(g.times.count());  // bytes per operation
    }
    r.id = r.family + "." + r.variant + "." + r.dtype;
    if (g.hw.launches() > 0) {
      r.hw = g.hw.mean();
      r.hw->launches = int64_t(g.hw.launches());
      // The counters say which pipe did the work; the name only guesses (cuBLAS's
      // nvjet_* kernels name no type, and were held to the FP32 peak: HFU 1003%).
      if (key.kind == Kind::kernel)
        if (std::optional<std::string> p = dominant_precision(*r.hw)) r.precision = *p;
    }
    r.time_s = with_positive_median(g.times.summary(kMaxProfileSamples));
    compute_profile_derived(r, PeakTable{});
    out.push_back(std::move(r));
  }
  disambiguate_profile_ids(out);
  cap_profile_samples(out);
  std::stable_sort(out.begin(), out.end(), [](const RunRecord& a, const RunRecord& b) {
    return profile_total_s(a) > profile_total_s(b);
  });
  return out;
}

namespace {

// The variant without the "~" and 6 or 16 hex digits disambiguate_profile_ids added.
std::string without_id_suffix(const std::string& variant) {
  const size_t tilde = variant.rfind('~');
  if (tilde == std::string::npos) return variant;
  const size_t digits = variant.size() - tilde - 1;
  if (digits != 6 && digits != 16) return variant;
  for (size_t i = tilde + 1; i < variant.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(variant[i])) || std::isupper(static_cast<unsigned char>(variant[i])))
      return variant;
  return variant.substr(0, tilde);
}

}  // namespace

std::optional<std::string> dominant_precision(const HwCounters& hw) {
  std::optional<std::string> best;
  double most = 0;
  for (const auto& [k, v] : hw.flops_by_pipe)
    if (v > most) {
      most = v;
      best = k;
    }
  return best;
}

void disambiguate_profile_ids(std::vector<RunRecord>& runs) {
  std::map<std::tuple<std::string, Shape, std::string>, std::vector<size_t>> by_key;
  for (size_t i = 0; i < runs.size(); ++i) by_key[{runs[i].id, runs[i].shape, runs[i].nvtx}].push_back(i);
  // 6 hex digits of 32-bit FNV-1a, or, where two names of a group share those
  // (about 1 in 300 groups of 300 names; the file was refused as holding one
  // run twice), 16 of 64-bit FNV-1a.
  auto suffix = [](const std::string& name, bool wide) {
    char out[20];
    if (wide) {
      uint64_t h = 14695981039346656037ull;
      for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
      std::snprintf(out, sizeof out, "~%016llx", static_cast<unsigned long long>(h));
    } else {
      uint32_t h = 2166136261u;
      for (unsigned char ch : name) h = (h ^ ch) * 16777619u;
      std::snprintf(out, sizeof out, "~%06x", unsigned(h & 0xFFFFFF));
    }
    return std::string(out);
  };
  for (const auto& [key, idx] : by_key) {
    if (idx.size() < 2) continue;
    std::map<std::string, int> uses;
    for (size_t i : idx) ++uses[suffix(runs[i].name, false)];
    for (size_t i : idx) {
      RunRecord& r = runs[i];
      const std::string narrow = suffix(r.name, false);
      r.variant += uses[narrow] > 1 ? suffix(r.name, true) : narrow;
      r.id = r.family + "." + r.variant + "." + r.dtype;
    }
  }
}

std::optional<DeviceInfo> ProfileAggregator::device() const {
  if (devices_.empty()) return std::nullopt;
  const DeviceActivity& d = devices_.begin()->second;
  DeviceInfo info;
  info.name = d.name;
  info.cc_major = d.cc_major;
  info.cc_minor = d.cc_minor;
  info.sm_count = d.sm_count;
  info.max_sm_clock_mhz = d.core_clock_mhz;
  info.memory_bytes = double(d.memory_bytes);
  return info;
}

// ----------------------------------------------------------- derived and totals

void HwCounterSum::add(const HwCounters& h) {
  ++n_;
  for (size_t i = 0; i < std::size(kHwAmounts); ++i)
    if (h.*kHwAmounts[i]) {
      sum_.*kHwAmounts[i] = (sum_.*kHwAmounts[i]).value_or(0) + 1.0 * *(h.*kHwAmounts[i]);
      ++amount_n_[i];
    }
  if (h.sm_clock_hz) {
    sum_.sm_clock_hz = sum_.sm_clock_hz.value_or(0) + 1.0 * *h.sm_clock_hz;
    ++clock_n_;
  }
  for (const auto& [key, v] : h.flops_by_pipe) {
    sum_.flops_by_pipe[key] += 1.0 * v;
    ++pipe_n_[key];
  }
  if (h.flops_total) {
    ++whole_n_;
    for (const auto& [key, v] : h.flops_by_pipe) whole_pipes_[key] += 1.0 * v;
  }
  for (const auto& [key, v] : h.metrics) {
    sum_.metrics[key] += 1.0 * v;
    ++metric_n_[key];
  }
}

// As mean_counters() with every weight 1: each quantity over the launches
// that have it.
HwCounters HwCounterSum::mean() const {
  HwCounters m;
  for (size_t i = 0; i < std::size(kHwAmounts); ++i)
    if (sum_.*kHwAmounts[i]) m.*kHwAmounts[i] = *(sum_.*kHwAmounts[i]) / double(amount_n_[i]);
  if (sum_.sm_clock_hz) m.sm_clock_hz = *sum_.sm_clock_hz / double(clock_n_);
  // Where some launch has a total, the pipes over those launches, as the total
  // is (mean_counters): over others too they need not add up to it.
  if (whole_n_ > 0)
    for (const auto& [key, v] : whole_pipes_) m.flops_by_pipe[key] = v / double(whole_n_);
  else
    for (const auto& [key, v] : sum_.flops_by_pipe) m.flops_by_pipe[key] = v / double(pipe_n_.at(key));
  for (const auto& [key, v] : sum_.metrics) m.metrics[key] = v / double(metric_n_.at(key));
  return m;
}

HwCounters mean_counters(const std::vector<HwCounters>& launches, const std::vector<double>& weights) {
  if (!weights.empty() && weights.size() != launches.size())
    throw Error(ErrorKind::failure, "mean_counters: one weight per entry");
  for (double w : weights)
    if (!(w >= 0) || !std::isfinite(w)) throw Error(ErrorKind::failure, "mean_counters: weights must be finite, >= 0");
  auto weight = [&](size_t i) { return weights.empty() ? 1.0 : weights[i]; };
  // Every quantity, amount or rate, is the weighted mean over the entries that
  // have it: an entry lacks one only where its value was left out as
  // unreadable, and counting that as 0 would make the mean short. A quantity
  // only entries of weight 0 have is dropped, not 0/0.
  HwCounters m;
  auto mean_field = [&](std::optional<double> HwCounters::*f) {
    double sum = 0, w_sum = 0;
    for (size_t i = 0; i < launches.size(); ++i)
      if (launches[i].*f) {
        sum += weight(i) * *(launches[i].*f);
        w_sum += weight(i);
      }
    if (w_sum > 0) m.*f = sum / w_sum;
  };
  for (HwAmount f : kHwAmounts) mean_field(f);
  mean_field(&HwCounters::sm_clock_hz);
  auto mean_map = [&](std::map<std::string, double> HwCounters::*f) {
    std::map<std::string, double> w_sum;
    for (size_t i = 0; i < launches.size(); ++i)
      for (const auto& [key, v] : launches[i].*f) {
        (m.*f)[key] += weight(i) * v;
        w_sum[key] += weight(i);
      }
    for (auto it = (m.*f).begin(); it != (m.*f).end();) {
      const double w = w_sum[it->first];
      if (w > 0) it->second /= w, ++it;
      else it = (m.*f).erase(it);
    }
  };
  // The pipes over the entries with a FLOP total where one has it, as the
  // total is taken (a pipe such an entry lacks counted 0): so that they add
  // up to it, which results files require.
  double whole_w = 0;
  for (size_t i = 0; i < launches.size(); ++i)
    if (launches[i].flops_total && weight(i) > 0) {
      whole_w += weight(i);
      for (const auto& [key, v] : launches[i].flops_by_pipe) m.flops_by_pipe[key] += weight(i) * v;
    }
  if (whole_w > 0)
    for (auto& [key, v] : m.flops_by_pipe) v /= whole_w;
  else
    mean_map(&HwCounters::flops_by_pipe);
  mean_map(&HwCounters::metrics);
  return m;
}

// ------------------------------------------------------------------ InjectStatus

std::string to_text(const InjectStatus& s) {
  std::ostringstream os;
  const ProfileCounters& c = s.counters;
  os << "flopscope-inject-status 1\n"
     << "pid " << s.pid << "\n"
     << "exe " << s.exe << "\n"
     << "state " << s.state << "\n"
     << "cupti_result " << s.cupti_result << "\n"
     << "cupti_call " << s.cupti_call << "\n"
     << "cupti_detail " << s.cupti_detail << "\n"
     << "cupti_library " << s.cupti_library << "\n"
     << "cupti_version " << s.cupti_version << "\n"
     << "counters_note " << s.counters_note << "\n"
     << "counters_fatal " << (s.counters_fatal ? 1 : 0) << "\n"
     << "counters_launches " << s.counters_launches << "\n";
  for (const auto& [name, field] : kProfileCounterFields) os << name << " " << c.*field << "\n";
  return os.str();
}

InjectStatus parse_inject_status(const std::string& text, const std::string& origin) {
  InjectStatus s;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  // Digits only, and within the field: strtoull took "-1", " 1" and overflow.
  auto number = [&](const std::string& key, const std::string& v, uint64_t max = UINT64_MAX) -> uint64_t {
    uint64_t n = 0;
    const char* end = v.data() + v.size();
    const auto [p, ec] = std::from_chars(v.data(), end, n);
    if (ec != std::errc() || p != end || n > max)
      throw_bad_input(origin + ":" + std::to_string(lineno) + ": '" + key + "' needs a whole number from 0 to " +
                      std::to_string(max) + ", got '" + v + "'");
    return n;
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (lineno == 1) {
      if (line.rfind("flopscope-inject-status ", 0) != 0)
        throw_bad_input(origin + ": not a flopscope injection status file");
      continue;
    }
    const size_t sp = line.find(' ');
    const std::string key = line.substr(0, sp);
    const std::string v = sp == std::string::npos ? "" : line.substr(sp + 1);
    ProfileCounters& c = s.counters;
    if (key == "pid") s.pid = int(number(key, v, INT_MAX));
    else if (key == "exe") s.exe = v;
    else if (key == "state") s.state = v;
    else if (key == "cupti_result") s.cupti_result = int(number(key, v, INT_MAX));
    else if (key == "cupti_call") s.cupti_call = v;
    else if (key == "cupti_detail") s.cupti_detail = v;
    else if (key == "cupti_library") s.cupti_library = v;
    else if (key == "cupti_version") s.cupti_version = uint32_t(number(key, v, UINT32_MAX));
    else if (key == "counters_note") s.counters_note = v;
    else if (key == "counters_fatal") s.counters_fatal = number(key, v) != 0;
    else if (key == "counters_launches") s.counters_launches = number(key, v);
    else {
      const auto* f = std::find_if(std::begin(kProfileCounterFields), std::end(kProfileCounterFields),
                                   [&](const auto& field) { return key == field.first; });
      if (f != std::end(kProfileCounterFields)) c.*(f->second) = number(key, v);
    }
  }
  if (lineno == 0) throw_bad_input(origin + ": empty injection status file");
  return s;
}

// ------------------------------------------------------------------------ merge

namespace {

// Two processes' times of one kernel. A process that kept fewer samples than
// launches (share means) has each sample stand for launches / samples of
// them: pooled as they are, 10 launches of 5 ms beside 5000 of 10 us read
// as half the time each, and the NVTX total 2.75 times the true one.
TimeStats merged_times(const RunRecord& a, const RunRecord& b) {
  const auto& sa = a.time_s.samples;
  const auto& sb = b.time_s.samples;
  const bool whole = int64_t(sa.size()) == a.launches && int64_t(sb.size()) == b.launches;
  if (whole || sa.empty() || sb.empty()) {
    std::vector<double> pooled = sa;
    pooled.insert(pooled.end(), sb.begin(), sb.end());
    return pooled.empty() ? a.time_s : with_positive_median(summarize_at_most(pooled, kMaxProfileSamples));
  }
  std::vector<WeightedSample> weighted;
  for (const RunRecord* r : {&a, &b})
    for (double v : r->time_s.samples)
      weighted.push_back({v, double(r->launches) / double(r->time_s.samples.size())});
  return with_positive_median(weighted_summary(std::move(weighted), kMaxProfileSamples));
}

}  // namespace

void cap_profile_samples(std::vector<RunRecord>& runs) {
  if (runs.empty()) return;
  const size_t cap =
      std::clamp(kMaxProfileSamplesPerFile / runs.size(), kMinProfileSamples, kMaxProfileSamples);
  for (RunRecord& r : runs)
    if (r.time_s.samples.size() > cap) r.time_s.samples = equal_share_means(r.time_s.samples, cap);
}

ResultsDoc merge_profile_docs(const std::vector<ResultsDoc>& docs) {
  ResultsDoc out = new_results_doc();
  using MergeKey = std::tuple<std::string, std::string, std::string, Shape>;
  std::map<MergeKey, size_t> index;
  // The launches a process's hw is the mean of: those counted, when it says.
  auto counted = [](const RunRecord& r) { return r.hw->launches.value_or(r.launches); };
  for (const ResultsDoc& d : docs) {
    if (!out.device && d.device) out.device = d.device;
    for (const RunRecord& r : d.runs) {
      const MergeKey key{r.family, r.name.empty() ? r.id : r.name, r.nvtx, r.shape};
      auto it = index.find(key);
      if (it == index.end()) {
        index.emplace(key, out.runs.size());
        out.runs.push_back(r);
        // Said explicitly: launches merged later, with or without counters,
        // must not count as counted.
        if (r.hw) out.runs.back().hw->launches = counted(r);
        continue;
      }
      RunRecord& m = out.runs[it->second];
      const double launches = double(m.launches + r.launches);
      m.model.bytes = (m.model.bytes * double(m.launches) + r.model.bytes * double(r.launches)) / launches;
      // The processes' per-launch means, weighted by their counted launches
      // (a launch without counters says nothing about them).
      if (r.hw && m.hw) {
        const int64_t m_counted = counted(m), r_counted = counted(r);
        m.hw = mean_counters({*m.hw, *r.hw}, {double(m_counted), double(r_counted)});
        m.hw->launches = m_counted + r_counted;
      } else if (r.hw) {
        m.hw = r.hw;
        m.hw->launches = counted(r);
      }
      m.time_s = merged_times(m, r);
      m.launches += r.launches;
    }
  }
  // Each process made its own records' ids unique, not the merged set: a
  // template instance alone in one process and another alone in a second
  // both kept the bare short name. The ids are made again over the whole.
  for (RunRecord& r : out.runs) {
    r.variant = without_id_suffix(r.variant);
    r.id = r.family + "." + r.variant + "." + r.dtype;
  }
  disambiguate_profile_ids(out.runs);
  cap_profile_samples(out.runs);
  std::stable_sort(out.runs.begin(), out.runs.end(), [](const RunRecord& a, const RunRecord& b) {
    return profile_total_s(a) > profile_total_s(b);
  });
  return out;
}

}  // namespace flopscope::cupti
