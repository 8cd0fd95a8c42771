#pragma once
// What every GEMM variant shares: the problem on the device (GemmInstance:
// random inputs, NaN-poisoned output, validation against the double reference)
// and the KernelSpec boilerplate. A variant file supplies only its launcher.
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/cuda_util.cuh"
#include "common/tile_math.h"
#include "common/validate.h"
#include "gemm/reference.h"
#include "registry.h"

namespace flopscope::kernels::gemm {

struct GemmDims {
  int m = 0, n = 0, k = 0;
};

inline GemmDims dims_of(const Shape& s) {
  return {int(shape_get(s, "m").value_or(0)), int(shape_get(s, "n").value_or(0)),
          int(shape_get(s, "k").value_or(0))};
}

/// Runs C = A * B for row-major A[m,k], B[k,n], C[m,n] on `stream`.
template <class T>
using Launch = std::function<Status(const T* a, const T* b, T* c, int m, int n, int k, cudaStream_t)>;

/// A variant's alignment constraint: "" when it takes the dims, else one line.
using DimsCheck = std::function<std::string(const GemmDims&)>;

/// Reference work budget: outputs compared per validation, so that K * count
/// stays near 2e8 multiply-adds (well under a second on one core).
inline size_t reference_sample_count(int64_t m, int64_t n, int64_t k) {
  return reference_budget(m * n, k, 200'000'000, 4096);
}

/// How many rows and columns reference_grid_axes picks.
inline std::pair<size_t, size_t> reference_grid_size(int64_t m, int64_t n, int64_t k) {
  const double budget = double(reference_sample_count(m, n, k));
  const size_t side = size_t(std::ceil(std::sqrt(budget)));
  const size_t rows = std::min<size_t>(size_t(m), std::max<size_t>(side, size_t(budget / double(n))));
  const size_t cols = std::min<size_t>(size_t(n), std::max<size_t>(1, size_t(budget / double(rows))));
  return {rows, cols};
}

/// Rows and columns to check: a grid of about reference_sample_count outputs
/// that always includes the first and last row and column (the tail tiles).
inline std::pair<std::vector<size_t>, std::vector<size_t>> reference_grid_axes(int64_t m, int64_t n,
                                                                               int64_t k, uint64_t seed) {
  const auto [rows, cols] = reference_grid_size(m, n, k);
  return {sample_indices(size_t(m), rows, seed), sample_indices(size_t(n), cols, seed + 1)};
}

template <class T>
class GemmInstance final : public KernelInstance {
 public:
  GemmInstance(GemmDims d, std::string dtype, Launch<T> launch)
      : d_(d), dtype_(std::move(dtype)), launch_(std::move(launch)),
        a_(size_t(d.m) * d.k), b_(size_t(d.k) * d.n), c_(size_t(d.m) * d.n) {}

  void prepare(uint64_t seed) override {
    seed_ = seed;
    host_a_.resize(a_.size());
    host_b_.resize(b_.size());
    fill_uniform(host_a_, seed * 2 + 1);
    fill_uniform(host_b_, seed * 2 + 2);
    upload_rounded<T>(host_a_, a_);
    upload_rounded<T>(host_b_, b_);
    poison_nan(c_);
  }

  Status run(StreamHandle stream) override {
    return launch_(a_.get(), b_.get(), c_.get(), d_.m, d_.n, d_.k, stream);
  }

  Validation validate() override {
    const std::vector<float> out = download_as_float(c_);
    const auto [rows, cols] = reference_grid_axes(d_.m, d_.n, d_.k, seed_ ^ 0x5eed);
    std::vector<double> ref(rows.size() * cols.size());
    reference_grid(host_a_.data(), host_b_.data(), d_.n, d_.k, rows, cols, ref.data());
    std::vector<size_t> idx;
    idx.reserve(ref.size());
    for (size_t r : rows)
      for (size_t c : cols) idx.push_back(r * size_t(d_.n) + c);
    return compare_outputs(out, idx, ref, tolerance_for(dtype_, d_.k));
  }

 private:
  GemmDims d_;
  std::string dtype_;
  Launch<T> launch_;
  DeviceBuffer<T> a_, b_, c_;
  std::vector<float> host_a_, host_b_;
  uint64_t seed_ = 0;
};

struct GemmSpecArgs : VariantInfo {
  double workspace_bytes = 0;  ///< device memory beyond A, B and C
  DimsCheck check;             ///< empty: any m, n, k >= 1
};

/// The spec for a GEMM variant over element type T. `make_launch` is called
/// once per instance (cuBLAS variants create their handle there).
template <class T>
KernelSpec make_gemm_spec(GemmSpecArgs args, std::function<Launch<T>()> make_launch) {
  KernelSpec s = spec_for("gemm", args);
  s.params = {{"m", 4096, "rows of A and C"},
              {"n", 4096, "columns of B and C"},
              {"k", 4096, "columns of A, rows of B"}};
  s.presets = {{"tiny", {256, 256, 256}},
               {"small", {1024, 1024, 1024}},
               {"large", {8192, 8192, 8192}},
               {"tall", {16384, 1024, 4096}}};
  s.model = [](const Shape& sh) {
    const GemmDims d = dims_of(sh);
    return gemm_cost({d.m, d.n, d.k}, int(sizeof(T)), int(sizeof(T)));
  };
  s.check_shape = [check = args.check](const Shape& sh) -> std::string {
    for (const auto& [name, v] : sh)
      if (v > kMaxIndexDim)
        return name + " = " + std::to_string(v) + " exceeds " + kMaxIndexDimText + ": choose a smaller --shape";
    return check ? check(dims_of(sh)) : std::string();
  };
  const double workspace = args.workspace_bytes;
  // Elements of A, B and C, in double: no product overflows.
  const auto elements = [](const Shape& sh) {
    const double m = double(shape_get(sh, "m").value_or(0));
    const double n = double(shape_get(sh, "n").value_or(0));
    const double k = double(shape_get(sh, "k").value_or(0));
    return std::array<double, 3>{m * k, k * n, m * n};
  };
  s.device_bytes = [workspace, elements](const Shape& sh) {
    const auto [a, b, c] = elements(sh);
    return (a + b + c) * double(sizeof(T)) + workspace;
  };
  s.host_bytes = [elements](const Shape& sh) {
    const auto [a, b, c] = elements(sh);
    const GemmDims d = dims_of(sh);
    const auto [rows, cols] = reference_grid_size(d.m, d.n, d.k);
    // reference_grid gathers the sampled columns of B (cols x k floats): 4 GiB at m=1, k=2^18.
    return host_bytes_of(a + b, std::max(a, b), c, double(rows) * double(cols), double(sizeof(T)),
                         4.0 * double(cols) * double(d.k));
  };
  s.create = [dtype = args.dtype, make_launch](const Shape& sh) -> std::unique_ptr<KernelInstance> {
    return std::make_unique<GemmInstance<T>>(dims_of(sh), dtype, make_launch());
  };
  return s;
}

/// For variants that put M on gridDim.y (at most 65535 blocks of `rows_per_block`).
inline DimsCheck max_rows_check(int rows_per_block) {
  return [rows_per_block](const GemmDims& d) -> std::string {
    const int64_t limit = int64_t(65535) * rows_per_block;
    if (d.m <= limit) return "";
    return "m must be at most " + std::to_string(limit) +
           " for this variant (grid limit): use a gemm.cublas kernel, which takes any m";
  };
}

/// One line for a variant that needs k and n to be multiples of `multiple`.
inline std::string require_multiple(const GemmDims& d, int multiple, const char* why) {
  if (d.k % multiple == 0 && d.n % multiple == 0) return "";
  return "k and n must be multiples of " + std::to_string(multiple) + " (" + why +
         "): pad them, or use gemm.reg_tiled.fp32 or a gemm.cublas kernel";
}

}  // namespace flopscope::kernels::gemm
