#include "flopscope/launch_times.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

using namespace flopscope;

namespace {
// Durations like a kernel's: 20 us, a few percent of jitter, a slow tail.
std::vector<double> kernel_like(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<double> jitter(0.0, 0.03);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> out(n);
  for (double& v : out) v = 20e-6 * jitter(rng) * (u(rng) < 0.02 ? 3.0 : 1.0);
  return out;
}

// The value at the launch whose cumulative count first reaches q of them.
double at_rank(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const size_t rank = size_t(std::ceil(q * double(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}
}  // namespace

TEST(LaunchTimes, KeepsEveryDurationInLaunchOrderUpToTheLimit) {
  const std::vector<double> d = kernel_like(LaunchTimes::kExactLaunches, 1);
  LaunchTimes t;
  for (double v : d) t.add(v);
  ASSERT_TRUE(t.exact());
  const TimeStats want = summarize(d);
  const TimeStats got = t.summary(LaunchTimes::kExactLaunches);
  EXPECT_EQ(got.samples, d);
  EXPECT_EQ(got.median, want.median);
  EXPECT_EQ(got.p10, want.p10);
  EXPECT_EQ(got.p90, want.p90);
  // Fewer samples asked for: the equal shares' means.
  EXPECT_EQ(t.summary(10).samples, equal_share_means(d, 10));
  t.add(d[0]);
  EXPECT_FALSE(t.exact());
  EXPECT_EQ(t.count(), LaunchTimes::kExactLaunches + 1);
}

TEST(LaunchTimes, PastTheLimitPercentilesAreWithinABucketAndTheMeanIsExact) {
  const std::vector<double> d = kernel_like(200'000, 2);
  LaunchTimes t;
  for (double v : d) t.add(v);
  ASSERT_FALSE(t.exact());
  EXPECT_EQ(t.count(), d.size());
  const TimeStats s = t.summary(1000);
  for (auto [got, q] : {std::pair{s.median, 0.5}, {s.p10, 0.1}, {s.p90, 0.9}}) {
    const double want = at_rank(d, q);
    EXPECT_LE(std::abs(got - want) / want, LaunchTimes::kBucketWidth * 1.0001) << "q " << q;
  }
  ASSERT_EQ(s.samples.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(s.samples.begin(), s.samples.end()));
  const double mean = std::accumulate(d.begin(), d.end(), 0.0) / double(d.size());
  const double sample_mean = std::accumulate(s.samples.begin(), s.samples.end(), 0.0) / 1000.0;
  EXPECT_NEAR(sample_mean, mean, mean * 1e-9);
  // The memory is the durations' span in buckets (a 3x slow tail and jitter:
  // under 1.5k), not their count.
  EXPECT_LT(t.bucket_count(), 1500u);
}

TEST(LaunchTimes, MillionsOfLaunchesOfOneDurationHoldOneBucket) {
  LaunchTimes t;
  for (int i = 0; i < 3'000'000; ++i) t.add(7e-6);
  EXPECT_EQ(t.count(), 3'000'000u);
  EXPECT_EQ(t.bucket_count(), 1u);
  const TimeStats s = t.summary(1000);
  // The bucket's mean: its sum of 3 million adds, rounded on the way.
  EXPECT_NEAR(s.median, 7e-6, 7e-6 * 1e-9);
  EXPECT_NEAR(s.p10, 7e-6, 7e-6 * 1e-9);
  EXPECT_EQ(s.samples.size(), 1000u);
}

TEST(LaunchTimes, ZerosAndDurationsNoKernelHasStayCountedAndBounded) {
  LaunchTimes t;
  for (int i = 0; i < 2000; ++i) t.add(i % 2 ? 0.0 : 1e-6);
  t.add(1e-300);  // below the first bucket: kept in it
  t.add(1e300);   // past the last: kept in it, its time in the sum
  t.add(-1.0);    // no duration: as 0
  EXPECT_EQ(t.count(), 2003u);
  // The buckets span 1 ps to 1e6 s, no wider: 41,400 of them.
  EXPECT_LE(t.bucket_count(), 41'500u);
  const TimeStats s = t.summary(1000);
  EXPECT_EQ(s.p10, 0.0);  // 1001 of 2003 are 0
  EXPECT_NEAR(s.p90, 1e-6, 1e-9);
}
