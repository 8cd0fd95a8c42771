// gemm.mma_sync.{fp16,bf16,tf32}: the tensor-core GEMM of mma_sync.cuh with the
// plain store epilogue, in 128 x 128 blocks of 4 warps. What it adds over
// reg_tiled is described in the header.
#include "gemm/mma_sync_spec.cuh"

namespace flopscope::kernels::gemm {
namespace {

[[maybe_unused]] const bool registered =
    register_kernels(mma_sync_specs<MmaConfig>("mma_sync", "64x64 warp tiles in 128x128 blocks", true));

}  // namespace
}  // namespace flopscope::kernels::gemm
