// The line a user gets when the CUDA runtime cannot count devices (pure code;
// the CUDA error codes are plain numbers, as the runtime's enum has them).
#include <gtest/gtest.h>

#include "flopscope/device.h"

using namespace flopscope;

TEST(DeviceCountFailure, NamesTheCauseAndTheFix) {
  EXPECT_EQ(device_count_failure(kCudaErrorInsufficientDriver, "CUDA driver version is insufficient", 0, 13000),
            "no NVIDIA driver found: this machine cannot run GPU work");
  EXPECT_EQ(device_count_failure(kCudaErrorInsufficientDriver, "", 12080, 13000),
            "the NVIDIA driver supports CUDA 12.8; flopscope (built with CUDA 13.0) needs a driver for CUDA 13.0 "
            "or newer (R580+)");
  EXPECT_EQ(device_count_failure(kCudaErrorNoDevice, "", 13000, 13000),
            "no CUDA-capable GPU is visible (check CUDA_VISIBLE_DEVICES)");
  // Found on a machine whose LD_LIBRARY_PATH held the toolkit's stubs directory:
  // it was reported as "no CUDA-capable GPU is visible".
  const std::string stub = device_count_failure(kCudaErrorStubLibrary, "CUDA driver is a stub library", 0, 13000);
  EXPECT_NE(stub.find("toolkit's stub"), std::string::npos) << stub;
  EXPECT_NE(stub.find("LD_LIBRARY_PATH"), std::string::npos) << stub;
  EXPECT_EQ(device_count_failure(802, "system not yet initialized", 13000, 13000),
            "CUDA cannot list devices: system not yet initialized");
}
