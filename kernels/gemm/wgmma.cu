// gemm.wgmma.{fp16,bf16}: the Hopper GEMM of wgmma.cuh (wgmma + TMA, sm_90a)
// with the plain store epilogue. What it adds over mma_sync is described in the
// header.
#include <cudaTypedefs.h>  // PFN_cuTensorMapEncodeTiled

#include <cstdint>
#include <memory>
#include <type_traits>

#include "gemm/tma_launch.cuh"

namespace flopscope::kernels::gemm {
namespace {

// 1 in the sm_90a image, the only one with a kernel body; 0 in every other
// (an sm_80 image, or PTX JIT-compiled for a newer GPU). Read from the image
// the runtime loaded for the device, so a build without sm_90a refuses cleanly.
__device__ int wgmma_body_present =
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    1;
#else
    0;
#endif

PFN_cuTensorMapEncodeTiled_v12000 encode_tiled() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult q{};
    const cudaError_t e = cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000,
                                                           cudaEnableDefault, &q);
    return (e == cudaSuccess && q == cudaDriverEntryPointSuccess)
               ? reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p)
               : nullptr;
  }();
  return fn;
}

/// A row-major [outer, inner] matrix of 16-bit elements as a 2-D tensor map
/// with (box_inner, box_outer) boxes, 128-byte swizzled, zero-filled outside.
Status encode_2d(CUtensorMap& map, const void* base, uint64_t inner, uint64_t outer, uint32_t box_inner,
                 uint32_t box_outer, bool bf16, const char* what) {
  const PFN_cuTensorMapEncodeTiled_v12000 encode = encode_tiled();
  if (!encode)
    return Status::error(int(cudaErrorNotSupported), "cuTensorMapEncodeTiled is not available from the driver");
  const cuuint64_t dims[2] = {inner, outer};
  const cuuint64_t strides[1] = {inner * 2};  // bytes between rows; dimension 0 is contiguous
  const cuuint32_t box[2] = {box_inner, box_outer};
  const cuuint32_t element_strides[2] = {1, 1};
  const CUresult r = encode(&map, bf16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 2,
                            const_cast<void*>(base), dims, strides, box, element_strides,
                            CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                            CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS)
    return Status::error(int(cudaErrorInvalidValue), std::string("cuTensorMapEncodeTiled(") + what +
                                                         ") failed with CUresult " + std::to_string(int(r)));
  return Status::success();
}

}  // namespace

std::string wgmma_unavailable(int& sms) {
  int dev = 0, major = 0, minor = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  if (e != cudaSuccess) return std::string("cannot query the device: ") + cudaGetErrorString(e);
  if (major != 9 || minor != 0)
    return "needs an sm_90 GPU (sm_90a code: wgmma, TMA); this GPU is sm_" + std::to_string(major * 10 + minor);
  int present = 0;
  e = cudaMemcpyFromSymbol(&present, wgmma_body_present, sizeof present);
  if (e != cudaSuccess) return std::string("cannot read the kernel image: ") + cudaGetErrorString(e);
  if (!present) return "this build has no sm_90a code: configure with CMAKE_CUDA_ARCHITECTURES including 90a";
  return "";
}

Status wgmma_tensor_maps(WgmmaMaps& maps, const void* a, const void* b, int m, int n, int k, bool bf16) {
  namespace wt = wgmma_tile;
  // A tensor map's global address must be 16-byte aligned (cudaMalloc bases are;
  // an offset view may not be).
  if (reinterpret_cast<uintptr_t>(a) % 16 != 0 || reinterpret_cast<uintptr_t>(b) % 16 != 0)
    return Status::error(int(cudaErrorInvalidValue), "A and B must be 16-byte aligned (TMA tensor maps)");
  if (Status s = encode_2d(maps.a, a, uint64_t(k), uint64_t(m), wt::kBK, wt::kBM, bf16, "A"); !s.ok()) return s;
  return encode_2d(maps.b, b, uint64_t(n), uint64_t(k), wt::kBoxN, wt::kBK, bf16, "B");
}

Status WgmmaMapCache::update(const void* a_, const void* b_, int m_, int n_, int k_, bool bf16) {
  // cuTensorMapEncodeTiled wants 64-byte aligned maps (CUtensorMap is alignas(64)).
  if (reinterpret_cast<uintptr_t>(&maps) % 64 != 0)
    return Status::error(int(cudaErrorMisalignedAddress), "gemm.wgmma: tensor maps not 64-byte aligned");
  if (a_ == a && b_ == b && m_ == m && n_ == n && k_ == k) return Status::success();
  a = nullptr;  // stale until the encoding succeeds
  if (Status s = wgmma_tensor_maps(maps, a_, b_, m_, n_, k_, bf16); !s.ok()) return s;
  a = a_, b = b_, m = m_, n = n_, k = k_;
  return Status::success();
}

namespace {

template <class T>
KernelSpec wgmma_spec(const char* dtype, DType math, const char* what) {
  GemmSpecArgs args;
  args.variant = "wgmma";
  args.dtype = dtype;
  args.precision = {math, Pipe::tensor};
  args.description = what;
  // BF16 in the default suite: on the H200 it ran under bench's counters
  // (kernel replay) with hardware FLOPs equal to 2MNK (2026-11-30-3).
  args.in_default_suite = std::is_same_v<T, __nv_bfloat16>;
  args.min_cc = 90;
  args.only_cc = 90;  // sm_90a code runs on sm_90 only
  args.smem_bytes = int(wgmma_tile::kSmemBytes);
  args.check = [](const GemmDims& d) { return wgmma_tile::check_dims(d.m, d.n, d.k); };
  return make_gemm_spec<T>(args, [] {
    return make_tma_ring_launch<T>("gemm.wgmma", [](const WgmmaMaps& maps, int m, int n, int k, int sms,
                                                   StoreEpilogue<T> store, cudaStream_t stream) {
      return wgmma_gemm<T>(maps, m, n, k, sms, store, stream);
    });
  });
}

[[maybe_unused]] const bool registered = register_kernels({
    wgmma_spec<__half>("fp16", DType::fp16,
                       "wgmma m64n256k16 + TMA, 128x256x64 tile, 4-stage mbarrier ring, warp-specialized, "
                       "FP32 accumulate (sm_90a)"),
    wgmma_spec<__nv_bfloat16>("bf16", DType::bf16,
                              "wgmma m64n256k16 + TMA, 128x256x64 tile, 4-stage mbarrier ring, "
                              "warp-specialized, FP32 accumulate (sm_90a)"),
});

}  // namespace
}  // namespace flopscope::kernels::gemm
