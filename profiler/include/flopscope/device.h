#pragma once
/// The GPUs present, as plain structs. Implemented with the CUDA runtime in
/// profiler/device/; this header includes no CUDA header.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/peaks.h"
#include "flopscope/results.h"

namespace flopscope {

/// How many GPUs CUDA counts: ordinals 0..count-1. Throws Error(no_gpu) as
/// query_devices() does when it counts none.
int visible_device_count();

/// Every visible GPU the runtime can describe (so a position in this list is a
/// CUDA ordinal only while it describes them all). Throws Error(no_gpu) naming the cause when there is no
/// driver or no device (device_count_failure).
std::vector<DeviceInfo> query_devices();

/// Visible device `device` (a CUDA device ordinal), with the driver and
/// runtime versions; nullopt when the runtime cannot describe it.
std::optional<DeviceInfo> query_device(int device);

/// The GPU that `--device N` names: CUDA ordinal N, the one work then runs
/// on (an index into query_devices() could name another, which skips a device
/// it cannot describe). Throws no_gpu as query_devices() does, and bad_input
/// "--device N: ..." when there is no such device.
DeviceInfo device_for_ordinal(int device);

// The CUDA runtime's codes for why it cannot count devices (cudaError_t).
inline constexpr int kCudaErrorStubLibrary = 34;         ///< cudaErrorStubLibrary
inline constexpr int kCudaErrorInsufficientDriver = 35;  ///< cudaErrorInsufficientDriver
inline constexpr int kCudaErrorNoDevice = 100;           ///< cudaErrorNoDevice

/// "the NVIDIA driver supports CUDA 12.8; flopscope (built with CUDA 13.0)
/// needs a driver for CUDA 13.0 or newer (R580+)" when `driver_version`
/// (cudaDriverGetVersion's 1000*major + 10*minor) is below the major CUDA
/// version of `built_version`; empty when it is new enough or unknown (0: no
/// driver at all, which is the usual "no GPU" case).
std::string driver_too_old_message(int driver_version, int built_version);

/// The one line for a failed device count: `cuda_error` is cudaGetDeviceCount's
/// code (kCudaErrorNoDevice for a count of 0), `description` the runtime's text
/// for any other code. Names the fix: the toolkit's stub library found first, a
/// driver too old for this build, no driver, or no visible device.
std::string device_count_failure(int cuda_error, std::string_view description, int driver_version,
                                 int built_version);

/// The NVIDIA driver's version ("580.159.04") in the text of
/// /proc/driver/nvidia/version; empty when the text holds none.
std::string nvidia_driver_from_proc(std::string_view text);
/// This machine's NVIDIA driver version, from /proc/driver/nvidia/version;
/// empty where that file is absent (no driver; some containers).
std::string read_nvidia_driver();

/// The peaks to judge a device by: its datasheet when it is in the database,
/// otherwise derived from its architecture, SM count and reported clock.
/// Throws Error(failure) naming the compute capability when its architecture
/// has no rates in the database either.
PeakTable peaks_for_device(const DeviceInfo& d);

}  // namespace flopscope
