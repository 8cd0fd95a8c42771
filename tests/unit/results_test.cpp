#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "flopscope/error.h"
#include "flopscope/full_report.h"
#include "flopscope/results.h"
#include "unit/sample_doc.h"

using namespace flopscope;

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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
  // The NVIDIA driver's own version, when read, travels; absent, it stays absent.
  EXPECT_EQ(nlohmann::json::parse(text)["device"].count("nvidia_driver"), 0u);
  ResultsDoc with_driver = doc;
  with_driver.device->nvidia_driver = "580.159.04";
  EXPECT_EQ(parse_results(to_json_text(with_driver), "mem").device->nvidia_driver, "580.159.04");
}

// Two runs compare could not tell apart are what the reader refuses, so the
// writer refuses them too and leaves whatever was at the path alone.
TEST(Results, TwoRunsWithOneKeyAreNotWritten) {
  const std::string path = test::temp_dir() + "/out.json";
  write_results(path, test::sample_doc());
  ResultsDoc doc = test::sample_doc();
  doc.runs.push_back(doc.runs[0]);
  std::reverse(doc.runs.back().shape.begin(), doc.runs.back().shape.end());  // key order does not matter
  try {
    write_results(path, doc);
    FAIL() << "wrote two runs with one key";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_EQ(std::string(e.what()).rfind("results not written: runs[0] and runs[2] are the same run (" +
                                              doc.runs[0].id, 0),
              0u)
        << e.what();
  }
  EXPECT_EQ(read_results(path).runs.size(), 2u);
  doc.runs.back().nvtx = "another/path";  // a different NVTX path is another run
  EXPECT_EQ(parse_results(to_json_text(doc), "mem").runs.size(), 3u);
}

// A run whose derived figures overflowed, or that was never derived, is not
// written: the reader refused the file the writer called a success.
TEST(Results, RunsTheReaderWouldRefuseAreNotWritten) {
  ResultsDoc doc = test::sample_doc();
  doc.runs[0].model.flops = 1e308;
  doc.runs[0].time_s.median = 1e-9;
  compute_derived(doc.runs[0], doc.peaks.datasheet);
  ASSERT_FALSE(derived_is_finite(doc.runs[0].derived));
  try {
    (void)to_json_text(doc);
    ADD_FAILURE() << "wrote a run with a figure that is not finite";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("results not written: runs[0] (" + doc.runs[0].id), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("a derived figure is not finite"), std::string::npos) << e.what();
  }
  doc = test::sample_doc();
  doc.runs[1].derived = Derived{};  // never derived
  try {
    (void)to_json_text(doc);
    ADD_FAILURE() << "wrote a run that was never derived";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("derived.bound is '', not memory, compute or unknown"), std::string::npos)
        << e.what();
  }
}

// A clock the reader refuses (a failed probe's 0.2 or 1e6 MHz) is not written,
// so every file the writer makes can be read back.
TEST(Results, ImplausibleClockIsLeftOut) {
  ResultsDoc doc = test::sample_doc();
  doc.runs[0].sm_clock_mhz = 1e6;
  doc.runs[1].sm_clock_mhz = 0.2;
  const ResultsDoc back = parse_results(to_json_text(doc), "mem");
  EXPECT_FALSE(back.runs[0].sm_clock_mhz);
  EXPECT_FALSE(back.runs[1].sm_clock_mhz);
}

// Power and clock limits: absent when not read, an empty list when NVML read
// that nothing held the clocks down; names round-trip; power below 0 or a
// name that is not a string is refused with the key's path.
TEST(Results, PowerAndClockLimitsRoundTrip) {
  ResultsDoc doc = test::sample_doc();
  doc.runs[0].power_w = 698.5;
  doc.runs[0].clock_limits = std::vector<std::string>{"sw_power_cap", "hw_thermal"};
  doc.runs[1].clock_limits = std::vector<std::string>{};
  const std::string text = to_json_text(doc);
  const ResultsDoc back = parse_results(text, "mem");
  EXPECT_EQ(back.runs[0].power_w, 698.5);
  EXPECT_EQ(back.runs[0].clock_limits, doc.runs[0].clock_limits);
  EXPECT_FALSE(back.runs[1].power_w);
  ASSERT_TRUE(back.runs[1].clock_limits);
  EXPECT_TRUE(back.runs[1].clock_limits->empty());
  EXPECT_FALSE(parse_results(to_json_text(test::sample_doc()), "mem").runs[0].clock_limits);

  auto j = nlohmann::json::parse(text);
  j["runs"][0]["power_w"] = -1;
  EXPECT_NE(error_of(j.dump()).find("runs[0].power_w"), std::string::npos) << error_of(j.dump());
  j = nlohmann::json::parse(text);
  j["runs"][0]["clock_limits"] = {"sw_power_cap", 4};
  EXPECT_NE(error_of(j.dump()).find("runs[0].clock_limits[1]"), std::string::npos) << error_of(j.dump());
}

// A run with no model (an application kernel) has no model TFLOP/s or
// intensity: the keys are left out, not written as 0 beside a real time, and a
// file that has them (0) still reads. A kernel with a model needs them.
TEST(Results, ModelFiguresOnlyWithAModel) {
  ResultsDoc doc = test::sample_doc();
  doc.runs[0].family = "app";
  doc.runs[0].model = {};
  doc.runs[0].derived.tflops_model = 0;
  doc.runs[0].derived.ai_dram = 0;
  auto j = nlohmann::json::parse(to_json_text(doc));
  for (const char* k : {"tflops_model", "ai_dram"}) {
    EXPECT_FALSE(j["runs"][0]["derived"].contains(k)) << k;
    EXPECT_TRUE(j["runs"][1]["derived"].contains(k)) << k;
  }
  EXPECT_EQ(parse_results(j.dump(), "r.json").runs[0].derived.tflops_model, 0);
  j["runs"][0]["derived"]["tflops_model"] = 0.0;  // as files before 2026-12-01 wrote it
  j["runs"][0]["derived"]["ai_dram"] = 0.0;
  EXPECT_NO_THROW(parse_results(j.dump(), "r.json"));
  j["runs"][1]["derived"].erase("ai_dram");
  EXPECT_NE(error_of(j.dump()).find("$.runs[1].derived"), std::string::npos) << error_of(j.dump());
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

// Every cut is named truncation, wherever it falls (a cut inside a string was
// "malformed JSON"), and no bytes at all an empty file.
TEST(Results, RejectsTruncated) {
  const std::string text = to_json_text(test::sample_doc());
  for (size_t cut = 1; cut < text.size() - 1; cut += 1 + cut / 40) {
    const std::string piece = text.substr(0, cut);
    if (piece.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    const std::string err = error_of(piece);
    EXPECT_EQ(err.rfind("r.json: truncated JSON at byte ", 0), 0u) << cut << ": " << err;
  }
  EXPECT_EQ(error_of(""), "r.json: the file is empty; expected JSON (was it written completely?)");
  EXPECT_EQ(error_of(" \n"), "r.json: the file is empty (blanks only); expected JSON (was it written completely?)");
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
  EXPECT_NE(with([](auto& d) { d["runs"][0]["time_s"]["median"] = 0; })
                .find("$.runs[0].time_s.median: expected a number > 0, got 0"),
            std::string::npos);
  EXPECT_NE(error_of("[1,2]").find("$: expected an object"), std::string::npos);
  EXPECT_NE(error_of("").find("the file is empty"), std::string::npos);
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

// A full disk (here a file-size limit) while writing the second of two files
// leaves both as they were: no new Markdown summary beside a stale JUnit file.
TEST(Results, SeveralFilesAreWrittenAllOrNone) {
  namespace fs = std::filesystem;
  const std::string dir = test::temp_dir();
  write_file_atomic(dir + "/a.md", "old a\n");
  write_file_atomic(dir + "/b.xml", "old b\n");
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
  rlimit small = before;
  small.rlim_cur = 4096;
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  try {
    write_files_atomic({{dir + "/a.md", "new a\n"}, {dir + "/b.xml", std::string(1 << 20, 'x')}});
    ADD_FAILURE() << "a write past the limit was not reported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::failure);
    EXPECT_NE(std::string(e.what()).find("b.xml: write failed"), std::string::npos) << e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(slurp(dir + "/a.md"), "old a\n");
  EXPECT_EQ(slurp(dir + "/b.xml"), "old b\n");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 2);  // no temporary file left behind
  write_files_atomic({{dir + "/a.md", "new a\n"}, {dir + "/b.xml", "new b\n"}});
  EXPECT_EQ(slurp(dir + "/a.md"), "new a\n");
  EXPECT_EQ(slurp(dir + "/b.xml"), "new b\n");
}

// A SIGTERM that comes while files are staged waits until they are renamed
// or removed, then ends the process: killed mid-write, it left the hidden
// temporary file behind. The signal is sent from inside the write (the
// SIGXFSZ of a file past its size limit), so the test does not race it.
void raise_sigterm(int) { ::raise(SIGTERM); }

TEST(Results, ASignalDuringTheWriteWaitsAndLeavesNoTemporaryFile) {
  namespace fs = std::filesystem;
  const std::string dir = test::temp_dir();
  write_file_atomic(dir + "/a.md", "old a\n");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    rlimit small{4096, 4096};
    std::signal(SIGXFSZ, raise_sigterm);
    ::setrlimit(RLIMIT_FSIZE, &small);
    try {
      write_files_atomic({{dir + "/a.md", std::string(1 << 20, 'x')}});
    } catch (const Error&) {
      ::_exit(3);  // the write failed, and SIGTERM was still held
    }
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status) << ": SIGTERM was lost";
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(slurp(dir + "/a.md"), "old a\n");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1) << "a temporary file was left behind";
  // The caller's signal mask is as it was.
  sigset_t now;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &now), 0);
  write_file_atomic(dir + "/a.md", "new a\n");
  sigset_t after;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &after), 0);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
    EXPECT_EQ(sigismember(&now, sig), sigismember(&after, sig));
}

// A file replaced keeps its permissions: a report made private stays private.
TEST(Results, AReplacedFileKeepsItsPermissions) {
  const std::string dir = test::temp_dir();
  const std::string path = dir + "/private.md";
  write_file_atomic(path, "old\n");
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  write_file_atomic(path, "new\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(slurp(path), "new\n");
}

// Another user's file replaced (by root) does not keep a mode that could shut
// its owner out of the file, now root's.
TEST(Results, AnotherUsersFileReplacedTakesTheUmasksMode) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to own a file as another user";
  const std::string path = test::temp_dir() + "/theirs.md";
  write_file_atomic(path, "old\n");
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  struct stat st {};
  const mode_t mask = ::umask(022);
  write_file_atomic(path, "newer\n");
  ::umask(mask);
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

// The temporary file is made new (O_EXCL, O_NOFOLLOW) under a name no one can
// guess: a symbolic link planted under the old name, the pid and an index,
// once took the content to the file it pointed at, and was then renamed over
// the output.
TEST(Results, APlantedLinkIsNeverWrittenThrough) {
  namespace fs = std::filesystem;
  const std::string dir = test::temp_dir();
  write_file_atomic(dir + "/victim.txt", "victim\n");
  for (int i = 0; i < 4; ++i)
    fs::create_symlink(dir + "/victim.txt",
                       dir + "/.r.md.tmp." + std::to_string(::getpid()) + "." + std::to_string(i));
  write_file_atomic(dir + "/r.md", "report\n");
  EXPECT_EQ(slurp(dir + "/victim.txt"), "victim\n");
  EXPECT_FALSE(fs::is_symlink(dir + "/r.md"));
  EXPECT_EQ(slurp(dir + "/r.md"), "report\n");
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += fs::is_regular_file(fs::symlink_status(e.path()));
  EXPECT_EQ(files, 2);  // victim.txt and r.md: no temporary file left behind
}

// ---- Validation: what a results file may hold (docs/results-format.md) ----------

namespace {


std::vector<std::string> fixture_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(FLOPSCOPE_FIXTURES_DIR))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A record as `profile` writes one for operations shorter than the timer's
// resolution: median raised to 1 ns, p10 = p90 = 0, zero samples, device 0.
nlohmann::json profile_like_run() {
  auto j = nlohmann::json::parse(to_json_text(test::sample_doc()))["runs"][1];
  j["family"] = "app";
  j["variant"] = "memset";
  j["dtype"] = "unknown";
  j["id"] = "app.memset.unknown";
  j["shape"] = {{"device", 0}};
  j["nvtx"] = "step/zero";
  j["launches"] = 3;
  j["time_s"] = {{"median", 1e-9}, {"p10", 0}, {"p90", 0}, {"samples", {0, 0, 0}}};
  j["model"] = {{"flops", 0}, {"bytes", 0}};
  return j;
}

// Either it loads, or it is one bad_input line: nothing else may come out.
bool loads_or_one_line(const std::string& text, std::string* err = nullptr) {
  try {
    const ResultsDoc doc = parse_results(text, "f.json");
    // What loads must render: a byte flip can make odd but valid files.
    const std::vector<ResultsDoc> docs{doc};
    render_report_terminal(docs, 100, false);
    render_report_csv(docs);
    render_report_svg(docs);
    return true;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input) << e.what();
    if (err) *err = e.what();
    return false;
  }
}

}  // namespace

TEST(ResultsValidation, EveryFixtureAndWriterOutputLoads) {
  // The fixtures and golden files: every results file in tests/fixtures.
  const auto files = fixture_files();
  ASSERT_GE(files.size(), 3u);
  for (const auto& f : files) EXPECT_NO_THROW(read_results(f)) << f;
  // What the writer produces reads back.
  ResultsDoc doc = test::sample_doc();
  EXPECT_NO_THROW(parse_results(to_json_text(doc), "mem"));
  // A kernel whose output held NaN: its errors are infinite, written as null
  // (JSON has no infinity), and read back as infinity.
  doc.runs[0].validation = Validation{INFINITY, std::nan(""), 1e-2, false};
  const std::string text = to_json_text(doc);
  EXPECT_NE(text.find("\"max_rel_err\": null"), std::string::npos);
  const ResultsDoc back = parse_results(text, "mem");
  EXPECT_TRUE(std::isinf(back.runs[0].validation->max_rel_err));
  EXPECT_TRUE(std::isinf(back.runs[0].validation->rel_l2_err));
  EXPECT_EQ(to_json_text(back), text);
  // What profile writes for zero-length operations, and a ceilings file's
  // empty datasheet for an unknown GPU.
  auto j = nlohmann::json::parse(to_json_text(test::sample_doc()));
  j["runs"].push_back(profile_like_run());
  j["runs"][1]["time_s"]["samples"] = nlohmann::json::array();  // no samples: compare calls it inconclusive
  j["runs"][1]["hw"] = {{"flops_total", 0}, {"flops_by_pipe", {{"fp32", 0}}}, {"sm_clock_hz", 0}};
  j["peaks"]["datasheet"] = {{"source", "none: unknown GPU"}, {"flops_per_s", nlohmann::json::object()},
                             {"dram_bytes_per_s", 0}};
  EXPECT_NO_THROW(parse_results(j.dump(), "profile.json"));
}

TEST(ResultsValidation, RejectsAbsurdValuesNamingPathAndRule) {
  const auto base = nlohmann::json::parse(slurp(std::string(FLOPSCOPE_FIXTURES_DIR) + "/handmade-h200.json"));
  using Edit = std::function<void(nlohmann::json&)>;
  const std::vector<std::pair<Edit, std::string>> cases{
      {[](auto& d) { d["runs"][0]["launches"] = 0; }, "$.runs[0].launches: expected an integer >= 1, got 0"},
      {[](auto& d) { d["runs"][0]["launches"] = -4; }, "$.runs[0].launches: expected an integer >= 1, got -4"},
      {[](auto& d) { d["runs"][0]["launches"] = 2.5; }, "$.runs[0].launches: expected an integer"},
      {[](auto& d) { d["runs"][0]["shape"]["m"] = -8192; }, "$.runs[0].shape.m: expected an integer >= 0, got -8192"},
      {[](auto& d) { d["runs"][0]["shape"]["m"] = 81.92; }, "$.runs[0].shape.m: expected an integer"},
      {[](auto& d) { d["runs"][0]["shape"]["m"] = 18446744073709551615ull; }, "$.runs[0].shape.m: integer out of range"},
      {[](auto& d) { d["runs"][0]["shape"]["m"] = "8192"; }, "$.runs[0].shape.m: expected an integer"},
      {[](auto& d) { d["runs"][0]["shape"] = 3; }, "$.runs[0].shape: expected an object"},
      {[](auto& d) { d["runs"][1]["time_s"]["median"] = -0.5; }, "$.runs[1].time_s.median: expected a number > 0, got -0.5"},
      {[](auto& d) { d["runs"][1]["time_s"]["p10"] = -1; }, "$.runs[1].time_s.p10: expected a number >= 0, got -1"},
      {[](auto& d) { d["runs"][1]["time_s"]["p90"] = -1; }, "$.runs[1].time_s.p90: expected a number >= 0"},
      {[](auto& d) { d["runs"][1]["time_s"]["samples"][2] = -1e-3; }, "$.runs[1].time_s.samples[2]: expected a number >= 0"},
      {[](auto& d) { d["runs"][1]["time_s"]["samples"][0] = nullptr; }, "$.runs[1].time_s.samples[0]: expected a number"},
      {[](auto& d) { d["runs"][1]["time_s"]["p10"] = 1.0; }, "$.runs[1].time_s.p10: above the median"},
      // Found by review: 1e308 s printed as 309 digits and a change of +inf%.
      {[](auto& d) { d["runs"][1]["time_s"]["median"] = 1e308; }, "$.runs[1].time_s.median: expected at most 1e6 s (11.6 days; no kernel runs that long), got 1e+308"},
      {[](auto& d) { d["runs"][1]["time_s"]["samples"][1] = 2e6; }, "$.runs[1].time_s.samples[1]: expected at most 1e6 s"},
      {[](auto& d) { d["runs"][1]["time_s"]["p90"] = 1e-6; }, "$.runs[1].time_s.p90: below the median"},
      // compare judges the samples, check the median: they must agree.
      {[](auto& d) { for (auto& t : d["runs"][1]["time_s"]["samples"]) t = double(t) * 2; },
       "$.runs[1].time_s.p10: not the samples' ("},
      {[](auto& d) { d["runs"][1]["time_s"]["p90"] = d["runs"][1]["time_s"]["p90"].template get<double>() * 2; },
       "$.runs[1].time_s.p90: not the samples' ("},
      {[](auto& d) { d["runs"][0]["model"]["flops"] = -1; }, "$.runs[0].model.flops: expected a number >= 0, got -1"},
      {[](auto& d) { d["runs"][0]["model"]["bytes"] = -1e9; }, "$.runs[0].model.bytes: expected a number >= 0"},
      {[](auto& d) { d["runs"][4]["model"]["flops_by_part"]["softmax"] = -3; }, "$.runs[4].model.flops_by_part.softmax: expected a number >= 0"},
      {[](auto& d) { d["runs"][3]["hw"]["flops_total"] = -1; }, "$.runs[3].hw.flops_total: expected a number >= 0"},
      {[](auto& d) { d["runs"][3]["hw"]["dram_read_bytes"] = -1; }, "$.runs[3].hw.dram_read_bytes: expected a number >= 0"},
      {[](auto& d) { d["runs"][3]["hw"]["flops_by_pipe"]["bf16_tensor"] = -1; }, "$.runs[3].hw.flops_by_pipe.bf16_tensor: expected a number >= 0"},
      {[](auto& d) { d["runs"][3]["hw"]["flops_by_pipe"]["fp33_tensor"] = 1; }, "$.runs[3].hw.flops_by_pipe.fp33_tensor: unknown precision key"},
      // Found by review: pipes three times the total read as a tensor share of 300%.
      {[](auto& d) { d["runs"][3]["hw"]["flops_by_pipe"]["fp32"] = 2 * double(d["runs"][3]["hw"]["flops_total"]); },
       "$.runs[3].hw.flops_by_pipe: the pipes add up to "},
      {[](auto& d) { d["runs"][3]["hw"]["sm_clock_hz"] = -1.98e9; }, "$.runs[3].hw.sm_clock_hz: expected a number >= 0"},
      {[](auto& d) { d["runs"][3]["hw"]["launches"] = 0; }, "$.runs[3].hw.launches: expected an integer from 1 to the run's launches (1)"},
      {[](auto& d) { d["runs"][3]["hw"]["launches"] = 2; }, "$.runs[3].hw.launches: expected an integer from 1 to the run's launches (1)"},
      {[](auto& d) { d["runs"][0]["sm_clock_mhz"] = -1980; }, "$.runs[0].sm_clock_mhz: expected a number >= 0"},
      // compare divides by clocks: an absurd one would read as an infinite change.
      {[](auto& d) { d["runs"][0]["sm_clock_mhz"] = 1e300; }, "$.runs[0].sm_clock_mhz: expected 0 (not known) or 1 to 10000 MHz, got 1e+300"},
      {[](auto& d) { d["runs"][0]["sm_clock_mhz"] = 10001; }, "$.runs[0].sm_clock_mhz: expected 0 (not known) or 1 to 10000 MHz"},
      {[](auto& d) { d["runs"][0]["sm_clock_mhz"] = 1e-300; }, "$.runs[0].sm_clock_mhz: expected 0 (not known) or 1 to 10000 MHz"},
      {[](auto& d) { d["runs"][0]["precision"] = "bf17_tensor"; }, "$.runs[0].precision: unknown precision 'bf17_tensor'"},
      {[](auto& d) { d["runs"][0]["derived"]["mfu"] = -0.1; }, "$.runs[0].derived.mfu: expected a number >= 0"},
      {[](auto& d) { d["runs"][0]["derived"]["pct_of_roof"] = -5; }, "$.runs[0].derived.pct_of_roof: expected a number >= 0"},
      {[](auto& d) { d["runs"][3]["validation"]["tolerance"] = -1; }, "$.runs[3].validation.tolerance: expected a number >= 0"},
      {[](auto& d) { d["runs"][3]["validation"]["max_rel_err"] = -1; }, "$.runs[3].validation.max_rel_err: expected a number >= 0"},
      // Found by review: a pass claimed for NaN output, or errors 50 times the tolerance.
      {[](auto& d) {
         d["runs"][3]["validation"] = {{"max_rel_err", nullptr}, {"rel_l2_err", nullptr}, {"tolerance", 0.01}, {"passed", true}};
       },
       "$.runs[3].validation.passed: true, but max_rel_err null is over 4 x the tolerance 0.01: a failed validation"},
      {[](auto& d) {
         d["runs"][3]["validation"] = {{"max_rel_err", 0.5}, {"rel_l2_err", 0.001}, {"tolerance", 0.01}, {"passed", true}};
       },
       "$.runs[3].validation.passed: true, but max_rel_err 0.5 is over 4 x the tolerance 0.01"},
      // Just over, printed as the file has it (3 digits read as at the limit).
      {[](auto& d) {
         d["runs"][3]["validation"] = {{"max_rel_err", 0.0400001}, {"rel_l2_err", 0.001}, {"tolerance", 0.01}, {"passed", true}};
       },
       "$.runs[3].validation.passed: true, but max_rel_err 0.0400001 is over 4 x the tolerance 0.01: a failed validation"},
      {[](auto& d) {
         d["runs"][3]["validation"] = {{"max_rel_err", 0.01}, {"rel_l2_err", 0.02}, {"tolerance", 0.01}, {"passed", true}};
       },
       "$.runs[3].validation.passed: true, but rel_l2_err 0.02 is over the tolerance 0.01: a failed validation"},
      {[](auto& d) { d["peaks"]["datasheet"]["flops_per_s"]["bf16_tensor"] = -1; }, "$.peaks.datasheet.flops_per_s.bf16_tensor: expected a number >= 0"},
      {[](auto& d) { d["peaks"]["datasheet"]["sparse_flops_per_s"]["bf16_sparse"] = 1; }, "$.peaks.datasheet.sparse_flops_per_s.bf16_sparse: unknown precision key"},
      {[](auto& d) { d["peaks"]["datasheet"]["dram_bytes_per_s"] = -4.8e12; }, "$.peaks.datasheet.dram_bytes_per_s: expected a number >= 0"},
      {[](auto& d) { d["peaks"]["measured"]["l2_bytes_per_s"] = -1; }, "$.peaks.measured.l2_bytes_per_s: expected a number >= 0"},
      {[](auto& d) { d["device"]["cc"] = "9"; }, "$.device.cc: expected \"major.minor\""},
      {[](auto& d) { d["device"]["cc"] = "-9.0"; }, "$.device.cc: expected \"major.minor\""},
      {[](auto& d) { d["device"]["cc"] = "9.0 beta"; }, "$.device.cc: expected \"major.minor\""},
      {[](auto& d) { d["device"]["cc"] = "99999999999.0"; }, "$.device.cc: expected \"major.minor\""},
      {[](auto& d) { d["device"]["sm_count"] = -132; }, "$.device.sm_count: expected an integer >= 0"},
      {[](auto& d) { d["device"]["sm_count"] = 1ll << 40; }, "$.device.sm_count: expected an integer >= 0"},
      {[](auto& d) { d["device"]["memory_bytes"] = -1; }, "$.device.memory_bytes: expected a number >= 0"},
      // Two records compare cannot tell apart (id, shape in any key order, NVTX path).
      {[](auto& d) {
         auto dup = d["runs"][0];
         nlohmann::json shape = nlohmann::json::object();
         for (const char* k : {"k", "n", "m"}) shape[k] = dup["shape"][k];
         dup["shape"] = shape;
         for (auto& t : dup["time_s"]["samples"]) t = double(t) * 1.01;  // another measurement of the same run
         for (const char* k : {"median", "p10", "p90"}) dup["time_s"][k] = double(dup["time_s"][k]) * 1.01;
         d["runs"].push_back(dup);
       },
       "$.runs[8]: the same kernel id, shape and NVTX path as $.runs[0] (gemm.cublas.fp32 k=8192 m=8192 n=8192)"},
  };
  for (const auto& [edit, expected] : cases) {
    nlohmann::json d = base;
    edit(d);
    const std::string err = error_of(d.dump());
    EXPECT_NE(err.find("r.json: " + expected), std::string::npos) << "expected: " << expected << "\n   got: " << err;
  }
  // Zero is a value, not an error, where it can be measured: a copy's FLOPs,
  // a flag, a device index, a counter that saw nothing.
  nlohmann::json zeros = base;
  zeros["runs"][6]["model"]["flops"] = 0;
  zeros["runs"][0]["shape"]["causal"] = 0;
  zeros["runs"][3]["hw"]["flops_total"] = 0;
  for (auto& [pipe, flops] : zeros["runs"][3]["hw"]["flops_by_pipe"].items()) flops = 0;  // as its total
  zeros["runs"][3]["derived"]["mfu"] = 0;
  zeros["runs"][1]["sm_clock_mhz"] = 0;  // not known
  zeros["runs"][2]["sm_clock_mhz"] = 10000;
  // A failed validation that says so, and errors at their allowance exactly.
  zeros["runs"][3]["validation"] = {{"max_rel_err", nullptr}, {"rel_l2_err", nullptr}, {"tolerance", 0.01}, {"passed", false}};
  zeros["runs"][5]["validation"] = {{"max_rel_err", 0.04}, {"rel_l2_err", 0.01}, {"tolerance", 0.01}, {"passed", true}};
  // The same kernel and shape under two NVTX paths is two runs.
  auto other_path = zeros["runs"][0];
  other_path["nvtx"] = "another/range";
  zeros["runs"].push_back(other_path);
  EXPECT_NO_THROW(parse_results(zeros.dump(), "zeros.json"));
}

TEST(ResultsValidation, JsonItselfNeverCrashesOrHangs) {
  // A key given twice in one object is ambiguous: refused, with its place.
  EXPECT_NE(error_of(R"({"schema": "flopscope.results/1", "peaks": {"a": 1, "a": 2}})")
                .find("r.json: $.peaks: key 'a' appears twice"),
            std::string::npos);
  // Deep nesting: refused at a fixed depth, open or closed, before any
  // recursion could overflow the stack.
  const size_t n = 1'000'000;
  for (const std::string& deep : {std::string(n, '['), std::string(n, '[') + std::string(n, ']'),
                                  [&] {
                                    std::string s;
                                    for (size_t i = 0; i < 100'000; ++i) s += "{\"a\":";
                                    return s + "1" + std::string(100'000, '}');
                                  }()})
    EXPECT_NE(error_of(deep).find("r.json: JSON nested deeper than 64 levels"), std::string::npos);
  // Numbers no double holds, NaN and Infinity (not JSON).
  EXPECT_NE(error_of("[1e400]").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("[-1e400]").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("[NaN]").find("malformed JSON"), std::string::npos);
  EXPECT_NE(error_of("[Infinity]").find("malformed JSON"), std::string::npos);
  // A NUL byte is not the end of the text.
  EXPECT_NE(error_of(std::string("[1]\0[2]", 7)).find("r.json: malformed JSON at byte 4: a NUL byte"), std::string::npos);
  // A 4 MiB string, and an object of 50 000 keys: parsed in linear time (the
  // ordered map's own insert made this quadratic: 50 000 keys took seconds,
  // a few MiB of keys hours).
  const auto t0 = std::chrono::steady_clock::now();
  auto j = nlohmann::json::parse(to_json_text(test::sample_doc()));
  j["runs"][0]["name"] = std::string(4u << 20, 'x');
  nlohmann::json metrics = nlohmann::json::object();
  std::string key = "m";
  for (int i = 0; i < 50'000; ++i) {
    key.resize(1);
    key.append(std::to_string(i));
    metrics[key] = i;
  }
  j["runs"][0]["hw"]["metrics"] = metrics;
  const ResultsDoc big = parse_results(j.dump(), "big.json");
  EXPECT_EQ(big.runs[0].name.size(), 4u << 20);
  EXPECT_EQ(big.runs[0].hw->metrics.size(), 50'000u);
  // Quadratic took 2.5 s optimized; linear takes milliseconds (a second or two
  // under the sanitizers).
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

TEST(ResultsValidation, ErrorsQuoteControlCharactersEscaped) {
  // A message quotes what the file holds: a newline in a key or a value is
  // shown as \n, so the error stays one line (found by parser_fuzz_test).
  auto j = nlohmann::json::parse(to_json_text(test::sample_doc()));
  j["runs"][0]["precision"] = "bf16\ntensor";
  EXPECT_NE(error_of(j.dump()).find("unknown precision 'bf16\\ntensor'"), std::string::npos) << error_of(j.dump());
  j = nlohmann::json::parse(to_json_text(test::sample_doc()));
  j["peaks"]["datasheet"]["flops_per_s"]["a\r\x01"] = 1;
  EXPECT_NE(error_of(j.dump()).find("$.peaks.datasheet.flops_per_s.a\\r\\x01: unknown precision key"),
            std::string::npos)
      << error_of(j.dump());
  // C1 controls and bidi overrides too (U+009B, an 8-bit CSI; U+202E), byte by byte; é stays.
  EXPECT_EQ(one_line("\xC3\xA9\xC2\x9B" "1m\xE2\x80\xAE"), "\xC3\xA9\\xc2\\x9b" "1m\\xe2\\x80\\xae");
}

TEST(ResultsValidation, TruncatedAtEveryByteAndByteFlips) {
  // Every prefix of a fixture (without its indentation, so that the test stays
  // quick under the sanitizers) is bad input, one line; never another exception.
  const std::string text =
      nlohmann::ordered_json::parse(slurp(std::string(FLOPSCOPE_FIXTURES_DIR) + "/handmade-h100.json")).dump();
  ASSERT_GT(text.size(), 1000u);
  for (size_t cut = 0; cut < text.size(); ++cut) {
    std::string err;
    ASSERT_FALSE(loads_or_one_line(text.substr(0, cut), &err)) << cut;
    ASSERT_EQ(err.find('\n'), std::string::npos) << err;
  }
  // Random byte changes (fixed seed): each file loads and renders, or is one
  // bad_input line. Under the sanitizers this also checks the reporters with
  // whatever odd values get through.
  std::mt19937 rng(20240607);
  const std::string h200 = slurp(std::string(FLOPSCOPE_FIXTURES_DIR) + "/handmade-h200.json");
  int loaded = 0;
  for (int i = 0; i < 500; ++i) {
    std::string t = h200;
    const int flips = 1 + int(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      const size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[at] = char(rng() % 256); break;          // any byte
        case 1: t[at] = "0123456789-.eE\"{}[],:"[rng() % 21]; break;  // a JSON character
        case 2: t.erase(at, 1 + rng() % 8); break;        // a few bytes gone
      }
    }
    loaded += loads_or_one_line(t);
  }
  EXPECT_GT(loaded, 0);  // some flips (digits) leave a valid file: those render
}

TEST(ResultsValidation, ReadFileStopsAtTheLimit) {
  namespace fs = std::filesystem;
  const std::string dir = test::temp_dir();
  const std::string small = dir + "/small.json";
  std::ofstream(small) << std::string(2000, ' ');
  EXPECT_EQ(read_file(small, 2000).size(), 2000u);
  try {
    read_file(small, 1000);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("small.json: 2000 bytes, more than the 1000 bytes flopscope reads"),
              std::string::npos)
        << e.what();
  }
  // A device that never ends: read up to the limit, then refused.
  try {
    read_file("/dev/zero", 1u << 20);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero: more than the 1 MiB"), std::string::npos) << e.what();
  }
  // A regular file over the limit is refused by its size, unread.
  const std::string huge = dir + "/huge.json";
  std::ofstream(huge).close();
  fs::resize_file(huge, kMaxInputBytes + 1);  // sparse: no disk used
  try {
    read_file(huge);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("huge.json: 256 MiB, more than the 256 MiB"), std::string::npos) << e.what();
  }
}

TEST(ResultsValidation, OutputsApartFromInputsAndEachOther) {
  namespace fs = std::filesystem;
  const std::string dir = test::temp_dir();
  const std::string in = dir + "/r.json";
  std::ofstream(in) << "{}";
  fs::create_symlink(in, dir + "/link.json");
  fs::create_hard_link(in, dir + "/hard.json");
  fs::create_directory(dir + "/sub");
  auto refused = [&](const std::vector<std::string>& outs, const std::vector<std::string>& ins) {
    try {
      check_outputs_apart(outs, ins);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_input);
      return std::string(e.what());
    }
    return std::string();
  };
  for (const std::string& same : {in, dir + "/./r.json", dir + "/sub/../r.json", dir + "/link.json", dir + "/hard.json"})
    EXPECT_NE(refused({"", same}, {in}).find(same + ": this output is the input '" + in + "'"), std::string::npos) << same;
  // Two outputs that are one file, existing or not.
  EXPECT_NE(refused({dir + "/a.md", dir + "/sub/../a.md"}, {in}).find("the same file as the output"), std::string::npos);
  std::ofstream(dir + "/b.md") << "";
  fs::create_symlink(dir + "/b.md", dir + "/b-link.md");
  EXPECT_NE(refused({dir + "/b.md", dir + "/b-link.md"}, {}).find("the same file as the output"), std::string::npos);
  // An input that does not exist yet, named as an output.
  EXPECT_NE(refused({dir + "/new.json"}, {dir + "/sub/../new.json"}).find("this output is the input"), std::string::npos);
  // Distinct files are fine, and so is one input given twice.
  EXPECT_EQ(refused({dir + "/a.md", dir + "/a.csv", ""}, {in, in}), "");
}

// A hand-edited `derived` block is not what is shown: the figures are derived
// again from the raw fields and the file's peaks, as the charts are (a report
// once printed the edited MFU beside a chart drawn from the raw ones).
TEST(Results, DerivedFiguresAreRecomputedOnReading) {
  const ResultsDoc doc = test::sample_doc();
  auto j = nlohmann::json::parse(to_json_text(doc));
  j["runs"][0]["derived"]["mfu"] = 0.5;
  j["runs"][0]["derived"]["tflops_model"] = 1234.5;
  j["runs"][0]["derived"]["peak_key"] = "<b>nonsense";
  j["runs"][0]["derived"]["bound"] = "memory";
  const ResultsDoc read = parse_results(j.dump(), "r.json");
  RunRecord expected = doc.runs[0];
  compute_derived(expected, doc.peaks.datasheet);
  EXPECT_EQ(read.runs[0].derived.mfu, expected.derived.mfu);
  EXPECT_EQ(read.runs[0].derived.tflops_model, expected.derived.tflops_model);
  EXPECT_EQ(read.runs[0].derived.peak_key, expected.derived.peak_key);
  EXPECT_EQ(read.runs[0].derived.bound, expected.derived.bound);
  // An edited peak moves every view the same way.
  j["peaks"]["datasheet"]["flops_per_s"][doc.runs[0].derived.peak_key] = 5e14;
  const ResultsDoc halved = parse_results(j.dump(), "r.json");
  EXPECT_DOUBLE_EQ(halved.runs[0].derived.peak_tflops, 500);
}

// Off the roofline (no peak: bound unknown) a run has no percent of it: the
// key is left out, not written as 0, and a file that has it there still reads.
// On the roofline it is required.
TEST(Results, PctOfRoofOnlyOnTheRoofline) {
  ResultsDoc doc = test::sample_doc();
  doc.runs[0].model.bytes = 0;  // no bytes to place it by
  doc.runs[0].hw.reset();
  compute_derived(doc.runs[0], doc.peaks.datasheet);
  ASSERT_EQ(doc.runs[0].derived.bound, "unknown");
  auto j = nlohmann::json::parse(to_json_text(doc));
  EXPECT_FALSE(j["runs"][0]["derived"].contains("pct_of_roof"));
  EXPECT_TRUE(j["runs"][1]["derived"].contains("pct_of_roof"));
  EXPECT_EQ(parse_results(j.dump(), "r.json").runs[0].derived.bound, "unknown");
  j["runs"][0]["derived"]["pct_of_roof"] = 0.0;  // as files before 2026-12-01 wrote it
  EXPECT_NO_THROW(parse_results(j.dump(), "r.json"));
  j["runs"][1]["derived"].erase("pct_of_roof");
  EXPECT_NE(error_of(j.dump()).find("$.runs[1].derived"), std::string::npos) << error_of(j.dump());
}

// One spelling of a device for every report and message (there were six).
TEST(Results, DeviceLabelAndSameGpu) {
  DeviceInfo h200;
  h200.name = "NVIDIA H200";
  h200.gpu_key = "h200";
  h200.sm_count = 132;
  EXPECT_EQ(device_label(h200), "NVIDIA H200 (h200)");
  EXPECT_EQ(device_label(h200, true), "NVIDIA H200 (h200, 132 SMs)");
  DeviceInfo slice = h200;
  slice.gpu_key.clear();
  slice.sm_count = 16;
  EXPECT_EQ(device_label(slice), "NVIDIA H200");
  EXPECT_EQ(device_label(slice, true), "NVIDIA H200 (16 SMs)");
  EXPECT_EQ(device_label(std::optional<DeviceInfo>()), "not recorded");
  EXPECT_EQ(device_label(std::optional<DeviceInfo>(h200)), "NVIDIA H200 (h200)");
  // Same name, other SM count: a MIG slice is not its GPU.
  EXPECT_FALSE(same_gpu(h200, slice));
  slice.sm_count = 132;
  EXPECT_TRUE(same_gpu(h200, slice));
}
