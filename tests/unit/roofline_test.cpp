#include <gtest/gtest.h>

#include <cmath>

#include "flopscope/error.h"
#include "flopscope/roofline.h"

using namespace flopscope;

TEST(Roofline, RidgePoint) {
  EXPECT_DOUBLE_EQ(ridge_point(989.4e12, 4.8e12), 989.4 / 4.8);
  EXPECT_THROW(ridge_point(1, 0), Error);
}

TEST(Roofline, ClassifyAroundRidge) {
  const double ridge = 206.125;
  EXPECT_EQ(classify(ridge, ridge), Bound::compute);  // at the ridge: the flat roof
  EXPECT_EQ(classify(std::nextafter(ridge, 0.0), ridge), Bound::memory);
  EXPECT_EQ(classify(std::nextafter(ridge, 1e9), ridge), Bound::compute);
  EXPECT_EQ(classify(ridge * 0.999, ridge), Bound::memory);
  EXPECT_EQ(classify(ridge * 1.001, ridge), Bound::compute);
}

TEST(Roofline, AttainableAndPercent) {
  const double peak = 100e12, bw = 1e12;  // ridge 100 FLOP/B
  // Memory side: AI 10, attainable 10 TFLOP/s; achieving 5 is 50%.
  RooflinePoint m = roofline(10e9, 1e9, 10e9 / 5e12, peak, bw);
  EXPECT_EQ(m.bound, Bound::memory);
  EXPECT_DOUBLE_EQ(m.attainable, 10e12);
  EXPECT_NEAR(m.pct_of_roof, 50.0, 1e-9);
  // Compute side: AI 1000, attainable = peak.
  RooflinePoint c = roofline(1e12, 1e9, 1e12 / 80e12, peak, bw);
  EXPECT_EQ(c.bound, Bound::compute);
  EXPECT_DOUBLE_EQ(c.attainable, peak);
  EXPECT_NEAR(c.pct_of_roof, 80.0, 1e-9);
}

TEST(Roofline, ZeroFlopKernelJudgedByBandwidth) {
  // A copy of 2 GB in 1 ms on a 4 TB/s part: 50% of the bandwidth roof.
  RooflinePoint p = roofline(0, 2e9, 1e-3, 100e12, 4e12);
  EXPECT_EQ(p.bound, Bound::memory);
  EXPECT_NEAR(p.pct_of_roof, 50.0, 1e-9);
}

TEST(Roofline, RejectsBadInput) {
  EXPECT_THROW(roofline(1, 0, 1, 1, 1), Error);
  EXPECT_THROW(roofline(1, 1, 0, 1, 1), Error);
  EXPECT_THROW(roofline(-1, 1, 1, 1, 1), Error);
  // NaN fails every comparison: it passed the checks and came out as
  // "100%, compute-bound" from a library caller's NaN byte count.
  const double nan = std::nan(""), inf = INFINITY;
  for (double bad : {nan, inf}) {
    EXPECT_THROW(roofline(bad, 1, 1, 1, 1), Error);
    EXPECT_THROW(roofline(1, bad, 1, 1, 1), Error);
    EXPECT_THROW(roofline(1, 1, bad, 1, 1), Error);
    EXPECT_THROW(roofline(1, 1, 1, bad, 1), Error);
    EXPECT_THROW(roofline(1, 1, 1, 1, bad), Error);
    EXPECT_THROW(ridge_point(bad, 1), Error);
    EXPECT_THROW(ridge_point(1, bad), Error);
  }
}

TEST(Utilization, NamesItsDenominator) {
  PeakTable t;
  t.source = "datasheet: test";
  t.flops_per_s["bf16_tensor"] = 1000e12;
  auto u = utilization(500e12, 1.0, {DType::bf16, Pipe::tensor}, t);
  ASSERT_TRUE(u);
  EXPECT_DOUBLE_EQ(u->value, 0.5);
  EXPECT_EQ(u->peak_key, "bf16_tensor");
  EXPECT_EQ(u->peak_source, "datasheet: test");
  EXPECT_FALSE(utilization(1, 1, {DType::fp8, Pipe::tensor}, t));
}
