// gemm.mma_sync_wide.{fp16,bf16,tf32}: gemm.mma_sync's kernel in 128 x 256
// blocks of 8 warps (MmaWideConfig), one block per SM. Adds, over mma_sync:
// each block reads its A panel for twice the outputs, so the SMs ask the L2
// for 3/4 of the bytes per FLOP, where ncu found gemm.mma_sync L2-bound on an
// H200 (docs/PERFORMANCE.md). What it costs: one block per SM, so nothing
// hides a block's barriers and its last wave.
#include "gemm/mma_sync_spec.cuh"

namespace flopscope::kernels::gemm {
namespace {

/// All three dtypes, with BF16 alone in the default suite: the one with a
/// target (bench/targets-h200.txt), beside gemm.mma_sync's three.
std::vector<KernelSpec> wide_specs() {
  std::vector<KernelSpec> specs = mma_sync_specs<MmaWideConfig>("mma_sync_wide", "64x64 warp tiles in 128x256 blocks");
  for (KernelSpec& s : specs) s.in_default_suite = s.dtype == "bf16";
  return specs;
}

[[maybe_unused]] const bool registered = register_kernels(wide_specs());

}  // namespace
}  // namespace flopscope::kernels::gemm
