// The SM clock, measured: one thread counts SM cycles (clock64) against the
// global nanosecond timer (%globaltimer) while it spins.
#include <cuda_runtime.h>

#include <cstdint>

#include "common/cuda_util.cuh"
#include "harness/harness.h"

namespace flopscope::kernels {
namespace {

__device__ __forceinline__ uint64_t global_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Starts on an edge of the global timer, which may step only every
// microsecond: the window then holds whole steps, where a start inside one
// read the clock low by half a step over the window (1% at 1 us in 50 us).
// Bounded in cycles (5 a nanosecond, above any SM clock): a timer that does
// not advance (some virtualized GPUs) must not hang the probe; it then reports
// too little elapsed time and the caller records no clock.
__global__ void clock_probe_kernel(int64_t spin_ns, long long* out) {
  const long long max_cycles = 5 * spin_ns + 100'000;
  const long long c_start = clock64();
  const uint64_t before = global_ns();
  uint64_t t0 = before;
  while (t0 == before && clock64() - c_start < max_cycles) t0 = global_ns();
  const long long c0 = clock64();
  uint64_t t1 = t0;
  while (int64_t(t1 - t0) < spin_ns && clock64() - c0 < max_cycles) t1 = global_ns();
  const long long c1 = clock64();
  out[0] = c1 - c0;
  out[1] = (long long)(t1 - t0);
}

}  // namespace

double measure_sm_clock_mhz(int64_t spin_ns) {
  DeviceBuffer<long long> out(2);
  launch_clock_probe(out.get(), spin_ns, nullptr);
  long long host[2] = {0, 0};
  FLOPSCOPE_CUDA_CHECK(cudaMemcpy(host, out.get(), sizeof host, cudaMemcpyDeviceToHost));
  return probe_clock_mhz(host[0], host[1], spin_ns).value_or(0);
}

void launch_clock_probe(long long* out, int64_t spin_ns, cudaStream_t stream) {
  clock_probe_kernel<<<1, 1, 0, stream>>>(spin_ns, out);
  FLOPSCOPE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace flopscope::kernels
