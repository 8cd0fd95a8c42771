// Serialization and validating parse of the results format (flopscope.results/1).
#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "flopscope/results.h"
#include "flopscope/stats.h"
#include "flopscope/table.h"
#include "json_reader.h"

namespace flopscope {

using json = detail::Json;
using detail::JsonCursor;

namespace {

// The bounds a results file may hold: the reader refuses others, so the
// writer does too.
bool known_bound(const std::string& b) { return b == "memory" || b == "compute" || b == "unknown"; }

// The sum of a run's FLOPs by pipe where it has both that and a total, which
// the collector sums from the same pipes; nullopt when it has not both.
std::optional<double> pipe_sum(const HwCounters& h) {
  if (!h.flops_total || h.flops_by_pipe.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& [pipe, flops] : h.flops_by_pipe) sum += flops;
  return sum;
}
// Every digit: two values apart by rounding's margin must not print alike.
std::string exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
// Whether the pipes add up to the total, to rounding: a file whose pipes held
// three times its total showed a tensor share of 300%.
bool pipes_add_up(const HwCounters& h) {
  const std::optional<double> sum = pipe_sum(h);
  return !sum || std::fabs(*sum - *h.flops_total) <= 1e-9 * std::max(*sum, *h.flops_total);
}

void put_opt(json& j, const char* key, const std::optional<double>& v) {
  if (v) j[key] = *v;
}

json peaks_to_json(const PeakTable& t) {
  json j;
  j["source"] = t.source;
  j["flops_per_s"] = t.flops_per_s;
  j["sparse_flops_per_s"] = t.sparse_flops_per_s;
  j["dram_bytes_per_s"] = t.dram_bytes_per_s;
  if (t.l2_bytes_per_s > 0) j["l2_bytes_per_s"] = t.l2_bytes_per_s;
  if (t.l1_bytes_per_s > 0) j["l1_bytes_per_s"] = t.l1_bytes_per_s;
  return j;
}

// A peak FLOP or byte rate is 0, what a table without the figure holds (the
// datasheet of an unknown GPU), or one a device could have: a peak of 5e-324
// or 1e308 put the roofline chart's lines at infinite coordinates.
double peak_rate(const JsonCursor& c) {
  const double v = c.non_negative();
  if (v != 0 && !(v >= 1e6 && v <= 1e20)) c.fail("expected 0 (not known) or a rate from 1e6 to 1e20 per second");
  return v;
}

std::optional<double> maybe_peak_rate(const JsonCursor& c, const char* key) {
  if (auto v = c.maybe(key)) return peak_rate(*v);
  return std::nullopt;
}

// A map keyed by precision (`bf16_tensor`) of values >= 0.
std::map<std::string, double> precision_map(const JsonCursor& c) {
  for (const auto& [key, v] : c.members())
    if (!parse_precision(key))
      v.fail("unknown precision key (known: fp64, fp64_tensor, fp32, fp16, bf16, tf32_tensor, fp16_tensor, "
             "bf16_tensor, fp8_tensor, int8_tensor)");
  return c.non_negative_map();
}

// The same, of peak rates.
std::map<std::string, double> peak_map(const JsonCursor& c) {
  std::map<std::string, double> out = precision_map(c);
  for (const auto& [key, v] : c.members()) peak_rate(v);
  return out;
}

PeakTable peaks_from_json(const JsonCursor& c) {
  PeakTable t;
  t.source = c.string("source");
  t.flops_per_s = peak_map(c.at("flops_per_s"));
  if (auto s = c.maybe("sparse_flops_per_s")) t.sparse_flops_per_s = peak_map(*s);
  t.dram_bytes_per_s = peak_rate(c.at("dram_bytes_per_s"));
  t.l2_bytes_per_s = maybe_peak_rate(c, "l2_bytes_per_s").value_or(0);
  t.l1_bytes_per_s = maybe_peak_rate(c, "l1_bytes_per_s").value_or(0);
  return t;
}

// JSON has no infinity: a validation error that is not finite (the kernel's
// output held NaN or infinity) is written as null, and reads back as infinity.
json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double error_or_infinity(const JsonCursor& c) {
  return c.value().is_null() ? std::numeric_limits<double>::infinity() : c.non_negative();
}

// A run's SM clock is 0 (not known) or one a GPU runs at. compare scales
// times by the ratio of two clocks, so 1e300 MHz would read as an infinite
// change; no GPU clocks its SMs above 10 GHz.
bool plausible_sm_clock_mhz(double mhz) { return mhz == 0 || (mhz >= 1 && mhz <= 10000); }

json run_to_json(const RunRecord& r) {
  json j;
  j["id"] = r.id;
  j["family"] = r.family;
  j["variant"] = r.variant;
  j["dtype"] = r.dtype;
  j["precision"] = r.precision;
  json shape = json::object();
  for (const auto& [k, v] : r.shape) shape[k] = v;
  j["shape"] = shape;
  if (!r.name.empty()) j["name"] = r.name;
  if (!r.nvtx.empty()) j["nvtx"] = r.nvtx;
  j["launches"] = r.launches;
  j["time_s"] = {{"median", r.time_s.median},
                 {"p10", r.time_s.p10},
                 {"p90", r.time_s.p90},
                 {"samples", r.time_s.samples}};
  // A clock the reader would refuse (a failed probe) is left out, not written
  // into a file no command could read back.
  if (r.sm_clock_mhz && plausible_sm_clock_mhz(*r.sm_clock_mhz)) j["sm_clock_mhz"] = *r.sm_clock_mhz;
  if (r.power_w && *r.power_w >= 0) j["power_w"] = *r.power_w;
  if (r.clock_limits) j["clock_limits"] = *r.clock_limits;
  j["model"] = {{"flops", r.model.flops}, {"bytes", r.model.bytes}};
  if (!r.model.flops_by_part.empty()) j["model"]["flops_by_part"] = r.model.flops_by_part;
  if (r.hw) {
    const HwCounters& h = *r.hw;
    json hw = json::object();
    put_opt(hw, "flops_total", h.flops_total);
    hw["flops_by_pipe"] = h.flops_by_pipe;
    put_opt(hw, "dram_read_bytes", h.dram_read_bytes);
    put_opt(hw, "dram_write_bytes", h.dram_write_bytes);
    put_opt(hw, "l2_bytes", h.l2_bytes);
    put_opt(hw, "l1_bytes", h.l1_bytes);
    put_opt(hw, "duration_s", h.duration_s);
    put_opt(hw, "sm_clock_hz", h.sm_clock_hz);
    if (!h.metrics.empty()) hw["metrics"] = h.metrics;
    if (h.launches) hw["launches"] = *h.launches;
    j["hw"] = hw;
  }
  const Derived& d = r.derived;
  json dj = {{"peak_key", d.peak_key}, {"peak_tflops", d.peak_tflops}, {"peak_source", d.peak_source}, {"bound", d.bound}};
  // Without a model these would be 0 beside a real time: left out, as the views show "-".
  if (shows_model(r)) {
    dj["tflops_model"] = d.tflops_model;
    dj["ai_dram"] = d.ai_dram;
  }
  // Off the roofline (bound unknown: no peak) there is no percent of it, and 0
  // would read as measured.
  if (d.bound != "unknown") dj["pct_of_roof"] = d.pct_of_roof;
  put_opt(dj, "tflops_hw", d.tflops_hw);
  put_opt(dj, "mfu", d.mfu);
  put_opt(dj, "hfu", d.hfu);
  put_opt(dj, "ai_dram_hw", d.ai_dram_hw);
  j["derived"] = dj;
  if (r.validation) {
    j["validation"] = {{"max_rel_err", finite_or_null(r.validation->max_rel_err)},
                       {"rel_l2_err", finite_or_null(r.validation->rel_l2_err)},
                       {"tolerance", r.validation->tolerance},
                       {"passed", r.validation->passed}};
  }
  return j;
}

// No GPU timer resolves less than a nanosecond, so percentiles out of order by
// less than that (or by rounding) are in order: `profile` raises a median of 0
// to 1 ns and leaves p10 and p90 at 0.
bool time_above(double a, double b) { return a > b + 1e-9 + 1e-9 * b; }

// `profile_launches`: an application run's launches (profile keeps at most
// 1000 samples of them), else 0.
TimeStats time_from_json(const JsonCursor& t, int64_t profile_launches) {
  TimeStats s;
  s.median = t.at("median").positive();
  s.p10 = t.non_negative("p10");
  s.p90 = t.non_negative("p90");
  // A sample may be 0: an operation shorter than the timer's resolution.
  s.samples = t.at("samples").non_negative_array();
  // No kernel runs for days: a time of 1e308 s read as a change of +inf% and
  // printed as 309 digits.
  constexpr double kMaxSeconds = 1e6;
  const auto too_long = [](const JsonCursor& c) {
    c.fail("expected at most 1e6 s (11.6 days; no kernel runs that long), got " + c.value().dump());
  };
  for (const char* key : {"median", "p10", "p90"})
    if (t.at(key).number() > kMaxSeconds) too_long(t.at(key));
  for (size_t i = 0; i < s.samples.size(); ++i)
    if (s.samples[i] > kMaxSeconds) too_long(t.at("samples").items()[i]);
  if (time_above(s.p10, s.median))
    t.at("p10").fail("above the median (" + t.at("median").value().dump() + "); expected p10 <= median <= p90");
  if (time_above(s.median, s.p90))
    t.at("p90").fail("below the median (" + t.at("median").value().dump() + "); expected p10 <= median <= p90");
  // The summary is of the samples (stats.h's percentile): compare judges the
  // samples and check the median, so they must agree. Not where profile kept fewer samples than the
  // run's launches, whose times the summary is of (its files from before
  // 2026-12-01 kept a stride through them, which need not hold p10 or p90).
  const bool kept_fewer = profile_launches > int64_t(s.samples.size());
  if (!s.samples.empty() && !kept_fewer) {
    const std::pair<const char*, double> summary[] = {{"p10", 0.1}, {"median", 0.5}, {"p90", 0.9}};
    for (const auto& [key, q] : summary) {
      const double v = t.at(key).number(), of_samples = percentile(s.samples, q);
      if (time_above(of_samples, v) || time_above(v, of_samples))
        t.at(key).fail("not the samples' (" + json(of_samples).dump() +
                       "); expected the percentile of time_s.samples, as flopscope writes it");
    }
  }
  return s;
}

std::optional<double> sm_clock_from_json(const JsonCursor& run) {
  const auto mhz = run.maybe_non_negative("sm_clock_mhz");
  if (mhz && !plausible_sm_clock_mhz(*mhz))
    run.at("sm_clock_mhz").fail("expected 0 (not known) or 1 to 10000 MHz, got " +
                                run.at("sm_clock_mhz").value().dump());
  return mhz;
}

// Every count, size, rate and figure in a run is >= 0; a copy kernel has 0
// FLOPs, an unknown peak is 0. Raw counter values (`hw.metrics`) are kept as
// the hardware gave them.
RunRecord run_from_json(const JsonCursor& c) {
  c.require_object();
  RunRecord r;
  r.id = c.string("id");
  r.family = c.string("family");
  r.variant = c.string("variant");
  r.dtype = c.string("dtype");
  r.precision = c.string("precision");
  if (!parse_precision(r.precision))
    c.at("precision").fail("unknown precision '" + r.precision + "' (a key such as fp32 or bf16_tensor)");
  // Sizes, 0/1 flags and indices (`device`: 0): zero is allowed, not negative.
  for (const auto& [key, dim] : c.at("shape").members())
    r.shape.emplace_back(key, dim.integer_in(0, INT64_MAX, "an integer >= 0"));
  r.name = c.string_or("name", "");
  r.nvtx = c.string_or("nvtx", "");
  if (auto l = c.maybe("launches")) r.launches = l->integer_in(1, INT64_MAX, "an integer >= 1");
  r.time_s = time_from_json(c.at("time_s"), r.family == "app" ? r.launches : 0);
  r.sm_clock_mhz = sm_clock_from_json(c);
  r.power_w = c.maybe_non_negative("power_w");
  if (auto limits = c.maybe("clock_limits")) {
    r.clock_limits.emplace();
    for (const JsonCursor& name : limits->items()) r.clock_limits->push_back(name.string());
  }
  auto m = c.at("model");
  r.model.flops = m.non_negative("flops");
  r.model.bytes = m.non_negative("bytes");
  if (auto p = m.maybe("flops_by_part")) r.model.flops_by_part = p->non_negative_map();
  if (auto h = c.maybe("hw")) {
    HwCounters hw;
    hw.flops_total = h->maybe_non_negative("flops_total");
    if (auto p = h->maybe("flops_by_pipe")) hw.flops_by_pipe = precision_map(*p);
    hw.dram_read_bytes = h->maybe_non_negative("dram_read_bytes");
    hw.dram_write_bytes = h->maybe_non_negative("dram_write_bytes");
    hw.l2_bytes = h->maybe_non_negative("l2_bytes");
    hw.l1_bytes = h->maybe_non_negative("l1_bytes");
    hw.duration_s = h->maybe_non_negative("duration_s");
    hw.sm_clock_hz = h->maybe_non_negative("sm_clock_hz");
    if (auto mm = h->maybe("metrics")) hw.metrics = mm->number_map();
    if (auto l = h->maybe("launches"))
      hw.launches = l->integer_in(1, r.launches, "an integer from 1 to the run's launches (" +
                                                     std::to_string(r.launches) + ")");
    if (!pipes_add_up(hw))
      h->at("flops_by_pipe").fail("the pipes add up to " + exact(*pipe_sum(hw)) + " FLOPs, not flops_total " +
                                  exact(*hw.flops_total));
    r.hw = hw;
  }
  auto d = c.at("derived");
  // Written only for a run with a model; files from before 2026-12-01 have
  // them (0) for the others too.
  const bool modelled = shows_model(r);
  if (modelled || d.has("tflops_model")) r.derived.tflops_model = d.non_negative("tflops_model");
  r.derived.tflops_hw = d.maybe_non_negative("tflops_hw");
  r.derived.mfu = d.maybe_non_negative("mfu");
  r.derived.hfu = d.maybe_non_negative("hfu");
  r.derived.peak_key = d.string("peak_key");
  r.derived.peak_tflops = d.non_negative("peak_tflops");
  r.derived.peak_source = d.string("peak_source");
  if (modelled || d.has("ai_dram")) r.derived.ai_dram = d.non_negative("ai_dram");
  r.derived.ai_dram_hw = d.maybe_non_negative("ai_dram_hw");
  r.derived.bound = d.string("bound");
  if (!known_bound(r.derived.bound))
    d.at("bound").fail("expected \"memory\", \"compute\" or \"unknown\"");
  // Written only for a run on the roofline; files from before 2026-12-01 have
  // it (0) where the bound is unknown too.
  if (r.derived.bound != "unknown" || d.has("pct_of_roof")) r.derived.pct_of_roof = d.non_negative("pct_of_roof");
  if (auto v = c.maybe("validation")) {
    Validation val;
    val.max_rel_err = error_or_infinity(v->at("max_rel_err"));
    val.rel_l2_err = v->has("rel_l2_err") ? error_or_infinity(v->at("rel_l2_err")) : 0;
    val.tolerance = v->non_negative("tolerance");
    val.passed = v->at("passed").boolean();
    // A pass is what the errors say (a hand edit could claim one for NaN
    // output). The failing error named, as the file writes it.
    if (val.passed && !val.errors_within_tolerance()) {
      const std::string tol = v->at("tolerance").value().dump();
      v->at("passed").fail(val.max_rel_err > Validation::kMaxElementFactor * val.tolerance
                               ? "true, but max_rel_err " + v->at("max_rel_err").value().dump() +
                                     " is over " + fmt_sig(Validation::kMaxElementFactor, 3) +
                                     " x the tolerance " + tol + ": a failed validation"
                               : "true, but rel_l2_err " + v->at("rel_l2_err").value().dump() +
                                     " is over the tolerance " + tol + ": a failed validation");
    }
    r.validation = val;
  }
  return r;
}

json device_to_json(const DeviceInfo& d) {
  json j = {{"name", d.name},
          {"gpu_key", d.gpu_key},
          {"cc", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)},
          {"sm_count", d.sm_count},
          {"max_sm_clock_mhz", d.max_sm_clock_mhz},
          {"memory_bytes", d.memory_bytes},
          {"driver_version", d.driver_version},
          {"cuda_runtime_version", d.cuda_runtime_version}};
  if (!d.nvidia_driver.empty()) j["nvidia_driver"] = d.nvidia_driver;
  return j;
}

// "9.0": two whole numbers >= 0, nothing else.
bool parse_cc(const std::string& cc, int& major, int& minor) {
  const char* end = cc.data() + cc.size();
  auto a = std::from_chars(cc.data(), end, major);
  if (a.ec != std::errc() || a.ptr == end || *a.ptr != '.') return false;
  auto b = std::from_chars(a.ptr + 1, end, minor);
  return b.ec == std::errc() && b.ptr == end && major >= 0 && minor >= 0;
}

DeviceInfo device_from_json(const JsonCursor& c) {
  DeviceInfo d;
  d.name = c.string("name");
  d.gpu_key = c.string_or("gpu_key", "");
  if (!parse_cc(c.string("cc"), d.cc_major, d.cc_minor)) c.at("cc").fail("expected \"major.minor\", e.g. \"9.0\"");
  d.sm_count = int(c.at("sm_count").integer_in(0, INT_MAX, "an integer >= 0"));
  d.max_sm_clock_mhz = c.maybe_non_negative("max_sm_clock_mhz").value_or(0);
  d.memory_bytes = c.maybe_non_negative("memory_bytes").value_or(0);
  d.driver_version = c.string_or("driver_version", "");
  d.cuda_runtime_version = c.string_or("cuda_runtime_version", "");
  d.nvidia_driver = c.string_or("nvidia_driver", "");
  return d;
}

}  // namespace

std::string to_json_text(const ResultsDoc& doc, int indent) {
  // A document holding one run twice, which parse_results refuses, is never
  // written (its other rules hold for what flopscope computes).
  if (const auto rep = first_repeated_run(doc.runs))
    throw_bad_input("results not written: runs[" + std::to_string(rep->first) + "] and runs[" +
                    std::to_string(rep->second) + "] are the same run (" + run_key_label(doc.runs[rep->second]) +
                    "), and a results file holds each run once");
  // Nor one whose derived figures the reader refuses: a library caller's run
  // that overflowed (written as null) or was never derived (no bound).
  for (size_t i = 0; i < doc.runs.size(); ++i) {
    const Derived& d = doc.runs[i].derived;
    const std::string which = "results not written: runs[" + std::to_string(i) + "] (" + run_key_label(doc.runs[i]) + ")";
    if (!derived_is_finite(d))
      throw_bad_input(which + ": a derived figure is not finite (its FLOPs or bytes over its time overflow)");
    if (!known_bound(d.bound))
      throw_bad_input(which + ": derived.bound is '" + d.bound +
                      "', not memory, compute or unknown (call compute_derived before writing)");
    if (doc.runs[i].hw && !pipes_add_up(*doc.runs[i].hw))
      throw_bad_input(which + ": hw.flops_by_pipe does not add up to hw.flops_total");
  }
  json j;
  j["schema"] = doc.schema;
  j["tool"] = {{"name", "flopscope"}, {"version", doc.tool_version}, {"commit", doc.tool_commit}};
  j["created"] = doc.created;
  if (doc.device) j["device"] = device_to_json(*doc.device);
  j["peaks"]["datasheet"] = peaks_to_json(doc.peaks.datasheet);
  if (doc.peaks.measured) j["peaks"]["measured"] = peaks_to_json(*doc.peaks.measured);
  j["runs"] = json::array();
  for (const auto& r : doc.runs) j["runs"].push_back(run_to_json(r));
  return j.dump(indent) + "\n";
}

ResultsDoc parse_results(const std::string& text, const std::string& origin) {
  const json j = detail::parse_json_text(text, origin);
  JsonCursor root(j, "$", origin);
  root.require_object();
  ResultsDoc doc;
  doc.schema = root.string("schema");
  if (doc.schema != kResultsSchema)
    root.at("schema").fail("unsupported schema '" + doc.schema + "', this flopscope reads '" +
                           kResultsSchema + "'");
  auto tool = root.at("tool");
  doc.tool_version = tool.string("version");
  doc.tool_commit = tool.string_or("commit", "");
  doc.created = root.string_or("created", "");
  if (auto d = root.maybe("device")) doc.device = device_from_json(*d);
  auto peaks = root.at("peaks");
  doc.peaks.datasheet = peaks_from_json(peaks.at("datasheet"));
  if (auto m = peaks.maybe("measured")) doc.peaks.measured = peaks_from_json(*m);
  // compare matches runs by run_key, so a file holds each key once.
  const auto runs = root.at("runs").items();
  for (const auto& r : runs) doc.runs.push_back(run_from_json(r));
  if (const auto rep = first_repeated_run(doc.runs))
    runs[rep->second].fail("the same kernel id, shape and NVTX path as $.runs[" + std::to_string(rep->first) +
                           "] (" + run_key_label(doc.runs[rep->second]) +
                           "); a results file holds each once: keep one of them");
  // The file's `derived` blocks were checked above; what is shown is derived
  // again from the raw fields, as the charts and comparisons are.
  recompute_derived(doc);
  for (size_t i = 0; i < doc.runs.size(); ++i)
    if (!derived_is_finite(doc.runs[i].derived))
      runs[i].fail("its FLOPs or bytes over its median time overflow (a figure derived from them is not finite)");
  return doc;
}

}  // namespace flopscope
