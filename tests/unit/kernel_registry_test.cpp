// The registry as the kernels library fills it: every spec complete and
// self-consistent, on the CPU (no kernel is launched).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "flopscope/error.h"
#include "gemm/mma_sync_layout.h"
#include "gemm/wgmma_tile.h"
#include "registry.h"

using namespace flopscope;
using namespace flopscope::kernels;

TEST(Registry, HasTheGemmFamily) {
  for (const char* id : {"gemm.naive.fp32", "gemm.naive.fp16", "gemm.naive.bf16",
                         "gemm.smem_tiled.fp32", "gemm.reg_tiled.fp32", "gemm.mma_sync.fp16",
                         "gemm.mma_sync.bf16", "gemm.mma_sync.tf32", "gemm.cublas.fp32",
                         "gemm.cublas.tf32", "gemm.cublas.fp16", "gemm.cublas.bf16",
                         "gemm.cublaslt.fp32", "gemm.cublaslt.tf32", "gemm.cublaslt.fp16",
                         "gemm.cublaslt.bf16", "gemm.wgmma.fp16", "gemm.wgmma.bf16"})
    EXPECT_NE(find_kernel(id), nullptr) << id;
  EXPECT_EQ(find_kernel("gemm.nosuch.fp32"), nullptr);
}

TEST(Registry, EverySpecIsCompleteAtItsDefaultShape) {
  std::set<std::string> ids;
  std::vector<std::string> in_order;  // as all_kernels() lists them
  ASSERT_FALSE(all_kernels().empty());
  for (const KernelSpec& s : all_kernels()) {
    SCOPED_TRACE(s.id());
    EXPECT_TRUE(ids.insert(s.id()).second);
    in_order.push_back(s.id());
    EXPECT_FALSE(s.description.empty());
    EXPECT_TRUE(parse_precision(s.precision.key()).has_value());
    const Shape shape = resolve_shape(s, "");  // the defaults must be accepted
    const Cost c = s.model(shape);
    EXPECT_GE(c.flops, 0);  // a copy has none
    EXPECT_GT(c.bytes, 0);
    EXPECT_GT(s.device_bytes(shape), 0);
    // Every instance keeps float copies of its inputs on the host.
    EXPECT_GT(s.host_bytes(shape), 0);
    for (const ShapePreset& p : s.presets) EXPECT_NO_THROW(resolve_shape(s, p.name)) << p.name;
  }
  EXPECT_TRUE(std::is_sorted(in_order.begin(), in_order.end()));  // (a std::set always is)
}

// What a GPU refuses, before anything is allocated: the compute capability,
// then the shared memory a block asks for against what the GPU lets a block
// opt into (sm_86/89/120: 101,376 bytes; sm_90: 232,448).
TEST(Registry, DeviceRefusalNamesWhatTheGpuLacks) {
  constexpr int kH200Optin = 232448, kAdaOptin = 101376;
  for (const KernelSpec& s : all_kernels()) EXPECT_EQ(device_refusal(s, 90, kH200Optin), "") << s.id();
  // The mma.sync tilings ask for their tiles' shared memory; gemm.wgmma's ring
  // (also under gemm.mma_sync_tma and the wgmma FFN) for its own.
  using flopscope::kernels::gemm::mma_layout::MmaTile;
  for (const char* dtype : {"fp16", "bf16"}) {
    const std::string d = dtype;
    EXPECT_EQ(find_kernel("gemm.mma_sync." + d)->smem_bytes, (MmaTile<2, 2>::kSmemBytes));
    EXPECT_EQ(find_kernel("gemm.mma_sync_wide." + d)->smem_bytes, (MmaTile<2, 4>::kSmemBytes));
    EXPECT_EQ(find_kernel("gemm.mma_sync_deep." + d)->smem_bytes, (MmaTile<2, 4, 128>::kSmemBytes));
    for (const std::string& id : {"gemm.wgmma." + d, "gemm.mma_sync_tma." + d, "ffn.swiglu_fused_wgmma." + d})
      EXPECT_EQ(find_kernel(id)->smem_bytes, int(flopscope::kernels::gemm::wgmma_tile::kSmemBytes)) << id;
  }
  EXPECT_EQ(find_kernel("gemm.mma_sync_deep.tf32")->smem_bytes, (MmaTile<4, 4, 128>::kSmemBytes));

  // A GPU older than the build's oldest architecture has no code to run: refused
  // by name (each launch failed with "no kernel image is available").
  EXPECT_EQ(device_refusal(*find_kernel("gemm.naive.fp32"), 75, 65536, 80),
            "gemm.naive.fp32 has no code for sm_75: this flopscope was built for sm_80 and newer "
            "(rebuild with sm_75 in CMAKE_CUDA_ARCHITECTURES)");
  EXPECT_EQ(device_refusal(*find_kernel("gemm.naive.fp32"), 86, kAdaOptin, 80), "");
  // An RTX 4090 (sm_89): the 128 x 128 block fits, the 128 x 256 one does not.
  EXPECT_EQ(device_refusal(*find_kernel("gemm.mma_sync.bf16"), 89, kAdaOptin), "");
  EXPECT_EQ(device_refusal(*find_kernel("gemm.mma_sync_wide.bf16"), 89, kAdaOptin),
            "gemm.mma_sync_wide.bf16 needs 108544 bytes of shared memory a block; this GPU is sm_89, "
            "whose blocks get at most 101376");
  EXPECT_EQ(device_refusal(*find_kernel("gemm.mma_sync_deep.bf16"), 89, kAdaOptin),
            "gemm.mma_sync_deep.bf16 needs sm_90 or newer; this GPU is sm_89");
  EXPECT_EQ(device_refusal(*find_kernel("gemm.wgmma.bf16"), 89, kAdaOptin),
            "gemm.wgmma.bf16 runs only on sm_90; this GPU is sm_89");
  // sm_120 is newer than sm_90 but gives a block sm_89's shared memory.
  EXPECT_NE(device_refusal(*find_kernel("gemm.mma_sync_deep.bf16"), 120, kAdaOptin).find("208896 bytes"),
            std::string::npos);
  // Whatever asks for no more than 48 KB runs on any GPU of its generation.
  EXPECT_EQ(device_refusal(*find_kernel("gemm.reg_tiled.fp32"), 75, 65536, /*lowest_built_cc=*/0), "");
  EXPECT_EQ(device_refusal(*find_kernel("gemm.mma_sync_wide.bf16"), 80, 166912), "");  // an A100's 163 KB
}

TEST(Registry, GemmModelAndBytes) {
  const KernelSpec* s = find_kernel("gemm.mma_sync.bf16");
  ASSERT_NE(s, nullptr);
  const Shape shape = resolve_shape(*s, "m=256,n=128,k=64");
  EXPECT_DOUBLE_EQ(s->model(shape).flops, 2.0 * 256 * 128 * 64);
  EXPECT_DOUBLE_EQ(s->model(shape).bytes, (256.0 * 64 + 64 * 128 + 256 * 128) * 2);
  EXPECT_DOUBLE_EQ(s->device_bytes(shape), (256.0 * 64 + 64 * 128 + 256 * 128) * 2);
  EXPECT_EQ(s->precision.key(), "bf16_tensor");
  EXPECT_EQ(s->min_cc, 80);
  EXPECT_EQ(find_kernel("gemm.cublas.tf32")->precision.key(), "tf32_tensor");
  EXPECT_EQ(find_kernel("gemm.cublas.fp32")->precision.key(), "fp32");
  // sm_90a code: listed everywhere, run on sm_90 only; gemm.wgmma.bf16 alone in
  // the default suite (it ran under counters on an H200; gemm.mma_sync_tma has
  // not run on a GPU yet).
  for (const char* id : {"gemm.wgmma.fp16", "gemm.wgmma.bf16", "gemm.mma_sync_tma.fp16", "gemm.mma_sync_tma.bf16"}) {
    const KernelSpec* w = find_kernel(id);
    ASSERT_NE(w, nullptr) << id;
    EXPECT_EQ(w->min_cc, 90) << id;
    EXPECT_EQ(w->only_cc, 90) << id;
    EXPECT_EQ(w->in_default_suite, std::string(id) == "gemm.wgmma.bf16") << id;
    EXPECT_NE(w->description.find("(sm_90a)"), std::string::npos) << w->description;
    const std::string dtype = std::string(id).substr(std::string(id).rfind('.') + 1);
    EXPECT_EQ(w->precision.key(), dtype + "_tensor");
    EXPECT_DOUBLE_EQ(w->model(shape).flops, 2.0 * 256 * 128 * 64);
  }
  // 131072^3 bf16 fits an H200 (96 GiB) but not its 128 GiB host: A and B as
  // float (128 GiB), then C downloaded as bf16 and float (96 GiB), a double
  // and an index for each of the 4096 outputs compared (a 64 x 64 grid: 64 KiB),
  // and the reference's copy of B's 64 sampled columns (32 MiB).
  const Shape big = resolve_shape(*s, "m=131072,n=131072,k=131072");
  const double gib = 1024.0 * 1024 * 1024;
  EXPECT_DOUBLE_EQ(s->device_bytes(big) / gib, 96.0);
  EXPECT_DOUBLE_EQ(s->host_bytes(big), (128.0 + 96.0) * gib + 4096 * 16.0 + 4.0 * 64 * 131072);
  // A short k compares many outputs (up to 2e8 multiply-adds): at k = 8,
  // 16384^2 outputs are 25 million compared, 0.37 GiB that were left out.
  const Shape flat = resolve_shape(*s, "m=16384,n=16384,k=8");
  EXPECT_GT(s->host_bytes(flat) - 4.0 * 2 * 16384 * 8 - (2 + 4) * 16384.0 * 16384, 0.35 * gib);
  // cuBLAS reserves its workspace too.
  EXPECT_GT(find_kernel("gemm.cublas.bf16")->device_bytes(shape), s->device_bytes(shape));
}

// A long --shape is quoted cut short (a 100 kB preset name made a 200 kB error
// line: a reviewer).
TEST(Registry, LongShapeArgumentsAreQuotedShort) {
  const KernelSpec* s = find_kernel("gemm.naive.fp32");
  ASSERT_NE(s, nullptr);
  for (const std::string& arg : {std::string(100000, 'q'), "m=1," + std::string(100000, 'x'),
                                 "m=" + std::string(100000, '9')}) {
    try {
      resolve_shape(*s, arg);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_LT(std::string(e.what()).size(), 400u) << e.what();
    }
  }
}

TEST(Registry, AlignmentRulesPerVariant) {
  // Tails of any size for the SIMT kernels; 16-byte rows for mma_sync.
  for (const char* id : {"gemm.naive.fp32", "gemm.smem_tiled.bf16", "gemm.reg_tiled.fp32",
                         "gemm.cublas.fp16"})
    EXPECT_NO_THROW(resolve_shape(*find_kernel(id), "1x17x127")) << id;
  EXPECT_NO_THROW(resolve_shape(*find_kernel("gemm.mma_sync.bf16"), "17x1000x4096"));
  EXPECT_NO_THROW(resolve_shape(*find_kernel("gemm.mma_sync.tf32"), "1x4x4"));
  try {
    resolve_shape(*find_kernel("gemm.mma_sync.fp16"), "17x1000x127");
    ADD_FAILURE() << "k = 127 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("k and n must be multiples of 8"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(resolve_shape(*find_kernel("gemm.mma_sync.tf32"), "4x6x4"), Error);
  // wgmma and mma_sync_tma: TMA's 16-byte global row strides, any m.
  for (const char* id : {"gemm.wgmma.fp16", "gemm.wgmma.bf16", "gemm.mma_sync_tma.fp16", "gemm.mma_sync_tma.bf16"}) {
    EXPECT_NO_THROW(resolve_shape(*find_kernel(id), "17x1000x4096")) << id;
    EXPECT_NO_THROW(resolve_shape(*find_kernel(id), "1x8x8")) << id;
    EXPECT_NO_THROW(resolve_shape(*find_kernel(id), "m=9000000,n=8,k=8")) << id;
    for (const char* bad : {"17x1000x127", "8x12x8"}) {
      try {
        resolve_shape(*find_kernel(id), bad);
        ADD_FAILURE() << id << " accepted " << bad;
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::bad_input);
        const std::string what = e.what();
        EXPECT_NE(what.find("k and n must be multiples of 8 (16-byte TMA row strides)"), std::string::npos)
            << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      }
    }
  }
  // Dimensions beyond int are refused in one line.
  EXPECT_THROW(resolve_shape(*find_kernel("gemm.naive.fp32"), "m=3000000000"), Error);
  // gridDim.y limits the SIMT ladder's m; mma_sync's 1-D grid does not.
  EXPECT_THROW(resolve_shape(*find_kernel("gemm.naive.fp32"), "m=600000,n=8,k=8"), Error);
  EXPECT_NO_THROW(resolve_shape(*find_kernel("gemm.reg_tiled.fp32"), "m=600000,n=8,k=8"));
  EXPECT_NO_THROW(resolve_shape(*find_kernel("gemm.mma_sync.bf16"), "m=9000000,n=8,k=8"));
}

TEST(Registry, SelectAndSuite) {
  const auto bf16 = select_kernels("^gemm\\.", {"bf16"});
  ASSERT_FALSE(bf16.empty());
  for (const KernelSpec* s : bf16) EXPECT_EQ(s->dtype, "bf16");
  EXPECT_EQ(select_kernels("gemm.reg_tiled", {}).size(), 1u);
  EXPECT_THROW(select_kernels("^nosuch", {}), Error);
  EXPECT_THROW(select_kernels("", {"fp7"}), Error);
  // Nested loops match in polynomial time (a backtracking search for "(.*)*#"
  // ran over a minute on the 24-character "attention.flash_mma.bf16" alone); a
  // back-reference is refused in one line.
  EXPECT_THROW(select_kernels("i******#", {}), Error);
  EXPECT_THROW(select_kernels("(.*)*#", {}), Error);
  try {
    select_kernels("(gemm)\\1", {});
    ADD_FAILURE() << "a back-reference was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("--kernel '(gemm)\\1' uses a back-reference"), std::string::npos) << e.what();
  }
  const auto suite = default_suite();
  ASSERT_FALSE(suite.empty());
  std::set<std::string> precisions;
  for (const KernelSpec* s : suite) precisions.insert(s->precision.key());
  // The suite compares precisions: CUDA-core FP32 and three tensor-core types.
  for (const char* p : {"fp32", "tf32_tensor", "fp16_tensor", "bf16_tensor"})
    EXPECT_TRUE(precisions.count(p)) << p;
}
