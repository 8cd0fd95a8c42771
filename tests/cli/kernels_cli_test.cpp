// `flopscope list` and the bench command's argument checks, on the CPU.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/run_cli.h"

using flopscope::test::run_cli;

namespace {
// Read without flopscope (a `devices` that wrongly exited 0 would skip the
// very tests that check it says there is no GPU).
bool gpu_present() { return flopscope::test::nvidia_device_node_present(); }
size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST(ListCommand, TableNamesEveryGemmKernel) {
  const auto r = run_cli({"list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* id : {"gemm.naive.fp32", "gemm.smem_tiled.fp32", "gemm.reg_tiled.fp32",
                         "gemm.mma_sync.fp16", "gemm.mma_sync.bf16", "gemm.mma_sync.tf32",
                         "gemm.cublas.fp32", "gemm.cublas.tf32", "gemm.cublas.fp16",
                         "gemm.cublas.bf16", "gemm.wgmma.fp16", "gemm.wgmma.bf16"})
    EXPECT_NE(r.out.find(id), std::string::npos) << id;
  EXPECT_NE(r.out.find("m=4096 n=4096 k=4096"), std::string::npos);
  EXPECT_NE(r.out.find("bf16_tensor"), std::string::npos);
}

TEST(ListCommand, JsonHasIdsParamsAndPrecision) {
  const auto r = run_cli({"list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  std::set<std::string> ids;
  for (const auto& k : j) {
    const std::string id = k.at("id");
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
    EXPECT_EQ(id, k.at("family").get<std::string>() + "." + k.at("variant").get<std::string>() +
                      "." + k.at("dtype").get<std::string>());
    EXPECT_FALSE(k.at("params").empty()) << id;
    EXPECT_FALSE(k.at("precision").get<std::string>().empty()) << id;
  }
  const auto it = std::find_if(j.begin(), j.end(), [](const auto& k) { return k["id"] == "gemm.cublas.fp32"; });
  ASSERT_NE(it, j.end());
  EXPECT_EQ((*it)["precision"], "fp32");  // pedantic FP32 is judged on CUDA cores
  EXPECT_EQ((*it)["params"][2]["name"], "k");
  EXPECT_EQ((*it)["presets"]["large"], nlohmann::json({8192, 8192, 8192}));
  // sm_90a code names the one compute capability it runs on.
  const auto w = std::find_if(j.begin(), j.end(), [](const auto& k) { return k["id"] == "gemm.wgmma.bf16"; });
  ASSERT_NE(w, j.end());
  EXPECT_EQ((*w)["min_cc"], 90);
  EXPECT_EQ((*w)["only_cc"], 90);
  // and the shared memory a block of it asks for (sm_86/89 blocks get 99 KB).
  EXPECT_GT((*w)["smem_bytes"].get<int>(), 101376);
  const auto g = std::find_if(j.begin(), j.end(), [](const auto& k) { return k["id"] == "gemm.naive.fp32"; });
  ASSERT_NE(g, j.end());
  EXPECT_EQ((*g)["smem_bytes"], 0);
}

TEST(BenchCommand, UnknownKernelListsSupportedOnes) {
  const auto r = run_cli({"bench", "--kernel", "^nosuch$"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("supported: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gemm.mma_sync.bf16"), std::string::npos) << r.err;
}

TEST(BenchCommand, BadDtypeAndRegexAndShape) {
  auto r = run_cli({"bench", "--dtype", "fp7"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no kernel has dtype 'fp7'"), std::string::npos) << r.err;
  r = run_cli({"bench", "--kernel", "(("});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a valid regular expression"), std::string::npos) << r.err;
  r = run_cli({"bench", "--kernel", "gemm.reg_tiled", "--shape", "1x2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("takes 3 values (m, n, k), got 2"), std::string::npos) << r.err;
  r = run_cli({"bench", "--kernel", "gemm.naive.fp32", "--shape", "m=1,m=2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("m is given twice"), std::string::npos) << r.err;
  for (const char* reps : {"0", "-1"}) {  // 0 is not "the default"
    r = run_cli({"bench", "--reps", reps});
    EXPECT_EQ(r.exit_code, 2) << reps;
    EXPECT_NE(r.err.find(std::string("--reps: must be a whole number from 1 to 1000000 (every time is kept, in memory and in the results file), got '") + reps),
              std::string::npos)
        << r.err;
  }
}

TEST(BenchCommand, AlignmentRejectionNamesTheConstraint) {
  const auto r = run_cli({"bench", "--kernel", "gemm.mma_sync.bf16", "--shape", "m=17,n=17,k=17"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("k and n must be multiples of 8"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
}

// Every time of every run goes into one file: 28 GEMM runs of a million
// repetitions would make one no command reads back (over 256 MiB). Refused
// before any GPU work, with the count.
TEST(BenchCommand, RepetitionsOverAllRunsAreBoundedByTheFile) {
  const auto r = run_cli({"bench", "--kernel", "^gemm\\.", "--reps", "1000000"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("times, more than the 7000000 a results file holds"), std::string::npos) << r.err;
  const auto one = run_cli({"bench", "--kernel", "^gemm\\.naive\\.fp32$", "--reps", "1000000"});
  EXPECT_EQ(one.err.find("a results file holds"), std::string::npos) << one.err;  // one run fits
}

TEST(BenchCommand, NoGpuStopsWithOneLine) {
  if (gpu_present()) GTEST_SKIP() << "a GPU is present: the no-GPU path cannot be exercised here";
  const auto r = run_cli({"bench", "--kernel", "gemm.naive.fp32", "--shape", "tiny"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(flopscope::test::says_no_gpu(r.err)) << r.err;
  EXPECT_EQ(r.out, "");
}

// A shape that some kernels of the default suite reject (GEMMs take three values):
// without a GPU, the no-GPU error is the one line, with no "skipping" line before it.
TEST(BenchCommand, NoGpuReportedBeforeAnySkipping) {
  if (gpu_present()) GTEST_SKIP() << "a GPU is present: the no-GPU path cannot be exercised here";
  const auto r = run_cli({"bench", "--shape", "1x2"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(flopscope::test::says_no_gpu(r.err)) << r.err;
  EXPECT_EQ(r.err.find("skipping"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// bench --counters on a machine without a GPU: exit 3, one line, and no file
// (not the counter file, not the results, no temporary left behind).
TEST(BenchCommand, CountersWithoutGpuLeaveNoFile) {
  if (gpu_present()) GTEST_SKIP() << "a GPU is present: the no-GPU path cannot be exercised here";
  const std::string dir = flopscope::test::temp_dir();
  const auto r = run_cli({"bench", "--kernel", "gemm.naive.fp32", "--shape", "tiny", "--metrics", "flops",
                          "--counters", dir + "/run.fscounters", "--out", dir + "/run.json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(flopscope::test::says_no_gpu(r.err)) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

// --l2-flush: write (the memset, as before) or read (a read-only sweep, which
// leaves the L2 clean; docs/crosscheck.md). Anything else, or with --no-flush,
// is refused in parsing (2); a valid one parses and stops at the device
// check without a GPU (3), also in the resumed process's command line.
TEST(BenchCommand, L2FlushIsWriteOrRead) {
  auto bogus = run_cli({"bench", "--l2-flush", "cold"});
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_EQ(lines(bogus.err), 1u) << bogus.err;
  EXPECT_NE(bogus.err.find("--l2-flush"), std::string::npos) << bogus.err;
  auto both = run_cli({"bench", "--l2-flush", "read", "--no-flush"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
  if (gpu_present()) GTEST_SKIP() << "a GPU is present: the refusals were checked, not the no-GPU exit";
  for (const char* how : {"write", "read"}) {
    auto r = run_cli({"bench", "--l2-flush", how, "--kernel", "gemm.naive.fp32"});
    EXPECT_EQ(r.exit_code, 3) << how << ": " << r.err;
  }
  const auto resumed = run_cli({"bench", "--resumed", "--ids", "gemm.naive.fp32", "--l2-flush", "read"});
  EXPECT_EQ(resumed.exit_code, 3) << resumed.err;
}

// The command line a bench that goes on after a sticky fault gives its new
// process (cmd_bench.cpp, continue_in_new_process) is accepted as it is built:
// --resumed, the ids left (every kernel's: a --kernel pattern of them all was
// over the 1024-character limit and refused), --min-time at 17 digits, the
// internal --counter-tensor and --numbered-from (the progress lines go on
// from the first process's numbering).
// Without a GPU that ends at the device check (exit 3), not in parsing (2).
TEST(BenchCommand, TheResumedProcessCommandLineParses) {
  const auto help = run_cli({"bench", "--help"});
  EXPECT_EQ(help.out.find("counter-tensor"), std::string::npos) << "internal: not in --help";
  EXPECT_EQ(help.out.find("resumed"), std::string::npos) << "internal: not in --help";
  EXPECT_EQ(help.out.find("--ids"), std::string::npos) << "internal: not in --help";
  EXPECT_EQ(help.out.find("numbered-from"), std::string::npos) << "internal: not in --help";
  const auto unknown = run_cli({"bench", "--resumed", "--ids", "gemm.naive.fp32,gemm.nope.fp32"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--ids: no kernel has the id 'gemm.nope.fp32'"), std::string::npos) << unknown.err;
  // With a GPU the command below would run every kernel.
  if (gpu_present()) GTEST_SKIP() << "a GPU is present: --help was checked, not the no-GPU exit";
  const std::string dir = flopscope::test::temp_dir();
  std::string ids;
  for (const auto& k : nlohmann::json::parse(run_cli({"list", "--json"}).out)) {
    if (!ids.empty()) ids += ',';
    ids += k.at("id").get<std::string>();
  }
  // As the pattern ^(gemm\.naive\.fp32|...)$ that was passed before: over the limit.
  ASSERT_GT(ids.size() + size_t(std::count(ids.begin(), ids.end(), '.')) + 4, 1024u);
  const auto r = run_cli({"bench", "--resumed", "--ids", ids, "--min-time",
                          "0.10000000000000001", "--device", "0", "--metrics", "roofline", "--out",
                          dir + "/rest.json", "--shape", "tiny", "--reps", "3", "--warmup", "1", "--no-validate",
                          "--no-flush", "--counters", dir + "/rest.fscounters", "--counter-tensor", "bf16,fp16",
                          "--numbered-from", "4"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(flopscope::test::says_no_gpu(r.err)) << r.err;
}
