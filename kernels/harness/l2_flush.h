#pragma once
// The read flush of the L2 (l2_flush.cu), for the harness.
#include <cuda_runtime.h>

#include <cstddef>

namespace flopscope::kernels {

/// Enqueues the read flush on `stream`: reads `bytes` of `buf` (16-byte
/// vectors; the buffer holds zeros) with `sm_count` x 8 blocks; `sink` (one
/// device int) is never written for a zeroed buffer.
void launch_l2_flush_read(const void* buf, size_t bytes, int* sink, int sm_count, cudaStream_t stream);

}  // namespace flopscope::kernels
