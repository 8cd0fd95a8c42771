// Performance contracts: parsing (good and malformed) and checking.
#include <gtest/gtest.h>

#include <set>

#include <chrono>

#include "flopscope/ci_report.h"
#include "flopscope/contracts.h"
#include "flopscope/error.h"
#include "unit/sample_doc.h"
#include "unit/xml_check.h"

using namespace flopscope;

namespace {

std::string parse_error(const std::string& text) {
  try {
    parse_contracts(text, "c.txt");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    return e.what();
  }
  return "(parsed)";
}

/// sample_doc() plus an mma_sync GEMM at 4096^3 and a cuBLAS GEMM at the same
/// shape, 0.75x as fast, and a flash attention run.
ResultsDoc contract_doc() {
  ResultsDoc doc = test::sample_doc();
  const Shape s4096 = {{"m", 4096}, {"n", 4096}, {"k", 4096}};
  RunRecord cublas = test::sample_run("gemm", "cublas", "bf16", "bf16_tensor",
                                      gemm_cost({4096, 4096, 4096}, 2, 2), 0.2e-3, s4096);
  RunRecord mma = test::sample_run("gemm", "mma_sync", "bf16", "bf16_tensor",
                                   gemm_cost({4096, 4096, 4096}, 2, 2), 0.2e-3 / 0.75, s4096);
  HwCounters hw;
  hw.flops_total = mma.model.flops * 1.0005;  // 0.05% more than the model
  mma.hw = hw;
  mma.validation = Validation{1e-3, 1e-3, 1e-2, true};
  AttentionShape as{1, 16, 4096, 4096, 128, false};
  RunRecord flash = test::sample_run("attention", "flash", "bf16", "bf16_tensor",
                                     attention_fused_cost(as, 2), 0.5e-3,
                                     {{"b", 1}, {"h", 16}, {"n", 4096}, {"d", 128}, {"causal", 0}});
  flash.model.flops = attention_matmul_flops(as, CausalConvention::exact);
  for (RunRecord* r : {&cublas, &mma, &flash}) {
    compute_derived(*r, doc.peaks.datasheet);
    doc.runs.push_back(*r);
  }
  return doc;
}

const ContractResult& only_result(const CheckReport& rep) {
  EXPECT_EQ(rep.results.size(), 1u);
  return rep.results.at(0);
}

CheckReport check(const std::string& text, const ResultsDoc& doc = contract_doc()) {
  return check_contracts(doc, parse_contracts(text, "c.txt"), "r.json", "c.txt");
}

}  // namespace

TEST(ContractParse, EveryKind) {
  const auto cs = parse_contracts(
      "# contracts for the GEMM ladder\n"
      "\n"
      "gemm.mma_sync.bf16 m=4096 n=4096 k=4096 : tflops >= 0.6 x gemm.cublas.bf16  # ratio\n"
      "attention.flash.bf16 n=4096 : compute-bound\n"
      "gemm.* : hw_flops = model_flops \xC2\xB1 0.1%\n"
      "gemm.cublas.bf16 : mfu >= 50%\n"
      "* : validation passed\n"
      "gemm.cublas.bf16 m=8192: time<=1.5ms\n"
      "memory.copy.fp32 : bound == memory\n"
      "gemm.mma_sync.bf16 : time <= 1.5 * gemm.cublas.bf16 m=4096\n"
      "gemm.mma_sync.bf16 : hw_flops == model_flops +- 1%\n",
      "c.txt");
  ASSERT_EQ(cs.size(), 9u);
  EXPECT_EQ(cs[0].line, 3);
  EXPECT_EQ(cs[0].kind, ContractKind::ratio);
  EXPECT_EQ(cs[0].subject.id, "gemm.mma_sync.bf16");
  EXPECT_EQ(cs[0].subject.shape.size(), 3u);
  EXPECT_EQ(cs[0].metric, "tflops");
  EXPECT_EQ(cs[0].op, CmpOp::ge);
  EXPECT_DOUBLE_EQ(cs[0].value, 0.6);
  EXPECT_EQ(cs[0].reference.id, "gemm.cublas.bf16");
  EXPECT_TRUE(cs[0].reference.shape.empty());
  EXPECT_EQ(cs[0].text, "gemm.mma_sync.bf16 m=4096 n=4096 k=4096 : tflops >= 0.6 x gemm.cublas.bf16");
  EXPECT_EQ(cs[1].kind, ContractKind::bound);
  EXPECT_EQ(cs[1].bound, "compute");
  EXPECT_EQ(cs[2].kind, ContractKind::metrics);
  EXPECT_EQ(cs[2].rhs_metric, "model_flops");
  EXPECT_DOUBLE_EQ(cs[2].tolerance, 0.001);
  EXPECT_EQ(cs[3].kind, ContractKind::value);
  EXPECT_DOUBLE_EQ(cs[3].value, 0.5);
  EXPECT_EQ(cs[4].kind, ContractKind::validation);
  EXPECT_EQ(cs[4].subject.id, "*");
  EXPECT_DOUBLE_EQ(cs[5].value, 1.5e-3);
  EXPECT_EQ(cs[5].op, CmpOp::le);
  EXPECT_EQ(cs[6].bound, "memory");
  EXPECT_EQ(cs[7].kind, ContractKind::ratio);
  ASSERT_EQ(cs[7].reference.shape.size(), 1u);
  EXPECT_EQ(cs[7].reference.shape[0], (std::pair<std::string, int64_t>{"m", 4096}));
  EXPECT_DOUBLE_EQ(cs[8].tolerance, 0.01);
}

TEST(ContractParse, MalformedLinesNameLineAndReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"gemm.cublas.bf16 mfu >= 0.5", "c.txt:1: expected 'SELECTOR : ASSERTION'"},
      {"# ok\n\ngemm.cublas.bf16 : mfuu >= 0.5", "c.txt:3: unknown metric 'mfuu'"},
      {": mfu >= 0.5", "c.txt:1: no selector"},
      {"gemm : mfu is 0.5", "expected a comparison"},
      {"gemm : mfu >=", "expected a number or a metric"},
      {"gemm : mfu >= 50", "mfu is a fraction of its peak, at most 1: for 50 percent write 50% (0.5)"},
      {"gemm : mfu >= abc", "unknown metric 'abc'"},
      {"gemm : tflops >= 12%", "'%' fits a fraction"},
      {"gemm : time <= 3 parsecs", "unknown time unit 'parsecs' (use s, ms, us or ns)"},
      {"gemm : bandwidth >= 4 PB/s", "unknown bandwidth unit 'PB/s' (use B/s, GB/s or TB/s)"},
      {"gemm : tflops >= nan", "'nan' is not a number a bound can be (a finite number)"},
      {"gemm : tflops >= INF", "'INF' is not a number a bound can be"},
      {"gemm : tflops >= -inf", "'-inf' is not a number"},
      // A number no double holds is one, out of range (it read "not a number").
      {"gemm : time < 1e-400 s", "'1e-400' is out of range"},
      {"gemm : tflops >= 1e400", "'1e400' is out of range"},
      {"gemm : mfu => 0.5", "'=>' is written '>='"},
      {"gemm : mfu =< 0.5", "'=<' is written '<='"},
      {"gemm : time <= 3min", "unknown time unit 'min'"},
      // A bare number would be seconds or bytes/s: both passed every kernel.
      {"memory.copy.fp32 : time <= 400", "a time needs its unit: write 400us, 400ms or 400s"},
      {"memory.copy.fp32 : bandwidth >= 3000", "a bandwidth needs its unit: write 3000 GB/s, 3000 TB/s or 3000 B/s"},
      {"gemm : tflops >= 1.2.3", "unexpected unit"},
      {"gemm m=abc : mfu >= 0.5", "c.txt:1: shape value 'm=abc' is not an integer"},
      {"gemm m : mfu >= 0.5", "expected a shape value KEY=INTEGER"},
      {"gemm m=1 m=2 : mfu >= 0.5", "shape key 'm' given twice"},
      {"ge$mm : mfu >= 0.5", "is not a kernel id"},
      {"gemm : tflops >= 0.6 x gemm.*", "must name one kernel id, without '*'"},
      {"gemm : tflops >= 0.6 x", "expected a reference run"},
      {"gemm : tflops >= 0.6 x gemm.cublas.bf16 at 4096", "expected a shape value"},
      {"gemm : tflops >= -1 x gemm.cublas.bf16", "must be positive"},
      // A factor carries no unit: the reference's value does.
      {"gemm : time <= 2ms x gemm.cublas.bf16", "the factor of a ratio is a plain number (e.g. 0.6 or 60%), got '2ms'"},
      // A number where the reference's id goes, and a tolerance on a ratio.
      {"gemm : mfu >= 0.3 x 2", "the reference '2' is not a kernel id (family.variant.dtype, e.g. gemm.cublas.bf16)"},
      {"gemm : tflops >= 0.6 x gemm.cublas.bf16 \xC2\xB1 5%", "a ratio takes no tolerance ('\xC2\xB1'): its factor is the bound"},
      {"gemm : tflops >= 0.6 x gemm.cublas.bf16 +- 5%", "a ratio takes no tolerance ('+-')"},
      {"gemm : time <= 2 ms x gemm.cublas.bf16", "got '2ms'"},
      {"gemm : bandwidth >= 1 TB/s x memory.copy.fp32", "got '1TB/s'"},
      {"gemm : hw_flops >= model_flops \xC2\xB1 1%", "needs '='"},
      {"gemm : hw_flops = model_flops \xC2\xB1 1", "a tolerance is a percentage"},
      {"gemm : hw_flops = model_flops \xC2\xB1", "expected a tolerance"},
      {"gemm : validation failed", "expected 'validation passed'"},
      {"gemm : compute", "expected 'validation passed', 'compute-bound' or 'memory-bound'"},
      {"gemm : bound = fast", "expected 'bound = compute' or 'bound = memory'"},
      {"gemm :", "nothing after ':'"},
      // A word after a fixed form is named, not taken for a metric.
      {"* : compute-bound extra", "c.txt:1: unexpected 'extra' after 'compute-bound'"},
      {"* : memory-bound x", "unexpected 'x' after 'memory-bound'"},
      {"* : validation passed extra", "unexpected 'extra' after 'validation passed'"},
      {"* : bound = compute extra", "unexpected 'extra' after 'bound = compute'"},
      // Bounds no run can meet (every metric is >= 0, a time > 0), and shape
      // values no run has (results hold sizes and flags >= 0): bad input, not a failure.
      {"# t\ngemm : time <= -1ms", "c.txt:2: time is never negative, so 'time <= -1ms' can never hold"},
      {"gemm : time <= -1 ms", "'time <= -1 ms' can never hold"},
      {"gemm : time <= 0", "time is always positive, so 'time <= 0' can never hold"},
      {"gemm : time < 0s", "time is always positive, so 'time < 0s' can never hold"},
      {"gemm : time = 0", "time is always positive, so 'time = 0' can never hold"},
      {"gemm : tflops < 0", "tflops is never negative, so 'tflops < 0' can never hold"},
      {"gemm : bandwidth <= -4 TB/s", "bandwidth is never negative"},
      {"gemm : tflops >= -1", "tflops is never negative, so 'tflops >= -1' always holds"},
      {"gemm : mfu >= -10%", "mfu is never negative"},
      {"gemm : mfu >= -0.5", "mfu is never negative"},
      // Found by review: a fraction in percent past 100% was taken (a bare 1.5 was not),
      // and "NaN%" read as an unknown metric.
      {"gemm : mfu >= 150%", "mfu is a fraction of its peak, at most 100%: got 150%"},
      {"gemm : roof <= 100.5%", "roof is a fraction of its roofline bound, at most 100%: got 100.5%"},
      {"gemm : mfu >= information", "unknown metric 'information'"},
      {"gemm : mfu >= NaN%", "'NaN%' is not a number a bound can be (a finite number)"},
      // Found by review: its words reach the JUnit XML, which then no parser read.
      {"gemm.cublas.fp32 m\xff=8192 : time <= 1s", "c.txt:1: not UTF-8 text (save the file as UTF-8)"},
      {"gemm\xed\xa0\x80 : time <= 1s", "not UTF-8 text"},
      {"gemm : tflops <= -inf", "'-inf' is not a number a bound can be"},
      {"# s\n\ngemm m=-1 : time > 0", "c.txt:3: shape value 'm=-1' is negative"},
      {"gemm : tflops >= 0.6 x gemm.cublas.bf16 m=-4096", "shape value 'm=-4096' is negative"},
      {"gemm : mfu = hfu \xC2\xB1 1% extra", "unexpected 'extra'"},
      // Two metrics of different units, with any comparison.
      {"gemm : mfu >= tflops", "c.txt:1: comparing mfu (fraction) with tflops (TFLOP/s) mixes units"},
      {"gemm : time < bandwidth", "comparing time (s) with bandwidth (bytes/s) mixes units"},
      {"gemm : hw_flops = dram_bytes \xC2\xB1 1%", "comparing hw_flops (FLOP) with dram_bytes (bytes) mixes units"},
      {"gemm : rel_err <= mfu", "comparing rel_err (relative error) with mfu (fraction) mixes units"},
      {"# only comments\n\n", "c.txt: no contracts"},
      {"", "c.txt: no contracts"},
  };
  for (const auto& [text, want] : cases) {
    const std::string err = parse_error(text);
    EXPECT_NE(err.find(want), std::string::npos) << "input: " << text << "\nerror: " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;  // one line
  }
}

// A ratio's factor is a plain number or a percentage for every metric: a
// fraction metric may be more than 1 x another run's, and '%' means the same
// for tflops as for mfu. (`mfu >= 1.2 x REF` was refused with "write 0.012 or
// 1.2%", which, taken as advised, made the contract 100 times weaker.)
// A contract given twice (spacing aside) would be checked and counted twice.
TEST(ContractParse, ARepeatedContractIsRefused) {
  try {
    parse_contracts("gemm.cublas.bf16 : mfu >= 0.5\n# note\ngemm.cublas.bf16  :  mfu >=  0.5  # again\n", "c.txt");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.txt:3: repeats line 1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_contracts("gemm.cublas.bf16 : mfu >= 0.5\ngemm.cublas.bf16 : mfu >= 0.6\n", "c.txt").size(), 2u);
  // The same contract in another spelling (a reviewer's case: each failure
  // was reported twice).
  for (const auto& [first, again] : std::vector<std::pair<std::string, std::string>>{
           {"gemm.* : time <= 1ms", "gemm.* : time <= 1 ms"},
           {"gemm.* : time <= 1ms", "gemm.* : time <= 1000us"},
           {"gemm.cublas.bf16 : mfu >= 0.5", "gemm.cublas.bf16 : mfu >= 50%"},
           {"gemm.mma_sync.bf16 : tflops >= 0.6 x gemm.cublas.bf16",
            "gemm.mma_sync.bf16 : tflops >= 60% x gemm.cublas.bf16"},
           // Shape values in another order select the same runs.
           {"gemm.cublas.bf16 m=4096 n=4096 : mfu >= 0.5", "gemm.cublas.bf16 n=4096 m=4096 : mfu >= 0.5"},
           {"gemm.* : tflops >= 0.6 x gemm.cublas.bf16 m=1 n=2",
            "gemm.* : tflops >= 0.6 x gemm.cublas.bf16 n=2 m=1"}}) {
    try {
      parse_contracts(first + "\n" + again + "\n", "c.txt");
      ADD_FAILURE() << "accepted: " << again;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("c.txt:2: repeats line 1"), std::string::npos) << e.what();
    }
  }
  // Other bounds, other metrics, another run: not repeats.
  EXPECT_EQ(parse_contracts("gemm.* : time <= 1ms\ngemm.* : time < 1ms\ngemm.* : time <= 2ms\n"
                            "gemm.cublas.* : time <= 1ms\ngemm.* m=4096 : time <= 1ms\n",
                            "c.txt")
                .size(),
            5u);
}

// An editor's byte order mark starts the file, not the first kernel id.
TEST(ContractParse, AByteOrderMarkIsSkipped) {
  const auto c = parse_contracts("\xEF\xBB\xBFgemm.cublas.bf16 : mfu >= 0.5\n", "bom.txt");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].subject.id, "gemm.cublas.bf16");
}

// Found by review: "0.4x REF", as prose writes "0.6× cuBLAS", was refused
// for an unknown unit 'x'.
TEST(ContractParse, AFactorMayTouchItsSign) {
  for (const char* line :
       {"gemm.* : tflops >= 0.4x gemm.cublas.bf16", "gemm.* : tflops >= 0.4\xC3\x97gemm.cublas.bf16",
        "gemm.* : tflops >= 0.4* gemm.cublas.bf16", "gemm.* : tflops >= 40%x gemm.cublas.bf16 m=2",
        "gemm.* : time <= 2x gemm.cublas.fp32"}) {
    SCOPED_TRACE(line);
    const auto c = parse_contracts(line, "c.txt");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].kind, ContractKind::ratio);
    EXPECT_EQ(c[0].reference.id,
              std::string(line).find("fp32") != std::string::npos ? "gemm.cublas.fp32" : "gemm.cublas.bf16");
    EXPECT_DOUBLE_EQ(c[0].value, std::string(line).find("2x") != std::string::npos ? 2 : 0.4);
  }
  // A unit is still no factor, touching or not.
  EXPECT_NE(parse_error("gemm.* : time <= 2msx gemm.cublas.fp32").find("c.txt:1:"), std::string::npos);
  EXPECT_NE(parse_error("gemm.* : tflops >= 0x gemm.cublas.bf16").find("positive"), std::string::npos);
}

TEST(ContractParse, RatioFactorsArePlainNumbers) {
  const auto cs = parse_contracts(
      "gemm.mma_sync.bf16 : mfu >= 1.2 x gemm.cublas.bf16\n"
      "gemm.mma_sync.bf16 : roof >= 2 x gemm.cublas.bf16\n"
      "gemm.mma_sync.bf16 : tflops >= 60% x gemm.cublas.bf16\n"
      "gemm.mma_sync.bf16 : mfu >= 60 % x gemm.cublas.bf16\n",
      "c.txt");
  ASSERT_EQ(cs.size(), 4u);
  for (const Contract& c : cs) EXPECT_EQ(c.kind, ContractKind::ratio) << c.text;
  EXPECT_DOUBLE_EQ(cs[0].value, 1.2);
  EXPECT_DOUBLE_EQ(cs[1].value, 2);
  EXPECT_DOUBLE_EQ(cs[2].value, 0.6);
  EXPECT_DOUBLE_EQ(cs[3].value, 0.6);
  // The mma_sync GEMM runs at 0.75x cuBLAS: 1.2x fails, 0.6x holds, in mfu as in tflops.
  auto rep = check("gemm.mma_sync.bf16 : mfu >= 1.2 x gemm.cublas.bf16");
  EXPECT_FALSE(only_result(rep).passed) << only_result(rep).detail;
  rep = check("gemm.mma_sync.bf16 : mfu >= 60% x gemm.cublas.bf16");
  EXPECT_TRUE(only_result(rep).passed) << only_result(rep).detail;
  rep = check("gemm.mma_sync.bf16 : tflops >= 60% x gemm.cublas.bf16");
  EXPECT_TRUE(only_result(rep).passed) << only_result(rep).detail;
  // Values keep their rules.
  EXPECT_NE(parse_error("gemm : mfu >= 1.2").find("mfu is a fraction"), std::string::npos);
  EXPECT_NE(parse_error("gemm : tflops >= 60%").find("'%' fits a fraction"), std::string::npos);
}

// Two metrics of one unit compare, with any comparison.
TEST(ContractParse, MetricsOfOneUnit) {
  const auto cs = parse_contracts(
      "gemm : tflops_hw >= tflops\n"
      "gemm : hfu <= mfu\n"
      "gemm : dram_bytes >= model_bytes\n"
      "gemm : ai_hw = ai \xC2\xB1 5%\n",
      "c.txt");
  ASSERT_EQ(cs.size(), 4u);
  for (const Contract& c : cs) EXPECT_EQ(c.kind, ContractKind::metrics) << c.text;
}

// The limits of what can hold are still accepted.
TEST(ContractParse, BoundsAtZeroThatCanHold) {
  const auto cs = parse_contracts(
      "gemm : time > 0\n"
      "gemm : time >= 0\n"
      "gemm : hw_flops <= 0\n"
      "gemm : rel_err = 0\n"
      "gemm : mfu >= 0%\n"
      "gemm : mfu <= 100%\n"
      "gemm causal=0 : tflops >= 0\n"
      "gemm : time <= 2 x gemm.cublas.bf16 causal=0\n",
      "c.txt");
  ASSERT_EQ(cs.size(), 8u);
  EXPECT_EQ(cs[6].subject.shape.at(0).second, 0);
  EXPECT_EQ(cs[7].reference.shape.at(0).second, 0);
  // Checked, a bound of 0 reads in the value's unit (it gave "2e+05 ns > 0 ns").
  EXPECT_EQ(check("gemm.cublas.bf16 : time > 0").results.at(0).detail, "time 1.4 ms > 0 ms");
}

TEST(ContractCheck, RatioWithinOneRun) {
  auto rep = check("gemm.mma_sync.bf16 m=4096 n=4096 k=4096 : tflops >= 0.6 x gemm.cublas.bf16");
  EXPECT_TRUE(only_result(rep).passed) << only_result(rep).detail;
  EXPECT_NE(only_result(rep).detail.find("ratio 0.75"), std::string::npos) << only_result(rep).detail;
  rep = check("gemm.mma_sync.bf16 : tflops >= 0.8 x gemm.cublas.bf16");
  EXPECT_FALSE(only_result(rep).passed);
  // The reference must exist at the subject's shape.
  rep = check("gemm.mma_sync.bf16 : tflops >= 0.6 x gemm.cutlass.bf16");
  EXPECT_FALSE(only_result(rep).passed);
  EXPECT_NE(only_result(rep).detail.find("no reference run gemm.cutlass.bf16 m=4096"),
            std::string::npos)
      << only_result(rep).detail;
  // Against another shape of the reference: time(4096) <= 0.2 x time(8192).
  rep = check("gemm.mma_sync.bf16 : time <= 0.2 x gemm.cublas.bf16 m=8192 n=8192 k=8192");
  EXPECT_TRUE(only_result(rep).passed) << only_result(rep).detail;
}

// Found by review: a glob took its own reference for absent ("no reference run
// gemm.cublas.bf16 ... in the results file") and failed. The subject may be its
// own reference, at ratio 1, and the line says so.
TEST(ContractCheck, ASubjectMayBeItsOwnReference) {
  auto rep = check("gemm.* : tflops >= 0.1 x gemm.cublas.bf16 m=8192 n=8192 k=8192");
  ASSERT_EQ(rep.results.size(), 3u);
  EXPECT_TRUE(rep.passed());
  const ContractResult& self = rep.results.at(0);
  EXPECT_EQ(self.run, "gemm.cublas.bf16 m=8192 n=8192 k=8192");
  EXPECT_NE(self.detail.find("; ratio 1 (the run is its own reference)"), std::string::npos) << self.detail;
  EXPECT_EQ(rep.results.at(1).detail.find("its own reference"), std::string::npos) << rep.results.at(1).detail;
  // Checked as written: a bound that the run cannot meet against itself fails.
  rep = check("gemm.cublas.bf16 m=8192 : time <= 0.5 x gemm.cublas.bf16");
  EXPECT_FALSE(only_result(rep).passed);
  EXPECT_NE(only_result(rep).detail.find("ratio 1 (the run is its own reference)"), std::string::npos)
      << only_result(rep).detail;
}

// Bandwidth (model bytes / time), with units, and a reference of other shape
// parameters: a softmax (rows, cols) against the copy (n), selected by the
// values given, or alone when none are.
TEST(ContractCheck, BandwidthAgainstAReferenceOfOtherParameters) {
  ResultsDoc doc = contract_doc();
  // sample_doc's copy: 2 x 4 x 2^28 bytes in 0.52 ms, about 4.13 TB/s.
  RunRecord sm = test::sample_run("memory", "softmax", "fp32", "fp32", copy_cost(int64_t(1) << 27, 4), 0.3e-3,
                                  {{"rows", 32768}, {"cols", 4096}});
  compute_derived(sm, doc.peaks.datasheet);
  doc.runs.push_back(sm);
  auto rep = check("memory.copy.fp32 : bandwidth >= 4 TB/s", doc);
  EXPECT_TRUE(only_result(rep).passed) << only_result(rep).detail;
  EXPECT_FALSE(only_result(check("memory.copy.fp32 : bandwidth >= 4200 GB/s", doc)).passed);
  rep = check("memory.softmax.fp32 : bandwidth >= 0.85 x memory.copy.fp32", doc);
  EXPECT_TRUE(only_result(rep).passed) << only_result(rep).detail;  // 3.58 / 4.13 = 0.87
  EXPECT_NE(only_result(rep).detail.find("ratio 0.86"), std::string::npos) << only_result(rep).detail;
  EXPECT_FALSE(only_result(check("memory.softmax.fp32 : bandwidth >= 0.9 x memory.copy.fp32", doc)).passed);
  rep = check("memory.softmax.fp32 : bandwidth >= 0.85 x memory.copy.fp32 n=268435456", doc);
  EXPECT_TRUE(only_result(rep).passed) << only_result(rep).detail;
  rep = check("memory.softmax.fp32 : bandwidth >= 0.85 x memory.copy.fp32 n=4", doc);
  EXPECT_FALSE(only_result(rep).passed);
  EXPECT_NE(only_result(rep).detail.find("no reference run memory.copy.fp32 n=4"), std::string::npos)
      << only_result(rep).detail;
  // A unit may stand apart from its number.
  EXPECT_TRUE(only_result(check("memory.copy.fp32 : time <= 600 us", doc)).passed);
  EXPECT_TRUE(only_result(check("memory.copy.fp32 : time <= 600 \xC2\xB5s", doc)).passed);  // micro sign
  EXPECT_TRUE(only_result(check("memory.copy.fp32 : time <= 600\xCE\xBCs", doc)).passed);   // Greek mu
  EXPECT_TRUE(only_result(check("gemm.cublas.bf16 m=8192 : mfu >= 50 %", doc)).passed);
  EXPECT_TRUE(only_result(check("gemm.mma_sync.bf16 : hw_flops = model_flops \xC2\xB1 0.1 %", doc)).passed);
  // Units belong to their metric.
  EXPECT_NE(parse_error("memory.copy.fp32 : time <= 4 TB/s").find("unknown time unit 'TB/s'"), std::string::npos);
  EXPECT_NE(parse_error("memory.copy.fp32 : bandwidth >= 4 ms").find("unknown bandwidth unit 'ms'"),
            std::string::npos);
  EXPECT_NE(parse_error("memory.copy.fp32 : mfu >= 0.5 GB/s").find("unexpected unit"), std::string::npos);
}

TEST(ContractCheck, BoundsMfuToleranceValidation) {
  EXPECT_TRUE(only_result(check("attention.flash.bf16 n=4096 : compute-bound")).passed);
  EXPECT_FALSE(only_result(check("attention.flash.bf16 n=4096 : memory-bound")).passed);
  EXPECT_TRUE(only_result(check("memory.copy.fp32 : memory-bound")).passed);
  auto rep = check("gemm.mma_sync.bf16 : hw_flops = model_flops \xC2\xB1 0.1%");
  EXPECT_TRUE(only_result(rep).passed) << only_result(rep).detail;
  EXPECT_NE(only_result(rep).detail.find("differ by 0.05%"), std::string::npos) << only_result(rep).detail;
  EXPECT_FALSE(only_result(check("gemm.mma_sync.bf16 : hw_flops = model_flops \xC2\xB1 0.01%")).passed);
  // Without counters the contract fails and says why.
  rep = check("gemm.cublas.bf16 m=4096 : hw_flops = model_flops \xC2\xB1 0.1%");
  EXPECT_FALSE(only_result(rep).passed);
  EXPECT_NE(only_result(rep).detail.find("not collected"), std::string::npos);
  // MFU on the 8192 cuBLAS run of sample_doc (about 0.79).
  EXPECT_TRUE(only_result(check("gemm.cublas.bf16 m=8192 : mfu >= 0.5")).passed);
  EXPECT_FALSE(only_result(check("gemm.cublas.bf16 m=8192 : mfu >= 95%")).passed);
  // Validation: passed, and absent (not validated) fails.
  EXPECT_TRUE(only_result(check("gemm.mma_sync.bf16 : validation passed")).passed);
  rep = check("memory.copy.fp32 : validation passed");
  EXPECT_FALSE(only_result(rep).passed);
  EXPECT_NE(only_result(rep).detail.find("not validated"), std::string::npos);
}

// A raw counter file's run has no model: its model metrics are absent with
// that reason (mfu said "no peak for precision 'fp32'", though the peak was
// there), and without DRAM bytes its roof says so, not that a peak is missing.
TEST(ContractCheck, RunsWithoutAModelSayWhy) {
  ResultsDoc doc = contract_doc();
  for (RunRecord& r : doc.runs)
    if (r.variant == "mma_sync") {
      r.model = {};
      compute_derived(r, doc.peaks.datasheet);
      r.derived.mfu.reset();  // as counter_file_to_results leaves it
      ASSERT_EQ(r.derived.bound, "unknown");  // no DRAM bytes counted
    }
  for (const char* metric : {"mfu >= 0.001", "tflops >= 1", "ai >= 1", "model_flops >= 1"}) {
    const auto rep = check(std::string("gemm.mma_sync.bf16 : ") + metric, doc);
    EXPECT_FALSE(only_result(rep).passed) << metric;
    EXPECT_NE(only_result(rep).detail.find("needs the analytic model, which this run has not"), std::string::npos)
        << metric << ": " << only_result(rep).detail;
  }
  EXPECT_TRUE(only_result(check("gemm.mma_sync.bf16 : hfu >= 0.001", doc)).passed);
  const auto roof = check("gemm.mma_sync.bf16 : roof >= 0.1", doc);
  EXPECT_EQ(only_result(roof).detail, "no roofline position (no DRAM bandwidth peak, or no bytes, for this run)");
  // A model of FLOPs and no bytes has no intensity, as the views show it: `ai`
  // read 0 and failed `ai >= 10` on a figure the report said did not exist.
  for (RunRecord& r : doc.runs)
    if (r.variant == "mma_sync") {
      r.model.flops = 1e12;
      r.model.bytes = 0;
      compute_derived(r, doc.peaks.datasheet);
    }
  const auto ai = check("gemm.mma_sync.bf16 : ai >= 10", doc);
  EXPECT_FALSE(only_result(ai).passed);
  EXPECT_NE(only_result(ai).detail.find("ai needs a model that counts bytes, absent in this run"), std::string::npos)
      << only_result(ai).detail;
}

// An application profile's runs: ids with profile's '~' suffix (template
// instances), a peak, no model, and (a timing profile) no counters.
TEST(ContractCheck, ProfileRunsByTheirIds) {
  ResultsDoc doc = contract_doc();
  for (const char* variant : {"reduce~a44be7", "reduce~0b12cd"}) {
    RunRecord r = test::sample_run("app", variant, "bf16", "bf16_tensor", {}, 1e-3, {{"device", 0}});
    r.model = {};
    compute_derived(r, doc.peaks.datasheet);
    r.derived.mfu.reset();
    doc.runs.push_back(r);
  }
  EXPECT_TRUE(only_result(check("app.reduce~a44be7.bf16 : time <= 1ms", doc)).passed);
  EXPECT_TRUE(only_result(check("app.reduce~a44be7.bf16 : time <= 1 x app.reduce~0b12cd.bf16", doc)).passed);
  const auto hfu = check("app.reduce~a44be7.bf16 : hfu >= 0.1", doc);
  EXPECT_EQ(only_result(hfu).detail.find("no peak"), std::string::npos) << only_result(hfu).detail;
  EXPECT_NE(only_result(hfu).detail.find("hfu needs hardware FLOP counters"), std::string::npos)
      << only_result(hfu).detail;
}

// Found by review: without a peak for its precision a run's pct_of_roof is 0,
// which `roof` took for a value (`roof <= 0.95` passed), and a ratio against a
// reference of 0 passed whatever the subject did.
TEST(ContractCheck, NoRoofAndZeroReferencesFailWithTheReason) {
  ResultsDoc doc = contract_doc();
  PeakTable no_fp32 = doc.peaks.datasheet;
  ASSERT_EQ(no_fp32.flops_per_s.erase("fp32"), 1u);
  RunRecord fp32 = test::sample_run("gemm", "cublas", "fp32", "fp32", gemm_cost({8192, 8192, 8192}, 4, 4), 20e-3,
                                    {{"m", 8192}, {"n", 8192}, {"k", 8192}});
  compute_derived(fp32, no_fp32);
  ASSERT_EQ(fp32.derived.bound, "unknown");
  doc.runs.push_back(fp32);
  for (const char* text : {"gemm.cublas.fp32 : roof <= 0.95", "gemm.cublas.fp32 : roof >= 0.5"}) {
    const auto rep = check(text, doc);
    EXPECT_FALSE(only_result(rep).passed) << text;
    EXPECT_EQ(only_result(rep).detail, "no peak for precision 'fp32'") << text;
  }
  auto rep = check("gemm.cublas.bf16 m=8192 : roof >= 0.8 x gemm.cublas.fp32", doc);
  EXPECT_FALSE(only_result(rep).passed);
  EXPECT_EQ(only_result(rep).detail, "reference gemm.cublas.fp32 m=8192 n=8192 k=8192: no peak for precision 'fp32'");
  // With a peak, roof is a value: 0.78 for the 8192 cuBLAS GEMM.
  EXPECT_TRUE(only_result(check("gemm.cublas.bf16 m=8192 : roof <= 0.95", doc)).passed);

  // A reference whose value is 0 (model FLOPs 0: no model for the kernel).
  for (RunRecord& r : doc.runs)
    if (r.id == "gemm.cublas.bf16" && r.shape[0].second == 4096) {
      r.model.flops = 0;
      compute_derived(r, doc.peaks.datasheet);
    }
  rep = check("gemm.mma_sync.bf16 : tflops >= 0.9 x gemm.cublas.bf16", doc);
  EXPECT_FALSE(only_result(rep).passed);
  EXPECT_EQ(only_result(rep).detail,
            "reference gemm.cublas.bf16 m=4096 n=4096 k=4096: its tflops is 0, so no ratio can be taken");
}

TEST(ContractCheck, PartialShapesGlobsAndNoMatch) {
  // Partial shape: both cuBLAS runs have n; only one has n=4096.
  EXPECT_EQ(check("gemm.cublas.bf16 n=4096 : time > 0").results.size(), 1u);
  EXPECT_EQ(check("gemm.cublas.bf16 : time > 0").results.size(), 2u);
  EXPECT_EQ(check("gemm.* : time > 0").results.size(), 3u);
  EXPECT_EQ(check("*.bf16 : time > 0").results.size(), 4u);
  EXPECT_EQ(check("* : time > 0").results.size(), 5u);
  // A contract that matches nothing fails, and says so.
  auto rep = check("gemm.cublas.fp8 : mfu >= 0.5");
  EXPECT_FALSE(rep.passed());
  EXPECT_TRUE(only_result(rep).run.empty());
  EXPECT_NE(only_result(rep).detail.find("matches no run"), std::string::npos);
  rep = check("gemm.cublas.bf16 m=123 : mfu >= 0.5");
  EXPECT_FALSE(rep.passed());
}

// Found by parser_fuzz_test: matching tried every split at every '*' (10 stars
// against 40 characters took 8 s, each star more about 4 times as long), and
// each shape key of a selector was compared with every other (40 000 keys: 5 s).
TEST(ContractCheck, GlobsAndLongSelectorsStayFast) {
  auto matches = [](const std::string& pattern, const std::string& id) {
    RunRecord r;
    r.id = id;
    return RunSelector{pattern, {}}.matches(r);
  };
  EXPECT_TRUE(matches("gemm.*.bf16", "gemm.cublas.bf16"));
  EXPECT_FALSE(matches("gemm.*.bf16", "gemm.cublas.bf16x"));
  EXPECT_TRUE(matches("a*b*c", "axxbyybc"));
  EXPECT_TRUE(matches("**x*", "x"));
  EXPECT_TRUE(matches("*", ""));
  EXPECT_FALSE(matches("a*", "ba"));
  std::string stars;
  for (int i = 0; i < 10; ++i) stars += "*a";
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(matches(stars + "*b", std::string(40, 'a')));
  EXPECT_TRUE(matches(stars, std::string(40, 'a')));
  std::string line = "gemm.*";
  for (int i = 0; i < 40'000; ++i) line += " k" + std::to_string(i) + "=1";
  EXPECT_EQ(parse_contracts(line + " : validation passed", "c.txt").at(0).subject.shape.size(), 40'000u);
  EXPECT_NE(parse_error(line + " k7=2 : validation passed").find("shape key 'k7' given twice"), std::string::npos);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 3.0);
}

// Found by a sweep: each subject scanned every run for its reference, copying
// and sorting shapes (100k runs: minutes). References are now indexed once; on a
// few thousand runs every subject must still find its reference, whatever the
// order of the shape's keys, and count every candidate.
TEST(ContractCheck, RatiosOnThousandsOfRuns) {
  ResultsDoc doc = contract_doc();
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    const int64_t m = 128 + i, k = 512;
    const int64_t nn = 256 + i % 7;
    RunRecord mma = test::sample_run("gemm", "mma_sync", "fp16", "fp16_tensor", gemm_cost({m, nn, k}, 2, 2),
                                     1e-3 * (1 + i % 3), {{"m", m}, {"n", nn}, {"k", k}});
    RunRecord cublas = test::sample_run("gemm", "cublas", "fp16", "fp16_tensor", gemm_cost({m, nn, k}, 2, 2),
                                        1e-3, {{"k", k}, {"n", nn}, {"m", m}});
    RunRecord sm = test::sample_run("memory", "softmax", "fp16", "fp16", copy_cost(m * 4096, 2), 1e-3,
                                    {{"rows", m}, {"cols", 4096}});
    RunRecord copy = test::sample_run("memory", "copy", "fp16", "fp16", copy_cost(m, 2), 1e-3, {{"n", m}});
    for (RunRecord* r : {&mma, &cublas, &sm, &copy}) {
      compute_derived(*r, doc.peaks.datasheet);
      doc.runs.push_back(*r);
    }
  }
  // Two runs of one shape, told apart by their NVTX range: an ambiguous reference.
  RunRecord twin = doc.runs[doc.runs.size() - 3];
  twin.nvtx = "step/2";
  doc.runs.push_back(twin);

  auto rep = check("gemm.mma_sync.fp16 : time <= 3 x gemm.cublas.fp16", doc);
  ASSERT_EQ(rep.results.size(), size_t(n));
  EXPECT_EQ(rep.failures(), 1);  // the last shape, whose reference is ambiguous
  for (int i = 0; i < n; ++i) {
    const ContractResult& r = rep.results[size_t(i)];
    const std::string ratio = "; ratio " + std::to_string(1 + i % 3);
    if (i == n - 1) {
      EXPECT_NE(r.detail.find("matches 2 runs that differ only by NVTX range"), std::string::npos) << r.detail;
    } else if (r.detail.size() < ratio.size() || r.detail.compare(r.detail.size() - ratio.size(), ratio.size(), ratio)) {
      ADD_FAILURE() << r.run << ": " << r.detail;
      break;
    }
  }
  // Its own reference: each cuBLAS run is the only one of its shape.
  rep = check("gemm.cublas.fp16 m=1000 : time <= 1 x gemm.cublas.fp16", doc);
  EXPECT_TRUE(only_result(rep).passed) << only_result(rep).detail;
  EXPECT_NE(only_result(rep).detail.find("ratio 1 (the run is its own reference)"), std::string::npos)
      << only_result(rep).detail;
  // Shape overrides select one run (m=200 has n=258), or none.
  rep = check("gemm.mma_sync.fp16 : time <= 3 x gemm.cublas.fp16 m=200 n=258", doc);
  EXPECT_EQ(rep.results.size(), size_t(n));
  EXPECT_TRUE(rep.passed());
  rep = check("gemm.mma_sync.fp16 : time <= 3 x gemm.cublas.fp16 m=200 n=256", doc);
  EXPECT_EQ(rep.failures(), n);
  EXPECT_NE(rep.results[0].detail.find("no reference run gemm.cublas.fp16 m=200 n=256 k=512"), std::string::npos)
      << rep.results[0].detail;
  // A reference of other parameters: the values given select it, or every run of it.
  rep = check("memory.softmax.fp16 : time <= 1 x memory.copy.fp16 n=300", doc);
  ASSERT_EQ(rep.results.size(), size_t(n));
  EXPECT_TRUE(rep.passed());
  EXPECT_NE(rep.results[0].detail.find("ratio 1"), std::string::npos) << rep.results[0].detail;
  rep = check("memory.softmax.fp16 : time <= 1 x memory.copy.fp16", doc);
  ASSERT_EQ(rep.results.size(), size_t(n));
  // Runs of different shapes: the hint is to give one (it suggested NVTX ranges).
  EXPECT_NE(rep.results[5].detail.find("the reference memory.copy.fp16 matches " + std::to_string(n) +
                                       " runs of different shapes: give the reference's shape after its id"),
            std::string::npos)
      << rep.results[5].detail;
}

TEST(ContractCheck, Reports) {
  const auto rep = check(
      "gemm.mma_sync.bf16 : tflops >= 0.6 x gemm.cublas.bf16\n"
      "gemm.cublas.fp8 : mfu >= 0.5\n"
      "memory.copy.fp32 : time < 1us\n");
  EXPECT_EQ(rep.failures(), 2);
  const std::string text = render_check_text(rep);
  EXPECT_NE(text.find("PASS  c.txt:1"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL  c.txt:2"), std::string::npos) << text;
  EXPECT_NE(text.find("1 passed, 2 failed); exit 1"), std::string::npos) << text;
  const std::string md = render_check_markdown(rep);
  EXPECT_NE(md.find("## flopscope check: contracts failed"), std::string::npos) << md;
  EXPECT_LT(md.find("**FAIL**"), md.find("| pass |"));  // failures first
  EXPECT_NE(md.find("| `gemm.mma_sync.bf16 : tflops >= 0.6 x gemm.cublas.bf16` |"), std::string::npos)
      << md;
  const std::string xml = render_check_junit(rep);
  EXPECT_EQ(test::xml_problem(xml), "") << xml;
  EXPECT_NE(xml.find("tests=\"3\" failures=\"2\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("&gt;= 0.6 x"), std::string::npos);
}

// A profile holds one kernel once per NVTX range: each is its own result and
// JUnit test case, named with its range (they were all named alike).
TEST(ContractCheck, RunsInDifferentRangesAreNamedApart) {
  ResultsDoc doc = contract_doc();
  RunRecord again = doc.runs[0];
  doc.runs[0].nvtx = "step0/forward";
  again.nvtx = "step1/forward";
  doc.runs.push_back(again);
  const auto rep = check(doc.runs[0].id + " : time > 0\n", doc);
  std::set<std::string> names;
  for (const auto& r : rep.results) names.insert(r.run);
  EXPECT_EQ(names.size(), rep.results.size());  // no two alike
  const std::string shape = " " + shape_string(doc.runs[0].shape);
  EXPECT_TRUE(names.count(doc.runs[0].id + shape + " [step0/forward]")) << *names.begin();
  EXPECT_TRUE(names.count(doc.runs[0].id + shape + " [step1/forward]"));
  const std::string xml = render_check_junit(rep);
  EXPECT_NE(xml.find("step1/forward"), std::string::npos) << xml;
}

// A failed contract shows the relation that holds, in the metric's unit, with
// digits enough that the value and its bound read apart (a failure read
// "time 0.0005552 <= 0.0004": the relation as if it held, in seconds).
TEST(ContractCheck, AFailedBoundReadsApartFromItsValue) {
  ResultsDoc doc = contract_doc();
  RunRecord& copy = doc.runs[1];
  ASSERT_EQ(copy.id, "memory.copy.fp32");
  copy.time_s.median = 400.04e-6;
  auto rep = check("memory.copy.fp32 : time <= 400us", doc);
  EXPECT_FALSE(only_result(rep).passed);
  EXPECT_EQ(only_result(rep).detail, "time 400.04 us > 400 us, expected <= 400 us");
  rep = check("memory.copy.fp32 : time <= 500us", doc);
  EXPECT_EQ(only_result(rep).detail, "time 400 us <= 500 us");
  copy.time_s.median = 30e-9;
  EXPECT_EQ(only_result(check("memory.copy.fp32 : time <= 20ns", doc)).detail, "time 30 ns > 20 ns, expected <= 20 ns");
  // In the bound's unit: 0.99999 us, not "1000 ns < 1 us".
  copy.time_s.median = 0.99999e-6;
  EXPECT_EQ(only_result(check("memory.copy.fp32 : time >= 1us", doc)).detail,
            "time 0.99999 us < 1 us, expected >= 1 us");
  // A median exactly at the bound holds it, in every unit: the bound was
  // scaled by an inexact 1e-6 or 1e-9, one ulp off the file's value, and
  // "time 10 us > 10 us" failed.
  for (const auto& [median, bound] : {std::pair{23232e-9, "23.232us"}, {36080e-9, "36080ns"}, {1e-5, "10us"},
                                      {2.5e-3, "2.5ms"}, {1.42e-3, "1.42 ms"}, {3e-5, "0.03 ms"}, {1.6e-6, "1.6us"},
                                      {1.6e-6, "1.6e0us"}, {1.6e-6, "0.0016e3 us"}}) {
    copy.time_s.median = median;
    const auto at = check(std::string("memory.copy.fp32 : time <= ") + bound, doc);
    EXPECT_TRUE(only_result(at).passed) << bound << ": " << only_result(at).detail;
  }
}

// A relative error is naturally a percentage: rel_err <= 1% is 0.01 (it was
// refused: "'%' fits a fraction").
TEST(ContractParse, ARelativeErrorMayBeAPercentage) {
  EXPECT_EQ(parse_error("gemm : rel_err <= 1%"), "(parsed)");
}
