// SmClockSampler (sm_clock_sampler.h): NVML through dlopen, one sampling thread.
#include "harness/sm_clock_sampler.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "flopscope/stats.h"

namespace flopscope::kernels {

namespace {

// The few NVML entry points used, with nvml.h's C ABI (NVML API reference):
// nvmlReturn_t is an int enum with NVML_SUCCESS = 0, nvmlDevice_t an opaque
// pointer, and NVML_CLOCK_SM = 1 in nvmlClockType_t. nvml.h itself is not
// part of the CUDA toolkit here, hence the declarations.
using NvmlReturn = int;
using NvmlDevice = struct NvmlDeviceOpaque*;
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr int kNvmlClockSm = 1;

using InitFn = NvmlReturn (*)();
using ShutdownFn = NvmlReturn (*)();
using HandleByPciFn = NvmlReturn (*)(const char*, NvmlDevice*);
using ClockInfoFn = NvmlReturn (*)(NvmlDevice, int, unsigned*);

}  // namespace

struct SmClockSampler::Impl {
  void* lib = nullptr;
  bool initialized = false;
  ShutdownFn shutdown = nullptr;
  ClockInfoFn clock_info = nullptr;
  NvmlDevice device = nullptr;
  std::string why;

  std::thread thread;
  std::atomic<bool> running{false};
  std::vector<unsigned> samples;  // written by `thread` only while it runs

  ~Impl() {
    if (initialized && shutdown) shutdown();  // NVML counts init/shutdown pairs
    if (lib) dlclose(lib);
  }

  void open(const std::string& pci_bus_id) {
    lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      why = "libnvidia-ml.so.1 not found (it comes with the NVIDIA driver)";
      return;
    }
    auto init = reinterpret_cast<InitFn>(dlsym(lib, "nvmlInit_v2"));
    shutdown = reinterpret_cast<ShutdownFn>(dlsym(lib, "nvmlShutdown"));
    auto by_pci = reinterpret_cast<HandleByPciFn>(dlsym(lib, "nvmlDeviceGetHandleByPciBusId_v2"));
    clock_info = reinterpret_cast<ClockInfoFn>(dlsym(lib, "nvmlDeviceGetClockInfo"));
    if (!init || !shutdown || !by_pci || !clock_info) {
      why = "libnvidia-ml.so.1 lacks an entry point flopscope needs";
      return;
    }
    if (init() != kNvmlSuccess) {
      why = "nvmlInit failed";
      return;
    }
    initialized = true;
    if (by_pci(pci_bus_id.c_str(), &device) != kNvmlSuccess) {
      why = "NVML does not know the GPU at PCI " + pci_bus_id;
      device = nullptr;
      return;
    }
    unsigned mhz = 0;
    if (clock_info(device, kNvmlClockSm, &mhz) != kNvmlSuccess) {
      why = "NVML cannot read this GPU's SM clock";
      device = nullptr;
    }
  }
};

SmClockSampler::SmClockSampler(const std::string& pci_bus_id) : impl_(std::make_unique<Impl>()) {
  impl_->open(pci_bus_id);
}

SmClockSampler::~SmClockSampler() { stop(); }

bool SmClockSampler::available() const { return impl_->device != nullptr; }

const std::string& SmClockSampler::why() const { return impl_->why; }

void SmClockSampler::start(int period_ms) {
  stop();
  impl_->samples.clear();
  if (!available()) return;
  impl_->running = true;
  impl_->thread = std::thread([impl = impl_.get(), period = std::max(1, period_ms)] {
    while (impl->running.load()) {
      unsigned mhz = 0;
      if (impl->clock_info(impl->device, kNvmlClockSm, &mhz) == kNvmlSuccess) impl->samples.push_back(mhz);
      std::this_thread::sleep_for(std::chrono::milliseconds(period));
    }
  });
}

std::optional<double> SmClockSampler::stop() {
  if (!impl_->thread.joinable()) return std::nullopt;
  impl_->running = false;
  impl_->thread.join();
  return median_clock_mhz(impl_->samples);
}

std::optional<double> median_clock_mhz(const std::vector<unsigned>& samples_mhz) {
  std::vector<double> known;
  for (unsigned mhz : samples_mhz)
    if (mhz > 0) known.push_back(mhz);
  if (known.empty()) return std::nullopt;
  return median(known);
}

}  // namespace flopscope::kernels
