// Host-only parts of the kernels: shared tile math, validation, the GEMM CPU
// reference and the registry's shape handling. Built from source here so that
// the sanitizer build runs them too.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "cli/run_cli.h"  // temp_dir

#include "common/tile_math.h"
#include "common/validate.h"
#include "flopscope/error.h"
#include "gemm/reference.h"
#include "registry.h"

using namespace flopscope;
using namespace flopscope::kernels;

TEST(TileMath, CeilDivAndTiles) {
  EXPECT_EQ(ceil_div(1, 128), 1);
  EXPECT_EQ(ceil_div(128, 128), 1);
  EXPECT_EQ(ceil_div(129, 128), 2);
  EXPECT_EQ(ceil_div<int64_t>(int64_t(1) << 40, 3), ((int64_t(1) << 40) + 2) / 3);
  EXPECT_EQ(round_up(17, 8), 24);
  EXPECT_EQ(k_tiles(4096, 32), 128);
  EXPECT_EQ(k_tiles(4097, 32), 129);
  // Tile extents cover [0, n) exactly once.
  for (int n : {1, 17, 127, 128, 129, 1000}) {
    int covered = 0;
    for (int t = 0; t < ceil_div(n, 128); ++t) {
      EXPECT_EQ(tile_begin(t, 128), covered);
      covered += tile_extent(t, 128, n);
    }
    EXPECT_EQ(covered, n);
    EXPECT_EQ(tile_extent(ceil_div(n, 128), 128, n), 0);
  }
  static_assert(ceil_div(1000, 128) == 8 && tile_extent(7, 128, 1000) == 104);
  // kMaxIndexDim leaves room, in int, to round up to any tile up to 1024 wide
  // and to add one more tile's offset (the kernels' 32-bit index math).
  for (int b = 1; b <= 1024; ++b) {
    const int64_t up = int64_t(ceil_div<int64_t>(kMaxIndexDim, b)) * b;
    ASSERT_LE(up, INT32_MAX) << b;
    ASSERT_EQ(round_up<int>(int(kMaxIndexDim), b), up) << b;  // in int, no overflow
    ASSERT_LE(kMaxIndexDim + b, int64_t(INT32_MAX)) << b;  // an index plus a tile's width
  }
}

TEST(TileMath, Predicates) {
  EXPECT_TRUE(in_bounds(0, 0, 1, 1));
  EXPECT_FALSE(in_bounds(1, 0, 1, 1));
  EXPECT_FALSE(in_bounds(0, 1, 1, 1));
  EXPECT_FALSE(in_bounds(-1, 0, 1, 1));
  EXPECT_TRUE(vector_in_bounds(12, 4, 16));
  EXPECT_FALSE(vector_in_bounds(13, 4, 16));
  EXPECT_FALSE(vector_in_bounds(16, 4, 16));
}

TEST(TileMath, GroupedTileIsABijection) {
  for (int group : {1, 2, 3, 7, 8, 16}) {
    for (int tm : {1, 3, 8, 9, 17, 40}) {
      for (int tn : {1, 2, 5, 32, 33}) {
        std::set<std::pair<int, int>> seen;
        for (int pid = 0; pid < tm * tn; ++pid) {
          int m = -1, n = -1;
          grouped_tile(pid, tm, tn, group, m, n);
          ASSERT_GE(m, 0);
          ASSERT_LT(m, tm);
          ASSERT_GE(n, 0);
          ASSERT_LT(n, tn);
          seen.insert({m, n});
        }
        EXPECT_EQ(seen.size(), size_t(tm * tn)) << tm << "x" << tn << " group " << group;
      }
    }
  }
  // Consecutive blocks walk down a band of 8 tile-rows first.
  int m = 0, n = 0;
  grouped_tile(1, 16, 16, 8, m, n);
  EXPECT_EQ(m, 1);
  EXPECT_EQ(n, 0);
  grouped_tile(8, 16, 16, 8, m, n);
  EXPECT_EQ(m, 0);
  EXPECT_EQ(n, 1);
}

TEST(Validate, Tolerances) {
  EXPECT_DOUBLE_EQ(tolerance_for("fp32"), 1e-5);
  EXPECT_DOUBLE_EQ(tolerance_for("tf32"), 2e-3);
  EXPECT_DOUBLE_EQ(tolerance_for("fp16"), 1e-2);
  EXPECT_DOUBLE_EQ(tolerance_for("bf16"), 1e-2);
  EXPECT_THROW(tolerance_for("fp7"), Error);
  // FP32's grows with the square root of a sum's length past 2^16 terms (a
  // correct kernel's running sum over 2^18 read 1e-5); the others do not.
  EXPECT_DOUBLE_EQ(tolerance_for("fp32", 65536), 1e-5);
  EXPECT_DOUBLE_EQ(tolerance_for("fp32", 262144), 2e-5);
  EXPECT_DOUBLE_EQ(tolerance_for("fp32", 1 << 22), 8e-5);
  EXPECT_DOUBLE_EQ(tolerance_for("bf16", 1 << 22), 1e-2);
  EXPECT_DOUBLE_EQ(tolerance_for("tf32", 1 << 22), 2e-3);
}

TEST(Validate, ExactMatchPasses) {
  const std::vector<float> out = {1, -2, 3};
  const std::vector<double> ref = {1, -2, 3};
  const Validation v = compare_outputs(out, {}, ref, 1e-5);
  EXPECT_TRUE(v.passed);
  EXPECT_EQ(v.rel_l2_err, 0);
  EXPECT_EQ(v.max_rel_err, 0);
  EXPECT_EQ(v.tolerance, 1e-5);
}

TEST(Validate, NaNNeverPasses) {
  // The NaN is outside the compared sample: it must still fail.
  const std::vector<float> out = {1, 2, NAN, 4};
  const std::vector<size_t> idx = {0, 1, 3};
  const std::vector<double> ref = {1, 2, 4};
  const Validation v = compare_outputs(out, idx, ref, 1.0);
  EXPECT_FALSE(v.passed);
  EXPECT_TRUE(std::isinf(v.max_rel_err));
  const std::vector<float> inf = {INFINITY};
  EXPECT_FALSE(compare_outputs(inf, {}, std::vector<double>{1.0}, 1.0).passed);
  // Comparing nothing is an error, not a pass.
  EXPECT_THROW(compare_outputs(std::vector<float>{}, {}, std::vector<double>{}, 1.0), Error);
}

TEST(Validate, RelativeErrorsHandComputed) {
  // out - ref = (0.1, 0): rel_l2 = 0.1 / sqrt(1 + 1) ; worst = 0.1 / max(1, rms=1).
  const std::vector<float> out = {1.1f, 1.0f};
  const std::vector<double> ref = {1.0, 1.0};
  const Validation v = compare_outputs(out, {}, ref, 0.1);
  EXPECT_NEAR(v.rel_l2_err, 0.1 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(v.max_rel_err, 0.1, 1e-6);
  EXPECT_TRUE(v.passed);  // 0.0707 <= 0.1 and 0.1 <= 0.4
  EXPECT_FALSE(compare_outputs(out, {}, ref, 0.05).passed);
}

TEST(Validate, WorstElementFloorIsTheRms) {
  // A reference that cancels to ~0 at one element: the error there is judged
  // against the rms (~7.07), not against 1e-9.
  const std::vector<float> out = {10.0f, 0.001f};
  const std::vector<double> ref = {10.0, 1e-9};
  const Validation v = compare_outputs(out, {}, ref, 1e-3);
  EXPECT_NEAR(v.max_rel_err, 0.001 / std::sqrt(50.0), 1e-6);
  EXPECT_TRUE(v.passed);
}

TEST(Validate, OneBadElementAmongManyFailsOnTheWorstElement) {
  std::vector<float> out(10000, 1.0f);
  std::vector<double> ref(10000, 1.0);
  out[5000] = 1.5f;  // rel_l2 = 0.5/100 = 5e-3, worst 0.5
  const Validation v = compare_outputs(out, {}, ref, 1e-2);
  EXPECT_LE(v.rel_l2_err, 1e-2);
  EXPECT_FALSE(v.passed);
}

TEST(Validate, SampleIndices) {
  EXPECT_EQ(sample_indices(5, 10, 1), (std::vector<size_t>{0, 1, 2, 3, 4}));
  const auto s = sample_indices(1000000, 100, 7);
  EXPECT_EQ(s.size(), 100u);
  // Just past the budget, still the budget (draws deduplicated once kept 2803 of 4096).
  EXPECT_EQ(sample_indices(5000, 4096, 3).size(), 4096u);
  EXPECT_EQ(sample_indices(4097, 4096, 3).size(), 4096u);
  EXPECT_EQ(s.front(), 0u);
  EXPECT_EQ(s.back(), 999999u);
  EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
  EXPECT_EQ(std::set<size_t>(s.begin(), s.end()).size(), s.size());
  EXPECT_EQ(sample_indices(1000000, 100, 7), s);
}

// The reference's work: near the target, a floor of items while they are cheap,
// never past 4e9 multiply-adds for the floor's sake, and at least one item.
TEST(Validate, ReferenceBudget) {
  EXPECT_EQ(reference_budget(1'000'000, 1000, 100'000'000, 64), 100'000u);  // the target
  EXPECT_EQ(reference_budget(1'000'000, 10'000'000, 100'000'000, 64), 64u);  // the floor: 6.4e8
  EXPECT_EQ(reference_budget(10, 1000, 100'000'000, 64), 10u);                // all there are
  // An attention row over 2^24 keys at D = 128 (4.3e9 each): one row, not 64 (minutes).
  EXPECT_EQ(reference_budget(64, int64_t(2) * (1 << 24) * 128, 100'000'000, 64), 1u);
  // A GEMM output at k = 2^27: 29 outputs (3.9e9), not 4096 (5.5e11).
  EXPECT_EQ(reference_budget(4096, int64_t(1) << 27, 200'000'000, 4096), 29u);
  EXPECT_EQ(reference_budget(0, 5, 100, 4), 0u);
}

TEST(Validate, FillUniformIsSeededAndInRange) {
  std::vector<float> a(1000), b(1000), c(1000);
  fill_uniform(a, 42);
  fill_uniform(b, 42);
  fill_uniform(c, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  double sum = 0;
  for (float x : a) {
    EXPECT_GE(x, -1.0f);
    EXPECT_LT(x, 1.0f);
    sum += x;
  }
  EXPECT_LT(std::fabs(sum / 1000), 0.1);
}

TEST(Validate, Rounding) {
  EXPECT_EQ(round_to_bf16(1.0f), 1.0f);
  // bf16 keeps 7 explicit mantissa bits: one ulp at 1.0 is 1/128.
  EXPECT_EQ(round_to_bf16(1.0f + 1.0f / 512), 1.0f);                 // a quarter ulp: down
  EXPECT_EQ(round_to_bf16(1.0f + 3.0f / 512), 1.0f + 1.0f / 128);    // 3/4 ulp: up
  EXPECT_EQ(round_to_bf16(1.0f + 1.0f / 256), 1.0f);                 // tie: to even (down)
  EXPECT_EQ(round_to_bf16(1.0f + 3.0f / 256), 1.0f + 2.0f / 128);    // tie above odd: up
  EXPECT_EQ(round_to_fp16(1.0f + 1.0f / 4096), 1.0f);  // below half an ulp (2^-10)
  EXPECT_EQ(round_to_fp16(1.0f + 3.0f / 2048), 1.0f + 2.0f / 1024);  // tie at odd -> even
  EXPECT_EQ(round_to_fp16(65504.0f), 65504.0f);
  EXPECT_TRUE(std::isinf(round_to_fp16(70000.0f)));
  EXPECT_EQ(round_to_fp16(1e-8f), 0.0f);
  EXPECT_EQ(round_to_fp16(5.9604644775390625e-08f), 5.9604644775390625e-08f);  // smallest subnormal
  EXPECT_EQ(round_to_tf32(1.0f + 1.0f / 2048), 1.0f + 1.0f / 1024);  // tie away from zero
  EXPECT_EQ(round_to_tf32(1.0f + 1.0f / 4096), 1.0f);
  EXPECT_EQ(round_to_tf32(-(1.0f + 1.0f / 2048)), -(1.0f + 1.0f / 1024));
}

TEST(GemmReference, HandComputed) {
  // A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]: C = [[58,64],[139,154]].
  const float a[] = {1, 2, 3, 4, 5, 6};
  const float b[] = {7, 8, 9, 10, 11, 12};
  double c[4];
  gemm::reference(a, b, 2, 2, 3, c);
  EXPECT_EQ(c[0], 58);
  EXPECT_EQ(c[1], 64);
  EXPECT_EQ(c[2], 139);
  EXPECT_EQ(c[3], 154);
  EXPECT_EQ(gemm::reference_at(a, b, 2, 3, 1, 0), 139);
  const float one_a[] = {3}, one_b[] = {-2};
  EXPECT_EQ(gemm::reference_at(one_a, one_b, 1, 1, 0, 0), -6);
}

TEST(GemmReference, AccumulatesInDouble) {
  // 1e8 + 1 - 1e8 is 0 in float, 1 in double.
  const float a[] = {1e8f, 1, -1e8f};
  const float b[] = {1, 1, 1};
  EXPECT_EQ(gemm::reference_at(a, b, 1, 3, 0, 0), 1.0);
}

TEST(GemmReference, ElementMatchesFullProduct) {
  std::vector<float> a(7 * 5), b(5 * 3);
  fill_uniform(a, 1);
  fill_uniform(b, 2);
  std::vector<double> c(7 * 3);
  gemm::reference(a.data(), b.data(), 7, 3, 5, c.data());
  for (int r = 0; r < 7; ++r)
    for (int j = 0; j < 3; ++j)
      EXPECT_DOUBLE_EQ(gemm::reference_at(a.data(), b.data(), 3, 5, r, j), c[r * 3 + j]);
}

TEST(GemmReference, GridMatchesFullProduct) {
  std::vector<float> a(9 * 6), b(6 * 11);
  fill_uniform(a, 3);
  fill_uniform(b, 4);
  std::vector<double> c(9 * 11);
  gemm::reference(a.data(), b.data(), 9, 11, 6, c.data());
  const std::vector<size_t> rows = {0, 4, 8}, cols = {0, 3, 10};
  std::vector<double> grid(9);
  gemm::reference_grid(a.data(), b.data(), 11, 6, rows, cols, grid.data());
  for (size_t r = 0; r < 3; ++r)
    for (size_t j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(grid[r * 3 + j], c[rows[r] * 11 + cols[j]]);
}

namespace {
KernelSpec toy_spec() {
  KernelSpec s;
  s.family = "toy";
  s.variant = "v";
  s.dtype = "fp32";
  s.params = {{"m", 64, "rows"}, {"n", 32, "cols"}, {"causal", 0, "flag", 0}};
  s.presets = {{"small", {8, 8, 1}}};
  s.model = [](const Shape&) { return Cost{}; };
  s.check_shape = [](const Shape& sh) -> std::string {
    return shape_get(sh, "n").value_or(0) % 8 ? "n must be a multiple of 8 (16-byte rows)" : "";
  };
  s.device_bytes = [](const Shape&) { return 0.0; };
  s.host_bytes = [](const Shape&) { return 0.0; };
  s.create = [](const Shape&) -> std::unique_ptr<KernelInstance> { return nullptr; };
  return s;
}

std::string error_of(const KernelSpec& s, const std::string& arg) {
  try {
    resolve_shape(s, arg);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    return e.what();
  }
  return "";
}
}  // namespace

TEST(ResolveShape, DefaultsPresetsNamesAndPositional) {
  const KernelSpec s = toy_spec();
  EXPECT_EQ(resolve_shape(s, ""), (Shape{{"m", 64}, {"n", 32}, {"causal", 0}}));
  EXPECT_EQ(resolve_shape(s, "default"), resolve_shape(s, ""));
  EXPECT_EQ(resolve_shape(s, "small"), (Shape{{"m", 8}, {"n", 8}, {"causal", 1}}));
  EXPECT_EQ(resolve_shape(s, "n=16,m=1"), (Shape{{"m", 1}, {"n", 16}, {"causal", 0}}));
  EXPECT_EQ(resolve_shape(s, "5x24x1"), (Shape{{"m", 5}, {"n", 24}, {"causal", 1}}));
}

TEST(ResolveShape, ErrorsNameTheProblem) {
  const KernelSpec s = toy_spec();
  EXPECT_NE(error_of(s, "q=3").find("no dimension 'q' (its dimensions: m, n, causal)"),
            std::string::npos);
  EXPECT_NE(error_of(s, "5x8").find("takes 3 values (m, n, causal), got 2"), std::string::npos);
  EXPECT_NE(error_of(s, "m=0").find("needs m >= 1, got 0"), std::string::npos);
  EXPECT_NE(error_of(s, "m=abc").find("'abc' is not an integer"), std::string::npos);
  // A negative AxBxC value was looked up as a preset; an integer past int64 was "not an integer".
  EXPECT_NE(error_of(s, "-1x8x0").find("needs m >= 1, got -1"), std::string::npos) << error_of(s, "-1x8x0");
  EXPECT_NE(error_of(s, "99999999999999999999x8x0").find("out of range (at most 9223372036854775807)"),
            std::string::npos);
  EXPECT_NE(error_of(s, "huge").find("no preset 'huge' (presets: default, small"),
            std::string::npos);
  EXPECT_NE(error_of(s, "n=12").find("toy.v.fp32 m=64 n=12 causal=0: n must be a multiple of 8"),
            std::string::npos);
}

TEST(FitProblem, RefusesWithBothNumbers) {
  const double gib = 1024.0 * 1024 * 1024;
  EXPECT_EQ(fit_problem("x", 1 * gib, 8 * gib), "");
  const std::string why = fit_problem("gemm.naive.fp32 m=1", 12 * gib, 8 * gib);
  EXPECT_NE(why.find("gemm.naive.fp32 m=1 needs 12.00 GiB"), std::string::npos) << why;
  EXPECT_NE(why.find("8.00 GiB is free"), std::string::npos) << why;
  EXPECT_NE(why.find("smaller --shape"), std::string::npos) << why;
  // The headroom counts: exactly the free bytes do not fit.
  EXPECT_NE(fit_problem("x", 8 * gib, 8 * gib), "");
  const std::string host = fit_problem("x", 160 * gib, 120 * gib, Memory::host);
  EXPECT_NE(host.find("x needs 160.00 GiB of host memory"), std::string::npos) << host;
  EXPECT_NE(host.find("120.00 GiB is available"), std::string::npos) << host;
}

TEST(FitProblem, AvailableHostBytesAreRead) {
  // (host_bytes_of itself: Registry.GemmModelAndBytes, worked by hand.)
  EXPECT_GT(available_host_bytes(), 0) << "/proc/meminfo has MemAvailable on Linux";
}

// A container's cgroup usage counts the page cache; its inactive part is given
// back on demand, so it is not counted as used (a container that had just read
// large files was refused memory it had).
TEST(FitProblem, CgroupPageCacheIsNotCountedAsUsed) {
  namespace fs = std::filesystem;
  const std::string root = flopscope::test::temp_dir();
  const double gib = double(1 << 30);
  fs::create_directories(root + "/proc");
  fs::create_directories(root + "/sys/fs/cgroup");
  std::ofstream(root + "/proc/meminfo") << "MemTotal: 134217728 kB\nMemAvailable: 125829120 kB\n";  // 120 GiB
  std::ofstream(root + "/sys/fs/cgroup/memory.max") << uint64_t(32 * gib) << "\n";
  std::ofstream(root + "/sys/fs/cgroup/memory.current") << uint64_t(30 * gib) << "\n";
  EXPECT_DOUBLE_EQ(available_host_bytes(root), 2 * gib);  // no memory.stat: all of it used
  std::ofstream(root + "/sys/fs/cgroup/memory.stat") << "anon 4294967296\nfile 25769803776\ninactive_file "
                                                     << uint64_t(20 * gib) << "\nactive_file 5368709120\n";
  EXPECT_DOUBLE_EQ(available_host_bytes(root), 22 * gib);
  std::ofstream(root + "/sys/fs/cgroup/memory.max") << "max\n";  // no limit: MemAvailable
  EXPECT_DOUBLE_EQ(available_host_bytes(root), 120 * gib);
}

TEST(ShapeTag, NoSpaces) {
  EXPECT_EQ(shape_tag({{"m", 4096}, {"n", 17}}), "m4096_n17");
}
