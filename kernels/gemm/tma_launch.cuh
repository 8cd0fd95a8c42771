#pragma once
// The registry launcher of a GEMM on gemm.wgmma's TMA ring (gemm.wgmma,
// gemm.mma_sync_tma): the device is checked once per instance, and the tensor
// maps are encoded again only when the pointers or dims change (WgmmaMapCache),
// so no host encoding sits between a benchmark's timing events.
#include <memory>
#include <string>
#include <type_traits>

#include "gemm/instance.cuh"
#include "gemm/wgmma.cuh"

namespace flopscope::kernels::gemm {

/// `gemm` enqueues the product once the checks pass:
/// Status(const WgmmaMaps&, int m, int n, int k, int sms, StoreEpilogue<T>, cudaStream_t).
/// `name` ("gemm.wgmma") prefixes every refusal.
template <class T, class Gemm>
Launch<T> make_tma_ring_launch(const char* name, Gemm gemm) {
  struct State {
    WgmmaMapCache maps;
    int sms = 0;
    bool checked = false;
    std::string unavailable;
  };
  auto st = std::make_shared<State>();
  const std::string prefix = std::string(name) + ": ";
  return [st, prefix, gemm](const T* a, const T* b, T* c, int m, int n, int k, cudaStream_t stream) -> Status {
    if (!st->checked) {
      st->unavailable = wgmma_unavailable(st->sms);
      st->checked = true;
    }
    if (!st->unavailable.empty())
      return Status::error(int(cudaErrorNoKernelImageForDevice), prefix + st->unavailable);
    if (std::string why = wgmma_tile::check_dims(m, n, k); !why.empty())
      return Status::error(int(cudaErrorInvalidValue), prefix + why);
    if (const std::string why = store_epilogue_misaligned(c); !why.empty())
      return Status::error(int(cudaErrorInvalidValue), prefix + why);
    if (Status s = st->maps.update(a, b, m, n, k, std::is_same_v<T, __nv_bfloat16>); !s.ok())
      return Status::error(s.code, prefix + s.message);
    return gemm(st->maps.maps, m, n, k, st->sms, StoreEpilogue<T>{c, n}, stream);
  };
}

}  // namespace flopscope::kernels::gemm
