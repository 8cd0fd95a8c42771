// NvmlSampler (nvml_sampler.h): NVML through dlopen, one sampling thread.
#include "harness/nvml_sampler.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
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
using PowerUsageFn = NvmlReturn (*)(NvmlDevice, unsigned*);                  // milliwatts
using ClockReasonsFn = NvmlReturn (*)(NvmlDevice, unsigned long long*);      // bit mask

// nvmlDeviceGetFieldValues' nvmlFieldValue_t (nvml.h), for one field:
// NVML_FI_DEV_POWER_INSTANT, the board power now, in milliwatts. (What
// nvmlDeviceGetPowerUsage returns is, from Ampere on, GA100 aside, the mean of
// the last second: a 0.1 s benchmark read as mostly the idle time before it.)
struct NvmlFieldValue {
  unsigned field_id = 0;
  unsigned scope_id = 0;
  long long timestamp = 0;
  long long latency_us = 0;
  int value_type = 0;  // nvmlValueType_t: 0 double, 1 unsigned, 2 unsigned long, 3 unsigned long long, ...
  NvmlReturn result = 0;
  union {
    double d;
    unsigned u;
    unsigned long ul;
    unsigned long long ull;
    long long ll;
    int i;
  } value{};
};
static_assert(sizeof(NvmlFieldValue) == 40, "nvmlFieldValue_t's layout");
using FieldValuesFn = NvmlReturn (*)(NvmlDevice, int, NvmlFieldValue*);
constexpr unsigned kFieldPowerInstant = 186;

// nvmlClocksEventReason* bits (nvml.h; the "ClocksThrottleReason" names of
// drivers before 535 have the same values). Bit 0, GpuIdle, is not a limit.
constexpr uint64_t kReasonGpuIdle = 0x1;
constexpr const char* kReasonNames[] = {
    nullptr,                 // 0x1   GpuIdle
    "applications_clocks",   // 0x2   ApplicationsClocksSetting
    "sw_power_cap",          // 0x4   SwPowerCap
    "hw_slowdown",           // 0x8   HwSlowdown
    "sync_boost",            // 0x10  SyncBoost
    "sw_thermal",            // 0x20  SwThermalSlowdown
    "hw_thermal",            // 0x40  HwThermalSlowdown
    "hw_power_brake",        // 0x80  HwPowerBrakeSlowdown
    "display_clocks",        // 0x100 DisplayClockSetting
};

/// `name` from NVML, or nullptr.
template <class Fn>
Fn symbol(void* lib, const char* name) {
  return reinterpret_cast<Fn>(dlsym(lib, name));
}

}  // namespace

struct NvmlSampler::Impl {
  void* lib = nullptr;
  bool initialized = false;
  ShutdownFn shutdown = nullptr;
  ClockInfoFn clock_info = nullptr;
  PowerUsageFn power_usage = nullptr;    // may stay nullptr: not every GPU reports power
  FieldValuesFn field_values = nullptr;  // set when this driver gives the instant power
  ClockReasonsFn clock_reasons = nullptr;
  NvmlDevice device = nullptr;
  std::string why;

  std::thread thread;
  std::atomic<bool> running{false};
  // Written by `thread` only while it runs.
  std::vector<unsigned> clock_mhz, power_mw;
  uint64_t reasons = 0;
  bool reasons_read = false;

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
    auto init = symbol<InitFn>(lib, "nvmlInit_v2");
    shutdown = symbol<ShutdownFn>(lib, "nvmlShutdown");
    auto by_pci = symbol<HandleByPciFn>(lib, "nvmlDeviceGetHandleByPciBusId_v2");
    clock_info = symbol<ClockInfoFn>(lib, "nvmlDeviceGetClockInfo");
    power_usage = symbol<PowerUsageFn>(lib, "nvmlDeviceGetPowerUsage");
    field_values = symbol<FieldValuesFn>(lib, "nvmlDeviceGetFieldValues");
    clock_reasons = symbol<ClockReasonsFn>(lib, "nvmlDeviceGetCurrentClocksEventReasons");
    if (!clock_reasons) clock_reasons = symbol<ClockReasonsFn>(lib, "nvmlDeviceGetCurrentClocksThrottleReasons");
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
      return;
    }
    if (field_values && !instant_power_mw()) field_values = nullptr;  // older drivers: the 1 s mean
  }

  // NVML_FI_DEV_POWER_INSTANT in milliwatts, or nullopt.
  std::optional<double> instant_power_mw() const {
    NvmlFieldValue v;
    v.field_id = kFieldPowerInstant;
    if (field_values(device, 1, &v) != kNvmlSuccess || v.result != kNvmlSuccess) return std::nullopt;
    switch (v.value_type) {
      case 0: return v.value.d;
      case 1: return double(v.value.u);
      case 2: return double(v.value.ul);
      case 3: return double(v.value.ull);
      case 4: return double(v.value.ll);
      case 5: return double(v.value.i);
      default: return std::nullopt;
    }
  }

  void sample() {
    unsigned v = 0;
    if (clock_info(device, kNvmlClockSm, &v) == kNvmlSuccess) clock_mhz.push_back(v);
    // The instant power, else (a reading that failed) the 1 s mean.
    if (const auto mw = field_values ? instant_power_mw() : std::nullopt; mw && *mw > 0 && *mw < 4e9)
      power_mw.push_back(unsigned(*mw));
    else if (power_usage && power_usage(device, &v) == kNvmlSuccess)
      power_mw.push_back(v);
    unsigned long long bits = 0;
    if (clock_reasons && clock_reasons(device, &bits) == kNvmlSuccess) {
      reasons |= uint64_t(bits);
      reasons_read = true;
    }
  }
};

NvmlSampler::NvmlSampler(const std::string& pci_bus_id) : impl_(std::make_unique<Impl>()) {
  impl_->open(pci_bus_id);
}

NvmlSampler::~NvmlSampler() { stop(); }

bool NvmlSampler::available() const { return impl_->device != nullptr; }

const std::string& NvmlSampler::why() const { return impl_->why; }

void NvmlSampler::start(int period_ms) {
  stop();
  impl_->clock_mhz.clear();
  impl_->power_mw.clear();
  impl_->reasons = 0;
  impl_->reasons_read = false;
  if (!available()) return;
  impl_->running = true;
  impl_->thread = std::thread([impl = impl_.get(), period = std::max(1, period_ms)] {
    while (impl->running.load()) {
      impl->sample();
      std::this_thread::sleep_for(std::chrono::milliseconds(period));
    }
  });
}

NvmlReadings NvmlSampler::stop() {
  if (!impl_->thread.joinable()) return {};
  impl_->running = false;
  impl_->thread.join();
  NvmlReadings r;
  r.sm_clock_mhz = median_clock_mhz(impl_->clock_mhz);
  r.power_w = median_power_w(impl_->power_mw);
  if (impl_->reasons_read) r.clock_reasons = impl_->reasons;
  return r;
}

namespace {

std::optional<double> median_of_known(const std::vector<unsigned>& samples, double scale) {
  std::vector<double> known;
  for (unsigned v : samples)
    if (v > 0) known.push_back(double(v) * scale);
  if (known.empty()) return std::nullopt;
  return median(known);
}

}  // namespace

std::optional<double> median_clock_mhz(const std::vector<unsigned>& samples_mhz) {
  return median_of_known(samples_mhz, 1.0);
}

std::optional<double> median_power_w(const std::vector<unsigned>& samples_mw) {
  return median_of_known(samples_mw, 1e-3);
}

std::vector<std::string> clock_limit_names(uint64_t reasons) {
  std::vector<std::string> names;
  reasons &= ~kReasonGpuIdle;
  constexpr int kKnown = int(sizeof kReasonNames / sizeof kReasonNames[0]);
  for (int bit = 0; bit < 64; ++bit) {
    if (!(reasons >> bit & 1)) continue;
    names.push_back(bit < kKnown && kReasonNames[bit] ? kReasonNames[bit] : "bit " + std::to_string(bit));
  }
  return names;
}

}  // namespace flopscope::kernels
