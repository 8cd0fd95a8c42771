#include "activity_names.h"

#include <algorithm>
#include <cctype>

namespace flopscope::cupti {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

bool has(const std::string& s, std::string_view token) { return s.find(token) != std::string::npos; }

template <class... T>
bool has_any(const std::string& s, T... tokens) {
  return (has(s, tokens) || ...);
}

}  // namespace

PrecisionGuess guess_precision(const std::string& demangled) {
  const std::string s = lower(demangled);
  const bool tensor = has_any(s, "gemm", "mma", "gmma", "xmma", "cutlass", "cublas", "sm80_",
                              "sm90_", "sm100_", "ampere_", "hopper_", "flash", "cudnn", "wgrad",
                              "dgrad", "fprop", "conv");
  auto pick = [&](const char* dtype, bool tensor_pipe, bool cuda_core_peak) -> PrecisionGuess {
    const std::string d = dtype;
    if (tensor_pipe) return {d, d + "_tensor"};
    return {d, cuda_core_peak ? d : "fp32"};
  };
  // Narrow types first: a name such as "bf16_f32" is a BF16 kernel.
  if (has_any(s, "e4m3", "e5m2", "fp8", "f8f6f4"))
    return {"fp8", tensor ? "fp8_tensor" : "fp32"};
  if (has_any(s, "bf16", "bfloat16")) return pick("bf16", tensor, true);
  if (has_any(s, "fp16", "__half", "half", "f16", "hgemm", "h884", "h1688", "h16816"))
    return pick("fp16", tensor, true);
  if (has(s, "tf32")) return {"tf32", "tf32_tensor"};
  if (has_any(s, "int8", "i8i8", "s8s8", "imma", "igemm")) return {"int8", tensor ? "int8_tensor" : "fp32"};
  if (has_any(s, "fp64", "double", "dgemm", "zgemm", "dmma")) return pick("fp64", tensor, true);
  if (has_any(s, "fp32", "float", "sgemm", "f32")) return {"fp32", "fp32"};
  return {"unknown", "fp32"};
}

ApiKind classify_api(std::string_view name) {
  while (!name.empty() && name.front() == '_') name.remove_prefix(1);
  auto starts = [&](std::string_view p) { return name.substr(0, p.size()) == p; };
  auto contains = [&](std::string_view p) { return name.find(p) != std::string_view::npos; };
  if (starts("cuGraphLaunch") || starts("cudaGraphLaunch")) return ApiKind::graph_launch;
  if (starts("cuLaunch") || starts("cudaLaunch"))
    return contains("HostFunc") ? ApiKind::other : ApiKind::kernel_launch;
  if (starts("cuMemcpy") || starts("cudaMemcpy")) return contains("Batch") ? ApiKind::memcpy_batch : ApiKind::memcpy;
  if (starts("cuMemset") || starts("cudaMemset")) return ApiKind::memset;
  return ApiKind::other;
}

}  // namespace flopscope::cupti
