// Raw counter files: the container round trip with a real config image (built
// offline by CUPTI's host API) and opaque counter payloads (a real counter-data
// image needs a GPU), and rejection of damaged files with one clear line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/run_cli.h"
#include "flopscope/counter_file.h"
#include "flopscope/error.h"

using namespace flopscope;

namespace {

CounterFile sample_file() {
  const MetricPlan plan = build_metric_plan("GH100", MetricSet::roofline, {"bf16"});
  CounterFile f;
  f.chip = plan.chip;
  f.set = std::string(to_string(plan.set));
  f.tensor = plan.tensor;
  f.metrics = plan.metrics;
  f.quantities = plan.quantities;
  f.config_image = plan.config_image;
  DeviceInfo d;
  d.name = "NVIDIA H200";
  d.gpu_key = "h200";
  d.cc_major = 9;
  d.sm_count = 132;
  f.device = d;
  f.dropped_ranges = 3;
  f.created = "2026-11-28T00:00:00Z";
  f.tool_version = "0.1.0";
  std::vector<uint8_t> a(4096), b(333);
  for (size_t i = 0; i < a.size(); ++i) a[i] = uint8_t(i * 7 + 1);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(255 - i);
  f.counter_images = {a, b};
  f.ranges = {{"gemm_kernel", "step/fwd", "0", 0, 0, 0},
              {"gemm_kernel", "step/fwd", "1", 0, 1, 1},
              {"softmax", "", "0", 1, 0, 2}};
  return f;
}

std::string error_of(const std::string& bytes) {
  try {
    parse_counter_file(bytes, "x.fscounters");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(what.rfind("x.fscounters: ", 0), 0u) << what;
    return what;
  }
  ADD_FAILURE() << "accepted a damaged file";
  return {};
}

}  // namespace

TEST(CounterFile, RoundTrip) {
  const CounterFile f = sample_file();
  ASSERT_FALSE(f.config_image.empty());
  const std::string bytes = serialize_counter_file(f);
  EXPECT_EQ(bytes.substr(0, 8), "FLOPSCTR");
  const CounterFile g = parse_counter_file(bytes, "mem");
  EXPECT_EQ(g.chip, "GH100");
  EXPECT_EQ(g.set, "roofline");
  EXPECT_EQ(g.tensor, f.tensor);
  EXPECT_EQ(g.metrics, f.metrics);
  EXPECT_EQ(g.config_image, f.config_image);
  EXPECT_EQ(g.counter_images, f.counter_images);
  ASSERT_EQ(g.quantities.size(), f.quantities.size());
  for (size_t i = 0; i < f.quantities.size(); ++i) {
    EXPECT_EQ(g.quantities[i].key, f.quantities[i].key);
    EXPECT_EQ(g.quantities[i].available, f.quantities[i].available);
    ASSERT_EQ(g.quantities[i].terms.size(), f.quantities[i].terms.size());
    for (size_t k = 0; k < f.quantities[i].terms.size(); ++k) {
      EXPECT_EQ(g.quantities[i].terms[k].metric, f.quantities[i].terms[k].metric);
      EXPECT_EQ(g.quantities[i].terms[k].factor, f.quantities[i].terms[k].factor);
    }
  }
  ASSERT_TRUE(g.device);
  EXPECT_EQ(g.device->gpu_key, "h200");
  EXPECT_EQ(g.device->sm_count, 132);
  EXPECT_EQ(g.dropped_ranges, 3u);
  ASSERT_EQ(g.ranges.size(), 3u);
  EXPECT_EQ(g.ranges[1].kernel, "gemm_kernel");
  EXPECT_EQ(g.ranges[1].nvtx, "step/fwd");
  EXPECT_EQ(g.ranges[1].range_index, 1u);
  EXPECT_EQ(g.ranges[2].image, 1u);
  EXPECT_EQ(g.ranges[2].launch, 2u);
  // The serialized form is stable.
  EXPECT_EQ(serialize_counter_file(g), bytes);
  // The config image still counts its passes after the trip.
  EXPECT_EQ(build_metric_plan("GH100", MetricSet::roofline, {"bf16"}).passes, 2);
}

TEST(CounterFile, FileOnDisk) {
  const std::string dir = flopscope::test::temp_dir();
  const std::string path = dir + "/run.fscounters";
  write_counter_file(path, sample_file());
  EXPECT_TRUE(is_counter_file(path));
  EXPECT_EQ(read_counter_file(path).ranges.size(), 3u);
  std::ofstream(dir + "/r.json") << "{}";
  EXPECT_FALSE(is_counter_file(dir + "/r.json"));
  EXPECT_FALSE(is_counter_file(dir + "/missing"));
}

TEST(CounterFile, TruncatedFilesAreRejected) {
  const std::string bytes = serialize_counter_file(sample_file());
  for (size_t n : {size_t(0), size_t(5), size_t(20), size_t(27), bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(n);
    const std::string e = error_of(bytes.substr(0, n));
    if (n < 8)
      EXPECT_NE(e.find("not a flopscope counter file"), std::string::npos) << e;
    else
      EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  }
}

TEST(CounterFile, CorruptedFilesAreRejected) {
  const std::string bytes = serialize_counter_file(sample_file());
  for (size_t at : {size_t(40), bytes.size() / 2, bytes.size() - 10, bytes.size() - 2}) {
    SCOPED_TRACE(at);
    std::string bad = bytes;
    bad[at] = char(bad[at] ^ 0x5A);
    EXPECT_NE(error_of(bad).find("corrupted"), std::string::npos);
  }
  std::string newer = bytes;
  newer[8] = 9;
  EXPECT_NE(error_of(newer).find("format version 9"), std::string::npos);
  EXPECT_NE(error_of(bytes + "xx").find("after its end"), std::string::npos);
  std::string other = bytes;
  other[0] = '{';
  EXPECT_NE(error_of(other).find("not a flopscope counter file"), std::string::npos);
}

TEST(CounterFile, InvalidCounterImageGivesAClearError) {
  // The opaque payloads are not CUPTI counter-data images: evaluation must say
  // so, not crash or invent numbers.
  CounterFile f = sample_file();
  try {
    evaluate_counter_file(f);
    FAIL() << "evaluated garbage";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("counter"), std::string::npos) << e.what();
  }
  // An image that was never filled.
  f.counter_images[0].clear();
  try {
    evaluate_counter_file(f);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
  // A chip this CUPTI does not know.
  f.chip = "ZZ999";
  EXPECT_THROW(evaluate_counter_file(f), Error);
  // No ranges: nothing to evaluate, an empty document.
  CounterFile none = sample_file();
  none.ranges.clear();
  const ResultsDoc doc = counter_file_to_results(none);
  EXPECT_TRUE(doc.runs.empty());
  ASSERT_TRUE(doc.device);
  EXPECT_GT(doc.peaks.datasheet.dram_bytes_per_s, 0);  // h200 datasheet
}

TEST(CounterFile, RangeReferringToAMissingImage) {
  CounterFile f = sample_file();
  f.ranges.push_back({"k", "", "0", 7, 0, 3});
  EXPECT_NE(error_of(serialize_counter_file(f)).find("counter image 7"), std::string::npos);
}
