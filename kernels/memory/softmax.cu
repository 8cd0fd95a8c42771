// memory.softmax: the row softmax of softmax.cuh as a memory-bound roofline
// point (5 FLOPs per element over one read and one write). FP32 and BF16.
#include <cuda_bf16.h>

#include <memory>
#include <string>
#include <vector>

#include "common/validate.h"
#include "memory/reference.h"
#include "memory/softmax.cuh"
#include "registry.h"

namespace flopscope::kernels::memory {
namespace {

/// Rows validated, whole: at most ~2^22 reference elements (one row, however long).
size_t reference_row_count(int64_t rows, int64_t cols) {
  const int64_t max_rows = std::max<int64_t>(1, (int64_t(1) << 22) / std::max<int64_t>(cols, 1));
  return size_t(std::min(max_rows, rows));
}

template <class T>
class SoftmaxInstance final : public KernelInstance {
 public:
  SoftmaxInstance(int64_t rows, int64_t cols, std::string dtype)
      : rows_(rows), cols_(cols), dtype_(std::move(dtype)), x_(size_t(rows * cols)),
        y_(x_.size()) {}

  void prepare(uint64_t seed) override {
    seed_ = seed;
    host_x_.resize(x_.size());
    fill_uniform(host_x_, seed * 2 + 1, -8.0f, 8.0f);
    upload_rounded<T>(host_x_, x_);
    poison_nan(y_);
  }

  Status run(StreamHandle stream) override {
    return softmax_rows<T>(x_.get(), y_.get(), rows_, cols_, stream);
  }

  Validation validate() override {
    const std::vector<float> out = download_as_float(y_);
    const std::vector<size_t> rows = sample_indices(size_t(rows_), reference_row_count(rows_, cols_), seed_ ^ 0x50f7);
    return compare_rows(out, rows, size_t(cols_), [&](size_t r, double* ref) {
      softmax_rows_reference(&host_x_[r * size_t(cols_)], 1, cols_, ref);
    }, tolerance_for(dtype_, cols_));
  }

 private:
  int64_t rows_, cols_;
  std::string dtype_;
  DeviceBuffer<T> x_, y_;
  std::vector<float> host_x_;
  uint64_t seed_ = 0;
};

template <class T>
KernelSpec softmax_spec(const char* dtype) {
  KernelSpec s = spec_for("memory", {.variant = "softmax",
                                     .dtype = dtype,
                                     .precision = {DType::fp32, Pipe::cuda_core},  // FP32 math whatever the storage
                                     .description = "row softmax, one CTA per row, 16-byte vectors cached in registers",
                                     .in_default_suite = true});
  // 131072 x 4096: 1 GiB per bf16 array, the bytes the default copy moves,
  // so the ~L2-sized state the flush leaves is ~1.5% of the traffic, not ~6%.
  s.params = {{"rows", 131072, "rows"}, {"cols", 4096, "columns (softmax length)"}};
  s.presets = {{"tiny", {17, 1000}}, {"small", {4096, 1024}}, {"wide", {1024, 65536}}};
  s.model = [](const Shape& sh) {
    return softmax_rows_cost(shape_get(sh, "rows").value_or(0), shape_get(sh, "cols").value_or(0),
                             int(sizeof(T)));
  };
  s.check_shape = [](const Shape& sh) -> std::string {
    if (shape_get(sh, "rows").value_or(0) > 0x7fffffff)
      return "rows must stay below 2^31 (one CTA per row): choose a smaller --shape";
    return "";
  };
  s.device_bytes = [](const Shape& sh) {
    return 2.0 * double(shape_get(sh, "rows").value_or(0)) *
           double(shape_get(sh, "cols").value_or(0)) * sizeof(T);
  };
  s.host_bytes = [](const Shape& sh) {
    const int64_t rows = shape_get(sh, "rows").value_or(0), cols = shape_get(sh, "cols").value_or(0);
    const double n = double(rows) * double(cols);
    return host_bytes_of(n, n, n, double(reference_row_count(rows, cols)) * double(cols), double(sizeof(T)));
  };
  s.create = [dtype = std::string(dtype)](const Shape& sh) -> std::unique_ptr<KernelInstance> {
    return std::make_unique<SoftmaxInstance<T>>(shape_get(sh, "rows").value_or(1),
                                                shape_get(sh, "cols").value_or(1), dtype);
  };
  return s;
}

[[maybe_unused]] const bool registered = register_kernels({
    softmax_spec<float>("fp32"),
    softmax_spec<__nv_bfloat16>("bf16"),
});

}  // namespace
}  // namespace flopscope::kernels::memory
