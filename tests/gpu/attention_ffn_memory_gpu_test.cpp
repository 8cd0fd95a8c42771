// The attention, FFN and memory-bound kernels against their CPU references on
// the GPU (label gpu), at awkward sizes: every variant x dtype, attention at
// N = 1, 17, 256, 1000, 1024, 4096, causal and not, D = 64 and 128, and N != Nk.
// Skips, with the reason, where there is no GPU.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "flopscope/device.h"
#include "gpu/require_gpu.h"
#include "registry.h"

namespace fk = flopscope::kernels;

namespace {

/// "" when a GPU of compute capability >= min_cc is present, else why not.
std::string gpu_missing(int min_cc) {
  static const std::string none = flopscope::test::no_gpu_reason();
  if (!none.empty()) return "no GPU: " + none;
  const auto d = flopscope::query_devices().front();
  if (d.cc_major * 10 + d.cc_minor < min_cc)
    return "needs compute capability " + std::to_string(min_cc) + ", device has " +
           std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor);
  return "";
}

/// Creates, runs and validates `id` at `shape` (NAME=VALUE,...); two seeds, so a
/// kernel that leaves the previous run's output in place is caught by the poison.
void run_and_validate(const std::string& id, const std::string& shape) {
  const fk::KernelSpec* spec = fk::find_kernel(id);
  ASSERT_NE(spec, nullptr) << id << " is not registered";
  FLOPSCOPE_REQUIRE_GPU();  // fails instead under FLOPSCOPE_EXPECT_GPU=1
  if (std::string why = gpu_missing(spec->min_cc); !why.empty()) GTEST_SKIP() << why;
  const flopscope::Shape sh = fk::resolve_shape(*spec, shape);
  std::unique_ptr<fk::KernelInstance> inst = spec->create(sh);
  for (uint64_t seed : {1u, 2u}) {
    inst->prepare(seed);
    const fk::Status st = inst->run(nullptr);
    ASSERT_TRUE(st.ok()) << id << " " << shape << ": " << st.message;
    const flopscope::Validation v = inst->validate();  // its copy waits for the kernels
    EXPECT_TRUE(v.passed) << id << " " << shape << " seed " << seed << ": rel_l2 " << v.rel_l2_err
                          << ", worst " << v.max_rel_err << ", tolerance " << v.tolerance;
  }
}

// ---- attention ----------------------------------------------------------------------

using AttnCase = std::tuple<std::string, int, int, int>;  // id, N, D, causal

class AttentionGpu : public ::testing::TestWithParam<AttnCase> {};

TEST_P(AttentionGpu, MatchesReference) {
  const auto& [id, n, d, causal] = GetParam();
  // Two heads so the per-head offsets are exercised; fewer rows of work at 4096.
  const std::string shape = "batch=1,heads=2,seq=" + std::to_string(n) +
                            ",head_dim=" + std::to_string(d) + ",causal=" + std::to_string(causal);
  run_and_validate(id, shape);
}

const std::vector<std::string> kAttentionIds = {
    "attention.naive.fp32",      "attention.naive.fp16",     "attention.naive.bf16",
    "attention.flash_simt.fp32", "attention.flash_mma.fp16", "attention.flash_mma.bf16"};

std::string case_name(const ::testing::TestParamInfo<AttnCase>& info) {
  std::string id = std::get<0>(info.param);
  for (char& c : id)
    if (c == '.') c = '_';
  return id + "_N" + std::to_string(std::get<1>(info.param)) + "_D" +
         std::to_string(std::get<2>(info.param)) + (std::get<3>(info.param) ? "_causal" : "");
}

INSTANTIATE_TEST_SUITE_P(Sizes, AttentionGpu,
                         ::testing::Combine(::testing::ValuesIn(kAttentionIds),
                                            ::testing::Values(1, 17, 256, 1000, 1024, 4096),
                                            ::testing::Values(64, 128), ::testing::Values(0, 1)),
                         case_name);

// N != Nk under the causal mask: bottom-right alignment, fully masked rows
// (N > Nk) output 0, a single decoding query against a long cache.
TEST(AttentionGpuCross, UnequalLengths) {
  for (const std::string& id : kAttentionIds)
    for (const char* s : {"batch=2,heads=1,seq=17,seq_kv=300,head_dim=64,causal=1",
                          "batch=2,heads=1,seq=300,seq_kv=17,head_dim=64,causal=1",
                          "batch=1,heads=3,seq=1,seq_kv=4099,head_dim=128,causal=1",
                          "batch=1,heads=1,seq=129,seq_kv=65,head_dim=128,causal=0"}) {
      SCOPED_TRACE(id + " " + s);
      run_and_validate(id, s);
      if (IsSkipped()) return;  // a failure is reported; the next case still runs
    }
}

// The naive kernels take any head dim: D = 40 and 96 leave a partial 32-wide
// column tile in QK^T's depth and in PV's output.
TEST(AttentionGpuCross, NaiveAnyHeadDim) {
  for (const char* id : {"attention.naive.fp32", "attention.naive.bf16"})
    for (const char* s : {"batch=1,heads=2,seq=100,head_dim=40,causal=1", "batch=2,heads=1,seq=33,head_dim=96,causal=0"}) {
      SCOPED_TRACE(std::string(id) + " " + s);
      run_and_validate(id, s);
      if (IsSkipped()) return;
    }
}

// ---- FFN ------------------------------------------------------------------------

std::vector<std::string> ffn_ids(const char* kind) {
  std::vector<std::string> ids;
  const bool cublas = std::string(kind) == "cublas";  // the only FP32 (pedantic) FFN
  for (const char* type : {"gelu", "swiglu"})
    for (const char* dt : {"fp16", "bf16", "tf32", "fp32"})
      if (std::string(dt) != "fp32" || cublas) ids.push_back(std::string("ffn.") + type + "_" + kind + "." + dt);
  return ids;
}

TEST(FfnGpu, MmaVariantsAtAwkwardSizes) {
  for (const char* kind : {"unfused", "fused"})
    for (const std::string& id : ffn_ids(kind))
      for (const char* s : {"tokens=1,d_model=64,d_ff=136", "tokens=17,d_model=72,d_ff=200",
                            "tokens=1000,d_model=520,d_ff=1032", "tokens=333,d_model=1024,d_ff=2752"}) {
        SCOPED_TRACE(id + " " + s);
        run_and_validate(id, s);
        if (IsSkipped()) return;  // a failure is reported; the next case still runs
      }
}

TEST(FfnGpu, CublasVariantsTakeAnySize) {
  for (const std::string& id : ffn_ids("cublas"))
    for (const char* s : {"tokens=1,d_model=1,d_ff=1", "tokens=17,d_model=100,d_ff=250",
                          "tokens=1000,d_model=520,d_ff=1032"}) {
      SCOPED_TRACE(id + " " + s);
      run_and_validate(id, s);
      if (IsSkipped()) return;  // a failure is reported; the next case still runs
    }
}

// ---- memory-bound references ----------------------------------------------------------

TEST(MemoryGpu, CopyAndTriad) {
  for (const char* id : {"memory.copy.fp32", "memory.triad.fp32"})
    for (const char* s : {"n=1", "n=3", "n=4", "n=1000003", "n=16777216"}) {
      SCOPED_TRACE(std::string(id) + " " + s);
      run_and_validate(id, s);
      if (IsSkipped()) return;  // a failure is reported; the next case still runs
    }
}

TEST(MemoryGpu, Softmax) {
  // cols: 1 (scalar path), 1001 (unaligned rows: scalar), 200 to 8192 (vectors
  // in registers, in 32, 64, 128 and 256 threads a row: softmax_threads; fp32
  // 200 -> 32, 1000 -> 64, 2048 -> 128, 4096 -> 256; bf16 1000 -> 32, 2048 -> 64,
  // 4096 -> 128, 8192 -> 256), 65544 (longer than the register cache: re-read path),
  // 65545 (the scalar path's re-read).
  for (const char* id : {"memory.softmax.fp32", "memory.softmax.bf16"})
    for (const char* s : {"rows=1,cols=1", "rows=17,cols=1001", "rows=9,cols=200", "rows=33,cols=1000",
                          "rows=40,cols=2048", "rows=64,cols=4096", "rows=5,cols=8192", "rows=3,cols=65544",
                          "rows=2,cols=65545"}) {
      SCOPED_TRACE(std::string(id) + " " + s);
      run_and_validate(id, s);
      if (IsSkipped()) return;  // a failure is reported; the next case still runs
    }
}

}  // namespace
