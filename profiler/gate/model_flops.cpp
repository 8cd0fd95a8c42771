// A framework's model FLOPs per NVTX range beside the hardware FLOPs of the
// launches in each range (flopscope/crosscheck.h, docs/crosscheck.md).
#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "flopscope/crosscheck.h"
#include "flopscope/error.h"
#include "flopscope/table.h"
#include "json_reader.h"

namespace flopscope {

ModelFlops parse_model_flops(const std::string& text, const std::string& origin) {
  const detail::Json j = detail::parse_json_text(text, origin);
  const detail::JsonCursor root(j, "$", origin);
  root.require_object();
  if (const std::string schema = root.string("schema"); schema != kModelFlopsSchema)
    root.at("schema").fail("expected \"" + std::string(kModelFlopsSchema) + "\", got \"" + schema + "\"");
  // A misspelt key ("by_ops") would drop what it holds without a word.
  const auto only_keys = [](const detail::JsonCursor& c, std::initializer_list<const char*> known) {
    for (const auto& [key, value] : c.members())
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
        std::ostringstream message;
        message << "unknown key '" << key << "' (known:";
        for (const char* k : known) message << " " << k;
        value.fail(message.str() + ")");
      }
  };
  only_keys(root, {"schema", "source", "ranges"});
  ModelFlops m;
  m.source = root.string_or("source", "");
  const std::vector<detail::JsonCursor> items = root.at("ranges").items();
  if (items.empty()) root.at("ranges").fail("expected at least one range");
  if (items.size() > kMaxModelRanges)
    root.at("ranges").fail("holds " + std::to_string(items.size()) + " ranges; at most " +
                           std::to_string(kMaxModelRanges) + " are compared: keep the ranges to compare");
  std::map<std::string, size_t> seen;  // a range twice would show twice, and which count is the model's?
  for (const detail::JsonCursor& c : items) {
    only_keys(c, {"nvtx", "flops", "by_op"});
    ModelRange r;
    r.nvtx = c.string("nvtx");
    if (r.nvtx.empty()) c.at("nvtx").fail("expected a range path such as \"step/forward\"");
    if (const auto [it, fresh] = seen.emplace(r.nvtx, m.ranges.size()); !fresh)
      c.at("nvtx").fail("'" + r.nvtx + "' is listed already at $.ranges[" + std::to_string(it->second) +
                        "]; a model-FLOPs file holds each range once: keep one of them");
    r.flops = c.non_negative("flops");
    if (auto ops = c.maybe("by_op")) r.by_op = ops->non_negative_map();
    m.ranges.push_back(std::move(r));
  }
  return m;
}

ModelFlops read_model_flops(const std::string& path) { return parse_model_flops(read_file(path), path); }

std::string serialize_model_flops(const ModelFlops& m) {
  detail::Json j;
  j["schema"] = kModelFlopsSchema;
  j["source"] = m.source;
  j["ranges"] = detail::Json::array();
  for (const ModelRange& r : m.ranges) {
    detail::Json e;
    e["nvtx"] = r.nvtx;
    e["flops"] = r.flops;
    if (!r.by_op.empty()) e["by_op"] = r.by_op;
    j["ranges"].push_back(std::move(e));
  }
  return j.dump(2) + "\n";
}

constexpr size_t kTopKernels = 8;
/// A range whose hardware FLOPs differ from the model's by more gets a line saying so.
constexpr double kGapNoted = 0.05;

/// "counted/backward: hardware 7.4% below the model: ..." with the reasons
/// docs/crosscheck.md lists for that direction; empty within kGapNoted.
std::string gap_note(const RangeComparison& c) {
  if (c.hw.launches_with_counters == 0 || c.model.flops <= 0) return "";
  const double ratio = (c.hw.hw_tensor + c.hw.hw_cuda_core) / c.model.flops;
  if (within_tolerance(std::fabs(ratio - 1), kGapNoted)) return "";
  std::string s = "'" + c.model.nvtx + "': hardware " + fmt_fixed(100 * std::fabs(ratio - 1), 1) + "% ";
  if (ratio > 1)
    return s + "above the model: recompute, work the model leaves out (softmax, normalization, the optimizer) or "
               "padding to tile sizes may account for it";
  s += "below the model: masked work the kernels skip, or work launched outside the range, may account for it";
  if (const int64_t n = c.hw.launches - c.hw.launches_with_counters; n > 0)
    s += "; " + std::to_string(n) + " of its launches have no counters";
  return s;
}

bool ModelCrosscheck::compared() const {
  return std::any_of(ranges.begin(), ranges.end(),
                     [](const RangeComparison& c) { return c.hw.launches_with_counters > 0; });
}

std::vector<std::string> ModelCrosscheck::outside(double tolerance) const {
  std::vector<std::string> lines;
  for (const RangeComparison& c : ranges) {
    if (!(c.model.flops > 0)) continue;
    // Model FLOPs with nothing counted to hold them to: a misspelt path, or
    // kernels launched on a thread outside the range (autograd's backward).
    // Skipped, it passed the gate with nothing checked.
    if (c.hw.launches_with_counters == 0) {
      std::ostringstream line;  // a stream, as below (-Wrestrict)
      line << "'" << one_line(c.model.nvtx) << "': model FLOPs " << fmt_si(c.model.flops)
           << ", but no launch with counters in this range: nothing to hold them to";
      lines.push_back(line.str());
      continue;
    }
    const double ratio = (c.hw.hw_tensor + c.hw.hw_cuda_core) / c.model.flops;
    if (within_tolerance(std::fabs(ratio - 1), tolerance)) continue;
    // A stream, not a chain of +: GCC 12 misreports the chain (-Wrestrict).
    std::ostringstream line;
    line << "'" << one_line(c.model.nvtx) << "': hw/model " << fmt_fixed(ratio, 3) << " ("
         << (ratio > 1 ? "+" : "-") << fmt_percent_apart(std::fabs(ratio - 1), tolerance, 1) << "), beyond the "
         << fmt_percent_given(tolerance) << " tolerance";
    lines.push_back(line.str());
  }
  return lines;
}

ModelCrosscheck crosscheck_model_flops(const ResultsDoc& doc, const ModelFlops& model) {
  const bool any_counters = std::any_of(doc.runs.begin(), doc.runs.end(), [](const RunRecord& r) {
    return r.family == "app" && r.hw && !r.hw->flops_by_pipe.empty();
  });
  const bool bench_counters = std::any_of(doc.runs.begin(), doc.runs.end(), [](const RunRecord& r) {
    return r.family != "app" && r.hw && !r.hw->flops_by_pipe.empty();
  });
  if (!any_counters && bench_counters)
    throw_bad_input("these are benchmark runs (flopscope bench), which --model-flops does not take: 'flopscope "
                    "report' on bench's --out results file sets each run's model FLOPs beside its counters; "
                    "--model-flops is for an application profiled with 'flopscope profile --set flops --tensor LIST "
                    "--out F -- APP'");
  if (!any_counters)
    throw_bad_input("the results hold no application kernel with hardware FLOPs: cross-check the output of "
                    "'flopscope profile --set flops --tensor LIST --out F -- APP'");
  ModelCrosscheck out;
  out.source = model.source;
  std::set<size_t> uncounted;  // runs without counters inside some range: each once, however nested
  for (const ModelRange& m : model.ranges) {
    RangeComparison c{m, range_totals(doc, m.nvtx), {}};
    for (size_t i = 0; i < doc.runs.size(); ++i) {
      const RunRecord& r = doc.runs[i];
      if (!is_app_kernel(r) || !nvtx_inside(r.nvtx, m.nvtx)) continue;
      RangeKernel k{r.variant, {}};
      k.totals.path = r.nvtx;
      add_run(k.totals, r);
      if (k.totals.launches_with_counters == 0) {
        if (k.totals.launches > 0) uncounted.insert(i);
        continue;
      }
      c.top.push_back(std::move(k));
    }
    const auto flops = [](const RangeKernel& k) { return k.totals.hw_tensor + k.totals.hw_cuda_core; };
    std::stable_sort(c.top.begin(), c.top.end(),
                     [&](const RangeKernel& a, const RangeKernel& b) { return flops(a) > flops(b); });
    if (c.top.size() > kTopKernels) {
      c.more_kernels = c.top.size() - kTopKernels;
      c.top.resize(kTopKernels);
    }
    if (c.hw.launches == 0)
      out.notes.push_back("no kernel was launched inside '" + m.nvtx +
                          "': check the path against the profile's nvtx column (ranges pushed on another thread "
                          "do not cover a launch; docs/profile.md)");
    else if (c.hw.launches_with_counters == 0)
      out.notes.push_back("no counted launch inside '" + m.nvtx + "': its " + std::to_string(c.hw.launches) +
                          " launches have no hardware FLOPs, so hw/model is '-'");
    else if (!(m.flops > 0) && c.hw.hw_tensor + c.hw.hw_cuda_core > 0)  // both 0: they agree
      out.notes.push_back("the model counts no FLOPs in '" + m.nvtx + "' (the hardware counted " +
                          fmt_si(c.hw.hw_tensor + c.hw.hw_cuda_core) +
                          " FLOPs), so hw/model is '-': work the model leaves out, such as an optimizer step");
    else if (std::string gap = gap_note(c); !gap.empty())
      out.notes.push_back(std::move(gap));
    out.ranges.push_back(std::move(c));
  }
  int64_t n = 0;
  for (size_t i : uncounted) add_launches(n, doc.runs[i].launches);
  if (n > 0)
    out.notes.push_back(std::to_string(n) +
                        " launches inside the ranges have no hardware FLOPs (not profiled, or inside a CUDA graph): "
                        "the hardware totals leave them out");
  return out;
}

std::string render_model_crosscheck_text(const ModelCrosscheck& r, size_t width) {
  std::ostringstream out;
  out << "model FLOPs from " << (r.source.empty() ? std::string("(no source given)") : one_line(r.source))
      << "; hardware FLOPs from the profile's counters\n";
  Table t;
  for (const char* h : {"range", "model", "hw tensor", "hw CUDA-core", "hw total", "hw/model", "launches"})
    t.add_column(h, std::string(h) == "range" ? Align::left : Align::right, std::string(h) == "range");
  for (const RangeComparison& c : r.ranges) {
    const double hw = c.hw.hw_tensor + c.hw.hw_cuda_core;
    const bool ratio = c.model.flops > 0 && c.hw.launches_with_counters > 0;
    t.add_row({one_line(c.model.nvtx), fmt_si(c.model.flops), fmt_si(c.hw.hw_tensor), fmt_si(c.hw.hw_cuda_core),
               fmt_si(hw), ratio ? fmt_fixed(hw / c.model.flops, 3) : std::string("-"), range_launches_text(c.hw)});
  }
  out << t.render(width, false);
  for (const RangeComparison& c : r.ranges) {
    if (c.top.empty() && c.model.by_op.empty()) continue;
    out << "\n" << one_line(c.model.nvtx) << ":\n";
    if (!c.top.empty()) {
      Table k;
      k.add_column("kernel", Align::left, true, true);
      k.set_min_width(Table::kMinKernelWidth);
      k.add_column("nvtx", Align::left, true);
      k.add_column("launches", Align::right);
      k.add_column("hw tensor", Align::right);
      k.add_column("hw CUDA-core", Align::right);
      for (const RangeKernel& kr : c.top)
        k.add_row({one_line(kr.kernel), one_line(kr.totals.path), std::to_string(kr.totals.launches),
                   fmt_si(kr.totals.hw_tensor), fmt_si(kr.totals.hw_cuda_core)});
      out << k.render(width, false);
      if (c.more_kernels > 0)
        out << "  and " << c.more_kernels << " more profile line(s) with fewer hardware FLOPs\n";
    }
    if (!c.model.by_op.empty()) {
      std::vector<std::pair<std::string, double>> ops(c.model.by_op.begin(), c.model.by_op.end());
      std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      out << "  model's breakdown:";
      for (const auto& [op, v] : ops) out << " " << one_line(op) << " " << fmt_si(v) << ";";
      out << "\n";
    }
  }
  for (const std::string& n : r.notes) out << "note: " << one_line(n) << "\n";  // they quote range names
  if (!r.compared()) out << "FAIL: no range holds a counted launch: nothing was compared\n";
  return out.str();
}

}  // namespace flopscope
