// The attention, FFN and memory kernels in the registry (CPU only): their ids,
// shape checks, models and device-memory estimates.
#include <gtest/gtest.h>

#include <string>

#include "flopscope/error.h"
#include "flopscope/models.h"
#include "common/tile_math.h"
#include "registry.h"

namespace fk = flopscope::kernels;
using flopscope::Error;

namespace {

const fk::KernelSpec& spec(const std::string& id) {
  const fk::KernelSpec* s = fk::find_kernel(id);
  if (!s) throw std::runtime_error(id + " is not registered");
  return *s;
}

// Why kernel `id` refuses `shape`, or "(accepted)".
std::string refusal(const std::string& id, const std::string& shape) {
  try {
    fk::resolve_shape(spec(id), shape);
  } catch (const Error& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST(FamilyRegistry, EveryVariantIsRegistered) {
  for (const char* id :
       {"attention.naive.fp32", "attention.naive.fp16", "attention.naive.bf16",
        "attention.flash_simt.fp32", "attention.flash_mma.fp16", "attention.flash_mma.bf16",
        "memory.copy.fp32", "memory.triad.fp32", "memory.softmax.fp32", "memory.softmax.bf16"})
    EXPECT_NE(fk::find_kernel(id), nullptr) << id;
  for (const char* type : {"gelu", "swiglu"})
    for (const char* kind : {"unfused", "fused", "cublas"})
      for (const char* dt : {"fp16", "bf16", "tf32", "fp32"}) {
        const std::string id = std::string("ffn.") + type + "_" + kind + "." + dt;
        // FP32 on CUDA cores only through cuBLAS (pedantic); the project's FFN
        // GEMM is the tensor-core one.
        const bool want = std::string(dt) != "fp32" || std::string(kind) == "cublas";
        EXPECT_EQ(fk::find_kernel(id) != nullptr, want) << id;
      }
  EXPECT_EQ(spec("ffn.gelu_fused.tf32").precision.key(), "tf32_tensor");
  EXPECT_EQ(spec("ffn.swiglu_cublas.fp32").precision.key(), "fp32");
}

TEST(FamilyRegistry, AttentionShapesAndModels) {
  const fk::KernelSpec& flash = spec("attention.flash_mma.bf16");
  EXPECT_EQ(flash.precision.key(), "bf16_tensor");
  const flopscope::Shape sh = fk::resolve_shape(flash, "");  // defaults
  const flopscope::AttentionShape as{4, 16, 4096, 4096, 128, false};
  const flopscope::Cost want = flopscope::attention_fused_cost(as, 2);
  const flopscope::Cost got = flash.model(sh);
  EXPECT_DOUBLE_EQ(got.flops, want.flops);
  EXPECT_DOUBLE_EQ(got.bytes, want.bytes);
  EXPECT_DOUBLE_EQ(flash.device_bytes(sh), 4.0 * 16 * 128 * 4 * 4096 * 2);

  // seq_kv = 0 means "same as seq"; a causal, cross-length shape uses the model's convention.
  const flopscope::Shape cross = fk::resolve_shape(flash, "seq=17,seq_kv=300,causal=1");
  const flopscope::AttentionShape cs{4, 16, 17, 300, 128, true};
  EXPECT_DOUBLE_EQ(flash.model(cross).flops, flopscope::attention_fused_cost(cs, 2).flops);

  // The naive variant's model and memory include the fp32 score matrix.
  const fk::KernelSpec& naive = spec("attention.naive.fp32");
  const flopscope::Shape small = fk::resolve_shape(naive, "small");
  const flopscope::AttentionShape ss{2, 8, 1024, 1024, 64, false};
  EXPECT_DOUBLE_EQ(naive.model(small).bytes, flopscope::attention_naive_cost(ss, 4, 4).bytes);
  EXPECT_DOUBLE_EQ(naive.device_bytes(small),
                   2.0 * 8 * 64 * 4 * 1024 * 4 + 2.0 * 8 * 1024 * 1024 * 4);
}

TEST(FamilyRegistry, FlashRejectsUncompiledHeadDimInOneLine) {
  try {
    fk::resolve_shape(spec("attention.flash_mma.fp16"), "head_dim=96");
    FAIL() << "head_dim 96 accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("head_dim 96"), std::string::npos) << msg;
    EXPECT_NE(msg.find("supported: 64, 128"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // The naive kernels take any head dim.
  EXPECT_NO_THROW(fk::resolve_shape(spec("attention.naive.bf16"), "head_dim=96"));
  EXPECT_THROW(fk::resolve_shape(spec("attention.naive.bf16"), "causal=2"), Error);
}

// The naive kernels' grid limits are bad input before any allocation, not a
// launch failure; the flash kernels (1-D grids) take the same shapes.
TEST(FamilyRegistry, NaiveGridLimitsAreRefusedInOneLine) {
  for (const char* shape : {"batch=2,heads=40000,seq=1,head_dim=64", "batch=1,heads=1,seq=2100000,seq_kv=1"}) {
    SCOPED_TRACE(shape);
    const std::string msg = refusal("attention.naive.fp32", shape);
    EXPECT_NE(msg.find("attention.naive (gridDim."), std::string::npos) << msg;
    EXPECT_NE(msg.find("use a flash variant"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NO_THROW(fk::resolve_shape(spec("attention.flash_simt.fp32"), shape));
  }
  // A head dim no flash kernel takes: the hint does not send the user there
  // (a reviewer: flash's refusal sent them back to naive).
  const std::string why = refusal("attention.naive.fp32", "batch=256,heads=257,seq=1,head_dim=1");
  EXPECT_NE(why.find("(gridDim.z): split the problem into smaller runs (the flash variants take head_dim 64 or 128)"),
            std::string::npos)
      << why;
  // At each grid limit, with batch*heads*seq softmax rows still an int.
  EXPECT_NO_THROW(fk::resolve_shape(spec("attention.naive.fp32"), "batch=1,heads=65535,seq=32000,head_dim=64"));
  EXPECT_NO_THROW(fk::resolve_shape(spec("attention.naive.fp32"), "batch=1,heads=1,seq=2097120,head_dim=64"));
}

// batch x heads overflowed int64 in the naive grid check and device_bytes
// (batch=2^62, heads=4 wrapped to 0 and passed): every variant refuses a batch
// or head count of 2^31 or more first.
TEST(FamilyRegistry, AttentionBatchAndHeadsAreBounded) {
  for (const auto& s : fk::all_kernels()) {
    if (s.family != "attention") continue;
    for (const char* shape : {"batch=4611686018427387904,heads=4", "batch=1,heads=2147483648"}) {
      try {
        fk::resolve_shape(s, shape);
        ADD_FAILURE() << s.id() << " accepted " << shape;
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("batch, heads, seq, seq_kv and head_dim must be at most 2^31 - 1025"),
                  std::string::npos)
            << e.what();
      }
    }
  }
}

// Sizes within a tile of 2^31 - 1 would overflow int index math when rounded up
// to a tile (ceil_div) or offset within one; refused up front, not at launch.
TEST(FamilyRegistry, SizesNearTheIntLimitAreRefusedUpFront) {
  const std::string at_limit = std::to_string(fk::kMaxIndexDim), past = std::to_string(fk::kMaxIndexDim + 1);
  const fk::KernelSpec& gemm = spec("gemm.reg_tiled.fp32");
  EXPECT_NO_THROW(fk::resolve_shape(gemm, "m=1,n=" + at_limit + ",k=1"));
  try {
    fk::resolve_shape(gemm, "m=1,n=" + past + ",k=1");
    ADD_FAILURE() << "accepted n=" << past;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n = " + past + " exceeds 2^31 - 1025"), std::string::npos) << e.what();
  }
  // attention.naive's softmax takes batch*heads*seq rows as an int: bounded too.
  const fk::KernelSpec& naive = spec("attention.naive.fp16");
  try {
    fk::resolve_shape(naive, "batch=65535,heads=1,seq=32769,seq_kv=1,head_dim=1");
    ADD_FAILURE() << "accepted 65535 * 32769 softmax rows";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch*heads*seq must be at most 2^31 - 1025"), std::string::npos)
        << e.what();
  }
}

// SwiGLU's w1 has 2 * d_ff columns: for d_ff >= 2^62 that overflowed int64,
// passed the check negative, and the run went on with wrapped sizes.
TEST(FamilyRegistry, FfnHugeDffIsRefusedBeforeItsDoubleOverflows) {
  for (const auto& s : fk::all_kernels()) {
    if (s.family != "ffn") continue;
    try {
      fk::resolve_shape(s, "tokens=4,d_model=8,d_ff=4611686018427387912");
      ADD_FAILURE() << s.id() << " accepted d_ff = 2^62 + 8";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("tokens, d_model and d_ff must be at most"), std::string::npos)
          << e.what();
    }
  }
}

TEST(FamilyRegistry, FfnShapesAndModels) {
  const fk::KernelSpec& fused = spec("ffn.swiglu_fused.bf16");
  const fk::KernelSpec& unfused = spec("ffn.swiglu_unfused.bf16");
  const flopscope::Shape sh = fk::resolve_shape(fused, "tokens=1000,d_model=512,d_ff=1376");
  const flopscope::FfnShape fs{1000, 512, 1376, flopscope::FfnType::swiglu};
  EXPECT_DOUBLE_EQ(fused.model(sh).bytes, flopscope::ffn_cost(fs, true, 2).bytes);
  EXPECT_DOUBLE_EQ(unfused.model(sh).bytes, flopscope::ffn_cost(fs, false, 2).bytes);
  EXPECT_DOUBLE_EQ(fused.model(sh).flops, flopscope::ffn_cost(fs, true, 2).flops);
  // The mma.sync variants need 16-byte rows; cuBLAS takes anything.
  try {
    fk::resolve_shape(fused, "d_model=100");
    FAIL() << "d_model 100 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiples of 8"), std::string::npos) << e.what();
  }
  // TF32 (FP32 storage): 16 bytes are 4 floats.
  EXPECT_NO_THROW(fk::resolve_shape(spec("ffn.swiglu_fused.tf32"), "d_model=100,d_ff=1380"));
  try {
    fk::resolve_shape(spec("ffn.swiglu_fused.tf32"), "d_model=102");
    FAIL() << "d_model 102 accepted for tf32";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiples of 4"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(fk::resolve_shape(spec("ffn.gelu_cublas.fp16"), "tokens=17,d_model=100,d_ff=250"));
  // Unfused allocates the hidden H as well.
  EXPECT_GT(unfused.device_bytes(sh), fused.device_bytes(sh));
}

// The CPU reference's scratch counts in the host estimate (found by review: a
// row's scores, a token's hidden row and activations, in doubles, were left
// out, and the measured peak of these shapes was 2.0 and 2.25 GiB).
TEST(FamilyRegistry, HostBytesCountTheReferenceScratch) {
  const double gib = 1024.0 * 1024 * 1024;
  const fk::KernelSpec& a = spec("attention.naive.fp32");
  EXPECT_GE(a.host_bytes(fk::resolve_shape(a, "batch=1,heads=1,seq=1,seq_kv=134217728,head_dim=1")), 2.0 * gib);
  const fk::KernelSpec& f = spec("ffn.swiglu_cublas.bf16");
  EXPECT_GE(f.host_bytes(fk::resolve_shape(f, "tokens=1,d_model=1,d_ff=67108864")), 2.25 * gib);
}

TEST(FamilyRegistry, MemoryModels) {
  const fk::KernelSpec& copy = spec("memory.copy.fp32");
  const flopscope::Shape sh = fk::resolve_shape(copy, "n=1000");
  EXPECT_DOUBLE_EQ(copy.model(sh).bytes, 8000.0);
  EXPECT_DOUBLE_EQ(spec("memory.triad.fp32").model(sh).flops, 2000.0);
  const fk::KernelSpec& sm = spec("memory.softmax.bf16");
  const flopscope::Shape s2 = fk::resolve_shape(sm, "rows=10,cols=100");
  EXPECT_DOUBLE_EQ(sm.model(s2).bytes, flopscope::softmax_rows_cost(10, 100, 2).bytes);
}
