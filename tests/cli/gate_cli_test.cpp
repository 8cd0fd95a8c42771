// `flopscope compare` and `flopscope check` through the built binary: one
// exit code per outcome, one-line errors on bad input, files written.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "unit/gate_sample.h"
#include "unit/crosscheck_sample.h"
#include "unit/xml_check.h"

using flopscope::test::CliResult;
using flopscope::test::noisy_doc;
using flopscope::test::run_cli;
using flopscope::test::temp_dir;

namespace {

int line_count(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

void expect_one_line_error(const CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// Options accepted, and the comparison made: no regression (0), or too few
// samples for the confidence asked (4); never a refusal (2) nor a crash, which
// "not 2" let through.
void expect_compared(const CliResult& r) {
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 4) << r.exit_code << ": " << r.err;
  EXPECT_EQ(r.signal, 0);
  EXPECT_NE(r.out.find("outcome: "), std::string::npos) << r.out;
}

std::string write_doc(const std::string& dir, const std::string& name, const flopscope::ResultsDoc& d) {
  const std::string path = dir + "/" + name;
  flopscope::write_results(path, d);
  return path;
}

std::string write_text(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Files {
  std::string dir = temp_dir();
  std::string base = write_doc(dir, "base.json", noisy_doc(1));
  std::string same = write_doc(dir, "same.json", noisy_doc(2));
  std::string slower = write_doc(dir, "slower.json", noisy_doc(3, 30, 1.15));
};

}  // namespace

TEST(GateCli, HelpListsCommandsAndExitCodes) {
  auto h = run_cli({"--help"});
  EXPECT_NE(h.out.find("compare"), std::string::npos);
  EXPECT_NE(h.out.find("check"), std::string::npos);
  auto c = run_cli({"compare", "--help"});
  EXPECT_EQ(c.exit_code, 0);
  EXPECT_NE(c.out.find("4 inconclusive"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("--threshold"), std::string::npos);
  auto k = run_cli({"check", "--help"});
  EXPECT_EQ(k.exit_code, 0);
  EXPECT_NE(k.out.find("--contracts"), std::string::npos);
}

TEST(GateCli, CompareExitCodes) {
  Files f;
  auto ok = run_cli({"compare", f.base, f.same});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("outcome: no regression"), std::string::npos) << ok.out;
  EXPECT_TRUE(ok.err.empty()) << ok.err;

  auto reg = run_cli({"compare", f.base, f.slower});
  EXPECT_EQ(reg.exit_code, 1) << reg.out << reg.err;
  EXPECT_NE(reg.out.find("slower"), std::string::npos);
  // The threshold is the user's: 15% slower passes a 25% gate.
  EXPECT_EQ(run_cli({"compare", f.base, f.slower, "--threshold", "25"}).exit_code, 0);

  // Too few samples to call: inconclusive.
  const std::string few = write_doc(f.dir, "few.json", noisy_doc(4, 5));
  auto inc = run_cli({"compare", f.base, few});
  EXPECT_EQ(inc.exit_code, 4) << inc.out << inc.err;
  EXPECT_NE(inc.out.find("too few samples"), std::string::npos) << inc.out;
  // Its report lost to a full disk: a failure (1), not 4, which CI jobs may allow.
  if (std::filesystem::exists("/dev/full")) {
    const auto lost = run_cli({"compare", f.base, few}, {}, "/dev/full");
    EXPECT_EQ(lost.exit_code, 1) << lost.err;
    EXPECT_NE(lost.err.find("cannot write standard output"), std::string::npos) << lost.err;
  }

  // A throttling runner: inconclusive, not a regression.
  flopscope::test::Noise throttled;
  throttled.sigma = 0.02;
  throttled.throttle_share = 0.5;
  throttled.throttle_factor = 1.35;
  const std::string thr = write_doc(f.dir, "throttled.json", noisy_doc(5, 30, 1.0, throttled));
  auto t = run_cli({"compare", f.base, thr});
  EXPECT_EQ(t.exit_code, 4) << t.out;
  EXPECT_NE(t.out.find("bimodal"), std::string::npos) << t.out;

  // More executed work, same time: a regression.
  flopscope::ResultsDoc more = noisy_doc(1);
  more.runs[0].hw->flops_total = *more.runs[0].hw->flops_total * 1.2;
  for (auto& [pipe, flops] : more.runs[0].hw->flops_by_pipe) flops *= 1.2;  // they add up to the total
  auto w = run_cli({"compare", f.base, write_doc(f.dir, "more.json", more)});
  EXPECT_EQ(w.exit_code, 1) << w.out;
  EXPECT_NE(w.out.find("hw.flops_total +20.0%"), std::string::npos) << w.out;
  EXPECT_EQ(run_cli({"compare", f.base, f.dir + "/more.json", "--work-gate", "none"}).exit_code, 0);

  // A gated counter missing from the current run: the gate could not check it.
  flopscope::ResultsDoc partial = noisy_doc(1);
  partial.runs[0].hw->dram_write_bytes.reset();
  auto m = run_cli({"compare", f.base, write_doc(f.dir, "partial.json", partial)});
  EXPECT_EQ(m.exit_code, 4) << m.out;
  EXPECT_NE(m.out.find("hw.dram_bytes in the baseline but not in the current run"), std::string::npos)
      << m.out;
}

TEST(GateCli, CompareWritesCiOutputs) {
  Files f;
  const std::string md = f.dir + "/pr.md", xml = f.dir + "/junit.xml", gb = f.dir + "/gb.json";
  auto r = run_cli({"compare", f.base, f.slower, "--md", md, "--junit", xml, "--gbench", gb});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(slurp(md).find("## flopscope compare: regression"), std::string::npos);
  EXPECT_EQ(flopscope::test::xml_problem(slurp(xml)), "");
  const auto j = nlohmann::json::parse(slurp(gb));
  EXPECT_EQ(j["benchmarks"].size(), 2u);
  EXPECT_EQ(j["benchmarks"][0]["time_unit"], "us");
  EXPECT_NE(r.err.find("wrote JUnit XML"), std::string::npos);
}

// Found by review: between two recorded H200 runs the change column read
// -3.1% for gemm.cublas.tf32 beside medians 369.4 -> 382.5 us: the pairwise
// estimate blends the modes of bimodal samples. An uncalled bimodal run shows
// "bimodal" there, and no interval.
TEST(GateCli, CompareShowsNoChangeForUncalledBimodalRuns) {
  const std::string runs = std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/results/h200/";
  const auto r = run_cli({"compare", runs + "2026-11-30-2/bench.json", runs + "2026-11-30-3/bench.json"});
  // Inconclusive runs and no regression: the unchanged naive GEMM's 3.4% more
  // DRAM bytes (its reuse is L2's) are within the default 5%, as they should be.
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.out.find("gemm.naive.fp32"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("beyond the 5% tolerance"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("gemm\\.cublas\\.tf32 +m=[^\\n]* 369\\.4 us +382\\.5 us +bimodal +- +inconclusive")))
      << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("memory\\.copy\\.fp32 +n=268435456 +556\\.0 us +555\\.2 us +-0\\.2% ")))
      << r.out;
}

TEST(GateCli, CompareWarnsAboutDifferentGpus) {
  Files f;
  flopscope::ResultsDoc h100 = noisy_doc(2);
  h100.device->name = "NVIDIA H100 80GB HBM3";
  h100.device->gpu_key = "h100-sxm";
  auto r = run_cli({"compare", f.base, write_doc(f.dir, "h100.json", h100)});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("flopscope: warning: different GPUs"), std::string::npos) << r.err;
  const std::string md = f.dir + "/pr.md";
  run_cli({"compare", f.base, f.dir + "/h100.json", "--md", md});
  EXPECT_NE(slurp(md).find("**Warning:** different GPUs"), std::string::npos);
}

TEST(GateCli, CompareBadInput) {
  Files f;
  expect_one_line_error(run_cli({"compare", f.base}), "current");
  expect_one_line_error(run_cli({"compare", f.base, f.dir + "/nope.json"}), "nope.json");
  expect_one_line_error(run_cli({"compare", f.base, write_text(f.dir, "bad.json", "{\"schema\": ")}),
                        "truncated JSON");
  std::string v2 = slurp(f.same);
  v2.replace(v2.find("flopscope.results/1"), 19, "flopscope.results/2");
  expect_one_line_error(run_cli({"compare", f.base, write_text(f.dir, "v2.json", v2)}),
                        "unsupported schema 'flopscope.results/2'");
  expect_one_line_error(run_cli({"compare", f.base, f.same, "--threshold", "-3"}), "--threshold");
  // A fraction for a percentage: 0.05 was taken as 0.05%, calling a +0.7% change slower.
  expect_one_line_error(run_cli({"compare", f.base, f.same, "--threshold", "0.05"}),
                        "--threshold is a percentage: 0.05 is 0.05%, below the 0.5% timings resolve; for 5% write 5");
  expect_compared(run_cli({"compare", f.base, f.same, "--threshold", "0.5"}));
  expect_one_line_error(run_cli({"compare", f.base, f.same, "--flops-tolerance", "1e308"}),
                        "must be percentages from 0 to 1000");
  expect_one_line_error(run_cli({"compare", f.base, f.same, "--clock", "lock"}), "--clock");
  expect_one_line_error(run_cli({"compare", f.base, f.same, "--min-samples", "5"}),
                        "--min-samples must be at least 6 at 99% confidence");
  // Not given, --min-samples follows --confidence instead of refusing its default 10.
  expect_compared(run_cli({"compare", f.base, f.same, "--confidence", "99.99"}));
  // A file compared with itself (also through another spelling of its path).
  expect_one_line_error(run_cli({"compare", f.base, f.base}), "the baseline and the current results are one file");
  expect_one_line_error(run_cli({"compare", f.base, f.dir + "/./base.json"}),
                        "are one file");
  // Closer to 100 the interval's quantile is not finite: one line naming the option;
  // 99.999 is still taken.
  expect_compared(run_cli({"compare", f.base, f.same, "--confidence", "99.999"}));
  expect_one_line_error(run_cli({"compare", f.base, f.same, "--confidence", "99.99999999999999"}),
                        "--confidence must lie above 50 and at most 99.9999 percent");
  expect_one_line_error(run_cli({"compare", f.base, f.same, "--confidence", "99.99", "--min-samples", "10"}),
                        "at least 11 at 99.99% confidence");
  // Decimal, as typed: CLI11 alone read 011 as octal 9 (refused here) and 08 not at all.
  expect_compared(run_cli({"compare", f.base, f.same, "--confidence", "99.99", "--min-samples", "011"}));
  expect_compared(run_cli({"compare", f.base, f.same, "--min-samples", "08"}));
  expect_one_line_error(run_cli({"compare", f.base, f.same, "--min-samples", "4294967306"}),
                        "--min-samples: must be a whole number (at most 9 digits)");
  flopscope::ResultsDoc other = noisy_doc(2);
  for (auto& r : other.runs) r.id = "other." + r.id;
  expect_one_line_error(run_cli({"compare", f.base, write_doc(f.dir, "other.json", other)}),
                        "matches a run");
}

TEST(GateCli, CheckExitCodes) {
  Files f;
  const std::string good = write_text(f.dir, "good.txt",
                                      "# the sample's GEMM\n"
                                      "gemm.cublas.bf16 m=8192 : mfu >= 0.5\n"
                                      "gemm.cublas.bf16 : hw_flops = model_flops \xC2\xB1 0.1%\n"
                                      "gemm.* : validation passed\n"
                                      "memory.copy.fp32 : memory-bound\n");
  const std::string md = f.dir + "/check.md", xml = f.dir + "/check.xml";
  auto ok = run_cli({"check", f.base, "--contracts", good, "--md", md, "--junit", xml});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("4 passed, 0 failed"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("(NVIDIA H200 (h200))"), std::string::npos) << ok.out;  // the device as compare names it
  EXPECT_NE(slurp(md).find("all contracts hold"), std::string::npos);
  EXPECT_EQ(flopscope::test::xml_problem(slurp(xml)), "");

  const std::string bad = write_text(f.dir, "fail.txt", "gemm.cublas.bf16 : mfu >= 0.99\n");
  auto fail = run_cli({"check", f.base, "--contracts", bad});
  EXPECT_EQ(fail.exit_code, 1) << fail.out;
  EXPECT_NE(fail.out.find("FAIL"), std::string::npos);

  const std::string none = write_text(f.dir, "none.txt", "gemm.wgmma.bf16 : mfu >= 0.5\n");
  auto n = run_cli({"check", f.base, "--contracts", none});
  EXPECT_EQ(n.exit_code, 1) << n.out;
  EXPECT_NE(n.out.find("matches no run"), std::string::npos) << n.out;
}

// Several results files are one pool of runs: a ratio may take its reference
// from another file (the default suite and a large-shape run). The project's
// own target files stay well-formed.
TEST(GateCli, CheckPoolsSeveralResultsFiles) {
  Files f;
  flopscope::ResultsDoc only_copy = noisy_doc(1), no_copy = noisy_doc(1);
  std::erase_if(only_copy.runs, [](const flopscope::RunRecord& r) { return r.id != "memory.copy.fp32"; });
  std::erase_if(no_copy.runs, [](const flopscope::RunRecord& r) { return r.id == "memory.copy.fp32"; });
  ASSERT_EQ(only_copy.runs.size(), 1u);
  const std::string a = write_doc(f.dir, "a.json", no_copy), b = write_doc(f.dir, "b.json", only_copy);
  const std::string c = write_text(f.dir, "c.txt", "memory.copy.fp32 : time > 0\ngemm.cublas.bf16 m=8192 : time > 0\n");
  auto r = run_cli({"check", a, b, "--contracts", c});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(a + " + " + b), std::string::npos) << r.out;
  EXPECT_EQ(run_cli({"check", a, "--contracts", c}).exit_code, 1);

  flopscope::ResultsDoc other = only_copy;
  other.device->name = "NVIDIA H100 80GB HBM3";
  other.device->gpu_key = "h100-sxm";
  expect_one_line_error(run_cli({"check", a, write_doc(f.dir, "h100.json", other), "--contracts", c}),
                        "check each GPU's results on their own");
  expect_one_line_error(run_cli({"check", a, c, "--contracts", c}), "");

  const std::string targets = std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/targets-h200.txt";
  r = run_cli({"check", std::string(FLOPSCOPE_SOURCE_DIR) + "/tests/fixtures/handmade-h200.json", "--contracts",
               targets});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the hand-made file lacks most targets' runs
  EXPECT_NE(r.out.find("PASS  " + targets + ":8  gemm.cublas.bf16 m=8192"), std::string::npos) << r.out;
  const std::string counters = std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/counters-h200.txt";
  r = run_cli({"check", std::string(FLOPSCOPE_SOURCE_DIR) + "/tests/fixtures/handmade-h200.json", "--contracts",
               counters});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("PASS  " + counters + ":11  gemm.cublas.bf16"), std::string::npos) << r.out;

  // The mma.sync tilings' file over a recorded H200 run (2026-11-30-3): the
  // square and wide tilings both under 60% of cuBLAS BF16, at both sizes.
  const std::string tiles = std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/mma-tiles-h200.txt";
  const std::string run3 = std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/results/h200/2026-11-30-3/";
  r = run_cli({"check", run3 + "bench.json", run3 + "bench_large.json", "--contracts", tiles});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  for (const char* line :
       {"gemm.mma_sync.bf16 m=4096 n=4096 k=4096: tflops 326.1 < 0.6 x 705 (gemm.cublas.bf16) = 423; ratio 0.4625, "
        "expected >= 0.6",
        "gemm.mma_sync_wide.bf16 m=8192 n=8192 k=8192: tflops 290.8 < 0.6 x 701.5"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  EXPECT_NE(r.out.find("(27 passed, 4 failed)"), std::string::npos) << r.out;

  // The project's own CI contracts hold on its latest recorded default suite
  // (their floors are set below what it measured), every line matching a run.
  const std::string own = std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/contracts.txt";
  r = run_cli({"check", std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/results/h200/2026-11-30-5/bench.json",
               "--contracts", own});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("all contracts hold (31 passed, 0 failed)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gemm.wgmma.bf16 m=4096 n=4096 k=4096: tflops 652.5 >= 0.75 x 729.2"), std::string::npos)
      << r.out;
  // device-check's file for the Hopper-only GEMMs' FLOPs parses, and holds
  // gemm.wgmma's as that run counted them (the mma.sync tilings were not in it).
  const std::string sm90 = std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/counters-sm90-h200.txt";
  r = run_cli({"check", std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/results/h200/2026-11-30-5/bench.json",
               "--contracts", sm90});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("PASS  " + sm90 + ":6  gemm.wgmma.bf16"), std::string::npos) << r.out;
}

// Found by review: the GPU was compared with the first file's only, so a first
// file without a device let H100 and H200 runs into one pool (exit 0); and a
// file given twice counted every run twice ("matches 2 runs").
TEST(GateCli, CheckRefusesOtherGpusAndRunsGivenTwice) {
  Files f;
  flopscope::ResultsDoc h200 = noisy_doc(1), copy = noisy_doc(1);
  std::erase_if(h200.runs, [](const flopscope::RunRecord& r) { return r.id == "memory.copy.fp32"; });
  std::erase_if(copy.runs, [](const flopscope::RunRecord& r) { return r.id != "memory.copy.fp32"; });
  flopscope::ResultsDoc nodev = copy, h100 = copy;
  nodev.device.reset();
  h100.device->name = "NVIDIA H100 80GB HBM3";
  h100.device->gpu_key = "h100-sxm";
  h100.runs.at(0).shape = {{"n", 1 << 20}};  // a run of its own: only the GPU differs
  const std::string a = write_doc(f.dir, "h200.json", h200), n = write_doc(f.dir, "nodev.json", nodev),
                    b = write_doc(f.dir, "h100.json", h100);
  const std::string c = write_text(f.dir, "c.txt", "memory.copy.fp32 : time > 0\ngemm.cublas.bf16 m=8192 : time > 0\n");
  auto ok = run_cli({"check", n, a, "--contracts", c});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find(n + " + " + a + " (NVIDIA H200"), std::string::npos) << ok.out;
  expect_one_line_error(run_cli({"check", n, b, a, "--contracts", c}),
                        a + " was measured on NVIDIA H200 (h200, 132 SMs), " + b +
                            " on NVIDIA H100 80GB HBM3 (h100-sxm, 132 SMs)");
  expect_one_line_error(run_cli({"check", n, a, b, "--contracts", c}),
                        b + " was measured on NVIDIA H100 80GB HBM3 (h100-sxm, 132 SMs), " + a + " on NVIDIA H200");
  // Found by review: one name is not one GPU (`compare` warned where `check`
  // pooled): a MIG slice has fewer SMs, and a part without a peak key no key.
  flopscope::ResultsDoc slice = copy;
  slice.device->sm_count = 16;
  slice.device->gpu_key.clear();
  const std::string m = write_doc(f.dir, "slice.json", slice);
  expect_one_line_error(run_cli({"check", a, m, "--contracts", c}),
                        m + " was measured on NVIDIA H200 (16 SMs), " + a +
                            " on NVIDIA H200 (h200, 132 SMs)");

  // The same file twice, under any spelling, and one run in two files.
  expect_one_line_error(run_cli({"check", a, a, "--contracts", c}),
                        a + " is given twice (as '" + a + "'): give each results file once");
  expect_one_line_error(run_cli({"check", a, f.dir + "/./h200.json", "--contracts", c}), "is given twice");
  const std::string again = write_doc(f.dir, "again.json", h200);
  expect_one_line_error(run_cli({"check", a, again, "--contracts", c}),
                        again + ": the run gemm.cublas.bf16 m=8192 n=8192 k=8192 is also in " + a +
                            "; a run is checked once: keep it in one file");
}

TEST(GateCli, CheckBadInput) {
  Files f;
  const std::string malformed =
      write_text(f.dir, "c.txt", "# header\ngemm.cublas.bf16 : mfu >= 0.5\ngemm.cublas.bf16 : mfu > > 1\n");
  expect_one_line_error(run_cli({"check", f.base, "--contracts", malformed}),
                        "c.txt:3: expected a number or a metric");
  // A bound or a selector no run can meet is bad input (2), not a failure (1).
  const std::string never = write_text(f.dir, "never.txt", "# header\nmemory.copy.fp32 : time <= -1ms\n");
  expect_one_line_error(run_cli({"check", f.base, "--contracts", never}),
                        "never.txt:2: time is never negative, so 'time <= -1ms' can never hold");
  expect_one_line_error(run_cli({"check", f.base}), "--contracts");
  expect_one_line_error(run_cli({"check", f.base, "--contracts", f.dir + "/missing.txt"}),
                        "missing.txt");
  const std::string good = write_text(f.dir, "g.txt", "* : time > 0\n");
  expect_one_line_error(run_cli({"check", write_text(f.dir, "x.json", "[1, 2"), "--contracts", good}),
                        "x.json");
}

// ---- crosscheck: flopscope's counters beside ncu's (docs/crosscheck.md) --------

TEST(GateCli, CrosscheckExitCodes) {
  Files f;
  const std::string profile = write_doc(f.dir, "profile.json", flopscope::test::ncu_twin_profile());
  const std::string details = write_text(f.dir, "ncu.csv", flopscope::test::ncu_details_csv());
  auto ok = run_cli({"crosscheck", profile, "--ncu", details});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("PASS: 6 counters agree, over 3 kernel(s); 1 kernel(s) only in flopscope, 0 only in ncu"),
            std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find("void gemm_kernel<128>(float const*, float const*, float*, int, int, int)  (flopscope 2 "
                        "launches, ncu 2)"),
            std::string::npos)
      << ok.out;

  auto tight = run_cli({"crosscheck", profile, "--ncu", details, "--bytes-tolerance", "0.1"});
  EXPECT_EQ(tight.exit_code, 1) << tight.out;
  EXPECT_NE(tight.out.find("DIFFERS"), std::string::npos) << tight.out;

  // ncu printed function names only: instances pooled, and here they disagree.
  auto raw = run_cli({"crosscheck", profile, "--ncu", write_text(f.dir, "raw.csv", flopscope::test::ncu_raw_csv())});
  EXPECT_EQ(raw.exit_code, 1) << raw.out;
  EXPECT_NE(raw.out.find("note: kernels matched by function name"), std::string::npos) << raw.out;
}

// ncu's default units (`auto`) are scaled and rounded to about 3 digits
// ("1.57 Mbyte"), too coarse for the counts class's 0.1%: the ncu command of
// the docs and of the device check asks for base units.
TEST(GateCli, CrosscheckNcuCommandsAskForBaseUnits) {
  for (const char* file : {"/docs/crosscheck.md", "/scripts/device-check.sh"}) {
    const std::string text = flopscope::read_file(std::string(FLOPSCOPE_SOURCE_DIR) + file);
    EXPECT_NE(text.find("--csv --page raw --print-units base"), std::string::npos) << file;
  }
}

TEST(GateCli, CrosscheckBadInput) {
  Files f;
  const std::string profile = write_doc(f.dir, "profile.json", flopscope::test::ncu_twin_profile());
  const std::string details = write_text(f.dir, "ncu.csv", flopscope::test::ncu_details_csv());
  expect_one_line_error(run_cli({"crosscheck", profile}), "--ncu");
  expect_one_line_error(run_cli({"crosscheck", profile, "--ncu", f.dir + "/missing.csv"}), "missing.csv");
  expect_one_line_error(run_cli({"crosscheck", profile, "--ncu", profile}),
                        "profile.json is not an Nsight Compute CSV export");
  expect_one_line_error(run_cli({"crosscheck", f.base, "--ncu", details}), "no application kernel with raw counters");
  expect_one_line_error(run_cli({"crosscheck", profile, "--ncu", details, "--counts-tolerance", "-1"}),
                        "--counts-tolerance must be a percentage");
  // The value as %g: not 301 digits, and not "-0.000000", which reads as an allowed 0.
  expect_one_line_error(run_cli({"crosscheck", profile, "--ncu", details, "--counts-tolerance", "1e300"}),
                        "from 0 to 100, not 1e+300");
  expect_one_line_error(run_cli({"crosscheck", profile, "--ncu", details, "--bytes-tolerance", "-1e-7"}),
                        "from 0 to 100, not -1e-07");
  expect_one_line_error(run_cli({"crosscheck", profile, "--ncu", details, "--bytes-tolerance", "nan"}),
                        "--bytes-tolerance");
  // Hand-made: the sample cut mid-row (`head -c`), not a PASS without its last launch.
  const std::string whole = flopscope::test::ncu_details_csv();
  const std::string cut = write_text(f.dir, "cut.csv", whole.substr(0, whole.rfind("\"268.44\"") + 4));
  expect_one_line_error(run_cli({"crosscheck", profile, "--ncu", cut}),
                        "cut.csv: line 18: a quote is not closed: the file ends mid-row");
}

TEST(GateCli, CrosscheckModelFlops) {
  Files f;
  const std::string profile = write_doc(f.dir, "step.json", flopscope::test::model_twin_profile());
  const std::string model = write_text(f.dir, "torch.json", flopscope::test::model_flops_json());
  auto ok = run_cli({"crosscheck", profile, "--model-flops", model});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("counted/forward"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("note: no kernel was launched inside 'warmup'"), std::string::npos) << ok.out;

  expect_one_line_error(run_cli({"crosscheck", profile}), "give --ncu NCU.csv or --model-flops F");
  expect_one_line_error(run_cli({"crosscheck", profile, "--model-flops", model, "--ncu", model}), "excludes");
  // The tolerances are --ncu's: given with --model-flops, they would be ignored.
  expect_one_line_error(run_cli({"crosscheck", profile, "--model-flops", model, "--counts-tolerance", "1"}),
                        "excludes --counts-tolerance");
  expect_one_line_error(run_cli({"crosscheck", profile, "--model-flops", model, "--bytes-tolerance", "1"}),
                        "excludes --bytes-tolerance");
  // No range holds a counted launch: nothing compared, as --ncu with no counter in common.
  const std::string nope = R"({"schema": "flopscope.model-flops/1", "ranges": [{"nvtx": "nope", "flops": 1}]})";
  auto none = run_cli({"crosscheck", profile, "--model-flops", write_text(f.dir, "none.json", nope)});
  EXPECT_EQ(none.exit_code, 1) << none.out << none.err;
  EXPECT_NE(none.out.find("FAIL: no range holds a counted launch"), std::string::npos) << none.out;
  expect_one_line_error(run_cli({"crosscheck", profile, "--model-flops", profile}), "$.schema");
  expect_one_line_error(run_cli({"crosscheck", f.base, "--model-flops", model}), "these are benchmark runs");
  std::string twice = flopscope::test::model_flops_json();
  twice.replace(twice.find("\"warmup\""), 8, "\"counted\"");
  expect_one_line_error(run_cli({"crosscheck", profile, "--model-flops", write_text(f.dir, "twice.json", twice)}),
                        "twice.json: $.ranges[4].nvtx: 'counted' is listed already at $.ranges[0]");
}

// --flops-tolerance gates --model-flops: the sample's counted range is 5.0% under
// its model and counted/backward 7.4% under; forward is within 0.3%.
TEST(GateCli, CrosscheckModelFlopsTolerance) {
  Files f;
  const std::string profile = write_doc(f.dir, "step.json", flopscope::test::model_twin_profile());
  const std::string model = write_text(f.dir, "torch.json", flopscope::test::model_flops_json());
  // 'warmup' has model FLOPs and no launch in it (a misspelt path, or kernels
  // on a thread outside the range): nothing holds them, and the gate fails
  // (it passed with that range unchecked).
  auto loose = run_cli({"crosscheck", profile, "--model-flops", model, "--flops-tolerance", "8"});
  EXPECT_EQ(loose.exit_code, 1) << loose.out << loose.err;
  EXPECT_NE(loose.out.find("FAIL: 'warmup': model FLOPs 1, but no launch with counters in this range: nothing to "
                           "hold them to\n"),
            std::string::npos)
      << loose.out;
  std::string counted_only = flopscope::test::model_flops_json();
  counted_only.replace(counted_only.find(",\n    {\"nvtx\": \"warmup\""), std::string(",\n    {\"nvtx\": \"warmup\", \"flops\": 1}").size(), "");
  const std::string counted_model = write_text(f.dir, "counted.json", counted_only);
  auto pass = run_cli({"crosscheck", profile, "--model-flops", counted_model, "--flops-tolerance", "8"});
  EXPECT_EQ(pass.exit_code, 0) << pass.out << pass.err;
  EXPECT_NE(pass.out.find("PASS: every range with model FLOPs has counted launches within 8% of the model"),
            std::string::npos)
      << pass.out;
  auto tight = run_cli({"crosscheck", profile, "--model-flops", model, "--flops-tolerance", "6"});
  EXPECT_EQ(tight.exit_code, 1) << tight.out << tight.err;
  EXPECT_NE(tight.out.find("FAIL: 'counted/backward': hw/model 0.926 (-7.4%), beyond the 6% tolerance\n"),
            std::string::npos)
      << tight.out;
  EXPECT_EQ(tight.out.find("FAIL: 'counted':"), std::string::npos) << "5.0% is within 6%\n" << tight.out;
  auto tighter = run_cli({"crosscheck", profile, "--model-flops", model, "--flops-tolerance", "1"});
  EXPECT_EQ(tighter.exit_code, 1);
  EXPECT_NE(tighter.out.find("FAIL: 'counted': hw/model 0.950 (-5.0%)"), std::string::npos) << tighter.out;
  EXPECT_EQ(tighter.out.find("FAIL: 'counted/forward'"), std::string::npos) << tighter.out;
  EXPECT_EQ(tighter.out.find("FAIL: 'counted/optimizer'"), std::string::npos) << "no counted launch: not judged";
  expect_one_line_error(run_cli({"crosscheck", profile, "--model-flops", model, "--flops-tolerance", "101"}),
                        "--flops-tolerance must be a percentage from 0 to 100, not 101");
  expect_one_line_error(run_cli({"crosscheck", profile, "--ncu", model, "--flops-tolerance", "1"}), "excludes");
}
