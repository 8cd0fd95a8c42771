// Hardware counters on a real GPU (label gpu): the reference kernels under a
// Session against their exact FLOP and byte counts, batching without drops,
// and the raw counter file evaluated again on the host. Skipped, with the
// reason, where there is no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "flopscope/counter_file.h"
#include "flopscope/device.h"
#include "flopscope/error.h"
#include "flopscope/session.h"
#include "registry.h"

using namespace flopscope;
using namespace flopscope::kernels;

namespace {

std::string no_gpu_reason() {
  try {
    query_devices();
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

#define REQUIRE_GPU()                                    \
  do {                                                   \
    const std::string why = no_gpu_reason();             \
    if (!why.empty()) GTEST_SKIP() << "no GPU: " << why; \
  } while (0)

std::unique_ptr<KernelInstance> make(const char* id, const Shape& shape) {
  const KernelSpec* spec = find_kernel(id);
  if (!spec) throw Error(ErrorKind::failure, std::string("kernel not registered: ") + id);
  std::string arg;  // "m=256,n=192,k=128"
  for (const auto& [k, v] : shape) arg += (arg.empty() ? "" : ",") + k + "=" + std::to_string(v);
  auto inst = spec->create(resolve_shape(*spec, arg));
  inst->prepare(1);
  return inst;
}

}  // namespace

TEST(SessionGpu, NaiveFp32GemmCountsExactly2MNK) {
  REQUIRE_GPU();
  const int64_t m = 256, n = 192, k = 128;
  auto inst = make("gemm.naive.fp32", {{"m", m}, {"n", n}, {"k", k}});
  Session s({.set = MetricSet::flops, .tensor = {}});
  ASSERT_TRUE(s.counters_enabled()) << (s.notes().empty() ? "" : s.notes().front());
  s.start();
  ASSERT_TRUE(inst->run(nullptr).ok());
  const auto kernels = s.stop();
  ASSERT_EQ(kernels.size(), 1u);
  const HwCounters& hw = kernels[0].hw;
  EXPECT_FALSE(kernels[0].kernel.empty());
  ASSERT_TRUE(hw.flops_by_pipe.count("fp32"));
  EXPECT_DOUBLE_EQ(hw.flops_by_pipe.at("fp32"), double(2 * m * n * k));
  ASSERT_TRUE(hw.duration_s);
  EXPECT_GT(*hw.duration_s, 0);
  EXPECT_GT(hw.sm_clock_hz.value_or(0), 1e8);
  EXPECT_EQ(s.dropped_ranges(), 0u);

  // The raw file evaluates to the same numbers on the host.
  const CounterFile f = parse_counter_file(serialize_counter_file(s.raw()), "mem");
  const auto again = evaluate_counter_file(f);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_DOUBLE_EQ(again[0].hw.flops_by_pipe.at("fp32"), double(2 * m * n * k));
  EXPECT_EQ(again[0].range.kernel, kernels[0].kernel);
}

TEST(SessionGpu, BatchesFlushWithoutDrops) {
  REQUIRE_GPU();
  auto inst = make("gemm.naive.fp32", {{"m", 64}, {"n", 64}, {"k", 64}});
  Session s({.set = MetricSet::timing, .tensor = {}, .ranges_per_batch = 2});
  ASSERT_TRUE(s.counters_enabled());
  s.start();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(inst->run(nullptr).ok());
  const auto kernels = s.stop();
  EXPECT_EQ(kernels.size(), 5u);
  EXPECT_EQ(s.dropped_ranges(), 0u);
  for (size_t i = 0; i < kernels.size(); ++i) EXPECT_EQ(kernels[i].launch, i);
  EXPECT_EQ(s.raw().counter_images.size(), 3u);
}

TEST(SessionGpu, CopyReadsAndWritesItsBytes) {
  REQUIRE_GPU();
  const int64_t n = int64_t(1) << 26;  // 256 MiB per array: far beyond L2
  auto inst = make("memory.copy.fp32", {{"n", n}});
  Session s({.set = MetricSet::roofline, .tensor = {}});
  ASSERT_TRUE(s.counters_enabled());
  s.start();
  ASSERT_TRUE(inst->run(nullptr).ok());
  const HwCounters hw = combine_launches(s.stop());
  const double bytes = double(n) * 4;
  ASSERT_TRUE(hw.dram_read_bytes && hw.dram_write_bytes);
  EXPECT_NEAR(*hw.dram_read_bytes, bytes, 0.02 * bytes);
  EXPECT_NEAR(*hw.dram_write_bytes, bytes, 0.02 * bytes);
  EXPECT_GT(hw.l2_bytes.value_or(0), bytes);
}
