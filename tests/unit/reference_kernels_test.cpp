// CPU references of the FFN and memory-bound families against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/validate.h"
#include "ffn/activation.h"
#include "ffn/reference.h"
#include "memory/reference.h"
#include "memory/softmax_threads.h"

namespace ffn = flopscope::kernels::ffn;
namespace mem = flopscope::kernels::memory;

TEST(FfnActivation, GeluAndSwiglu) {
  EXPECT_EQ(ffn::gelu_tanh(0.0), 0.0);
  // Known values of the tanh approximation.
  EXPECT_NEAR(ffn::gelu_tanh(1.0), 0.8411919906082768, 1e-12);
  EXPECT_NEAR(ffn::gelu_tanh(-1.0), -0.15880800939172324, 1e-12);
  EXPECT_NEAR(ffn::gelu_tanh(3.0), 2.996362607918227, 1e-12);
  EXPECT_NEAR(double(ffn::gelu_tanh(1.0f)), 0.8411919906082768, 1e-6);
  EXPECT_EQ(ffn::swiglu(0.0, 5.0), 0.0);
  EXPECT_NEAR(ffn::swiglu(1.0, 2.0), 2.0 / (1.0 + std::exp(-1.0)), 1e-15);
}

TEST(FfnReference, GeluHandComputed) {
  // T = 1, d = 2, f = 2. h = x W1 = [1*1 + 2*0, 1*(-1) + 2*1] = [1, 1]
  const float x[] = {1, 2};
  const float w1[] = {1, -1,   //
                      0, 1};
  const float w2[] = {1, 2,    // f x d
                      3, 4};
  ffn::FfnDims d{1, 2, 2, flopscope::FfnType::gelu};
  double y[2];
  ffn::reference_row(x, w1, w2, d, 0, y);
  const double g = ffn::gelu_tanh(1.0);
  EXPECT_NEAR(y[0], g * 1 + g * 3, 1e-12);
  EXPECT_NEAR(y[1], g * 2 + g * 4, 1e-12);
}

TEST(FfnReference, SwigluInterleavedColumns) {
  // T = 2, d = 1, f = 1: W1 = [gate 2, up 3], W2 = [5].
  const float x[] = {1, -1};
  const float w1[] = {2, 3};
  const float w2[] = {5};
  ffn::FfnDims d{2, 1, 1, flopscope::FfnType::swiglu};
  EXPECT_EQ(ffn::w1_cols(d), 2);
  double y;
  ffn::reference_row(x, w1, w2, d, 1, &y);  // row 1: gate -2, up -3
  EXPECT_NEAR(y, ffn::swiglu(-2.0, -3.0) * 5, 1e-12);
}

TEST(MemoryReference, Triad) {
  const float b[] = {1, 2, 3}, c[] = {10, 20, 30};
  double a[3];
  mem::triad_reference(b, c, 0.5f, 3, a);
  EXPECT_EQ(a[0], 6);
  EXPECT_EQ(a[1], 12);
  EXPECT_EQ(a[2], 18);
}

TEST(MemoryReference, SoftmaxRows) {
  const float x[] = {0, float(std::log(3.0)),  // -> 1/4, 3/4
                     1000, 1000};             // large but equal: 1/2, 1/2 (no overflow)
  double y[4];
  mem::softmax_rows_reference(x, 2, 2, y);
  EXPECT_NEAR(y[0], 0.25, 1e-7);
  EXPECT_NEAR(y[1], 0.75, 1e-7);
  EXPECT_EQ(y[2], 0.5);
  EXPECT_EQ(y[3], 0.5);
  // A fully masked row (all -inf) is zeros, as the kernel gives (it was NaN,
  // which no kernel output could match); one finite entry takes all the weight.
  const float masked[] = {-INFINITY, -INFINITY, -INFINITY, 0};
  double z[4];
  mem::softmax_rows_reference(masked, 2, 2, z);
  EXPECT_EQ(z[0], 0.0);
  EXPECT_EQ(z[1], 0.0);
  EXPECT_EQ(z[2], 0.0);
  EXPECT_EQ(z[3], 1.0);
}

// memory.softmax's threads per row: the fewest whole warps (up to 8) whose
// register caches hold the row; longer rows get 256 threads and re-read the rest.
TEST(MemorySoftmax, ThreadsPerRowHoldTheRowInRegisters) {
  namespace fm = flopscope::kernels::memory;
  EXPECT_EQ(fm::softmax_threads(1), 32);
  EXPECT_EQ(fm::softmax_threads(128), 32);   // 32 threads x 4 vectors
  EXPECT_EQ(fm::softmax_threads(129), 64);
  EXPECT_EQ(fm::softmax_threads(512), 128);  // bf16, 4096 columns: 4 loads a thread
  EXPECT_EQ(fm::softmax_threads(513), 256);
  EXPECT_EQ(fm::softmax_threads(1024), 256);  // fp32, 4096 columns, as before
  EXPECT_EQ(fm::softmax_threads(1000), 256);  // 1000 loads a row: fp32, 4000 columns
  EXPECT_EQ(fm::softmax_threads(int64_t(1) << 40), 256);
  for (int64_t v = 1; v <= 4096; ++v) {
    const int t = fm::softmax_threads(v);
    ASSERT_TRUE(t == 32 || t == 64 || t == 128 || t == 256) << v;
    // Cached whole, and in the fewest threads that do so.
    if (t < fm::kSoftmaxMaxThreads) {
      ASSERT_GE(int64_t(t) * fm::kSoftmaxCache, v) << v;
    }
    if (t > 32) {
      ASSERT_LT(int64_t(t / 2) * fm::kSoftmaxCache, v) << v;
    }
  }
}

TEST(CompareRows, ComparesExactlyThePickedRows) {
  // 3 rows of 2; rows 0 and 2 are checked, row 1 holds a wrong value that must not matter.
  const std::vector<float> out = {1, 2, 99, 99, 5, 6};
  const std::vector<size_t> rows = {0, 2};
  std::vector<size_t> seen;
  const flopscope::Validation v = flopscope::kernels::compare_rows(
      out, rows, 2,
      [&](size_t r, double* ref) {
        seen.push_back(r);
        ref[0] = r == 0 ? 1 : 5;
        ref[1] = ref[0] + 1;
      },
      1e-5);
  EXPECT_EQ(seen, rows);
  EXPECT_TRUE(v.passed);
  EXPECT_EQ(v.rel_l2_err, 0.0);
  // A NaN anywhere fails, even in a row that is not compared.
  std::vector<float> bad = out;
  bad[2] = NAN;
  EXPECT_FALSE(flopscope::kernels::compare_rows(bad, rows, 2, [](size_t r, double* ref) {
                 ref[0] = r == 0 ? 1 : 5;
                 ref[1] = ref[0] + 1;
               }, 1e-5).passed);
}
