// gemm.mma_sync_deep.{fp16,bf16,tf32}: gemm.mma_sync_wide's 128 x 256 blocks of
// 8 warps with k-tiles twice as deep (MmaDeepConfig): 128 bytes of k, 64
// 16-bit or 32 float elements. Adds, over mma_sync_wide: one __syncthreads and
// one cp.async wait per 128 MMAs of a warp instead of 64. On the H200 the wide
// block cut gemm.mma_sync's L2 traffic as planned but became latency-bound: one
// block per SM, so every barrier stops all 8 warps (IPC 1.47 -> 1.00,
// docs/PERFORMANCE.md). This halves how often they stop. What it costs: 4
// stages of 52 KB, 208,896 bytes of shared memory, so sm_90 or newer.
// NOT yet run on a GPU: out of the default suite until it is measured.
#include "gemm/mma_sync_spec.cuh"

namespace flopscope::kernels::gemm {
namespace {

// All three dtypes, none in the default suite: not yet measured.
[[maybe_unused]] const bool registered =
    register_kernels(mma_sync_specs<MmaDeepConfig>(
        "mma_sync_deep", "64x64 warp tiles in 128x256 blocks, 128-byte k-tiles", false));

}  // namespace
}  // namespace flopscope::kernels::gemm
