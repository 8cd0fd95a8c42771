// `flopscope ceilings` on a GPU (label gpu; skipped with the reason where
// there is none): every benchmark runs, its figures are plausible against the
// datasheet, and the CLI writes them to peaks.measured.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "ceilings/ceilings.h"
#include "cli/run_cli.h"
#include "cuda_archs.h"
#include "flopscope/device.h"
#include "flopscope/error.h"
#include "flopscope/results.h"
#include "gpu/require_gpu.h"

using namespace flopscope;
using namespace flopscope::ceilings;

namespace {

/// The least fraction of its datasheet figure a benchmark may reach before it
/// counts as broken rather than slow: CUDA-core FMAs, wgmma and DRAM reach most
/// of theirs; mma.sync on Hopper issues through the older path and reaches
/// only part of the tensor cores' dense rate (docs/ceilings.md).
double datasheet_floor(const BenchInfo& b) {
  const std::string id = b.id;
  if (id.find("mma_sync") != std::string::npos) return 0.25;
  return 0.5;
}

}  // namespace

TEST(CeilingsGpu, QuickRunMeasuresEveryCeiling) {
  FLOPSCOPE_REQUIRE_GPU();
  const DeviceInfo d = query_devices().front();
  // A GPU the peak tables know must have its datasheet figures to compare with.
  PeakTable ds;
  const bool have_datasheet = !d.gpu_key.empty();
  if (have_datasheet) ds = peaks_for_device(d);
  int ran = 0, unmeasured_sm90a = 0;

  RunOptions o;
  o.quick = true;
  const std::vector<Measurement> ms = run_ceilings(o);
  ASSERT_EQ(ms.size(), all_benches().size());
  const bool hopper = d.cc_major == 9 && d.cc_minor == 0;
  for (const Measurement& m : ms) {
    const BenchInfo& b = info(m.bench);
    SCOPED_TRACE(b.id);
    EXPECT_TRUE(m.failed.empty()) << "failed: " << m.failed;
    if (!m.ran) {
      EXPECT_TRUE(b.needs_sm90a) << "skipped: " << m.skipped;
      // On compute capability 9.0 a build with sm_90a code must run it.
      if (hopper) {
        EXPECT_FALSE(flopscope::test::configured_sm90a(FLOPSCOPE_CUDA_ARCHS)) << "an sm_90 GPU and sm_90a code, yet skipped: " << m.skipped;
        EXPECT_NE(m.skipped.find("no sm_90a code"), std::string::npos) << m.skipped;
      }
      ++unmeasured_sm90a;
      continue;
    }
    ++ran;
    ASSERT_FALSE(m.times_s.empty());
    EXPECT_GT(m.work, 0);
    EXPECT_LE(m.best_s(), m.median_s());
    EXPECT_GT(m.median_s(), 1e-4) << "launches far shorter than planned";
    // Every FLOP and DRAM ceiling is held against its datasheet figure (L2 and
    // shared memory have none): no pipe beats it by much (boost clocks aside),
    // and far below it means the benchmark is broken, not the GPU.
    if (have_datasheet && (b.target == Target::flops || b.target == Target::dram)) {
      const std::optional<double> v = table_value(ds, b);
      ASSERT_TRUE(v.has_value()) << "no datasheet " << b.peak_key << " for " << d.name;
      EXPECT_LT(m.median_rate(), 1.25 * *v) << m.median_rate() << " vs datasheet " << *v;
      EXPECT_GT(m.median_rate(), datasheet_floor(b) * *v) << m.median_rate() << " vs datasheet " << *v;
    }
    if (b.target == Target::flops) {
      ASSERT_TRUE(m.sm_clock_mhz.has_value());
      EXPECT_GT(*m.sm_clock_mhz, 100);
      EXPECT_LT(*m.sm_clock_mhz, 4000);
    }
  }
  EXPECT_GT(ran, 0) << "no ceiling benchmark ran";
  const PeakTable t = to_peak_table(ms, d.name, "2026-01-01");
  EXPECT_GT(t.flops_per_s.at("fp32"), 0);
  EXPECT_GT(t.dram_bytes_per_s, 0);
  EXPECT_GT(t.l2_bytes_per_s, t.dram_bytes_per_s) << "L2 should be faster than DRAM";
  EXPECT_GT(t.l1_bytes_per_s, t.l2_bytes_per_s) << "shared memory should be faster than L2";
  // Everything else was checked; say, as a skip the summary lists, what was
  // not: sm_90a ceilings this build or GPU cannot run, and datasheet bounds.
  std::string unchecked;
  if (unmeasured_sm90a > 0)
    unchecked = std::to_string(unmeasured_sm90a) +
                " sm_90a ceilings not measured (no sm_90 GPU, or a build without sm_90a code)";
  if (!have_datasheet)
    unchecked += std::string(unchecked.empty() ? "" : "; ") + "datasheet bounds not checked: '" + d.name + "' (" +
                 std::to_string(d.sm_count) +
                 " SMs) is no product in the peak database (a MIG slice, a cut-down part or a GPU it lacks)";
  if (!unchecked.empty()) GTEST_SKIP() << unchecked << "; the rest was checked";
}

TEST(CeilingsGpu, CliWritesMeasuredPeaks) {
  FLOPSCOPE_REQUIRE_GPU();
  const std::string path = flopscope::test::temp_dir() + "/ceilings.json";
  auto r = flopscope::test::run_cli({"ceilings", "--quick", "--out", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fp32.ffma"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("median"), std::string::npos) << r.out;
  const ResultsDoc doc = read_results(path);
  ASSERT_TRUE(doc.peaks.measured.has_value());
  EXPECT_EQ(doc.peaks.measured->source.rfind("measured: flopscope ceilings on ", 0), 0u)
      << doc.peaks.measured->source;
  EXPECT_GT(doc.peaks.measured->flops_per_s.at("bf16_tensor"), 0);
  EXPECT_GT(doc.peaks.measured->dram_bytes_per_s, 0);
  ASSERT_TRUE(doc.device.has_value());
}

// The process that goes on after a fault (`--resumed`) runs just its ids,
// prints no table and hands back its measurements in the file (the fault
// itself cannot be provoked on purpose; docs/ceilings.md).
TEST(CeilingsGpu, ResumedProcessRunsJustItsIdsAndHandsThemBack) {
  FLOPSCOPE_REQUIRE_GPU();
  const std::string path = flopscope::test::temp_dir() + "/measurements.json";
  auto r = flopscope::test::run_cli(
      {"ceilings", "--resumed", "--quick", "--ids", "dram.read,fp32.ffma", "--measurements", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "") << "the first process prints the table";
  EXPECT_NE(r.err.find("ceilings: measuring dram.read"), std::string::npos) << r.err;
  const std::vector<Measurement> ms = measurements_from_json(read_file(path), path);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].bench, Bench::fp32_ffma);  // all_benches() order
  EXPECT_EQ(ms[1].bench, Bench::dram_read);
  for (const Measurement& m : ms) {
    EXPECT_TRUE(m.ran) << info(m.bench).id << ": " << m.skipped << m.failed;
    EXPECT_GT(m.median_rate(), 0);
  }
}
