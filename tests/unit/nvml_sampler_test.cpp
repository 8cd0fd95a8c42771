// The NVML sampler's host side: the medians, the names of the clock-limit
// reasons, and the unavailable path (a PCI id no GPU has, so it is unavailable
// with or without a driver).
#include <gtest/gtest.h>

#include "harness/harness.h"
#include "harness/nvml_sampler.h"

using flopscope::kernels::clock_limit_names;
using flopscope::kernels::median_clock_mhz;
using flopscope::kernels::median_power_w;
using flopscope::kernels::NvmlSampler;
using flopscope::kernels::probe_clock_mhz;

TEST(NvmlSampler, MedianOddEvenAndZerosDropped) {
  EXPECT_EQ(median_clock_mhz({1980, 1755, 1830}), 1830.0);
  EXPECT_EQ(median_clock_mhz({1700, 1980, 1800, 1900}), 1850.0);
  EXPECT_EQ(median_clock_mhz({0, 0, 1600}), 1600.0);  // 0: NVML did not know
  EXPECT_FALSE(median_clock_mhz({}).has_value());
  EXPECT_FALSE(median_clock_mhz({0, 0}).has_value());
}

TEST(NvmlSampler, PowerIsReadInMilliwattsAndGivenInWatts) {
  EXPECT_DOUBLE_EQ(*median_power_w({698000, 701500, 650250}), 698.0);
  EXPECT_DOUBLE_EQ(*median_power_w({0, 120000}), 120.0);
  EXPECT_FALSE(median_power_w({}).has_value());
}

TEST(NvmlSampler, ClockLimitNamesLeaveIdleOut) {
  using V = std::vector<std::string>;
  EXPECT_EQ(clock_limit_names(0), V{});
  EXPECT_EQ(clock_limit_names(0x1), V{}) << "gpu_idle is set between launches: not a limit";
  EXPECT_EQ(clock_limit_names(0x4), V{"sw_power_cap"});
  EXPECT_EQ(clock_limit_names(0x1 | 0x4 | 0x40), (V{"sw_power_cap", "hw_thermal"}));
  EXPECT_EQ(clock_limit_names(0x2 | 0x8 | 0x10 | 0x20 | 0x80 | 0x100),
            (V{"applications_clocks", "hw_slowdown", "sync_boost", "sw_thermal", "hw_power_brake",
               "display_clocks"}));
  EXPECT_EQ(clock_limit_names(uint64_t(1) << 12 | uint64_t(1) << 63), (V{"bit 12", "bit 63"}));
}

TEST(NvmlSampler, UnknownDeviceIsUnavailableWithAReason) {
  NvmlSampler s("ffff:ff:1f.7");
  EXPECT_FALSE(s.available());
  EXPECT_FALSE(s.why().empty());
  s.start();
  const auto r = s.stop();
  EXPECT_FALSE(r.sm_clock_mhz || r.power_w || r.clock_reasons);
  EXPECT_FALSE(s.stop().sm_clock_mhz.has_value());  // a second stop is harmless
}

// The harness's clock after each repetition: cycles over the global timer's
// nanoseconds; a probe whose timer did not run (its cycle bound ended it)
// reads nothing, not a clock.
TEST(ClockProbe, CyclesOverNanoseconds) {
  EXPECT_DOUBLE_EQ(*probe_clock_mhz(99'000, 50'000, 50'000), 1980.0);
  EXPECT_DOUBLE_EQ(*probe_clock_mhz(85'064, 50'016, 50'000), 85'064.0 / 50'016.0 * 1e3);
  EXPECT_FALSE(probe_clock_mhz(10'000'000'000LL, 0, 50'000).has_value());
  EXPECT_FALSE(probe_clock_mhz(10'000'000'000LL, 49'968, 50'000).has_value());
  EXPECT_FALSE(probe_clock_mhz(0, 50'000, 50'000).has_value());
}
