#pragma once
/// Data types and the pipes that execute them. A peak is named by the pair
/// (dtype, pipe): "fp32" is FP32 on CUDA cores, "bf16_tensor" is BF16 inputs on
/// tensor cores. Every MFU figure says which of these it was divided by.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flopscope {

enum class DType { fp64, fp32, tf32, fp16, bf16, fp8, int8 };
enum class Pipe { cuda_core, tensor };

/// "fp32", "bf16", ... ; parse_dtype returns nullopt for unknown names.
std::string_view to_string(DType d);
std::optional<DType> parse_dtype(std::string_view name);
std::string_view to_string(Pipe p);

/// Bytes per element as stored in memory (tf32 is stored as fp32).
int dtype_bytes(DType d);

struct Precision {
  DType dtype = DType::fp32;
  Pipe pipe = Pipe::cuda_core;

  /// "fp32", "fp64_tensor", "bf16_tensor", ...: the peak key used everywhere.
  std::string key() const;
  friend bool operator==(const Precision&, const Precision&) = default;
};

/// Parses a peak key such as "bf16_tensor" or "fp32".
std::optional<Precision> parse_precision(std::string_view key);

/// Every precision the peak database knows, in display order.
const std::vector<Precision>& all_precisions();

}  // namespace flopscope
