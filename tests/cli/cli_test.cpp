// Runs the built `flopscope` binary on good and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "cli/run_cli.h"
#include "flopscope/results.h"
#include "unit/sample_doc.h"

using flopscope::test::run_cli;
using flopscope::test::temp_dir;

namespace {

int line_count(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

// Bad input: exit 2, exactly one line on stderr, nothing on stdout, no crash.
void expect_one_line_error(const flopscope::test::CliResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

std::string write_sample(const std::string& dir) {
  const std::string path = dir + "/results.json";
  flopscope::write_results(path, flopscope::test::sample_doc());
  return path;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

TEST(Cli, VersionAndHelp) {
  auto v = run_cli({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("flopscope 0.", 0), 0u) << v.out;
  auto h = run_cli({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  for (const char* sub : {"specs", "devices", "report"}) EXPECT_NE(h.out.find(sub), std::string::npos);
  EXPECT_NE(h.out.find("Exit codes"), std::string::npos);
  for (const char* sub : {"specs", "devices", "report"}) {
    auto s = run_cli({sub, "--help"});
    EXPECT_EQ(s.exit_code, 0) << sub;
    EXPECT_NE(s.out.find("--"), std::string::npos) << sub;
  }
}

TEST(Cli, NoSubcommandOrUnknownIsUsageError) {
  expect_one_line_error(run_cli({}), 2, "--help");
  expect_one_line_error(run_cli({"frobnicate"}), 2, "frobnicate");
  expect_one_line_error(run_cli({"specs", "--bogus"}), 2, "--bogus");
  expect_one_line_error(run_cli({"--version", "x"}), 2, "--version takes nothing after it, got 'x'");
  // CLI11 alone said "A subcommand is required".
  expect_one_line_error(run_cli({"--bogus"}), 2, "unknown option '--bogus' before the command");
  expect_one_line_error(run_cli({"-x", "specs"}), 2, "unknown option '-x'");
}

// A misspelled option of a command is named, with the nearest one. CLI11 said
// "The following arguments were not expected: h200 --gpuu", and for `check
// --contract F` only that --contracts was required.
TEST(Cli, AMisspelledOptionIsNamedWithTheNearestOne) {
  expect_one_line_error(run_cli({"specs", "--gpuu", "h200"}), 2,
                        "unknown option '--gpuu' for 'flopscope specs' (did you mean '--gpu'?)");
  expect_one_line_error(run_cli({"check", "r.json", "--contract", "c.txt"}), 2,
                        "unknown option '--contract' for 'flopscope check' (did you mean '--contracts'?)");
  expect_one_line_error(run_cli({"report", "a.json", "--html=x.html", "--zzzzzzzz"}), 2,
                        "unknown option '--zzzzzzzz' for 'flopscope report' (see 'flopscope report --help')");
  expect_one_line_error(run_cli({"profile", "--sett", "roofline", "--", "/bin/true"}), 2,
                        "unknown option '--sett' for 'flopscope profile' (did you mean '--set'?)");
  // Internal options are never suggested (a user resuming a bench was pointed at --resumed).
  expect_one_line_error(run_cli({"bench", "--resume"}), 2,
                        "unknown option '--resume' for 'flopscope bench' (see 'flopscope bench --help')");
  // A misspelled option where a value belongs was written to as a file named "--cvs".
  expect_one_line_error(run_cli({"report", "a.json", "--md", "--cvs"}), 2,
                        "--md needs a value, but the next word '--cvs' looks like an option (did you mean "
                        "'--csv'?) (a value that starts with '--': give --md=VALUE)");
  EXPECT_FALSE(std::filesystem::exists("--cvs"));
  // A value that starts with '-' is a value: a negative number, an option's own.
  expect_one_line_error(run_cli({"compare", "a.json", "b.json", "--confidence", "-0.5"}), 2,
                        "--confidence must lie");
}

// CLI11 gives an option the next word whatever it is: "--md --csv x.csv" wrote
// Markdown to a file named "--csv" and then read x.csv as an input.
TEST(Cli, OptionNameWhereAValueBelongsIsAMissingValue) {
  const std::string dir = temp_dir();
  const std::string in = write_sample(dir);
  expect_one_line_error(run_cli({"report", in, "--md", "--csv", dir + "/r.csv"}), 2,
                        "--md needs a value, but the next word is '--csv'");
  EXPECT_FALSE(std::filesystem::exists("--csv"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/r.csv"));
  expect_one_line_error(run_cli({"compare", in, in, "--md", "--junit=" + dir + "/j.xml"}), 2,
                        "--md needs a value");
  expect_one_line_error(run_cli({"estimate", "--preset", "gpt2-small", "--model-flops-out", "--nvtx", "a"}), 2,
                        "--model-flops-out needs a value");
  expect_one_line_error(run_cli({"profile", "--out", "--", "/bin/true"}), 2,
                        "--out needs a value, but the next word is '--'");
  expect_one_line_error(run_cli({"bench", "--kernel", "--dtype", "bf16"}), 2, "--kernel needs a value");
  // Last on the line: CLI11's own "1 required TEXT missing" named no option for a hidden one.
  expect_one_line_error(run_cli({"bench", "--kernel"}), 2, "--kernel needs a value, and is the last word");
  expect_one_line_error(run_cli({"bench", "--ids"}), 2, "--ids needs a value, and is the last word");
  // A value written with '=' is the user's own choice, and the application's
  // arguments after "--" are its own.
  auto r = run_cli({"report", in, "--md=" + dir + "/--csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir + "/--csv"));
}

// A flag given a value: CLI11 read "--json=2" as true and "--json=false" as
// false. A list of commas alone: "--dtype , --kernel x" took "--kernel" as the
// dtype list.
TEST(Cli, FlagValuesAndEmptyListsAreRefused) {
  expect_one_line_error(run_cli({"list", "--json=2"}), 2,
                        "--json is a flag and takes no value, got '--json=2' (give --json alone, or leave it out)");
  expect_one_line_error(run_cli({"list", "--json=false"}), 2, "--json is a flag and takes no value");
  expect_one_line_error(run_cli({"bench", "--dtype", ",", "--kernel", "gemm"}), 2,
                        "--dtype ',' names no item (give a list such as a,b)");
  expect_one_line_error(run_cli({"bench", "--dtype=,,", "--kernel", "gemm"}), 2, "--dtype ',,' names no item");
  EXPECT_EQ(run_cli({"specs", "--json"}).exit_code, 0);  // the flag alone (list needs kernels)
}

// "--csv=" with nothing after the '=' (an unset variable in a script): CLI11
// gave the option the next word, and `report --csv= a.json b.json` wrote b's
// CSV over a.json, exit 0.
TEST(Cli, EmptyValueAfterEqualsIsRefused) {
  const std::string dir = temp_dir();
  const std::string in = write_sample(dir);
  const std::string before = flopscope::read_file(in);
  expect_one_line_error(run_cli({"report", "--csv=", in, in}), 2,
                        "--csv= has an empty value (give --csv=VALUE, or leave the option out)");
  EXPECT_EQ(flopscope::read_file(in), before);
  expect_one_line_error(run_cli({"check", in, "--md=", in, "--contracts", in}), 2, "--md= has an empty value");
  expect_one_line_error(run_cli({"profile", "--kernel-regex=", "--", "/bin/true"}), 2,
                        "--kernel-regex= has an empty value");
  expect_one_line_error(run_cli({"estimate", "--preset", "gpt2-small", "--model-flops-out="}), 2,
                        "--model-flops-out= has an empty value");
  EXPECT_EQ(flopscope::read_file(in), before);
}

// `flopscope report r.json --md r.md | head`: the reader's early stop is its
// choice; flopscope was once killed by SIGPIPE (exit 141) before writing r.md.
TEST(Cli, ReaderThatStopsEarlyLosesNoOutputAndNoVerdict) {
  const std::string dir = temp_dir();
  const std::string in = write_sample(dir);
  auto r = run_cli({"report", in, "--md", dir + "/r.md"}, {}, flopscope::test::kClosedPipe);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir + "/r.md"));
  EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
  write_text(dir + "/contracts.txt", "* : mfu >= 0.99\n");
  r = run_cli({"check", in, "--contracts", dir + "/contracts.txt", "--md", dir + "/c.md"}, {},
              flopscope::test::kClosedPipe);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the verdict: a contract does not hold
  EXPECT_TRUE(std::filesystem::exists(dir + "/c.md"));
  EXPECT_EQ(run_cli({"specs", "--json"}, {}, flopscope::test::kClosedPipe).exit_code, 0);
}

// An empty value is refused, never read as "not given".
TEST(Cli, EmptyValuesAreRefused) {
  const std::string dir = temp_dir();
  const std::string in = write_sample(dir);
  expect_one_line_error(run_cli({"estimate", "--preset", "gpt2-small", "--kv-dtype", ""}), 2, "--kv-dtype");
  expect_one_line_error(run_cli({"bench", "--shape", ""}), 2, "--shape");
  expect_one_line_error(run_cli({"crosscheck", in, "--ncu", ""}), 2, "--ncu");
  expect_one_line_error(run_cli({"crosscheck", in, "--model-flops", ""}), 2, "--model-flops");
}

TEST(Cli, ReportRefusesAFileGivenTwiceAndNamesStdin) {
  const std::string dir = temp_dir();
  const std::string in = write_sample(dir);
  expect_one_line_error(run_cli({"report", in, dir + "/./results.json"}), 2, "is given twice");
  expect_one_line_error(run_cli({"report", "-"}), 2, "standard input is read as /dev/stdin");
}

TEST(Cli, SpecsTable) {
  auto r = run_cli({"specs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* gpu : {"a100-sxm", "a100-pcie", "a100-sxm-40gb", "a100-pcie-40gb", "h100-sxm",
                          "h100-pcie", "h100-nvl", "h200", "gh200", "gh200-144g", "l4", "l40", "l40s",
                          "rtx4090", "b200"})
    EXPECT_TRUE(std::regex_search(r.out, std::regex(std::string("(^|\\s)") + gpu + "(\\s|$)"))) << gpu;  // a whole key
  EXPECT_NE(r.out.find("989.4"), std::string::npos);
  EXPECT_EQ(r.out.find("\033["), std::string::npos);  // not a TTY: no color
}

TEST(Cli, SpecsOneGpu) {
  auto r = run_cli({"specs", "--gpu", "NVIDIA H200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bf16_tensor"), std::string::npos);
  EXPECT_NE(r.out.find("1978.9"), std::string::npos);  // sparse BF16 shown, apart
  EXPECT_NE(r.out.find("4.80 TB/s"), std::string::npos);
}

TEST(Cli, SpecsJson) {
  auto r = run_cli({"specs", "--gpu", "h100-sxm", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["dense_flops_per_s"]["bf16_tensor"].get<double>() / 1e12, 989.4, 0.05);
  // The factors the table prints: FP64 tensor at the boost clock, the other tensor peaks at the tensor clock.
  EXPECT_EQ(j["precisions"]["bf16_tensor"]["flops_per_clk_per_sm"], 4096.0);
  EXPECT_EQ(j["precisions"]["bf16_tensor"]["clock_mhz"], 1830.0);
  EXPECT_EQ(j["precisions"]["fp64_tensor"]["clock_mhz"], 1980.0);
  auto all = nlohmann::json::parse(run_cli({"specs", "--json"}).out);
  EXPECT_GE(all.size(), 10u);
}

TEST(Cli, SpecsUnknownGpu) {
  expect_one_line_error(run_cli({"specs", "--gpu", "h300"}), 2, "unknown GPU 'h300'");
}

TEST(Cli, ReportRendersAndWrites) {
  const std::string dir = temp_dir();
  const std::string in = write_sample(dir);
  auto r = run_cli({"report", in, "--md", dir + "/r.md", "--csv", dir + "/r.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("gemm.cublas.bf16"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir + "/r.md"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/r.csv"));
}

// Found by review: into a file or pipe the table was cut at 160 columns, and
// a causal and a non-causal run read alike ("... head_dim=128 c..").
TEST(Cli, ReportIntoAPipeCutsNoCell) {
  const std::string dir = temp_dir();
  flopscope::ResultsDoc doc = flopscope::test::sample_doc();
  for (int causal : {0, 1}) {
    flopscope::RunRecord r = doc.runs.front();
    r.shape = {{"batch", 4},  {"heads", 16},      {"seq", 4096},    {"seq_kv", 4096},  {"head_dim", 128},
               {"window", 0}, {"sink_tokens", 0}, {"page_size", 0}, {"causal", causal}};
    r.variant = "flash_mma_with_a_long_variant_name_for_width";
    doc.runs.push_back(r);
  }
  flopscope::write_results(dir + "/wide.json", doc);
  const auto r = run_cli({"report", dir + "/wide.json"}, {"COLUMNS="});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("page_size=0 causal=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("page_size=0 causal=1"), std::string::npos) << r.out;
}

TEST(Cli, ReportBadInput) {
  const std::string dir = temp_dir();
  expect_one_line_error(run_cli({"report", dir + "/missing.json"}), 2, "missing.json: cannot open");
  const std::string good = flopscope::to_json_text(flopscope::test::sample_doc());
  write_text(dir + "/trunc.json", good.substr(0, good.size() / 2));
  expect_one_line_error(run_cli({"report", dir + "/trunc.json"}), 2, "truncated JSON");
  write_text(dir + "/bad.json", "{\"schema\": }");
  expect_one_line_error(run_cli({"report", dir + "/bad.json"}), 2, "malformed JSON");
  write_text(dir + "/wrong.json", "{\"schema\": \"flopscope.results/1\", \"tool\": {\"version\": \"1\"}}");
  expect_one_line_error(run_cli({"report", dir + "/wrong.json"}), 2, "$: missing key 'peaks'");
  expect_one_line_error(run_cli({"report"}), 2, "file is required");
}

TEST(Cli, ReportOutputToMissingDirLeavesNothing) {
  const std::string dir = temp_dir();
  const std::string in = write_sample(dir);
  auto r = run_cli({"report", in, "--md", dir + "/no/such/dir/r.md"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos);
}

// ---- report: several files, --html/--svg, escaping, atomic outputs -------------------

namespace {
std::string fixture(const std::string& name) { return std::string(FLOPSCOPE_FIXTURES_DIR) + "/" + name; }
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST(Cli, ReportOneFileEveryOutput) {
  const std::string dir = temp_dir();
  auto r = run_cli({"report", fixture("handmade-h200.json"), "--html", dir + "/r.html", "--svg", dir + "/r.svg",
                    "--md", dir + "/r.md", "--csv", dir + "/r.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* view : {"gemm.cublas.bf16", "precision comparison", "model vs hardware FLOPs", "masked tiles"})
    EXPECT_NE(r.out.find(view), std::string::npos) << view;
  for (const char* f : {"/r.html", "/r.svg", "/r.md", "/r.csv"}) EXPECT_NE(r.err.find(dir + f), std::string::npos);
  const std::string html = slurp(dir + "/r.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"roofline\""), std::string::npos);
  EXPECT_EQ(slurp(dir + "/r.svg").rfind("<svg xmlns=", 0), 0u);
  EXPECT_NE(slurp(dir + "/r.md").find("## Precision comparison"), std::string::npos);
  EXPECT_EQ(slurp(dir + "/r.csv").rfind("id,family,", 0), 0u);  // one file: the CSV is unchanged
}

TEST(Cli, ReportSeveralFilesSideBySide) {
  const std::string dir = temp_dir();
  auto r = run_cli({"report", fixture("handmade-h200.json"), fixture("handmade-h100.json"), "--html",
                    dir + "/r.html", "--csv", dir + "/r.csv", "--svg", dir + "/r.svg"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("side by side: [1] h200 @ handmad; [2] h100-sxm @ handmad;"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== [2] h100-sxm @ handmad =="), std::string::npos);
  const std::string html = slurp(dir + "/r.html");
  EXPECT_NE(html.find("id=\"side\""), std::string::npos);
  EXPECT_NE(html.find("class=\"chart\" data-doc=\"1\""), std::string::npos);
  EXPECT_EQ(slurp(dir + "/r.csv").rfind("source,id,", 0), 0u);
  // One SVG file holding a chart per results file, left to right.
  const std::string svg = slurp(dir + "/r.svg");
  EXPECT_EQ(svg.rfind("<svg xmlns=", 0), 0u);
  EXPECT_NE(svg.find("aria-label=\"Roofline charts side by side\""), std::string::npos);
  const size_t first = svg.find("Roofline: h200 @ handmad<"), second = svg.find("Roofline: h100-sxm @ handmad<");
  EXPECT_NE(first, std::string::npos);
  EXPECT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_NE(svg.find("<svg x=\"0.00\" y=\"0\""), std::string::npos);
  EXPECT_TRUE(svg.ends_with("</svg>\n</svg>\n"));  // the last chart, then the whole
}

TEST(Cli, ReportReadsResultsAgainstCeilingsMeasuredApart) {
  // `ceilings --out` writes measured peaks without runs; `bench` writes runs
  // without measured peaks: --peaks sets the two side by side.
  const std::string dir = temp_dir();
  const std::string sample = write_sample(dir);  // an H200 benchmark, no measured peaks
  auto r = run_cli({"report", sample, "--peaks", fixture("handmade-h200.json"), "--md", dir + "/r.md"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("MFU% measured"), std::string::npos) << r.out;
  EXPECT_NE(slurp(dir + "/r.md").find("HAND-MADE FIXTURE"), std::string::npos);  // where they came from

  expect_one_line_error(run_cli({"report", sample, "--peaks", fixture("handmade-h100.json")}), 2,
                        "no measured peaks; write one with `flopscope ceilings --out F`");
  expect_one_line_error(run_cli({"report", fixture("handmade-h100.json"), "--peaks", fixture("handmade-h200.json")}),
                        2, "the ceilings were measured on NVIDIA H200 (h200), the results on NVIDIA H100");
  r = run_cli({"report", sample, "--peaks", dir + "/none.json", "--md", dir + "/n.md"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir + "/n.md"));
  // A peaks file that names no GPU, or measured a peak no GPU reaches (a
  // hand edit): refused, rather than set beside any results or read as MFU 0.0.
  flopscope::ResultsDoc ceilings = flopscope::read_results(fixture("handmade-h200.json"));
  ceilings.device.reset();
  flopscope::write_results(dir + "/nodev.json", ceilings);
  expect_one_line_error(run_cli({"report", sample, "--peaks", dir + "/nodev.json"}), 2,
                        "the peaks file names no GPU");
  ceilings = flopscope::read_results(fixture("handmade-h200.json"));
  ceilings.peaks.measured->flops_per_s["bf16_tensor"] = 1e20;
  flopscope::write_results(dir + "/huge.json", ceilings);
  expect_one_line_error(run_cli({"report", sample, "--peaks", dir + "/huge.json"}), 2,
                        "its measured bf16_tensor peak, 100000000.0 TFLOP/s, is 10106832% of the datasheet's 989.4: "
                        "not a measurement of this GPU");
  // Far below, and DRAM bandwidth too (1e20 B/s read as a 2e9% roof).
  ceilings = flopscope::read_results(fixture("handmade-h200.json"));
  ceilings.peaks.measured->flops_per_s["bf16_tensor"] = 1e7;
  flopscope::write_results(dir + "/tiny.json", ceilings);
  expect_one_line_error(run_cli({"report", sample, "--peaks", dir + "/tiny.json"}), 2,
                        "its measured bf16_tensor peak, 0.0 TFLOP/s, is 0% of the datasheet's 989.4");
  ceilings = flopscope::read_results(fixture("handmade-h200.json"));
  ceilings.peaks.measured->dram_bytes_per_s = 1e20;
  flopscope::write_results(dir + "/fast.json", ceilings);
  expect_one_line_error(run_cli({"report", sample, "--peaks", dir + "/fast.json"}), 2,
                        "its measured dram peak, 100000000.0 TB/s, is");
  // Results that name no GPU cannot be matched to the ceilings' GPU: an
  // A100's were taken beside H200 results in silence.
  flopscope::ResultsDoc results = flopscope::read_results(sample);
  results.device.reset();
  flopscope::write_results(dir + "/results-nodev.json", results);
  expect_one_line_error(run_cli({"report", dir + "/results-nodev.json", "--peaks", fixture("handmade-h200.json")}), 2,
                        "the results name no GPU, so the peaks measured on NVIDIA H200 (h200) cannot be matched to them");
  // Without database keys, the name and SM count must both agree (a MIG
  // slice or cut-down part under the same name is another GPU).
  results = flopscope::read_results(sample);
  results.device->gpu_key.clear();
  results.device->sm_count = 16;
  flopscope::write_results(dir + "/slice.json", results);
  expect_one_line_error(run_cli({"report", dir + "/slice.json", "--peaks", fixture("handmade-h200.json")}), 2,
                        "the ceilings were measured on NVIDIA H200 (h200, 132 SMs), the results on NVIDIA H200 (16 SMs)");
}

TEST(Cli, ReportEscapesNamesInEveryOutput) {
  const std::string dir = temp_dir();
  auto r = run_cli({"report", fixture("handmade-markup.json"), "--html", dir + "/r.html", "--svg", dir + "/r.svg",
                    "--md", dir + "/r.md", "--csv", dir + "/r.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = slurp(dir + "/r.html"), svg = slurp(dir + "/r.svg"), md = slurp(dir + "/r.md");
  EXPECT_EQ(html.find("<script>document"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("<img"), std::string::npos);
  EXPECT_EQ(md.find(" <script"), std::string::npos);
  EXPECT_NE(md.find("\\<script\\>"), std::string::npos);
  EXPECT_NE(slurp(dir + "/r.csv").find("\"'=1+2,"), std::string::npos);
}

TEST(Cli, ReportBadInputAmongSeveralWritesNothing) {
  const std::string dir = temp_dir();
  write_text(dir + "/bad.json", "{\"schema\": \"flopscope.results/1\", \"runs\": [}");
  auto r = run_cli({"report", fixture("handmade-h200.json"), dir + "/bad.json", "--html", dir + "/r.html",
                    "--md", dir + "/r.md"});
  expect_one_line_error(r, 2, "bad.json");
  EXPECT_FALSE(std::filesystem::exists(dir + "/r.html"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/r.md"));
  // A bad output path: one line, and the other outputs are not half-written.
  auto o = run_cli({"report", fixture("handmade-h200.json"), "--svg", dir + "/no/such/dir/r.svg"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(line_count(o.err), 1) << o.err;
  EXPECT_NE(o.err.find("does not exist"), std::string::npos);
  expect_one_line_error(run_cli({"report", fixture("handmade-h200.json"), dir + "/missing.json"}), 2,
                        "missing.json: cannot open");
}

TEST(Cli, ReportNumberOutOfRangeOrTrailingDataIsBadInput) {
  const std::string dir = temp_dir();
  std::string text = slurp(fixture("handmade-h200.json"));
  const std::string median = "\"median\": 0.025";
  ASSERT_NE(text.find(median), std::string::npos);
  write_text(dir + "/big.json", std::string(text).replace(text.find(median), median.size(), "\"median\": 1e999"));
  // Where: the JSON path and the byte, as every other parse error says (the
  // number's last byte, counted from 1, as the parser gives every error's).
  const size_t at = text.find(median) + std::string("\"median\": 1e999").size();
  const auto big = run_cli({"report", dir + "/big.json"});
  expect_one_line_error(big, 2, ": a number out of range at byte ");
  EXPECT_NE(big.err.find("big.json: $.runs[0].time_s.median: a number out of range at byte " +
                         std::to_string(at) + " (finite numbers only)"),
            std::string::npos)
      << big.err;
  // An array's element: its index.
  const std::string sample = "\"samples\": [";
  ASSERT_NE(text.find(sample), std::string::npos);
  std::string in_array = text;
  in_array.insert(in_array.find(sample) + sample.size(), "1e999, ");
  write_text(dir + "/big_sample.json", in_array);
  expect_one_line_error(run_cli({"report", dir + "/big_sample.json"}), 2,
                        ".samples[0]: a number out of range");
  // Data after the document is not a truncated file.
  write_text(dir + "/trail.json", text + " {}");
  expect_one_line_error(run_cli({"report", dir + "/trail.json"}), 2, "trail.json: malformed JSON");
}

TEST(Cli, ReportAbsurdNumbersStillChartFinite) {
  // Finite but absurd values once made an axis infinite (or 0), and the grid,
  // stepping by decades, never ended.
  const std::string dir = temp_dir();
  const nlohmann::json base = nlohmann::json::parse(slurp(fixture("handmade-h200.json")));
  nlohmann::json huge_flops = base, tiny_time = base, tiny_bw = base, huge_peak = base;
  huge_flops["runs"][0]["model"]["flops"] = 1e290;
  tiny_time["runs"][0]["time_s"] = {{"median", 1e-290}, {"p10", 1e-290}, {"p90", 1e-290}, {"samples", {1e-290}}};
  // Past a double, a figure derived from the run is infinite: refused on reading.
  nlohmann::json overflow = base, instant = base;
  overflow["runs"][0]["model"]["flops"] = 1.7e308;
  instant["runs"][0]["time_s"] = {{"median", 5e-324}, {"p10", 5e-324}, {"p90", 5e-324}, {"samples", {5e-324}}};
  for (const auto& [name, doc] : {std::pair{"overflow", overflow}, {"instant", instant}}) {
    const std::string in = dir + "/" + name + ".json";
    write_text(in, doc.dump());
    expect_one_line_error(run_cli({"report", in}), 2,
                          "$.runs[0]: its FLOPs or bytes over its median time overflow");
  }
  // Peaks no device has are refused on reading (they put the roofs at infinite coordinates).
  tiny_bw["peaks"]["datasheet"]["dram_bytes_per_s"] = 5e-324;
  huge_peak["peaks"]["datasheet"]["flops_per_s"]["fp32"] = 1e308;
  for (const auto& [name, doc] : {std::pair{"tiny_bw", tiny_bw}, {"huge_peak", huge_peak}}) {
    const std::string in = dir + "/" + name + ".json";
    write_text(in, doc.dump());
    expect_one_line_error(run_cli({"report", in}), 2, "expected 0 (not known) or a rate from 1e6 to 1e20 per second");
  }
  for (const auto& [name, doc] : {std::pair{"huge_flops", huge_flops}, {"tiny_time", tiny_time}}) {
    const std::string in = dir + "/" + name + ".json", svg = dir + "/" + name + ".svg";
    write_text(in, doc.dump());
    auto r = run_cli({"report", in, "--svg", svg, "--html", dir + "/" + name + ".html"});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    const std::string chart = slurp(svg);
    EXPECT_EQ(chart.find("inf"), std::string::npos) << name;
    EXPECT_EQ(chart.find("nan"), std::string::npos) << name;
  }
}

// `report F --csv /dev/stdout > out.txt`: the rename would have unlinked
// out.txt and the table printed into it. The file stdout goes to is refused.
TEST(Cli, OutputIsNotTheFileStdoutGoesTo) {
  const std::string dir = temp_dir(), in = fixture("handmade-h200.json"), file = dir + "/out.txt";
  const auto r = run_cli({"report", in, "--csv", file}, {}, file);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("out.txt: this command's standard output goes there too"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_regular_file(file));
  // Through /dev/stdout, a link to the same file.
  const auto l = run_cli({"report", in, "--md", "/dev/stdout"}, {}, file);
  EXPECT_EQ(l.exit_code, 2) << l.err;
  EXPECT_NE(l.err.find("standard output goes there too"), std::string::npos) << l.err;
}

// '-' is standard output for report, in place of its terminal tables; one
// output at most. Other commands refuse it rather than make a file called '-'.
TEST(Cli, ReportWritesOneOutputToStandardOutput) {
  const std::string dir = temp_dir(), in = fixture("handmade-h200.json");
  const auto file = run_cli({"report", in, "--csv", dir + "/r.csv"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  const auto r = run_cli({"report", in, "--csv", "-", "--md", dir + "/r.md"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, slurp(dir + "/r.csv")) << "the CSV alone, no terminal table";
  EXPECT_NE(r.err.find("wrote Markdown: " + dir + "/r.md"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wrote CSV"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists("-"));
  const auto svg = run_cli({"report", in, "--svg", "-"});
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_EQ(svg.out.rfind("<svg xmlns=", 0), 0u);

  expect_one_line_error(run_cli({"report", in, "--md", "-", "--html", "-"}), 2,
                        "both the HTML and the Markdown output are '-'");
  expect_one_line_error(run_cli({"compare", in, in, "--md", "-"}), 2,
                        "an output named '-': this command writes files, not standard output");
  EXPECT_FALSE(std::filesystem::exists("-"));
}

TEST(Cli, OutputNeverReplacesDeviceOrPipeOrLink) {
  namespace fs = std::filesystem;
  const std::string dir = temp_dir(), in = fixture("handmade-h200.json");
  // A pipe (like /dev/null, a device) is refused, and stays what it was.
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = run_cli({"report", in, "--md", fifo});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("fifo: not a regular file"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_fifo(fifo));
  auto c = run_cli({"compare", in, in, "--junit", fifo});
  EXPECT_EQ(c.exit_code, 2) << c.err;
  EXPECT_TRUE(fs::is_fifo(fifo));
  // A symbolic link is written through, and stays a link.
  write_text(dir + "/real.md", "old");
  fs::create_symlink(dir + "/real.md", dir + "/link.md");
  ASSERT_EQ(run_cli({"report", in, "--md", dir + "/link.md"}).exit_code, 0);
  EXPECT_TRUE(fs::is_symlink(dir + "/link.md"));
  EXPECT_NE(slurp(dir + "/real.md").find("gemm.cublas.bf16"), std::string::npos);
  fs::create_symlink(dir + "/nowhere.md", dir + "/dangling.md");
  auto d = run_cli({"report", in, "--md", dir + "/dangling.md"});
  EXPECT_EQ(d.exit_code, 2);
  EXPECT_EQ(line_count(d.err), 1) << d.err;
  EXPECT_TRUE(fs::is_symlink(dir + "/dangling.md"));
  EXPECT_FALSE(fs::exists(dir + "/nowhere.md"));
  // A directory is refused the same way.
  fs::create_directory(dir + "/sub");
  auto s = run_cli({"report", in, "--csv", dir + "/sub"});
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.err.find("not a regular file"), std::string::npos) << s.err;
  // A name near the 255-byte limit: the temporary name beside it must fit too.
  const std::string long_name = dir + "/" + std::string(250, 'n') + ".md";
  auto l = run_cli({"report", in, "--md", long_name});
  EXPECT_EQ(l.exit_code, 0) << l.err;
  EXPECT_TRUE(fs::is_regular_file(long_name));
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}

// A file something is mounted on (a container's bind-mounted file) cannot be
// renamed over: it is refused before any output is written, not after the
// outputs named before it were replaced. The mount is made in a child's own
// mount namespace (a user namespace too when not root), gone when it exits.
TEST(Cli, OutputMountedOnIsRefusedBeforeAnyOutput) {
  namespace fs = std::filesystem;
  const std::string dir = temp_dir(), in = fixture("handmade-h200.json");
  write_text(dir + "/src", "mounted");
  write_text(dir + "/target.csv", "old");
  const std::string report = dir + "/child.txt";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // 99: this system lends no mount namespace (the test says so and skips).
    const int flags = ::geteuid() == 0 ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS;
    if (::unshare(flags) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount((dir + "/src").c_str(), (dir + "/target.csv").c_str(), nullptr, MS_BIND, nullptr) != 0)
      ::_exit(99);
    const auto r = run_cli({"report", in, "--md", dir + "/first.md", "--csv", dir + "/target.csv"});
    std::ofstream(report) << r.exit_code << "\n" << r.err;
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 99)
    GTEST_SKIP() << "no mount namespace can be made here (unshare or mount refused)";
  ASSERT_EQ(WEXITSTATUS(status), 0);
  std::ifstream f(report);
  int code = -1;
  std::string err;
  f >> code;
  f.ignore();
  std::getline(f, err, '\0');
  EXPECT_EQ(code, 2) << err;
  EXPECT_EQ(line_count(err), 1) << err;
  EXPECT_NE(
      err.find("target.csv: something is mounted on this file, so it cannot be replaced; give another file"),
      std::string::npos)
      << err;
  EXPECT_FALSE(fs::exists(dir + "/first.md")) << "an output named before it was written";
  EXPECT_EQ(slurp(dir + "/target.csv"), "old");
}

TEST(Cli, BadOutputPathFailsBeforeAnyOutputOrWork) {
  namespace fs = std::filesystem;
  const std::string dir = temp_dir(), in = fixture("handmade-h200.json"), missing = dir + "/no/such/dir/x";
  // The good output named first is not written when a later one is bad.
  expect_one_line_error(run_cli({"report", in, "--md", dir + "/r.md", "--csv", missing + ".csv"}), 2,
                        "does not exist");
  expect_one_line_error(run_cli({"compare", in, in, "--md", dir + "/c.md", "--junit", missing + ".xml"}), 2,
                        "does not exist");
  write_text(dir + "/contracts.txt", "* : mfu >= 0\n");
  expect_one_line_error(run_cli({"check", in, "--contracts", dir + "/contracts.txt", "--md", dir + "/k.md", "--gbench", dir}),
                        2, "not a regular file");
  // A directory no file can be made in (a pseudo file system here, so that
  // the test holds for root too) is found before any output is written.
  expect_one_line_error(run_cli({"compare", in, in, "--md", dir + "/c.md", "--junit", "/proc/flopscope.xml"}), 2,
                        "cannot write in directory '/proc'");
  expect_one_line_error(run_cli({"report", in, "--md", dir + "/" + std::string(300, 'x')}), 2,
                        "file name longer than 255 bytes");
  for (const char* f : {"/r.md", "/c.md", "/k.md"}) EXPECT_FALSE(fs::exists(dir + f)) << f;
  // profile: before the application runs, not after.
  const std::string marker = dir + "/ran";
  expect_one_line_error(run_cli({"profile", "--out", missing + ".json", "--", "touch", marker}), 2, "does not exist");
  EXPECT_FALSE(fs::exists(marker));
}

// NaN, 0, negative and empty values are refused in one short line (exit 2),
// before any GPU is looked for.
TEST(Cli, OptionValuesAreCheckedInOneShortLine) {
  expect_one_line_error(run_cli({"bench", "--min-time", "nan"}), 2, "--min-time: must be a finite number above 0");
  expect_one_line_error(run_cli({"bench", "--device", "-1"}), 2, "--device: must be a whole number, 0 or more");
  expect_one_line_error(run_cli({"profile", "--launch-count", "0", "--", "true"}), 2,
                        "--launch-count: must be a whole number from 1 to 999999999999999999, got '0'");
  expect_one_line_error(run_cli({"bench", "--warmup", "1.5"}), 2, "--warmup: must be a whole number");
  expect_one_line_error(run_cli({"ceilings", "--device", "-1"}), 2, "must be a whole number");
  expect_one_line_error(run_cli({"report", fixture("handmade-h200.json"), "--md", ""}), 2, "--md: must not be empty");
  expect_one_line_error(run_cli({"specs", "--gpu", ""}), 2, "--gpu: must not be empty");
  // An empty pattern or list would select everything: an unset variable, not a request.
  expect_one_line_error(run_cli({"bench", "--kernel", ""}), 2, "--kernel: must not be empty");
  expect_one_line_error(run_cli({"profile", "--kernel-regex", "", "--", "true"}), 2,
                        "--kernel-regex: must not be empty");
  expect_one_line_error(run_cli({"metrics", "--chip", "GH100", "--tensor", ",,"}), 2, "names no type");
  const auto r = run_cli({"bench", "--min-time", "0"});
  EXPECT_LT(r.err.size(), 200u) << r.err;  // not CLI11's range with 309 digits
  // Every time is kept: past a million, the results file would be too big to read.
  // The limit is named whatever the number's length (ten digits said "1 to 999999999").
  for (const char* v : {"1000001", "1000000000", "99999999999999999999"})
    expect_one_line_error(run_cli({"bench", "--reps", v}), 2,
                          std::string("--reps: must be a whole number from 1 to 1000000 (every time is kept, in "
                                      "memory and in the results file), got '") + v + "'");
  expect_one_line_error(run_cli({"bench", "--warmup", "999999999"}), 2,
                        "--warmup: must be a whole number from 1 to 1000000, got '999999999'");
  // The internal options of the process that goes on after a fault.
  expect_one_line_error(run_cli({"bench", "--resumed"}), 2, "--resumed and --ids go together");
  expect_one_line_error(run_cli({"bench", "--ids", "gemm.naive.fp32", "--resumed", "--kernel", "memory"}), 2,
                        "without --kernel or --dtype");
  expect_one_line_error(run_cli({"bench", "--numbered-from", "3"}), 2, "--numbered-from only with them");
}

// Integer options are decimal: CLI11 alone reads "010" as octal 8 and "08" not
// at all ("Could not convert"), and an int --device past 2^31 could not be
// converted although the message allowed 18 digits.
TEST(Cli, IntegerOptionsAreDecimal) {
  for (const char* v : {"0x10", "1e3", "+5", " 5", ""})
    expect_one_line_error(run_cli({"bench", "--reps", v}), 2, "--reps: must be a whole number from 1 to 1000000");
  expect_one_line_error(run_cli({"bench", "--device", "4294967296"}), 2,
                        "--device: must be a whole number, 0 or more (at most 9 digits), got '4294967296'");
  expect_one_line_error(run_cli({"ceilings", "--device", "99999999999"}), 2, "(at most 9 digits)");
  expect_one_line_error(run_cli({"profile", "--top", "0x10", "--", "true"}), 2, "--top: must be a whole number");
  expect_one_line_error(run_cli({"profile", "--launch-count", "000", "--", "true"}), 2,
                        "--launch-count: must be a whole number from 1 to 999999999999999999, got '000'");
  // A leading zero reads as decimal: the options are parsed, then a later check
  // (an unknown kernel, or a build without kernels; no GPU needed) answers
  // instead of CLI11.
  for (const char* v : {"08", "010", "0000000000000000000001"}) {
    const auto r = run_cli({"bench", "--reps", v, "--warmup", v, "--device", v, "--kernel", "no-such-kernel"});
    EXPECT_EQ(r.exit_code, 2) << v;
    EXPECT_TRUE(r.err.find("no kernel matches --kernel 'no-such-kernel'") != std::string::npos ||
                r.err.find("built without kernels") != std::string::npos)
        << v << ": " << r.err;
  }
}

// Real-valued options say what they want (CLI11 alone: "Could not convert"),
// and NaN or infinity is refused before a range check could misname it.
TEST(Cli, RealOptionsAreFiniteNumbers) {
  const std::string h200 = fixture("handmade-h200.json");
  // Decimal as typed: strtod alone read "0x10" as 16 and took "+5" and " 5".
  for (const char* v : {"5%", "nan", "inf", "", "1e999", "0x10", "+5", " 5"}) {
    SCOPED_TRACE(v);
    expect_one_line_error(run_cli({"estimate", "--preset", "llama3-8b", "--tokens", v}), 2,
                          "--tokens: must be a finite number, got '" + std::string(v) + "'");
    expect_one_line_error(run_cli({"estimate", "--preset", "llama3-8b", "--pue", v}), 2,
                          "--pue: must be a finite number");
  }
  // Percentages take a '%' or none (the contracts' 5% was refused here).
  for (const char* v : {"nan%", "inf", "", "1e999", "0x10", "+5", " 5", "5%%", "5 %", "%"}) {
    SCOPED_TRACE(v);
    expect_one_line_error(run_cli({"compare", h200, h200, "--threshold", v}), 2,
                          "--threshold: must be a percentage (5 or 5%), got '" + std::string(v) + "'");
    expect_one_line_error(run_cli({"compare", h200, h200, "--flops-tolerance", v}), 2,
                          "--flops-tolerance: must be a percentage");
    expect_one_line_error(run_cli({"crosscheck", h200, "--ncu", h200, "--bytes-tolerance", v}), 2,
                          "--bytes-tolerance: must be a percentage");
  }
  for (const char* v : {"5", "5%", "0.5%", "1e1%"}) {
    const auto r = run_cli({"compare", h200, h200, "--threshold", v});
    EXPECT_EQ(r.err.find("--threshold"), std::string::npos) << v << ": " << r.err;
  }
  // Past the range, the number as it was given (%g wrote 100.0001 as "100").
  expect_one_line_error(run_cli({"crosscheck", h200, "--ncu", h200, "--counts-tolerance", "100.0001%"}), 2,
                        "--counts-tolerance must be a percentage from 0 to 100, not 100.0001");
  // In range, the command's own checks still answer.
  const auto r = run_cli({"compare", h200, h200, "--threshold", "-1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.find("finite number"), std::string::npos) << r.err;
}

// An output under a path that is a file, or in a directory that makes no
// files (/proc), is named for what it is: both were "does not exist".
TEST(Cli, OutputDirectoryProblemsAreNamedRight) {
  const std::string dir = temp_dir(), in = fixture("handmade-h200.json");
  expect_one_line_error(run_cli({"report", in, "--md", in + "/x.md"}), 2, "handmade-h200.json' is not a directory");
  if (std::filesystem::is_directory("/proc/self"))
    expect_one_line_error(run_cli({"report", in, "--md", "/proc/x.md"}), 2,
                          "cannot write in directory '/proc' (it does not accept new files)");
}

TEST(Cli, NewlineInAnArgumentStillOneLine) {
  const std::string dir = temp_dir();
  expect_one_line_error(run_cli({"report", dir + "/no\nsuch.json"}), 2, "no\\nsuch.json: cannot open");
  expect_one_line_error(run_cli({"report", fixture("handmade-h200.json"), "--md", dir + "/a\nb/r.md"}), 2,
                        "a\\nb' does not exist");
  expect_one_line_error(run_cli({"specs", "--gpu", "h\r200"}), 2, "unknown GPU 'h\\r200'");
  expect_one_line_error(run_cli({"fro\nb"}), 2, "unknown command 'fro\\nb'");
  expect_one_line_error(run_cli({"specs", "--b\nogus"}), 2, "--b\\nogus");
}

TEST(Cli, ReportReadsAPipe) {
  // `flopscope report <(ssh gpu cat r.json)`: the input is read once, so its
  // first bytes are not lost to the check for a raw counter file.
  const std::string dir = temp_dir(), fifo = dir + "/pipe.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string text = slurp(fixture("handmade-h200.json"));
  std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << text; });
  auto r = run_cli({"report", fifo});
  writer.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("gemm.cublas.bf16"), std::string::npos) << r.out;
}

// A counter file with a damaged first byte was reported as "malformed JSON".
TEST(Cli, ReportNamesADamagedCounterFile) {
  const std::string dir = temp_dir(), path = dir + "/r.fscounters";
  write_text(path, std::string("FLOPSCTX\x01\0\0\0", 12) + std::string(64, '\0'));
  expect_one_line_error(run_cli({"report", path}), 2,
                        "a damaged counter file (its first 8 bytes are 'FLOPSCTX', not 'FLOPSCTR')");
  write_text(path, std::string("\x7fLOPSCTR", 8) + std::string(64, '\0'));
  expect_one_line_error(run_cli({"report", path}), 2, "its first 8 bytes are '\\x7fLOPSCTR'");
  // Not every binary file is taken for one: JSON's reading of it stands.
  write_text(path, std::string("\x7f" "ELF\x02\x01\x01", 7) + std::string(64, '\0'));
  expect_one_line_error(run_cli({"report", path}), 2, "a NUL byte");
  // Cut inside its magic: "malformed JSON at byte 1" said nothing of what it is.
  write_text(path, "FLOP");
  expect_one_line_error(run_cli({"report", path}), 2,
                        "truncated counter file: 4 bytes, shorter than its header; copy the whole file again");
}

// A table that could not be written (a full disk) is a failure, not exit 0.
TEST(Cli, UnwritableStdoutIsAFailure) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  expect_one_line_error(run_cli({"specs"}, {}, "/dev/full"), 1, "cannot write standard output");
  // Help and version too (they exited 0: a reviewer).
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, {"report", "--help"}, {"--version"}})
    expect_one_line_error(run_cli(args, {}, "/dev/full"), 1, "cannot write standard output");
  // A report whose table could not be written writes no file beside it (it
  // wrote the Markdown, then failed).
  const std::string md = temp_dir() + "/r.md";
  expect_one_line_error(run_cli({"report", fixture("handmade-h200.json"), "--md", md}, {}, "/dev/full"), 1,
                        "check the disk or pipe it is sent to; no output file was written");
  EXPECT_FALSE(std::filesystem::exists(md));
}

// A value quoted in an error is clipped: `specs --gpu` with 100 kB printed it whole.
TEST(Cli, LongValuesAreClippedInErrors) {
  const std::string huge(100000, 'x');
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"specs", "--gpu", huge}, {"metrics", "--chip", "GH100", "--set", huge}, {"estimate", "--preset", huge}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_LT(r.err.size(), 1000u) << args[0];
    EXPECT_NE(r.err.find(std::string(59, 'x') + "..."), std::string::npos) << r.err.substr(0, 300);
  }
}

TEST(Cli, DevicesWithoutGpuSaysSo) {
  // Decided without flopscope: a `devices` that wrongly exited 0 skipped this test.
  if (flopscope::test::nvidia_device_node_present()) GTEST_SKIP() << "a GPU device node (/dev/nvidiaN) is present";
  auto r = run_cli({"devices"});
  expect_one_line_error(r, 3, "");
  EXPECT_TRUE(r.err.find("driver") != std::string::npos || r.err.find("GPU") != std::string::npos ||
              r.err.find("CUDA") != std::string::npos)
      << r.err;
}

// The toolkit's stub libcuda found first (a stubs directory in LD_LIBRARY_PATH, as
// build containers set it): the line names it. It read "no CUDA-capable GPU is
// visible (check CUDA_VISIBLE_DEVICES)" before.
TEST(Cli, DevicesUnderTheStubDriverLibraryNameIt) {
#ifndef FLOPSCOPE_CUDA_STUB_LIB
  GTEST_SKIP() << "a build without CUDA: no device query";
#else
  namespace fs = std::filesystem;
  if (!fs::exists(FLOPSCOPE_CUDA_STUB_LIB)) GTEST_SKIP() << "no stub library at " << FLOPSCOPE_CUDA_STUB_LIB;
  const std::string dir = temp_dir();
  fs::create_symlink(FLOPSCOPE_CUDA_STUB_LIB, dir + "/libcuda.so.1");
  auto r = run_cli({"devices"}, {"LD_LIBRARY_PATH=" + dir});
  expect_one_line_error(r, 3, "the CUDA driver library loaded is the toolkit's stub");
  EXPECT_NE(r.err.find("LD_LIBRARY_PATH"), std::string::npos) << r.err;
#endif
}

// ---- Bad input: one line, exit 2, nothing overwritten, nothing unbounded ----------

TEST(Cli, OutputThatIsAnInputIsRefusedBeforeAnyWork) {
  namespace fs = std::filesystem;
  const std::string dir = temp_dir(), in = dir + "/r.json";
  const std::string text = slurp(fixture("handmade-h200.json"));
  write_text(in, text);
  fs::create_symlink(in, dir + "/link.json");
  fs::create_hard_link(in, dir + "/hard.json");
  const std::string other = dir + "/other.md";
  fs::create_directory(dir + "/x");
  // Any spelling of the input: itself, ./ and .., a symbolic link, a hard link.
  // The good output named before it is not written either.
  for (const auto& [flag, path] : std::vector<std::pair<std::string, std::string>>{
           {"--md", in}, {"--html", dir + "/./r.json"}, {"--svg", dir + "/x/../r.json"},
           {"--html", dir + "/link.json"}, {"--md", dir + "/hard.json"}}) {
    expect_one_line_error(run_cli({"report", in, "--csv", other, flag, path}), 2, path + ": this output is the input");
    EXPECT_FALSE(fs::exists(other)) << flag << " " << path;
  }
  EXPECT_EQ(slurp(in), text);  // the input is untouched
  EXPECT_TRUE(fs::is_symlink(dir + "/link.json"));
  // Two outputs that are one file.
  expect_one_line_error(run_cli({"report", in, "--md", dir + "/x.out", "--csv", dir + "/x/../x.out"}), 2,
                        "x.out");
  EXPECT_FALSE(fs::exists(dir + "/x.out"));
  // compare and check: baseline, current, results and contracts are inputs.
  expect_one_line_error(run_cli({"compare", in, fixture("handmade-h200.json"), "--md", dir + "/hard.json"}), 2,
                        "this output is the input");
  expect_one_line_error(run_cli({"compare", fixture("handmade-h200.json"), in, "--gbench", in}), 2,
                        "this output is the input");
  write_text(dir + "/contracts.txt", "* : mfu >= 0\n");
  expect_one_line_error(
      run_cli({"check", in, "--contracts", dir + "/contracts.txt", "--junit", dir + "/contracts.txt"}), 2,
      "this output is the input");
  expect_one_line_error(run_cli({"check", in, "--contracts", dir + "/contracts.txt", "--md", dir + "/link.json"}), 2,
                        "this output is the input");
  EXPECT_EQ(slurp(in), text);
  EXPECT_EQ(slurp(dir + "/contracts.txt"), "* : mfu >= 0\n");
}

TEST(Cli, InputLargerThanTheLimitIsRefused) {
  namespace fs = std::filesystem;
  const std::string dir = temp_dir();
  // A regular file: by its size, unread (sparse, no disk used).
  const std::string huge = dir + "/huge.json";
  write_text(huge, "");
  fs::resize_file(huge, (std::uintmax_t(3) << 30));
  expect_one_line_error(run_cli({"report", huge}), 2, "huge.json: 3072 MiB, more than the 256 MiB");
  // A device that never ends: read up to the limit, not forever.
  expect_one_line_error(run_cli({"report", "/dev/zero"}), 2, "/dev/zero: more than the 256 MiB");
  // A pipe that never ends (`yes | flopscope report /dev/stdin`): the writer
  // holds the pipe open too, so it can write until the reader stops.
  const std::string fifo = dir + "/endless";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    const std::string chunk(1 << 16, 'y');
    while (!stop.load())
      if (::write(fd, chunk.data(), chunk.size()) < 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
  });
  auto r = run_cli({"compare", fixture("handmade-h200.json"), fifo});
  stop = true;
  writer.join();
  ::close(fd);
  expect_one_line_error(r, 2, "endless: more than the 256 MiB");
}

TEST(Cli, MalformedResultsAreOneLineNeverASignal) {
  const std::string dir = temp_dir();
  const std::string text = slurp(fixture("handmade-h100.json"));
  std::vector<std::pair<std::string, std::string>> cases{
      {"deep", std::string(1'000'000, '[')},
      {"deep-closed", std::string(200'000, '[') + std::string(200'000, ']')},
      {"huge-number", std::string(text).replace(text.find("\"n\": 268435456"), 14, "\"n\": 1e400")},
      {"nan", std::string(text).replace(text.find("\"median\": "), 10, "\"median\": NaN, \"x\": ")},
      {"negative-launches", std::string(text).replace(text.find("\"launches\": 1"), 13, "\"launches\": -1")},
      {"nul", std::string(text).insert(text.size() / 2, std::string(1, '\0'))},
      {"dup-key", std::string(text).replace(text.find("\"launches\": 1"), 13, "\"launches\": 1, \"launches\": 2")},
  };
  for (size_t cut : {size_t(1), text.size() / 7, text.size() / 2, text.size() - 5})
    cases.emplace_back("cut-" + std::to_string(cut), text.substr(0, cut));
  std::mt19937 rng(7);
  for (int i = 0; i < 12; ++i) {
    std::string t = text;
    t[rng() % t.size()] = char(rng() % 256);
    cases.emplace_back("flip-" + std::to_string(i), t);
  }
  const std::vector<std::pair<std::string, std::string>> needles{
      {"deep", "nested deeper than 64 levels"},
      {"deep-closed", "nested deeper than 64 levels"},
      {"huge-number", "out of range"},
      {"nan", "malformed JSON"},
      {"negative-launches", "$.runs[0].launches: expected an integer >= 1, got -1"},
      {"nul", "a NUL byte"},
      {"dup-key", "$.runs[0]: key 'launches' appears twice"}};
  for (const auto& [name, body] : cases) {
    const std::string path = dir + "/" + name + ".json";
    write_text(path, body);
    auto r = run_cli({"report", path});
    ASSERT_LT(r.exit_code, 128) << name << ": killed by signal " << r.exit_code - 128;
    // Only a flipped byte may leave a valid file; every other case is refused.
    if (r.exit_code == 0 && name.rfind("flip-", 0) == 0) continue;
    EXPECT_EQ(r.exit_code, 2) << name << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1) << name << ": " << r.err;
    EXPECT_NE(r.err.find(path + ": "), std::string::npos) << r.err;
    for (const auto& [n, needle] : needles) {
      if (n == name) {
        EXPECT_NE(r.err.find(needle), std::string::npos) << name << ": " << r.err;
      }
    }
  }
}
