#pragma once
// Element types on the device: storage type, name and conversions.
//   float           fp32 (and tf32: stored as fp32, rounded to TF32 by the tensor-core path)
// Host-compilable too (no inline PTX), so host .cpp files may use these traits.
//   __half          fp16
//   __nv_bfloat16   bf16
#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace flopscope::kernels {

template <class T>
struct DTypeTraits;

template <>
struct DTypeTraits<float> {
  static constexpr const char* name = "fp32";
  __host__ __device__ static float to_float(float x) { return x; }
  __host__ __device__ static float from_float(float x) { return x; }
};

template <>
struct DTypeTraits<__half> {
  static constexpr const char* name = "fp16";
  __host__ __device__ static float to_float(__half x) { return __half2float(x); }
  __host__ __device__ static __half from_float(float x) { return __float2half_rn(x); }
};

template <>
struct DTypeTraits<__nv_bfloat16> {
  static constexpr const char* name = "bf16";
  __host__ __device__ static float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
  __host__ __device__ static __nv_bfloat16 from_float(float x) { return __float2bfloat16_rn(x); }
};

}  // namespace flopscope::kernels
