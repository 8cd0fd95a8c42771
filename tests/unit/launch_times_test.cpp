#include "flopscope/launch_times.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
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
    // As summarize takes it, each launch read within its bucket's 0.1%.
    EXPECT_NEAR(got, percentile(d, q), percentile(d, q) * LaunchTimes::kBucketWidth) << "q " << q;
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

// Found by review: past the switch the percentiles were the first launch
// whose cumulative count reached q x n, not summarize's interpolation, so a
// 50/50 mix of 10 and 20 us read a median of 15 us at 1000 launches and 10 us
// at 1002; one launch in ten at 1 us gave p10 9.1 us, then 1 us.
TEST(LaunchTimes, PercentilesMeanTheSameEitherSideOfTheSwitch) {
  for (size_t n : {LaunchTimes::kExactLaunches, LaunchTimes::kExactLaunches + 2, size_t(100'000)}) {
    SCOPED_TRACE(n);
    std::vector<double> mix, tail;
    for (size_t i = 0; i < n; ++i) {
      mix.push_back(i % 2 ? 20e-6 : 10e-6);
      tail.push_back(i % 10 ? 10e-6 : 1e-6);
    }
    for (const auto& d : {mix, tail}) {
      LaunchTimes t;
      for (double v : d) t.add(v);
      const TimeStats s = t.summary(1000), want = summarize(d);
      EXPECT_NEAR(s.median, want.median, want.median * LaunchTimes::kBucketWidth);
      EXPECT_NEAR(s.p10, want.p10, want.p10 * LaunchTimes::kBucketWidth);
      EXPECT_NEAR(s.p90, want.p90, want.p90 * LaunchTimes::kBucketWidth);
    }
  }
}

// Found by review: one outlier made the dense buckets span it (a 5 us kernel
// and one 1 s launch: 12k buckets, 195 KB); only buckets with a launch are held.
TEST(LaunchTimes, AnOutlierCostsOneBucket) {
  LaunchTimes t;
  for (size_t i = 0; i <= LaunchTimes::kExactLaunches; ++i) t.add(5e-6);
  t.add(1.0);
  t.add(1e-9);
  EXPECT_EQ(t.bucket_count(), 3u);
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
  t.add(std::numeric_limits<double>::infinity());  // as 0 (its cast was undefined)
  t.add(std::nan(""));
  EXPECT_EQ(t.count(), 2005u);
  EXPECT_EQ(t.bucket_count(), 3u);  // 1 us, and the two edges
  const TimeStats s = t.summary(1000);
  EXPECT_EQ(s.p10, 0.0);  // 1003 of 2005 are 0
  EXPECT_NEAR(s.p90, 1e-6, 1e-9);
}
