// Host-side arithmetic of `flopscope ceilings`: FLOPs and bytes per launch
// from the kernels' compile-time shapes, the clock from in-kernel samples,
// trip-count calibration, and the conversion into a PeakTable.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ceilings/ceilings.h"
#include "ceilings/params.h"
#include "flopscope/error.h"
#include "flopscope/precision.h"

using namespace flopscope;
using namespace flopscope::ceilings;
namespace p = flopscope::ceilings::params;

TEST(Ceilings, BenchListIsCompleteAndKeysAreKnown) {
  std::set<std::string> ids;
  for (const BenchInfo& b : all_benches()) {
    EXPECT_TRUE(ids.insert(b.id).second) << "duplicate id " << b.id;
    EXPECT_EQ(info(b.bench).id, std::string(b.id));
    if (b.target == Target::flops) {
      EXPECT_TRUE(parse_precision(b.peak_key).has_value()) << b.peak_key;
    }
  }
  EXPECT_EQ(ids.size(), 15u);
  // Every precision the issue asks for is measured.
  std::set<std::string> keys;
  for (const BenchInfo& b : all_benches()) keys.insert(b.peak_key);
  for (const char* k : {"fp32", "fp16", "bf16", "fp64", "fp16_tensor", "bf16_tensor", "tf32_tensor", "dram",
                        "l2", "l1"})
    EXPECT_TRUE(keys.count(k)) << k;
  EXPECT_TRUE(info(Bench::bf16_wgmma).needs_sm90a);
  EXPECT_TRUE(info(Bench::tf32_wgmma).needs_sm90a);
  EXPECT_FALSE(info(Bench::bf16_mma_sync).needs_sm90a);
}

TEST(Ceilings, CudaCoreFlopsPerLaunch) {
  // 132 SMs x 8 blocks of 256 threads, 1000 trips.
  const LaunchShape s{132 * 8, 256, 1000, 0};
  const double threads = 132.0 * 8 * 256;
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::fp32_ffma, s), threads * 1000 * p::kCoreChains * p::kCoreUnroll * 2);
  // A packed pair is two lanes of FMA: 4 FLOPs per instruction.
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::fp16_hfma2, s), threads * 1000 * p::kCoreChains * p::kCoreUnroll * 4);
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::bf16_hfma2, s), work_per_launch(Bench::fp16_hfma2, s));
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::fp64_dfma, s), threads * 1000 * p::kFp64Chains * p::kFp64Unroll * 2);
  // The shapes the kernels are compiled with.
  EXPECT_EQ(p::kCoreChains * p::kCoreUnroll, 128);
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::fp32_ffma, LaunchShape{1, 1, 1, 0}), 256.0);
}

TEST(Ceilings, TensorFlopsPerLaunch) {
  EXPECT_EQ(p::kFlopsMma16816, 4096);
  EXPECT_EQ(p::kFlopsMma1688, 2048);
  EXPECT_EQ(p::kFlopsWgmma, 524288);
  // One warp, one trip: kMmaChains * kMmaUnroll instructions.
  const LaunchShape warp{1, 32, 1, 0};
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::fp16_mma_sync, warp), 16.0 * 4096);
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::bf16_mma_sync, warp), 16.0 * 4096);
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::tf32_mma_sync, warp), 16.0 * 2048);
  const LaunchShape big{132 * 4, 256, 5000, 0};
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::bf16_mma_sync, big), 132.0 * 4 * 8 * 5000 * 16 * 4096);
  // One warpgroup, one trip: kWgmmaPerTrip m64n256k16 instructions.
  EXPECT_EQ(p::kWgmmaPerTrip, 16);
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::bf16_wgmma, LaunchShape{1, 128, 1, 0}), 16.0 * 524288);
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::fp16_wgmma, LaunchShape{132 * 3, 128, 100, 0}),
                   132.0 * 3 * 100 * 16 * 524288);
  // TF32 takes the same 32 bytes of each row per step, as m64n256k8: half the FLOPs.
  EXPECT_EQ(p::kFlopsWgmmaTf32, 262144);
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::tf32_wgmma, LaunchShape{1, 128, 1, 0}), 16.0 * 262144);
  // Partial warps or warpgroups are not shapes these kernels run.
  EXPECT_THROW(work_per_launch(Bench::fp16_mma_sync, LaunchShape{1, 48, 1, 0}), Error);
  EXPECT_THROW(work_per_launch(Bench::bf16_wgmma, LaunchShape{1, 64, 1, 0}), Error);
  EXPECT_THROW(work_per_launch(Bench::tf32_wgmma, LaunchShape{1, 64, 1, 0}), Error);
}

TEST(Ceilings, BytesPerLaunch) {
  const int64_t gib2 = int64_t(2) << 30;
  const LaunchShape s{528, 512, 10, gib2};
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::dram_read, s), 10.0 * double(gib2));
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::dram_write, s), 10.0 * double(gib2));
  // Copy counts bytes read plus bytes written.
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::dram_copy, s), 20.0 * double(gib2));
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::l2_read, LaunchShape{528, 512, 3, 30 << 20}), 3.0 * (30 << 20));
  // Shared memory: 4 rows x 2 reads x 16 bytes per thread per trip.
  EXPECT_DOUBLE_EQ(work_per_launch(Bench::smem_read, LaunchShape{1056, 256, 7, 0}), 1056.0 * 256 * 7 * 128);
  EXPECT_THROW(work_per_launch(Bench::dram_read, LaunchShape{1, 512, 1, 24}), Error);  // not whole int4s
  EXPECT_THROW(work_per_launch(Bench::dram_read, LaunchShape{1, 512, 1, 0}), Error);
  EXPECT_THROW(work_per_launch(Bench::smem_read, LaunchShape{1, 128, 1, 0}), Error);
  EXPECT_THROW(work_per_launch(Bench::fp32_ffma, LaunchShape{0, 256, 1, 0}), Error);
  EXPECT_THROW(work_per_launch(Bench::fp32_ffma, LaunchShape{1, 256, 0, 0}), Error);
}

// The clock shown beside a rate is the median launch's, as the rate is.
TEST(Ceilings, ClockOfTheMedianLaunch) {
  // Times 3, 1, 2 ms: the median launch is the third (2 ms).
  EXPECT_EQ(median_launch_clock_mhz({3e-3, 1e-3, 2e-3}, {1600.0, 1980.0, 1700.0}), 1700.0);
  // Even count: the two middle launches (2 and 3 ms) averaged.
  EXPECT_EQ(median_launch_clock_mhz({3e-3, 1e-3, 2e-3, 4e-3}, {1600.0, 1980.0, 1700.0, 1500.0}), 1650.0);
  EXPECT_FALSE(median_launch_clock_mhz({1e-3, 2e-3, 3e-3}, {1600.0, std::nullopt, 1700.0}).has_value());
  EXPECT_FALSE(median_launch_clock_mhz({1e-3}, {}).has_value());
  EXPECT_FALSE(median_launch_clock_mhz({}, {}).has_value());
}

TEST(Ceilings, SmClockFromSamples) {
  // 1.98 GHz: 19.8 million cycles over 10 ms; a second block at 1.755 GHz; a
  // third that never recorded (zeros) is ignored; median of two is their mean.
  std::vector<ClockSample> s = {{1000, 1000 + 19800000, 5000, 5000 + 10000000},
                                {0, 17550000, 0, 10000000},
                                {}};
  auto mhz = sm_clock_mhz(s);
  ASSERT_TRUE(mhz.has_value());
  EXPECT_NEAR(*mhz, (1980.0 + 1755.0) / 2, 1e-9);
  EXPECT_FALSE(sm_clock_mhz({}).has_value());
  EXPECT_FALSE(sm_clock_mhz({ClockSample{}}).has_value());
}

TEST(Ceilings, CalibrateTrips) {
  EXPECT_EQ(calibrate_trips(64, 0.001, 0.020, 1 << 30), 1280);
  EXPECT_EQ(calibrate_trips(64, 0.040, 0.020, 1 << 30), 32);
  EXPECT_EQ(calibrate_trips(1, 1.0, 0.020, 1 << 30), 1);       // never below one trip
  EXPECT_EQ(calibrate_trips(64, 1e-9, 0.020, 100000), 100000);  // clamped
  EXPECT_EQ(calibrate_trips(64, 0.0, 0.020, 100000), 64);       // no timing: unchanged
}

namespace {
Measurement measured(Bench b, double work, std::vector<double> times) {
  Measurement m;
  m.bench = b;
  m.ran = true;
  m.work = work;
  m.times_s = std::move(times);
  return m;
}
}  // namespace

TEST(Ceilings, BestAndMedian) {
  const Measurement m = measured(Bench::fp32_ffma, 1e12, {0.030, 0.020, 0.025, 0.021, 0.040});
  EXPECT_DOUBLE_EQ(m.best_s(), 0.020);
  EXPECT_DOUBLE_EQ(m.median_s(), 0.025);
  EXPECT_DOUBLE_EQ(m.best_rate(), 5e13);
  EXPECT_DOUBLE_EQ(m.median_rate(), 4e13);
  Measurement none;
  EXPECT_THROW(none.median_s(), Error);
}

TEST(Ceilings, PeakTableTakesTheHighestMedianPerKey) {
  std::vector<Measurement> ms;
  ms.push_back(measured(Bench::fp32_ffma, 60e12, {1.0, 1.0, 0.5}));       // median 1 s: 60 TFLOP/s
  ms.push_back(measured(Bench::bf16_mma_sync, 600e12, {1.0}));            // 600
  ms.push_back(measured(Bench::bf16_wgmma, 900e12, {1.0, 1.0}));          // 900: wins bf16_tensor
  ms.push_back(measured(Bench::fp16_mma_sync, 650e12, {1.0}));            // fp16_tensor from mma.sync only
  ms.push_back(measured(Bench::dram_read, 4.4e12, {1.0}));
  ms.push_back(measured(Bench::dram_copy, 4.1e12, {1.0}));
  ms.push_back(measured(Bench::dram_write, 4.3e12, {1.0}));
  ms.push_back(measured(Bench::l2_read, 9e12, {1.0}));
  ms.push_back(measured(Bench::smem_read, 30e12, {1.0}));
  Measurement skipped;
  skipped.bench = Bench::fp16_wgmma;
  skipped.skipped = "needs sm_90a";
  ms.push_back(skipped);

  const PeakTable t = to_peak_table(ms, "NVIDIA H200", "2026-11-28");
  EXPECT_EQ(t.source, "measured: flopscope ceilings on NVIDIA H200 (2026-11-28)");
  EXPECT_DOUBLE_EQ(t.flops_per_s.at("fp32"), 60e12);
  EXPECT_DOUBLE_EQ(t.flops_per_s.at("bf16_tensor"), 900e12);
  EXPECT_DOUBLE_EQ(t.flops_per_s.at("fp16_tensor"), 650e12);
  EXPECT_EQ(t.flops_per_s.count("tf32_tensor"), 0u);  // not measured: absent, not zero
  EXPECT_DOUBLE_EQ(t.dram_bytes_per_s, 4.4e12);
  EXPECT_DOUBLE_EQ(t.l2_bytes_per_s, 9e12);
  EXPECT_DOUBLE_EQ(t.l1_bytes_per_s, 30e12);
  EXPECT_TRUE(t.sparse_flops_per_s.empty());

  EXPECT_DOUBLE_EQ(*table_value(t, info(Bench::bf16_mma_sync)), 900e12);
  EXPECT_DOUBLE_EQ(*table_value(t, info(Bench::dram_write)), 4.4e12);
  EXPECT_FALSE(table_value(t, info(Bench::tf32_mma_sync)).has_value());
  EXPECT_FALSE(table_value(PeakTable{}, info(Bench::l2_read)).has_value());
}

TEST(Ceilings, PeakTableRoundTripsThroughTheResultsFormat) {
  std::vector<Measurement> ms = {measured(Bench::fp64_dfma, 60e12, {1.0}),
                                 measured(Bench::tf32_mma_sync, 400e12, {1.0})};
  ResultsDoc doc = new_results_doc();
  doc.peaks.measured = to_peak_table(ms, "NVIDIA H200", "2026-11-28");
  const ResultsDoc back = parse_results(to_json_text(doc), "mem");
  ASSERT_TRUE(back.peaks.measured.has_value());
  EXPECT_EQ(back.peaks.measured->source, doc.peaks.measured->source);
  EXPECT_DOUBLE_EQ(back.peaks.measured->flops_per_s.at("fp64"), 60e12);
  EXPECT_DOUBLE_EQ(back.peaks.measured->flops_per_s.at("tf32_tensor"), 400e12);
}

TEST(Ceilings, TableShowsMeasuredAgainstDatasheet) {
  const GpuSpec& h200 = require_gpu("h200");
  const PeakTable ds = datasheet_peaks(h200);
  std::vector<Measurement> ms;
  // Half the datasheet FP32 rate at the median, the full rate at the best.
  Measurement fp32 = measured(Bench::fp32_ffma, ds.flops_per_s.at("fp32"), {2.0, 2.0, 1.0});
  fp32.sm_clock_mhz = 1755.4;
  ms.push_back(fp32);
  ms.push_back(measured(Bench::l2_read, 10e12, {1.0}));
  Measurement skipped;
  skipped.bench = Bench::bf16_wgmma;
  skipped.skipped = "needs compute capability 9.0 (wgmma), device is 8.0";
  ms.push_back(skipped);
  Measurement failed;
  failed.bench = Bench::tf32_wgmma;
  failed.failed = "ceilings: running tf32.wgmma: an illegal memory access was encountered";
  ms.push_back(failed);

  const std::string t = render_table(ms, ds, &h200, 200, false);
  auto row = [&](const std::string& id) {
    const size_t at = t.find(id);
    EXPECT_NE(at, std::string::npos) << t;
    return at == std::string::npos ? std::string() : t.substr(at, t.find('\n', at) - at);
  };
  const std::string f = row("fp32.ffma");
  EXPECT_NE(f.find("FFMA"), std::string::npos) << f;
  EXPECT_NE(f.find("50.0%"), std::string::npos) << f;
  EXPECT_NE(f.find("1755"), std::string::npos) << f;  // measured SM clock
  EXPECT_NE(f.find("1980"), std::string::npos) << f;  // the clock the FP32 datasheet figure assumes
  const std::string l2 = row("l2.read");
  EXPECT_NE(l2.find("10.00"), std::string::npos) << l2;  // TB/s
  EXPECT_EQ(l2.find('%'), std::string::npos) << l2;      // no datasheet L2 figure, no ratio
  const std::string w = row("bf16.wgmma");
  EXPECT_NE(w.find("skipped: needs compute capability 9.0"), std::string::npos) << w;
  EXPECT_NE(w.find("1830"), std::string::npos) << w;  // tensor clock
  const std::string x = row("tf32.wgmma");
  EXPECT_NE(x.find("FAILED: ceilings: running tf32.wgmma: an illegal memory access"), std::string::npos) << x;
  EXPECT_EQ(t.find("\x1b["), std::string::npos);  // no color when asked for none
  // A failed benchmark adds nothing to the measured roofs.
  EXPECT_EQ(to_peak_table(ms, "H200", "2026-11-29").flops_per_s.count("tf32_tensor"), 0u);
}

TEST(Ceilings, TheLikeliestToFaultRunLast) {
  // A fault loses the CUDA context: the plain loops first, then mma.sync
  // (inline PTX), then wgmma (sm_90a, never run on a GPU so far). Every
  // benchmark runs once, in list order within its group.
  const std::vector<Bench> order = run_order();
  ASSERT_EQ(order.size(), all_benches().size());
  std::set<Bench> seen(order.begin(), order.end());
  EXPECT_EQ(seen.size(), order.size());
  auto group = [](Bench b) { return info(b).needs_sm90a ? 2 : is_mma_sync(b) ? 1 : 0; };
  for (size_t i = 1; i < order.size(); ++i)
    EXPECT_LE(group(order[i - 1]), group(order[i])) << info(order[i]).id << " runs after " << info(order[i - 1]).id;
  EXPECT_EQ(order.front(), Bench::fp32_ffma);
  EXPECT_EQ(order[4], Bench::dram_read);  // the memory ones before any tensor core
  EXPECT_EQ(order.back(), Bench::tf32_wgmma);
  EXPECT_TRUE(is_mma_sync(Bench::tf32_mma_sync));
  EXPECT_FALSE(is_mma_sync(Bench::tf32_wgmma));
}

TEST(Ceilings, FindsBenchmarksById) {
  for (const BenchInfo& b : all_benches()) EXPECT_EQ(find_bench(b.id), std::optional<Bench>(b.bench)) << b.id;
  EXPECT_FALSE(find_bench("bf16.wgmma ").has_value());
  EXPECT_FALSE(find_bench("").has_value());
}

namespace {
std::vector<Measurement> three_outcomes() {
  Measurement ran;
  ran.bench = Bench::dram_copy;
  ran.ran = true;
  ran.shape = LaunchShape{132 * 4, 256, 7, int64_t(1) << 30};
  ran.work = work_per_launch(Bench::dram_copy, ran.shape);
  ran.times_s = {0.0051234567890123, 0.005, 0.0049999999999999};
  ran.sm_clock_mhz = 1755.5;
  ran.note = "buffer 1024 MiB";
  Measurement failed;
  failed.bench = Bench::fp16_mma_sync;
  failed.failed = "ceilings: running fp16.mma_sync: an illegal instruction was encountered";
  Measurement lost;
  lost.bench = Bench::bf16_wgmma;
  lost.skipped = "not run: the CUDA context was lost when fp16.mma_sync failed";
  lost.after_lost_context = true;
  return {failed, lost, ran};
}

std::string mangled(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}
}  // namespace

// What a resumed process hands back reads as it was measured: every field,
// every time to the last bit.
TEST(Ceilings, MeasurementsRoundTripThroughJson) {
  const std::vector<Measurement> ms = three_outcomes();
  const std::vector<Measurement> back = measurements_from_json(measurements_to_json(ms), "test");
  ASSERT_EQ(back.size(), ms.size());
  for (size_t i = 0; i < ms.size(); ++i) {
    const Measurement &a = ms[i], &b = back[i];
    EXPECT_EQ(a.bench, b.bench);
    EXPECT_EQ(a.ran, b.ran);
    EXPECT_EQ(a.skipped, b.skipped);
    EXPECT_EQ(a.after_lost_context, b.after_lost_context);
    EXPECT_EQ(a.failed, b.failed);
    EXPECT_EQ(a.shape.blocks, b.shape.blocks);
    EXPECT_EQ(a.shape.threads, b.shape.threads);
    EXPECT_EQ(a.shape.trips, b.shape.trips);
    EXPECT_EQ(a.shape.bytes, b.shape.bytes);
    EXPECT_EQ(a.work, b.work);
    EXPECT_EQ(a.times_s, b.times_s);
    EXPECT_EQ(a.sm_clock_mhz, b.sm_clock_mhz);
    EXPECT_EQ(a.note, b.note);
  }
  EXPECT_TRUE(measurements_from_json(measurements_to_json({}), "test").empty());
}

// Read as untrusted input: each problem is one bad_input naming the place.
TEST(Ceilings, MalformedMeasurementsAreRefusedNamingThePlace) {
  const std::string good = measurements_to_json(three_outcomes());
  struct Case {
    std::string text, expect;
  };
  const std::vector<Case> cases = {
      {"", "test:"},
      {"{}", "not a ceilings measurements file"},
      {mangled(good, "\"flopscope_ceilings_measurements\": 1", "\"flopscope_ceilings_measurements\": 2"),
       "format version 1"},
      {mangled(good, "\"dram.copy\"", "\"dram.cpy\""), "no ceiling benchmark has the id 'dram.cpy'"},
      {mangled(good, "\"bf16.wgmma\"", "\"fp16.mma_sync\""), "'fp16.mma_sync' is given twice"},
      {mangled(good, "0.005,", "-0.005,"), "$.measurements[2].times_s[1]"},
      {mangled(good, "0.005,", "1e-320,"), "not a finite rate"},
      {mangled(good, "\"trips\": 7", "\"trips\": -7"), "$.measurements[2].shape.trips"},
      {mangled(good, "\"sm_clock_mhz\": 1755.5", "\"sm_clock_mhz\": 0"), "sm_clock_mhz"},
      {mangled(good, "\"note\": \"buffer 1024 MiB\"", "\"nothing\": 1"), "missing key 'note'"},
      {mangled(good, "\"ran\": true", "\"ran\": false"), "exactly one of: ran, skipped, failed"},
      {[&] {
         nlohmann::ordered_json j = nlohmann::ordered_json::parse(good);
         j["measurements"][2]["failed"] = "ran and failed";
         return j.dump();
       }(),
       "$.measurements[2]: expected exactly one of"},
      {[&] {
         nlohmann::ordered_json j = nlohmann::ordered_json::parse(good);
         j["measurements"][0]["after_lost_context"] = true;
         return j.dump();
       }(),
       "after_lost_context without a reason"},
  };
  for (const Case& c : cases) {
    try {
      (void)measurements_from_json(c.text, "test");
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const flopscope::Error& e) {
      EXPECT_EQ(e.kind(), flopscope::ErrorKind::bad_input) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << e.what();
    }
  }
}
