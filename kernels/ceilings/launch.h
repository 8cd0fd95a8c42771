#pragma once
/// The small interface between the ceiling kernels (*.cu) and their host
/// runner (run.cpp). Every kernel takes one KernelArgs by value, so the runner
/// launches any of them through cudaLaunchKernel with the pointer these
/// functions return. No CUDA header here.
#include <cstdint>

#include "ceilings/ceilings.h"

namespace flopscope::ceilings::detail {

struct KernelArgs {
  int trips = 0;          ///< trip count of the timed loop (iterations or passes)
  uint32_t seed = 0;      ///< varies the data so nothing is a compile-time constant
  void* sink = nullptr;   ///< written only when the result equals an impossible value
  ClockSample* clocks = nullptr;  ///< one per block (arithmetic kernels), may be null
  int* did_run = nullptr;         ///< set to 1 by a kernel whose body was compiled in (wgmma)
  const void* src = nullptr;      ///< memory kernels: 16-byte aligned
  void* dst = nullptr;
  int64_t n16 = 0;                ///< elements of 16 bytes in src / dst
};

/// The __global__ function for `b`, or nullptr when it lives in another file.
const void* core_kernel(Bench b);    ///< core.cu: FFMA, HFMA2, DFMA, mma.sync
const void* wgmma_kernel(Bench b);   ///< wgmma.cu: sm_90a only
const void* memory_kernel(Bench b);  ///< memory.cu: DRAM, L2, shared memory
/// Fills n16 16-byte elements of dst with hashed, non-zero data.
const void* fill_kernel();

}  // namespace flopscope::ceilings::detail
