#pragma once
/// The roofline chart: a log-log plot of achieved TFLOP/s against arithmetic
/// intensity (FLOP per DRAM byte), with a flat roof per precision and a sloped
/// roof per memory level. The chart is computed first as plain data (roofs,
/// points and their SVG coordinates), then drawn; tests check the data.
/// Host-only; deterministic (same documents, same bytes).
#include <cstddef>
#include <string>
#include <vector>

#include "flopscope/results.h"

namespace flopscope {

struct ChartRoof {
  bool memory = false;            ///< sloped (bandwidth) roof; otherwise flat (compute)
  std::vector<std::string> keys;  ///< precision keys sharing this peak, or {"dram"|"l2"|"l1"}
  bool measured = false;          ///< from peaks.measured (dashed); else datasheet (solid)
  double value = 0;               ///< FLOP/s (flat) or bytes/s (sloped)
  std::string label;              ///< "bf16_tensor, fp16_tensor 989.4 TFLOP/s"
  std::string color;
  /// A flat roof that precisions of several runs share is drawn striped in
  /// their colors (empty otherwise).
  std::vector<std::string> stripe_colors;
  /// The drawn segment in data units (FLOP/byte, TFLOP/s), clipped to the axes.
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  /// Drawn lighter: a flat roof of a precision no run in the document uses.
  bool faint = false;
  /// Where its label goes (SVG units) and its rotation in degrees (sloped roofs).
  double label_x = 0, label_y = 0, label_angle = 0;
};

/// A rectangle in SVG units.
struct ChartBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool overlaps(const ChartBox& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

struct ChartPoint {
  size_t run = 0;          ///< index into doc.runs
  std::string id, name, family, precision, bound;
  /// The run as tables name it (id, shape, NVTX path): what hover and the key
  /// give, where a label in place gives the id alone.
  std::string title;
  bool hardware = false;   ///< hardware-counted FLOPs and DRAM bytes; else the model's
  /// "dram", or "l2" / "l1": hardware FLOPs over that level's counted bytes, the
  /// hierarchical roofline's point for that level (read against its sloped roof).
  std::string level = "dram";
  double intensity = 0;    ///< FLOP/byte
  double tflops = 0;       ///< achieved TFLOP/s (same FLOPs as the intensity)
  double x = 0, y = 0;     ///< SVG user units, within the plot area
  std::string color;       ///< by precision
  std::string marker;      ///< by family: circle, square, triangle, diamond, ...
  bool labelled = false;   ///< the run's primary point (hardware when present) carries its id
  double label_x = 0, label_y = 0;  ///< text anchor of the label
  bool label_left = false;          ///< text-anchor end
  bool leader = false;              ///< label set apart: a thin line joins it to the point
  /// > 0: no free room for the id, so the label is "[key]" and the key under
  /// the plot names the run.
  int key = 0;
  ChartBox label_box;  ///< the room the label takes (estimated from its length)
};

/// A run drawn twice (model and hardware intensity): indices into points.
struct ChartLink {
  size_t model = 0, hardware = 0;
};
/// A hardware DRAM point and the same run's L2 or L1 point: indices into points.
struct ChartLevelLink {
  size_t dram = 0, level = 0;
};

/// A run that has no place on a log-log chart, and why.
struct ChartOmitted {
  size_t run = 0;
  std::string id, reason;
  std::string label;  ///< id, and the NVTX path when it has one ("app.gemm in step/fwd")
};

/// Omitted runs that share a reason: their labels in first-seen order, a label
/// that repeats written once with "x3" after it.
struct OmittedGroup {
  std::string reason;
  std::vector<std::string> labels;
  size_t runs = 0;
  /// The first `cap` labels and how many more: a page or a chart's hover
  /// listing 5,000 of them held 300 KB of names (--md lists every one).
  std::string listed(size_t cap = 40) const;
};
std::vector<OmittedGroup> group_omitted(const std::vector<ChartOmitted>& omitted);

struct RooflineChart {
  std::string title;
  size_t doc = 0;      ///< the document drawn (index into the documents given)
  std::string family;  ///< only this family's runs; empty: every run
  double width = 1100, height = 680;
  double left = 78, right = 880, top = 44, bottom = 620;  ///< plot area, SVG units
  double x_min = 0.01, x_max = 1e4;  ///< FLOP/byte, whole decades
  double y_min = 0.01, y_max = 1e4;  ///< TFLOP/s, whole decades
  std::vector<ChartRoof> roofs;
  std::vector<ChartPoint> points;
  std::vector<ChartLink> links;
  std::vector<ChartLevelLink> level_links;
  std::vector<ChartOmitted> omitted;
  /// A drawn run's L2 or L1 point left out: fewer bytes counted there than in
  /// DRAM, so that level's counter missed traffic that went past it.
  std::vector<ChartOmitted> levels_omitted;
  /// Cache levels ("L2", "L1/TEX") some run counted bytes at but that have no
  /// bandwidth roof here (datasheet peaks give DRAM only): none of their
  /// points is drawn, as nothing on the chart says where such a point's roof is.
  std::vector<std::string> levels_without_roof;
  bool measured_peaks = false;  ///< the document has measured peaks (its roofs are drawn too)
  /// Labels that found no free room at all and overlap something (hundreds of
  /// points in one spot); 0 on any chart of a few dozen runs.
  size_t overlapping_labels = 0;
  /// Runs drawn without a label: past chart::kMaxLabels (200), named on hover.
  size_t unlabelled_runs = 0;
  /// Legend entries in the order drawn: (precision key, color), (family, marker).
  std::vector<std::pair<std::string, std::string>> precision_colors, family_markers;

  /// Data to SVG coordinates (log10 scales).
  double px(double intensity) const;
  double py(double tflops) const;
};

/// One chart per document, sharing axes, colors and markers so that charts set
/// side by side compare at a glance. Titles come from doc_labels().
std::vector<RooflineChart> build_roofline_charts(const std::vector<ResultsDoc>& docs);
RooflineChart build_roofline_chart(const ResultsDoc& doc);
/// A chart per family and document (family by family, in name order), on the
/// same axes, colors and markers as build_roofline_charts' (the points of one
/// family are the whole chart's, with room for their labels). Families with no
/// point to draw are left out; none when the documents hold one family.
/// At most kMaxFamilyCharts families, those with the most runs: each chart
/// costs a pass over the runs and a whole SVG (20,000 one-run families once
/// made a 275 MB page). `families_left_out`, when given, counts the rest.
inline constexpr size_t kMaxFamilyCharts = 12;
std::vector<RooflineChart> build_family_roofline_charts(const std::vector<ResultsDoc>& docs,
                                                        size_t* families_left_out = nullptr);

/// One sentence on the cache levels counted but not drawn for want of a roof
/// (levels_without_roof), with how to get one; empty when there are none.
std::string levels_without_roof_note(const RooflineChart& c);
/// One chart as an <svg> element (with xmlns: valid standalone and inline).
std::string render_roofline_svg(const RooflineChart& chart);
/// Several charts side by side in one <svg>.
std::string render_roofline_svg(const std::vector<RooflineChart>& charts);

/// The color of a precision key, as the chart uses.
std::string precision_color(const std::string& key);

}  // namespace flopscope
