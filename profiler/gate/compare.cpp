// `flopscope compare`: match the runs of two results files and judge each
// pair on its work (deterministic counts) and its time (statistics).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "flopscope/error.h"
#include "flopscope/table.h"  // joined
#include "flopscope/gate.h"

namespace flopscope {

namespace {

template <class E>
struct Named {
  E value;
  const char* name;
};
constexpr Named<ClockPolicy> kClockPolicies[] = {
    {ClockPolicy::flag, "flag"}, {ClockPolicy::normalize, "normalize"}, {ClockPolicy::ignore, "ignore"}};
constexpr Named<WorkGate> kWorkGates[] = {
    {WorkGate::increase, "increase"}, {WorkGate::any, "any"}, {WorkGate::none, "none"}};

template <class E, size_t N>
const char* name_of(E v, const Named<E> (&table)[N]) {
  for (const auto& e : table)
    if (e.value == v) return e.name;
  return "?";
}

template <class E, size_t N>
std::optional<E> value_of(const std::string& s, const Named<E> (&table)[N]) {
  for (const auto& e : table)
    if (s == e.name) return e.value;
  return std::nullopt;
}

}  // namespace

const char* to_string(ClockPolicy p) { return name_of(p, kClockPolicies); }
std::optional<ClockPolicy> parse_clock_policy(const std::string& s) {
  return value_of(s, kClockPolicies);
}
const char* to_string(WorkGate g) { return name_of(g, kWorkGates); }
std::optional<WorkGate> parse_work_gate(const std::string& s) { return value_of(s, kWorkGates); }

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::ok: return "no regression";
    case Outcome::regression: return "regression";
    case Outcome::inconclusive: return "inconclusive";
  }
  return "?";
}

namespace {

/// Refuses a --min-samples below which no verdict could ever be reached:
/// both intervals must exist (6 samples each at 99%), and never fewer than 5.
void check_min_samples(const GateOptions& o) {
  const double widest = std::max(o.confidence, o.equivalence_confidence);
  const int least = least_min_samples(o);
  if (o.min_samples >= least) return;
  std::string s = "--min-samples must be at least " + std::to_string(least);
  if (least > 5) {
    char conf[32];
    std::snprintf(conf, sizeof conf, "%.6g%%", widest * 100);
    s.append(" at ").append(conf).append(" confidence: with fewer samples the interval flopscope computes "
                                         "does not exist, so no verdict could be reached (or lower --confidence)");
  }
  throw_bad_input(s);
}

}  // namespace

int least_min_samples(const GateOptions& o) {
  return std::max(5, min_samples_for_interval(std::max(o.confidence, o.equivalence_confidence)));
}

void validate(const GateOptions& o) {
  auto need = [](bool ok, const char* what) {
    if (!ok) throw_bad_input(what);
  };
  need(o.threshold > 0 && o.threshold < 10, "--threshold must be a percentage from 0.5 to below 1000 (e.g. 5)");
  // 0.05 meant as a fraction is 0.05%: below what timings resolve, it makes
  // nearly every run "slower" or "faster" and none unchanged.
  if (o.threshold < 0.005) {
    char given[32];
    std::snprintf(given, sizeof given, "%g", o.threshold * 100);
    throw_bad_input(std::string("--threshold is a percentage: ") + given + " is " + given +
                    "%, below the 0.5% timings resolve; for 5% write 5");
  }
  need(o.confidence > 0.5 && o.confidence <= kMaxConfidence,
       "--confidence must lie above 50 and at most 99.9999 percent");
  need(o.equivalence_confidence > 0.5 && o.equivalence_confidence <= kMaxConfidence,
       "the equivalence confidence must lie above 50 and at most 99.9999 percent");
  check_min_samples(o);
  need(o.bimodal_min_fraction > 0 && o.bimodal_min_fraction < 0.5,
       "the bimodal minimum fraction must lie in (0, 0.5)");
  need(o.bimodal_min_separation > 0, "the bimodal separation must be positive");
  need(o.flops_tolerance >= 0 && o.bytes_tolerance >= 0 && o.flops_tolerance <= 10 && o.bytes_tolerance <= 10,
       "--flops-tolerance and --bytes-tolerance must be percentages from 0 to 1000");
  need(o.clock_tolerance >= 0, "--clock-tolerance must not be negative");
}

std::string RunKey::label() const { return run_key_text(id, shape, nvtx); }

RunKey run_key_of(const RunRecord& r) { return RunKey{r.id, r.shape, distinguishing_nvtx(r)}; }


bool RunComparison::work_changed() const {
  return std::any_of(work.begin(), work.end(), [](const WorkDelta& w) { return w.changed; });
}

bool RunComparison::work_regression() const {
  return std::any_of(work.begin(), work.end(), [](const WorkDelta& w) { return w.gated; });
}

int CompareReport::count(Verdict v) const {
  return int(std::count_if(runs.begin(), runs.end(),
                           [v](const RunComparison& r) { return r.timing.verdict == v; }));
}

Outcome CompareReport::outcome() const {
  bool inconclusive = !only_in_baseline.empty();
  for (const auto& r : runs) {
    if (r.regression()) return Outcome::regression;
    inconclusive = inconclusive || r.inconclusive();
  }
  return inconclusive ? Outcome::inconclusive : Outcome::ok;
}

namespace {

std::map<std::string, size_t> index_runs(const ResultsDoc& doc, const std::string& origin) {
  if (doc.runs.empty()) throw_bad_input(origin + ": no runs to compare");
  std::map<std::string, size_t> idx;
  for (size_t i = 0; i < doc.runs.size(); ++i) {
    // 0 is a reading below the timer's resolution (compare_timings says so);
    // a negative or non-finite one is a broken file.
    for (double t : doc.runs[i].time_s.samples)
      if (!(t >= 0) || !std::isfinite(t))
        throw_bad_input(origin + ": runs[" + std::to_string(i) + "] (" + run_key_label(doc.runs[i]) +
                        "): a timing sample is negative or not a number: re-measure, or remove the run");
    auto [it, fresh] = idx.emplace(run_key(doc.runs[i]), i);
    if (!fresh)
      throw_bad_input(origin + ": runs[" + std::to_string(it->second) + "] and runs[" +
                      std::to_string(i) + "] are the same kernel, shape and NVTX path (" +
                      run_key_label(doc.runs[i]) + "); keep one of them");
  }
  return idx;
}

std::string fmt(const char* f, double a, double b) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

void add_delta(RunComparison& rc, const std::string& quantity, std::optional<double> base,
               std::optional<double> cur, double tol, bool gate_quantity, WorkGate gate) {
  if (!base || !cur) {
    // A gated quantity on one side only is check_gated_present's to report.
    if ((base || cur) && !gate_quantity)
      rc.notes.push_back(quantity + " only in the " + (base ? "baseline" : "current") + " run: not compared");
    return;
  }
  WorkDelta d;
  d.quantity = quantity;
  d.base = *base;
  d.cur = *cur;
  d.tolerance = tol;
  const double scale = std::max(std::fabs(d.base), std::fabs(d.cur));
  d.changed = scale > 0 && std::fabs(d.cur - d.base) > tol * std::fabs(d.base);
  d.gated = d.changed && gate_quantity &&
            (gate == WorkGate::any || (gate == WorkGate::increase && d.cur > d.base));
  rc.work.push_back(d);
}

/// A quantity the work gate judges, as one run recorded it.
struct GatedQuantity {
  const char* name;
  std::optional<double> value;
  bool is_flops;  ///< else bytes: which tolerance applies
};
/// The only place that says which quantities are gated: the totals. The
/// split by pipe and by level is reported, never gated.
std::vector<GatedQuantity> gated_quantities(const RunRecord& r) {
  const HwCounters* hw = r.hw ? &*r.hw : nullptr;
  return {{"hw.flops_total", hw ? hw->flops_total : std::nullopt, true},
          {"hw.dram_bytes", hw ? hw->dram_bytes() : std::nullopt, false}};
}

/// A gated quantity on one side only cannot be compared. Missing from the
/// current run, it is work the gate could not check, so the run cannot pass
/// (a counter dropped from the current run must not hide more work).
void check_gated_present(RunComparison& rc, const RunRecord& b, const RunRecord& c,
                         const GateOptions& o) {
  if (o.work_gate == WorkGate::none) return;
  const auto base = gated_quantities(b), cur = gated_quantities(c);
  std::vector<std::string> only_current;
  for (size_t i = 0; i < base.size(); ++i) {
    if (base[i].value && !cur[i].value) rc.work_unchecked.push_back(base[i].name);
    if (!base[i].value && cur[i].value && b.hw) only_current.push_back(cur[i].name);
  }
  if (!rc.work_unchecked.empty())
    rc.notes.push_back(joined(rc.work_unchecked) + " in the baseline but not in the current run: " +
                       "not checked by the work gate, so the run is inconclusive");
  if (!only_current.empty())
    rc.notes.push_back(joined(only_current) + " in the current run only: not compared");
}

void compare_work(RunComparison& rc, const RunRecord& b, const RunRecord& c, const GateOptions& o) {
  // Model figures come from formulas: a change means the problem or the FLOP
  // convention changed, not the kernel. Reported, never gated.
  // A run without a model (a raw counter file's) has nothing to set beside the other's.
  if (has_model(b) && has_model(c)) {
    add_delta(rc, "model.flops", b.model.flops, c.model.flops, o.flops_tolerance, false, o.work_gate);
    add_delta(rc, "model.bytes", b.model.bytes, c.model.bytes, o.bytes_tolerance, false, o.work_gate);
    if (!rc.work.empty() && rc.work[0].changed)
      rc.notes.push_back("model FLOPs changed: the problem or the FLOP convention differs, so "
                         "MFU is not comparable");
  } else if (has_model(b) != has_model(c)) {
    rc.notes.push_back(std::string(has_model(b) ? "the current" : "the baseline") +
                       " run has no analytic model (a raw counter file's run): model figures not compared");
  }
  if (b.launches != c.launches)
    rc.notes.push_back("launches per record changed from " + std::to_string(b.launches) + " to " +
                       std::to_string(c.launches));
  check_gated_present(rc, b, c, o);
  if (!b.hw || !c.hw) {
    if (b.hw || c.hw)
      rc.notes.push_back(std::string("hardware counters only in the ") +
                         (b.hw ? "baseline" : "current") + " run: executed work not compared");
    return;
  }
  const HwCounters &hb = *b.hw, &hc = *c.hw;
  // Totals gate; the split by pipe and by level shows where work moved.
  const auto gb = gated_quantities(b), gc = gated_quantities(c);
  for (size_t i = 0; i < gb.size(); ++i)
    add_delta(rc, gb[i].name, gb[i].value, gc[i].value, gb[i].is_flops ? o.flops_tolerance : o.bytes_tolerance,
              true, o.work_gate);
  // A pipe a run counted reads 0 when it did nothing; one missing was not
  // counted (another metric set or tensor types), which is not 0.
  std::set<std::string> pipes;
  for (const auto* by_pipe : {&hb.flops_by_pipe, &hc.flops_by_pipe})
    for (const auto& [k, v] : *by_pipe) pipes.insert(k);
  auto pipe_of = [](const std::map<std::string, double>& by_pipe, const std::string& k) {
    const auto it = by_pipe.find(k);
    return it == by_pipe.end() ? std::nullopt : std::optional<double>(it->second);
  };
  for (const std::string& k : pipes)
    add_delta(rc, "hw.flops." + k, pipe_of(hb.flops_by_pipe, k), pipe_of(hc.flops_by_pipe, k), o.flops_tolerance,
              false, o.work_gate);
  add_delta(rc, "hw.dram_read_bytes", hb.dram_read_bytes, hc.dram_read_bytes, o.bytes_tolerance,
            false, o.work_gate);
  add_delta(rc, "hw.dram_write_bytes", hb.dram_write_bytes, hc.dram_write_bytes,
            o.bytes_tolerance, false, o.work_gate);
  add_delta(rc, "hw.l2_bytes", hb.l2_bytes, hc.l2_bytes, o.bytes_tolerance, false, o.work_gate);
  add_delta(rc, "hw.l1_bytes", hb.l1_bytes, hc.l1_bytes, o.bytes_tolerance, false, o.work_gate);
}

void compare_time(RunComparison& rc, const RunRecord& b, const RunRecord& c, const GateOptions& o) {
  rc.base_clock_mhz = b.sm_clock_mhz;
  rc.cur_clock_mhz = c.sm_clock_mhz;
  // A clock of 0 is one the run did not know: the same as none.
  auto recorded = [](const std::optional<double>& mhz) { return mhz && *mhz > 0; };
  const bool in_base = recorded(b.sm_clock_mhz), in_cur = recorded(c.sm_clock_mhz);
  if (o.clock == ClockPolicy::ignore || !in_base || !in_cur) {
    // Unguarded by clocks, a hotter multi-state runner would read as slower
    // state for state: two bimodal runs' verdict needs every mode to agree.
    GateOptions unguarded = o;
    unguarded.pair_states = false;
    rc.timing = compare_timings(b.time_s.samples, c.time_s.samples, unguarded);
    if (o.clock != ClockPolicy::ignore)
      rc.notes.push_back(std::string("SM clock not recorded in ") +
                         (!in_base && !in_cur ? "either run"
                          : !in_base          ? "the baseline run"
                                              : "the current run") +
                         ": clock changes cannot be ruled out");
    return;
  }
  const double fb = *b.sm_clock_mhz, fc = *c.sm_clock_mhz;
  // Current times as they would be at the baseline clock, were the kernel
  // bound by the SM clock (compute-bound); memory-bound kernels sit between.
  std::vector<double> scaled = c.time_s.samples;
  for (double& s : scaled) s *= fc / fb;
  const bool differs = std::fabs(fc / fb - 1) > o.clock_tolerance;
  // Within the tolerance the clocks count as one, for every policy (docs/ci.md):
  // scaling there moved a 6% slowdown at clocks 1.9% apart to "unchanged", unsaid.
  if (o.clock == ClockPolicy::normalize && differs) {
    rc.timing = compare_timings(b.time_s.samples, scaled, o, fc / fb);
    rc.notes.push_back(fmt("the SM clock went from %.0f to %.0f MHz: current times scaled to the "
                           "baseline clock", fb, fc));
    return;
  }
  rc.timing = compare_timings(b.time_s.samples, c.time_s.samples, o);
  if (!differs) return;
  const std::string clocks = fmt("the SM clock went from %.0f to %.0f MHz", fb, fc);
  const TimingComparison at_base_clock = compare_timings(b.time_s.samples, scaled, o, fc / fb);
  if (at_base_clock.verdict == rc.timing.verdict) {
    rc.notes.push_back(clocks + ": the verdict holds at either clock");
  } else if (rc.timing.verdict == Verdict::inconclusive) {
    // Already inconclusive for its own reason (bimodal, noisy), which the
    // clock does not explain: that reason stays, the clock is a note.
    rc.notes.push_back(clocks + " (at the baseline clock the verdict would be " + to_string(at_base_clock.verdict) +
                       ")");
  } else {
    rc.timing.verdict = Verdict::inconclusive;
    rc.timing.reason = clocks + ", which could explain this (at the baseline clock it would be " +
                       to_string(at_base_clock.verdict) +
                       "); lock clocks (nvidia-smi -lgc) or pass --clock normalize";
  }
}

/// NVML's clock-limit reasons while the current run was timed, where the
/// baseline's were others: a slowdown may be the runner's, not the kernel's.
void compare_clock_limits(RunComparison& rc, const RunRecord& b, const RunRecord& c) {
  if (!c.clock_limits || c.clock_limits->empty()) return;
  std::vector<std::string> cur = *c.clock_limits, base = b.clock_limits.value_or(std::vector<std::string>{});
  std::sort(cur.begin(), cur.end());
  std::sort(base.begin(), base.end());
  if (cur == base) return;
  rc.notes.push_back("the current run's clocks were limited (" + joined(cur) + ") while it was timed; the baseline's " +
                     (base.empty() ? std::string(b.clock_limits ? "were not" : "limits were not recorded")
                                   : "by " + joined(base)));
}

/// Wrong results fail the gate. A baseline that was validated and a current
/// run that was not is said: wrong results cannot be ruled out.
void compare_validation(RunComparison& rc, const RunRecord& b, const RunRecord& c) {
  rc.validation_failed = c.validation && !c.validation->passed;
  if (rc.validation_failed)
    rc.notes.push_back("validation failed in the current run");
  else if (b.validation && !c.validation)
    rc.notes.push_back("validated in the baseline run but not in the current run: wrong results "
                       "cannot be ruled out");
}

}  // namespace

CompareReport compare_results(const ResultsDoc& baseline, const ResultsDoc& current,
                              const GateOptions& opt, const std::string& baseline_origin,
                              const std::string& current_origin) {
  validate(opt);
  if (baseline.schema != current.schema)
    throw_bad_input("schema versions differ: " + baseline_origin + " is '" + baseline.schema +
                    "', " + current_origin + " is '" + current.schema + "'");
  CompareReport rep;
  rep.baseline_origin = baseline_origin;
  rep.current_origin = current_origin;
  rep.options = opt;
  rep.baseline_device = baseline.device ? device_label(*baseline.device) : "";
  rep.current_device = current.device ? device_label(*current.device) : "";
  const auto bidx = index_runs(baseline, baseline_origin);
  const auto cidx = index_runs(current, current_origin);

  if (!baseline.device || !current.device) {
    const char* which = !baseline.device && !current.device ? "neither file records a device"
                        : !baseline.device                  ? "the baseline file records no device"
                                                            : "the current file records no device";
    rep.warnings.push_back(std::string(which) + ": cannot tell whether both ran on the same GPU");
  } else {
    const DeviceInfo &db = *baseline.device, &dc = *current.device;
    // The SM counts too where the labels read alike (a MIG slice has the GPU's name).
    const bool by_sms = rep.baseline_device == rep.current_device;
    if (!same_gpu(db, dc))
      rep.warnings.push_back("different GPUs: the baseline ran on " + device_label(db, by_sms) +
                             ", the current on " + device_label(dc, by_sms) +
                             "; timings compare the GPUs as much as the code");
    else if (!db.nvidia_driver.empty() && !dc.nvidia_driver.empty() ? db.nvidia_driver != dc.nvidia_driver
                                                                     : db.driver_version != dc.driver_version)
      rep.warnings.push_back("different drivers: " + driver_text(db) + " (baseline) vs " + driver_text(dc) +
                             " (current)");
  }

  for (const auto& c : current.runs) {
    auto it = bidx.find(run_key(c));
    if (it == bidx.end()) {
      rep.only_in_current.push_back(run_key_of(c));
      continue;
    }
    const RunRecord& b = baseline.runs[it->second];
    RunComparison rc;
    rc.key = run_key_of(c);
    compare_work(rc, b, c, opt);
    compare_time(rc, b, c, opt);
    compare_clock_limits(rc, b, c);
    compare_validation(rc, b, c);
    rep.runs.push_back(std::move(rc));
  }
  for (const auto& b : baseline.runs)
    if (!cidx.count(run_key(b))) rep.only_in_baseline.push_back(run_key_of(b));
  if (rep.runs.empty())
    throw_bad_input("no run of " + current_origin + " matches a run of " + baseline_origin +
                    " by kernel id, shape and NVTX path (e.g. baseline " + run_key_label(baseline.runs[0]) +
                    ", current " + run_key_label(current.runs[0]) + ")");
  return rep;
}

}  // namespace flopscope
