// Serialization and validating parse of the results format (flopscope.results/1).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "flopscope/results.h"
#include "json_reader.h"

namespace flopscope {

using json = detail::Json;
using detail::JsonCursor;

namespace {

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

PeakTable peaks_from_json(const JsonCursor& c) {
  PeakTable t;
  t.source = c.string("source");
  t.flops_per_s = c.at("flops_per_s").number_map();
  if (auto s = c.maybe("sparse_flops_per_s")) t.sparse_flops_per_s = s->number_map();
  t.dram_bytes_per_s = c.number("dram_bytes_per_s");
  t.l2_bytes_per_s = c.maybe_number("l2_bytes_per_s").value_or(0);
  t.l1_bytes_per_s = c.maybe_number("l1_bytes_per_s").value_or(0);
  for (const auto& [key, v] : t.flops_per_s)
    if (!parse_precision(key)) c.at("flops_per_s").at(key).fail("unknown precision key");
  return t;
}

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
  put_opt(j, "sm_clock_mhz", r.sm_clock_mhz);
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
    j["hw"] = hw;
  }
  const Derived& d = r.derived;
  json dj = {{"tflops_model", d.tflops_model}, {"peak_key", d.peak_key},
             {"peak_tflops", d.peak_tflops},   {"peak_source", d.peak_source},
             {"ai_dram", d.ai_dram},           {"bound", d.bound},
             {"pct_of_roof", d.pct_of_roof}};
  put_opt(dj, "tflops_hw", d.tflops_hw);
  put_opt(dj, "mfu", d.mfu);
  put_opt(dj, "hfu", d.hfu);
  put_opt(dj, "ai_dram_hw", d.ai_dram_hw);
  j["derived"] = dj;
  if (r.validation) {
    j["validation"] = {{"max_rel_err", r.validation->max_rel_err},
                       {"rel_l2_err", r.validation->rel_l2_err},
                       {"tolerance", r.validation->tolerance},
                       {"passed", r.validation->passed}};
  }
  return j;
}

RunRecord run_from_json(const JsonCursor& c) {
  c.require_object();
  RunRecord r;
  r.id = c.string("id");
  r.family = c.string("family");
  r.variant = c.string("variant");
  r.dtype = c.string("dtype");
  r.precision = c.string("precision");
  if (!parse_precision(r.precision)) c.at("precision").fail("unknown precision '" + r.precision + "'");
  auto shape = c.at("shape");
  shape.require_object();
  for (auto it = shape.value().begin(); it != shape.value().end(); ++it)
    r.shape.emplace_back(it.key(), shape.at(it.key()).integer());
  r.name = c.string_or("name", "");
  r.nvtx = c.string_or("nvtx", "");
  if (auto l = c.maybe("launches")) r.launches = l->integer();
  auto t = c.at("time_s");
  r.time_s.median = t.number("median");
  r.time_s.p10 = t.number("p10");
  r.time_s.p90 = t.number("p90");
  for (const auto& s : t.at("samples").items()) r.time_s.samples.push_back(s.number());
  if (!(r.time_s.median > 0)) t.at("median").fail("must be positive");
  r.sm_clock_mhz = c.maybe_number("sm_clock_mhz");
  auto m = c.at("model");
  r.model.flops = m.number("flops");
  r.model.bytes = m.number("bytes");
  if (r.model.flops < 0) m.at("flops").fail("must not be negative");
  if (r.model.bytes < 0) m.at("bytes").fail("must not be negative");
  if (auto p = m.maybe("flops_by_part")) r.model.flops_by_part = p->number_map();
  if (auto h = c.maybe("hw")) {
    HwCounters hw;
    hw.flops_total = h->maybe_number("flops_total");
    if (auto p = h->maybe("flops_by_pipe")) hw.flops_by_pipe = p->number_map();
    hw.dram_read_bytes = h->maybe_number("dram_read_bytes");
    hw.dram_write_bytes = h->maybe_number("dram_write_bytes");
    hw.l2_bytes = h->maybe_number("l2_bytes");
    hw.l1_bytes = h->maybe_number("l1_bytes");
    hw.duration_s = h->maybe_number("duration_s");
    hw.sm_clock_hz = h->maybe_number("sm_clock_hz");
    if (auto mm = h->maybe("metrics")) hw.metrics = mm->number_map();
    r.hw = hw;
  }
  auto d = c.at("derived");
  r.derived.tflops_model = d.number("tflops_model");
  r.derived.tflops_hw = d.maybe_number("tflops_hw");
  r.derived.mfu = d.maybe_number("mfu");
  r.derived.hfu = d.maybe_number("hfu");
  r.derived.peak_key = d.string("peak_key");
  r.derived.peak_tflops = d.number("peak_tflops");
  r.derived.peak_source = d.string("peak_source");
  r.derived.ai_dram = d.number("ai_dram");
  r.derived.ai_dram_hw = d.maybe_number("ai_dram_hw");
  r.derived.bound = d.string("bound");
  if (r.derived.bound != "memory" && r.derived.bound != "compute" && r.derived.bound != "unknown")
    d.at("bound").fail("expected \"memory\", \"compute\" or \"unknown\"");
  r.derived.pct_of_roof = d.number("pct_of_roof");
  if (auto v = c.maybe("validation")) {
    Validation val;
    val.max_rel_err = v->number("max_rel_err");
    val.rel_l2_err = v->maybe_number("rel_l2_err").value_or(0);
    val.tolerance = v->number("tolerance");
    val.passed = v->at("passed").boolean();
    r.validation = val;
  }
  return r;
}

json device_to_json(const DeviceInfo& d) {
  return {{"name", d.name},
          {"gpu_key", d.gpu_key},
          {"cc", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)},
          {"sm_count", d.sm_count},
          {"max_sm_clock_mhz", d.max_sm_clock_mhz},
          {"memory_bytes", d.memory_bytes},
          {"driver_version", d.driver_version},
          {"cuda_runtime_version", d.cuda_runtime_version}};
}

DeviceInfo device_from_json(const JsonCursor& c) {
  DeviceInfo d;
  d.name = c.string("name");
  d.gpu_key = c.string_or("gpu_key", "");
  const std::string cc = c.string("cc");
  if (std::sscanf(cc.c_str(), "%d.%d", &d.cc_major, &d.cc_minor) != 2)
    c.at("cc").fail("expected \"major.minor\"");
  d.sm_count = int(c.at("sm_count").integer());
  d.max_sm_clock_mhz = c.maybe_number("max_sm_clock_mhz").value_or(0);
  d.memory_bytes = c.maybe_number("memory_bytes").value_or(0);
  d.driver_version = c.string_or("driver_version", "");
  d.cuda_runtime_version = c.string_or("cuda_runtime_version", "");
  return d;
}

}  // namespace

std::string to_json_text(const ResultsDoc& doc, int indent) {
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
  for (const auto& r : root.at("runs").items()) doc.runs.push_back(run_from_json(r));
  return doc;
}

}  // namespace flopscope
