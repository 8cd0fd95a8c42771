// gemm.wgmma (sm_90a: wgmma + TMA), gemm.mma_sync_tma (mma.sync on the same
// TMA ring) and the FFN built on gemm.wgmma against the CPU reference on a real
// GPU (label gpu). A program of its own: a trap (the mbarrier guard) or a fault
// must not take the other GEMM tests down with it,
// since either leaves the process's CUDA context unusable.
#include <gtest/gtest.h>

#include <iterator>
#include <string>

#include "flopscope/device.h"
#include "gpu/gemm_dims.h"
#include "gpu/require_gpu.h"
#include "harness/harness.h"
#include "registry.h"

using namespace flopscope;
using namespace flopscope::kernels;
using flopscope::test::Dims;
using flopscope::test::kAwkward;
using flopscope::test::shape_of;

namespace {

/// Runs `inst` with fresh inputs and poison twice (the second run reuses the
/// tensor maps) and checks both against the reference; the validations done.
int run_twice(KernelInstance& inst) {
  int validated = 0;
  for (uint64_t seed : {1u, 2u}) {
    inst.prepare(seed);
    const Status st = inst.run(nullptr);
    EXPECT_TRUE(st.ok()) << st.message;
    if (!st.ok()) return validated;
    const Validation v = inst.validate();
    EXPECT_TRUE(v.passed) << "rel_l2 " << v.rel_l2_err << " max_rel " << v.max_rel_err;
    ++validated;
  }
  return validated;
}

/// A GEMM on gemm.wgmma's TMA ring (sm_90a) on an sm_90 GPU, both 16-bit
/// dtypes of `variant`: every awkward size is either refused by check_shape,
/// exactly when k or n is not a multiple of 8, or matches the reference; then
/// tails of the 128 x 256 x 64 tile: unloaded B boxes (n % 256 <= 192), one
/// partial k-tile, k-tiles wrapping the 4-stage ring, more tiles than SMs (the
/// persistent loop), and a tall-skinny m.
void check_tma_ring_gemm(const std::string& variant) {
  Harness h;
  const auto specs = select_kernels("^gemm\\." + variant + "\\.", {});
  ASSERT_EQ(specs.size(), 2u) << "gemm." << variant << ".fp16 and .bf16";
  if (std::string why = h.unsupported_reason(*specs[0]); !why.empty()) GTEST_SKIP() << why;
  const Dims tails[] = {{1, 8, 8},         {129, 264, 8},      {128, 256, 64},    {200, 520, 328},
                        {1000, 136, 4096}, {4096, 4096, 4096}, {9000, 8, 72},     {17, 1000, 4096},
                        {127, 4096, 1000}, {3000, 2056, 520},  {70, 384, 72}};
  int validated = 0, refused = 0;
  for (const KernelSpec* s : specs) {
    ASSERT_EQ(h.unsupported_reason(*s), "");
    for (const Dims& d : kAwkward) {
      SCOPED_TRACE(s->id() + " " + shape_string(shape_of(d)));
      const std::string rejected = s->check_shape(shape_of(d));
      ASSERT_EQ(!rejected.empty(), d.k % 8 != 0 || d.n % 8 != 0) << rejected;
      if (!rejected.empty()) {
        EXPECT_NE(rejected.find("k and n must be multiples of 8"), std::string::npos) << rejected;
        ++refused;
        continue;
      }
      auto inst = s->create(shape_of(d));
      inst->prepare(5);
      const Status st = inst->run(nullptr);
      ASSERT_TRUE(st.ok()) << st.message;
      const Validation v = inst->validate();
      EXPECT_TRUE(v.passed) << "rel_l2 " << v.rel_l2_err << " max_rel " << v.max_rel_err;
      ++validated;
    }
    for (const Dims& d : tails) {
      SCOPED_TRACE(s->id() + " " + shape_string(shape_of(d)));
      ASSERT_EQ(s->check_shape(shape_of(d)), "");
      auto inst = s->create(shape_of(d));
      validated += run_twice(*inst);
    }
  }
  // kAwkward has 3 sizes with k and n multiples of 8 ({17, 1000, 4096}, {1000, 1000, 1000},
  // {127, 4096, 1000}) and 7 without, per dtype.
  EXPECT_EQ(refused, 2 * 7);
  EXPECT_EQ(validated, 2 * (3 + 2 * int(std::size(tails))));
}

}  // namespace

TEST(GemmGpu, WgmmaMatchesTheReferenceOnSm90) {
  FLOPSCOPE_REQUIRE_GPU();
  check_tma_ring_gemm("wgmma");
}

// gemm.mma_sync_tma: mma.sync warps on the same ring; warps whose 64 columns
// lie past n skip their MMAs (n = 8, 136, 264, 384, 520, 2056 leave 1 to 3 of a
// tile's 4 column warps idle).
TEST(GemmGpu, MmaSyncTmaMatchesTheReferenceOnSm90) {
  FLOPSCOPE_REQUIRE_GPU();
  check_tma_ring_gemm("mma_sync_tma");
}

// The FFN's fused variants on gemm.wgmma (GELU and SwiGLU in the first GEMM's
// epilogue), in this program for the same reason: every dtype and type at the
// FFN tests' awkward sizes (one token; tails in every dimension; SwiGLU's 2 d_ff
// columns of gate and up pairs), and d_model or d_ff off a multiple of 8 refused.
TEST(FfnGpu, FusedWgmmaMatchesTheReferenceOnSm90) {
  FLOPSCOPE_REQUIRE_GPU();
  Harness h;
  const auto specs = select_kernels("^ffn\\..*_fused_wgmma\\.", {});
  ASSERT_EQ(specs.size(), 4u) << "gelu and swiglu, fp16 and bf16";
  if (std::string why = h.unsupported_reason(*specs[0]); !why.empty()) GTEST_SKIP() << why;
  int validated = 0;
  for (const KernelSpec* s : specs) {
    ASSERT_EQ(h.unsupported_reason(*s), "");
    // Built by hand: resolve_shape would throw on the refusal this checks.
    const Shape off_by_four = {{"tokens", 8}, {"d_model", 100}, {"d_ff", 64}};
    EXPECT_NE(s->check_shape(off_by_four).find("multiples of 8"), std::string::npos);
    for (const char* shape : {"tokens=1,d_model=64,d_ff=136", "tokens=17,d_model=72,d_ff=200",
                              "tokens=1000,d_model=520,d_ff=1032", "tokens=333,d_model=1024,d_ff=2752"}) {
      SCOPED_TRACE(s->id() + " " + shape);
      const Shape sh = resolve_shape(*s, shape);
      ASSERT_EQ(s->check_shape(sh), "");
      auto inst = s->create(sh);
      validated += run_twice(*inst);
    }
  }
  EXPECT_EQ(validated, 4 * 4 * 2);
}

// Anywhere but sm_90 the wgmma launcher refuses with an error instead of
// launching a kernel without a body (the harness refuses before that: only_cc).
// On sm_90 the harness accepts it (the tests above run it).
TEST(GemmGpu, WgmmaRefusesOtherGpus) {
  FLOPSCOPE_REQUIRE_GPU();
  Harness h;
  const KernelSpec* s = find_kernel("gemm.wgmma.bf16");
  ASSERT_NE(s, nullptr);
  const DeviceInfo& dev = h.device();
  if (dev.cc_major == 9 && dev.cc_minor == 0) {
    EXPECT_EQ(h.unsupported_reason(*s), "");
    GTEST_SKIP() << "the refusal needs a GPU other than sm_90; here only the harness's acceptance was checked";
  }
  EXPECT_NE(h.unsupported_reason(*s).find("runs only on sm_90"), std::string::npos) << h.unsupported_reason(*s);
  auto inst = s->create(shape_of({64, 64, 64}));
  inst->prepare(1);
  const Status st = inst->run(nullptr);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message.find("needs an sm_90 GPU"), std::string::npos) << st.message;
  EXPECT_FALSE(inst->validate().passed);  // nothing ran: the NaN poison is still there
}

