#pragma once
// CUDA runtime helpers shared by every family: error checks that throw
// flopscope::Error with file and line, an RAII device buffer, and uploads of
// host data converted to the device's storage type.
#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/dtype.cuh"
#include "common/status.h"
#include "flopscope/error.h"

namespace flopscope::kernels {

[[noreturn]] inline void throw_cuda(cudaError_t err, const char* call, const char* file, int line) {
  throw Error(ErrorKind::failure, std::string(call) + " failed at " + file + ":" +
                                      std::to_string(line) + ": " + cudaGetErrorString(err));
}

/// Throws Error(failure) naming the call, file and line when `expr` fails.
#define FLOPSCOPE_CUDA_CHECK(expr)                                                  \
  do {                                                                              \
    const cudaError_t flopscope_err_ = (expr);                                      \
    if (flopscope_err_ != cudaSuccess)                                              \
      ::flopscope::kernels::throw_cuda(flopscope_err_, #expr, __FILE__, __LINE__);  \
  } while (0)

/// The status of the launch just made: call right after `kernel<<<...>>>`.
inline Status launch_status(const char* what) {
  const cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) return Status::success();
  return Status::error(int(err), std::string(what) + ": " + cudaGetErrorString(err));
}

/// A kernel's opt-in to more than 48 KB of dynamic shared memory. The attribute
/// belongs to the current device's context, so it is set once per device that
/// launches the kernel (a process may use several GPUs), not once per process.
/// Keep one per kernel instantiation, as a function-local static.
class SmemOptIn {
 public:
  cudaError_t ensure(const void* kernel, int bytes) {
    int dev = 0;
    if (const cudaError_t e = cudaGetDevice(&dev); e != cudaSuccess) return e;
    const uint64_t bit = dev >= 0 && dev < 64 ? uint64_t(1) << dev : 0;  // devices past 64: every time
    if (bit && (done_.load(std::memory_order_acquire) & bit)) return cudaSuccess;
    const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
    if (e == cudaSuccess) done_.fetch_or(bit, std::memory_order_acq_rel);
    return e;
  }

 private:
  std::atomic<uint64_t> done_{0};
};

/// An owning, typed device allocation.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count) : count_(count) {
    if (count) FLOPSCOPE_CUDA_CHECK(cudaMalloc(&ptr_, count * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), count_(o.count_) {
    o.ptr_ = nullptr;
    o.count_ = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      if (ptr_) cudaFree(ptr_);
      ptr_ = o.ptr_;
      count_ = o.count_;
      o.ptr_ = nullptr;
      o.count_ = 0;
    }
    return *this;
  }
  T* get() const { return ptr_; }
  size_t size() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }

 private:
  T* ptr_ = nullptr;
  size_t count_ = 0;
};

/// Converts `host` to T, uploads it, and rewrites `host` with the values the
/// device actually holds (rounded to T), so a reference sees the same inputs.
template <class T>
void upload_rounded(std::span<float> host, DeviceBuffer<T>& dev) {
  if (host.size() != dev.size()) throw Error(ErrorKind::failure, "upload_rounded: size mismatch");
  std::vector<T> staged(host.size());
  for (size_t i = 0; i < host.size(); ++i) {
    staged[i] = DTypeTraits<T>::from_float(host[i]);
    host[i] = DTypeTraits<T>::to_float(staged[i]);
  }
  FLOPSCOPE_CUDA_CHECK(cudaMemcpy(dev.get(), staged.data(), dev.bytes(), cudaMemcpyHostToDevice));
}

/// Fills every element with NaN (the poison an unwritten output shows).
template <class T>
void poison_nan(DeviceBuffer<T>& dev) {
  // 0xFF bytes are a NaN in fp32, fp16 and bf16 alike.
  FLOPSCOPE_CUDA_CHECK(cudaMemset(dev.get(), 0xFF, dev.bytes()));
}

/// Downloads and converts to float.
template <class T>
std::vector<float> download_as_float(const DeviceBuffer<T>& dev) {
  std::vector<T> staged(dev.size());
  FLOPSCOPE_CUDA_CHECK(cudaMemcpy(staged.data(), dev.get(), dev.bytes(), cudaMemcpyDeviceToHost));
  std::vector<float> out(staged.size());
  for (size_t i = 0; i < staged.size(); ++i) out[i] = DTypeTraits<T>::to_float(staged[i]);
  return out;
}

}  // namespace flopscope::kernels
