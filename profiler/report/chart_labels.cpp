// Label placement for the roofline chart. See chart_labels.h.
#include "chart_labels.h"

#include <algorithm>
#include <iterator>
#include <cmath>
#include <numbers>
#include <set>
#include <unordered_map>

#include "flopscope/utf8.h"

namespace flopscope::chart {

namespace {

// Boxes already placed, bucketed by 64-unit cells so that a chart of many
// thousands of points costs about as much per label as one of ten.
class BoxGrid {
 public:
  void add(const ChartBox& b) {
    for_cells(b, [&](int64_t key) { cells_[key].push_back(boxes_.size()); });
    boxes_.push_back(b);
  }
  bool overlaps_any(const ChartBox& b) const {
    bool hit = false;
    for_cells(b, [&](int64_t key) {
      if (hit) return;
      auto it = cells_.find(key);
      if (it != cells_.end())
        hit = std::any_of(it->second.begin(), it->second.end(), [&](size_t i) { return boxes_[i].overlaps(b); });
    });
    return hit;
  }
  /// How many boxes b overlaps (each once, though it spans several cells).
  size_t count_overlaps(const ChartBox& b) const {
    std::vector<size_t> hits;
    for_cells(b, [&](int64_t key) {
      auto it = cells_.find(key);
      if (it == cells_.end()) return;
      for (size_t i : it->second)
        if (boxes_[i].overlaps(b)) hits.push_back(i);
    });
    std::sort(hits.begin(), hits.end());
    return size_t(std::unique(hits.begin(), hits.end()) - hits.begin());
  }

 private:
  static constexpr double kCell = 64;
  template <class F>
  static void for_cells(const ChartBox& b, F f) {
    // Clamped: a label far outside the plot must not visit millions of cells.
    auto cell = [](double v) { return int64_t(std::floor(std::clamp(v, -1e4, 1e4) / kCell)); };
    for (int64_t cx = cell(b.x0); cx <= cell(b.x1); ++cx)
      for (int64_t cy = cell(b.y0); cy <= cell(b.y1); ++cy) f(cx * 100003 + cy);
  }
  std::vector<ChartBox> boxes_;
  std::unordered_map<int64_t, std::vector<size_t>> cells_;
};

// A label's place relative to its point: the text anchor's offset, and whether
// the text ends there (text-anchor end) rather than starts there.
struct Offset {
  double dx, dy;
  bool left;
};

// Beside the point, right then left, level with it or just below.
const std::vector<Offset>& beside() {
  static const std::vector<Offset> v{{8, -6, false}, {8, 14, false}, {-8, -6, true}, {-8, 14, true}};
  return v;
}

// Set apart, with a leader line: a grid of places up to about 300 units away,
// nearest first, so that a leader is as short as the room allows.
const std::vector<Offset>& apart() {
  static const std::vector<Offset> v = [] {
    std::vector<Offset> out;
    for (double dx : {10.0, 45.0, 90.0, 140.0, 200.0})
      for (int row = -22; row <= 22; ++row) {
        const double dy = 4 + 13.0 * row;
        if (std::fabs(dy) <= 14) continue;  // where beside() looks
        out.push_back({dx, dy, false});
        out.push_back({-dx, dy, true});
      }
    std::stable_sort(out.begin(), out.end(), [](const Offset& a, const Offset& b) {
      return std::hypot(a.dx, a.dy) < std::hypot(b.dx, b.dy);
    });
    return out;
  }();
  return v;
}

}  // namespace

// Advances at font-size 11 (DejaVu Sans units / 2048 x 11, rounded up per class;
// Helvetica and Arial are narrower). A UTF-8 continuation byte takes none.
static double glyph_width(unsigned char c) {
  if (continues_character(c)) return 0;
  if (c >= 0x80) return 11;  // any other script: as wide as a capital W
  if (c == 'm' || c == 'w' || c == 'M' || c == 'W') return 11;
  if (c >= 'A' && c <= 'Z') return (c == 'I' || c == 'J') ? 3.5 : 8.7;
  if (c == 'i' || c == 'j' || c == 'l' || c == '.' || c == ',' || c == ':' || c == ';' || c == '!' ||
      c == '|' || c == '\'' || c == ' ')
    return 3.5;
  if (c == 'f' || c == 'r' || c == 't' || c == '-' || c == '(' || c == ')' || c == '[' || c == ']')
    return 4.6;
  if (c == '_') return 5.5;
  return 7.0;  // digits, the other lowercase letters, the rest of ASCII
}

double text_width(const std::string& text) {
  double w = 2;
  for (const char ch : text) w += glyph_width(static_cast<unsigned char>(ch));
  return w;
}

std::string fit_width(const std::string& text, double width) {
  if (text_width(text) <= width) return text;
  const double room = width - 2 - 11;  // the ellipsis counted as a wide glyph
  double w = 0;
  size_t kept = 0;  // bytes of whole characters that fit
  while (kept < text.size()) {
    const double cw = glyph_width(static_cast<unsigned char>(text[kept]));
    if (w + cw > room) break;
    w += cw;
    kept = character_start_at_or_after(text, kept + 1);
  }
  return text.substr(0, kept) + "\u2026";
}

namespace {

ChartBox label_box_at(const ChartPoint& p, const Offset& o, double w) {
  const double ax = p.x + o.dx, ay = p.y + o.dy;
  return {o.left ? ax - w : ax, ay - kLabelHeight + 2, o.left ? ax : ax + w, ay + 2};
}

// Where a leader from the point to its label runs, as small boxes every few
// units, stopping short of the label it ends at.
std::vector<ChartBox> leader_boxes(const ChartPoint& p, const Offset& o) {
  const double x1 = p.x + o.dx, y1 = p.y + o.dy - 4;
  const double len = std::hypot(x1 - p.x, y1 - p.y);
  std::vector<ChartBox> out;
  for (double s = 7; s < len - 3; s += 3) {
    const double x = p.x + (x1 - p.x) * s / len, y = p.y + (y1 - p.y) * s / len;
    out.push_back({x - 1, y - 1, x + 1, y + 1});
  }
  return out;
}

// The room a roof's label takes where it stands now. A sloped one is rotated
// text: a box per character along its baseline, since its bounding rectangle
// would cover half the plot.
std::vector<ChartBox> roof_label_boxes(const ChartRoof& r) {
  const double width = text_width(r.label) * 10.5 / 11;  // font-size 10.5
  if (!r.memory) return {{r.label_x - width, r.label_y - 10, r.label_x, r.label_y + 2}};
  // Along a sloped label, glyphs of the average advance.
  const double cw = width / double(std::max<size_t>(r.label.size(), 1));
  const double a = r.label_angle * std::numbers::pi / 180, cs = std::cos(a), sn = std::sin(a);
  std::vector<ChartBox> out;
  for (size_t i = 0; i < r.label.size(); ++i) {
    // The glyph's centre: along the baseline, then 4 units "up" in the text's frame.
    const double s = (double(i) + 0.5) * cw;
    const double x = r.label_x + s * cs + 4 * sn, y = r.label_y + s * sn - 4 * cs;
    out.push_back({x - cw / 2 - 1, y - 5, x + cw / 2 + 1, y + 5});
  }
  return out;
}

void add_points(BoxGrid& g, const RooflineChart& c) {
  for (const auto& p : c.points) {
    g.add({p.x - 6, p.y - 6, p.x + 6, p.y + 6});
    if (p.level != "dram") g.add({p.x + 4, p.y - 12, p.x + 17, p.y - 2});  // its "L2"/"L1" tag
  }
}

}  // namespace

std::string short_id(const std::string& id, size_t columns) {
  return text_columns(id) > columns ? first_columns(id, columns - 1) + "\u2026" : id;
}

std::string key_mark(int key) {
  std::string s = "[";  // built in steps: GCC 12 warns falsely (-Wrestrict) on "[" + to_string(k)
  s += std::to_string(key);
  s += ']';
  return s;
}

std::string point_label(const ChartPoint& p) { return p.key > 0 ? key_mark(p.key) : short_id(p.id, 48); }

namespace {

/// Whether the segment (x0, y0)-(x1, y1) passes through box `b` (Liang-Barsky clipping).
bool segment_crosses(const ChartBox& b, double x0, double y0, double x1, double y1) {
  double t0 = 0, t1 = 1;
  const double dx = x1 - x0, dy = y1 - y0;
  const double p[] = {-dx, dx, -dy, dy}, q[] = {x0 - b.x0, b.x1 - x0, y0 - b.y0, b.y1 - y0};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] <= 0) return false;  // parallel to this edge and outside it (or on it)
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) t0 = std::max(t0, t);
    else t1 = std::min(t1, t);
    if (t0 >= t1) return false;
  }
  return true;
}

/// What the roof lines other than `own` through box `b` cost: a flat one, a
/// nearby peak's line, strikes the text through (3); a sloped one crosses it
/// steeply, and the label's halo keeps the text legible (1).
size_t roof_lines_cost(const RooflineChart& c, const ChartBox& b, const ChartRoof& own) {
  size_t n = 0;
  for (const ChartRoof& r : c.roofs)
    if (&r != &own && segment_crosses(b, c.px(r.x0), c.py(r.y0), c.px(r.x1), c.py(r.y1)))
      n += r.memory ? 1 : 3;
  return n;
}

/// What a flat roof's label costs for standing off its line, which starts at
/// `start`: wholly off, it reads as a grid line's label (4); partly, as a label
/// wider than a short line must (1).
size_t off_line_cost(const ChartBox& b, double start) {
  if (b.x1 <= start + 8) return 4;
  return b.x0 < start ? 1 : 0;
}

/// A flat roof's label next to its line, clear of the other roofs' lines and
/// labels: above the line at the right end, else below it, else the same
/// further left (a measured peak's line a few units from its datasheet twin's
/// crossed the label stacked onto it); where every place costs something, the
/// cheapest (roof_lines_cost, off_line_cost). Points are drawn over these labels.
void place_flat_roof_label(const RooflineChart& c, ChartRoof& r, const BoxGrid& placed) {
  const double width = text_width(r.label) * 10.5 / 11, line_y = c.py(r.y0), start = c.px(r.x0);
  size_t best_cost = SIZE_MAX;
  double best_x = c.right - 4, best_y = line_y - 4;
  for (int step = 0; step < 5 && best_cost > 0; ++step) {
    const double x = c.right - 4 - step * (width + 12);
    if (x - width < c.left + 4) break;
    for (const double y : {line_y - 4, line_y + 12}) {
      r.label_x = x, r.label_y = y;
      const ChartBox b = roof_label_boxes(r).front();
      if (b.y0 < c.top || b.y1 > c.bottom) continue;
      const size_t cost =
          roof_lines_cost(c, b, r) + off_line_cost(b, start) + 1000 * placed.count_overlaps(b);
      if (cost < best_cost) best_cost = cost, best_x = x, best_y = y;
      if (cost == 0) break;
    }
  }
  r.label_x = best_x, r.label_y = best_y;
}

}  // namespace

// Flat roof labels: datasheet roofs first, highest first (place_flat_roof_label).
// A sloped label lies on the line where memory-bound runs sit: it goes to the
// first of several places along it, above the line, then below it (runs past
// a measured roof sit just above), that covers no point and no other label,
// else to the one covering fewest.
void place_roof_labels(RooflineChart& c) {
  std::vector<ChartRoof*> flat;
  for (auto& r : c.roofs)
    if (!r.memory) flat.push_back(&r);
  std::stable_sort(flat.begin(), flat.end(), [](const ChartRoof* a, const ChartRoof* b) {
    return a->measured != b->measured ? !a->measured : a->y0 > b->y0;
  });
  BoxGrid points, placed;
  add_points(points, c);
  for (ChartRoof* r : flat) {
    place_flat_roof_label(c, *r, placed);
    for (const ChartBox& b : roof_label_boxes(*r)) placed.add(b);
  }
  // Fractions of the line's length; the measured roof's first is further
  // along, off its datasheet twin's.
  static constexpr double kDatasheet[] = {0.1, 0.22, 0.34, 0.46, 0.58, 0.7};
  static constexpr double kMeasured[] = {0.32, 0.44, 0.56, 0.68, 0.2, 0.08};
  for (auto& r : c.roofs) {
    if (!r.memory) continue;
    r.label_angle = std::atan2(c.py(r.y1) - c.py(r.y0), c.px(r.x1) - c.px(r.x0)) * 180 / std::numbers::pi;
    const double a = r.label_angle * std::numbers::pi / 180;
    // Above the line, or below it (its baseline 13 units off the line, across it).
    auto place = [&](double u, bool below) {
      const double lx = std::pow(10.0, std::log10(r.x0) + u * (std::log10(r.x1) - std::log10(r.x0)));
      r.label_x = c.px(lx) - (below ? 13 * std::sin(a) : 0);
      r.label_y = c.py(lx * r.value / 1e12) + (below ? 13 * std::cos(a) : -5);
    };
    auto cost = [&] {
      size_t n = 0;
      for (const ChartBox& b : roof_label_boxes(r)) n += points.count_overlaps(b) + 1000 * placed.count_overlaps(b);
      return n;
    };
    const double* places = r.measured ? kMeasured : kDatasheet;
    double best = places[0];
    bool best_below = false;
    size_t best_cost = SIZE_MAX;
    for (const bool below : {false, true})
      for (size_t i = 0; i < std::size(kDatasheet) && best_cost > 0; ++i) {
        place(places[i], below);
        if (const size_t k = cost(); k < best_cost) best = places[i], best_below = below, best_cost = k;
      }
    place(best, best_below);
    for (const ChartBox& b : roof_label_boxes(r)) placed.add(b);
  }
}

void place_point_labels(RooflineChart& c) {
  // blocked: what no label may cover; texts: what no leader may cross.
  // A leader may cross a roof's label (light, and along a line anyway), not
  // another run's label.
  BoxGrid blocked, texts;
  add_points(blocked, c);
  for (const auto& r : c.roofs)
    for (const ChartBox& b : roof_label_boxes(r)) blocked.add(b);
  auto inside = [&](const ChartBox& b) { return b.x0 >= c.left && b.x1 <= c.right && b.y0 >= c.top && b.y1 <= c.bottom; };
  auto fits = [&](const ChartPoint& p, const Offset& o, double w, bool leader, bool leader_may_cross) {
    const ChartBox b = label_box_at(p, o, w);
    if (!inside(b) || blocked.overlaps_any(b)) return false;
    if (leader && !leader_may_cross)
      for (const ChartBox& s : leader_boxes(p, o))
        if (texts.overlaps_any(s)) return false;
    return true;
  };
  auto place = [&](ChartPoint& p, const Offset& o, double w, bool leader) {
    p.label_x = p.x + o.dx;
    p.label_y = p.y + o.dy;
    p.label_left = o.left;
    p.leader = leader;
    p.label_box = label_box_at(p, o, w);
    blocked.add(p.label_box);
    texts.add(p.label_box);
    if (leader)
      for (const ChartBox& s : leader_boxes(p, o)) blocked.add(s);
  };
  // Tries the offsets in order; true when one was free.
  auto try_place = [&](ChartPoint& p, const std::vector<Offset>& offsets, bool leader, double reach = 1e9,
                       bool leader_may_cross = false) {
    const double w = text_width(point_label(p));
    for (const Offset& o : offsets)
      if (std::hypot(o.dx, o.dy) <= reach && fits(p, o, w, leader, leader_may_cross)) {
        place(p, o, w, leader);
        return true;
      }
    return false;
  };

  std::vector<ChartPoint*> labelled;
  for (auto& p : c.points)
    if (p.labelled) labelled.push_back(&p);
  if (labelled.size() > kMaxLabels) {
    // One label per spot first, then the rest in file order: by file order
    // alone, 300 runs at one place took every label from an outlier beside them.
    constexpr double kSpot = 12;  // SVG units: points closer than this share a spot
    std::set<std::pair<long, long>> spots;
    std::vector<ChartPoint*> first, rest;
    for (ChartPoint* p : labelled)
      (spots.insert({std::lround(p->x / kSpot), std::lround(p->y / kSpot)}).second ? first : rest).push_back(p);
    first.insert(first.end(), rest.begin(), rest.end());
    labelled = std::move(first);
    for (size_t i = kMaxLabels; i < labelled.size(); ++i) labelled[i]->labelled = false;
    c.unlabelled_runs = labelled.size() - kMaxLabels;
    labelled.resize(kMaxLabels);
  }
  // Beside its point first, for every label; then set a little apart; then as
  // a number, beside or further apart. A long leader to a whole id would
  // cross the plot and crowd out the labels beyond it.
  constexpr double kIdReach = 110;
  std::vector<ChartPoint*> left_over;
  for (ChartPoint* p : labelled)
    if (!try_place(*p, beside(), false)) left_over.push_back(p);
  std::vector<ChartPoint*> numbered;
  for (ChartPoint* p : left_over)
    if (!try_place(*p, apart(), true, kIdReach)) numbered.push_back(p);
  int key = 0;
  for (ChartPoint* p : numbered) {
    p->key = ++key;
    if (try_place(*p, beside(), false) || try_place(*p, apart(), true)) continue;
    // A leader across other labels rather than a number on top of one.
    if (try_place(*p, apart(), true, 1e9, /*leader_may_cross=*/true)) continue;
    // Hundreds of points in one spot: the number goes beside it regardless.
    ++c.overlapping_labels;
    const Offset& o = beside()[p->x + 40 > c.right ? 2 : 0];
    place(*p, o, text_width(point_label(*p)), false);
  }
  if (key > 0) {
    const int rows = (key + kKeyColumns - 1) / kKeyColumns;
    c.height = std::max(c.height, key_top(c) + kKeyRow * (rows + 1) + 10);
  }
}

double key_top(const RooflineChart& c) { return c.bottom + 50; }

}  // namespace flopscope::chart
