// Metric plans through CUPTI's profiler host API (no GPU needed). Each logical
// quantity lists candidate formulas; the first whose metrics the chip has wins.
#include "flopscope/metric_plan.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "cupti_callable.h"
#include "flopscope/error.h"
#include "flopscope/table.h"  // joined
#include "metric_plan_host.h"
#include "session_errors.h"

namespace flopscope {

std::string_view to_string(MetricSet s) {
  switch (s) {
    case MetricSet::none: return "none";
    case MetricSet::timing: return "timing";
    case MetricSet::bytes: return "bytes";
    case MetricSet::flops: return "flops";
    case MetricSet::roofline: return "roofline";
  }
  return "none";
}

std::optional<MetricSet> parse_metric_set(std::string_view s) {
  for (MetricSet m : {MetricSet::none, MetricSet::timing, MetricSet::bytes, MetricSet::flops, MetricSet::roofline})
    if (s == to_string(m)) return m;
  return std::nullopt;
}

const std::vector<std::string>& tensor_types() {
  // Canonical order, also the order in which a counter shared by several
  // source types is attributed: Turing's src_fp16_bf16_tf32_dst_fp32 goes to
  // fp16 (Turing has no bf16 or tf32), Blackwell's src_fp4_fp6_fp8_* to fp8.
  // Never destroyed, as the statics below: in the injected library a session
  // can start after exit handlers began (built later than atexit(on_exit), a
  // destroyed static would be freed before that handler runs).
  static const auto& t = *new std::vector<std::string>{"fp64", "fp16", "bf16", "tf32", "fp8"};
  return t;
}

namespace {
bool is_tensor_type(const std::string& word) {
  const auto& all = tensor_types();
  return std::find(all.begin(), all.end(), word) != all.end();
}

std::vector<std::string> canonical_order(std::vector<std::string> v) {
  const auto& all = tensor_types();
  auto rank = [&](const std::string& x) { return std::find(all.begin(), all.end(), x) - all.begin(); };
  std::stable_sort(v.begin(), v.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return v;
}
}  // namespace

std::vector<std::string> parse_tensor_list(std::string_view list) {
  std::vector<std::string> out;
  if (list.empty() || list == "none") return out;
  if (list == "all") return tensor_types();
  std::stringstream ss{std::string(list)};
  std::string word;
  while (std::getline(ss, word, ',')) {
    if (word.empty()) continue;
    if (word == "all" || word == "none")
      throw_bad_input("'" + word + "' stands alone in a tensor list, not beside other types (got '" +
                      std::string(list) + "')");
    if (!is_tensor_type(word))
      throw_bad_input("unknown tensor type '" + word + "' (use a comma list of fp64, tf32, fp16, "
                      "bf16, fp8, or 'all' or 'none')");
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);
  }
  // Only commas: a list built from an empty variable, not a request for none.
  if (out.empty())
    throw_bad_input("tensor list '" + std::string(list) + "' names no type (use 'none' for no tensor-core FLOPs)");
  return canonical_order(out);
}

std::vector<std::string> supported_chips() {
  cupti::require_cupti_callable();
  auto p = cupti::cupti_params<CUpti_Profiler_Host_GetSupportedChips_Params>(CUpti_Profiler_Host_GetSupportedChips_Params_STRUCT_SIZE);
  const CUptiResult r = cuptiProfilerHostGetSupportedChips(&p);
  if (r != CUPTI_SUCCESS) cupti::throw_host_failure(r, "cuptiProfilerHostGetSupportedChips");
  std::vector<std::string> out;
  for (size_t i = 0; i < p.numChips; ++i) out.emplace_back(p.ppChipNames[i]);
  return out;
}

bool is_supported_chip(std::string_view chip) {
  const auto chips = supported_chips();
  return std::find(chips.begin(), chips.end(), chip) != chips.end();
}

namespace {

using Formula = std::vector<MetricTerm>;

struct Spec {
  Spec(std::string k, std::string d, std::vector<Formula> c = {})
      : key(std::move(k)), description(std::move(d)), candidates(std::move(c)) {}
  std::string key, description;
  std::vector<Formula> candidates;  // first fully available one wins
  std::string missing_note;         // why there is no candidate at all
};

std::string thread_inst(const char* op) {
  return std::string("sm__sass_thread_inst_executed_op_") + op + "_pred_on.sum";
}

// Tensor counters for one source type: every sm__ops_path_tensor_src_<...>
// base counter whose source list contains `type`, without the sparsity split
// and the Blackwell `_realtime` duplicates. GH100 has src_fp16; GA100/AD102
// split it by destination (src_fp16_dst_fp16 + src_fp16_dst_fp32), which are
// summed; TU102 folds fp16/bf16/tf32 into one src_fp16_bf16_tf32_dst_fp32.
std::vector<std::string> tensor_counters(const std::vector<std::string>& base, const std::string& type) {
  static constexpr std::string_view prefix = "sm__ops_path_tensor_src_";
  std::vector<std::string> out;
  for (const auto& name : base) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    if (rest.find("_sparsity_") != std::string::npos || rest.find("_realtime") != std::string::npos)
      continue;
    const std::string src = rest.substr(0, rest.find("_dst_"));
    std::stringstream ss(src);
    std::string tok;
    bool match = false;
    while (std::getline(ss, tok, '_')) match |= tok == type;
    if (match) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Blackwell's FP4 and FP6 tensor counters, which no type asks for: one the
// fp8 type takes with FP8's (GB100's src_fp4_fp6_fp8_*) folds them into its
// count, one none takes (GB202's src_fp4_dst_fp32) is left out of the FLOP
// total. One note each, so that the plan says what its totals fold in or miss.
std::vector<std::string> narrow_tensor_notes(const std::vector<std::string>& base) {
  std::set<std::string> claimed, narrow;
  for (const std::string& type : tensor_types())
    for (const std::string& c : tensor_counters(base, type)) claimed.insert(c);
  for (const char* type : {"fp4", "fp6"})
    for (const std::string& c : tensor_counters(base, type)) narrow.insert(c);
  std::vector<std::string> notes;
  for (const std::string& c : narrow)
    notes.push_back(claimed.count(c) ? c + ": counted as fp8_tensor, FP4/FP6 ops in one counter with FP8's"
                                     : c + ": not collected (no tensor type counts FP4/FP6 ops; flops_total "
                                           "leaves them out)");
  return notes;
}

/// Every set's quantities: kernel duration and SM clock.
void add_timing(std::vector<Spec>& s) {
  s.push_back({"duration_s", "kernel duration (gpu__time_duration, ns -> s)",
               {{{"gpu__time_duration.sum", 1e-9}}}});
  s.push_back({"sm_clock_hz", "SM clock during the kernel",
               {{{"sm__cycles_elapsed.avg.per_second", 1}}}});
}

/// A tensor type whose counters all belong to another type (quantity key ->
/// one such counter and the type it is counted as).
struct SharedCounter {
  std::string counter, owner;
};
using SharedCounters = std::map<std::string, SharedCounter>;

/// flops and roofline: FLOPs on CUDA cores per precision, and on tensor cores
/// per source type in `tensor`, with their peaks.
void add_flops(std::vector<Spec>& s, const std::vector<std::string>& tensor, const std::vector<std::string>& base,
               SharedCounters& tensor_shared) {
  s.push_back({"flops.fp64", "FP64 on CUDA cores: dadd + dmul + 2*dfma",
               {{{thread_inst("dadd"), 1}, {thread_inst("dmul"), 1}, {thread_inst("dfma"), 2}}}});
  // Blackwell's GB100/GB110 count the packed FP32 instructions (FFMA2 on two
  // lanes of a register pair: 4 FLOPs a thread) apart from FFMA: without them
  // an sm_100 kernel that nvcc packed would read short.
  s.push_back({"flops.fp32", "FP32 on CUDA cores: fadd + fmul + 2*ffma (+ 2*fadd2 + 2*fmul2 + 4*ffma2 where counted)",
               {{{thread_inst("fadd"), 1},
                 {thread_inst("fmul"), 1},
                 {thread_inst("ffma"), 2},
                 {thread_inst("fadd2"), 2},
                 {thread_inst("fmul2"), 2},
                 {thread_inst("ffma2"), 4}},
                {{thread_inst("fadd"), 1}, {thread_inst("fmul"), 1}, {thread_inst("ffma"), 2}}}});
  s.push_back({"flops.fp16", "FP16/BF16 on CUDA cores, packed: 2*hadd + 2*hmul + 4*hfma",
               {{{thread_inst("hadd"), 2}, {thread_inst("hmul"), 2}, {thread_inst("hfma"), 4}}}});
  s.push_back({"peak.fp64_flops_per_cycle", "2 * dfma.peak_sustained (per cycle, all SMs)",
               {{{thread_inst("dfma") + ".peak_sustained", 2}}}});
  s.push_back({"peak.fp32_flops_per_cycle", "2 * ffma.peak_sustained (per cycle, all SMs)",
               {{{thread_inst("ffma") + ".peak_sustained", 2}}}});
  s.push_back({"peak.fp16_flops_per_cycle", "4 * hfma.peak_sustained (per cycle, all SMs)",
               {{{thread_inst("hfma") + ".peak_sustained", 4}}}});

  // A counter shared by several source types belongs to the first of them in
  // canonical order, whichever types were asked for: Turing's fp16 HMMA must
  // not be reported as bf16 because bf16 alone was asked.
  std::map<std::string, std::string> owner;  // counter -> tensor type
  for (const auto& t : tensor_types())
    for (const auto& c : tensor_counters(base, t)) owner.emplace(c, t);
  for (const auto& t : tensor) {
    Spec q{"flops." + t + "_tensor", t + " sources on tensor cores, dense and sparse ops", {}};
    Spec peak{"peak." + t + "_tensor_flops_per_cycle", t + " tensor ops peak_sustained (per cycle)", {}};
    Formula f;
    std::vector<std::string> own;
    std::string shared_with;
    const auto all = tensor_counters(base, t);
    for (const auto& c : all) {
      if (owner.at(c) != t) {
        shared_with = c;
        continue;
      }
      f.push_back({c + ".sum", 1});
      own.push_back(c);
    }
    if (!own.empty()) {
      // One destination variant's peak: they share the datapath, so do not add.
      std::string best = own.front();
      for (const auto& c : own)
        if (c.find("_dst_fp32") != std::string::npos) best = c;
      peak.candidates.push_back({{best + ".sum.peak_sustained", 1}});
    }
    if (!f.empty()) {
      q.candidates.push_back(f);
    } else if (!shared_with.empty()) {
      tensor_shared[q.key] = tensor_shared[peak.key] = {shared_with, owner.at(shared_with)};
    }
    if (all.empty()) {
      q.missing_note = "no sm__ops_path_tensor_src_" + t + "* counter";
      peak.missing_note = q.missing_note;
    }
    s.push_back(q);
    s.push_back(peak);
  }
}

/// bytes and roofline: DRAM, L2 and L1 bytes, with their peaks and clocks.
void add_bytes(std::vector<Spec>& s) {
  s.push_back({"dram_read_bytes", "DRAM bytes read",
               {{{"dram__bytes_read.sum", 1}}, {{"dram__bytes_op_read.sum", 1}}}});
  s.push_back({"dram_write_bytes", "DRAM bytes written",
               {{{"dram__bytes_write.sum", 1}}, {{"dram__bytes_op_write.sum", 1}}}});
  s.push_back({"l2_bytes", "L2 bytes requested (lts__t_bytes)", {{{"lts__t_bytes.sum", 1}}}});
  s.push_back({"l1_bytes", "L1/TEX bytes requested (l1tex__t_bytes)", {{{"l1tex__t_bytes.sum", 1}}}});
  s.push_back({"peak.dram_bytes_per_cycle", "dram__bytes.peak_sustained (per DRAM cycle)",
               {{{"dram__bytes.sum.peak_sustained", 1}}}});
  s.push_back({"peak.dram_clock_hz", "DRAM clock", {{{"dram__cycles_elapsed.avg.per_second", 1}}}});
  s.push_back({"peak.l2_bytes_per_cycle", "lts__t_bytes.peak_sustained (per L2 cycle)",
               {{{"lts__t_bytes.sum.peak_sustained", 1}}}});
  s.push_back({"peak.l2_clock_hz", "L2 clock", {{{"lts__cycles_elapsed.avg.per_second", 1}}}});
  s.push_back({"peak.l1_bytes_per_cycle", "l1tex__t_bytes.peak_sustained (per SM cycle)",
               {{{"l1tex__t_bytes.sum.peak_sustained", 1}}}});
}

std::vector<Spec> specs_for(MetricSet set, const std::vector<std::string>& tensor,
                            const std::vector<std::string>& base,
                            SharedCounters& tensor_shared) {
  std::vector<Spec> s;
  if (set == MetricSet::none) return s;
  add_timing(s);
  if (set == MetricSet::flops || set == MetricSet::roofline) add_flops(s, tensor, base, tensor_shared);
  if (set == MetricSet::bytes || set == MetricSet::roofline) add_bytes(s);
  return s;
}

/// A host object makes one config image, so each trial takes a new one.
int64_t passes_for(const MetricPlan& plan, const std::vector<uint8_t>& availability,
                   const std::set<std::string>& metrics) {
  if (metrics.empty()) return 0;
  cupti::HostObject host(plan.chip, availability);
  std::vector<uint8_t> image = host.config_image({metrics.begin(), metrics.end()});
  return cupti::config_passes(image);
}

/// The plan's metrics. Peaks and clocks only give the counted quantities
/// context, so one that would add a replay pass (the DRAM clock on GV100 and
/// Turing) is left out, with a note, rather than replaying every kernel again.
std::set<std::string> metrics_without_costly_peaks(MetricPlan& plan, const std::vector<uint8_t>& availability) {
  auto is_peak = [](const Quantity& q) { return q.key.rfind("peak.", 0) == 0; };
  std::set<std::string> all, counted;
  for (const Quantity& q : plan.quantities)
    for (const MetricTerm& t : q.terms) (is_peak(q) ? all : counted).insert(t.metric);
  all.insert(counted.begin(), counted.end());
  const int64_t needed = passes_for(plan, availability, counted);
  if (passes_for(plan, availability, all) == needed) return all;
  for (Quantity& q : plan.quantities) {
    if (!is_peak(q) || !q.available) continue;
    std::set<std::string> with = counted;
    for (const MetricTerm& t : q.terms) with.insert(t.metric);
    if (passes_for(plan, availability, with) == needed) {
      counted = std::move(with);
      continue;
    }
    q.available = false;
    q.terms.clear();
    q.note = "left out: it would add a replay pass on " + plan.chip;
    plan.notes.push_back(q.key + ": not collected (" + q.note + ")");
  }
  return counted;
}

}  // namespace

namespace {
bool asked_for(const std::vector<std::string>& tensor, const std::string& type) {
  return std::find(tensor.begin(), tensor.end(), type) != tensor.end();
}
}  // namespace

MetricPlan build_metric_plan(const std::string& chip, MetricSet set,
                             const std::vector<std::string>& tensor,
                             const std::vector<uint8_t>& counter_availability) {
  const auto chips = supported_chips();
  if (std::find(chips.begin(), chips.end(), chip) == chips.end())
    throw_bad_input("unknown chip '" + chip + "' (CUPTI supports: " + joined(chips, " ") + ")");
  std::vector<std::string> asked;
  for (const auto& t : tensor) {
    if (!is_tensor_type(t))
      throw_bad_input("unknown tensor type '" + t + "' (use fp64, tf32, fp16, bf16 or fp8)");
    if (std::find(asked.begin(), asked.end(), t) == asked.end()) asked.push_back(t);
  }

  MetricPlan plan;
  plan.chip = chip;
  plan.set = set;
  // Only the sets that count FLOPs count tensor types.
  if (set == MetricSet::flops || set == MetricSet::roofline) plan.tensor = canonical_order(asked);
  if (set == MetricSet::none) return plan;

  std::unique_ptr<cupti::HostObject> host_ptr;
  try {
    host_ptr = std::make_unique<cupti::HostObject>(chip, counter_availability);
  } catch (const Error& e) {
    // Listed but not profilable through the range profiler (GV11B with CUDA
    // 13.0): an empty plan that says so; callers fall back to timing. Said
    // of the chip, not of "this GPU": the plan is made offline too.
    const auto* cupti_error = dynamic_cast<const cupti::CuptiError*>(&e);
    if (cupti_error && cupti_error->result() == CUPTI_ERROR_NOT_SUPPORTED)
      plan.notes.push_back(
          "all counters: not collected: CUPTI's profiler host API does not support chip " + chip +
          " (cuptiProfilerHostInitialize returned CUPTI_ERROR_NOT_SUPPORTED); flopscope times "
          "kernels on it without counters");
    else
      plan.notes.push_back("all counters: not collected (" + std::string(e.what()) + ")");
    return plan;
  }
  cupti::HostObject& host = *host_ptr;
  const auto base = host.base_metrics();
  SharedCounters shared;
  for (const Spec& spec : specs_for(set, plan.tensor, base, shared)) {
    Quantity q;
    q.key = spec.key;
    q.description = spec.description;
    q.available = false;
    std::vector<std::string> missing;
    for (const Formula& f : spec.candidates) {
      bool ok = true;
      for (const MetricTerm& t : f)
        if (!host.has_metric(t.metric)) {
          ok = false;
          missing.push_back(t.metric);
        }
      if (ok) {
        q.terms = f;
        q.available = true;
        break;
      }
    }
    if (!q.available) {
      if (auto it = shared.find(q.key); it != shared.end())
        q.note = "counted as " + it->second.owner +
                 (asked_for(plan.tensor, it->second.owner) ? "" : " (ask for " + it->second.owner + ")") +
                 ": " + chip + " has one counter, " + it->second.counter + ", for several source types";
      else if (spec.candidates.empty())
        q.note = chip + " has " + spec.missing_note;
      else
        q.note = chip + " lacks " + joined(missing);
      plan.notes.push_back(q.key + ": not collected (" + q.note + ")");
    }
    plan.quantities.push_back(std::move(q));
  }
  if (!plan.tensor.empty())
    for (const std::string& note : narrow_tensor_notes(base)) plan.notes.push_back(note);
  const std::set<std::string> metrics = metrics_without_costly_peaks(plan, counter_availability);
  plan.metrics.assign(metrics.begin(), metrics.end());
  if (!plan.metrics.empty()) {
    plan.config_image = host.config_image(plan.metrics);
    plan.passes = cupti::config_passes(plan.config_image);
  }
  return plan;
}

HwCounters hw_counters_from_values(const std::vector<Quantity>& quantities,
                                   const std::map<std::string, double>& values) {
  HwCounters hw;
  hw.metrics = values;
  double total = 0;
  bool any_flops = false, flops_missing = false;
  for (const Quantity& q : quantities) {
    if (!q.available || q.terms.empty()) continue;
    double v = 0;
    bool complete = true;
    for (const MetricTerm& t : q.terms) {
      auto it = values.find(t.metric);
      if (it == values.end()) {
        complete = false;
        break;
      }
      v += t.factor * it->second;
    }
    if (!complete) {
      flops_missing = flops_missing || q.key.rfind("flops.", 0) == 0;
      continue;
    }
    if (q.key == "duration_s") hw.duration_s = v;
    else if (q.key == "sm_clock_hz") hw.sm_clock_hz = v;
    else if (q.key == "dram_read_bytes") hw.dram_read_bytes = v;
    else if (q.key == "dram_write_bytes") hw.dram_write_bytes = v;
    else if (q.key == "l2_bytes") hw.l2_bytes = v;
    else if (q.key == "l1_bytes") hw.l1_bytes = v;
    else if (q.key.rfind("flops.", 0) == 0) {
      hw.flops_by_pipe[q.key.substr(6)] = v;
      total += v;
      any_flops = true;
    }
  }
  // A pipe the plan counts but whose value is missing (left out as unreadable)
  // leaves the total unknown, not short by that pipe.
  if (any_flops && !flops_missing) hw.flops_total = total;
  return hw;
}

bool readable_counter_value(double v) { return std::isfinite(v) && v >= 0; }

}  // namespace flopscope
