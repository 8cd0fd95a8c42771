#include "flopscope/launch_times.h"

#include <algorithm>
#include <cmath>

namespace flopscope {

namespace {
// The buckets span 1 ps to 1e6 s (41,400 of them at most, 650 KB): a
// duration outside, only a corrupt one, goes to the edge bucket, its time
// still in the sum.
const double kLogWidth = std::log1p(LaunchTimes::kBucketWidth);
const int32_t kLowestBucket = int32_t(std::floor(std::log(1e-12) / kLogWidth));
const int32_t kHighestBucket = int32_t(std::floor(std::log(1e6) / kLogWidth));
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
  if (!(seconds > 0)) {  // 0, or a value no duration has: counted as 0
    ++zeros_.count;
    return;
  }
  const int32_t i =
      std::clamp(int32_t(std::floor(std::log(seconds) / kLogWidth)), kLowestBucket, kHighestBucket);
  if (buckets_.empty()) {
    first_ = i;
    buckets_.resize(1);
  } else if (i < first_) {
    buckets_.insert(buckets_.begin(), size_t(first_ - i), Bucket{});
    first_ = i;
  } else if (size_t(i - first_) >= buckets_.size()) {
    buckets_.resize(size_t(i - first_) + 1);
  }
  Bucket& b = buckets_[size_t(i - first_)];
  ++b.count;
  b.sum_s += seconds;
}

TimeStats LaunchTimes::summary(size_t k) const {
  if (!bucketed_) {
    TimeStats t = summarize(exact_);
    if (t.samples.size() > k) t.samples = equal_share_means(t.samples, k);
    return t;
  }
  std::vector<WeightedSample> weighted;
  if (zeros_.count > 0) weighted.push_back({0.0, double(zeros_.count)});
  for (const Bucket& b : buckets_)
    if (b.count > 0) weighted.push_back({b.sum_s / double(b.count), double(b.count)});
  return weighted_summary(std::move(weighted), k);
}

}  // namespace flopscope
