#pragma once
// How many threads memory.softmax's kernel (memory/softmax.cuh) gives one row,
// written once as a host+device function so the CPU tests prove it
// (tests/unit/reference_kernels_test.cpp) and the launch uses it.
#include <cstdint>

#include "common/tile_math.h"  // FLOPSCOPE_HD

namespace flopscope::kernels::memory {

// 16-byte vectors per thread held in registers: rows up to kSoftmaxCache x
// kSoftmaxMaxThreads vectors (4096 fp32 or 8192 bf16 columns) are read once.
// 4, not 8: with 8, a bf16 thread held 64 floats (87 registers, 2 CTAs per SM),
// too few loads in flight to reach DRAM bandwidth; with 4 it takes 48 registers
// (sm_90a SASS).
constexpr int kSoftmaxCache = 4;
constexpr int kSoftmaxMaxThreads = 256;

/// Threads per row for a row of `vectors` 16-byte vectors (or elements, on the
/// unaligned path): the fewest of 32, 64, 128, 256 whose caches hold the whole
/// row, else 256 (the rest is re-read from L2 in each pass). Why the fewest:
/// each thread then issues all kSoftmaxCache of its loads, so an SM, whose
/// CTAs are limited by registers per thread, has the most bytes in flight. A
/// 4096-column bf16 row (512 vectors) in 256 threads left each thread 2 loads,
/// and reached 81% of copy bandwidth on an H200, where a 4096-column fp32 row
/// (1024 vectors: 4 loads each) reached 107%; in 128 threads it has 4, and
/// reached 109% (H200 runs 3 and 5, bench/results/h200/2026-11-30-3 and -5).
FLOPSCOPE_HD constexpr int softmax_threads(int64_t vectors) {
  int threads = 32;
  while (threads < kSoftmaxMaxThreads && int64_t(threads) * kSoftmaxCache < vectors) threads *= 2;
  return threads;
}

}  // namespace flopscope::kernels::memory
