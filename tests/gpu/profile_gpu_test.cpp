// `flopscope profile` on a GPU, against tests/gpu/profile_app.cu: every launch
// API, graphs, NVTX attribution, child processes, signals, exit codes, filters,
// and activity durations against CUDA event timing. Skipped (with the reason)
// where there is no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>

#include "cli/run_cli.h"
#include "flopscope/counter_file.h"
#include "flopscope/device.h"
#include "gpu/profile_app_shape.h"
#include "gpu/require_gpu.h"
#include "flopscope/results.h"

using flopscope::test::run_cli;

namespace {

struct Profiled {
  flopscope::test::CliResult cli;
  flopscope::ResultsDoc doc;
};

Profiled profile(std::vector<std::string> options, std::vector<std::string> app) {
  const std::string out = flopscope::test::temp_dir() + "/profile.json";
  std::vector<std::string> args{"profile", "--out", out};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back("--");
  args.push_back(FLOPSCOPE_PROFILE_APP);
  args.insert(args.end(), app.begin(), app.end());
  Profiled p;
  p.cli = run_cli(args);
  if (std::filesystem::exists(out)) p.doc = flopscope::read_results(out);
  return p;
}

int64_t launches(const flopscope::ResultsDoc& doc, const std::string& variant, const std::string& nvtx) {
  int64_t n = 0;
  for (const auto& r : doc.runs)
    if (r.variant == variant && r.nvtx == nvtx) n += r.launches;
  return n;
}

/// N from the note "N kernels have no duration: still running when the process
/// ended, ..." (profiler/cupti/inject_report.cpp), 0 when there is none.
int64_t still_running(const std::string& err) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex(R"((\d+) kernels have no duration: still running when the process ended)"))) return 0;
  return std::stoll(m[1].str());
}

/// The ranges of a `--counters` file evaluated on the host: one per launch
/// that was profiled with counters. Fails the test when the file is missing.
std::vector<flopscope::EvaluatedRange> counter_ranges(const std::string& path, const std::string& err) {
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << "no counter file " << path << "\n" << err;
    return {};
  }
  const flopscope::CounterFile f = flopscope::read_counter_file(path);
  EXPECT_EQ(f.dropped_ranges, 0u) << err;
  EXPECT_EQ(f.unsaved_ranges, 0u) << err;
  return flopscope::evaluate_counter_file(f);
}

using flopscope::test::kBusyKernelFlops;  // busy_kernel's FLOPs per launch (gpu/profile_app_shape.h)

bool is_busy_kernel(const flopscope::EvaluatedRange& r) {
  return r.range.kernel.find("busy_kernel") != std::string::npos;  // the symbol, mangled
}

}  // namespace

TEST(ProfileGpu, EveryLaunchApiGraphsNvtxAndCopies) {
  FLOPSCOPE_REQUIRE_GPU();
  const Profiled p = profile({}, {"all"});
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.err;
  ASSERT_TRUE(p.doc.device.has_value());
  EXPECT_EQ(launches(p.doc, "busy_kernel", "app/runtime"), 3) << p.cli.out;
  EXPECT_EQ(launches(p.doc, "busy_kernel", "app/driver"), 2) << p.cli.out;  // cuLaunchKernel + Ex
  EXPECT_EQ(launches(p.doc, "coop_kernel", "app/driver"), 1) << p.cli.out;
  // Graph kernels: 2 nodes x 2 launches, inside the start/end range opened after "app".
  EXPECT_EQ(launches(p.doc, "graph_kernel", "app/graph_phase"), 4) << p.cli.out;
  // The graph's copy and memset nodes, captured with cudaMemcpyAsync and
  // cudaMemsetAsync, run (and are timed) at each of its 2 launches.
  EXPECT_EQ(launches(p.doc, "memcpy_DtoD", "app/graph_phase"), 2) << p.cli.out;
  EXPECT_EQ(launches(p.doc, "memset", "app/graph_phase"), 2) << p.cli.out;
  EXPECT_EQ(launches(p.doc, "memcpy_HtoD", "app/copy_in"), 1) << p.cli.out;
  EXPECT_EQ(launches(p.doc, "memset", "app/copy_in"), 1) << p.cli.out;
  EXPECT_EQ(launches(p.doc, "memcpy_DtoH", "app"), 1) << p.cli.out;
  for (const auto& r : p.doc.runs) {
    EXPECT_GT(r.time_s.median, 0) << r.name;
    EXPECT_LE(r.time_s.p10, r.time_s.median) << r.name;
    EXPECT_LE(r.time_s.median, r.time_s.p90) << r.name;
    EXPECT_EQ(r.family, "app");
  }
  EXPECT_EQ(p.cli.err.find("dropped"), std::string::npos) << p.cli.err;
  EXPECT_EQ(p.cli.err.find("could not be matched"), std::string::npos) << p.cli.err;
  EXPECT_NE(p.cli.out.find("busy_kernel"), std::string::npos) << p.cli.out;
}

// profile_app switches to device 1 when there is one (the launches under "dev1").
TEST(ProfileGpu, SecondDeviceLaunchesAreAttributed) {
  FLOPSCOPE_REQUIRE_GPU();
  const size_t devices = flopscope::query_devices().size();
  if (devices < 2)
    GTEST_SKIP() << "needs a second GPU; " << devices << " visible here, so launches on device 1 are not checked";
  const Profiled p = profile({}, {"all"});
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.err;
  EXPECT_EQ(launches(p.doc, "busy_kernel", "app/dev1"), 2) << p.cli.out;
}

TEST(ProfileGpu, ChildProcessesAreProfiledAndMerged) {
  FLOPSCOPE_REQUIRE_GPU();
  const Profiled p = profile({}, {"child"});
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.err;
  EXPECT_EQ(launches(p.doc, "busy_kernel", "parent"), 2) << p.cli.out;
  EXPECT_EQ(launches(p.doc, "busy_kernel", "app/runtime"), 3) << p.cli.out;  // from the child
}

TEST(ProfileGpu, SigtermFlushesAndPassesOnTheSignal) {
  FLOPSCOPE_REQUIRE_GPU();
  const Profiled p = profile({}, {"sigterm"});
  EXPECT_EQ(p.cli.exit_code, 128 + 15) << p.cli.err;
  EXPECT_EQ(launches(p.doc, "busy_kernel", "sigterm"), 5) << p.cli.err;
  EXPECT_NE(p.cli.err.find("received signal 15"), std::string::npos) << p.cli.err;
}

TEST(ProfileGpu, FailingAppExitCodeAndWhatWasCollected) {
  FLOPSCOPE_REQUIRE_GPU();
  const Profiled p = profile({}, {"exit3"});
  EXPECT_EQ(p.cli.exit_code, 3) << p.cli.err;
  EXPECT_EQ(launches(p.doc, "busy_kernel", "exit3"), 5) << p.cli.err;
  EXPECT_NE(p.cli.err.find("exited with status 3"), std::string::npos) << p.cli.err;
}

TEST(ProfileGpu, ExitWithKernelsQueuedAndNoTeardown) {
  FLOPSCOPE_REQUIRE_GPU();
  const Profiled p = profile({}, {"nosync"});
  EXPECT_EQ(p.cli.exit_code, 0) << p.cli.err;
  // 5 launches (profile_app.cu, "nosync"). The first kernel finished long
  // before exit; each queued one either finished while the process exited or
  // is reported as still running, never lost silently.
  const int64_t seen = launches(p.doc, "busy_kernel", "");
  const int64_t running = still_running(p.cli.err);
  EXPECT_GE(seen, 1) << p.cli.err;
  EXPECT_LE(seen, 5) << p.cli.err;
  EXPECT_EQ(seen + running, 5) << seen << " timed, " << running << " still running\n" << p.cli.err;
}

TEST(ProfileGpu, Filters) {
  FLOPSCOPE_REQUIRE_GPU();
  Profiled p = profile({"--kernel-regex", "coop"}, {"all"});
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.err;
  ASSERT_EQ(p.doc.runs.size(), 1u) << p.cli.out;
  EXPECT_EQ(p.doc.runs[0].variant, "coop_kernel");
  EXPECT_EQ(p.doc.runs[0].launches, 1);

  // Only the three runtime launches; the copies and memset are outside "runtime".
  p = profile({"--nvtx-include", "runtime"}, {"all"});
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.err;
  ASSERT_EQ(p.doc.runs.size(), 1u) << p.cli.out;
  EXPECT_EQ(p.doc.runs[0].nvtx, "app/runtime");
  EXPECT_EQ(p.doc.runs[0].variant, "busy_kernel");
  EXPECT_EQ(p.doc.runs[0].launches, 3) << p.cli.out;

  p = profile({"--kernel-regex", "busy", "--launch-skip", "1", "--launch-count", "2"}, {"all"});
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.err;
  int64_t total = 0;
  for (const auto& r : p.doc.runs) total += r.launches;
  EXPECT_EQ(total, 2) << p.cli.out;
  EXPECT_EQ(launches(p.doc, "busy_kernel", "app/runtime"), 2) << p.cli.out;  // launches 2 and 3
}

namespace {

/// The one run's median activity duration against the time profile_app printed
/// after `key` (ms, CUDA events), within 2%; the kernel must run `min_s` or more.
void expect_activity_near_event_time(const Profiled& p, const std::string& key, double min_s) {
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.err;
  const size_t at = p.cli.out.find(key + " ");
  ASSERT_NE(at, std::string::npos) << p.cli.out;
  const double event_s = std::stod(p.cli.out.substr(at + key.size() + 1)) * 1e-3;
  ASSERT_GT(event_s, min_s) << "the kernel must run " << min_s << " s or more for this check";
  ASSERT_EQ(p.doc.runs.size(), 1u);
  const double activity_s = p.doc.runs[0].time_s.median;
  EXPECT_NEAR(activity_s, event_s, 0.02 * event_s) << "activity " << activity_s << " s, events " << event_s << " s";
}

}  // namespace

TEST(ProfileGpu, ActivityDurationsMatchEventTimingWithin2Percent) {
  FLOPSCOPE_REQUIRE_GPU();
  expect_activity_near_event_time(profile({}, {"timed", "30"}), "event_ms", 1e-3);
}

// The issue asks for 2% from 100 us up. One event pair per launch cannot show
// it at 275 us: on the H200 the pair added ~11 us (3.8%) to each launch
// (bench/results/h200/2026-11-30). Around 50 back-to-back launches the pair's
// cost is shared, leaving the gaps between kernels. Not yet run on a GPU.
TEST(ProfileGpu, ActivityDurationsMatchBackToBackEventTimingFrom100us) {
  FLOPSCOPE_REQUIRE_GPU();
  const Profiled p = profile({}, {"back_to_back", "50"});
  expect_activity_near_event_time(p, "event_ms_per_launch", 100e-6);
  if (!p.doc.runs.empty()) {
    EXPECT_EQ(p.doc.runs[0].launches, 51);  // the warm-up too
  }
}

// --set flops: the kept launches are replayed by the range profiler, each
// with kBusyKernelFlops. The results hold the mean over the launches that got
// counters, which one launch alone would satisfy: the --counters file has
// one range per profiled launch, so it says that all three got them.
TEST(ProfileGpu, CountersForKeptLaunches) {
  FLOPSCOPE_REQUIRE_GPU();
  const std::string counters = flopscope::test::temp_dir() + "/kept.fscounters";
  const Profiled p = profile(
      {"--set", "flops", "--kernel-regex", "busy", "--nvtx-include", "runtime", "--counters", counters}, {"all"});
  FLOPSCOPE_SKIP_IF_COUNTERS_RESTRICTED(p.cli.err);
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.err;
  ASSERT_EQ(p.doc.runs.size(), 1u) << p.cli.out << p.cli.err;
  const auto& r = p.doc.runs[0];
  EXPECT_EQ(r.variant, "busy_kernel");
  EXPECT_EQ(r.nvtx, "app/runtime");
  EXPECT_EQ(r.launches, 3);
  ASSERT_TRUE(r.hw && r.hw->flops_by_pipe.count("fp32")) << p.cli.err;
  EXPECT_DOUBLE_EQ(r.hw->flops_by_pipe.at("fp32"), kBusyKernelFlops) << p.cli.err;
  // Only the kept launches are profiled: three ranges, all of them busy_kernel.
  const auto ranges = counter_ranges(counters, p.cli.err);
  ASSERT_EQ(ranges.size(), 3u) << p.cli.err;
  for (const auto& e : ranges) {
    SCOPED_TRACE("range of launch " + std::to_string(e.range.launch));
    EXPECT_TRUE(is_busy_kernel(e)) << e.range.kernel;
    EXPECT_EQ(e.range.nvtx, "app/runtime");
    ASSERT_TRUE(e.hw.flops_by_pipe.count("fp32"));
    EXPECT_DOUBLE_EQ(e.hw.flops_by_pipe.at("fp32"), kBusyKernelFlops);
  }
  EXPECT_TRUE(r.derived.tflops_hw.has_value());
  EXPECT_NE(p.cli.out.find("HFU%"), std::string::npos) << p.cli.out;
  // Every kept launch got counters, not just the first (each batch after the
  // first re-runs SetConfig): a failing Start/Stop would leave this note and
  // still exit 0.
  EXPECT_EQ(p.cli.err.find("counter collection stopped"), std::string::npos) << p.cli.err;
}

// A launch the driver refuses (bad configuration) submits no replay pass: that
// must cost that launch only, not switch counters off for every later one.
// The three good launches each have a range in the --counters file (the
// results' mean would pass with one of them).
TEST(ProfileGpu, ARefusedLaunchKeepsCountersOn) {
  FLOPSCOPE_REQUIRE_GPU();
  const std::string counters = flopscope::test::temp_dir() + "/badlaunch.fscounters";
  const Profiled p = profile({"--set", "flops", "--counters", counters}, {"badlaunch"});
  FLOPSCOPE_SKIP_IF_COUNTERS_RESTRICTED(p.cli.err);
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.out << p.cli.err;
  // Which error the application saw: on the H200, cudaErrorInvalidValue under
  // the range profiler, where the driver alone says cudaErrorInvalidConfiguration.
  const size_t said = p.cli.err.find("badlaunch: refused with ");
  ASSERT_NE(said, std::string::npos) << p.cli.err;
  std::printf("%s\n", p.cli.err.substr(said, p.cli.err.find('\n', said) - said).c_str());
  EXPECT_EQ(p.cli.err.find("counter collection stopped"), std::string::npos) << p.cli.err;
  EXPECT_EQ(launches(p.doc, "busy_kernel", ""), 3) << p.cli.out;  // the refused launch never ran
  int64_t busy_ranges = 0;
  for (const auto& e : counter_ranges(counters, p.cli.err)) {
    if (!is_busy_kernel(e)) continue;
    ++busy_ranges;
    ASSERT_TRUE(e.hw.flops_by_pipe.count("fp32")) << "launch " << e.range.launch;
    EXPECT_DOUBLE_EQ(e.hw.flops_by_pipe.at("fp32"), kBusyKernelFlops) << "launch " << e.range.launch;
  }
  EXPECT_EQ(busy_ranges, 3) << p.cli.err;
}

// --set flops on the launches made inside a stream capture (graph_kernel, two
// `<<<>>>` launches captured, then the graph replayed): the application's
// capture must survive (cudaStreamEndCapture, graph launch) and it exits 0.
// Timing only: the two `<<<>>>` launches made under stream capture run
// nothing then and must take no --launch-count place; the graph's 4 kernels
// (2 replays) are counted in arrival order, so 3 are kept. Were the captures
// not detected (a wrong __cudaLaunchKernel parameter layout), they would take
// two places and leave one. The note names the 2 captured launches (the
// captured copy and memset are not launches).
TEST(ProfileGpu, CapturedLaunchesTakeNoLaunchCountPlace) {
  FLOPSCOPE_REQUIRE_GPU();
  const Profiled p = profile({"--set", "timing", "--kernel-regex", "graph_kernel", "--launch-count", "3"}, {"all"});
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.out << p.cli.err;
  EXPECT_EQ(launches(p.doc, "graph_kernel", "app/graph_phase"), 3) << p.cli.out << p.cli.err;
  EXPECT_NE(p.cli.err.find("2 launches were captured into CUDA graphs"), std::string::npos) << p.cli.err;
}

// busy_kernel is kept too: its 5 launches before the capture (3 runtime, 2
// driver) get counters, so the run had a live counter session when the
// capture began (graph_kernel alone gets none: its direct launches are all
// captured, and graph replays are timed only).
TEST(ProfileGpu, CountersDoNotBreakStreamCapture) {
  FLOPSCOPE_REQUIRE_GPU();
  const std::string counters = flopscope::test::temp_dir() + "/capture.fscounters";
  const Profiled p =
      profile({"--set", "flops", "--kernel-regex", "graph_kernel|busy_kernel", "--counters", counters}, {"all"});
  FLOPSCOPE_SKIP_IF_COUNTERS_RESTRICTED(p.cli.err);
  ASSERT_EQ(p.cli.exit_code, 0) << p.cli.out << p.cli.err;
  EXPECT_EQ(launches(p.doc, "graph_kernel", "app/graph_phase"), 4) << p.cli.out << p.cli.err;
  // The captured `<<<>>>` launches (CUDA 13: __cudaLaunchKernel) were seen as
  // captured and left alone, not profiled in a window where nothing runs.
  EXPECT_NE(p.cli.err.find("under CUDA graph capture were timed without counters"), std::string::npos) << p.cli.err;
  EXPECT_EQ(p.cli.err.find("counter collection stopped"), std::string::npos) << p.cli.err;
  int64_t busy_ranges = 0;  // on the first GPU: app/runtime and app/driver
  for (const auto& e : counter_ranges(counters, p.cli.err)) {
    if (!is_busy_kernel(e) || (e.range.nvtx != "app/runtime" && e.range.nvtx != "app/driver")) continue;
    ++busy_ranges;
    ASSERT_TRUE(e.hw.flops_by_pipe.count("fp32")) << "launch " << e.range.launch;
    EXPECT_DOUBLE_EQ(e.hw.flops_by_pipe.at("fp32"), kBusyKernelFlops) << "launch " << e.range.launch;
  }
  EXPECT_EQ(busy_ranges, 5) << p.cli.err;
}
