#pragma once
// GPU tests skip, visibly and with the reason, where there is no GPU or driver;
// with FLOPSCOPE_EXPECT_GPU=1 in the environment (scripts/device-check.sh and
// scripts/test.sh set it once nvidia-smi sees a GPU) they fail instead: there, a
// skip would let every GPU test "pass" without running, e.g. on a driver too old
// for this runtime.
//   TEST(X, Y) { FLOPSCOPE_REQUIRE_GPU(); ... }
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "flopscope/device.h"
#include "flopscope/error.h"

namespace flopscope::test {

/// Why GPU work cannot run here, or "" when a GPU and driver are present.
inline std::string no_gpu_reason() {
  try {
    query_devices();
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

/// True when the environment variable `name` is set and not "0".
inline bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string(v) != "0";
}

/// True when the environment says a GPU must be there (FLOPSCOPE_EXPECT_GPU).
inline bool gpu_expected() { return env_flag("FLOPSCOPE_EXPECT_GPU"); }

/// True when the environment says counters are permitted here
/// (FLOPSCOPE_EXPECT_COUNTERS: device-check sets it when the driver's
/// RmProfilingAdminOnly is 0).
inline bool counters_expected() { return env_flag("FLOPSCOPE_EXPECT_COUNTERS"); }

}  // namespace flopscope::test

/// Skips, visibly, a counter test whose tool output or error `text` says GPU
/// counters are restricted to administrators (RmProfilingAdminOnly=1): a
/// machine setting, not a flopscope failure; device-check lists such skips.
/// With FLOPSCOPE_EXPECT_COUNTERS set it fails instead: the machine permits
/// counters, so flopscope misread it.
#define FLOPSCOPE_SKIP_IF_COUNTERS_RESTRICTED(text)                                                  \
  do {                                                                                               \
    const std::string counters_text_ = (text);                                                       \
    if (counters_text_.find("restricted to administrators") != std::string::npos) {                  \
      if (::flopscope::test::counters_expected())                                                    \
        FAIL() << "FLOPSCOPE_EXPECT_COUNTERS is set, but counters were refused: " << counters_text_; \
      GTEST_SKIP() << "GPU counters not permitted here: " << counters_text_;                         \
    }                                                                                                \
  } while (0)

#define FLOPSCOPE_REQUIRE_GPU()                                                                   \
  do {                                                                                            \
    const std::string why_no_gpu_ = ::flopscope::test::no_gpu_reason();                           \
    if (!why_no_gpu_.empty()) {                                                                   \
      if (::flopscope::test::gpu_expected())                                                      \
        FAIL() << "FLOPSCOPE_EXPECT_GPU is set, but no GPU can be used: " << why_no_gpu_;         \
      GTEST_SKIP() << "no GPU: " << why_no_gpu_;                                                  \
    }                                                                                             \
  } while (0)
