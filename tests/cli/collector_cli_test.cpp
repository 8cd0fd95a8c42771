// `flopscope metrics`, `report` and `crosscheck` on raw counter files, and the
// --counters options of bench and profile, through the built binary. No GPU
// needed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/run_cli.h"
#include "flopscope/counter_file.h"

using flopscope::test::run_cli;

namespace {

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

flopscope::CounterFile plan_file() {
  using namespace flopscope;
  const MetricPlan plan = build_metric_plan("GH100", MetricSet::roofline, {"bf16"});
  CounterFile f;
  f.chip = plan.chip;
  f.set = "roofline";
  f.metrics = plan.metrics;
  f.quantities = plan.quantities;
  f.config_image = plan.config_image;
  return f;
}

}  // namespace

TEST(MetricsCli, PrintsPlanAndPasses) {
  const auto r = run_cli({"metrics", "--chip", "GH100", "--set", "roofline", "--tensor", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("chip GH100, set roofline, tensor none"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 replay passes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2.0*sm__sass_thread_inst_executed_op_ffma_pred_on.sum"), std::string::npos);
  EXPECT_NE(r.out.find("dram__bytes_read.sum"), std::string::npos);
}

// The sets that count no FLOPs print their plan: --tensor's default is simply
// unused there (an explicit --tensor is refused, BadInputIsOneLineExit2).
TEST(MetricsCli, TimingAndBytesSetsPrintTheirPlans) {
  for (const char* set : {"timing", "bytes"}) {
    const auto r = run_cli({"metrics", "--chip", "GH100", "--set", set});
    EXPECT_EQ(r.exit_code, 0) << set << ": " << r.err;
    EXPECT_NE(r.out.find("1 replay pass"), std::string::npos) << r.out;
  }
}

TEST(MetricsCli, Json) {
  const auto r = run_cli({"metrics", "--chip", "GA100", "--set", "flops", "--tensor", "fp16,fp8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["chip"], "GA100");
  EXPECT_GE(j["passes"].get<int>(), 1);
  bool fp8_missing = false;
  for (const auto& q : j["quantities"])
    if (q["key"] == "flops.fp8_tensor") fp8_missing = !q["available"].get<bool>();
  EXPECT_TRUE(fp8_missing);
  EXPECT_FALSE(j["notes"].empty());
}

TEST(MetricsCli, ListChips) {
  const auto r = run_cli({"metrics", "--list-chips"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_GE(lines(r.out), 30);
  // --json was ignored here: text went to a JSON reader.
  const auto j = run_cli({"metrics", "--list-chips", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto chips = nlohmann::json::parse(j.out);
  ASSERT_TRUE(chips.is_array());
  EXPECT_EQ(int(chips.size()), lines(r.out));
  EXPECT_NE(std::find(chips.begin(), chips.end(), "GH100"), chips.end());
}

TEST(MetricsCli, BadInputIsOneLineExit2) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"metrics", "--chip", "H200"},
           {"metrics", "--chip", "GH100", "--set", "everything"},
           {"metrics", "--chip", "GH100", "--set", "none", "--tensor", "bf16"},
           {"metrics", "--chip", "GH100", "--tensor", "fp16,int3"},
           // options the command would drop without a word
           {"metrics", "--chip", "GH100", "--set", "timing", "--tensor", "fp16"},
           {"metrics", "--chip", "GH100", "--set", "bytes", "--tensor", "bf16"},
           {"metrics", "--list-chips", "--chip", "GH100"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  // Without --chip the chip comes from GPU 0; without a GPU that is bad usage.
  const auto r = run_cli({"metrics"});
  if (r.exit_code == 0) {
    EXPECT_NE(r.out.find("replay pass"), std::string::npos) << r.out;  // a GPU is here
  } else {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--chip"), std::string::npos) << r.err;
  }
  // The unknown-chip line lists the chips.
  EXPECT_NE(run_cli({"metrics", "--chip", "H200"}).err.find("GH100"), std::string::npos);
}

TEST(ReportCli, CounterFiles) {
  const std::string dir = flopscope::test::temp_dir();
  flopscope::CounterFile f = plan_file();
  flopscope::DeviceInfo d;
  d.name = "NVIDIA H200";
  d.gpu_key = "h200";
  f.device = d;
  flopscope::write_counter_file(dir + "/empty.fscounters", f);
  auto r = run_cli({"report", dir + "/empty.fscounters"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("NVIDIA H200"), std::string::npos) << r.out;

  EXPECT_EQ(r.err.find("dropped"), std::string::npos) << r.err;

  // A partial recording says so: its totals cover only what it holds.
  f.dropped_ranges = 2;
  f.unsaved_ranges = 3;
  f.unreadable_ranges = 1;
  flopscope::write_counter_file(dir + "/partial.fscounters", f);
  r = run_cli({"report", dir + "/partial.fscounters"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("partial.fscounters: while recording, 2 ranges dropped by CUPTI (a counter image was "
                       "full), 3 ranges not saved (the file reached its size limit), 1 range left out (a counter "
                       "read NaN, an infinity or below 0); its figures cover the 0 ranges it holds"),
            std::string::npos)
      << r.err;
  f.unsaved_ranges = f.unreadable_ranges = 0;  // only the counts that are not 0 are named
  flopscope::write_counter_file(dir + "/dropped.fscounters", f);
  r = run_cli({"report", dir + "/dropped.fscounters"});
  EXPECT_NE(r.err.find("dropped.fscounters: while recording, 2 ranges dropped by CUPTI (a counter image was full); "
                       "its figures cover the 0 ranges it holds"),
            std::string::npos)
      << r.err;
  f.dropped_ranges = f.unsaved_ranges = f.unreadable_ranges = 0;

  // Not a CUPTI image: exit 2, one line, no crash.
  f.counter_images = {std::vector<uint8_t>(1000, 7)};
  f.ranges = {{"k", "", "0", 0, 0, 0, {}}};
  flopscope::write_counter_file(dir + "/garbage.fscounters", f);
  r = run_cli({"report", dir + "/garbage.fscounters"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("garbage.fscounters: counter image 0 is not a valid CUPTI counter-data image"),
            std::string::npos)
      << r.err;

  // Truncated and corrupted: exit 2, one line naming the file.
  const std::string bytes = flopscope::serialize_counter_file(f);
  flopscope::write_file_atomic(dir + "/cut.fscounters", bytes.substr(0, bytes.size() / 2));
  r = run_cli({"report", dir + "/cut.fscounters"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("cut.fscounters: truncated"), std::string::npos) << r.err;
  std::string bad = bytes;
  bad[bytes.size() / 3] ^= 1;
  flopscope::write_file_atomic(dir + "/bad.fscounters", bad);
  r = run_cli({"report", dir + "/bad.fscounters"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("corrupted"), std::string::npos) << r.err;
}

namespace {

void expect_bad_input(const flopscope::test::CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

bool dir_is_empty(const std::string& dir) {
  return std::filesystem::is_empty(dir);
}

}  // namespace

// bench --counters: refused before any work (in every build, GPU or not), and
// nothing is left behind.
TEST(BenchCountersCli, BadInputFailsFirst) {
  const std::string dir = flopscope::test::temp_dir();
  const std::string f = dir + "/run.fscounters";
  for (const auto& metrics : std::vector<std::vector<std::string>>{{}, {"--metrics", "none"}})  {
    std::vector<std::string> args{"bench", "--kernel", "gemm.naive.fp32", "--counters", f};
    args.insert(args.end(), metrics.begin(), metrics.end());
    expect_bad_input(run_cli(args), "--counters needs hardware counters: add --metrics");
  }
  expect_bad_input(run_cli({"bench", "--replay", "user"}),
                   "--replay user replays runs for hardware counters: add --metrics");
  expect_bad_input(run_cli({"bench", "--metrics", "flops", "--replay", "application"}), "--replay");
  expect_bad_input(run_cli({"bench", "--metrics", "flops", "--ranges-per-image", "1"}),
                   "--ranges-per-image sizes the raw counter file's images: add --counters FILE");
  for (const char* bad : {"0", "-1", "x"})
    expect_bad_input(run_cli({"bench", "--metrics", "flops", "--counters", f, "--ranges-per-image", bad}),
                     "--ranges-per-image");
  expect_bad_input(run_cli({"bench", "--metrics", "flops", "--counters", dir + "/no/such/dir/x.fscounters"}),
                   "does not exist");
  expect_bad_input(run_cli({"bench", "--metrics", "flops", "--counters", dir}), "not a regular file");
  expect_bad_input(run_cli({"bench", "--metrics", "flops", "--out", f, "--counters", f}), "the same file as the output");
  expect_bad_input(run_cli({"bench", "--metrics", "flops", "--out", dir + "/./x", "--counters", dir + "//x"}),
                   "the same file as the output");
  EXPECT_TRUE(dir_is_empty(dir));
  // Distinct outputs pass these checks (and then need kernels and a GPU).
  const auto ok = run_cli({"bench", "--kernel", "gemm.naive.fp32", "--shape", "tiny", "--metrics", "flops", "--out",
                           dir + "/r.json", "--counters", f});
  EXPECT_EQ(ok.err.find("--counters"), std::string::npos) << ok.err;
  EXPECT_EQ(ok.err.find("the same file"), std::string::npos) << ok.err;
  EXPECT_TRUE(dir_is_empty(dir) || ok.exit_code == 0) << ok.err;
}

// profile --counters: needs --set bytes, flops or roofline, and --tensor flops or roofline;
// checked before the application runs.
TEST(ProfileCountersCli, BadInputFailsBeforeTheApplicationRuns) {
  const std::string dir = flopscope::test::temp_dir();
  const std::string f = dir + "/app.fscounters", marker = dir + "/ran";
  const std::vector<std::string> app{"--", "/bin/sh", "-c", "touch '" + marker + "'"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), app.begin(), app.end());
    return run_cli(args);
  };
  expect_bad_input(with({"profile", "--counters", f}), "--counters needs hardware counters: add --set bytes");
  expect_bad_input(with({"profile", "--set", "timing", "--counters", f}), "--set bytes");
  expect_bad_input(with({"profile", "--set", "bytes", "--tensor", "bf16"}), "add --set flops or --set roofline");
  expect_bad_input(with({"profile", "--set", "flops", "--counters", dir + "/no/such/x"}), "does not exist");
  expect_bad_input(with({"profile", "--set", "roofline", "--out", f, "--counters", f}), "the same file as the output");
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_TRUE(dir_is_empty(dir));
}

namespace {

// What the injection library leaves in FLOPSCOPE_PROFILE_DIR, written by a
// stand-in application (the real one needs a GPU): raw counter files for two
// processes, one with two contexts, and a status file.
std::vector<std::string> fake_app(const std::string& first, const std::string& second, const std::string& third) {
  return {"--", "/bin/sh", "-c",
          "test \"$FLOPSCOPE_PROFILE_COUNTERS\" = 1 || exit 9; d=\"$FLOPSCOPE_PROFILE_DIR\"; "
          "cp \"$1\" \"$d/flopscope-101.fscounters\" && cp \"$2\" \"$d/flopscope-101-1.fscounters\" && "
          "cp \"$3\" \"$d/flopscope-7.fscounters\" && "
          "printf 'flopscope-inject-status 1\\npid 101\\nstate exit\\n' > \"$d/flopscope-101.status\"",
          "sh", first, second, third};
}

flopscope::CounterFile with_ranges(const std::string& kernel, uint8_t fill, size_t n) {
  flopscope::CounterFile f = plan_file();
  f.counter_images = {std::vector<uint8_t>(100 + n, fill)};
  for (size_t i = 0; i < n; ++i) f.ranges.push_back({kernel, "step", std::to_string(i), 0, uint32_t(i), i, {}});
  return f;
}

}  // namespace

// The CLI collects each process's files: merged into one file, or copied into a
// directory as <pid>[-<n>].fscounters, byte for byte.
TEST(ProfileCountersCli, CollectsTheProcessesFiles) {
  const std::string in = flopscope::test::temp_dir();
  const std::vector<std::string> parts{in + "/a", in + "/b", in + "/c"};
  flopscope::write_counter_file(parts[0], with_ranges("a", 1, 2));
  flopscope::write_counter_file(parts[1], with_ranges("b", 2, 1));
  flopscope::write_counter_file(parts[2], with_ranges("c", 3, 3));

  const std::string out = flopscope::test::temp_dir();
  std::vector<std::string> args{"profile", "--set", "flops", "--counters", out + "/app.fscounters"};
  for (const auto& a : fake_app(parts[0], parts[1], parts[2])) args.push_back(a);
  auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("wrote raw counters: " + out + "/app.fscounters"), std::string::npos) << r.err;
  const flopscope::CounterFile m = flopscope::read_counter_file(out + "/app.fscounters");
  ASSERT_EQ(m.counter_images.size(), 3u);
  ASSERT_EQ(m.ranges.size(), 6u);
  // By pid, then context: 7 first, then 101 and 101-1.
  EXPECT_EQ(m.ranges[0].kernel, "c");
  EXPECT_EQ(m.ranges[3].kernel, "a");
  EXPECT_EQ(m.ranges[3].image, 1u);
  EXPECT_EQ(m.ranges[5].kernel, "b");
  EXPECT_EQ(m.ranges[5].image, 2u);
  EXPECT_EQ(m.counter_images[2], std::vector<uint8_t>(101, 2));

  // Into an existing directory: one file per process and context.
  const std::string dir = flopscope::test::temp_dir();
  args[4] = dir;
  r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(flopscope::read_file(dir + "/101.fscounters"), flopscope::read_file(parts[0]));
  EXPECT_EQ(flopscope::read_file(dir + "/101-1.fscounters"), flopscope::read_file(parts[1]));
  EXPECT_EQ(flopscope::read_file(dir + "/7.fscounters"), flopscope::read_file(parts[2]));
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 3u);

  // Two metric plans cannot share one file: bad input that says to give a directory.
  flopscope::CounterFile other = with_ranges("d", 4, 1);
  other.chip = "GA100";
  flopscope::write_counter_file(parts[2], other);
  const std::string out2 = flopscope::test::temp_dir();
  args[4] = out2 + "/app.fscounters";
  r = run_cli(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("directory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("7.fscounters"), std::string::npos) << r.err;
  EXPECT_TRUE(dir_is_empty(out2));

  // No counter file written by any process: said so, nothing written, exit unchanged.
  r = run_cli({"profile", "--set", "flops", "--counters", out2 + "/none.fscounters", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, flopscope::test::profile_exit_without_cuda()) << r.err;
  EXPECT_NE(r.err.find("no counter file written"), std::string::npos) << r.err;
  EXPECT_TRUE(dir_is_empty(out2));
}

// crosscheck takes a `bench --counters` file too, its launches folded per
// kernel: a bench results file sums them per run and is refused. An H200
// fixture against an ncu raw page holding its own values passes, and one whose
// FFMA count is 1% off fails on that counter.
TEST(CrosscheckCli, ABenchCounterFileIsComparedPerKernel) {
  using namespace flopscope;
  const std::string fixture =
      std::string(FLOPSCOPE_FIXTURES_DIR) + "/counters/h200/gemm_naive_fp32_256x192x128.fscounters";
  const std::vector<EvaluatedRange> ranges = evaluate_counter_file(read_counter_file(fixture));
  ASSERT_FALSE(ranges.empty());
  ASSERT_FALSE(ranges[0].range.run.id.empty()) << "not a bench counter file";
  const std::string kernel = ranges[0].range.kernel;
  ASSERT_FALSE(kernel.empty());
  // The fixture's set is flops: instruction counts, no bytes.
  const char* ffma = "sm__sass_thread_inst_executed_op_ffma_pred_on.sum";
  const char* fadd = "sm__sass_thread_inst_executed_op_fadd_pred_on.sum";
  double ffma_sum = 0, fadd_sum = 0;
  for (const EvaluatedRange& r : ranges) {
    ASSERT_EQ(r.range.kernel, kernel);
    ASSERT_TRUE(r.hw.metrics.count(ffma) && r.hw.metrics.count(fadd));
    ffma_sum += r.hw.metrics.at(ffma);
    fadd_sum += r.hw.metrics.at(fadd);
  }
  ASSERT_GT(ffma_sum, 0);
  const double n = double(ranges.size());
  auto ncu_csv = [&](double ffma_scale) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(0)
      << R"("ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size",)"
      << R"("Grid Size","Device","CC",")" << fadd << "\",\"" << ffma << "\"\n"
      << R"("","","","","","","","","","","","inst","inst")" << "\n";
    for (int id : {0, 1})  // two launches, each at the fixture's mean
      s << '"' << id << R"(","1","flopscope","host",")" << kernel
        << R"csv(","1","7","(256, 1, 1)","(48, 1, 1)","0","9.0",")csv" << fadd_sum / n << "\",\""
        << ffma_sum / n * ffma_scale << "\"\n";
    return s.str();
  };
  const std::string dir = test::temp_dir();
  const std::string same = dir + "/same.csv", off = dir + "/off.csv";
  std::ofstream(same) << ncu_csv(1.0);
  std::ofstream(off) << ncu_csv(1.01);
  const auto ok = run_cli({"crosscheck", fixture, "--ncu", same});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("PASS"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("ncu 2"), std::string::npos) << ok.out;
  const auto differs = run_cli({"crosscheck", fixture, "--ncu", off});
  EXPECT_EQ(differs.exit_code, 1) << differs.out << differs.err;
  EXPECT_NE(differs.out.find(ffma), std::string::npos) << differs.out;
  EXPECT_NE(differs.out.find("DIFFERS"), std::string::npos) << differs.out;
}
