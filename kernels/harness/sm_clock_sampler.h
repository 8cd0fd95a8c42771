#pragma once
/// The SM clock while a benchmark runs, read from NVML (libnvidia-ml, the
/// library behind nvidia-smi) by a background thread: the clock a
/// compute-bound kernel really ran at, power capping included. A one-thread
/// probe kernel run afterwards would instead see the clock of an idle GPU.
///
/// NVML is opened with dlopen, never linked, so binaries still load where the
/// driver (and with it libnvidia-ml.so.1) is absent; the sampler is then
/// simply unavailable and the harness falls back to measure_sm_clock_mhz().
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flopscope::kernels {

class SmClockSampler {
 public:
  /// For the GPU at `pci_bus_id` ("0000:17:00.0", as cudaDeviceGetPCIBusId
  /// writes it: NVML numbers devices in PCI order, CUDA may not).
  explicit SmClockSampler(const std::string& pci_bus_id);
  ~SmClockSampler();
  SmClockSampler(const SmClockSampler&) = delete;
  SmClockSampler& operator=(const SmClockSampler&) = delete;

  /// False when NVML or the device could not be opened; why() says why.
  bool available() const;
  const std::string& why() const;

  /// Samples every `period_ms` from start() until stop(); stop() returns the
  /// median in MHz, or nullopt when nothing was read.
  void start(int period_ms = 1);
  std::optional<double> stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Median of clock samples in MHz, zeros (NVML's "not known") left out.
std::optional<double> median_clock_mhz(const std::vector<unsigned>& samples_mhz);

}  // namespace flopscope::kernels
