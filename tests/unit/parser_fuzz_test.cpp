// Mutation fuzzing of the host-only parsers of user input: results files,
// performance contracts, estimator model configs and --shape strings. Each
// mutant of a valid seed loads, or is refused with one bad_input line naming
// the file; never another exception, a crash (the sanitizer build runs this
// too), or a slow parse. What loads is also handed to what reads it next
// (round trip, compare, check, estimate --from), with fixed seeds throughout.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "flopscope/ci_report.h"
#include "flopscope/contracts.h"
#include "flopscope/crosscheck.h"
#include "flopscope/estimate.h"
#include "flopscope/gate.h"
#include "flopscope/report.h"
#include "flopscope/results.h"
#include "registry.h"
#include "unit/crosscheck_sample.h"
#include "unit/fuzz_mutator.h"
#include "unit/shape_spec_sample.h"

using namespace flopscope;
using test::Mutator;
using test::Oracle;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << path;
  return ss.str();
}

std::vector<std::string> fixture_texts() {
  std::vector<std::string> out;
  for (const char* name : {"handmade-h100.json", "handmade-h200.json", "handmade-markup.json"}) {
    const std::string text = slurp(std::string(FLOPSCOPE_FIXTURES_DIR) + "/" + name);
    out.push_back(text);
    out.push_back(nlohmann::ordered_json::parse(text).dump());  // compact: more mutants per second
  }
  return out;
}

const std::vector<Contract>& bench_contracts() {
  static const std::vector<Contract> c =
      parse_contracts(slurp(std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/contracts.txt"), "c.txt");
  return c;
}

const ResultsDoc& h200_doc() {
  static const ResultsDoc doc =
      parse_results(slurp(std::string(FLOPSCOPE_FIXTURES_DIR) + "/handmade-h200.json"), "h200.json");
  return doc;
}

// ---- results files ------------------------------------------------------------

// What reads a results file after parse_results: the writer (a round trip
// must give the same text), the reports, compare, check and estimate --from.
void use_results(const ResultsDoc& doc, const std::string& text, Oracle& oracle, const std::string& label) {
  const std::string out = to_json_text(doc);
  try {
    if (to_json_text(parse_results(out, "r.json")) != out) oracle.fail(label, text, "no round trip");
  } catch (const Error& e) {
    oracle.fail(label, text, std::string("written back, it does not load: ") + e.what());
  }
  render_terminal(doc);
  render_csv(doc);
  render_gbench_json(doc);
  GateOptions opt;
  try {
    render_compare_markdown(compare_results(h200_doc(), doc, opt, "base.json", "r.json"));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::bad_input) throw;  // no run in common: refused, not a defect
  }
  render_check_text(check_contracts(doc, bench_contracts(), "r.json", "c.txt"));
  try {
    estimate::measured_utilization(estimate::require_preset("llama3-8b"), doc, "bf16_tensor", "r.json");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::bad_input) throw;
  }
}

TEST(ParserFuzz, ResultsFiles) {
  Mutator m(1001, test::json_tokens());
  Oracle oracle("results", "r.json");
  test::check_mutants(
      oracle, m, fixture_texts(), 6000, [&](const std::string& s, int i) { return i % 3 ? m.bytes(s) : m.tree(s); },
      [&](const std::string& text, const std::string& label) {
        use_results(parse_results(text, "r.json"), text, oracle, label);
      });
  EXPECT_GT(oracle.accepted(), 200);  // some mutants stay valid and reach what reads them
}

// ---- performance contracts ----------------------------------------------------

const char* const kEveryContractKind =
    "# every kind of contract\n"
    "gemm.mma_sync.bf16 m=4096 n=4096 k=4096 : tflops >= 0.6 x gemm.cublas.bf16 k=8192\n"
    "attention.flash.bf16 n=4096 : compute-bound\n"
    "memory.* : memory-bound   # trailing comment\n"
    "gemm.* : hw_flops = model_flops \xC2\xB1 0.1%\n"
    "gemm.cublas.bf16 : mfu >= 50%\n"
    "gemm.cublas.bf16 : hfu > 0.1\n"
    "* : validation passed\n"
    "*.fp32 : time <= 3ms\r\n"
    "gemm.naive.fp32 : bound = memory\n"
    "gemm.* : ai_hw +- 1% \n"
    "\tgemm.* : rel_err < 1e-2\n"
    "gemm.* : dram_bytes == model_bytes +- 5 %\n"
    "memory.copy.fp32 : bandwidth >= 3 TB/s\n"
    "memory.softmax.* : bandwidth >= 0.85 x memory.copy.fp32 n=268435456\n";

std::vector<std::string> contract_tokens() {
  std::vector<std::string> t = test::json_tokens();
  for (const auto& c : contract_metrics()) t.push_back(c.name);
  for (const char* s : {">=", "<=", ">", "<", "=", "==", "\xC2\xB1", "+-", "x", "\xC3\x97", "*", "%", "s", "ms",
                        "us", "ns", "min", "B/s", "GB/s", "TB/s", ":", "#", "=", "m=", "=5", "k=-1", "validation",
                        "passed", "compute-bound", "memory-bound", "bound", "compute", "-1", "+5", ".5", "1e-400",
                        "nan", "-inf", "0x10", "1.2.3", "gemm.cublas.bf16", "*****************"})
    t.push_back(s);
  return t;
}

// Checking, and its reports, on what parsed: a glob or a reference that
// matches many runs, odd numbers, names that need escaping.
void use_contracts(std::vector<Contract> contracts) {
  const CheckReport rep = check_contracts(h200_doc(), std::move(contracts), "r.json", "c.txt");
  render_check_text(rep);
  render_check_markdown(rep);
  render_check_junit(rep);
}

TEST(ParserFuzz, Contracts) {
  std::vector<std::string> seeds = {kEveryContractKind};
  for (const char* name : {"contracts.txt", "targets-h200.txt", "counters-h200.txt", "mma-tiles-h200.txt"})
    seeds.push_back(slurp(std::string(FLOPSCOPE_SOURCE_DIR) + "/bench/" + name));
  Oracle oracle("contracts", "c.txt:");
  auto parse = [](const std::string& text) { use_contracts(parse_contracts(text, "c.txt")); };
  for (const std::string& seed : seeds) test::check_prefixes(oracle, seed, parse);
  Mutator m(1002, contract_tokens());
  test::check_mutants(oracle, m, seeds, 20000, [&](const std::string& s, int) { return m.bytes(s); },
                      [&](const std::string& text, const std::string&) { parse(text); });
  EXPECT_GT(oracle.accepted(), 1000);
}

// Inputs large in one direction, each in well under a second: a selector or a
// reference of many shape values, a glob of many stars against a long id,
// many contracts.
TEST(ParserFuzz, LargeContractsStayFast) {
  Oracle oracle("large contracts", "c.txt:");
  std::string keys;
  for (int i = 0; i < 50'000; ++i) keys += " k" + std::to_string(i) + "=1";
  const std::string many_values = "gemm.*" + keys + " : validation passed\n";
  oracle.check(many_values, [&] { use_contracts(parse_contracts(many_values, "c.txt")); }, "selector values");
  const std::string many_overrides = "gemm.* : tflops >= 0.5 x gemm.cublas.bf16" + keys + "\n";
  oracle.check(many_overrides, [&] { use_contracts(parse_contracts(many_overrides, "c.txt")); }, "reference values");
  std::string lines;
  for (int i = 0; i < 2'000; ++i) lines += "* : validation passed\n";
  oracle.check(lines, [&] { use_contracts(parse_contracts(lines, "c.txt")); }, "many contracts");
  // Every split at every star was tried: 10 stars against 40 characters took 8 s.
  ResultsDoc doc = h200_doc();
  doc.runs[0].id = std::string(40, 'a');
  std::string stars;
  for (int i = 0; i < 10; ++i) stars += "*a";
  const std::string globs = stars + "*b : validation passed\n" + stars + " : validation passed\n";
  oracle.check(globs, [&] {
    const CheckReport rep = check_contracts(doc, parse_contracts(globs, "c.txt"), "r.json", "c.txt");
    EXPECT_EQ(rep.results[0].run, "");  // matches nothing
    EXPECT_EQ(rep.results[1].run.rfind(doc.runs[0].id + " ", 0), 0u) << rep.results[1].run;
  }, "stars");
}

// ---- estimator model configs --------------------------------------------------

// Everything `flopscope estimate` computes from a config it accepted.
void use_model(estimate::ModelConfig model, Oracle& oracle, const std::string& text, const std::string& label) {
  try {
    estimate::parse_model_config(estimate::to_config_json(model), "m.json");
  } catch (const Error& e) {
    oracle.fail(label, text, std::string("written back, it does not load: ") + e.what());
  }
  estimate::count_params(model);
  estimate::token_flops(model, estimate::Checkpointing::full);
  estimate::Peak peak{989e12, "bf16_tensor", "test", 4.8e12, "h200"};
  estimate::estimate_inference(model, {}, peak);
  try {
    estimate::measured_utilization(model, h200_doc(), "bf16_tensor", "m.json");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::bad_input) throw;
  }
}

TEST(ParserFuzz, ModelConfigs) {
  std::vector<std::string> seeds;
  for (const auto& p : estimate::presets()) seeds.push_back(estimate::to_config_json(p));
  Mutator m(1003, test::json_tokens());
  Oracle oracle("model config", "m.json");
  test::check_mutants(
      oracle, m, seeds, 20000, [&](const std::string& s, int i) { return i % 2 ? m.bytes(s) : m.tree(s); },
      [&](const std::string& text, const std::string& label) {
        use_model(estimate::parse_model_config(text, "m.json"), oracle, text, label);
      });
  EXPECT_GT(oracle.accepted(), 500);
}

// ---- --shape ------------------------------------------------------------------

TEST(ParserFuzz, ShapeArguments) {
  const kernels::KernelSpec spec = test::shape_spec();
  const std::vector<std::string> seeds = {"m=4096,n=4096,k=64", "512x512x64x1", "tiny", "large", "",
                                          "default", "causal=1,k=8"};
  std::vector<std::string> tokens = test::json_tokens();
  for (const char* s : {"x", ",", "=", "m=", "causal", "tiny", "2147483648", "-", "+", "0", "00", "0x1f"})
    tokens.push_back(s);
  Mutator m(1004, tokens);
  Oracle oracle("shape", "");
  test::check_mutants(oracle, m, seeds, 20000, [&](const std::string& s, int) { return m.bytes(s); },
                      [&](const std::string& arg, const std::string&) { kernels::resolve_shape(spec, arg); });
  EXPECT_GT(oracle.accepted(), 500);
}

// ---- Nsight Compute CSV exports (crosscheck --ncu) ----------------------------

// Each mutant parses or is refused naming the file; what parses is set beside
// a profile and rendered, whatever numbers, units and names it holds.
TEST(ParserFuzz, NcuCsv) {
  const std::vector<std::string> seeds = {test::ncu_details_csv(), test::ncu_raw_csv()};
  std::vector<std::string> tokens = test::json_tokens();
  for (const char* s : {"\"", "\"\"", ",", "\n", "\r\n", "\"ID\"", "\"Kernel Name\"", "\"Metric Value\"",
                        "Mbyte", "usecond", "cycle/nsecond", "byte/", "n/a", "1,234", ",,,", "_Z", "_Z1", "__",
                        "==PROF==", "-0", "1e999", "nan", "inf", "(anonymous namespace)", "<<<", ">>>"})
    tokens.push_back(s);
  const ResultsDoc twin = test::ncu_twin_profile();
  Oracle oracle("ncu csv", "n.csv");
  for (const std::string& seed : seeds)
    test::check_prefixes(oracle, seed, [](const std::string& text) { parse_ncu_csv(text, "n.csv"); });
  Mutator m(1005, tokens);
  test::check_mutants(oracle, m, seeds, 20000, [&](const std::string& s, int) { return m.bytes(s); },
                      [&](const std::string& text, const std::string&) {
                        const NcuCsv csv = parse_ncu_csv(text, "n.csv");
                        render_crosscheck_text(crosscheck_ncu(twin, csv, {}));
                      });
  // About 1,100 mutants (a launch's rows naming two kernels, or two values of
  // a metric) are refused as two exports in one file.
  EXPECT_GT(oracle.accepted(), 4000);
}

// Model FLOPs per NVTX range (crosscheck --model-flops): tree and byte mutants.
TEST(ParserFuzz, ModelFlops) {
  const std::vector<std::string> seeds = {test::model_flops_json()};
  const ResultsDoc twin = test::model_twin_profile();
  Oracle oracle("model flops", "m.json");
  Mutator m(1006, test::json_tokens());
  test::check_mutants(oracle, m, seeds, 10000,
                      [&](const std::string& s, int i) { return i % 2 ? m.tree(s) : m.bytes(s); },
                      [&](const std::string& text, const std::string&) {
                        render_model_crosscheck_text(crosscheck_model_flops(twin, parse_model_flops(text, "m.json")));
                      });
  EXPECT_GT(oracle.accepted(), 500);  // tree mutants often copy a range: refused, each range is listed once
}

}  // namespace
