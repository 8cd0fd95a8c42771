#pragma once
// Where the roofline chart's labels go: roof labels, then each run's label
// beside its point, set apart with a leader line, or, where even that finds
// no free room, as a short "[n]" listed in a key under the chart. Labels never
// overlap one another, the points or the roof labels (widths estimated per
// glyph, generously). Internal to profiler/report.
#include <cstddef>
#include <string>

#include "flopscope/roofline_chart.h"

namespace flopscope::chart {

constexpr double kLabelHeight = 12;
/// The width of `text` at font-size 11, from DejaVu Sans's advances rounded up
/// by glyph class (capitals 8.7, m and w 11, digits and most lowercase 7, i, l
/// and '.' 3.5), plus 2 units; characters outside ASCII count 11.
double text_width(const std::string& text);
/// `text` cut, with an ellipsis, to at most `width` units at font-size 11.
std::string fit_width(const std::string& text, double width);
/// At most this many points carry a label: more would be unreadable, and every
/// point still names its run when hovered (its <title>).
constexpr size_t kMaxLabels = 200;

/// A point's label text: its id cut short (the whole id is in its tooltip), or
/// "[n]" when it is listed in the key.
std::string point_label(const ChartPoint& p);
/// "[key]".
std::string key_mark(int key);
/// An id cut to at most this many columns, ending in an ellipsis when cut.
std::string short_id(const std::string& id, size_t columns);

void place_roof_labels(RooflineChart& c);
/// Places every labelled point's label and numbers the ones listed in the key;
/// grows c.height to hold the key.
void place_point_labels(RooflineChart& c);

/// The key under the plot: columns of "[n] id", rows this far apart.
constexpr double kKeyRow = 14;
constexpr int kKeyColumns = 3;
/// The top of the key's first row (its baseline is kKeyRow lower).
double key_top(const RooflineChart& c);

}  // namespace flopscope::chart
