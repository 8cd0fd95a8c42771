#include "flopscope/launch_times.h"

#include <algorithm>
#include <cmath>

namespace flopscope {

namespace {
// The buckets span 1 ps to 1e6 s: a duration outside, only a corrupt one,
// goes to the edge bucket, its time still in the sum.
const double kLogWidth = std::log1p(LaunchTimes::kBucketWidth);
const double kLowestBucket = std::floor(std::log(1e-12) / kLogWidth);
const double kHighestBucket = std::floor(std::log(1e6) / kLogWidth);
}  // namespace

void LaunchTimes::add(double seconds) {
  ++count_;
  if (!bucketed_) {
    exact_.push_back(seconds);
    if (exact_.size() > kExactLaunches) to_buckets();
    return;
  }
  add_to_bucket(seconds);
}

void LaunchTimes::to_buckets() {
  bucketed_ = true;
  for (double s : exact_) add_to_bucket(s);
  exact_.clear();
  exact_.shrink_to_fit();
}

void LaunchTimes::add_to_bucket(double seconds) {
  // 0, or a value no duration has (negative, NaN, infinite): counted as 0.
  if (!(seconds > 0) || !std::isfinite(seconds)) {
    ++zeros_.count;
    return;
  }
  // Clamped as a double: a cast of one past int32's range is undefined.
  const auto index =
      int32_t(std::clamp(std::floor(std::log(seconds) / kLogWidth), kLowestBucket, kHighestBucket));
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), index,
                             [](const Bucket& b, int32_t i) { return b.index < i; });
  if (it == buckets_.end() || it->index != index) it = buckets_.insert(it, Bucket{index, 0, 0});
  ++it->count;
  it->sum_s += seconds;
}

TimeStats LaunchTimes::summary(size_t k) const {
  if (!bucketed_) return summarize_at_most(exact_, k);
  // In order: the zeros, then the buckets by index, each standing for its
  // launches at its mean.
  std::vector<WeightedSample> weighted;
  weighted.reserve(buckets_.size() + 1);
  if (zeros_.count > 0) weighted.push_back({0.0, double(zeros_.count)});
  for (const Bucket& b : buckets_) weighted.push_back({b.sum_s / double(b.count), double(b.count)});
  // The launch at sorted position `rank` (0-based): its bucket's mean.
  auto at_rank = [&](uint64_t rank) {
    uint64_t seen = 0;
    for (const WeightedSample& w : weighted)
      if ((seen += uint64_t(w.weight)) > rank) return w.value;
    return weighted.back().value;
  };
  // As summarize takes them: between the two launches nearest q x (n - 1).
  auto percentile = [&](double q) {
    const double pos = q * double(count_ - 1);
    const auto lo = uint64_t(std::floor(pos));
    const double below = at_rank(lo), above = at_rank(std::min(lo + 1, count_ - 1));
    return below + (above - below) * (pos - double(lo));
  };
  const double median = percentile(0.5), p10 = percentile(0.1), p90 = percentile(0.9);
  TimeStats t = weighted_summary(std::move(weighted), k);
  t.median = median;
  t.p10 = p10;
  t.p90 = p90;
  return t;
}

}  // namespace flopscope
