// Static checks of the compiled ceiling kernels (cuobjdump -sass of the
// library, made at build time: tests/CMakeLists.txt): the timed loop of each kernel holds exactly the instructions the
// host counts FLOPs or bytes for (params.h), and nothing spills. This is what
// makes the measured ceilings trustworthy without a GPU to look at: the
// compiler has neither removed nor multiplied the work.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "ceilings/params.h"
#include "cuda_archs.h"

namespace p = flopscope::ceilings::params;

namespace {

struct Instr {
  uint64_t addr = 0;
  std::string op;    ///< opcode with modifiers, predicate stripped: "HMMA.16816.F32.BF16"
  std::string text;  ///< the whole instruction
};
struct Function {
  std::string arch;  ///< "sm_90a"
  std::string name;  ///< mangled
  std::vector<Instr> code;
};
struct Loop {
  std::vector<Instr> body;  ///< from the branch target to the backward branch
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Function> parse_sass(const std::string& text) {
  static const std::regex arch_re(R"(code for (sm_\w+))");
  static const std::regex fn_re(R"(Function : (\S+))");
  static const std::regex ins_re(R"(^\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;)");
  std::vector<Function> fns;
  std::string arch;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    std::smatch m;
    if (std::regex_search(line, m, arch_re)) {
      arch = m[1];
    } else if (std::regex_search(line, m, fn_re)) {
      fns.push_back(Function{arch, m[1], {}});
    } else if (!fns.empty() && std::regex_search(line, m, ins_re)) {
      Instr in;
      in.addr = std::stoull(m[1].str(), nullptr, 16);
      in.text = m[2];
      std::string t = in.text;
      if (!t.empty() && t[0] == '@') t = t.substr(t.find(' ') + 1);  // predicate
      in.op = t.substr(0, t.find(' '));
      fns.back().code.push_back(in);
    }
  }
  return fns;
}

/// Every backward branch closes a loop.
std::vector<Loop> loops(const Function& f) {
  static const std::regex bra_re(R"(\bBRA\b.*0x([0-9a-f]+))");
  std::vector<Loop> out;
  for (const Instr& in : f.code) {
    std::smatch m;
    if (in.op != "BRA" || !std::regex_search(in.text, m, bra_re)) continue;
    const uint64_t target = std::stoull(m[1].str(), nullptr, 16);
    if (target >= in.addr) continue;
    Loop l;
    for (const Instr& x : f.code)
      if (x.addr >= target && x.addr <= in.addr) l.body.push_back(x);
    out.push_back(l);
  }
  return out;
}

int count(const std::vector<Instr>& body, const std::function<bool(const std::string&)>& is) {
  int n = 0;
  for (const Instr& in : body) n += is(in.op) ? 1 : 0;
  return n;
}

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class Sass : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string path = FLOPSCOPE_CEILINGS_SASS;
    if (!path.empty()) fns_ = parse_sass(read_text(path));
  }
  void SetUp() override {
    // CI installs cuobjdump: no SASS fails rather than skip (these tests are labelled cpu).
    ASSERT_FALSE(fns_.empty()) << "no SASS to check: cuobjdump was not found at configure time "
                                  "(scripts/setup-deps.sh installs it in .pytools) or it read no kernels; file '"
                               << FLOPSCOPE_CEILINGS_SASS << "'";
  }

  /// The kernels whose mangled name contains `key`, one per architecture.
  std::vector<const Function*> kernels(const std::string& key) const {
    std::vector<const Function*> out;
    for (const Function& f : fns_)
      if (has(f.name, key)) out.push_back(&f);
    return out;
  }

  /// Each compiled copy of the kernel has a loop holding exactly `n` matching
  /// instructions and at most `other` others (loop bookkeeping), and no spills.
  void expect_loop(const std::string& key, const std::function<bool(const std::string&)>& is, int n, int other,
                   const std::string& what, bool sm90a_only = false) {
    const auto ks = kernels(key);
    ASSERT_FALSE(ks.empty()) << "no kernel named *" << key << "* in the library";
    int checked = 0;
    for (const Function* f : ks) {
      SCOPED_TRACE(f->arch + " " + f->name);
      EXPECT_EQ(count(f->code, [](const std::string& op) { return starts(op, "LDL") || starts(op, "STL"); }), 0)
          << "local-memory traffic (spills) in " << what;
      if (sm90a_only && f->arch != "sm_90a") {
        EXPECT_EQ(count(f->code, is), 0) << "the non-sm_90a copy should be empty";
        continue;
      }
      bool found = false;
      for (const Loop& l : loops(*f)) {
        const int k = count(l.body, is);
        if (k == 0) continue;
        if (k == n && int(l.body.size()) - k <= other) found = true;
      }
      EXPECT_TRUE(found) << "no loop with exactly " << n << " " << what << " and at most " << other
                         << " other instructions";
      ++checked;
    }
    EXPECT_GT(checked, 0) << what << ": no architecture compiled it";
  }

  static std::vector<Function> fns_;
};
std::vector<Function> Sass::fns_;

constexpr int kBookkeeping = 8;  // counter, compare, branch, a NOP or two

TEST_F(Sass, FfmaLoop) {
  expect_loop("10fma_kernelIf", [](const std::string& op) { return op == "FFMA" || starts(op, "FFMA."); },
              p::kCoreChains * p::kCoreUnroll, kBookkeeping, "FFMA");
}

TEST_F(Sass, Fp16Hfma2Loop) {
  // ptxas issues half of them as HFMA2.MMA (the same packed FMA on another pipe).
  expect_loop("10fma_kernelI7__half2",
              [](const std::string& op) { return starts(op, "HFMA2") && !has(op, "BF16"); },
              p::kCoreChains * p::kCoreUnroll, kBookkeeping, "HFMA2");
}

TEST_F(Sass, Bf16Hfma2Loop) {
  expect_loop("10fma_kernelI14__nv_bfloat162",
              [](const std::string& op) { return starts(op, "HFMA2") && has(op, "BF16"); },
              p::kCoreChains * p::kCoreUnroll, kBookkeeping, "HFMA2.BF16");
}

TEST_F(Sass, DfmaLoop) {
  expect_loop("10fma_kernelId", [](const std::string& op) { return starts(op, "DFMA"); },
              p::kFp64Chains * p::kFp64Unroll, kBookkeeping, "DFMA");
}

TEST_F(Sass, MmaSyncLoops) {
  const int n = p::kMmaChains * p::kMmaUnroll;
  expect_loop("10mma_kernelILi0E", [](const std::string& op) { return op == "HMMA.16816.F32"; }, n, kBookkeeping,
              "HMMA.16816.F32 (fp16)");
  expect_loop("10mma_kernelILi1E", [](const std::string& op) { return op == "HMMA.16816.F32.BF16"; }, n,
              kBookkeeping, "HMMA.16816.F32.BF16");
  expect_loop("10mma_kernelILi2E", [](const std::string& op) { return op == "HMMA.1688.F32.TF32"; }, n,
              kBookkeeping, "HMMA.1688.F32.TF32");
}

TEST_F(Sass, WgmmaLoops) {
  bool any90a = false;
  for (const Function* f : kernels("18wgmma_bench_kernel")) any90a |= f->arch == "sm_90a";
  // Skipped only where the build was configured without 90a; the default has it.
  if (!flopscope::test::configured_sm90a(FLOPSCOPE_CUDA_ARCHS)) GTEST_SKIP() << "CMAKE_CUDA_ARCHITECTURES (" << FLOPSCOPE_CUDA_ARCHS << ") lacks 90a";
  ASSERT_TRUE(any90a) << "90a is configured (" << FLOPSCOPE_CUDA_ARCHS << ") but no sm_90a wgmma_bench_kernel";
  // Between the groups: the arrive, the wait, descriptor arithmetic and the
  // NOPs ptxas pads HGMMA issue with.
  const int other = 40;
  expect_loop("18wgmma_bench_kernelILi1E", [](const std::string& op) { return op == "HGMMA.64x256x16.F32.BF16"; },
              p::kWgmmaPerTrip, other, "HGMMA.64x256x16.F32.BF16", true);
  expect_loop("18wgmma_bench_kernelILi0E", [](const std::string& op) { return op == "HGMMA.64x256x16.F32"; },
              p::kWgmmaPerTrip, other, "HGMMA.64x256x16.F32 (fp16)", true);
  expect_loop("18wgmma_bench_kernelILi2E", [](const std::string& op) { return op == "HGMMA.64x256x8.F32.TF32"; },
              p::kWgmmaPerTrip, other, "HGMMA.64x256x8.F32.TF32", true);
}

TEST_F(Sass, MemoryLoops) {
  auto ldg = [](const std::string& op) { return starts(op, "LDG.E.128"); };
  auto stg = [](const std::string& op) { return starts(op, "STG.E.128"); };
  const int f = p::kMemInFlight;
  const int other = 48;  // 64-bit address arithmetic and the XOR fold
  expect_loop("10mem_kernelILi0E", ldg, f, other, "LDG.E.128 (DRAM read)");
  expect_loop("10mem_kernelILi2E", stg, f, other, "STG.E.128 (DRAM write)");
  expect_loop("10mem_kernelILi3E", ldg, f, other, "LDG.E.128 (copy)");
  expect_loop("10mem_kernelILi3E", stg, f, other, "STG.E.128 (copy)");
  // L2: loads cached in L2 only (ld.global.cg).
  expect_loop("10mem_kernelILi1E", [](const std::string& op) { return starts(op, "LDG.E.128") && has(op, "STRONG.GPU"); },
              f, other, "LDG.E.128.STRONG.GPU (L2, .cg)");
  expect_loop("11smem_kernel", [](const std::string& op) { return starts(op, "LDS.128"); },
              p::kSmemRows * p::kSmemUnroll, 2 * p::kSmemRows * p::kSmemUnroll + kBookkeeping, "LDS.128");
}

}  // namespace
