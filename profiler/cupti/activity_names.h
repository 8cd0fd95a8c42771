#pragma once
// Names: kernel symbols, their short form and precision guess, and which CUDA
// API calls launch work. Plain code, tested on the CPU.
#include <string>
#include <string_view>

#include "flopscope/kernel_names.h"  // demangle, kernel_short_name

namespace flopscope::cupti {

/// A best guess at what a kernel computes in, from its name. flopscope's
/// rule (docs/profile.md): look for a type token (bf16, fp16/half, tf32, fp8
/// e4m3/e5m2, int8/s8, fp64/double/dgemm, fp32/float/sgemm) and for a
/// tensor-core token (gemm, mma, gmma, xmma, cutlass, cublas, sm80_, sm90_,
/// flash, ...). dtype is "unknown" when no type token is found, and precision
/// then defaults to "fp32" (the CUDA-core FP32 peak).
struct PrecisionGuess {
  std::string dtype;      ///< "bf16", "fp32", ..., or "unknown"
  std::string precision;  ///< a peak key, e.g. "bf16_tensor"
};
PrecisionGuess guess_precision(const std::string& demangled);

/// What a driver or runtime API call does, judged by its name (as
/// cuptiGetCallbackName returns it, e.g. "cuLaunchKernelEx_ptsz",
/// "cudaLaunchKernel_v7000", "__cudaLaunchKernel_v13000"). memcpy_batch is a
/// batch copy (cudaMemcpyBatchAsync and kin): one call, several copies.
enum class ApiKind { other, kernel_launch, graph_launch, memcpy, memcpy_batch, memset };
ApiKind classify_api(std::string_view name);

}  // namespace flopscope::cupti
