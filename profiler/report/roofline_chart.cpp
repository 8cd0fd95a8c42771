// The roofline chart: computed as data, then drawn as SVG. See roofline_chart.h.
#include "flopscope/roofline_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>
#include <set>
#include <sstream>

#include "chart_labels.h"
#include "flopscope/table.h"
#include "flopscope/views.h"

namespace flopscope {

namespace {

const char* const kShapes[] = {"circle", "square", "triangle", "diamond", "triangle-down",
                               "plus", "star", "hexagon"};
constexpr size_t kShapeCount = sizeof kShapes / sizeof kShapes[0];

// Families the project ships get fixed shapes; others take the rest in name order.
const std::map<std::string, size_t>& known_family_shapes() {
  static const std::map<std::string, size_t> m{
      {"gemm", 0}, {"attention", 1}, {"ffn", 2}, {"memory", 3}, {"softmax", 4}};
  return m;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A roof's value: fixed decimals from 1 up, else three significant digits (a
// 1 MB/s roof read "0.00 TB/s", an L40's 0.864 TB/s "0.86").
std::string roof_value(double v, int decimals) { return v >= 1 ? fmt_fixed(v, decimals) : fmt_sig(v, 3); }

double decade_floor(double v) { return std::pow(10.0, std::floor(std::log10(v))); }
double decade_ceil(double v) { return std::pow(10.0, std::ceil(std::log10(v))); }

std::string tick_label(double v) {
  const int e = int(std::lround(std::log10(v)));
  if (e >= -3 && e <= 5) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }
  return "1e" + std::to_string(e);
}

std::string bandwidth_label(const std::string& level, double bytes_per_s) {
  std::string name = level == "dram" ? "DRAM" : level == "l2" ? "L2" : "L1";
  return name + " " + roof_value(bytes_per_s / 1e12, 2) + " TB/s";
}

// The widest the shared log axes may span (FLOP/byte and TFLOP/s), far beyond
// any real kernel; points outside it are listed as omitted.
constexpr double kAxisFloor = 1e-30;
constexpr double kAxisCeil = 1e30;

bool on_log_scale(const ChartPoint& p) {
  return std::isfinite(p.intensity) && std::isfinite(p.tflops) && p.intensity >= kAxisFloor &&
         p.intensity <= kAxisCeil && p.tflops >= kAxisFloor && p.tflops <= kAxisCeil;
}

// Flat roofs of one peak table, equal values merged into one line.
void add_compute_roofs(RooflineChart& c, const PeakTable& t, bool measured) {
  std::vector<ChartRoof> roofs;
  for (const auto& p : all_precisions()) {
    auto it = t.flops_per_s.find(p.key());
    if (it == t.flops_per_s.end() || !(it->second > 0)) continue;
    auto same = std::find_if(roofs.begin(), roofs.end(), [&](const ChartRoof& r) {
      return std::fabs(r.value - it->second) <= 1e-9 * it->second;
    });
    if (same != roofs.end()) {
      same->keys.push_back(p.key());
      continue;
    }
    ChartRoof r;
    r.keys = {p.key()};
    r.measured = measured;
    r.value = it->second;
    roofs.push_back(r);
  }
  for (auto& r : roofs) {
    std::string keys;
    for (const auto& k : r.keys) keys += (keys.empty() ? "" : ", ") + k;
    r.label = (measured ? "measured " : "") + keys + " " + roof_value(r.value / 1e12, 1) + " TFLOP/s";
    r.color = r.keys.size() == 1 ? precision_color(r.keys[0]) : "#555555";
    c.roofs.push_back(r);
  }
}

void add_memory_roofs(RooflineChart& c, const PeakTable& t, bool measured) {
  const std::pair<const char*, double> levels[] = {
      {"dram", t.dram_bytes_per_s}, {"l2", t.l2_bytes_per_s}, {"l1", t.l1_bytes_per_s}};
  const char* colors[] = {"#333333", "#6b6b6b", "#9a9a9a"};
  for (size_t i = 0; i < 3; ++i) {
    if (!(levels[i].second > 0)) continue;
    ChartRoof r;
    r.memory = true;
    r.keys = {levels[i].first};
    r.measured = measured;
    r.value = levels[i].second;
    r.label = (measured ? "measured " : "") + bandwidth_label(levels[i].first, r.value);
    r.color = colors[i];
    c.roofs.push_back(r);
  }
}

// "L2" or "L1/TEX" for a level key, as the counters name the caches.
std::string level_name(const std::string& level) { return level == "l1" ? "L1/TEX" : "L2"; }

// Whether the chart has a sloped roof for `level` ("dram", "l2", "l1").
bool has_memory_roof(const RooflineChart& c, const std::string& level) {
  for (const auto& r : c.roofs)
    if (r.memory && r.keys.size() == 1 && r.keys[0] == level) return true;
  return false;
}

// The highest sloped (memory) or flat roof of one table, else of the other.
// Flat roofs start at the highest bandwidth (L1 when known), so that every
// sloped roof meets every flat roof above it; sloped roofs end at the top peak.
double highest_roof(const RooflineChart& c, bool memory, bool measured) {
  double same = 0, any = 0;
  for (const auto& r : c.roofs)
    if (r.memory == memory) {
      any = std::max(any, r.value);
      if (r.measured == measured) same = std::max(same, r.value);
    }
  return same > 0 ? same : any;
}

}  // namespace

std::string OmittedGroup::listed(size_t cap) const {
  if (labels.size() <= cap) return joined(labels, ", ");
  const std::vector<std::string> first(labels.begin(), labels.begin() + std::ptrdiff_t(cap));
  return joined(first, ", ") + " and " + std::to_string(labels.size() - cap) + " more (--md lists every one)";
}

std::vector<OmittedGroup> group_omitted(const std::vector<ChartOmitted>& omitted) {
  // One group per reason, in first-seen order; per group, each label's place
  // and how often it came (maps: thousands of omitted runs stay fast).
  struct Group {
    OmittedGroup out;
    std::map<std::string, size_t> place;
    std::vector<size_t> count;
  };
  std::vector<Group> groups;
  std::map<std::string, size_t> group_of;
  for (const ChartOmitted& om : omitted) {
    const auto [g, fresh] = group_of.try_emplace(om.reason, groups.size());
    if (fresh) groups.push_back({{om.reason, {}, 0}, {}, {}});
    Group& group = groups[g->second];
    ++group.out.runs;
    const auto [l, new_label] = group.place.try_emplace(om.label, group.out.labels.size());
    if (new_label) {
      group.out.labels.push_back(om.label);
      group.count.push_back(0);
    }
    ++group.count[l->second];
  }
  std::vector<OmittedGroup> out;
  for (Group& g : groups) {
    for (size_t j = 0; j < g.out.labels.size(); ++j)
      if (g.count[j] > 1) g.out.labels[j] += " x" + std::to_string(g.count[j]);
    out.push_back(std::move(g.out));
  }
  return out;
}

std::string levels_without_roof_note(const RooflineChart& c) {
  if (c.levels_without_roof.empty()) return "";
  const std::string levels = joined(c.levels_without_roof, " and ");
  return levels + " points not drawn: " +
         (c.measured_peaks ? "the measured peaks give no " + levels + " bandwidth to read them against (the "
                                 "ceilings run did not measure it)"
                           : "the datasheet peaks give no " + levels + " bandwidth to read them against ('flopscope "
                                 "report --peaks FILE' with a 'flopscope ceilings' file adds the measured ones)");
}

std::string precision_color(const std::string& key) {
  static const std::map<std::string, std::string> colors{
      {"fp64", "#5e3c99"},        {"fp64_tensor", "#b07cd8"}, {"fp32", "#1f77b4"},
      {"fp16", "#bcbd22"},        {"bf16", "#8c564b"},        {"tf32_tensor", "#17becf"},
      {"fp16_tensor", "#ff7f0e"}, {"bf16_tensor", "#d62728"}, {"fp8_tensor", "#2ca02c"},
      {"int8_tensor", "#7f7f7f"}};
  auto it = colors.find(key);
  return it == colors.end() ? "#222222" : it->second;
}

double RooflineChart::px(double intensity) const {
  const double f = (std::log10(intensity) - std::log10(x_min)) / (std::log10(x_max) - std::log10(x_min));
  return left + f * (right - left);
}

double RooflineChart::py(double tflops) const {
  const double f = (std::log10(tflops) - std::log10(y_min)) / (std::log10(y_max) - std::log10(y_min));
  return bottom - f * (bottom - top);
}

namespace {

// What one chart draws: a document's runs, all of them or one family's.
struct ChartSource {
  size_t doc = 0;
  std::string family;  // empty: every run
};

// Markers by family, shared by every chart: the project's families keep
// theirs, others take the rest in name order.
std::map<std::string, std::string> family_markers(const std::vector<ResultsDoc>& docs) {
  std::set<std::string> families;
  for (const auto& d : docs)
    for (const auto& r : d.runs) families.insert(r.family);
  std::map<std::string, std::string> marker;
  std::set<size_t> used;
  for (const auto& f : families)
    if (auto it = known_family_shapes().find(f); it != known_family_shapes().end()) {
      marker[f] = kShapes[it->second];
      used.insert(it->second);
    }
  size_t next = 0;
  for (const auto& f : families) {
    if (marker.count(f)) continue;
    while (used.count(next % kShapeCount) && used.size() < kShapeCount) ++next;
    marker[f] = kShapes[next % kShapeCount];
    used.insert(next % kShapeCount);
    ++next;
  }
  return marker;
}

// What the charts' shared axes must hold: every point and every ridge.
struct Extent {
  double xlo = INFINITY, xhi = 0, ylo = INFINITY, yhi = 0;
  void add_x(double x) {
    xlo = std::min(xlo, x);
    xhi = std::max(xhi, x);
  }
  void add_y(double y) {
    ylo = std::min(ylo, y);
    yhi = std::max(yhi, y);
  }
};

// A run's hardware point again over its L2 and L1 bytes (the hierarchical
// roofline), where the chart has that level's roof and the count is plausible.
void add_level_points(RooflineChart& c, const RunRecord& r, size_t hw_pt) {
  const ChartPoint hw = c.points[hw_pt];  // a copy: adding points may move c.points
  const double hw_flops = *r.hw->flops_total;
  const std::pair<const char*, std::optional<double>> levels[] = {{"l2", r.hw->l2_bytes}, {"l1", r.hw->l1_bytes}};
  for (const auto& [level, bytes] : levels) {
    if (!bytes || !(*bytes > 0)) continue;
    // Without that level's sloped roof a point has nothing to be read
    // against, and it sits above the DRAM roof (it moves fewer bytes).
    if (!has_memory_roof(c, level)) {
      const std::string name = level_name(level);
      if (std::find(c.levels_without_roof.begin(), c.levels_without_roof.end(), name) == c.levels_without_roof.end())
        c.levels_without_roof.push_back(name);
      continue;
    }
    // Requests at a level include what was read from DRAM: fewer means its
    // counter missed traffic (cuBLAS's TMA copies go from L2 to shared
    // memory past L1/TEX, which then counts kilobytes for a GEMM). DRAM
    // writes are left out of the test: they can be over-counted
    // (docs/crosscheck.md), and a triad's L1 bytes fell just short of them.
    const double dram_read = r.hw->dram_read_bytes.value_or(0);
    if (*bytes < dram_read) {
      const std::string name = level_name(level);
      c.levels_omitted.push_back({hw.run, r.id,
                                  "no " + name + " point: its " + name + " bytes (" + fmt_si(*bytes) +
                                      "B) are fewer than its DRAM reads (" + fmt_si(dram_read) +
                                      "B), so the counter missed traffic that went past " + name +
                                      " (TMA copies do)",
                                  run_label(r)});
      continue;
    }
    ChartPoint q = hw;
    q.level = level;
    q.intensity = hw_flops / *bytes;
    if (!on_log_scale(q)) continue;
    c.level_links.push_back({hw_pt, c.points.size()});
    c.points.push_back(q);
  }
}

// A run's points: by the model's FLOPs and bytes, and by the counters' (with
// their L2 and L1 points), linked; or why it has none.
void add_run_points(RooflineChart& c, const RunRecord& r, size_t run, const std::string& marker) {
  const double t = r.time_s.median;
  ChartPoint base;
  base.run = run;
  base.id = r.id;
  base.title = run_title(r);
  base.name = r.name;
  base.family = r.family;
  base.precision = r.precision;
  base.bound = r.derived.bound;
  base.color = precision_color(r.precision);
  base.marker = marker;
  // The point of `flops` and `bytes` in time t, if it has a place on the axes.
  bool off_scale = false;  // e.g. 1e300 FLOPs in 5e-324 s: infinite TFLOP/s
  auto add_point = [&](double flops, double bytes, bool hardware) -> std::optional<size_t> {
    if (!(t > 0 && flops > 0 && bytes > 0)) return std::nullopt;
    ChartPoint p = base;
    p.hardware = hardware;
    p.intensity = flops / bytes;
    p.tflops = flops / t / 1e12;
    if (!on_log_scale(p)) {
      off_scale = true;
      return std::nullopt;
    }
    c.points.push_back(p);
    return c.points.size() - 1;
  };
  const std::optional<size_t> model_pt = add_point(r.model.flops, r.model.bytes, false);
  const double hw_flops = r.hw && r.hw->flops_total ? *r.hw->flops_total : 0;
  const double hw_bytes = r.hw ? r.hw->dram_bytes().value_or(0) : 0;
  const std::optional<size_t> hw_pt = add_point(hw_flops, hw_bytes, true);
  if (hw_pt) add_level_points(c, r, *hw_pt);
  if (!model_pt && !hw_pt) {
    // Which of FLOPs and bytes is missing, by the model or by the counters.
    const bool flops = r.model.flops > 0 || hw_flops > 0;
    std::string why = !(t > 0)            ? "no positive median time"
                      : off_scale         ? "its FLOP/s or arithmetic intensity is out of any "
                                            "plottable range (check the run's time, FLOPs and bytes)"
                      : flops             ? "no DRAM byte count, so no arithmetic intensity"
                      : r.model.bytes > 0 ? "0 FLOPs (it only moves data), so no place on a log-scale FLOP axis"
                                          : "neither a model nor the counters give it FLOPs";
    c.omitted.push_back({run, r.id, why, run_label(r)});
    return;
  }
  c.points[hw_pt ? *hw_pt : *model_pt].labelled = true;
  if (model_pt && hw_pt) c.links.push_back({*model_pt, *hw_pt});
}

// One chart's roofs and points, before the axes are known; `extent` grows to
// hold its points and ridges.
void fill_chart(RooflineChart& c, const ResultsDoc& doc, const std::map<std::string, std::string>& marker,
                Extent& extent) {
  c.measured_peaks = doc.peaks.measured.has_value();
  add_compute_roofs(c, doc.peaks.datasheet, false);
  if (doc.peaks.measured) add_compute_roofs(c, *doc.peaks.measured, true);
  add_memory_roofs(c, doc.peaks.datasheet, false);
  if (doc.peaks.measured) add_memory_roofs(c, *doc.peaks.measured, true);
  for (const auto& r : c.roofs) {
    if (r.memory) continue;
    extent.add_y(r.value / 1e12);
    if (double bw = highest_roof(c, /*memory=*/true, r.measured); bw > 0) extent.add_x(r.value / bw);
  }
  for (size_t i = 0; i < doc.runs.size(); ++i) {
    const RunRecord& r = doc.runs[i];
    if (c.family.empty() || r.family == c.family) add_run_points(c, r, i, marker.at(r.family));
  }
  for (const auto& p : c.points) {
    extent.add_x(p.intensity);
    extent.add_y(p.tflops);
  }
}

// Shared axes: whole decades with some room around every point and ridge.
void set_axes(std::vector<RooflineChart>& charts, Extent e) {
  if (!(e.xhi > 0)) {
    e.xlo = 0.1;
    e.xhi = 100;
  }
  if (!(e.yhi > 0)) {
    e.ylo = 1;
    e.yhi = 100;
  }
  double x_min = decade_floor(e.xlo / 2), x_max = decade_ceil(e.xhi * 2);
  double y_max = decade_ceil(e.yhi * 1.15), y_min = decade_floor(e.ylo / 2);
  if (x_max / x_min < 1e3) x_min = x_max / 1e3;
  if (y_max / y_min < 1e3) y_min = y_max / 1e3;
  // Absurd peaks or bandwidths in a file must not leave an axis infinite or 0:
  // the grid steps from its minimum to its maximum by decades.
  x_min = std::clamp(x_min, kAxisFloor, kAxisCeil);
  x_max = std::clamp(x_max, x_min * 10, kAxisCeil * 10);
  y_min = std::clamp(y_min, kAxisFloor, kAxisCeil);
  y_max = std::clamp(y_max, y_min * 10, kAxisCeil * 10);
  for (RooflineChart& c : charts) {
    c.x_min = x_min;
    c.x_max = x_max;
    c.y_min = y_min;
    c.y_max = y_max;
  }
}

// Each roof's ends on the chart's axes: flat roofs from their ridge with the
// highest bandwidth, sloped ones up to the highest peak; roofs entirely
// outside the axes are dropped.
void place_roofs(RooflineChart& c) {
  for (auto& r : c.roofs) {
    if (!r.memory) {
      const double bw = highest_roof(c, /*memory=*/true, r.measured);
      r.x0 = bw > 0 ? std::clamp(r.value / bw, c.x_min, c.x_max) : c.x_min;
      r.x1 = c.x_max;
      r.y0 = r.y1 = r.value / 1e12;
    } else {
      const double bw = r.value;
      const double top = highest_roof(c, /*memory=*/false, r.measured);
      r.x0 = std::max(c.x_min, c.y_min * 1e12 / bw);
      r.x1 = top > 0 ? std::min(c.x_max, top / bw) : std::min(c.x_max, c.y_max * 1e12 / bw);
      r.y0 = r.x0 * bw / 1e12;
      r.y1 = r.x1 * bw / 1e12;
    }
  }
  const double y_max = c.y_max;
  c.roofs.erase(std::remove_if(c.roofs.begin(), c.roofs.end(),
                               [&](const ChartRoof& r) { return !(r.x1 > r.x0) || r.y0 > y_max; }),
                c.roofs.end());
}

// Roofs of precisions some run uses stand out in the points' colors; a
// merged roof that several used precisions share is striped in their colors;
// the others are faint.
void color_roofs_by_use(RooflineChart& c) {
  std::set<std::string> used_prec;
  for (const auto& p : c.points) used_prec.insert(p.precision);
  for (auto& r : c.roofs) {
    if (r.memory) continue;
    std::vector<std::string> used_colors;
    for (const auto& k : r.keys)
      if (used_prec.count(k)) used_colors.push_back(precision_color(k));
    r.faint = used_colors.empty();
    if (used_colors.size() == 1) r.color = used_colors[0];
    if (used_colors.size() > 1) {
      r.color = "#444444";  // its label's
      r.stripe_colors = used_colors;
    }
  }
}

// The legend names the colors drawn (the points' and single-precision roofs')
// and the markers of the families with points.
void set_legend(RooflineChart& c, const std::map<std::string, std::string>& marker) {
  std::set<std::string> shown;
  for (const auto& p : c.points) shown.insert(p.precision);
  for (const auto& r : c.roofs)
    if (!r.memory && r.keys.size() == 1) shown.insert(r.keys[0]);
  for (const auto& p : all_precisions())
    if (shown.erase(p.key())) c.precision_colors.emplace_back(p.key(), precision_color(p.key()));
  for (const auto& k : shown) c.precision_colors.emplace_back(k, precision_color(k));
  std::set<std::string> fams;
  for (const auto& p : c.points) fams.insert(p.family);
  for (const auto& f : fams) c.family_markers.emplace_back(f, marker.at(f));
}

// The charts of `sources`, sharing axes, colors and markers.
std::vector<RooflineChart> build_charts(const std::vector<ResultsDoc>& docs, const std::vector<ChartSource>& sources) {
  const std::vector<std::string> labels = doc_labels(docs);
  const std::map<std::string, std::string> marker = family_markers(docs);
  std::vector<RooflineChart> charts(sources.size());
  Extent extent;
  for (size_t s = 0; s < sources.size(); ++s) {
    RooflineChart& c = charts[s];
    c.doc = sources[s].doc;
    c.family = sources[s].family;
    c.title = c.family.empty() ? labels[c.doc] : c.family + (docs.size() > 1 ? " (" + labels[c.doc] + ")" : "");
    fill_chart(c, docs[c.doc], marker, extent);
  }
  set_axes(charts, extent);
  for (RooflineChart& c : charts) {
    place_roofs(c);
    color_roofs_by_use(c);
    for (auto& p : c.points) {
      p.x = c.px(p.intensity);
      p.y = c.py(p.tflops);
    }
    chart::place_roof_labels(c);
    chart::place_point_labels(c);
    set_legend(c, marker);
  }
  return charts;
}

}  // namespace

std::vector<RooflineChart> build_roofline_charts(const std::vector<ResultsDoc>& docs) {
  std::vector<ChartSource> sources;
  for (size_t d = 0; d < docs.size(); ++d) sources.push_back({d, ""});
  return build_charts(docs, sources);
}

std::vector<RooflineChart> build_family_roofline_charts(const std::vector<ResultsDoc>& docs,
                                                        size_t* families_left_out) {
  if (families_left_out) *families_left_out = 0;
  std::set<std::string> all_families;
  std::map<std::string, size_t> runs_of;  // the runs of each family that may have a point (FLOPs and a time)
  for (const auto& d : docs)
    for (const auto& r : d.runs) {
      all_families.insert(r.family);
      const bool counted = r.hw && r.hw->flops_total && *r.hw->flops_total > 0;
      if (r.time_s.median > 0 && (r.model.flops > 0 || counted)) ++runs_of[r.family];
    }
  if (all_families.size() < 2) return {};
  // The families with the most runs, drawn in name order.
  std::vector<std::pair<std::string, size_t>> by_runs(runs_of.begin(), runs_of.end());
  std::stable_sort(by_runs.begin(), by_runs.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::set<std::string> families;
  for (size_t i = 0; i < by_runs.size() && i < kMaxFamilyCharts; ++i) families.insert(by_runs[i].first);
  if (families_left_out) *families_left_out = runs_of.size() - families.size();
  std::vector<ChartSource> sources;
  for (const std::string& f : families)
    for (size_t d = 0; d < docs.size(); ++d) sources.push_back({d, f});
  std::vector<RooflineChart> charts = build_charts(docs, sources);
  // A family with no point to draw (a copy has no FLOPs) is listed under the whole chart.
  charts.erase(std::remove_if(charts.begin(), charts.end(), [](const RooflineChart& c) { return c.points.empty(); }),
               charts.end());
  // One family left to draw is the whole chart again ("By family: 1 charts").
  std::set<std::string> drawn;
  for (const RooflineChart& c : charts) drawn.insert(c.family);
  if (drawn.size() < 2) return {};
  return charts;
}

RooflineChart build_roofline_chart(const ResultsDoc& doc) {
  return build_roofline_charts(std::vector<ResultsDoc>{doc}).front();
}

// ---- Drawing ---------------------------------------------------------------------------

namespace {

// One marker centred on (x, y); filled for hardware points, hollow for model ones.
std::string marker_svg(const std::string& shape, double x, double y, const std::string& color,
                       bool filled, double s = 5) {
  const std::string paint = filled ? "fill=\"" + color + "\" stroke=\"#ffffff\" stroke-width=\"0.8\""
                                   : "fill=\"#ffffff\" stroke=\"" + color + "\" stroke-width=\"1.8\"";
  std::ostringstream o;
  auto path = [&](const std::vector<std::pair<double, double>>& pts) {
    o << "<path d=\"";
    for (size_t i = 0; i < pts.size(); ++i)
      o << (i ? " L" : "M") << num(x + pts[i].first) << ' ' << num(y + pts[i].second);
    o << " Z\" " << paint << "/>";
  };
  if (shape == "square") {
    o << "<rect x=\"" << num(x - s) << "\" y=\"" << num(y - s) << "\" width=\"" << num(2 * s)
      << "\" height=\"" << num(2 * s) << "\" " << paint << "/>";
  } else if (shape == "triangle") {
    path({{0, -s * 1.2}, {s * 1.1, s * 0.8}, {-s * 1.1, s * 0.8}});
  } else if (shape == "triangle-down") {
    path({{0, s * 1.2}, {s * 1.1, -s * 0.8}, {-s * 1.1, -s * 0.8}});
  } else if (shape == "diamond") {
    path({{0, -s * 1.3}, {s * 1.1, 0}, {0, s * 1.3}, {-s * 1.1, 0}});
  } else if (shape == "plus") {
    const double a = s * 0.4, b = s * 1.2;
    path({{-a, -b}, {a, -b}, {a, -a}, {b, -a}, {b, a}, {a, a}, {a, b}, {-a, b}, {-a, a}, {-b, a},
          {-b, -a}, {-a, -a}});
  } else if (shape == "star") {
    std::vector<std::pair<double, double>> pts;
    for (int i = 0; i < 10; ++i) {
      const double rad = (i % 2 ? 0.5 : 1.35) * s, ang = -std::numbers::pi / 2 + i * std::numbers::pi / 5;
      pts.emplace_back(rad * std::cos(ang), rad * std::sin(ang));
    }
    path(pts);
  } else if (shape == "hexagon") {
    std::vector<std::pair<double, double>> pts;
    for (int i = 0; i < 6; ++i) pts.emplace_back(1.15 * s * std::cos(i * std::numbers::pi / 3), 1.15 * s * std::sin(i * std::numbers::pi / 3));
    path(pts);
  } else {
    o << "<circle cx=\"" << num(x) << "\" cy=\"" << num(y) << "\" r=\"" << num(s) << "\" " << paint << "/>";
  }
  return o.str();
}

// One "reason: runs" line per reason, for a tooltip.
std::string reasons(const std::vector<ChartOmitted>& omitted) {
  std::string text;
  for (const OmittedGroup& g : group_omitted(omitted))
    text += (text.empty() ? "" : "\n") + g.reason + ": " + g.listed();
  return text;
}

// One chart's drawing, and the height it needs: its plot and key, or its
// legend where that runs longer (60 families ran 430 units past the bottom).
struct ChartBody {
  std::string svg;
  double height = 0;
};

// The background and the title, cut to the chart's width.
void draw_title(std::ostream& o, const RooflineChart& c) {
  o << "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  // The title is cut to the chart's width (a long device name ran off it):
  // font-size 15, bold, is about 1.5 times fit_width's font-size 11.
  const std::string title = "Roofline: " + c.title;
  const std::string shown_title = chart::fit_width(title, (c.width - c.left - 8) / 1.5);
  o << "<text x=\"" << num(c.left) << "\" y=\"26\" font-size=\"15\" font-weight=\"bold\" fill=\"#111111\">";
  if (shown_title != title) o << "<title>" << html_escape(title) << "</title>";
  o << html_escape(shown_title) << "</text>\n";
}

// The grid, one line per decade, its tick labels, the frame and the axis titles.
void draw_axes(std::ostream& o, const RooflineChart& c) {
  o << "<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">\n";
  for (double v = c.x_min; v <= c.x_max * 1.0001; v *= 10)
    o << "<line x1=\"" << num(c.px(v)) << "\" y1=\"" << num(c.top) << "\" x2=\"" << num(c.px(v))
      << "\" y2=\"" << num(c.bottom) << "\"/>\n";
  for (double v = c.y_min; v <= c.y_max * 1.0001; v *= 10)
    o << "<line x1=\"" << num(c.left) << "\" y1=\"" << num(c.py(v)) << "\" x2=\"" << num(c.right)
      << "\" y2=\"" << num(c.py(v)) << "\"/>\n";
  o << "</g>\n<g class=\"ticks\" fill=\"#333333\" font-size=\"11\">\n";
  // A label every decade while they fit; an outlier that stretches an axis
  // over many decades gets one every few (the grid keeps every decade).
  auto label_step = [](double lo, double hi) { return std::max(1, int(std::ceil(std::log10(hi / lo) / 12))); };
  const int xs = label_step(c.x_min, c.x_max), ys = label_step(c.y_min, c.y_max);
  int decade = 0;
  for (double v = c.x_min; v <= c.x_max * 1.0001; v *= 10, ++decade)
    if (decade % xs == 0)
      o << "<text x=\"" << num(c.px(v)) << "\" y=\"" << num(c.bottom + 16)
        << "\" text-anchor=\"middle\">" << tick_label(v) << "</text>\n";
  decade = 0;
  for (double v = c.y_min; v <= c.y_max * 1.0001; v *= 10, ++decade)
    if (decade % ys == 0)
      o << "<text x=\"" << num(c.left - 6) << "\" y=\"" << num(c.py(v) + 4)
        << "\" text-anchor=\"end\">" << tick_label(v) << "</text>\n";
  o << "</g>\n";
  o << "<rect x=\"" << num(c.left) << "\" y=\"" << num(c.top) << "\" width=\"" << num(c.right - c.left)
    << "\" height=\"" << num(c.bottom - c.top) << "\" fill=\"none\" stroke=\"#333333\"/>\n";
  o << "<text x=\"" << num((c.left + c.right) / 2) << "\" y=\"" << num(c.bottom + 38)
    << "\" text-anchor=\"middle\" font-size=\"13\" fill=\"#111111\">Arithmetic intensity (FLOP per byte of DRAM traffic; points tagged L2, L1: of that level)</text>\n";
  const double ymid = (c.top + c.bottom) / 2;
  o << "<text x=\"20\" y=\"" << num(ymid) << "\" text-anchor=\"middle\" font-size=\"13\" fill=\"#111111\" "
    << "transform=\"rotate(-90 20 " << num(ymid) << ")\">Performance (TFLOP/s)</text>\n";
}

// The roofs' lines.
void draw_roof_lines(std::ostream& o, const RooflineChart& c) {
  o << "<g class=\"roofs\" fill=\"none\">\n";
  for (const auto& r : c.roofs) {
    // A striped roof is one line per color, each dashed so that the dashes
    // alternate: dash d, then the others' dashes and the gaps (g, measured only).
    const std::vector<std::string> colors = r.stripe_colors.empty() ? std::vector<std::string>{r.color} : r.stripe_colors;
    const double dash = r.measured ? 7 : 10, gap = r.measured ? 4 : 0, period = dash + gap;
    for (size_t i = 0; i < colors.size(); ++i) {
      o << "<line class=\"roof\" data-roof=\"" << html_escape(r.keys[0]) << "\" x1=\"" << num(c.px(r.x0))
        << "\" y1=\"" << num(c.py(r.y0)) << "\" x2=\"" << num(c.px(r.x1)) << "\" y2=\"" << num(c.py(r.y1))
        << "\" stroke=\"" << colors[i] << "\" stroke-width=\"" << (r.memory ? "1.6" : r.faint ? "1.2" : "2.2") << "\""
        << (r.faint ? " stroke-opacity=\"0.45\"" : "");
      if (colors.size() > 1)
        o << " stroke-dasharray=\"" << num(dash) << ' ' << num(period * double(colors.size()) - dash)
          << "\" stroke-dashoffset=\"" << num(-period * double(i)) << "\"";
      else if (r.measured)
        o << " stroke-dasharray=\"7 4\"";
      o << "><title>" << html_escape(r.label) << "</title></line>\n";
    }
  }
  o << "</g>\n";
}

// Model -> hardware links, level links and the points' leader lines: drawn
// before the roof labels' halos, which keep them from striking a label through.
void draw_links(std::ostream& o, const RooflineChart& c) {
  o << "<g class=\"links\" stroke=\"#777777\" stroke-width=\"1.2\" stroke-dasharray=\"3 2\">\n";
  for (const auto& l : c.links)
    o << "<line x1=\"" << num(c.points[l.model].x) << "\" y1=\"" << num(c.points[l.model].y) << "\" x2=\""
      << num(c.points[l.hardware].x) << "\" y2=\"" << num(c.points[l.hardware].y) << "\"/>\n";
  o << "</g>\n<g class=\"level-links\" stroke-width=\"1\" stroke-opacity=\"0.5\">\n";
  for (const auto& l : c.level_links)
    o << "<line x1=\"" << num(c.points[l.dram].x) << "\" y1=\"" << num(c.points[l.dram].y) << "\" x2=\""
      << num(c.points[l.level].x) << "\" y2=\"" << num(c.points[l.level].y) << "\" stroke=\""
      << c.points[l.level].color << "\"/>\n";
  o << "</g>\n<g class=\"leaders\" stroke=\"#888888\" stroke-width=\"0.8\">\n";
  for (const auto& p : c.points)
    if (p.labelled && p.leader)
      o << "<line x1=\"" << num(p.x) << "\" y1=\"" << num(p.y) << "\" x2=\"" << num(p.label_x) << "\" y2=\""
        << num(p.label_y - 4) << "\"/>\n";
  o << "</g>\n";
}

// The roofs' labels (flat roof labels kept apart vertically), each over a halo.
void draw_roof_labels(std::ostream& o, const RooflineChart& c) {
  // A white halo under each roof label: where measured and datasheet peaks lie
  // closer than a label's height, another roof's line may pass behind one. It
  // is a copy of the label drawn first, not paint-order="stroke" on the label:
  // renderers without paint-order (cairosvg, converting a chart to PNG) drew
  // the white stroke over the text and left every roof label blank.
  auto placed = [&](const ChartRoof& r) {
    std::ostringstream t;
    t << "<text x=\"" << num(r.label_x) << "\" y=\"" << num(r.label_y) << "\"";
    if (r.memory)
      t << " transform=\"rotate(" << num(r.label_angle) << ' ' << num(r.label_x) << ' ' << num(r.label_y) << ")\"";
    else
      t << " text-anchor=\"end\"";
    return t.str();
  };
  o << "<g class=\"roof-label-halos\" font-size=\"10.5\" fill=\"#ffffff\" stroke=\"#ffffff\" "
       "stroke-width=\"3\" stroke-linejoin=\"round\" aria-hidden=\"true\">\n";
  for (const auto& r : c.roofs) o << placed(r) << ">" << html_escape(r.label) << "</text>\n";
  o << "</g>\n<g class=\"roof-labels\" font-size=\"10.5\">\n";
  for (const auto& r : c.roofs)
    o << placed(r) << " fill=\"" << r.color << "\"" << (r.faint ? " fill-opacity=\"0.6\"" : "") << ">"
      << html_escape(r.label) << "</text>\n";
  o << "</g>\n";
}

// The points and their labels.
void draw_points(std::ostream& o, const RooflineChart& c) {
  // An L2/L1 tag is left out where it would touch another tag or a run's
  // label (they printed as "L2L1"): its hover names the level still.
  std::vector<ChartBox> taken;
  for (const auto& p : c.points)
    if (p.labelled) taken.push_back(p.label_box);
  auto tag_fits = [&](const ChartPoint& p) {
    const ChartBox tag{p.x + 4, p.y - 11, p.x + 16, p.y - 3};  // two 8.5 px characters at (x + 5, y - 4)
    if (std::any_of(taken.begin(), taken.end(), [&](const ChartBox& b) { return b.overlaps(tag); }))
      return false;
    taken.push_back(tag);
    return true;
  };
  o << "<g class=\"points\">\n";
  for (const auto& p : c.points) {
    const bool level = p.level != "dram";
    const std::string short_level = p.level == "l2" ? "L2" : "L1";  // the tag beside the marker
    o << "<g class=\"pt\" data-run=\"" << p.run << "\" data-basis=\"" << (p.hardware ? "hardware" : "model")
      << "\" data-level=\"" << p.level << "\"><title>" << html_escape(p.title);
    if (!p.name.empty()) o << "\n" << html_escape(p.name);
    o << "\n"
      << (p.hardware ? "hardware-counted" : "model") << ": " << fmt_sig(p.intensity, 3) << " FLOP/byte"
      << (level ? " of " + short_level + " traffic" : std::string()) << ", " << fmt_sig(p.tflops, 3)
      << " TFLOP/s, " << html_escape(p.precision) << ", " << html_escape(p.bound) << "-bound (DRAM)</title>";
    if (level) {
      o << marker_svg(p.marker, p.x, p.y, p.color, false, 3.2);
      if (tag_fits(p))
        o << "<text x=\"" << num(p.x + 5) << "\" y=\"" << num(p.y - 4) << "\" font-size=\"8.5\" fill=\""
          << p.color << "\">" << short_level << "</text>";
    } else
      o << marker_svg(p.marker, p.x, p.y, p.color, p.hardware);
    o << "</g>\n";
  }
  o << "</g>\n<g class=\"point-labels\" font-size=\"11\" fill=\"#111111\">\n";
  for (const auto& p : c.points) {
    if (!p.labelled) continue;
    o << "<text x=\"" << num(p.label_x) << "\" y=\"" << num(p.label_y) << "\""
      << (p.label_left ? " text-anchor=\"end\"" : "") << ">" << html_escape(chart::point_label(p)) << "</text>\n";
  }
  o << "</g>\n";
}

// The key: the runs whose label is a number, in columns under the plot.
void draw_key(std::ostream& o, const RooflineChart& c) {
  std::vector<const ChartPoint*> keyed;
  for (const auto& p : c.points)
    if (p.labelled && p.key > 0) keyed.push_back(&p);
  // In number order: past 200 labels they are numbered one per spot first,
  // not in the points' order, and [1] stood mid-list.
  std::sort(keyed.begin(), keyed.end(),
            [](const ChartPoint* a, const ChartPoint* b) { return a->key < b->key; });
  if (!keyed.empty()) {
    const double top = chart::key_top(c), col_w = (c.right - c.left) / chart::kKeyColumns;
    const size_t rows = (keyed.size() + chart::kKeyColumns - 1) / chart::kKeyColumns;
    o << "<g class=\"label-key\" font-size=\"11\" fill=\"#111111\">\n<text x=\"" << num(c.left) << "\" y=\""
      << num(top + chart::kKeyRow) << "\" font-weight=\"bold\">Too crowded to label in place:</text>\n";
    for (size_t i = 0; i < keyed.size(); ++i) {
      const std::string entry = chart::key_mark(keyed[i]->key) + " " + keyed[i]->title;
      o << "<text x=\"" << num(c.left + col_w * double(i / rows)) << "\" y=\""
        << num(top + chart::kKeyRow * double(i % rows + 2)) << "\"><title>" << html_escape(keyed[i]->title)
        << "</title>" << html_escape(chart::fit_width(entry, col_w - 6)) << "</text>\n";
    }
    o << "</g>\n";
  }
}

// The legend, right of the plot; returns the height it reaches.
double draw_legend(std::ostream& o, const RooflineChart& c) {
  double lx = c.right + 18, ly = c.top + 6;
  o << "<g class=\"legend\" font-size=\"11\" fill=\"#111111\">\n";
  auto heading = [&](const char* h) {
    o << "<text x=\"" << num(lx) << "\" y=\"" << num(ly) << "\" font-weight=\"bold\">" << h << "</text>\n";
    ly += 16;
  };
  if (!c.precision_colors.empty()) heading("Precision (color)");  // none in a file without runs or peaks
  for (const auto& [k, col] : c.precision_colors) {
    o << "<line x1=\"" << num(lx) << "\" y1=\"" << num(ly - 4) << "\" x2=\"" << num(lx + 22) << "\" y2=\""
      << num(ly - 4) << "\" stroke=\"" << col << "\" stroke-width=\"2\"/>"
      << marker_svg("circle", lx + 11, ly - 4, col, true) << "<text x=\"" << num(lx + 30) << "\" y=\""
      << num(ly) << "\">" << html_escape(k) << "</text>\n";
    ly += 15;
  }
  ly += 6;
  if (!c.family_markers.empty()) {
    heading("Family (marker)");
    for (const auto& [f, m] : c.family_markers) {
      // A family name is any string from the file: cut to the room right of
      // the plot (the SVG clips what passes its edge), whole on hover.
      const std::string shown = chart::fit_width(f, c.width - (lx + 30) - 4);
      o << marker_svg(m, lx + 11, ly - 4, "#444444", true) << "<text x=\"" << num(lx + 30) << "\" y=\""
        << num(ly) << "\">";
      if (shown != f) o << "<title>" << html_escape(f) << "</title>";
      o << html_escape(shown) << "</text>\n";
      ly += 15;
    }
    ly += 6;
  }
  heading("Roofs");
  o << "<line x1=\"" << num(lx) << "\" y1=\"" << num(ly - 4) << "\" x2=\"" << num(lx + 22) << "\" y2=\""
    << num(ly - 4) << "\" stroke=\"#444444\" stroke-width=\"2\"/><text x=\"" << num(lx + 30) << "\" y=\""
    << num(ly) << "\">datasheet peak</text>\n";
  ly += 15;
  const auto any_roof = [&](auto is) { return std::any_of(c.roofs.begin(), c.roofs.end(), is); };
  if (any_roof([](const ChartRoof& r) { return r.measured; })) {
    o << "<line x1=\"" << num(lx) << "\" y1=\"" << num(ly - 4) << "\" x2=\"" << num(lx + 22) << "\" y2=\""
      << num(ly - 4) << "\" stroke=\"#444444\" stroke-width=\"2\" stroke-dasharray=\"7 4\"/><text x=\""
      << num(lx + 30) << "\" y=\"" << num(ly) << "\">measured peak</text>\n";
    ly += 15;
  }
  // Colors in turn along one roof: not dashes (no gaps), one peak of several precisions.
  if (any_roof([](const ChartRoof& r) { return r.stripe_colors.size() > 1; })) {
    o << "<text x=\"" << num(lx) << "\" y=\"" << num(ly)
      << "\"><title>one peak of several precisions: their colors in turn</title>striped: a shared "
         "peak</text>\n";
    ly += 15;
  }
  o << "<text x=\"" << num(lx) << "\" y=\"" << num(ly) << "\">flat: compute; sloped: bandwidth</text>\n";
  ly += 21;
  heading("Points");
  o << marker_svg("circle", lx + 11, ly - 4, "#444444", true) << "<text x=\"" << num(lx + 30) << "\" y=\""
    << num(ly) << "\">hardware-counted</text>\n";
  ly += 15;
  o << marker_svg("circle", lx + 11, ly - 4, "#444444", false) << "<text x=\"" << num(lx + 30) << "\" y=\""
    << num(ly) << "\">model</text>\n";
  ly += 15;
  o << "<line x1=\"" << num(lx) << "\" y1=\"" << num(ly - 4) << "\" x2=\"" << num(lx + 22) << "\" y2=\""
    << num(ly - 4) << "\" stroke=\"#777777\" stroke-width=\"1.2\" stroke-dasharray=\"3 2\"/><text x=\""
    << num(lx + 30) << "\" y=\"" << num(ly) << "\">same run</text>\n";
  ly += 15;
  if (!c.level_links.empty()) {
    o << marker_svg("circle", lx + 11, ly - 4, "#444444", false, 3.2) << "<text x=\"" << num(lx + 30) << "\" y=\""
      << num(ly) << "\">L2 / L1 intensity (hw)</text>\n";
    ly += 15;
  }
  if (!c.omitted.empty()) {
    ly += 6;
    // The reasons vary (no FLOPs, no bytes, off the axes): hover for each.
    o << "<g class=\"omitted\"><title>" << html_escape(reasons(c.omitted)) << "</title><text x=\"" << num(lx) << "\" y=\""
      << num(ly) << "\">not drawn: " << c.omitted.size() << " run" << (c.omitted.size() == 1 ? "" : "s")
      << "</text>\n";
    ly += 14;
    o << "<text x=\"" << num(lx) << "\" y=\"" << num(ly) << "\">(hover for why)</text></g>\n";
  }
  if (c.unlabelled_runs > 0) {
    ly += 16;
    o << "<g class=\"omitted\"><title>At most " << chart::kMaxLabels
      << " runs are labelled; hover any point for its run</title><text x=\""
      << num(lx) << "\" y=\"" << num(ly) << "\">unlabelled: " << c.unlabelled_runs
      << (c.unlabelled_runs == 1 ? " run" : " runs") << " (hover points)</text></g>\n";
  }
  if (!c.levels_without_roof.empty()) {
    ly += 16;
    o << "<g class=\"omitted\"><title>" << html_escape(levels_without_roof_note(c)) << "</title><text x=\""
      << num(lx) << "\" y=\"" << num(ly) << "\">" << joined(c.levels_without_roof, ", ")
      << ": no roof, not drawn</text></g>\n";
  }
  if (!c.levels_omitted.empty()) {
    ly += 16;
    o << "<g class=\"omitted\"><title>" << html_escape(reasons(c.levels_omitted)) << "</title><text x=\"" << num(lx) << "\" y=\""
      << num(ly) << "\">L2/L1 not drawn: " << c.levels_omitted.size() << " (hover)</text></g>\n";
  }
  o << "</g>\n";
  return ly;
}

ChartBody chart_body(const RooflineChart& c) {
  std::ostringstream o;
  draw_title(o, c);
  draw_axes(o, c);
  draw_roof_lines(o, c);
  draw_links(o, c);
  draw_roof_labels(o, c);
  draw_points(o, c);
  draw_key(o, c);
  const double legend_bottom = draw_legend(o, c);
  return {o.str(), std::max(c.height, legend_bottom + 14)};
}

std::string svg_open(double w, double h, const std::string& label) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"roofline\" width=\"" + num(w) + "\" height=\"" +
         num(h) + "\" viewBox=\"0 0 " + num(w) + " " + num(h) +
         "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" role=\"img\" aria-label=\"" +
         html_escape(label) + "\">\n";
}

}  // namespace

std::string render_roofline_svg(const RooflineChart& c) {
  const ChartBody body = chart_body(c);
  return svg_open(c.width, body.height, "Roofline: " + c.title) + body.svg + "</svg>\n";
}

std::string render_roofline_svg(const std::vector<RooflineChart>& charts) {
  if (charts.size() == 1) return render_roofline_svg(charts.front());
  std::vector<ChartBody> bodies;
  double w = 0, h = 0;
  for (const auto& c : charts) {
    bodies.push_back(chart_body(c));
    w += c.width;
    h = std::max(h, bodies.back().height);
  }
  std::string out = svg_open(w, h, "Roofline charts side by side");
  double x = 0;
  for (size_t i = 0; i < charts.size(); ++i) {
    out += "<svg x=\"" + num(x) + "\" y=\"0\" width=\"" + num(charts[i].width) + "\" height=\"" +
           num(bodies[i].height) + "\">\n" + bodies[i].svg + "</svg>\n";
    x += charts[i].width;
  }
  return out + "</svg>\n";
}

}  // namespace flopscope
