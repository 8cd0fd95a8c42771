// Device discovery through the CUDA runtime. The runtime is linked statically
// and reports a missing driver as an error code, so this never fails to load
// on a machine without a GPU (libcuda is never linked directly).
#include <cuda_runtime_api.h>

#include <string>

#include "flopscope/device.h"
#include "flopscope/error.h"

namespace flopscope {

static std::string version_string(int v) {
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

static int attribute(cudaDeviceAttr a, int dev) {
  int v = 0;
  if (cudaDeviceGetAttribute(&v, a, dev) != cudaSuccess) return 0;
  return v;
}

static_assert(kCudaErrorStubLibrary == cudaErrorStubLibrary);
static_assert(kCudaErrorInsufficientDriver == cudaErrorInsufficientDriver);
static_assert(kCudaErrorNoDevice == cudaErrorNoDevice);

int visible_device_count() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count <= 0) {
    int driver = 0;
    cudaDriverGetVersion(&driver);  // 0 where no driver answers
    throw Error(ErrorKind::no_gpu, device_count_failure(err == cudaSuccess ? kCudaErrorNoDevice : int(err),
                                                        cudaGetErrorString(err), driver, CUDART_VERSION));
  }
  return count;
}

std::vector<DeviceInfo> query_devices() {
  const int count = visible_device_count();
  std::vector<DeviceInfo> out;
  for (int dev = 0; dev < count; ++dev)
    if (std::optional<DeviceInfo> d = query_device(dev)) out.push_back(std::move(*d));
  if (out.empty())
    throw Error(ErrorKind::no_gpu, "CUDA counts " + std::to_string(count) +
                                       " device(s), but describes none (cudaGetDeviceProperties fails): check "
                                       "nvidia-smi and CUDA_VISIBLE_DEVICES");
  return out;
}

DeviceInfo device_for_ordinal(int device) {
  query_devices();  // throws no_gpu, one line, where CUDA counts or describes none
  const int count = visible_device_count();
  if (device < 0 || device >= count)
    throw_bad_input("--device " + std::to_string(device) + ": no such GPU (" + std::to_string(count) +
                    " visible, CUDA ordinals 0.." + std::to_string(count - 1) + ")");
  std::optional<DeviceInfo> found = query_device(device);
  if (!found)
    throw_bad_input("--device " + std::to_string(device) +
                    ": CUDA cannot describe this GPU (cudaGetDeviceProperties fails; see flopscope devices)");
  return std::move(*found);
}

std::optional<DeviceInfo> query_device(int device) {
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, device) != cudaSuccess) return std::nullopt;
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  DeviceInfo d;
  d.name = p.name;
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  d.sm_count = p.multiProcessorCount;
  d.max_sm_clock_mhz = attribute(cudaDevAttrClockRate, device) / 1000.0;
  d.memory_bytes = double(p.totalGlobalMem);
  d.driver_version = version_string(driver);
  d.cuda_runtime_version = version_string(runtime);
  d.nvidia_driver = read_nvidia_driver();
  if (const GpuSpec* g = find_gpu_for_device(d.name, d.sm_count, d.memory_bytes)) d.gpu_key = g->key;
  return d;
}

PeakTable peaks_for_device(const DeviceInfo& d) {
  // The key is set only when the device is the datasheet's product (query_devices).
  if (const GpuSpec* g = find_gpu_for_record(d.gpu_key, d.name, d.sm_count, d.memory_bytes))
    return datasheet_peaks(*g);
  const ArchRates* arch = find_arch(d.cc_major, d.cc_minor);
  if (!arch)
    throw Error(ErrorKind::failure, d.name + ": compute capability " + std::to_string(d.cc_major) +
                                        "." + std::to_string(d.cc_minor) +
                                        " is not in the peak database: no datasheet MFU (flopscope ceilings measures "
                                        "this GPU's own peaks, for report --peaks)");
  // DRAM bandwidth is not derivable from CUDA 13's attributes reliably; leave
  // it unknown rather than guess.
  const bool geforce = d.name.find("GeForce") != std::string::npos;
  return derived_peaks(*arch, d.sm_count, d.max_sm_clock_mhz, 0, geforce);
}

}  // namespace flopscope
