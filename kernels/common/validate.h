#pragma once
// Validation against a CPU reference, shared by every family. Host-only.
//
// Rule (docs/kernels.md): with ref the reference in double and rms its root
// mean square over the compared elements,
//   rel_l2  = ||out - ref|| / ||ref||                       must be <= tol
//   max_rel = max |out - ref| / max(|ref|, rms)             must be <= 4 * tol
// (Validation::errors_within_tolerance in flopscope/results.h, which a results
// file's `passed` is checked against when read)
// and every output element must be finite: NaN (the poison) never passes.
// The floor `rms` keeps outputs that cancel to nearly zero from turning an
// absolute rounding error into a huge relative one.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "flopscope/results.h"

namespace flopscope::kernels {

/// FP32 1e-5, TF32 2e-3, FP16 and BF16 1e-2 (what the dtype's rounding allows).
/// `reduction`: the longest sum behind an output (GEMM's k, attention's keys).
/// FP32's tolerance grows with its square root past 65536 terms: a running
/// FP32 sum's rounding error grows as eps * sqrt(length), and a correct
/// kernel summing 2^18 terms read 1e-5 (the other dtypes' input rounding
/// dominates at any length). Throws bad_input for an unknown dtype name.
double tolerance_for(std::string_view dtype, int64_t reduction = 1);

/// Compares `out` (every output element, as float) with `ref`, the reference
/// at `indices` (ref[i] belongs to out[indices[i]]; empty indices: all, in order).
Validation compare_outputs(std::span<const float> out, std::span<const size_t> indices,
                           std::span<const double> ref, double tol);

/// compare_outputs over whole rows: `rows` picks rows of `out` (each `row_len`
/// elements); `reference_row(row, ref)` writes that row's row_len reference values.
Validation compare_rows(std::span<const float> out, std::span<const size_t> rows, size_t row_len,
                        const std::function<void(size_t row, double* ref)>& reference_row,
                        double tol);

/// Indices to evaluate a reference at: all of [0, n) when n <= max_count,
/// else max_count sorted distinct indices drawn from `seed` that always
/// include 0 and n-1.
std::vector<size_t> sample_indices(size_t n, size_t max_count, uint64_t seed);

/// How many of `items` to check against a reference that costs `cost_each`
/// multiply-adds an item: enough for about `target` multiply-adds, at least
/// `floor_items` while they cost under 4e9 (a few seconds on one core), and at
/// least one. A floor alone made a 2^24-key attention row check take minutes.
size_t reference_budget(int64_t items, int64_t cost_each, int64_t target, int64_t floor_items);

/// Fills `out` with uniform random numbers in [lo, hi) from `seed` (splitmix64;
/// the same seed gives the same numbers on every machine).
void fill_uniform(std::span<float> out, uint64_t seed, float lo = -1.0f, float hi = 1.0f);

/// Rounds to the nearest value representable in a 16-bit float format, ties to
/// even, as the device conversions do: what a reference must use as input.
float round_to_fp16(float x);
float round_to_bf16(float x);
/// TF32 as the tensor cores see an FP32 input converted with cvt.rna.tf32.f32
/// (round to nearest, ties away from zero, to 10 explicit mantissa bits).
float round_to_tf32(float x);

}  // namespace flopscope::kernels
