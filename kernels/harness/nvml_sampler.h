#pragma once
/// What NVML (libnvidia-ml, the library behind nvidia-smi) reads while a
/// benchmark's timed repetitions run, from a background thread: the SM clock a
/// compute-bound kernel really ran at, the board's power draw, and why the
/// clocks were held below their maximum (NVML's clocks-event reasons: the power
/// cap, thermal slowdown...). A one-thread probe kernel run afterwards would
/// instead see the clock of an idle GPU.
///
/// NVML is opened with dlopen, never linked, so binaries still load where the
/// driver (and with it libnvidia-ml.so.1) is absent; the sampler is then
/// simply unavailable and the harness falls back to measure_sm_clock_mhz().
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flopscope::kernels {

/// The readings of one start()..stop() window.
struct NvmlReadings {
  std::optional<double> sm_clock_mhz;  ///< median SM clock
  /// Median board power draw: NVML's instant power (NVML_FI_DEV_POWER_INSTANT)
  /// where the driver gives it, else nvmlDeviceGetPowerUsage, which from Ampere
  /// on (GA100 aside) is the mean of the last second, idle time before the
  /// repetitions included.
  std::optional<double> power_w;
  /// NVML clocks-event reason bits seen in any sample (clock_limit_names).
  std::optional<uint64_t> clock_reasons;
};

class NvmlSampler {
 public:
  /// For the GPU at `pci_bus_id` ("0000:17:00.0", as cudaDeviceGetPCIBusId
  /// writes it: NVML numbers devices in PCI order, CUDA may not).
  explicit NvmlSampler(const std::string& pci_bus_id);
  ~NvmlSampler();
  NvmlSampler(const NvmlSampler&) = delete;
  NvmlSampler& operator=(const NvmlSampler&) = delete;

  /// False when NVML or the device's SM clock could not be opened; why() says
  /// why. Power and reasons are read where this GPU and driver offer them.
  bool available() const;
  const std::string& why() const;

  /// Samples every `period_ms` from start() until stop(); stop() returns what
  /// was read (all empty when nothing was).
  void start(int period_ms = 1);
  NvmlReadings stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Median of clock samples in MHz, zeros (NVML's "not known") left out.
std::optional<double> median_clock_mhz(const std::vector<unsigned>& samples_mhz);

/// Median of power samples in milliwatts, as watts; zeros left out.
std::optional<double> median_power_w(const std::vector<unsigned>& samples_mw);

/// The names of NVML's clocks-event reason bits in `reasons` that say a clock
/// was held down, in bit order: "applications_clocks", "sw_power_cap",
/// "hw_slowdown", "sync_boost", "sw_thermal", "hw_thermal", "hw_power_brake",
/// "display_clocks", and "bit N" for a bit this list does not know. Left out:
/// gpu_idle (bit 0), which NVML sets whenever no kernel runs, as between two
/// launches, and which limits nothing a kernel does.
std::vector<std::string> clock_limit_names(uint64_t reasons);

}  // namespace flopscope::kernels
