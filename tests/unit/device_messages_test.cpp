// The line a user gets when the CUDA runtime cannot count devices (pure code;
// the CUDA error codes are plain numbers, as the runtime's enum has them).
#include <gtest/gtest.h>

#include "flopscope/device.h"
#include "flopscope/error.h"  // clipped

using namespace flopscope;

// /proc/driver/nvidia/version as the proprietary and the open kernel modules write it.
TEST(NvidiaDriver, ReadFromTheProcFile) {
  EXPECT_EQ(nvidia_driver_from_proc("NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu Oct  9 "
                                    "20:58:52 UTC 2025\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"),
            "580.159.04");
  EXPECT_EQ(nvidia_driver_from_proc("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release "
                                    "Build  (dvs-builder@U16-I3-B14-4-3)  Thu Jan 23 22:51:53 UTC 2025\n"),
            "570.86.15");
  EXPECT_EQ(nvidia_driver_from_proc("NVRM version: NVIDIA UNIX aarch64 Kernel Module  550.54\n"), "550.54");
  // The GCC line's version is not the driver's; nothing numeric, nothing read.
  EXPECT_EQ(nvidia_driver_from_proc("NVRM version: unknown\nGCC version: 12.2.0\n"), "");
  EXPECT_EQ(nvidia_driver_from_proc(""), "");
  EXPECT_EQ(nvidia_driver_from_proc("x 1.2.3.4 ..5 .5 5."), "");
}

TEST(DeviceCountFailure, NamesTheCauseAndTheFix) {
  EXPECT_EQ(
      device_count_failure(kCudaErrorInsufficientDriver, "CUDA driver version is insufficient", 0, 13000),
      "no NVIDIA driver found: this machine cannot run GPU work (that needs an NVIDIA GPU and a driver of "
      "the R580 branch or newer; specs, list, metrics, report, compare, check, crosscheck and estimate run "
      "without one)");
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

// A message quotes what the user gave cut to 60 bytes: the cut once split a
// UTF-8 character, leaving an invalid byte in the error line.
TEST(Clipped, CutsWholeCharacters) {
  EXPECT_EQ(flopscope::clipped("short"), "short");
  const std::string e = "\xC3\xA9";  // é, two bytes
  const std::string s = std::string(59, 'a') + e + "tail";
  EXPECT_EQ(flopscope::clipped(s), std::string(59, 'a') + "...");
  EXPECT_EQ(flopscope::clipped(std::string(58, 'a') + e + "tail"), std::string(58, 'a') + e + "...");
  EXPECT_EQ(flopscope::clipped(std::string(70, 'a')), std::string(60, 'a') + "...");
}

// Found by review: many messages quote a value whole, and a 100 kB --gpu made
// a 100 kB error line. The CLI prints each word longer than a path can be
// with its first and last 60 bytes; a path of 4095 bytes is kept whole.
TEST(ErrorLine, ClipsOnlyWordsLongerThanAPath) {
  const std::string known = "(known: " + std::string(150, 'k') + ", b)";
  EXPECT_EQ(flopscope::error_line("unknown GPU '" + std::string(100000, 'x') + "' " + known),
            "unknown GPU '" + std::string(59, 'x') + "..." + std::string(59, 'x') + "' " + known);
  EXPECT_EQ(flopscope::error_line("a  b\nc "), "a  b\\nc ");  // spaces kept, one line
  const std::string path = "/" + std::string(4094, 'p');  // with its ':', as long as a word is kept
  EXPECT_EQ(flopscope::error_line(path + ": truncated JSON"), path + ": truncated JSON");
  const std::string e = "\xC3\xA9";  // the tail starts at a whole character
  EXPECT_EQ(flopscope::error_line(std::string(5000, 'a') + e + std::string(59, 'z')),
            std::string(60, 'a') + "..." + std::string(59, 'z'));
  EXPECT_EQ(flopscope::error_line(""), "");
}
