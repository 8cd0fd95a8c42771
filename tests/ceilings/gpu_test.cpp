// `flopscope ceilings` on a GPU (label gpu; skipped with the reason where
// there is none): every benchmark runs, its figures are plausible against the
// datasheet, and the CLI writes them to peaks.measured.
#include <gtest/gtest.h>

#include <string>

#include "ceilings/ceilings.h"
#include "cli/run_cli.h"
#include "flopscope/device.h"
#include "flopscope/error.h"
#include "flopscope/results.h"
#include "gpu/require_gpu.h"

using namespace flopscope;
using namespace flopscope::ceilings;

TEST(CeilingsGpu, QuickRunMeasuresEveryCeiling) {
  FLOPSCOPE_REQUIRE_GPU();
  const DeviceInfo d = query_devices().front();
  PeakTable ds;
  bool have_datasheet = false;  // a GPU the peak tables do not know is compared with nothing
  try {
    ds = peaks_for_device(d);
    have_datasheet = true;
  } catch (const Error&) {
  }
  int ran = 0, compared = 0;

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
      // On compute capability 9.0 only a build without sm_90a code may skip it.
      if (hopper) {
        EXPECT_NE(m.skipped.find("no sm_90a code"), std::string::npos) << m.skipped;
      }
      continue;
    }
    ++ran;
    ASSERT_FALSE(m.times_s.empty());
    EXPECT_GT(m.work, 0);
    EXPECT_LE(m.best_s(), m.median_s());
    EXPECT_GT(m.median_s(), 1e-4) << "launches far shorter than planned";
    if (auto v = table_value(ds, b)) {
      ++compared;
      // No pipe beats its datasheet by much (boost clocks aside), and a
      // figure far below it means the benchmark is broken, not the GPU.
      EXPECT_LT(m.median_rate(), 1.25 * *v) << m.median_rate() << " vs datasheet " << *v;
      EXPECT_GT(m.median_rate(), 0.10 * *v) << m.median_rate() << " vs datasheet " << *v;
    }
    if (b.target == Target::flops) {
      ASSERT_TRUE(m.sm_clock_mhz.has_value());
      EXPECT_GT(*m.sm_clock_mhz, 100);
      EXPECT_LT(*m.sm_clock_mhz, 4000);
    }
  }
  EXPECT_GT(ran, 0) << "no ceiling benchmark ran";
  if (have_datasheet) {
    EXPECT_GT(compared, 0) << "no measured ceiling was checked against the datasheet of " << d.name;
  }
  const PeakTable t = to_peak_table(ms, d.name, "2026-01-01");
  EXPECT_GT(t.flops_per_s.at("fp32"), 0);
  EXPECT_GT(t.dram_bytes_per_s, 0);
  EXPECT_GT(t.l2_bytes_per_s, t.dram_bytes_per_s) << "L2 should be faster than DRAM";
  EXPECT_GT(t.l1_bytes_per_s, t.l2_bytes_per_s) << "shared memory should be faster than L2";
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
