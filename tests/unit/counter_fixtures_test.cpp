// Raw counters recorded on real GPUs (tests/fixtures/counters/<gpu>/, from the
// device check's counter-fixtures step), re-evaluated offline with CUPTI's host
// API on every CI run: each X.fscounters must give the hardware figures that
// the run wrote to X.json beside it, and a naive FP32 GEMM's FP32 FLOPs must be
// 2*M*N*K per launch exactly. The committed H200 fixtures must all be there: a
// fixture deleted or moved fails, not skips.
// FLOPSCOPE_COUNTER_FIXTURES=DIR reads DIR instead: the device check runs this
// test over the counters it has just recorded, before they become fixtures;
// the tests of one committed fixture then skip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <cstdlib>
#include <filesystem>

#include "flopscope/counter_file.h"
#include "flopscope/error.h"
#include "flopscope/results.h"

using namespace flopscope;
namespace fs = std::filesystem;

namespace {

const char* other_fixtures() {
  const char* dir = std::getenv("FLOPSCOPE_COUNTER_FIXTURES");
  return dir && *dir ? dir : nullptr;
}

fs::path fixtures_root() {
  return other_fixtures() ? fs::path(other_fixtures()) : fs::path(FLOPSCOPE_FIXTURES_DIR) / "counters";
}

// The pairs recorded on the H200 on 2026-11-30 (tests/fixtures/README.md).
const char* const kCommittedH200[] = {"copy_fp32_2p26", "gemm_mma_sync_bf16_256x256x256",
                                      "gemm_naive_fp32_256x192x128"};

}  // namespace

// A committed fixture a test needs: missing, it fails; with other fixtures
// (FLOPSCOPE_COUNTER_FIXTURES) it skips.
#define REQUIRE_COMMITTED_FIXTURE(path)                                                          \
  do {                                                                                           \
    if (!fs::exists(path)) {                                                                     \
      if (!other_fixtures()) FAIL() << (path).string() << " is missing (tests/fixtures/README.md)"; \
      GTEST_SKIP() << (path).string() << " is not here (FLOPSCOPE_COUNTER_FIXTURES)";           \
    }                                                                                            \
  } while (0)

namespace {

/// Every X.fscounters under fixtures_root() that has an X.json beside it;
/// those without one in `unpaired`.
std::vector<fs::path> recorded_counter_files(std::vector<fs::path>* unpaired = nullptr) {
  const fs::path root = fixtures_root();
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
    const fs::path& p = e.path();
    if (p.extension() != ".fscounters") continue;
    if (fs::exists(fs::path(p).replace_extension(".json"), ec)) out.push_back(p);
    else if (unpaired) unpaired->push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Equal up to the last digits a JSON round trip may change.
void expect_close(const std::optional<double>& a, const std::optional<double>& b, const char* what) {
  ASSERT_EQ(a.has_value(), b.has_value()) << what;
  if (a) {
    EXPECT_NEAR(*a, *b, 1e-9 * std::max(std::fabs(*a), std::fabs(*b))) << what;
  }
}

void expect_same_counters(const HwCounters& evaluated, const HwCounters& recorded) {
  ASSERT_EQ(evaluated.flops_by_pipe.size(), recorded.flops_by_pipe.size());
  for (const auto& [pipe, v] : recorded.flops_by_pipe) {
    ASSERT_TRUE(evaluated.flops_by_pipe.count(pipe)) << pipe;
    expect_close(evaluated.flops_by_pipe.at(pipe), v, pipe.c_str());
  }
  expect_close(evaluated.flops_total, recorded.flops_total, "flops_total");
  expect_close(evaluated.dram_read_bytes, recorded.dram_read_bytes, "dram_read_bytes");
  expect_close(evaluated.dram_write_bytes, recorded.dram_write_bytes, "dram_write_bytes");
  expect_close(evaluated.l2_bytes, recorded.l2_bytes, "l2_bytes");
  expect_close(evaluated.l1_bytes, recorded.l1_bytes, "l1_bytes");
  expect_close(evaluated.duration_s, recorded.duration_s, "duration_s");
}

}  // namespace

TEST(CounterFixtures, RecordedCountersEvaluateAsRecorded) {
  std::vector<fs::path> unpaired;
  const std::vector<fs::path> files = recorded_counter_files(&unpaired);
  for (const fs::path& p : unpaired) ADD_FAILURE() << p.string() << " has no results file beside it (X.json)";
  // Pointed at a recording (device-check's fixture-test step), finding none is a
  // failure: a skip there read as "ok" having checked nothing.
  if (files.empty()) FAIL() << fixtures_root().string() << " holds no X.fscounters with its X.json";
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    const ResultsDoc recorded = read_results(fs::path(file).replace_extension(".json").string());
    const ResultsDoc evaluated = counter_file_to_results(read_counter_file(file.string()));
    size_t compared = 0;
    for (const RunRecord& want : recorded.runs) {
      // A profile's application runs carry a device shape and a dtype guessed
      // from the kernel name, which the counter file does not record:
      // record-device-results stages no such pair (a file of them alone would
      // compare nothing, which fails below).
      if (!want.hw || want.family == "app") continue;
      SCOPED_TRACE(want.id);
      const auto got = std::find_if(evaluated.runs.begin(), evaluated.runs.end(), [&](const RunRecord& r) {
        return r.id == want.id && r.shape == want.shape && r.nvtx == want.nvtx;
      });
      ASSERT_NE(got, evaluated.runs.end()) << "the counter file has no ranges for this run";
      ASSERT_TRUE(got->hw.has_value());
      // bench records the kernel's own launch count, the file one range per
      // counted launch: equal for the fixtures device-check records (one launch
      // each), not for a kernel whose library launches helpers (a split-K reduce).
      EXPECT_EQ(got->launches, want.launches);
      expect_same_counters(*got->hw, *want.hw);
      // The acceptance figure that needs no tolerance (docs/collector.md).
      if (want.id == "gemm.naive.fp32") {
        ASSERT_TRUE(got->hw->flops_by_pipe.count("fp32"));
        EXPECT_EQ(got->hw->flops_by_pipe.at("fp32"), want.model.flops * double(want.launches));
      }
      ++compared;
    }
    EXPECT_GT(compared, 0u) << "the results file beside it has no run with hardware counters";
  }
}

// Damage the CRC does not catch (a file rewritten with its CRC fixed), found
// by a review: 8 bytes of a recorded image made CUPTI spin for ever (report,
// compare and check hung; the probe timed out and the image was then read
// unprobed), and 2 others made a counter evaluate to NaN, which was printed.
// Both are refused as damage (the first after the probe's 30 s).
TEST(CounterFixtures, DamagedImagesAreRefused) {
  const fs::path file = fixtures_root() / "h200" / "gemm_naive_fp32_256x192x128.fscounters";
  REQUIRE_COMMITTED_FIXTURE(file);
  const std::string bytes = read_file(file.string());
  const CounterFile f = parse_counter_file(bytes, file.string());
  ASSERT_EQ(f.counter_images.size(), 1u);
  const std::vector<unsigned char>& image = f.counter_images[0];
  const size_t at = bytes.find(std::string(image.begin(), image.end()));  // where the image lies in the file
  ASSERT_NE(at, std::string::npos);
  auto damaged = [&](size_t file_offset, const std::vector<unsigned char>& with) {
    CounterFile d = f;
    for (size_t i = 0; i < with.size(); ++i) d.counter_images[0][file_offset - at + i] = with[i];
    try {
      counter_file_to_results(d);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input);
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(damaged(3846, {0305, 0165}).find("evaluates to nan, which no counter reads; the file is damaged"),
            std::string::npos);
  EXPECT_NE(damaged(4299, {0376, 0205, 071, 010, 064, 0144, 047, 0301}).find("CUPTI did not finish reading it"),
            std::string::npos);
}

// A file naming a chip the host API lists but refuses (GV11B) was said to "fall
// back to timing only", exit 3: no session records such a file, so it is damage.
TEST(CounterFixtures, AChipTheHostApiRefusesIsDamage) {
  const fs::path file = fixtures_root() / "h200" / "copy_fp32_2p26.fscounters";
  REQUIRE_COMMITTED_FIXTURE(file);
  CounterFile f = read_counter_file(file.string());
  f.chip = "GV11B";
  try {
    counter_file_to_results(f);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("which CUPTI's host API refuses"), std::string::npos) << e.what();
  }
}

// Only the images a range reads are probed (each probe is a forked process): an
// extra image no range names, even garbage, costs nothing and changes nothing.
TEST(CounterFixtures, ImagesNoRangeReadsAreNotProbed) {
  const std::vector<fs::path> files = recorded_counter_files();
  if (files.empty()) FAIL() << fixtures_root().string() << " holds no X.fscounters with its X.json";
  CounterFile f = read_counter_file(files.front().string());
  const size_t ranges = evaluate_counter_file(f).size();
  ASSERT_GT(ranges, 0u);
  const std::set<uint32_t> read = counter_images_read(f);
  for (int i = 0; i < 1000; ++i) f.counter_images.push_back(std::vector<uint8_t>(64, uint8_t(i)));
  EXPECT_EQ(counter_images_read(f), read);  // none of the 1000 is probed
  EXPECT_EQ(evaluate_counter_file(f).size(), ranges);
}

// Each committed H200 pair is here (RecordedCountersEvaluateAsRecorded
// evaluates whatever is, so a deleted one would go unnoticed there).
TEST(CounterFixtures, TheCommittedH200FixturesAreAllHere) {
  if (other_fixtures()) GTEST_SKIP() << "reading FLOPSCOPE_COUNTER_FIXTURES=" << other_fixtures();
  for (const char* name : kCommittedH200)
    for (const char* ext : {".fscounters", ".json"})
      REQUIRE_COMMITTED_FIXTURE(fixtures_root() / "h200" / (std::string(name) + ext));
}
