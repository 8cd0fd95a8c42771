// The CUPTI-result -> message mapping (pure code). CUptiResult values are
// written as numbers: tests include no CUPTI header.
#include <gtest/gtest.h>

#include "session_errors.h"

using namespace flopscope;
using flopscope::cupti::built_cuda_version;
using flopscope::cupti::describe_cupti_failure;
using flopscope::driver_too_old_message;

namespace {
bool has(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }
}  // namespace

TEST(CuptiErrors, InsufficientPrivilegesSaysHowToEnable) {
  const auto f = describe_cupti_failure(35, "cuptiRangeProfilerEnable");
  EXPECT_EQ(f.kind, ErrorKind::no_gpu);  // exit 3
  EXPECT_FALSE(f.timing_fallback);       // fixable: say how, do not carry on
  for (const char* n : {"CUPTI_ERROR_INSUFFICIENT_PRIVILEGES", "root", "CAP_SYS_ADMIN", "CAP_PERFMON",
                        "NVreg_RestrictProfilingToAdminUsers=0", "/proc/driver/nvidia/params",
                        "RmProfilingAdminOnly", "cuptiRangeProfilerEnable"})
    EXPECT_TRUE(has(f.message, n)) << n << ": " << f.message;
  EXPECT_EQ(f.message.find('\n'), std::string::npos);
}

TEST(CuptiErrors, AnotherSubscriberIsNamed) {
  const auto f = describe_cupti_failure(39, "cuptiSubscribe_v2", "CUPTI for Nsight Systems");
  EXPECT_EQ(f.kind, ErrorKind::no_gpu);
  EXPECT_TRUE(has(f.message, "another profiler")) << f.message;
  EXPECT_TRUE(has(f.message, "CUPTI for Nsight Systems")) << f.message;
  EXPECT_TRUE(has(f.message, "CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED")) << f.message;
}

TEST(CuptiErrors, NoDriverIsNoGpu) {
  // What target-side calls return on a machine without a driver (probed).
  for (int r : {999, 15}) {
    const auto f = describe_cupti_failure(r, "cuptiProfilerInitialize");
    EXPECT_EQ(f.kind, ErrorKind::no_gpu) << r;
    EXPECT_TRUE(has(f.message, "no NVIDIA driver or GPU")) << f.message;
  }
}

TEST(CuptiErrors, DriverTooOldIsNamed) {
  const std::string m = driver_too_old_message(12080, 13000);
  EXPECT_EQ(m, "the NVIDIA driver supports CUDA 12.8; flopscope (built with CUDA 13.0) needs a driver for "
               "CUDA 13.0 or newer (R580+)");
  EXPECT_TRUE(has(driver_too_old_message(12040, 13010), "built with CUDA 13.1")) << driver_too_old_message(12040, 13010);
  EXPECT_EQ(driver_too_old_message(13000, 13000), "");  // new enough
  EXPECT_EQ(driver_too_old_message(13000, 13010), "");  // minor-version compatibility
  EXPECT_EQ(driver_too_old_message(0, 13000), "");      // no driver: the usual no-GPU line
  for (int r : {999, 15}) {
    const auto f = describe_cupti_failure(r, "cuptiProfilerInitialize", {}, 12040);
    EXPECT_EQ(f.kind, ErrorKind::no_gpu) << r;  // exit 3
    if (built_cuda_version() >= 13000) {
      EXPECT_TRUE(has(f.message, "supports CUDA 12.4")) << f.message;
      EXPECT_FALSE(has(f.message, "no NVIDIA driver or GPU")) << f.message;
    }
  }
  // Other results are not about the driver.
  EXPECT_FALSE(has(describe_cupti_failure(35, "cuptiProfilerInitialize", {}, 12040).message, "supports CUDA"));
}

TEST(CuptiErrors, OutOfMemoryNamesReplayHeadroom) {
  const auto f = describe_cupti_failure(8, "cuptiRangeProfilerStart");
  EXPECT_EQ(f.kind, ErrorKind::failure);
  EXPECT_TRUE(has(f.message, "free GPU memory")) << f.message;
  EXPECT_TRUE(has(f.message, "--launch-count")) << f.message;
}

TEST(CuptiErrors, UnsupportedDeviceFallsBackToTiming) {
  for (int r : {27, 33, 41, 42, 43, 44, 45, 46}) {
    const auto f = describe_cupti_failure(r, "cuptiProfilerDeviceSupported");
    EXPECT_TRUE(f.timing_fallback) << r;
    EXPECT_TRUE(has(f.message, "timing")) << f.message;
  }
  EXPECT_FALSE(describe_cupti_failure(26, "cuptiRangeProfilerStart").timing_fallback);
  EXPECT_FALSE(describe_cupti_failure(39, "cuptiSubscribe_v2").timing_fallback);
}

TEST(CuptiErrors, OtherResultsNameTheCall) {
  const auto f = describe_cupti_failure(1, "cuptiProfilerHostConfigAddMetrics", "metric x.sum");
  EXPECT_EQ(f.kind, ErrorKind::failure);
  EXPECT_TRUE(has(f.message, "cuptiProfilerHostConfigAddMetrics returned CUPTI_ERROR_INVALID_PARAMETER"));
  EXPECT_TRUE(has(f.message, "metric x.sum"));
  EXPECT_EQ(cupti::cupti_result_name(12345), "CUPTI error 12345");
  // What evaluating a counter file that names a metric CUPTI lacks returns.
  EXPECT_EQ(cupti::cupti_result_name(17), "CUPTI_ERROR_INVALID_METRIC_NAME");
  EXPECT_EQ(cupti::cupti_result_name(16), "CUPTI_ERROR_INVALID_METRIC_ID");
  try {
    cupti::throw_cupti_failure(35, "cuptiRangeProfilerStart");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::no_gpu);
  }
}

// Found by review: where libcupti cannot load libnvperf_host.so, the offline
// host API fails with CUPTI_ERROR_NOT_INITIALIZED, which read "CUPTI cannot
// reach a GPU ... check nvidia-smi" for `metrics`, a command needing none.
TEST(CuptiErrors, AHostApiWithoutNvperfNamesTheLibrary) {
  constexpr int kNotInitialized = 15;  // CUPTI_ERROR_NOT_INITIALIZED
  try {
    cupti::throw_host_failure(kNotInitialized, "cuptiProfilerHostGetSupportedChips", {},
                              "libnvperf_host_not_here.so");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::no_gpu);
    EXPECT_TRUE(
        has(e.what(), "libnvperf_host_not_here.so, which libcupti loads at run time, cannot be loaded"))
        << e.what();
    EXPECT_FALSE(has(e.what(), "nvidia-smi")) << e.what();
  }
  // A library that loads: the cause is elsewhere, and said as before.
  try {
    cupti::throw_host_failure(kNotInitialized, "cuptiProfilerHostGetSupportedChips", {}, "libc.so.6");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "CUPTI cannot reach a GPU")) << e.what();
  }
}
