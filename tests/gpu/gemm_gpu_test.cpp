// GEMM kernels against the CPU reference on a real GPU (label gpu): every
// variant x dtype at awkward sizes, the NaN poison, the memory refusal and the
// harness's records. Skipped, with the reason, where there is no GPU.
// gemm.wgmma and gemm.mma_sync_tma have their own program (gemm_wgmma_gpu_test.cpp): a kernel that traps
// leaves the CUDA context unusable, and must not fail these tests with it.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/device.h"
#include "flopscope/error.h"
#include "gpu/gemm_dims.h"
#include "gpu/require_gpu.h"
#include "harness/harness.h"
#include "harness/nvml_sampler.h"
#include "registry.h"

using namespace flopscope;
using namespace flopscope::kernels;
using flopscope::test::Dims;
using flopscope::test::kAwkward;
using flopscope::test::shape_of;

namespace {

/// The multiple k and n must be for `s` (16-byte rows of cp.async or TMA), 0 when any size goes.
int required_multiple(const KernelSpec& s) {
  if (s.variant.rfind("mma_sync", 0) == 0) return s.dtype == "tf32" ? 4 : 8;  // _wide, _deep too
  return 0;
}

/// gemm.wgmma and gemm.mma_sync_tma (the TMA ring, whose mbarrier guard may
/// trap) run in a program of their own, gemm_wgmma_gpu_test.cpp.
bool on_tma_ring(const KernelSpec& s) { return s.variant == "wgmma" || s.variant == "mma_sync_tma"; }

/// Whether `s` must refuse `d`: exactly the sizes its alignment rule excludes.
bool must_refuse(const KernelSpec& s, const Dims& d) {
  const int q = required_multiple(s);
  return q != 0 && (d.k % q != 0 || d.n % q != 0);
}

}  // namespace

TEST(GemmGpu, EveryVariantMatchesTheReferenceAtAwkwardSizes) {
  FLOPSCOPE_REQUIRE_GPU();
  Harness h;
  const auto specs = select_kernels("^gemm\\.", {});
  int validated = 0;
  std::map<std::string, int> per_kernel;  // validations of each kernel this GPU runs
  for (const KernelSpec* s : specs) {
    if (!h.unsupported_reason(*s).empty() || on_tma_ring(*s)) continue;  // their own program
    per_kernel[s->id()] += 0;
    for (const Dims& d : kAwkward) {
      const Shape shape = shape_of(d);
      SCOPED_TRACE(s->id() + " " + shape_string(shape));
      const std::string rejected = s->check_shape(shape);
      // A kernel refuses exactly the sizes its alignment rule excludes, and says why.
      EXPECT_EQ(!rejected.empty(), must_refuse(*s, d)) << rejected;
      if (!rejected.empty()) {
        EXPECT_NE(rejected.find("must be multiples of"), std::string::npos) << rejected;
        continue;
      }
      auto inst = s->create(shape);
      for (uint64_t seed : {1u, 2u}) {  // fresh inputs and poison each time
        inst->prepare(seed);
        ASSERT_TRUE(inst->run(nullptr).ok());
        const Validation v = inst->validate();
        EXPECT_TRUE(v.passed) << "rel_l2 " << v.rel_l2_err << " max_rel " << v.max_rel_err
                              << " tol " << v.tolerance;
        ++validated;
        ++per_kernel[s->id()];
      }
    }
  }
  EXPECT_GT(validated, 100);
  // Every kernel this GPU's generation supports, not just most, runs (the 128 x 256
  // tilings need more shared memory a block than some GPUs give), and one that
  // accepted no awkward size checked nothing.
  const int cc = h.device().cc_major * 10 + h.device().cc_minor;
  int smem_optin = 0;
  ASSERT_EQ(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0), cudaSuccess);
  size_t registered = 0;
  for (const KernelSpec* s : specs)
    registered += !on_tma_ring(*s) && s->min_cc <= cc && s->smem_bytes <= smem_optin;
  EXPECT_EQ(per_kernel.size(), registered);
  EXPECT_GT(per_kernel.size(), 0u);
  for (const auto& [id, n] : per_kernel) EXPECT_GE(n, 2) << id << " was validated at no size";
}

TEST(GemmGpu, AlignedTailsForTheTensorCoreKernels) {
  FLOPSCOPE_REQUIRE_GPU();
  Harness h;
  // Multiples of 8 that are not multiples of the 128x128x32, 128x256x32 or 128x256x64 tile.
  const Dims dims[] = {{1, 8, 8}, {17, 1000, 4096}, {127, 4096, 1000}, {1000, 136, 8}, {300, 264, 40},
                       {4096, 4096, 4096}};
  const auto specs = select_kernels("^gemm\\.mma_sync(_wide|_deep)?\\.", {});
  ASSERT_EQ(specs.size(), 9u) << "gemm.mma_sync, _wide and _deep, each in fp16, bf16 and tf32";
  int ran = 0;
  for (const KernelSpec* s : specs) {
    if (const std::string why = h.unsupported_reason(*s); !why.empty()) {
      if (s->variant == "mma_sync") GTEST_SKIP() << why;  // before sm_80: no mma.sync at all
      continue;  // the 128 x 256 tilings: more shared memory a block than this GPU gives
    }
    ++ran;
    for (const Dims& d : dims) {
      SCOPED_TRACE(s->id() + " " + shape_string(shape_of(d)));
      ASSERT_EQ(s->check_shape(shape_of(d)), "");
      auto inst = s->create(shape_of(d));
      inst->prepare(7);
      ASSERT_TRUE(inst->run(nullptr).ok());
      EXPECT_TRUE(inst->validate().passed);
    }
  }
  EXPECT_GE(ran, 3) << "gemm.mma_sync runs from sm_80 on";
  if (h.device().cc_major == 9 && h.device().cc_minor == 0) {
    EXPECT_EQ(ran, 9) << "every tiling runs on sm_90";
  }
}

// gemm.reg_tiled's float4 path (k and n multiples of 4) with a last k-tile whose
// second A vector lies past k (k % 8 == 4) and is zero-filled: kAwkward's float4
// sizes all have k % 8 == 0.
TEST(GemmGpu, RegTiledHalfFilledLastKTile) {
  FLOPSCOPE_REQUIRE_GPU();
  const KernelSpec* s = find_kernel("gemm.reg_tiled.fp32");
  ASSERT_NE(s, nullptr);
  for (const Dims& d : {Dims{1000, 1000, 1004}, Dims{17, 132, 12}, Dims{129, 4, 4}}) {
    SCOPED_TRACE(shape_string(shape_of(d)));
    auto inst = s->create(shape_of(d));
    inst->prepare(5);
    ASSERT_TRUE(inst->run(nullptr).ok());
    const Validation v = inst->validate();
    EXPECT_TRUE(v.passed) << "rel_l2 " << v.rel_l2_err << " max_rel " << v.max_rel_err << " tol " << v.tolerance;
  }
}

TEST(GemmGpu, UnwrittenOutputFailsValidation) {
  FLOPSCOPE_REQUIRE_GPU();
  const KernelSpec* s = find_kernel("gemm.reg_tiled.fp32");
  ASSERT_NE(s, nullptr);
  auto inst = s->create(shape_of({64, 64, 64}));
  inst->prepare(3);  // poisoned, never run
  const Validation v = inst->validate();
  EXPECT_FALSE(v.passed);
}

TEST(GemmGpu, HarnessRecordsTimesClockAndValidation) {
  FLOPSCOPE_REQUIRE_GPU();
  Harness h;
  const KernelSpec* s = find_kernel("gemm.reg_tiled.fp32");
  BenchOptions o;
  o.min_reps = 5;
  o.min_time_s = 0.01;
  bool hook_called = false;
  const RunRecord r = h.run(*s, resolve_shape(*s, "small"), o,
                            [&](const KernelSpec&, const Shape&, const std::function<void()>& ready,
                                const std::function<void()>& once) -> std::optional<HwCounters> {
                              ready();
                              once();
                              hook_called = true;
                              return std::nullopt;
                            });
  EXPECT_TRUE(hook_called);
  EXPECT_EQ(r.id, "gemm.reg_tiled.fp32");
  EXPECT_EQ(r.nvtx, "gemm.reg_tiled.fp32 m=1024 n=1024 k=1024");
  EXPECT_GE(r.time_s.samples.size(), 5u);
  EXPECT_GT(r.time_s.median, 0);
  EXPECT_LE(r.time_s.p10, r.time_s.median);
  EXPECT_GE(r.time_s.p90, r.time_s.median);
  ASSERT_TRUE(r.sm_clock_mhz.has_value());
  EXPECT_GT(*r.sm_clock_mhz, 100);
  EXPECT_LT(*r.sm_clock_mhz, 5000);
  // NVML's power and clock limits, read in the same samples as the clock.
  ASSERT_TRUE(r.power_w.has_value());
  EXPECT_GT(*r.power_w, 0);
  EXPECT_TRUE(r.clock_limits.has_value());
  ASSERT_TRUE(r.validation.has_value());
  EXPECT_TRUE(r.validation->passed);
  EXPECT_DOUBLE_EQ(r.model.flops, 2.0 * 1024 * 1024 * 1024);
}

// NVML's SM clock, sampled while the probe kernel spins for 200 ms, agrees
// with the probe's own clock64/globaltimer ratio: both read the same clock.
// The same samples read the board's power (a busy H200 draws well over 50 W,
// under its 1000 W ceiling) and the clock-limit reasons.
TEST(GemmGpu, NvmlClockAgreesWithTheProbe) {
  FLOPSCOPE_REQUIRE_GPU();
  char pci[32] = {};
  ASSERT_EQ(cudaDeviceGetPCIBusId(pci, int(sizeof pci), 0), cudaSuccess);
  NvmlSampler sampler(pci);
  ASSERT_TRUE(sampler.available()) << "NVML ships with the driver: " << sampler.why();
  measure_sm_clock_mhz(20'000'000);  // clocks up first
  sampler.start();
  const double probe = measure_sm_clock_mhz(200'000'000);
  const NvmlReadings nvml = sampler.stop();
  ASSERT_TRUE(nvml.sm_clock_mhz.has_value());
  EXPECT_NEAR(*nvml.sm_clock_mhz, probe, 0.1 * probe)
      << "NVML " << *nvml.sm_clock_mhz << " MHz, probe " << probe << " MHz";
  ASSERT_TRUE(nvml.power_w.has_value()) << "NVML read no power draw";
  EXPECT_GT(*nvml.power_w, 50.0);
  EXPECT_LT(*nvml.power_w, 1000.0);
  EXPECT_TRUE(nvml.clock_reasons.has_value()) << "NVML read no clock-event reasons";
}

TEST(GemmGpu, ProblemTooLargeIsRefusedBeforeAllocation) {
  FLOPSCOPE_REQUIRE_GPU();
  Harness h;
  const KernelSpec* s = find_kernel("gemm.naive.fp32");
  const Shape huge = resolve_shape(*s, "m=100000,n=2000000000,k=1");  // ~800 TB of C
  const std::string why = h.fit_reason(*s, huge);
  EXPECT_NE(why.find("of device memory"), std::string::npos) << why;
  EXPECT_NE(why.find("is free"), std::string::npos) << why;
  try {
    h.run(*s, huge, BenchOptions{});
    ADD_FAILURE() << "ran";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
  }
}
