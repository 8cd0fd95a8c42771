#pragma once
/// The GPUs present, as plain structs. Implemented with the CUDA runtime in
/// profiler/device/; this header includes no CUDA header.
#include <vector>

#include "flopscope/peaks.h"
#include "flopscope/results.h"

namespace flopscope {

/// Every visible GPU. Throws Error(no_gpu) naming the cause when there is no
/// driver or no device.
std::vector<DeviceInfo> query_devices();

/// The peaks to judge a device by: its datasheet when it is in the database,
/// otherwise derived from its architecture, SM count and reported clock.
PeakTable peaks_for_device(const DeviceInfo& d);

}  // namespace flopscope
