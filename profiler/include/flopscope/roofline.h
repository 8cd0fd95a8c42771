#pragma once
/// Roofline position and utilization. Every figure carries the denominator it
/// was divided by, so a report can always say "of what".
#include <optional>
#include <string>

#include "flopscope/peaks.h"

namespace flopscope {

enum class Bound { memory, compute };
const char* to_string(Bound b);

/// FLOP per byte at which the sloped memory roof meets the flat compute roof;
/// throws bad_input unless both are positive and finite.
double ridge_point(double peak_flops_per_s, double bytes_per_s);

/// A kernel is memory-bound when its intensity is below the ridge, and
/// compute-bound at or above it (at the ridge both roofs give the same value).
Bound classify(double intensity, double ridge);

struct RooflinePoint {
  double intensity = 0;       ///< FLOP/byte
  double ridge = 0;           ///< FLOP/byte
  double attainable = 0;      ///< FLOP/s: min(peak, intensity * bandwidth)
  double achieved = 0;        ///< FLOP/s
  double pct_of_roof = 0;     ///< achieved / attainable * 100
  Bound bound = Bound::memory;
};

/// Throws bad_input when bytes or seconds are not positive, FLOPs negative, a
/// peak or bandwidth not positive, or any of them NaN or infinite.
RooflinePoint roofline(double flops, double bytes, double seconds, double peak_flops_per_s,
                       double bytes_per_s);

/// A utilization figure and what it was divided by.
struct Utilization {
  double value = 0;           ///< fraction, 0.42 = 42%
  std::string peak_key;       ///< "bf16_tensor"
  double peak_flops_per_s = 0;
  std::string peak_source;    ///< "datasheet: ..." or "measured: ..."
};

/// MFU = model FLOPs / time / peak; HFU = hardware FLOPs / time / the same peak.
/// nullopt when the table has no peak for the precision.
std::optional<Utilization> utilization(double flops, double seconds, const Precision& p,
                                       const PeakTable& peaks);

}  // namespace flopscope
