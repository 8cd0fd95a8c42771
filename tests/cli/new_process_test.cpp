// What `flopscope bench` uses to go on in a new process after a fault that
// leaves its CUDA context unusable (the fault itself needs a GPU).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench_resume.h"
#include "flopscope/error.h"

using namespace flopscope::cli;

// Its stdout is discarded (the parent prints the one table), its exit code
// and a deadly signal come back.
TEST(BenchResume, RunsQuietlyAndReturnsTheExitCode) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_quietly("/bin/sh", {"-c", "echo not-shown; exit 3"}), 3);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(run_quietly("/bin/sh", {"-c", "kill -TERM $$"}), 128 + 15);
  EXPECT_THROW(run_quietly("/nonexistent/flopscope", {}), flopscope::Error);
}

TEST(BenchResume, FindsItsOwnExecutable) {
  const std::string self = self_executable();
  EXPECT_NE(self.find("bench_resume_test"), std::string::npos) << self;
}
