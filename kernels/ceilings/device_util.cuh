#pragma once
// Device helpers shared by the ceiling kernels.
#include <cstdint>

#include "ceilings/launch.h"

namespace flopscope::ceilings::detail {

/// A 32-bit integer hash (lowbias32): data that differs per thread and per
/// seed, so the compiler can fold nothing and the hardware sees real bits.
__device__ __forceinline__ uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

/// A value in [-1, 1) from a hash.
__device__ __forceinline__ float hash_unit(uint32_t x) {
  return float(int32_t(hash32(x))) * (1.0f / 2147483648.0f);
}

__device__ __forceinline__ uint64_t global_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

/// Thread 0 of each block records clock64() and %globaltimer around the loop.
__device__ __forceinline__ void clock_begin(const KernelArgs& a) {
  if (a.clocks != nullptr && threadIdx.x == 0) {
    a.clocks[blockIdx.x].ns0 = global_ns();
    a.clocks[blockIdx.x].clk0 = clock64();
  }
}
__device__ __forceinline__ void clock_end(const KernelArgs& a) {
  if (a.clocks != nullptr && threadIdx.x == 0) {
    a.clocks[blockIdx.x].clk1 = clock64();
    a.clocks[blockIdx.x].ns1 = global_ns();
  }
}

__device__ __forceinline__ int64_t global_thread() {
  return int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}

}  // namespace flopscope::ceilings::detail
