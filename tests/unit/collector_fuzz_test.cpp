// Mutation fuzzing of the collector's parsers of files and settings: raw
// counter files (the container and its metadata; not their evaluation, which
// hands the payload to CUPTI in a child process), the injection library's
// status text and its environment. Each mutant loads, or is refused with one
// bad_input line; never another exception, a crash or a slow parse.
#include <gtest/gtest.h>

#include <iterator>
#include <map>

#include "activity_profile.h"
#include "flopscope/counter_file.h"
#include "inject_config.h"
#include "unit/counter_file_sample.h"
#include "unit/fuzz_mutator.h"

using namespace flopscope;
using test::Mutator;
using test::Oracle;
using test::Section;
using test::framed;
using test::sections_of;

namespace {

// ---- raw counter files ----------------------------------------------------------

// The container's own mutants: sections dropped, repeated, reordered, renamed
// or lying about their length; another version or total length.
std::string reframed(Mutator& m, std::vector<Section> s) {
  switch (m.below(7)) {
    case 0: s.erase(s.begin() + long(m.below(s.size()))); break;
    case 1: s.push_back(s[m.below(s.size())]); break;
    case 2: std::swap(s[m.below(s.size())], s[m.below(s.size())]); break;
    case 3: s[m.below(s.size())].tag = m.chance(50) ? "XTRA" : std::string("\n\0\xff ", 4); break;
    case 4: {
      Section& one = s[m.below(s.size())];
      const uint64_t lies[] = {0, one.payload.size() + 1, one.payload.size() - 1, uint64_t(1) << 40, UINT64_MAX,
                               UINT64_MAX - 11};
      one.claimed = lies[m.below(std::size(lies))];
      break;
    }
    case 5: return framed(s, m.chance(50) ? 0 : 1u << (m.below(32)));
    default: {
      const uint64_t size = framed(s).size();
      const uint64_t totals[] = {0, 27, size - 1, size + 1, UINT64_MAX};
      return framed(s, kCounterFileVersion, totals[m.below(std::size(totals))]);
    }
  }
  return framed(s);
}

// What reads a counter file after parse_counter_file, short of CUPTI: the
// writer (a round trip gives the same bytes) and the merge of several files.
void use_counter_file(const CounterFile& f, Oracle& oracle, const std::string& input, const std::string& label) {
  const std::string out = serialize_counter_file(f);
  try {
    if (serialize_counter_file(parse_counter_file(out, "x.fscounters")) != out)
      oracle.fail(label, input, "no round trip");
  } catch (const Error& e) {
    oracle.fail(label, input, std::string("written back, it does not load: ") + e.what());
  }
  // Both copies are the input: a merge's refusal (counts that would wrap past
  // 2^64 once doubled) names it as every other refusal does.
  merge_counter_files({f, f}, {"x.fscounters", "x.fscounters"});
}

TEST(CollectorFuzz, CounterFiles) {
  CounterFile recorded = test::sample_counter_file();
  recorded.ranges[1].run = {"gemm.naive.fp32", "fp32", {{"m", 256}, {"n", 128}, {"k", 64}}};
  recorded.unsaved_ranges = 2;
  const std::string file = serialize_counter_file(recorded);
  const std::vector<Section> sections = sections_of(file);
  ASSERT_EQ(framed(sections), file);  // the test's framing is the library's
  ASSERT_EQ(sections.at(0).tag, "META");
  const std::string meta = sections[0].payload;
  std::vector<std::string> tokens = test::json_tokens();
  for (const char* t : {"FLOPSCTR", "META", "CONF", "CDAT", "\x01\x00\x00\x00"}) tokens.push_back(t);
  Mutator m(2001, tokens);
  Oracle oracle("counter file", "x.fscounters: ");
  auto check = [&](const std::string& bytes, const std::string& label) {
    oracle.check(bytes, [&] { use_counter_file(parse_counter_file(bytes, "x.fscounters"), oracle, bytes, label); },
                 label);
  };
  oracle.seed(file);
  for (size_t cut = 0; cut < 64; ++cut) check(file.substr(0, cut), "prefix " + std::to_string(cut));
  for (int i = 0; i < 300; ++i) check(m.bytes(file), "raw mutant " + std::to_string(i));  // the CRC's job
  for (int i = 0; i < 1500; ++i) check(reframed(m, sections), "framing mutant " + std::to_string(i));
  for (int i = 0; i < 4000; ++i) {
    std::vector<Section> s = sections;
    s[0].payload = i % 2 == 0 ? m.tree(meta) : m.bytes(meta);
    check(framed(s), "metadata mutant " + std::to_string(i));
  }
  // Not vacuous: hundreds of mutants load (447 since a quantity must sum only
  // recorded metrics; 500+ before).
  EXPECT_GT(oracle.accepted(), 300);
}

// ---- the injection library's status text and environment --------------------------

TEST(CollectorFuzz, InjectStatus) {
  // As the injection library writes it, every field set.
  const std::string seed =
      "flopscope-inject-status 1\npid 4242\nexe /usr/bin/python3\nstate signal 15\ncupti_result 39\n"
      "cupti_call cuptiSubscribe_v2\ncupti_detail another profiler\n"
      "cupti_library /usr/local/cuda/lib64/libcupti.so.13\ncupti_version 130001\ncounters_note counters off: MIG\n"
      "counters_fatal 1\ncounters_launches 12\nlaunches 14\nlaunches_captured 2\nkernels 10\nkernels_kept 9\nkernels_filtered 1\n"
      "kernels_unattributed 0\nkernels_incomplete 1\nkernels_timed_by_counters 3\ncopies_incomplete 0\n"
      "graph_kernels 2\nmemcpys 3\nmemsets 1\ndropped_records 0\nbuffers_cut_short 1\n"
      "nvtx_ranges 5\nnvtx_unmatched 1\n";
  ASSERT_EQ(cupti::to_text(cupti::parse_inject_status(seed, "x.status")), seed);
  std::vector<std::string> tokens = test::json_tokens();
  for (const char* t : {"pid ", "exe ", "state ", "cupti_result ", "cupti_version ", "counters_fatal ", "kernels ",
                        "\nlaunches ", "flopscope-inject-status 1\n", "-1", "+1", " 1", "4294967296", "0x10", "1e3"})
    tokens.push_back(t);
  Mutator m(2002, tokens);
  Oracle oracle("inject status", "x.status");
  test::check_prefixes(oracle, seed, [](const std::string& text) { cupti::parse_inject_status(text, "x.status"); });
  test::check_mutants(oracle, m, {seed}, 20000, [&](const std::string& s, int) { return m.bytes(s); },
                      [&](const std::string& text, const std::string& label) {
                        const std::string out = cupti::to_text(cupti::parse_inject_status(text, "x.status"));
                        if (cupti::to_text(cupti::parse_inject_status(out, "x.status")) != out)
                          oracle.fail(label, text, "no round trip");
                      });
  EXPECT_GT(oracle.accepted(), 1000);
}

TEST(CollectorFuzz, InjectEnvironment) {
  // As inject_environment writes them, every variable set.
  const std::map<std::string, std::string> seed = {
      {cupti::kEnvProfileDir, "/tmp/flopscope-profile"}, {cupti::kEnvKernelRegex, "gemm|attn"},
      {cupti::kEnvLaunchSkip, "3"}, {cupti::kEnvLaunchCount, "10"},
      {cupti::kEnvNvtxInclude, "step/forward\noptimizer"}, {cupti::kEnvPeriodMs, "250"},
      {cupti::kEnvSet, "roofline"}, {cupti::kEnvTensor, "bf16,fp16"}, {cupti::kEnvCounters, "1"}};
  std::vector<std::string> tokens = test::json_tokens();
  for (const char* t : {"-1", "+1", " 1", "1 ", "0x10", "1e3", "4294967296", "2147483648", ",", "|", "(", "*"})
    tokens.push_back(t);
  Mutator m(2003, tokens);
  Oracle oracle("inject environment", "");
  for (int i = 0; i < 20000; ++i) {
    std::map<std::string, std::string> env = seed;
    auto it = std::next(env.begin(), long(m.below(env.size())));
    if (m.chance(10)) env.erase(it);
    else it->second = m.bytes(it->second);
    std::string shown;
    for (const auto& [k, v] : env) shown += k + "=" + v + "\n";
    oracle.check(shown, [&] {
      const cupti::InjectConfig got = cupti::inject_config_from_env([&](const char* name) -> const char* {
        auto found = env.find(name);
        return found == env.end() ? nullptr : found->second.c_str();
      });
      cupti::LaunchFilter filter(got.filter);  // what the library does with it next
    }, "mutant " + std::to_string(i));
  }
  EXPECT_GT(oracle.accepted(), 1000);
}

// Nested loops in a --kernel-regex backtracked exponentially in libstdc++'s
// default executor: libFuzzer's "\xff????/?...*****...+mm|att2" in the
// environment, or "i******y", took over 20 s on one 35-character name. Each
// name now matches in polynomial time; a back-reference, which needs
// backtracking, is refused.
TEST(CollectorFuzz, KernelRegexStaysFast) {
  Oracle oracle("kernel regex", "--kernel-regex");
  for (const char* re : {"i******y", "(.*)*y", "((((i*)*)*)*)*y"})
    oracle.check(re, [&] {
      cupti::LaunchFilter filter({re, 0, -1, {}});
      EXPECT_FALSE(filter.name_ok("_Z11gemm_kernelILi128EEvPKfS1_Pfiii")) << re;
    }, re);
  EXPECT_FALSE(oracle.check("(a)\\1", [] { cupti::LaunchFilter filter({"(a)\\1", 0, -1, {}}); }, "back-reference"));
}

}  // namespace
