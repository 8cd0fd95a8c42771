// The NVML clock sampler's host side: the median and the unavailable path
// (a PCI id no GPU has, so it is unavailable with or without a driver).
#include <gtest/gtest.h>

#include "harness/sm_clock_sampler.h"

using flopscope::kernels::median_clock_mhz;
using flopscope::kernels::SmClockSampler;

TEST(SmClockSampler, MedianOddEvenAndZerosDropped) {
  EXPECT_EQ(median_clock_mhz({1980, 1755, 1830}), 1830.0);
  EXPECT_EQ(median_clock_mhz({1700, 1980, 1800, 1900}), 1850.0);
  EXPECT_EQ(median_clock_mhz({0, 0, 1600}), 1600.0);  // 0: NVML did not know
  EXPECT_FALSE(median_clock_mhz({}).has_value());
  EXPECT_FALSE(median_clock_mhz({0, 0}).has_value());
}

TEST(SmClockSampler, UnknownDeviceIsUnavailableWithAReason) {
  SmClockSampler s("ffff:ff:1f.7");
  EXPECT_FALSE(s.available());
  EXPECT_FALSE(s.why().empty());
  s.start();
  EXPECT_FALSE(s.stop().has_value());
  EXPECT_FALSE(s.stop().has_value());  // a second stop is harmless
}
