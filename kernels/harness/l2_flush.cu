// The read flush of the L2 between repetitions (BenchOptions::l2_flush ==
// L2Flush::read): every thread reads 16-byte vectors of a buffer twice the
// L2's size and stores nothing. Afterwards the L2 holds only clean lines of
// that buffer, so the next kernel's DRAM writes are its own; a memset flush
// leaves the L2 full of dirty lines, whose write-backs the next kernel then
// pays for and is charged with (docs/crosscheck.md, "On the H200").
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "common/cuda_util.cuh"
#include "harness/l2_flush.h"

namespace flopscope::kernels {
namespace {

constexpr int kFlushThreads = 256;
constexpr int kFlushBlocksPerSm = 8;
static_assert(kFlushThreads % 32 == 0 && kFlushThreads * kFlushBlocksPerSm <= 2048,
              "whole warps, and the blocks asked for fit one SM's 2048 threads");

// buf: `vectors` 16-byte vectors. The XOR of everything read is stored only
// when it equals a value the zeroed buffer cannot produce, so the loads stay
// (the compiler cannot prove the store dead) and nothing is written.
__global__ void __launch_bounds__(kFlushThreads) l2_flush_read_kernel(const int4* buf, int64_t vectors, int* sink) {
  int acc = 0;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < vectors; i += stride) {
    const int4 v = buf[i];
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x5a5a5a5a) *sink = acc;
}

}  // namespace

void launch_l2_flush_read(const void* buf, size_t bytes, int* sink, int sm_count, cudaStream_t stream) {
  const int64_t vectors = int64_t(bytes / sizeof(int4));
  if (vectors == 0) return;
  const int blocks = std::max(1, sm_count) * kFlushBlocksPerSm;
  l2_flush_read_kernel<<<blocks, kFlushThreads, 0, stream>>>(static_cast<const int4*>(buf), vectors, sink);
  FLOPSCOPE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace flopscope::kernels
