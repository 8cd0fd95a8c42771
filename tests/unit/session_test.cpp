// Session on the CPU: the no-GPU failure (exit 3 through the CLI) and the
// launch-combining arithmetic. The counter path itself is in
// tests/gpu/session_gpu_test.cpp (label gpu).
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include "flopscope/error.h"
#include "flopscope/session.h"

using namespace flopscope;

TEST(Session, NoDriverIsNoGpuWithAClearLine) {
  int count = 0;
  if (cudaGetDeviceCount(&count) == cudaSuccess && count > 0)
    GTEST_SKIP() << "a GPU is present: the no-driver path is checked on machines without one";
  try {
    Session s;
    FAIL() << "a Session started without a GPU";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::no_gpu);  // exit 3
    const std::string what = e.what();
    EXPECT_NE(what.find("no NVIDIA driver or GPU"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(Session, CombineLaunches) {
  KernelCounters a, b;
  a.hw.flops_total = 100;
  a.hw.flops_by_pipe = {{"fp32", 100}};
  a.hw.dram_read_bytes = 10;
  a.hw.duration_s = 1e-3;
  a.hw.sm_clock_hz = 1.0e9;
  a.hw.metrics = {{"x.sum", 3}, {"sm__cycles_elapsed.avg.per_second", 1.0e9}};
  b.hw.flops_total = 50;
  b.hw.flops_by_pipe = {{"bf16_tensor", 50}};
  b.hw.dram_read_bytes = 5;
  b.hw.duration_s = 2e-3;
  b.hw.sm_clock_hz = 2.0e9;
  b.hw.metrics = {{"x.sum", 4}, {"sm__cycles_elapsed.avg.per_second", 2.0e9}};
  const HwCounters c = combine_launches({a, b});
  EXPECT_DOUBLE_EQ(*c.flops_total, 150);
  EXPECT_DOUBLE_EQ(c.flops_by_pipe.at("fp32"), 100);
  EXPECT_DOUBLE_EQ(c.flops_by_pipe.at("bf16_tensor"), 50);
  EXPECT_DOUBLE_EQ(*c.dram_read_bytes, 15);
  EXPECT_FALSE(c.dram_write_bytes);
  EXPECT_DOUBLE_EQ(*c.duration_s, 3e-3);
  EXPECT_DOUBLE_EQ(*c.sm_clock_hz, 1.5e9);
  EXPECT_DOUBLE_EQ(c.metrics.at("x.sum"), 7);
  EXPECT_DOUBLE_EQ(c.metrics.at("sm__cycles_elapsed.avg.per_second"), 1.5e9);
  EXPECT_FALSE(combine_launches({}).flops_total);
}
