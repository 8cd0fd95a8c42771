// `flopscope ceilings` without a GPU: one line on stderr and exit 3; a bad
// --out is refused (exit 2) before any GPU work.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cli/run_cli.h"

using flopscope::test::run_cli;

namespace {
int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST(CeilingsCli, Help) {
  auto r = run_cli({"ceilings", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* opt : {"--out", "--quick", "--device"}) EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  auto top = run_cli({"--help"});
  EXPECT_NE(top.out.find("ceilings"), std::string::npos);
}

TEST(CeilingsCli, BadOutputDirectoryIsUsageErrorBeforeAnyGpuWork) {
  auto r = run_cli({"ceilings", "--out", "/nonexistent-flopscope-dir/ceilings.json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("nonexistent-flopscope-dir"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CeilingsCli, BadOptionIsUsageError) {
  auto r = run_cli({"ceilings", "--device", "-1"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
}

TEST(CeilingsCli, NoGpuSaysSoInOneLineAndExits3) {
  if (run_cli({"devices"}).exit_code == 0) GTEST_SKIP() << "a GPU is present: ceilings_gpu_test covers it";
  auto r = run_cli({"ceilings", "--quick"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("flopscope: error:"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}
