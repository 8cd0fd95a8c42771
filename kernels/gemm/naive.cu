// gemm.naive: one thread per output element, reading A and B straight from
// global memory. The starting point of the ladder: correct for any M, N, K and
// limited by memory traffic (each A row and B column is re-read per output).
// threadIdx.x runs along N so that a warp's B loads and C stores coalesce.
#include "common/tile_math.h"
#include "gemm/instance.cuh"

namespace flopscope::kernels::gemm {
namespace {

constexpr int kBlockX = 32, kBlockY = 8;  // 256 threads: (32 columns, 8 rows)
// A warp spans one row's 32 columns, so its loads of B and stores of C coalesce.
static_assert(kBlockX == 32, "a warp per row of the block");
static_assert(kBlockX * kBlockY <= 1024, "at most 1024 threads a block");

template <class T>
__global__ void __launch_bounds__(kBlockX * kBlockY)
    gemm_naive_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ c, int m,
                      int n, int k) {
  const int col = blockIdx.x * kBlockX + threadIdx.x;
  const int row = blockIdx.y * kBlockY + threadIdx.y;
  if (!in_bounds(row, col, m, n)) return;
  float sum = 0.f;
  const T* a_row = a + size_t(row) * k;
  for (int i = 0; i < k; ++i)
    sum += DTypeTraits<T>::to_float(a_row[i]) * DTypeTraits<T>::to_float(b[size_t(i) * n + col]);
  c[size_t(row) * n + col] = DTypeTraits<T>::from_float(sum);
}

template <class T>
Status launch_naive(const T* a, const T* b, T* c, int m, int n, int k, cudaStream_t stream) {
  const dim3 block(kBlockX, kBlockY);
  const dim3 grid(ceil_div(n, kBlockX), ceil_div(m, kBlockY));
  if (grid.y > 65535u) return Status::error(1, "gemm.naive: m is too large for the grid");
  gemm_naive_kernel<T><<<grid, block, 0, stream>>>(a, b, c, m, n, k);
  return launch_status("gemm.naive");
}

template <class T>
KernelSpec naive_spec(const char* dtype, bool suite) {
  GemmSpecArgs args;
  args.variant = "naive";
  args.dtype = dtype;
  args.precision = {DType::fp32, Pipe::cuda_core};  // FP32 FMAs whatever the storage
  args.description = "one thread per output, operands from global memory";
  args.check = max_rows_check(kBlockY);
  args.in_default_suite = suite;
  return make_gemm_spec<T>(args, [] { return Launch<T>(launch_naive<T>); });
}

[[maybe_unused]] const bool registered = register_kernels({
    naive_spec<float>("fp32", true),
    naive_spec<__half>("fp16", false),
    naive_spec<__nv_bfloat16>("bf16", false),
});

}  // namespace
}  // namespace flopscope::kernels::gemm
