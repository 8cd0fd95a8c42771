#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "flopscope/error.h"
#include "flopscope/results.h"
#include "unit/sample_doc.h"

using namespace flopscope;

static std::string error_of(const std::string& text) {
  try {
    parse_results(text, "r.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    return e.what();
  }
  return "";
}

TEST(Results, DerivedFigures) {
  const ResultsDoc doc = test::sample_doc();
  const RunRecord& g = doc.runs[0];
  EXPECT_NEAR(g.derived.tflops_model, 2.0 * 8192.0 * 8192 * 8192 / 1.4e-3 / 1e12, 1e-6);
  EXPECT_EQ(g.derived.peak_key, "bf16_tensor");
  EXPECT_NEAR(g.derived.peak_tflops, 989.4, 0.05);
  EXPECT_NEAR(*g.derived.mfu, g.derived.tflops_model / g.derived.peak_tflops, 1e-12);
  EXPECT_NEAR(*g.derived.hfu, *g.derived.mfu * 1.0002, 1e-9);
  EXPECT_EQ(g.derived.bound, "compute");
  ASSERT_TRUE(g.derived.ai_dram_hw);
  EXPECT_NEAR(*g.derived.ai_dram_hw, *g.hw->flops_total / 6.4e8, 1e-6);

  const RunRecord& c = doc.runs[1];
  EXPECT_EQ(c.derived.bound, "memory");
  EXPECT_DOUBLE_EQ(c.derived.ai_dram, 0);
  // 2 GiB moved in 0.52 ms against 4.8 TB/s
  EXPECT_NEAR(c.derived.pct_of_roof, 100.0 * (2.0 * 4 * (1 << 28) / 0.52e-3) / 4.8e12, 1e-6);
}

TEST(Results, JsonRoundTrip) {
  const ResultsDoc doc = test::sample_doc();
  const std::string text = to_json_text(doc);
  const ResultsDoc back = parse_results(text, "mem");
  EXPECT_EQ(to_json_text(back), text);  // lossless
  EXPECT_EQ(back.runs.size(), 2u);
  EXPECT_EQ(back.runs[0].shape, doc.runs[0].shape);
  EXPECT_EQ(back.runs[0].time_s.samples, doc.runs[0].time_s.samples);
  ASSERT_TRUE(back.runs[0].hw);
  EXPECT_FALSE(back.runs[0].hw->l1_bytes);  // absent stays absent
  EXPECT_EQ(back.device->gpu_key, "h200");
}

TEST(Results, DocumentedKeysPresent) {
  const auto j = nlohmann::json::parse(to_json_text(test::sample_doc()));
  EXPECT_EQ(j["schema"], "flopscope.results/1");
  const auto& r = j["runs"][0];
  for (const char* k : {"family", "variant", "dtype", "shape", "time_s", "model", "hw", "derived",
                        "validation"})
    EXPECT_TRUE(r.contains(k)) << k;
  for (const char* k : {"median", "p10", "p90", "samples"}) EXPECT_TRUE(r["time_s"].contains(k));
  for (const char* k : {"flops_total", "flops_by_pipe", "dram_read_bytes", "dram_write_bytes",
                        "l2_bytes"})
    EXPECT_TRUE(r["hw"].contains(k)) << k;
  for (const char* k : {"tflops_model", "tflops_hw", "mfu", "hfu", "ai_dram", "bound", "pct_of_roof"})
    EXPECT_TRUE(r["derived"].contains(k)) << k;
  for (const char* k : {"max_rel_err", "tolerance", "passed"})
    EXPECT_TRUE(r["validation"].contains(k)) << k;
  EXPECT_FALSE(j["runs"][1].contains("hw"));  // absent when counters were not collected
}

TEST(Results, RejectsTruncated) {
  const std::string text = to_json_text(test::sample_doc());
  for (size_t cut : {size_t(0), size_t(1), text.size() / 3, text.size() / 2, text.size() - 3}) {
    const std::string err = error_of(text.substr(0, cut));
    EXPECT_NE(err.find("r.json"), std::string::npos) << err;
    EXPECT_TRUE(err.find("truncated") != std::string::npos || err.find("malformed") != std::string::npos)
        << err;
  }
}

TEST(Results, RejectsMalformedWithJsonPath) {
  auto j = nlohmann::json::parse(to_json_text(test::sample_doc()));
  auto with = [&](auto edit) {
    auto copy = j;
    edit(copy);
    return error_of(copy.dump());
  };
  EXPECT_NE(with([](auto& d) { d["runs"][1]["time_s"]["median"] = "fast"; })
                .find("$.runs[1].time_s.median: expected a number"),
            std::string::npos);
  EXPECT_NE(with([](auto& d) { d["runs"][0].erase("model"); }).find("$.runs[0]: missing key 'model'"),
            std::string::npos);
  EXPECT_NE(with([](auto& d) { d["schema"] = "flopscope.results/9"; }).find("unsupported schema"),
            std::string::npos);
  EXPECT_NE(with([](auto& d) { d["runs"][0]["precision"] = "fp33"; }).find("unknown precision"),
            std::string::npos);
  EXPECT_NE(with([](auto& d) { d["runs"][0]["derived"]["bound"] = "disk"; }).find("$.runs[0].derived.bound"),
            std::string::npos);
  EXPECT_NE(with([](auto& d) { d["runs"] = 3; }).find("$.runs: expected an array"), std::string::npos);
  EXPECT_NE(with([](auto& d) { d["runs"][0]["time_s"]["median"] = 0; }).find("must be positive"),
            std::string::npos);
  EXPECT_NE(error_of("[1,2]").find("$: expected an object"), std::string::npos);
  EXPECT_NE(error_of("").find("truncated"), std::string::npos);
}

TEST(Results, AtomicWriteAndRead) {
  namespace fs = std::filesystem;
  const std::string dir = test::temp_dir();
  const std::string path = dir + "/out.json";
  write_results(path, test::sample_doc());
  EXPECT_EQ(read_results(path).runs.size(), 2u);
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  EXPECT_THROW(write_results(dir + "/missing-dir/out.json", test::sample_doc()), Error);
  EXPECT_THROW(read_results(dir + "/nope.json"), Error);
  EXPECT_THROW(read_results(dir), Error);
}
