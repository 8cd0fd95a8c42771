#include "flopscope/precision.h"

#include <array>
#include <utility>

namespace flopscope {
namespace {
constexpr std::array<std::pair<DType, std::string_view>, 7> kNames{{
    {DType::fp64, "fp64"},
    {DType::fp32, "fp32"},
    {DType::tf32, "tf32"},
    {DType::fp16, "fp16"},
    {DType::bf16, "bf16"},
    {DType::fp8, "fp8"},
    {DType::int8, "int8"},
}};
constexpr std::string_view kTensorSuffix = "_tensor";
}  // namespace

std::string_view to_string(DType d) {
  for (const auto& [dt, name] : kNames)
    if (dt == d) return name;
  return "unknown";
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& [dt, n] : kNames)
    if (n == name) return dt;
  return std::nullopt;
}

std::string_view to_string(Pipe p) { return p == Pipe::tensor ? "tensor" : "cuda_core"; }

int dtype_bytes(DType d) {
  switch (d) {
    case DType::fp64: return 8;
    case DType::fp32:
    case DType::tf32: return 4;
    case DType::fp16:
    case DType::bf16: return 2;
    case DType::fp8:
    case DType::int8: return 1;
  }
  return 0;
}

std::string Precision::key() const {
  std::string k(to_string(dtype));
  if (pipe == Pipe::tensor) k += kTensorSuffix;
  return k;
}

std::optional<Precision> parse_precision(std::string_view key) {
  Pipe pipe = Pipe::cuda_core;
  if (key.size() > kTensorSuffix.size() && key.ends_with(kTensorSuffix)) {
    pipe = Pipe::tensor;
    key.remove_suffix(kTensorSuffix.size());
  }
  auto dt = parse_dtype(key);
  if (!dt) return std::nullopt;
  Precision p{*dt, pipe};
  for (const auto& known : all_precisions())
    if (known == p) return p;
  return std::nullopt;
}

const std::vector<Precision>& all_precisions() {
  static const std::vector<Precision> v{
      {DType::fp64, Pipe::cuda_core}, {DType::fp64, Pipe::tensor},
      {DType::fp32, Pipe::cuda_core}, {DType::fp16, Pipe::cuda_core},
      {DType::bf16, Pipe::cuda_core}, {DType::tf32, Pipe::tensor},
      {DType::fp16, Pipe::tensor},    {DType::bf16, Pipe::tensor},
      {DType::fp8, Pipe::tensor},     {DType::int8, Pipe::tensor},
  };
  return v;
}

}  // namespace flopscope
