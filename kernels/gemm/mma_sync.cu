// gemm.mma_sync.{fp16,bf16,tf32}: the tensor-core GEMM of mma_sync.cuh with the
// plain store epilogue. What it adds over reg_tiled is described in the header.
#include "gemm/instance.cuh"
#include "gemm/mma_sync.cuh"

namespace flopscope::kernels::gemm {
namespace {

template <class T>
Status launch_mma_sync(const T* a, const T* b, T* c, int m, int n, int k, cudaStream_t stream) {
  if (const std::string why = store_epilogue_misaligned(c); !why.empty())
    return Status::error(int(cudaErrorInvalidValue), "gemm.mma_sync: " + why);
  return mma_sync_gemm<T>(a, b, m, n, k, StoreEpilogue<T>{c, n}, stream);
}

template <class T>
KernelSpec mma_sync_spec(const char* dtype, DType math, const char* what) {
  GemmSpecArgs args;
  args.variant = "mma_sync";
  args.dtype = dtype;
  args.precision = {math, Pipe::tensor};
  args.description = what;
  args.in_default_suite = true;
  args.min_cc = 80;
  args.check = [](const GemmDims& d) { return mma_sync_check_dims<T>(d.m, d.n, d.k); };
  return make_gemm_spec<T>(args, [] { return Launch<T>(launch_mma_sync<T>); });
}

[[maybe_unused]] const bool registered = register_kernels({
    mma_sync_spec<__half>("fp16", DType::fp16, "mma.sync m16n8k16 + ldmatrix + 4-stage cp.async, 64x64 warp tiles, FP32 accumulate"),
    mma_sync_spec<__nv_bfloat16>("bf16", DType::bf16, "mma.sync m16n8k16 + ldmatrix + 4-stage cp.async, 64x64 warp tiles, FP32 accumulate"),
    mma_sync_spec<float>("tf32", DType::tf32, "FP32 inputs as TF32: mma.sync m16n8k8 + 4-stage cp.async, 64x64 warp tiles"),
});

}  // namespace
}  // namespace flopscope::kernels::gemm
