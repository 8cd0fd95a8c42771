#include <gtest/gtest.h>

#include "flopscope/error.h"
#include "flopscope/stats.h"

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
