// `flopscope metrics` and `flopscope report` on raw counter files, through the
// built binary. No GPU needed.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

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
}

TEST(MetricsCli, BadInputIsOneLineExit2) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"metrics", "--chip", "H200"},
           {"metrics", "--chip", "GH100", "--set", "everything"},
           {"metrics", "--chip", "GH100", "--tensor", "fp16,int3"}}) {
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

  // Not a CUPTI image: exit 2, one line, no crash.
  f.counter_images = {std::vector<uint8_t>(1000, 7)};
  f.ranges = {{"k", "", "0", 0, 0, 0}};
  flopscope::write_counter_file(dir + "/garbage.fscounters", f);
  r = run_cli({"report", dir + "/garbage.fscounters"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("not a valid CUPTI counter-data image"), std::string::npos) << r.err;

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
