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
  EXPECT_NE(r.err.find("--device: must be a whole number, 0 or more"), std::string::npos) << r.err;
}

TEST(CeilingsCli, NoGpuSaysSoInOneLineAndExits3) {
  if (flopscope::test::nvidia_device_node_present())
    GTEST_SKIP() << "a GPU device node (/dev/nvidiaN) is present: ceilings_gpu_test covers it";
  auto r = run_cli({"ceilings", "--quick"});
  if (r.err.find("built without its CUDA kernels") != std::string::npos)
    GTEST_SKIP() << "this build has no ceilings to run (FLOPSCOPE_KERNELS=OFF): it says that instead";
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("flopscope: error:"), std::string::npos) << r.err;
  EXPECT_TRUE(flopscope::test::says_no_gpu(r.err)) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// The internal options of the process that goes on after a fault: refused in
// one line before any GPU work when they do not fit together.
TEST(CeilingsCli, InternalResumeOptionsAreCheckedBeforeAnyGpuWork) {
  auto half = run_cli({"ceilings", "--resumed"});
  EXPECT_EQ(half.exit_code, 2) << half.err;
  EXPECT_EQ(lines(half.err), 1) << half.err;
  EXPECT_NE(half.err.find("--resumed, --ids and --measurements go together"), std::string::npos) << half.err;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"ceilings", "--ids", "fp32.ffma"},
        {"ceilings", "--resumed", "--measurements", "/tmp/flopscope-never-written.json"},
        {"ceilings", "--resumed", "--measurements", "/tmp/flopscope-never-written.json", "--ids", "fp32.ffma",
         "--out", "/tmp/flopscope-never-written-out.json"}}) {
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find("go together"), std::string::npos) << r.err;
  }
  auto unknown = run_cli({"ceilings", "--resumed", "--measurements", "/tmp/flopscope-never-written.json", "--ids",
                          "fp32.ffma,dram.cpy"});
  if (unknown.err.find("built without its CUDA kernels") != std::string::npos)
    GTEST_SKIP() << "this build has no ceilings to look the ids up in (FLOPSCOPE_KERNELS=OFF)";
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_EQ(lines(unknown.err), 1) << unknown.err;
  EXPECT_NE(unknown.err.find("'dram.cpy'"), std::string::npos) << unknown.err;
}
