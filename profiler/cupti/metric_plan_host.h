#pragma once
// RAII wrapper over CUPTI's profiler host object (cupti_profiler_host.h). The
// host API runs on the CPU: config images, pass counts and the evaluation of a
// recorded counter-data image need no GPU.
#include <cupti_profiler_host.h>

#include <cstdint>
#include <string>
#include <vector>

namespace flopscope::cupti {

/// A zeroed CUPTI parameter struct with its structSize set.
template <class P>
P cupti_params(size_t struct_size) {
  P p{};
  p.structSize = struct_size;
  return p;
}

class HostObject {
 public:
  /// `availability` may be empty (offline: every counter the chip has).
  HostObject(const std::string& chip, const std::vector<uint8_t>& availability);
  ~HostObject();
  HostObject(const HostObject&) = delete;
  HostObject& operator=(const HostObject&) = delete;

  /// Base metric names (counters, ratios and throughputs), without rollups.
  std::vector<std::string> base_metrics() const;
  /// True when the chip knows `name` (with rollup/submetric, e.g. "x.sum.peak_sustained").
  bool has_metric(const std::string& name) const;
  /// Adds `metrics` and returns the config image. Call once per object.
  std::vector<uint8_t> config_image(const std::vector<std::string>& metrics);
  /// Metric values for one range of a decoded counter-data image.
  std::vector<double> evaluate(const std::vector<uint8_t>& counter_data, size_t range,
                               const std::vector<std::string>& metrics) const;

 private:
  CUpti_Profiler_Host_Object* obj_ = nullptr;
  std::vector<uint8_t> availability_;  // must outlive obj_
};

/// Replay passes a config image needs.
int64_t config_passes(std::vector<uint8_t>& config_image);

/// Number of ranges a decoded counter-data image holds, and a range's name.
size_t counter_data_ranges(const std::vector<uint8_t>& counter_data);
std::string counter_data_range_name(const std::vector<uint8_t>& counter_data, size_t range);

}  // namespace flopscope::cupti
