// memory.copy and memory.triad: the calibrated memory-bound points of the
// roofline (b = a, 0 FLOPs; a = b + s*c, 2 FLOPs per element, STREAM's triad).
//
// Each thread moves 16-byte vectors, kUnroll of them in flight before the first
// store, over a grid-stride loop sized to fill every SM exactly once (as many
// CTAs of 256 threads as the occupancy calculator says fit); the n % 4 tail
// elements are handled by scalars. Any n >= 1.
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/cuda_util.cuh"
#include "common/tile_math.h"
#include "common/validate.h"
#include "memory/reference.h"
#include "registry.h"

namespace flopscope::kernels::memory {
namespace {

constexpr int kThreads = 256;
constexpr int kUnroll = 4;      // float4 loads in flight per thread
static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads a CTA");
static_assert(kUnroll >= 1, "at least one float4 a thread per sweep");
constexpr float kTriadScale = 3.0f;
constexpr size_t kReferenceSamples = size_t(1) << 22;  // outputs validated, at most

// (grid * kThreads * kUnroll) float4s per sweep: y[i] = op(x0[i], x1[i]).
template <bool kTriad>
__global__ void __launch_bounds__(kThreads)
    stream_kernel(float* __restrict__ out, const float* __restrict__ in0,
                  const float* __restrict__ in1, int64_t n, float s) {
  const int64_t n4 = n / 4;
  const float4* a = reinterpret_cast<const float4*>(in0);
  const float4* c = reinterpret_cast<const float4*>(in1);
  float4* y = reinterpret_cast<float4*>(out);
  const int64_t stride = int64_t(gridDim.x) * kThreads * kUnroll;
  for (int64_t base = int64_t(blockIdx.x) * kThreads * kUnroll + threadIdx.x; base < n4;
       base += stride) {
    float4 r[kUnroll], t[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t i = base + int64_t(u) * kThreads;
      if (i < n4) {
        r[u] = a[i];
        if constexpr (kTriad) t[u] = c[i];
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t i = base + int64_t(u) * kThreads;
      if (i >= n4) continue;
      if constexpr (kTriad)
        y[i] = make_float4(fmaf(s, t[u].x, r[u].x), fmaf(s, t[u].y, r[u].y),
                           fmaf(s, t[u].z, r[u].z), fmaf(s, t[u].w, r[u].w));
      else
        y[i] = r[u];
    }
  }
  // The n % 4 tail.
  if (blockIdx.x == 0 && threadIdx.x < n % 4) {
    const int64_t i = n4 * 4 + threadIdx.x;
    out[i] = kTriad ? fmaf(s, in1[i], in0[i]) : in0[i];
  }
}

/// CTAs of stream_kernel<kTriad> resident at once on the current device: SMs
/// x the occupancy calculator's CTAs per SM, asked once per device. The grid is
/// at most one such wave: a fixed 8 per SM, where only 6 (copy) fit, left the
/// last quarter of the work running on a third of each SM's slots.
template <bool kTriad>
int64_t resident_ctas() {
  static std::array<std::atomic<int64_t>, 64> known{};  // per device; 0: not asked yet
  int dev = 0, sms = 0, per_sm = 0;
  const bool have_dev = cudaGetDevice(&dev) == cudaSuccess && dev >= 0 && dev < int(known.size());
  if (have_dev)
    if (const int64_t n = known[size_t(dev)].load(std::memory_order_relaxed)) return n;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess ||
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, stream_kernel<kTriad>, kThreads, 0) !=
          cudaSuccess ||
      per_sm < 1) {
    (void)cudaGetLastError();  // not this launch's error: a real one surfaces at the launch
    return int64_t(132) * 4;   // launch geometry only, not kept
  }
  const int64_t n = int64_t(sms) * per_sm;
  if (have_dev) known[size_t(dev)].store(n, std::memory_order_relaxed);
  return n;
}

template <bool kTriad>
Status launch_stream(float* out, const float* in0, const float* in1, int64_t n, cudaStream_t st) {
  const int64_t per_cta = int64_t(kThreads) * kUnroll * 4;
  const int64_t grid = std::clamp<int64_t>(ceil_div<int64_t>(n, per_cta), 1, resident_ctas<kTriad>());
  stream_kernel<kTriad><<<unsigned(grid), kThreads, 0, st>>>(out, in0, in1, n, kTriadScale);
  return launch_status(kTriad ? "memory.triad" : "memory.copy");
}

class StreamInstance final : public KernelInstance {
 public:
  StreamInstance(int64_t n, bool triad)
      : n_(n), triad_(triad), a_(size_t(n)), b_(size_t(n)), c_(triad ? size_t(n) : 0) {}

  void prepare(uint64_t seed) override {
    seed_ = seed;
    host_in0_.resize(size_t(n_));
    fill_uniform(host_in0_, seed * 2 + 1);
    upload_rounded<float>(host_in0_, b_);
    if (triad_) {
      host_in1_.resize(size_t(n_));
      fill_uniform(host_in1_, seed * 2 + 2);
      upload_rounded<float>(host_in1_, c_);
    }
    poison_nan(a_);
  }

  Status run(StreamHandle stream) override {
    return triad_ ? launch_stream<true>(a_.get(), b_.get(), c_.get(), n_, stream)
                  : launch_stream<false>(a_.get(), b_.get(), nullptr, n_, stream);
  }

  Validation validate() override {
    const std::vector<float> out = download_as_float(a_);
    const std::vector<size_t> idx = sample_indices(out.size(), kReferenceSamples, seed_ ^ 0xc0b1);
    std::vector<double> ref(idx.size());
    for (size_t i = 0; i < idx.size(); ++i) {
      const float b = host_in0_[idx[i]];
      if (triad_)
        triad_reference(&b, &host_in1_[idx[i]], kTriadScale, 1, &ref[i]);
      else
        ref[i] = b;
    }
    return compare_outputs(out, idx, ref, tolerance_for("fp32"));
  }

 private:
  int64_t n_;
  bool triad_;
  DeviceBuffer<float> a_, b_, c_;  // a = out, b and c = inputs
  std::vector<float> host_in0_, host_in1_;
  uint64_t seed_ = 0;
};

KernelSpec stream_spec(bool triad) {
  KernelSpec s = spec_for("memory", {.variant = triad ? "triad" : "copy",
                                     .dtype = "fp32",
                                     .precision = {DType::fp32, Pipe::cuda_core},
                                     .description = triad ? "a = b + s*c, vectorized grid-stride (STREAM triad)"
                                                          : "b = a, vectorized grid-stride (the copy bandwidth)",
                                     .in_default_suite = true});
  s.params = {{"n", int64_t(1) << 28, "elements per array"}};
  s.presets = {{"tiny", {1000003}}, {"small", {int64_t(1) << 24}}, {"large", {int64_t(1) << 30}}};
  s.model = [triad](const Shape& sh) {
    const int64_t n = shape_get(sh, "n").value_or(0);
    return triad ? triad_cost(n, 4) : copy_cost(n, 4);
  };
  s.check_shape = [](const Shape&) { return std::string(); };
  s.device_bytes = [triad](const Shape& sh) {
    return double(shape_get(sh, "n").value_or(0)) * 4.0 * (triad ? 3 : 2);
  };
  s.host_bytes = [triad](const Shape& sh) {
    const double n = double(shape_get(sh, "n").value_or(0));
    return host_bytes_of(n * (triad ? 2 : 1), n, n, std::min(n, double(kReferenceSamples)), 4.0);
  };
  s.create = [triad](const Shape& sh) -> std::unique_ptr<KernelInstance> {
    return std::make_unique<StreamInstance>(shape_get(sh, "n").value_or(1), triad);
  };
  return s;
}

[[maybe_unused]] const bool registered = register_kernels({stream_spec(false), stream_spec(true)});

}  // namespace
}  // namespace flopscope::kernels::memory
