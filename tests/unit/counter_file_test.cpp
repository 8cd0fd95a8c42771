// Raw counter files: the container round trip with a real config image (built
// offline by CUPTI's host API) and opaque counter payloads (a real counter-data
// image needs a GPU), and rejection of damaged files with one clear line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "flopscope/counter_file.h"
#include "flopscope/error.h"
#include "unit/counter_file_sample.h"

using namespace flopscope;

namespace {

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

/// The one-line bad_input message `fn` throws ("" and a failure if none).
std::string refusal(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    return what;
  }
  ADD_FAILURE() << "not refused";
  return {};
}

}  // namespace

TEST(CounterFile, RoundTrip) {
  const CounterFile f = test::sample_counter_file();
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
  EXPECT_EQ(g.tool_commit, "fe0961a0c0de");
  ASSERT_EQ(g.ranges.size(), 3u);
  EXPECT_EQ(g.ranges[1].kernel, "gemm_kernel");
  EXPECT_EQ(g.ranges[1].nvtx, "step/fwd");
  EXPECT_EQ(g.ranges[1].range_index, 1u);
  EXPECT_EQ(g.ranges[2].image, 1u);
  EXPECT_EQ(g.ranges[2].launch, 2u);
  for (const auto& r : g.ranges) EXPECT_TRUE(r.run.id.empty() && r.run.shape.empty());
  // The serialized form is stable.
  EXPECT_EQ(serialize_counter_file(g), bytes);
  // The config image still counts its passes after the trip.
  EXPECT_EQ(build_metric_plan("GH100", MetricSet::roofline, {"bf16"}).passes, 2);
}

TEST(CounterFile, FileOnDisk) {
  const std::string dir = flopscope::test::temp_dir();
  const std::string path = dir + "/run.fscounters";
  write_counter_file(path, test::sample_counter_file());
  EXPECT_TRUE(is_counter_file(path));
  EXPECT_EQ(read_counter_file(path).ranges.size(), 3u);
  std::ofstream(dir + "/r.json") << "{}";
  EXPECT_FALSE(is_counter_file(dir + "/r.json"));
  EXPECT_FALSE(is_counter_file(dir + "/missing"));
}

TEST(CounterFile, TruncatedFilesAreRejected) {
  const std::string bytes = serialize_counter_file(test::sample_counter_file());
  for (size_t n : {size_t(0), size_t(5), size_t(20), size_t(27), bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(n);
    const std::string e = error_of(bytes.substr(0, n));
    if (n < 8)
      EXPECT_NE(e.find("not a flopscope counter file"), std::string::npos) << e;
    else
      EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  }
}

// A CounterFile built in code whose range names an image it lacks: refused
// in a sentence (it was written, then refused by the parser; and
// counter_images_read threw vector's own out_of_range).
TEST(CounterFile, ARangeOutsideTheImagesIsRefusedBeforeWriting) {
  CounterFile f = test::sample_counter_file();
  ASSERT_FALSE(f.ranges.empty());
  f.ranges[0].image = 9;
  for (auto call : {+[](const CounterFile& x) { (void)serialize_counter_file(x); },
                    +[](const CounterFile& x) { (void)counter_images_read(x); }}) {
    try {
      call(f);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input);
      EXPECT_NE(std::string(e.what()).find("refers to counter image 9 of " + std::to_string(f.counter_images.size())),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(CounterFile, CorruptedFilesAreRejected) {
  const std::string bytes = serialize_counter_file(test::sample_counter_file());
  for (size_t at : {size_t(40), bytes.size() / 2, bytes.size() - 10, bytes.size() - 2}) {
    SCOPED_TRACE(at);
    std::string bad = bytes;
    bad[at] = char(bad[at] ^ 0x5A);
    EXPECT_NE(error_of(bad).find("corrupted"), std::string::npos);
  }
  std::string newer = bytes;
  newer[8] = 9;
  EXPECT_NE(error_of(newer).find("format version 9"), std::string::npos);
  // A bit flipped in the version or the length field of a whole file reads as
  // damage, not as a version never made or a file of 2^63 bytes.
  std::string flipped = bytes;
  flipped[9] = char(flipped[9] ^ 0x02);
  EXPECT_NE(error_of(flipped).find("corrupted (its header reads format version 513"), std::string::npos)
      << error_of(flipped);
  // Version 0 was never written; a near version with a CRC that does not
  // match may be damage as much as a newer format: both are said (a flipped
  // bit sent users to a newer flopscope).
  std::string zero = bytes;
  zero[8] = 0;
  EXPECT_NE(error_of(zero).find("corrupted (its header reads format version 0, which no flopscope writes)"),
            std::string::npos)
      << error_of(zero);
  std::string near = bytes;
  near[8] = 3;
  EXPECT_NE(error_of(near).find("format version 3 (this flopscope reads version 1); use the flopscope that wrote it, "
                                "or a newer one (unless it is corrupted: its CRC-32 does not match"),
            std::string::npos)
      << error_of(near);
  EXPECT_NE(error_of(newer).find("unless it is corrupted"), std::string::npos) << error_of(newer);
  // Resealed with its CRC-32 (IEEE, bitwise here), as a newer flopscope would
  // write it: only the version is said.
  std::string sealed = newer;
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i + 4 < sealed.size(); ++i) {
    crc ^= uint8_t(sealed[i]);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xFFFFFFFFu;
  for (int i = 0; i < 4; ++i) sealed[sealed.size() - 4 + size_t(i)] = char((crc >> (8 * i)) & 0xFF);
  EXPECT_EQ(error_of(sealed).find("unless it is corrupted"), std::string::npos) << error_of(sealed);
  EXPECT_NE(error_of(sealed).find("format version 9 (this flopscope reads version 1)"), std::string::npos)
      << error_of(sealed);
  std::string long_length = bytes;
  long_length[23] = char(long_length[23] ^ 0x80);
  EXPECT_NE(error_of(long_length).find("corrupted (its header records"), std::string::npos) << error_of(long_length);
  EXPECT_NE(error_of(bytes + "xx").find("after its end"), std::string::npos);
  std::string other = bytes;
  other[0] = '{';
  EXPECT_NE(error_of(other).find("not a flopscope counter file"), std::string::npos);
}

TEST(CounterFile, InvalidCounterImageGivesAClearError) {
  // The opaque payloads are not CUPTI counter-data images: evaluation must say
  // so, not crash or invent numbers.
  CounterFile f = test::sample_counter_file();
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
  CounterFile none = test::sample_counter_file();
  none.ranges.clear();
  ResultsDoc doc = counter_file_to_results(none);
  EXPECT_TRUE(doc.runs.empty());
  // The recording's time, version and commit, not this reading's; a file from
  // before commits were recorded has none.
  EXPECT_EQ(doc.created, "2026-11-28T00:00:00Z");
  EXPECT_EQ(doc.tool_version, "0.1.0");
  EXPECT_EQ(doc.tool_commit, "fe0961a0c0de");
  none.tool_commit.clear();
  EXPECT_EQ(counter_file_to_results(none).tool_commit, "");
  ASSERT_TRUE(doc.device);
  EXPECT_GT(doc.peaks.datasheet.dram_bytes_per_s, 0);  // h200 datasheet
}

TEST(CounterFile, RangeReferringToAMissingImage) {
  // The writer refuses such a file (above): made here by editing the metadata.
  std::vector<test::Section> sections = test::sections_of(serialize_counter_file(test::sample_counter_file()));
  ASSERT_EQ(sections.at(0).tag, "META");
  nlohmann::json meta = nlohmann::json::parse(sections[0].payload);
  meta["ranges"][0]["image"] = 7;
  sections[0].payload = meta.dump();
  EXPECT_NE(error_of(test::framed(sections)).find("counter image 7"), std::string::npos);
}

// Found by collector_fuzz_test (UBSan's float-cast-overflow): the metadata's
// integers were read with nlohmann's get<T>, undefined for 1e300 and wrapping
// -1 to a range's image 4294967295. Each is damage now.
TEST(CounterFile, MetadataIntegersOutOfRangeAreDamage) {
  const std::string bytes = serialize_counter_file(test::sample_counter_file());
  std::vector<test::Section> sections = test::sections_of(bytes);
  ASSERT_EQ(test::framed(sections), bytes);
  ASSERT_EQ(sections.at(0).tag, "META");
  const auto meta = nlohmann::json::parse(sections[0].payload);
  using Edit = std::function<void(nlohmann::json&)>;
  const std::vector<std::pair<Edit, std::string>> cases{
      {[](auto& j) { j["plan_version"] = 1e300; }, "$.plan_version: not a whole number in range"},
      {[](auto& j) { j["device"]["sm_count"] = int64_t(1) << 32; }, "$.device.sm_count: not a whole number in range"},
      {[](auto& j) { j["dropped_ranges"] = -1; }, "$.dropped_ranges: not a whole number in range"},
      {[](auto& j) { j["ranges"][0]["image"] = -1; }, "$.ranges[0].image: not a whole number in range"},
      {[](auto& j) { j["ranges"][0]["range_index"] = 0.5; }, "$.ranges[0].range_index: not a whole number in range"},
      {[](auto& j) { j["ranges"][0]["launch"] = "3"; }, "$.ranges[0].launch: not a whole number in range"},
      // Found by review: a wrong type read as nlohmann's own text ("[json.exception.type_error.302]
      // type must be string, but is number"), naming no key.
      {[](auto& j) { j["ranges"][0]["kernel"] = 12345; }, "$.ranges[0].kernel: expected a string"},
      {[](auto& j) { j["quantities"][0]["terms"] = "x"; }, "$.quantities[0].terms: expected an array"},
      {[](auto& j) { j.erase("chip"); }, "$: missing key 'chip'"},
  };
  for (const auto& [edit, where] : cases) {
    nlohmann::json j = meta;
    edit(j);
    sections[0].payload = j.dump();
    const std::string e = error_of(test::framed(sections));
    EXPECT_NE(e.find("x.fscounters: damaged counter-file metadata: " + where), std::string::npos) << e;
  }
  // A key given twice (which value was meant?) and nesting past 64 levels, as
  // in results files: the name once read "Totally Different GPU", the last one.
  std::string twice = sections[0].payload;
  const size_t name = twice.find("\"name\":");
  ASSERT_NE(name, std::string::npos);
  twice.insert(name, "\"name\":\"Totally Different GPU\",");
  sections[0].payload = twice;
  EXPECT_NE(error_of(test::framed(sections)).find("$.device: key 'name' appears twice in one object"), std::string::npos) << error_of(test::framed(sections));
  sections[0].payload = std::string(100, '[') + std::string(100, ']');
  EXPECT_NE(error_of(test::framed(sections)).find("nest"), std::string::npos) << error_of(test::framed(sections));
}

// Found by fuzzing (fuzz_counter_file, once it required the folded document to
// load back): a quantity named flops.bf17_tensor folded into hw.flops_by_pipe,
// which no results file may hold. Quantity keys are what the fold knows, and
// their factors 0 to 1e6 (plans use 1e-9 to 4; larger ones overflow to inf).
TEST(CounterFile, UnknownQuantitiesAndBadFactorsAreDamage) {
  const CounterFile good = test::sample_counter_file();
  ASSERT_FALSE(good.quantities.empty());
  ASSERT_FALSE(good.quantities[0].terms.empty());
  for (const char* key : {"flops.bf17_tensor", "flops.", "dram_bytes", ""}) {
    CounterFile f = good;
    f.quantities[0].key = key;
    EXPECT_EQ(error_of(serialize_counter_file(f)),
              "x.fscounters: damaged counter-file metadata (unknown quantity '" + std::string(key) + "')");
  }
  for (const double factor : {-2.0, 1e300}) {
    CounterFile f = good;
    f.quantities[0].terms[0].factor = factor;
    EXPECT_NE(error_of(serialize_counter_file(f)).find("scales " + good.quantities[0].terms[0].metric + " by " +
                                                       std::to_string(factor) + ")"),
              std::string::npos)
        << factor;
  }
  // Every key a plan makes loads: each set, every tensor type, peaks included.
  for (const MetricSet set : {MetricSet::timing, MetricSet::flops, MetricSet::roofline}) {
    CounterFile f = good;
    const MetricPlan plan = build_metric_plan("GH100", set, {"fp64", "fp16", "bf16", "tf32", "fp8"});
    f.quantities = plan.quantities;
    f.metrics = plan.metrics;
    EXPECT_EQ(parse_counter_file(serialize_counter_file(f), "x.fscounters").quantities.size(), f.quantities.size());
  }
}

// A quantity summing a metric the file does not record would leave it (and the
// FLOP total) silently short; a metric listed twice is damage too.
TEST(CounterFile, QuantitiesSumOnlyRecordedMetrics) {
  const CounterFile good = test::sample_counter_file();
  CounterFile f = good;
  f.quantities[0].available = true;
  f.quantities[0].terms[0].metric = "dram__bytes_never_recorded.sum";
  EXPECT_EQ(error_of(serialize_counter_file(f)),
            "x.fscounters: damaged counter-file metadata (quantity '" + good.quantities[0].key +
                "' sums dram__bytes_never_recorded.sum, which the file does not record)");
  f = good;
  f.metrics.push_back(f.metrics.front());
  EXPECT_EQ(error_of(serialize_counter_file(f)), "x.fscounters: damaged counter-file metadata (a metric is listed twice)");
}

// A recorded range listed twice would have its counters summed twice.
TEST(CounterFile, ARangeListedTwiceIsDamage) {
  CounterFile f = test::sample_counter_file();
  ASSERT_FALSE(f.ranges.empty());
  f.ranges.push_back(f.ranges.front());
  EXPECT_EQ(error_of(serialize_counter_file(f)),
            "x.fscounters: damaged counter file: range " + std::to_string(f.ranges.front().range_index) +
                " of counter image " + std::to_string(f.ranges.front().image) +
                " is listed twice (its counters would be summed twice)");
}

// A quantity given twice, or a second META section (its quantities and ranges
// would be appended to the first's), would count the same FLOPs twice.
TEST(CounterFile, RepeatedQuantitiesAndSectionsAreDamage) {
  CounterFile f = test::sample_counter_file();
  f.quantities.push_back(f.quantities[0]);
  EXPECT_EQ(error_of(serialize_counter_file(f)), "x.fscounters: damaged counter-file metadata (quantity '" +
                                                     f.quantities[0].key + "' given twice)");
  // Rebuild a good file with its META (the first section, after the 24-byte
  // header) twice: fix the total length and the CRC-32 so that only the
  // repetition is wrong.
  const std::string bytes = serialize_counter_file(test::sample_counter_file());
  auto le = [&](size_t at, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | uint8_t(bytes[at + i]);
    return v;
  };
  ASSERT_EQ(bytes.substr(24, 4), "META");
  const std::string meta = bytes.substr(24, 12 + le(28, 8));
  std::string twice = bytes.substr(0, bytes.size() - 4);
  twice.insert(24 + meta.size(), meta);
  const uint64_t total = twice.size() + 4;
  for (int i = 0; i < 8; ++i) twice[16 + i] = char(total >> (8 * i));
  uint32_t crc = 0xFFFFFFFFu;
  for (const char ch : twice) {
    crc ^= uint8_t(ch);
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  crc ^= 0xFFFFFFFFu;
  for (int i = 0; i < 4; ++i) twice.push_back(char(crc >> (8 * i)));
  EXPECT_EQ(error_of(twice), "x.fscounters: damaged counter file: a second META section");
}

// flopscope bench --counters: each range carries its run (id, precision, shape
// in parameter order); application ranges carry none, and older files without
// the field read as application ranges.
TEST(CounterFile, BenchmarkRunsRoundTrip) {
  CounterFile f = test::sample_counter_file();
  f.ranges[0].run = {"gemm.naive.fp32", "fp32", {{"m", 256}, {"n", 192}, {"k", 128}}};
  f.ranges[1].run = {"attention.flash.bf16", "bf16_tensor", {{"b", 1}, {"h", 8}, {"s", 1024}, {"d", 64}}};
  const std::string bytes = serialize_counter_file(f);
  const CounterFile g = parse_counter_file(bytes, "mem");
  ASSERT_EQ(g.ranges.size(), 3u);
  EXPECT_EQ(g.ranges[0].run.id, "gemm.naive.fp32");
  EXPECT_EQ(g.ranges[0].run.precision, "fp32");
  EXPECT_EQ(g.ranges[0].run.shape, (Shape{{"m", 256}, {"n", 192}, {"k", 128}}));
  EXPECT_EQ(g.ranges[1].run.id, "attention.flash.bf16");
  EXPECT_EQ(g.ranges[1].run.shape, (Shape{{"b", 1}, {"h", 8}, {"s", 1024}, {"d", 64}}));  // order kept
  EXPECT_TRUE(g.ranges[2].run.id.empty());
  EXPECT_EQ(serialize_counter_file(g), bytes);
  // Ranges without a run write no "run" key: files of application kernels are unchanged.
  EXPECT_NE(bytes.find("\"run\""), std::string::npos);
  EXPECT_EQ(serialize_counter_file(test::sample_counter_file()).find("\"run\""), std::string::npos);
}

namespace {

EvaluatedRange evaluated(const std::string& kernel, const std::string& nvtx, const CounterRun& run, double fp32,
                         double duration_s, double dram_read = 0) {
  EvaluatedRange e;
  e.range.kernel = kernel;
  e.range.nvtx = nvtx;
  e.range.run = run;
  e.hw.flops_by_pipe["fp32"] = fp32;
  e.hw.flops_total = fp32;
  e.hw.duration_s = duration_s;
  e.hw.sm_clock_hz = 1.98e9;
  e.hw.dram_read_bytes = dram_read;
  e.hw.dram_write_bytes = 0;
  e.hw.metrics["dram__bytes_read.sum"] = dram_read;
  return e;
}

DeviceInfo h200() {
  DeviceInfo d;
  d.name = "NVIDIA H200";
  d.gpu_key = "h200";
  return d;
}

}  // namespace

// A benchmark run is its consecutive launches, summed the way bench sums them
// (combine_launches), under the run's own id, shape and NVTX path; application
// kernels fold per kernel x NVTX path as a per-launch mean, named as profile
// names them.
TEST(CounterFile, BenchmarkRunsBecomeTheirOwnRuns) {
  const CounterRun gemm{"gemm.naive.fp32", "fp32", {{"m", 256}, {"n", 256}, {"k", 256}}};
  const CounterRun gemm_big{"gemm.naive.fp32", "fp32", {{"m", 512}, {"n", 256}, {"k", 256}}};
  const CounterRun attn{"attention.naive.fp32", "fp32", {{"s", 128}}};
  const std::string gemm_nvtx = "gemm.naive.fp32 m=256 n=256 k=256";
  const std::vector<EvaluatedRange> ranges{
      evaluated("_Z10gemm_naivePKfS0_Pfiii", gemm_nvtx, gemm, 33554432, 2e-4, 1000),
      evaluated("_Z10gemm_naivePKfS0_Pfiii", "gemm.naive.fp32 m=512 n=256 k=256", gemm_big, 67108864, 4e-4),
      // A run of two kernels: one results run, summed.
      evaluated("_Z6scoresv", "attention.naive.fp32 s=128", attn, 1000, 1e-5, 10),
      evaluated("_Z7softmaxv", "attention.naive.fp32 s=128", attn, 500, 3e-5, 20),
      // Application kernels: a mean per launch, under the demangled short name.
      evaluated("_Z10app_kernelIfEvPT_", "step", {}, 100, 1e-6),
      evaluated("_Z10app_kernelIfEvPT_", "step", {}, 300, 3e-6),
  };
  const ResultsDoc doc = evaluated_ranges_to_results(h200(), ranges);
  ASSERT_EQ(doc.runs.size(), 4u);
  EXPECT_GT(doc.peaks.datasheet.dram_bytes_per_s, 0);

  const RunRecord& a = doc.runs[0];
  EXPECT_EQ(a.id, "gemm.naive.fp32");
  EXPECT_EQ(a.family, "gemm");
  EXPECT_EQ(a.variant, "naive");
  EXPECT_EQ(a.dtype, "fp32");
  EXPECT_EQ(a.precision, "fp32");
  EXPECT_EQ(a.shape, gemm.shape);
  EXPECT_EQ(a.nvtx, gemm_nvtx);
  EXPECT_EQ(a.name, "gemm_naive(float const*, float const*, float*, int, int, int)");
  EXPECT_EQ(a.launches, 1);
  ASSERT_TRUE(a.hw);
  EXPECT_EQ(a.hw->flops_by_pipe.at("fp32"), 33554432.0);
  EXPECT_DOUBLE_EQ(a.time_s.median, 2e-4);
  EXPECT_NEAR(a.sm_clock_mhz.value_or(0), 1980, 1e-9);
  ASSERT_TRUE(a.derived.tflops_hw);
  EXPECT_DOUBLE_EQ(*a.derived.tflops_hw, 33554432.0 / 2e-4 / 1e12);
  EXPECT_FALSE(a.derived.mfu);  // no model FLOPs in a counter file

  EXPECT_EQ(doc.runs[1].shape, gemm_big.shape);
  EXPECT_EQ(doc.runs[1].hw->flops_by_pipe.at("fp32"), 67108864.0);

  const RunRecord& b = doc.runs[2];
  EXPECT_EQ(b.id, "attention.naive.fp32");
  EXPECT_EQ(b.launches, 2);
  EXPECT_TRUE(b.name.empty());  // two kernels
  EXPECT_EQ(b.hw->flops_by_pipe.at("fp32"), 1500.0);
  EXPECT_EQ(b.hw->flops_total.value_or(0), 1500.0);
  EXPECT_DOUBLE_EQ(b.hw->duration_s.value_or(0), 4e-5);
  EXPECT_EQ(b.hw->dram_read_bytes.value_or(0), 30.0);
  EXPECT_EQ(b.hw->metrics.at("dram__bytes_read.sum"), 30.0);
  EXPECT_NEAR(b.hw->sm_clock_hz.value_or(0), 1.98e9, 1);  // averaged, not summed
  EXPECT_DOUBLE_EQ(b.time_s.median, 4e-5);

  const RunRecord& c = doc.runs[3];
  EXPECT_EQ(c.family, "app");
  EXPECT_EQ(c.variant, "app_kernel");
  EXPECT_EQ(c.id, "app.app_kernel.fp32");
  EXPECT_EQ(c.name, "void app_kernel<float>(float*)");
  EXPECT_TRUE(c.shape.empty());
  EXPECT_EQ(c.launches, 2);
  EXPECT_EQ(c.hw->flops_by_pipe.at("fp32"), 200.0);  // per launch
  EXPECT_DOUBLE_EQ(c.time_s.median, 2e-6);
}

// The same run twice in a row with another NVTX path stays two runs; so do
// runs of one id at two shapes.
TEST(CounterFile, BenchmarkRunsSplitWhereTheRunChanges) {
  const CounterRun r{"memory.copy.fp32", "fp32", {{"n", 1024}}};
  const CounterRun other{"memory.copy.fp32", "fp32", {{"n", 2048}}};
  const ResultsDoc doc = evaluated_ranges_to_results(
      std::nullopt, {evaluated("k", "a", r, 1, 1e-6), evaluated("k", "b", r, 2, 1e-6),
                     evaluated("k", "b", other, 3, 1e-6), evaluated("k", "b", other, 4, 1e-6)});
  ASSERT_EQ(doc.runs.size(), 3u);
  EXPECT_EQ(doc.runs[0].hw->flops_total.value_or(0), 1.0);
  EXPECT_EQ(doc.runs[1].hw->flops_total.value_or(0), 2.0);
  EXPECT_EQ(doc.runs[2].hw->flops_total.value_or(0), 7.0);
  EXPECT_FALSE(doc.device);
  EXPECT_EQ(doc.peaks.datasheet.dram_bytes_per_s, 0);
  EXPECT_NO_THROW(parse_results(to_json_text(doc), "written.json"));
}

// Found by fuzz_counter_file: a run whose durations are all 0 had a median of
// 0, which no results file takes; like profile, it keeps 1 ns. A run with no
// duration at all (every plan has one) is damage.
TEST(CounterFile, ZeroDurationsKeepOneNanosecondAndNoneIsDamage) {
  const CounterRun r{"memory.copy.fp32", "fp32", {{"n", 1024}}};
  const ResultsDoc doc = evaluated_ranges_to_results(std::nullopt, {evaluated("k", "a", r, 1, 0), evaluated("k", "b", {}, 1, 0)});
  ASSERT_EQ(doc.runs.size(), 2u);
  for (const RunRecord& run : doc.runs) EXPECT_EQ(run.time_s.median, 1e-9) << run.id;
  EXPECT_NO_THROW(parse_results(to_json_text(doc), "written.json"));
  EvaluatedRange untimed = evaluated("k", "a", r, 1, 0);
  untimed.hw.duration_s.reset();
  const std::string why = refusal([&] { evaluated_ranges_to_results(std::nullopt, {evaluated("k", "b", {}, 1, 1e-6), untimed}); });
  EXPECT_EQ(why.rfind("range 1 (memory.copy.fp32 n=1024 [a]) has no kernel duration", 0), 0u) << why;
}

// A benchmark run that comes back after another run would be two runs with one
// key, which no results file holds (`compare` could not match them, and report
// would show one): the fold refuses it, naming both ranges, rather than hand
// on a document that cannot be written.
TEST(CounterFile, BenchmarkRunRepeatedAfterOthersIsRefused) {
  const CounterRun r{"memory.copy.fp32", "fp32", {{"n", 1024}}};
  const CounterRun other{"memory.copy.fp32", "fp32", {{"n", 2048}}};
  const std::string again = refusal([&] {
    evaluated_ranges_to_results(std::nullopt, {evaluated("k", "b", r, 1, 1e-6), evaluated("k", "b", r, 2, 1e-6),
                                               evaluated("k", "b", other, 3, 1e-6), evaluated("k", "b", r, 4, 1e-6)});
  });
  EXPECT_EQ(again.rfind("range 3 repeats the benchmark run of range 0 (memory.copy.fp32 n=1024 [b]) after other runs", 0),
            0u)
      << again;
  // A different precision under one id, shape and NVTX path is one key too.
  const CounterRun tensor{"memory.copy.fp32", "tf32_tensor", {{"n", 1024}}};
  const std::string precision = refusal([&] {
    evaluated_ranges_to_results(std::nullopt, {evaluated("k", "b", r, 1, 1e-6), evaluated("k", "b", tensor, 2, 1e-6)});
  });
  EXPECT_EQ(precision.rfind("range 1 repeats the benchmark run of range 0", 0), 0u) << precision;
  // A benchmark id spelled like an application kernel's under the same NVTX path.
  const CounterRun posing{"app.k.fp32", "fp32", {}};
  const std::string posed = refusal([&] {
    evaluated_ranges_to_results(std::nullopt, {evaluated("k", "b", {}, 1, 1e-6), evaluated("k", "b", posing, 2, 1e-6)});
  });
  EXPECT_EQ(posed.rfind("ranges 0 and 1 fold into runs with one id, shape and NVTX path (app.k", 0), 0u) << posed;
}

// profile --counters FILE: the sessions of several processes (same plan) in one file.
TEST(CounterFile, MergeAppendsImagesAndRepointsRanges) {
  CounterFile a = test::sample_counter_file(), b = test::sample_counter_file();
  b.counter_images = {std::vector<uint8_t>(77, 9)};
  b.ranges = {{"other", "x", "0", 0, 0, 0, {}}, {"other", "x", "1", 0, 1, 5, {}}};
  b.dropped_ranges = 2;
  b.device->name = "second";
  const CounterFile m = merge_counter_files({a, b}, {"1.fscounters", "2.fscounters"});
  EXPECT_EQ(m.chip, a.chip);
  EXPECT_EQ(m.config_image, a.config_image);
  ASSERT_EQ(m.counter_images.size(), 3u);
  EXPECT_EQ(m.counter_images[2], b.counter_images[0]);
  ASSERT_EQ(m.ranges.size(), 5u);
  EXPECT_EQ(m.ranges[3].kernel, "other");
  EXPECT_EQ(m.ranges[3].image, 2u);
  EXPECT_EQ(m.ranges[4].range_index, 1u);
  EXPECT_EQ(m.ranges[3].launch, 3u);  // after a's launches 0..2
  EXPECT_EQ(m.ranges[4].launch, 8u);
  EXPECT_EQ(m.dropped_ranges, 5u);
  EXPECT_EQ(m.device->name, "NVIDIA H200");  // the first file's
  // Still a valid file: every range names an image it has.
  EXPECT_EQ(parse_counter_file(serialize_counter_file(m), "m").ranges.size(), 5u);
  EXPECT_EQ(merge_counter_files({a}, {"1"}).ranges.size(), a.ranges.size());

  // Another plan cannot share the file: bad input naming both files.
  CounterFile c = test::sample_counter_file();
  c.metrics.pop_back();
  for (const CounterFile& bad : {c, [] {
                                   CounterFile d = test::sample_counter_file();
                                   d.chip = "GA100";
                                   return d;
                                 }()}) {
    try {
      merge_counter_files({a, bad}, {"1.fscounters", "2.fscounters"});
      ADD_FAILURE() << "merged two plans";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input);
      const std::string what = e.what();
      EXPECT_NE(what.find("2.fscounters"), std::string::npos) << what;
      EXPECT_NE(what.find("1.fscounters"), std::string::npos) << what;
    }
  }
  EXPECT_THROW(merge_counter_files({}, {}), Error);
}

// A recording that reached its size limit says how many ranges it left out,
// and so does one that left out ranges for an unreadable counter (they once
// vanished, and `report` summed the rest as if whole); older files without the
// keys read as 0, and merging adds them up.
TEST(CounterFile, LeftOutRangesRoundTripAndMerge) {
  for (const auto& [key, field] : {std::pair{"unsaved_ranges", &CounterFile::unsaved_ranges},
                                   std::pair{"unreadable_ranges", &CounterFile::unreadable_ranges}}) {
    SCOPED_TRACE(key);
    CounterFile a = test::sample_counter_file();
    EXPECT_EQ(serialize_counter_file(a).find(key), std::string::npos);
    EXPECT_EQ(parse_counter_file(serialize_counter_file(a), "a").*field, 0u);
    a.*field = 4;
    EXPECT_EQ(parse_counter_file(serialize_counter_file(a), "a").*field, 4u);
    CounterFile b = test::sample_counter_file();
    b.*field = 1;
    EXPECT_EQ(merge_counter_files({a, b}, {"a", "b"}).*field, 5u);
  }
}

// Ordinals and counts that would pass 2^64 when merged come from a damaged
// file: refused naming it, not wrapped round into plausible small numbers.
TEST(CounterFile, MergeRefusesCountsThatWouldWrap) {
  const CounterFile a = test::sample_counter_file();
  CounterFile huge_launch = test::sample_counter_file(), huge_dropped = test::sample_counter_file();
  huge_launch.ranges.back().launch = UINT64_MAX;
  huge_dropped.dropped_ranges = UINT64_MAX;
  for (const auto& [files, damaged] : std::vector<std::pair<std::vector<CounterFile>, std::string>>{
           {{huge_launch, a}, "1.fscounters"}, {{a, huge_launch}, "2.fscounters"}, {{a, huge_dropped}, "2.fscounters"}}) {
    const std::string why = refusal([&] { merge_counter_files(files, {"1.fscounters", "2.fscounters"}); });
    EXPECT_EQ(why, damaged + ": a launch ordinal or range count too large to merge (is the file damaged?)");
  }
  EXPECT_EQ(merge_counter_files({huge_launch}, {"1.fscounters"}).ranges.back().launch, UINT64_MAX);  // nothing to add
}

// No file is written that read_file would refuse: serialize checks the size first.
TEST(CounterFile, RefusesAFileTooBigToReadBack) {
  const CounterFile f = test::sample_counter_file();
  const size_t size = serialize_counter_file(f).size();
  EXPECT_EQ(serialize_counter_file(f, size).size(), size);  // exactly at the limit: fine
  try {
    serialize_counter_file(f, size - 1);
    FAIL() << "serialized a file over the limit";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    const std::string what = e.what();
    EXPECT_NE(what.find("would be " + std::to_string(size) + " bytes (3 ranges)"), std::string::npos) << what;
    EXPECT_NE(what.find("--launch-count"), std::string::npos) << what;
  }
}

// Session bounds its raw record with these: exact for images, an upper bound
// for ranges, whatever their names hold (JSON escapes control bytes 6-fold).
TEST(CounterFile, SizeBoundsHold) {
  CounterFile f = test::sample_counter_file();
  f.ranges.clear();
  f.counter_images.clear();
  const size_t base = serialize_counter_file(f).size();

  CounterFile with_images = f;
  with_images.counter_images = test::sample_counter_file().counter_images;
  uint64_t images = 0;
  for (const auto& img : with_images.counter_images) images += counter_image_bytes(img);
  EXPECT_EQ(serialize_counter_file(with_images).size(), base + images);

  CounterFile with_ranges = with_images;
  CounterRun run{"gemm.naive.fp32", "fp32", {{"m", -9223372036854775807LL}, {"n\x01\"", 17}}};
  const std::string control(40, '\x01');
  with_ranges.ranges = {
      {control, control + "/" + control, control, 0, 4294967295u, 18446744073709551615ull, run},
      {"", "", "", 1, 0, 0, {}},
      {"void f<float>(int)", "a/b", "12345", 0, 1, 1, run},
  };
  uint64_t bound = 0;
  for (const auto& r : with_ranges.ranges) bound += counter_range_bytes_bound(r);
  const size_t added = serialize_counter_file(with_ranges).size() - base - images;
  EXPECT_LE(added, bound);
  EXPECT_GT(added, bound / 8);  // a bound, but not a wild one
}
