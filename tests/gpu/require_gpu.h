#pragma once
// GPU tests skip, visibly and with the reason, where there is no GPU or driver.
//   TEST(X, Y) { FLOPSCOPE_REQUIRE_GPU(); ... }
#include <gtest/gtest.h>

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

}  // namespace flopscope::test

#define FLOPSCOPE_REQUIRE_GPU()                                            \
  do {                                                                     \
    const std::string why_no_gpu_ = ::flopscope::test::no_gpu_reason();    \
    if (!why_no_gpu_.empty()) GTEST_SKIP() << "no GPU: " << why_no_gpu_;  \
  } while (0)
