#include "validate.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <unordered_set>

#include "flopscope/error.h"

namespace flopscope::kernels {

double tolerance_for(std::string_view dtype, int64_t reduction) {
  if (dtype == "fp32") return 1e-5 * std::sqrt(std::max(1.0, double(reduction) / 65536.0));
  // TF32 keeps 10 mantissa bits. Tensor cores fed plain floats read only the
  // top 19 bits (truncation, as cuBLAS may): every product is then biased low
  // by about 2^-10, a relative error near 1.05e-3 however large k is. 2e-3
  // passes that and still fails a kernel that drops a term.
  if (dtype == "tf32") return 2e-3;
  if (dtype == "fp16" || dtype == "bf16") return 1e-2;
  throw_bad_input("no validation tolerance for dtype '" + std::string(dtype) +
                  "' (known: fp32, tf32, fp16, bf16)");
}

Validation compare_outputs(std::span<const float> out, std::span<const size_t> indices,
                           std::span<const double> ref, double tol) {
  Validation v;
  v.tolerance = tol;
  const size_t count = indices.empty() ? out.size() : indices.size();
  // Nothing compared would "pass" without checking anything.
  if (count == 0) throw Error(ErrorKind::failure, "compare_outputs: no elements to compare");
  if (ref.size() != count)
    throw Error(ErrorKind::failure, "compare_outputs: " + std::to_string(ref.size()) +
                                        " reference values for " + std::to_string(count) +
                                        " compared elements");
  bool finite = true;
  for (float x : out) finite = finite && std::isfinite(x);

  double ref_sq = 0, diff_sq = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t at = indices.empty() ? i : indices[i];
    if (at >= out.size()) throw Error(ErrorKind::failure, "compare_outputs: index out of range");
    const double d = double(out[at]) - ref[i];
    ref_sq += ref[i] * ref[i];
    diff_sq += d * d;
  }
  const double rms = count ? std::sqrt(ref_sq / double(count)) : 0;
  // An all-zero reference: compare absolutely (floor 1) rather than divide by 0.
  const double floor = rms > 0 ? rms : 1.0;
  double worst = 0;
  for (size_t i = 0; i < count; ++i) {
    const size_t at = indices.empty() ? i : indices[i];
    const double e = std::fabs(double(out[at]) - ref[i]) / std::max(std::fabs(ref[i]), floor);
    worst = std::isnan(e) ? INFINITY : std::max(worst, e);
  }
  v.rel_l2_err = ref_sq > 0 ? std::sqrt(diff_sq / ref_sq) : std::sqrt(diff_sq);
  if (!finite) {
    v.max_rel_err = INFINITY;
    v.rel_l2_err = INFINITY;
  } else {
    v.max_rel_err = worst;
  }
  v.passed = finite && v.errors_within_tolerance();
  return v;
}

Validation compare_rows(std::span<const float> out, std::span<const size_t> rows, size_t row_len,
                        const std::function<void(size_t row, double* ref)>& reference_row,
                        double tol) {
  std::vector<size_t> idx;
  std::vector<double> ref(rows.size() * row_len);
  idx.reserve(ref.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    reference_row(rows[r], &ref[r * row_len]);
    for (size_t c = 0; c < row_len; ++c) idx.push_back(rows[r] * row_len + c);
  }
  return compare_outputs(out, idx, ref, tol);
}

namespace {
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

std::vector<size_t> sample_indices(size_t n, size_t max_count, uint64_t seed) {
  std::vector<size_t> idx;
  if (n <= max_count) {
    idx.resize(n);
    for (size_t i = 0; i < n; ++i) idx[i] = i;
    return idx;
  }
  // Drawn until max_count are distinct: draws with repeats, deduplicated once,
  // kept about 63% of them just past n = max_count.
  uint64_t state = seed;
  std::unordered_set<size_t> chosen{0, n - 1};
  chosen.reserve(max_count);
  while (chosen.size() < max_count) chosen.insert(size_t(splitmix64(state) % n));
  idx.assign(chosen.begin(), chosen.end());
  std::sort(idx.begin(), idx.end());
  return idx;
}

size_t reference_budget(int64_t items, int64_t cost_each, int64_t target, int64_t floor_items) {
  constexpr int64_t kMostWork = 4'000'000'000;
  const int64_t cost = std::max<int64_t>(cost_each, 1);
  const int64_t floor = std::min(floor_items, kMostWork / cost);
  const int64_t count = std::max<int64_t>({target / cost, floor, 1});
  return size_t(std::min(count, std::max<int64_t>(items, 0)));
}

void fill_uniform(std::span<float> out, uint64_t seed, float lo, float hi) {
  uint64_t state = seed;
  const float scale = (hi - lo) / float(1u << 24);
  for (float& x : out) x = lo + float(splitmix64(state) >> 40) * scale;
}

namespace {
// Round the float's bit pattern to keep `keep` mantissa bits, ties to even.
float round_mantissa_even(float x, int drop) {
  if (!std::isfinite(x)) return x;
  uint32_t u = std::bit_cast<uint32_t>(x);
  const uint32_t half = 1u << (drop - 1);
  const uint32_t lsb = (u >> drop) & 1u;
  u += half - 1 + lsb;
  u &= ~((1u << drop) - 1);
  return std::bit_cast<float>(u);
}
}  // namespace

float round_to_bf16(float x) { return round_mantissa_even(x, 16); }

float round_to_tf32(float x) {
  if (!std::isfinite(x)) return x;
  uint32_t u = std::bit_cast<uint32_t>(x);
  u += 1u << 12;  // ties away from zero on the magnitude bits
  u &= ~((1u << 13) - 1);
  return std::bit_cast<float>(u);
}

float round_to_fp16(float x) {
  if (!std::isfinite(x)) return x;
  const float a = std::fabs(x);
  if (a >= 65520.0f) return std::copysign(INFINITY, x);  // rounds past the largest half
  if (a < 6.103515625e-05f) {
    // Subnormal half: a fixed quantum of 2^-24; nearbyint rounds ties to even.
    const float q = 5.9604644775390625e-08f;
    return std::copysign(std::nearbyint(a / q) * q, x);
  }
  return round_mantissa_even(x, 13);  // 10 explicit mantissa bits
}

}  // namespace flopscope::kernels
