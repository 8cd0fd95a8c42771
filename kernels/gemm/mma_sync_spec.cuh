#pragma once
// The registry entries of the mma.sync GEMMs, which differ only in their tiles:
// gemm.mma_sync (mma_sync.cu, 128 x 128 blocks), gemm.mma_sync_wide
// (mma_sync_wide.cu, 128 x 256) and gemm.mma_sync_deep (mma_sync_deep.cu,
// 128 x 256 with 128-byte k-tiles). Each is the kernel of mma_sync.cuh with the
// plain store epilogue.
#include <string>
#include <vector>

#include "gemm/instance.cuh"
#include "gemm/mma_sync.cuh"

namespace flopscope::kernels::gemm {

/// C = A * B with the tiles Tiles<T> (MmaConfig, MmaWideConfig or MmaDeepConfig).
template <class T, template <class> class Tiles>
Status launch_mma_sync(const T* a, const T* b, T* c, int m, int n, int k, cudaStream_t stream) {
  if (const std::string why = store_epilogue_misaligned(c); !why.empty())
    return Status::error(int(cudaErrorInvalidValue), std::string(Tiles<T>::kName) + ": " + why);
  return mma_sync_gemm<T, Tiles<T>>(a, b, m, n, k, StoreEpilogue<T>{c, n}, stream);
}

/// The spec of `variant` for one dtype; `tiles` describes the block for `list`;
/// `in_default_suite` false for a tiling that is slower or not yet measured.
template <class T, template <class> class Tiles>
KernelSpec mma_sync_spec(const char* variant, const char* dtype, DType math, const std::string& tiles,
                         bool in_default_suite) {
  GemmSpecArgs args;
  args.variant = variant;
  args.dtype = dtype;
  args.precision = {math, Pipe::tensor};
  args.description = (sizeof(T) == 2 ? "mma.sync m16n8k16 + ldmatrix" : "FP32 inputs as TF32: mma.sync m16n8k8") +
                     std::string(" + 4-stage cp.async, ") + tiles + ", FP32 accumulate";
  args.in_default_suite = in_default_suite;
  args.min_cc = Tiles<T>::kMinCc;  // 80, or 90 where its shared memory needs sm_90's
  args.smem_bytes = Tiles<T>::kSmemBytes;
  args.check = [](const GemmDims& d) { return mma_sync_check_dims<T>(d.m, d.n, d.k); };
  return make_gemm_spec<T>(args, [] { return Launch<T>(launch_mma_sync<T, Tiles>); });
}

/// The FP16, BF16 and TF32 specs of `variant`.
template <template <class> class Tiles>
std::vector<KernelSpec> mma_sync_specs(const char* variant, const std::string& tiles, bool in_default_suite) {
  return {mma_sync_spec<__half, Tiles>(variant, "fp16", DType::fp16, tiles, in_default_suite),
          mma_sync_spec<__nv_bfloat16, Tiles>(variant, "bf16", DType::bf16, tiles, in_default_suite),
          mma_sync_spec<float, Tiles>(variant, "tf32", DType::tf32, tiles, in_default_suite)};
}

}  // namespace flopscope::kernels::gemm
