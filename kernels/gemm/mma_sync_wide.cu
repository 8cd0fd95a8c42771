// gemm.mma_sync_wide.{fp16,bf16,tf32}: gemm.mma_sync's kernel in 128 x 256
// blocks of 8 warps (MmaWideConfig), one block per SM. Adds, over mma_sync:
// each block reads its A panel for twice the outputs, so the SMs ask the L2
// for 3/4 of the bytes per FLOP, where ncu found gemm.mma_sync L2-bound on an
// H200 (docs/PERFORMANCE.md). What it costs: one block per SM, so nothing
// hides a block's barriers and its last wave. Measured on the H200
// (bench/results/h200/2026-11-30-3): L2 throughput fell from 84% to 52%, as
// planned, but the kernel got slower (291 against 348 TFLOP/s at 8192^3): with
// 8 warps per SM it became latency-bound (IPC 1.47 -> 1.00). Kept as that
// lesson, out of the default suite.
#include "gemm/mma_sync_spec.cuh"

namespace flopscope::kernels::gemm {
namespace {

// All three dtypes, none in the default suite: slower than gemm.mma_sync.
[[maybe_unused]] const bool registered =
    register_kernels(mma_sync_specs<MmaWideConfig>("mma_sync_wide", "64x64 warp tiles in 128x256 blocks", false));

}  // namespace
}  // namespace flopscope::kernels::gemm
