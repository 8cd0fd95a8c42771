// gemm.smem_tiled: adds shared-memory tiling over naive. A block of 32x32
// threads stages a 32x32 tile of A and of B in shared memory per k-step, so each
// element loaded from global memory is used 32 times instead of once.
// Still one output per thread: the inner loop is two shared loads per FMA.
#include "common/tile_math.h"
#include "gemm/instance.cuh"

namespace flopscope::kernels::gemm {
namespace {

constexpr int kTile = 32;  // (kTile, kTile) outputs per block, k-step kTile
// One thread per output and per staged element of each tile, in one block.
static_assert(kTile * kTile <= 1024, "a block of kTile x kTile threads exceeds 1024");
static_assert(2 * kTile * (kTile + 1) * sizeof(float) <= 48 * 1024, "the two tiles exceed static shared memory");

template <class T>
__global__ void __launch_bounds__(kTile * kTile)
    gemm_smem_tiled_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ c,
                           int m, int n, int k) {
  __shared__ float a_tile[kTile][kTile];      // (row, k)
  __shared__ float b_tile[kTile][kTile + 1];  // (k, col), padded
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * kTile + ty;
  const int col = blockIdx.x * kTile + tx;
  float sum = 0.f;
  for (int k0 = 0; k0 < k; k0 += kTile) {
    // Tails are predicated and zero-filled, so the FMA loop needs no test.
    a_tile[ty][tx] = in_bounds(row, k0 + tx, m, k)
                         ? DTypeTraits<T>::to_float(a[size_t(row) * k + k0 + tx])
                         : 0.f;
    b_tile[ty][tx] = in_bounds(k0 + ty, col, k, n)
                         ? DTypeTraits<T>::to_float(b[size_t(k0 + ty) * n + col])
                         : 0.f;
    __syncthreads();
#pragma unroll
    for (int i = 0; i < kTile; ++i) sum += a_tile[ty][i] * b_tile[i][tx];
    __syncthreads();
  }
  if (in_bounds(row, col, m, n)) c[size_t(row) * n + col] = DTypeTraits<T>::from_float(sum);
}

template <class T>
Status launch_smem_tiled(const T* a, const T* b, T* c, int m, int n, int k, cudaStream_t stream) {
  const dim3 block(kTile, kTile);
  const dim3 grid(ceil_div(n, kTile), ceil_div(m, kTile));
  if (grid.y > 65535u) return Status::error(1, "gemm.smem_tiled: m is too large for the grid");
  gemm_smem_tiled_kernel<T><<<grid, block, 0, stream>>>(a, b, c, m, n, k);
  return launch_status("gemm.smem_tiled");
}

template <class T>
KernelSpec smem_tiled_spec(const char* dtype, bool suite) {
  GemmSpecArgs args;
  args.variant = "smem_tiled";
  args.dtype = dtype;
  args.precision = {DType::fp32, Pipe::cuda_core};  // FP32 FMAs whatever the storage
  args.description = "32x32 shared-memory tiles, one output per thread";
  args.check = max_rows_check(kTile);
  args.in_default_suite = suite;
  return make_gemm_spec<T>(args, [] { return Launch<T>(launch_smem_tiled<T>); });
}

[[maybe_unused]] const bool registered = register_kernels({
    smem_tiled_spec<float>("fp32", true),
    smem_tiled_spec<__half>("fp16", false),
    smem_tiled_spec<__nv_bfloat16>("bf16", false),
});

}  // namespace
}  // namespace flopscope::kernels::gemm
