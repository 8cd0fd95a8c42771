#include "flopscope/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "flopscope/decimal.h"
#include "flopscope/error.h"

using namespace flopscope;

TEST(Stats, Percentiles) {
  const std::vector<double> s{5, 1, 4, 2, 3};
  EXPECT_DOUBLE_EQ(median(s), 3);
  EXPECT_DOUBLE_EQ(percentile(s, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(s, 1), 5);
  EXPECT_DOUBLE_EQ(percentile(s, 0.1), 1.4);
  EXPECT_DOUBLE_EQ(median({1, 2, 3, 4}), 2.5);
  EXPECT_DOUBLE_EQ(median({7}), 7);
}

TEST(Stats, Summarize) {
  TimeStats t = summarize({3, 1, 2});
  EXPECT_DOUBLE_EQ(t.median, 2);
  EXPECT_EQ(t.samples, (std::vector<double>{3, 1, 2}));  // order kept
}

TEST(Stats, RejectsEmptyAndBadQ) {
  EXPECT_THROW(median({}), Error);
  EXPECT_THROW(percentile({1}, 1.5), Error);
}

// Thinning keeps the distribution, not a stride through measurement order:
// every 10th of alternating 1 s and 2 s launches would read 1 s throughout.
TEST(Stats, SpreadKeepsTheDistribution) {
  std::vector<double> alternating;
  for (int i = 0; i < 10000; ++i) alternating.push_back(i % 2 ? 2.0 : 1.0);
  const std::vector<double> kept = spread_of(alternating, 1000);
  ASSERT_EQ(kept.size(), 1000u);
  double sum = 0;
  for (double v : kept) sum += v;
  EXPECT_DOUBLE_EQ(sum / 1000, 1.5);
  EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
  const std::vector<double> few{3, 1, 2};
  EXPECT_EQ(spread_of(few, 1000), few);  // no more than k: all, in their order
}

// Profile's cap keeps the mean, which its NVTX totals take: one launch of 5 ms
// among 2999 of 10 us (the middle of each share read 14% short), or of 1 s,
// and 3001 launches, which 1000 shares do not divide.
TEST(Stats, WeightedSharesKeepTheMean) {
  for (size_t n : {3000u, 3001u})
    for (double outlier : {5e-3, 1.0}) {
      std::vector<WeightedSample> v(n, {10e-6, 1});
      v[0].value = outlier;
      const TimeStats t = weighted_summary(v, 1000);
      ASSERT_EQ(t.samples.size(), 1000u);
      double all = 0, some = 0;
      for (const WeightedSample& x : v) all += x.value;
      for (double x : t.samples) some += x;
      EXPECT_NEAR(some / 1000, all / double(n), all / double(n) * 1e-9) << n << " " << outlier;
      EXPECT_TRUE(std::is_sorted(t.samples.begin(), t.samples.end()));
      EXPECT_GE(t.samples.front(), 10e-6 * (1 - 1e-12));
      EXPECT_LE(t.samples.back(), outlier * (1 + 1e-12));
      EXPECT_DOUBLE_EQ(t.median, 10e-6);
    }
  EXPECT_THROW(weighted_summary({}, 10), Error);
  EXPECT_THROW(weighted_summary({{1e-6, 0}}, 10), Error);
}

// A bench median at a contract's bound holds it: the float's decimal, not its
// binary value (0.18848f is 0.188480004668... ms, and failed `time <= 188.48us`).
TEST(Stats, EventMillisecondsReadAsTheirDecimal) {
  EXPECT_EQ(seconds_of_event_ms(0.18848f), 188.48e-6);
  EXPECT_EQ(seconds_of_event_ms(0.023232f), 23.232e-6);
  EXPECT_EQ(seconds_of_event_ms(1.5f), 1.5e-3);
  EXPECT_EQ(seconds_of_event_ms(1234567.f), 1234.567);
  EXPECT_EQ(seconds_of_event_ms(3e-5f), 3e-8);
  EXPECT_EQ(seconds_of_event_ms(1e20f), 1e17);
  EXPECT_EQ(seconds_of_event_ms(0.0f), 0.0);
  // Within the float's own rounding of every value.
  for (float ms = 1e-4f; ms < 1e4f; ms *= 1.37f)
    EXPECT_NEAR(seconds_of_event_ms(ms), double(ms) * 1e-3, double(ms) * 1e-3 * 1e-7) << ms;
}

TEST(Decimal, ScaledWithOneRounding) {
  EXPECT_EQ(decimal_times_pow10("1.42", -3), 0.00142);
  EXPECT_EQ(decimal_times_pow10("188.48", -6), 0.00018848);
  EXPECT_EQ(decimal_times_pow10("3e-05", -3), 3e-8);
  EXPECT_EQ(decimal_times_pow10("1e+20", -3), 1e17);
  EXPECT_EQ(decimal_times_pow10("-0.5", -3), -0.0005);
  // Not a number, or none a double holds: an exponent past any integer
  // (atoi's overflow was undefined), or a result past double's range.
  for (const char* bad : {"", "x", "1e", "1e99999999999999999999", "1e400", "1.5ms"})
    EXPECT_FALSE(decimal_times_pow10(bad, -3).has_value()) << bad;
}
