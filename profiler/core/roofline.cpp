#include "flopscope/roofline.h"

#include <algorithm>
#include <cmath>

#include "flopscope/error.h"

namespace flopscope {

const char* to_string(Bound b) { return b == Bound::memory ? "memory" : "compute"; }

double ridge_point(double peak_flops_per_s, double bytes_per_s) {
  // Written so that NaN fails too (every comparison with NaN is false).
  if (!(peak_flops_per_s > 0) || !(bytes_per_s > 0) || std::isinf(peak_flops_per_s) || std::isinf(bytes_per_s))
    throw_bad_input("ridge point needs a positive, finite peak and bandwidth");
  return peak_flops_per_s / bytes_per_s;
}

Bound classify(double intensity, double ridge) {
  return intensity < ridge ? Bound::memory : Bound::compute;
}

RooflinePoint roofline(double flops, double bytes, double seconds, double peak_flops_per_s,
                       double bytes_per_s) {
  if (!(bytes > 0) || std::isinf(bytes)) throw_bad_input("roofline needs a positive, finite byte count");
  if (!(seconds > 0) || std::isinf(seconds)) throw_bad_input("roofline needs a positive, finite time");
  if (!(flops >= 0) || std::isinf(flops)) throw_bad_input("roofline needs a non-negative, finite FLOP count");
  RooflinePoint p;
  p.intensity = flops / bytes;
  p.ridge = ridge_point(peak_flops_per_s, bytes_per_s);
  p.attainable = std::min(peak_flops_per_s, p.intensity * bytes_per_s);
  p.achieved = flops / seconds;
  p.bound = classify(p.intensity, p.ridge);
  // A pure data-movement kernel (zero FLOPs) sits on the memory roof: its
  // percent is that of the bandwidth roof instead.
  p.pct_of_roof = p.attainable > 0 ? 100.0 * p.achieved / p.attainable
                                   : 100.0 * (bytes / seconds) / bytes_per_s;
  return p;
}

std::optional<Utilization> utilization(double flops, double seconds, const Precision& prec,
                                       const PeakTable& peaks) {
  if (seconds <= 0) throw_bad_input("utilization needs a positive time");
  auto peak = peaks.dense(prec);
  if (!peak || *peak <= 0) return std::nullopt;
  return Utilization{flops / seconds / *peak, prec.key(), *peak, peaks.source};
}

}  // namespace flopscope
