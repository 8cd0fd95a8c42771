// What to tell a user whose CUDA runtime cannot reach a GPU. Host-only (the CUDA
// error codes are plain numbers here, checked against the runtime's enum in
// profiler/device/device_query.cpp), so the CPU tests hold every case.
#include <algorithm>
#include <string>

#include "flopscope/device.h"
#include "flopscope/error.h"
#include "flopscope/results.h"  // read_file

namespace flopscope {

std::string driver_too_old_message(int driver_version, int built_version) {
  const int needed = built_version / 1000 * 1000;  // minor-version compatibility within a major
  if (driver_version <= 0 || driver_version >= needed) return {};
  auto version = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
  // R580 is the first driver branch for CUDA 13.
  const std::string branch = needed == 13000 ? " (R580+)" : "";
  return "the NVIDIA driver supports CUDA " + version(driver_version) + "; flopscope (built with CUDA " +
         version(built_version) + ") needs a driver for CUDA " + version(needed) + " or newer" + branch;
}

std::string device_count_failure(int cuda_error, std::string_view description, int driver_version,
                                 int built_version) {
  switch (cuda_error) {
    case kCudaErrorStubLibrary:
      return "the CUDA driver library loaded is the toolkit's stub (a libcuda.so from a 'stubs' directory): "
             "take that directory out of LD_LIBRARY_PATH so that the NVIDIA driver's libcuda.so.1 is used";
    case kCudaErrorInsufficientDriver:
      if (std::string old = driver_too_old_message(driver_version, built_version); !old.empty()) return old;
      // What it takes, and what works here anyway: a first run on a laptop lands here.
      return "no NVIDIA driver found: this machine cannot run GPU work (that needs an NVIDIA GPU and "
             "a driver of the R580 branch or newer; specs, list, metrics, report, compare, check, "
             "crosscheck and estimate run without one)";
    case kCudaErrorNoDevice:
      return "no CUDA-capable GPU is visible (check CUDA_VISIBLE_DEVICES)";
    default:
      return "CUDA cannot list devices: " + std::string(description);
  }
}

std::string nvidia_driver_from_proc(std::string_view text) {
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu ..." (or
  // "... Open Kernel Module for x86_64  580.65.06  Release Build ..."): the
  // first word of the first line that is digits and dots, with one dot or two.
  const std::string_view line = text.substr(0, text.find('\n'));
  size_t at = 0;
  while (at < line.size()) {
    const size_t begin = line.find_first_not_of(" \t", at);
    if (begin == std::string_view::npos) break;
    const size_t end = std::min(line.find_first_of(" \t", begin), line.size());
    const std::string_view word = line.substr(begin, end - begin);
    const size_t dots = size_t(std::count(word.begin(), word.end(), '.'));
    const bool numeric = word.find_first_not_of("0123456789.") == std::string_view::npos && word.front() != '.' &&
                         word.back() != '.' && word.find("..") == std::string_view::npos;
    if (numeric && (dots == 1 || dots == 2)) return std::string(word);
    at = end;
  }
  return "";
}

std::string read_nvidia_driver() {
  try {
    return nvidia_driver_from_proc(read_file("/proc/driver/nvidia/version", 1 << 16));
  } catch (const Error&) {
    return "";
  }
}

}  // namespace flopscope
