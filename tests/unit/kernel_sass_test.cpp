// Static checks of the compiled kernels, read from the object files with
// cuobjdump (installed by scripts/setup-deps.sh into .pytools/bin): the
// tensor-core kernels really issue HMMA (HGMMA and TMA loads for sm_90a's
// gemm.wgmma, HMMA and TMA loads for gemm.mma_sync_tma), and the hot kernels
// spill nothing.
// No GPU needed; CI runs these.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "cuda_archs.h"
#include "gemm/mma_sync_layout.h"
#include "gemm/wgmma_tile.h"
#include <vector>

namespace {

std::string cuobjdump() {
  const std::string p = std::string(FLOPSCOPE_SOURCE_DIR) + "/.pytools/bin/cuobjdump";
  return std::filesystem::exists(p) ? p : "";
}

std::string object_for(const std::string& suffix) {
  std::stringstream all(FLOPSCOPE_KERNEL_OBJECTS);
  std::string path;
  while (std::getline(all, path, '|'))
    if (path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
      return path;
  return "";
}

std::string run(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  return out;
}

struct Function {
  std::string arch, name, sass, resources;
};

/// Every function's SASS and resource line in an object, per architecture.
std::vector<Function> functions_in(const std::string& object) {
  std::vector<Function> fs;
  std::stringstream sass(run(cuobjdump() + " -sass " + object));
  std::string line, arch;
  while (std::getline(sass, line)) {
    if (line.find("arch = ") != std::string::npos) arch = line.substr(line.find("arch = ") + 7);
    const size_t f = line.find("Function : ");
    if (f != std::string::npos) {
      fs.push_back({arch, line.substr(f + 11), "", ""});
    } else if (!fs.empty()) {
      fs.back().sass += line + "\n";
    }
  }
  // -res-usage prints " Function NAME:" then "  REG:.. STACK:.. LOCAL:.." under each arch.
  std::map<std::string, std::string> res_by_key;
  std::stringstream res(run(cuobjdump() + " -res-usage " + object));
  std::string name;
  arch.clear();
  while (std::getline(res, line)) {
    if (line.find("arch = ") != std::string::npos) arch = line.substr(line.find("arch = ") + 7);
    const size_t f = line.find("Function ");
    if (f != std::string::npos && line.back() == ':') {
      name = line.substr(f + 9, line.size() - f - 10);
    } else if (line.find("REG:") != std::string::npos) {
      res_by_key[arch + "|" + name] = line + " ";
    }
  }
  for (Function& fn : fs) fn.resources = res_by_key[fn.arch + "|" + fn.name];
  return fs;
}

std::vector<std::string> configured_archs() { return flopscope::test::configured_archs(FLOPSCOPE_CUDA_ARCHS); }

struct Check {
  const char* object;    // object-file suffix
  const char* function;  // substring of the mangled kernel name
  const char* must_contain;  // SASS opcode every such kernel issues, or nullptr
  bool no_spills;
  // The one SASS architecture whose functions are checked ("sm_90a": code that
  // has a body only there), or nullptr: every configured architecture.
  const char* arch = nullptr;
};

// The tensor-core and hot kernels. Families add their rows here.
const Check kChecks[] = {
    {"gemm/mma_sync.cu.o", "gemm_mma_sync_kernel", "HMMA", true},
    {"gemm/mma_sync_wide.cu.o", "gemm_mma_sync_kernel", "HMMA", true},
    {"gemm/mma_sync_deep.cu.o", "gemm_mma_sync_kernel", "HMMA", true},
    {"gemm/reg_tiled.cu.o", "gemm_reg_tiled_kernel", "FFMA", true},
    // wgmma (HGMMA.64x256x16, B transposed) fed by TMA tensor loads (UTMALDG.2D).
    {"gemm/wgmma.cu.o", "gemm_wgmma_kernel", "HGMMA.64x256x16.F32", true, "sm_90a"},
    {"gemm/wgmma.cu.o", "gemm_wgmma_kernel", "UTMALDG.2D", true, "sm_90a"},
    // The FFN's GEMMs on wgmma, with its GELU and SwiGLU epilogues.
    {"ffn/fused_wgmma.cu.o", "gemm_wgmma_kernel", "HGMMA.64x256x16.F32", true, "sm_90a"},
    // mma.sync on wgmma's TMA ring: HMMA fed by ldmatrix from TMA-loaded tiles.
    {"gemm/mma_sync_tma.cu.o", "gemm_mma_sync_tma_kernel", "HMMA.16816.F32", true, "sm_90a"},
    {"gemm/mma_sync_tma.cu.o", "gemm_mma_sync_tma_kernel", "UTMALDG.2D", true, "sm_90a"},
    {"attention/flash_mma.cu.o", "flash_mma_kernel", "HMMA", true},
    {"attention/flash_simt.cu.o", "flash_simt_kernel", "FFMA", true},
    {"ffn/fused.cu.o", "gemm_mma_sync_kernel", "HMMA", true},
    {"memory/softmax.cu.o", "softmax_rows_kernel", nullptr, true},
    {"memory/copy_triad.cu.o", "stream_kernel", nullptr, true},
};

}  // namespace

TEST(KernelSass, ToolIsInstalled) {
  ASSERT_FALSE(cuobjdump().empty())
      << "cuobjdump missing from .pytools/bin: run scripts/setup-deps.sh";
}

TEST(KernelSass, TensorCoreAndSpillChecks) {
  // CI installs cuobjdump: without it this fails rather than skip.
  ASSERT_FALSE(cuobjdump().empty()) << "cuobjdump missing from .pytools/bin: run scripts/setup-deps.sh";
  const std::vector<std::string> archs = configured_archs();
  for (const Check& c : kChecks) {
    SCOPED_TRACE(std::string(c.object) + (c.arch ? std::string(" ") + c.arch : std::string()));
    // An arch-specific row is skipped only where the build leaves that arch out.
    if (c.arch && !archs.empty() && std::find(archs.begin(), archs.end(), c.arch) == archs.end()) continue;
    const std::string obj = object_for(c.object);
    ASSERT_FALSE(obj.empty()) << "no object file ending in " << c.object;
    std::map<std::string, int> per_arch;
    for (const Function& f : functions_in(obj)) {
      if (f.name.find(c.function) == std::string::npos) continue;
      if (c.arch && f.arch != c.arch) continue;
      SCOPED_TRACE(f.arch + " " + f.name);
      ++per_arch[f.arch];
      if (c.must_contain) {
        EXPECT_NE(f.sass.find(c.must_contain), std::string::npos) << "no " << c.must_contain;
      }
      if (c.no_spills) {
        EXPECT_NE(f.resources.find("STACK:0 "), std::string::npos) << f.resources;
        EXPECT_NE(f.resources.find("LOCAL:0 "), std::string::npos) << f.resources;
        EXPECT_EQ(f.sass.find("STL"), std::string::npos) << "spill store";
        EXPECT_EQ(f.sass.find("LDL"), std::string::npos) << "spill load";
      }
    }
    // Each configured architecture (sm_80, sm_90a), or the row's own, carries the kernels.
    EXPECT_GE(per_arch.size(), 1u) << "no " << c.function << " in " << obj;
    if (c.arch) {
      EXPECT_GE(per_arch[c.arch], 1) << "no " << c.function << " for " << c.arch;
    } else {
      for (const std::string& a : archs) EXPECT_GE(per_arch[a], 1) << "no " << c.function << " for " << a;
    }
  }
}

// gemm.mma_sync (and the FFN's copy of it), gemm.mma_sync_wide and _deep are tiled
// for kMinBlocksPerSm blocks per SM: their registers, allocated per warp in
// units of 256 (8 per thread), must leave that many blocks room in the
// 64K-register file. The launch bound asks the compiler for it; this checks
// what it produced.
template <class Tile>
int check_mma_sync_registers(const char* object) {
  namespace ml = flopscope::kernels::gemm::mma_layout;
  // Both element sizes share the launch shape; the 2-byte tile stands for both.
  using Tile4 = ml::MmaTile<4, Tile::kWarpsN, Tile::kBK * Tile::kBytes>;
  static_assert(Tile::kThreads == Tile4::kThreads && Tile::kMinBlocksPerSm == Tile4::kMinBlocksPerSm);
  const std::string obj = object_for(object);
  EXPECT_FALSE(obj.empty()) << "no object file ending in " << object;
  if (obj.empty()) return 0;
  int checked = 0;
  for (const Function& f : functions_in(obj)) {
    if (f.name.find("gemm_mma_sync_kernel") == std::string::npos) continue;
    SCOPED_TRACE(f.arch + " " + f.name + ": " + f.resources);
    const size_t at = f.resources.find("REG:");
    EXPECT_NE(at, std::string::npos);
    if (at == std::string::npos) continue;
    const int regs = std::atoi(f.resources.c_str() + at + 4);
    const int per_warp = (regs + 7) / 8 * 8 * 32;
    EXPECT_LE(per_warp * (Tile::kThreads / 32) * Tile::kMinBlocksPerSm, 65536);
    ++checked;
  }
  return checked;
}

TEST(KernelSass, MmaSyncRegistersFitItsBlocksPerSm) {
  ASSERT_FALSE(cuobjdump().empty()) << "cuobjdump missing from .pytools/bin: run scripts/setup-deps.sh";
  using Square = flopscope::kernels::gemm::mma_layout::MmaTile<2, 2>;
  using Wide = flopscope::kernels::gemm::mma_layout::MmaTile<2, 4>;
  // Each object's own count: a sum let one object's kernels cover another that matched none.
  EXPECT_GE(check_mma_sync_registers<Square>("gemm/mma_sync.cu.o"), 3) << "gemm.mma_sync's fp16, bf16 and tf32 kernels";
  EXPECT_GE(check_mma_sync_registers<Square>("ffn/fused.cu.o"), 1) << "the fused FFN's mma.sync GEMMs";
  EXPECT_GE(check_mma_sync_registers<Square>("ffn/unfused.cu.o"), 1) << "the unfused FFN's mma.sync GEMMs";
  EXPECT_GE(check_mma_sync_registers<Wide>("gemm/mma_sync_wide.cu.o"), 3)
      << "gemm.mma_sync_wide's fp16, bf16 and tf32 kernels";
  using Deep = flopscope::kernels::gemm::mma_layout::MmaTile<2, 4, 128>;
  EXPECT_GE(check_mma_sync_registers<Deep>("gemm/mma_sync_deep.cu.o"), 3)
      << "gemm.mma_sync_deep's fp16, bf16 and tf32 kernels";
}

namespace {

/// Whether this build compiles sm_90a code (no configured list: the default, which does).
bool builds_sm90a() {
  const std::vector<std::string> archs = configured_archs();
  return archs.empty() || std::find(archs.begin(), archs.end(), "sm_90a") != archs.end();
}

/// The sm_90a functions in `object` (an object-file suffix) whose name holds `function`.
std::vector<Function> sm90a_functions(const char* object, const char* function) {
  const std::string obj = object_for(object);
  EXPECT_FALSE(obj.empty()) << "no object file ending in " << object;
  std::vector<Function> fs;
  if (obj.empty()) return fs;
  for (Function& f : functions_in(obj))
    if (f.name.find(function) != std::string::npos && f.arch == "sm_90a") fs.push_back(std::move(f));
  return fs;
}

}  // namespace

// gemm.wgmma's setmaxnreg.inc spins until the producer's released registers
// cover the consumers' increase: the kernel must be compiled to at least
// kLaunchRegs per thread, or it would hang at its start (no mbarrier guard there).
// gemm.mma_sync_tma splits its registers the same way.
TEST(KernelSass, WgmmaLaunchRegistersCoverSetmaxnreg) {
  ASSERT_FALSE(cuobjdump().empty()) << "cuobjdump missing from .pytools/bin: run scripts/setup-deps.sh";
  if (!builds_sm90a()) GTEST_SKIP() << "this build leaves sm_90a out";
  struct Ring {
    const char* object;
    const char* function;
    int kernels;
  };
  // gemm.wgmma and gemm.mma_sync_tma: one kernel per 16-bit type; the FFN on
  // wgmma: per type, the GELU and SwiGLU epilogues of its first GEMM and the
  // store of its second.
  for (const Ring& r : {Ring{"gemm/wgmma.cu.o", "gemm_wgmma_kernel", 2},
                        Ring{"ffn/fused_wgmma.cu.o", "gemm_wgmma_kernel", 6},
                        Ring{"gemm/mma_sync_tma.cu.o", "gemm_mma_sync_tma_kernel", 2}}) {
    int checked = 0;
    for (const Function& f : sm90a_functions(r.object, r.function)) {
      SCOPED_TRACE(f.name + ": " + f.resources);
      const size_t at = f.resources.find("REG:");
      ASSERT_NE(at, std::string::npos);
      EXPECT_GE(std::atoi(f.resources.c_str() + at + 4), flopscope::kernels::gemm::wgmma_tile::kLaunchRegs);
      ++checked;
    }
    EXPECT_EQ(checked, r.kernels) << r.object;
  }
}

namespace {

/// Lines of `sass` whose opcode starts with `opcode` (e.g. "BAR.SYNC", "HMMA").
int count_opcode(const std::string& sass, const std::string& opcode) {
  int n = 0;
  std::stringstream lines(sass);
  std::string line;
  while (std::getline(lines, line)) {
    // "        /*0f80*/   OPCODE ..." or with a predicate "@P0 OPCODE ...".
    std::stringstream words(line);
    std::string w;
    while (words >> w) {
      if (w.rfind("/*", 0) == 0 || w[0] == '@') continue;
      n += w.rfind(opcode, 0) == 0;
      break;
    }
  }
  return n;
}

}  // namespace

// gemm.mma_sync_tma's point is a main loop without a block-wide barrier: its one
// BAR.SYNC is the ring's initialization (init_ring's __syncthreads); stages are
// handed over on mbarriers. Its k-tile is unrolled whole: 4 k-steps of 32 HMMA
// fed by 8 ldmatrix.x4 each (gemm.mma_sync's 4 MMAs per ldmatrix; nvcc 13.0
// emits one copy of it: 128 HMMA, 16 + 16 LDSM).
TEST(KernelSass, MmaSyncTmaLoopHasNoBlockBarrier) {
  ASSERT_FALSE(cuobjdump().empty()) << "cuobjdump missing from .pytools/bin: run scripts/setup-deps.sh";
  if (!builds_sm90a()) GTEST_SKIP() << "this build leaves sm_90a out";
  int checked = 0;
  for (const Function& f : sm90a_functions("gemm/mma_sync_tma.cu.o", "gemm_mma_sync_tma_kernel")) {
    SCOPED_TRACE(f.name);
    EXPECT_EQ(count_opcode(f.sass, "BAR.SYNC"), 1);
    // Whole k-tiles of MMAs (a compiler may peel or duplicate the loop), 4 per ldmatrix.
    const int hmma = count_opcode(f.sass, "HMMA.16816.F32");
    EXPECT_GT(hmma, 0);
    EXPECT_EQ(hmma % (4 * 32), 0) << hmma;
    EXPECT_EQ(count_opcode(f.sass, "LDSM.16.M88.4") * 8, hmma);   // A
    EXPECT_EQ(count_opcode(f.sass, "LDSM.16.MT88.4") * 8, hmma);  // B, transposed
    ++checked;
  }
  EXPECT_EQ(checked, 2) << "the fp16 and bf16 kernels";
}

namespace {

/// Instructions per HMMA in the main (k) loop of a kernel's SASS: the span from
/// a backward branch's target to the branch that holds the most HMMA and no
/// global store (so not a persistent kernel's tile loop with its epilogue).
/// 0 when no loop holds an HMMA.
double k_loop_instructions_per_hmma(const std::string& sass) {
  struct Instr {
    long addr;
    std::string text;
  };
  std::vector<Instr> ins;
  std::stringstream lines(sass);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t open = line.find("/*"), close = line.find("*/");
    const size_t semi = line.find(';');
    if (open == std::string::npos || close == std::string::npos || semi == std::string::npos || semi < close) continue;
    const std::string addr = line.substr(open + 2, close - open - 2);
    if (addr.empty() || !std::all_of(addr.begin(), addr.end(), [](char c) { return std::isxdigit(c) != 0; }))
      continue;
    ins.push_back({std::stol(addr, nullptr, 16), line.substr(close + 2, semi - close - 2)});
  }
  double best = 0;
  int best_hmma = 0;
  for (size_t i = 0; i < ins.size(); ++i) {
    const size_t bra = ins[i].text.find("BRA 0x");
    if (bra == std::string::npos) continue;
    const long target = std::stol(ins[i].text.substr(bra + 6), nullptr, 16);
    if (target >= ins[i].addr) continue;
    int count = 0, hmma = 0, stg = 0;
    for (const Instr& x : ins) {
      if (x.addr < target || x.addr > ins[i].addr) continue;
      ++count;
      hmma += count_opcode(x.text, "HMMA");
      stg += count_opcode(x.text, "STG");
    }
    if (stg == 0 && hmma > best_hmma) best_hmma = hmma, best = double(count) / hmma;
  }
  return best;
}

/// k_loop_instructions_per_hmma of the FP16 and BF16 `function` kernels for
/// sm_90a in `object`.
std::vector<double> k_loop_ratios_16bit(const char* object, const char* function) {
  std::vector<double> r;
  for (const Function& f : sm90a_functions(object, function))
    if (f.name.find("__half") != std::string::npos || f.name.find("__nv_bfloat16") != std::string::npos)
      r.push_back(k_loop_instructions_per_hmma(f.sass));
  return r;
}

}  // namespace

// What gemm.mma_sync_tma removes from gemm.mma_sync_wide's k-loop, by a static
// count (not a measurement): the per-thread cp.async copies, their addresses and
// bounds, and the barrier. nvcc 13.0, sm_90a, FP16/BF16: 1.74 instructions per
// HMMA (waits included) against 3.25 for _wide, 2.91 for _deep and 3.77 for
// gemm.mma_sync. On the H200 the wide block issued 1.00 instructions a cycle per
// SM (ncu): its loop, not the tensor pipe, set its pace (docs/PERFORMANCE.md).
TEST(KernelSass, MmaSyncTmaLoopIssuesFewerInstructionsPerHmma) {
  ASSERT_FALSE(cuobjdump().empty()) << "cuobjdump missing from .pytools/bin: run scripts/setup-deps.sh";
  if (!builds_sm90a()) GTEST_SKIP() << "this build leaves sm_90a out";
  const std::vector<double> tma = k_loop_ratios_16bit("gemm/mma_sync_tma.cu.o", "gemm_mma_sync_tma_kernel");
  const std::vector<double> wide = k_loop_ratios_16bit("gemm/mma_sync_wide.cu.o", "gemm_mma_sync_kernel");
  ASSERT_EQ(tma.size(), 2u) << "gemm.mma_sync_tma's fp16 and bf16 kernels";
  ASSERT_EQ(wide.size(), 2u) << "gemm.mma_sync_wide's fp16 and bf16 kernels";
  const double wide_best = std::min(wide[0], wide[1]);
  EXPECT_GT(wide_best, 1.0) << "the wide kernel's loop was not found";
  for (double r : tma) {
    SCOPED_TRACE(::testing::Message() << "mma_sync_tma " << r << " instructions per HMMA, _wide " << wide_best);
    EXPECT_GT(r, 1.0);  // an HMMA and more: the loop was found
    EXPECT_LE(r, 2.0);
    EXPECT_LT(r, 0.7 * wide_best);
  }
}
