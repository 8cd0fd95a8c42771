#include <gtest/gtest.h>

#include "flopscope/precision.h"

using namespace flopscope;

TEST(Precision, KeysRoundTrip) {
  ASSERT_FALSE(all_precisions().empty());
  for (const auto& p : all_precisions()) {
    auto parsed = parse_precision(p.key());
    ASSERT_TRUE(parsed) << p.key();
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ((Precision{DType::bf16, Pipe::tensor}.key()), "bf16_tensor");
  EXPECT_EQ((Precision{DType::fp32, Pipe::cuda_core}.key()), "fp32");
}

TEST(Precision, RejectsUnknown) {
  EXPECT_FALSE(parse_precision("fp33"));
  EXPECT_FALSE(parse_precision("tf32"));          // TF32 exists only on tensor cores
  EXPECT_FALSE(parse_precision("_tensor"));
  EXPECT_FALSE(parse_precision(""));
  EXPECT_FALSE(parse_dtype("float"));
}

TEST(Precision, Bytes) {
  EXPECT_EQ(dtype_bytes(DType::fp64), 8);
  EXPECT_EQ(dtype_bytes(DType::tf32), 4);
  EXPECT_EQ(dtype_bytes(DType::bf16), 2);
  EXPECT_EQ(dtype_bytes(DType::fp8), 1);
}
