// Hardware counters on a real GPU (label gpu): the reference kernels under a
// Session against their exact FLOP and byte counts, batching without drops,
// and the raw counter file evaluated again on the host, also as
// `flopscope bench --counters` writes it and `flopscope report` reads it.
// Skipped, with the reason, where there is no GPU or counters are not permitted.
#include <gtest/gtest.h>

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "cli/run_cli.h"
#include "flopscope/counter_file.h"
#include "flopscope/device.h"
#include "flopscope/error.h"
#include "flopscope/metric_plan.h"
#include "flopscope/session.h"
#include "gpu/half_fma.h"
#include "gpu/require_gpu.h"
#include "registry.h"

using namespace flopscope;
using namespace flopscope::kernels;

namespace {

// Session's constructor throws Error(no_gpu) when counters are not permitted
// (RmProfilingAdminOnly=1 without root): skip with the reason, as
// profile_gpu_test.cpp does for `flopscope profile`.
#define SESSION_OR_SKIP(var, ...)                                                          \
  std::unique_ptr<Session> var;                                                            \
  try {                                                                                    \
    var = std::make_unique<Session>(SessionOptions __VA_ARGS__);                           \
  } catch (const Error& e) {                                                               \
    FLOPSCOPE_SKIP_IF_COUNTERS_RESTRICTED(e.what());                                       \
    throw;                                                                                 \
  }

std::unique_ptr<KernelInstance> make(const char* id, const Shape& shape) {
  const KernelSpec* spec = find_kernel(id);
  if (!spec) throw Error(ErrorKind::failure, std::string("kernel not registered: ") + id);
  std::string arg;  // "m=256,n=192,k=128"
  for (const auto& [k, v] : shape) arg += (arg.empty() ? "" : ",") + k + "=" + std::to_string(v);
  auto inst = spec->create(resolve_shape(*spec, arg));
  inst->prepare(1);
  return inst;
}

// memory.copy.fp32 of 256 MiB per array: far beyond L2, so its DRAM bytes are
// its own.
constexpr int64_t kCopyElems = int64_t(1) << 26;
constexpr double kCopyBytes = 4.0 * double(kCopyElems);

/// One run of the copy under `s`, which must have read and written its bytes within 2%.
HwCounters count_copy(Session& s) {
  auto inst = make("memory.copy.fp32", {{"n", kCopyElems}});
  s.start();
  EXPECT_TRUE(inst->run(nullptr).ok());
  const HwCounters hw = combine_launches(s.stop());
  EXPECT_TRUE(hw.dram_read_bytes && hw.dram_write_bytes);
  EXPECT_NEAR(hw.dram_read_bytes.value_or(0), kCopyBytes, 0.02 * kCopyBytes);
  EXPECT_NEAR(hw.dram_write_bytes.value_or(0), kCopyBytes, 0.02 * kCopyBytes);
  return hw;
}

}  // namespace

TEST(SessionGpu, NaiveFp32GemmCountsExactly2MNK) {
  FLOPSCOPE_REQUIRE_GPU();
  const int64_t m = 256, n = 192, k = 128;
  auto inst = make("gemm.naive.fp32", {{"m", m}, {"n", n}, {"k", k}});
  SESSION_OR_SKIP(s, {.set = MetricSet::flops, .tensor = {}});
  ASSERT_TRUE(s->counters_enabled()) << (s->notes().empty() ? "" : s->notes().front());
  s->start();
  ASSERT_TRUE(inst->run(nullptr).ok());
  const auto kernels = s->stop();
  ASSERT_EQ(kernels.size(), 1u);
  const HwCounters& hw = kernels[0].hw;
  EXPECT_FALSE(kernels[0].kernel.empty());
  ASSERT_TRUE(hw.flops_by_pipe.count("fp32"));
  EXPECT_DOUBLE_EQ(hw.flops_by_pipe.at("fp32"), double(2 * m * n * k));
  ASSERT_TRUE(hw.duration_s);
  EXPECT_GT(*hw.duration_s, 0);
  EXPECT_GT(hw.sm_clock_hz.value_or(0), 1e8);
  EXPECT_EQ(s->dropped_ranges(), 0u);

  // The raw file evaluates to the same numbers on the host.
  const CounterFile f = parse_counter_file(serialize_counter_file(s->raw()), "mem");
  const auto again = evaluate_counter_file(f);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_DOUBLE_EQ(again[0].hw.flops_by_pipe.at("fp32"), double(2 * m * n * k));
  EXPECT_EQ(again[0].range.kernel, kernels[0].kernel);
}

// The flops set needs several replay passes (SASS instruction counters get one
// of their own), so each batch after the first re-runs SetConfig on a
// multi-pass config: every launch must still count its exact FLOPs.
TEST(SessionGpu, BatchesFlushWithoutDrops) {
  FLOPSCOPE_REQUIRE_GPU();
  auto inst = make("gemm.naive.fp32", {{"m", 64}, {"n", 64}, {"k", 64}});
  SESSION_OR_SKIP(s, {.set = MetricSet::flops, .tensor = {}, .ranges_per_batch = 2});
  ASSERT_TRUE(s->counters_enabled());
  s->start();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(inst->run(nullptr).ok());
  const auto kernels = s->stop();
  ASSERT_EQ(kernels.size(), 5u);
  EXPECT_EQ(s->dropped_ranges(), 0u);
  for (size_t i = 0; i < kernels.size(); ++i) {
    EXPECT_EQ(kernels[i].launch, i);
    ASSERT_TRUE(kernels[i].hw.flops_by_pipe.count("fp32")) << "launch " << i;
    EXPECT_DOUBLE_EQ(kernels[i].hw.flops_by_pipe.at("fp32"), 2.0 * 64 * 64 * 64) << "launch " << i;
  }
  EXPECT_EQ(s->raw().counter_images.size(), 3u);
}

// bench's one session counts a run, then times the next kernel's repetitions
// with the range profiler enabled but not started, then counts again: every
// run counts exactly, and launches in between are not profiled. (It used to
// disable the profiler between runs and enable it again; on an H200 with CUPTI
// 13.0 that crashed at the second run: bench/results/h200/2026-11-30.)
TEST(SessionGpu, RunsOfOneSessionCountExactly) {
  FLOPSCOPE_REQUIRE_GPU();
  auto inst = make("gemm.naive.fp32", {{"m", 64}, {"n", 64}, {"k", 64}});
  SESSION_OR_SKIP(s, {.set = MetricSet::flops, .tensor = {}, .ranges_per_batch = 4});
  ASSERT_TRUE(s->counters_enabled());
  for (int run = 0; run < 3; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    s->start();
    ASSERT_TRUE(inst->run(nullptr).ok());
    const auto kernels = s->stop();
    ASSERT_EQ(kernels.size(), 1u);
    ASSERT_TRUE(kernels[0].hw.flops_by_pipe.count("fp32"));
    EXPECT_DOUBLE_EQ(kernels[0].hw.flops_by_pipe.at("fp32"), 2.0 * 64 * 64 * 64);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(inst->run(nullptr).ok());  // between runs: not profiled
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  }
  EXPECT_EQ(s->dropped_ranges(), 0u);
  EXPECT_EQ(s->raw().ranges.size(), 3u);
}

// User replay (SessionOptions::user_replay): the caller runs its work once per
// replay pass, as many passes as the plan says, with `between` between them
// only. FLOPs are exact as with kernel replay, over several runs of one
// session; a pass that launches more kernels than an image holds is refused.
TEST(SessionGpu, UserReplayRunsEachPassAndCountsExactly) {
  FLOPSCOPE_REQUIRE_GPU();
  const int64_t m = 256, n = 192, k = 128;
  auto inst = make("gemm.naive.fp32", {{"m", m}, {"n", n}, {"k", k}});
  SESSION_OR_SKIP(s, {.set = MetricSet::roofline, .tensor = {}, .ranges_per_batch = 1, .user_replay = true});
  ASSERT_TRUE(s->counters_enabled()) << (s->notes().empty() ? "" : s->notes().front());
  ASSERT_GE(s->plan().passes, 2) << "a one-pass plan would not test the replay";
  EXPECT_THROW(s->start(), Error) << "a user-replay session counts with replay()";
  // A pass that launches nothing counts nothing, at once (not 16 passes).
  int empty_passes = 0;
  EXPECT_TRUE(s->replay([] {}, [&] { ++empty_passes; }).empty());
  EXPECT_EQ(empty_passes, 1);
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    int passes = 0, betweens = 0;
    const auto kernels = s->replay([&] { ++betweens; },
                                   [&] {
                                     ++passes;
                                     EXPECT_TRUE(inst->run(nullptr).ok());
                                   });
    EXPECT_EQ(passes, s->plan().passes);
    EXPECT_EQ(betweens, passes - 1);
    ASSERT_EQ(kernels.size(), 1u);
    EXPECT_FALSE(kernels[0].kernel.empty());
    ASSERT_TRUE(kernels[0].hw.flops_by_pipe.count("fp32"));
    EXPECT_DOUBLE_EQ(kernels[0].hw.flops_by_pipe.at("fp32"), double(2 * m * n * k));
  }
  EXPECT_EQ(s->dropped_ranges(), 0u);
  try {
    s->replay([] {},
              [&] {  // CUPTI may drop the second launch's range or fail the launch: either is fine here
                (void)inst->run(nullptr);
                (void)inst->run(nullptr);
              });
    ADD_FAILURE() << "two launches into a one-range image were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--ranges-per-image"), std::string::npos) << e.what();
  }
  // The failed batch left nothing behind: the next one counts exactly.
  const auto after = s->replay([] {}, [&] { EXPECT_TRUE(inst->run(nullptr).ok()); });
  ASSERT_EQ(after.size(), 1u);
  ASSERT_TRUE(after[0].hw.flops_by_pipe.count("fp32"));
  EXPECT_DOUBLE_EQ(after[0].hw.flops_by_pipe.at("fp32"), double(2 * m * n * k));
}

// The packed-half convention (docs/collector.md): an HFMA2 counts 4 FLOPs a
// thread, whether it does two useful FMAs (__hfma2) or one (__hfma, which nvcc
// compiles to an HFMA2 with broadcast operands). Two launches of each kernel,
// N and 3N loop iterations: their FP16 FLOPs differ by exactly 2N iterations of
// 8 HFMA2, whatever the compiler adds outside the loop. So the scalar kernel's
// counted FLOPs are twice its useful ones, as the docs warn.
TEST(SessionGpu, HalfFmaCountsFourFlopsPerHfma2ScalarOrPacked) {
  FLOPSCOPE_REQUIRE_GPU();
  using flopscope::test::HalfFma;
  namespace t = flopscope::test;
  SESSION_OR_SKIP(s, {.set = MetricSet::flops, .tensor = {}});
  ASSERT_TRUE(s->counters_enabled());
  void* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, size_t(4) * t::kHalfFmaBlocks * t::kHalfFmaThreads), cudaSuccess);
  const int n = 100;
  const double threads = double(t::kHalfFmaBlocks) * t::kHalfFmaThreads;
  const double hfma2_between = threads * 2 * n * t::kHalfFmaPerIteration;  // HFMA2 thread-instructions
  for (HalfFma kind : {HalfFma::scalar, HalfFma::packed}) {
    const bool packed = kind == HalfFma::packed;
    SCOPED_TRACE(packed ? "__hfma2" : "__hfma");
    s->start();
    ASSERT_EQ(t::launch_half_fma(kind, n, out), 0);
    ASSERT_EQ(t::launch_half_fma(kind, 3 * n, out), 0);
    const auto kernels = s->stop();
    ASSERT_EQ(kernels.size(), 2u);
    ASSERT_TRUE(kernels[0].hw.flops_by_pipe.count("fp16") && kernels[1].hw.flops_by_pipe.count("fp16"));
    const double delta = kernels[1].hw.flops_by_pipe.at("fp16") - kernels[0].hw.flops_by_pipe.at("fp16");
    EXPECT_DOUBLE_EQ(delta, 4 * hfma2_between);
    const double useful = hfma2_between * 2 * (packed ? 2 : 1);  // 2 FLOPs per useful FMA
    EXPECT_DOUBLE_EQ(delta / useful, packed ? 1.0 : 2.0);
  }
  EXPECT_EQ(s->dropped_ranges(), 0u);
  ASSERT_EQ(cudaFree(out), cudaSuccess);
}

TEST(SessionGpu, CopyReadsAndWritesItsBytes) {
  FLOPSCOPE_REQUIRE_GPU();
  SESSION_OR_SKIP(s, {.set = MetricSet::roofline, .tensor = {}});
  ASSERT_TRUE(s->counters_enabled());
  const HwCounters hw = count_copy(*s);
  EXPECT_GT(hw.l2_bytes.value_or(0), kCopyBytes);
}

// The bytes set: one pass on this GPU's chip where the host API says so (then
// nothing is replayed), the copy's DRAM bytes as under roofline, and no FLOPs.
TEST(SessionGpu, BytesSetCountsTheCopyWithoutFlops) {
  FLOPSCOPE_REQUIRE_GPU();
  SESSION_OR_SKIP(s, {.set = MetricSet::bytes, .tensor = {}});
  ASSERT_TRUE(s->counters_enabled());
  EXPECT_EQ(s->plan().passes, build_metric_plan(s->chip(), MetricSet::bytes, {}).passes);
  if (s->chip() == "GH100") {
    EXPECT_EQ(s->plan().passes, 1);
  }
  const HwCounters hw = count_copy(*s);
  EXPECT_FALSE(hw.flops_total.has_value());
  EXPECT_TRUE(hw.flops_by_pipe.empty());
  EXPECT_GT(hw.duration_s.value_or(0), 0);
}

// The byte counters must not depend on how many replay passes the plan needs:
// with every tensor type the roofline set takes several more passes (CUDA 13.0
// has no cache control between them), and the copy's DRAM bytes must agree
// with the few-pass plan's within 2%. Far beyond L2, as the acceptance asks.
TEST(SessionGpu, CopyBytesDoNotDependOnThePassCount) {
  FLOPSCOPE_REQUIRE_GPU();
  const int64_t n = int64_t(1) << 26;
  auto inst = make("memory.copy.fp32", {{"n", n}});
  std::map<std::string, HwCounters> by_plan;
  for (const bool all_tensor : {false, true}) {
    const std::vector<std::string> tensor = all_tensor ? tensor_types() : std::vector<std::string>{};
    SESSION_OR_SKIP(s, {.set = MetricSet::roofline, .tensor = tensor});
    ASSERT_TRUE(s->counters_enabled());
    s->start();
    ASSERT_TRUE(inst->run(nullptr).ok());
    by_plan[all_tensor ? "all tensor types" : "no tensor type"] = combine_launches(s->stop());
  }
  const HwCounters& few = by_plan.at("no tensor type");
  const HwCounters& many = by_plan.at("all tensor types");
  ASSERT_TRUE(few.dram_read_bytes && many.dram_read_bytes && few.dram_write_bytes && many.dram_write_bytes);
  // Each plan against the copy's own bytes (a few-pass plan that read 0 must
  // not make 0 the expectation), then against each other.
  const double bytes = 4.0 * double(n);
  for (const HwCounters* c : {&few, &many}) {
    EXPECT_NEAR(*c->dram_read_bytes, bytes, 0.02 * bytes);
    EXPECT_NEAR(*c->dram_write_bytes, bytes, 0.02 * bytes);
  }
  EXPECT_NEAR(*many.dram_read_bytes, *few.dram_read_bytes, 0.02 * bytes);
  EXPECT_NEAR(*many.dram_write_bytes, *few.dram_write_bytes, 0.02 * bytes);
}

// What raw() keeps is bounded (or off), while stop() still returns every launch.
TEST(SessionGpu, RawRecordIsBoundedOrOff) {
  FLOPSCOPE_REQUIRE_GPU();
  auto inst = make("gemm.naive.fp32", {{"m", 64}, {"n", 64}, {"k", 64}});
  for (const bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "raw_limit_bytes 1" : "keep_raw false");
    SESSION_OR_SKIP(s, {.set = MetricSet::flops, .tensor = {}, .keep_raw = keep, .raw_limit_bytes = 1});
    ASSERT_TRUE(s->counters_enabled());
    s->start();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(inst->run(nullptr).ok());
    const auto kernels = s->stop();
    ASSERT_EQ(kernels.size(), 3u);
    EXPECT_DOUBLE_EQ(kernels[2].hw.flops_by_pipe.at("fp32"), 2.0 * 64 * 64 * 64);
    const CounterFile f = s->raw();
    EXPECT_TRUE(f.ranges.empty());
    EXPECT_TRUE(f.counter_images.empty());
    EXPECT_EQ(s->unsaved_ranges(), keep ? 3u : 0u);
    EXPECT_EQ(f.unsaved_ranges, keep ? 3u : 0u);
    bool noted = false;
    for (const auto& n : s->notes()) noted = noted || n.find("not saved") != std::string::npos;
    EXPECT_EQ(noted, keep);
  }
}

// A CUDA graph launch ends the batch before it, so the launches around it keep
// their names; whatever ranges CUPTI makes for the graph's kernels are unnamed.
// No synchronization after the graph: the next launch flushes it as it comes.
// Exactly two named ranges, the first and the last, each a whole 64^3 GEMM.
TEST(SessionGpu, GraphLaunchKeepsTheNamesAroundIt) {
  FLOPSCOPE_REQUIRE_GPU();
  auto inst = make("gemm.naive.fp32", {{"m", 64}, {"n", 64}, {"k", 64}});
  struct Graph {  // freed however the test ends
    cudaStream_t stream = nullptr;
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    ~Graph() {
      if (exec) cudaGraphExecDestroy(exec);
      if (graph) cudaGraphDestroy(graph);
      if (stream) cudaStreamDestroy(stream);
    }
  } g;
  ASSERT_EQ(cudaStreamCreateWithFlags(&g.stream, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaStreamBeginCapture(g.stream, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  ASSERT_TRUE(inst->run(g.stream).ok());
  ASSERT_EQ(cudaStreamEndCapture(g.stream, &g.graph), cudaSuccess);
  ASSERT_EQ(cudaGraphInstantiate(&g.exec, g.graph, 0), cudaSuccess);

  SESSION_OR_SKIP(s, {.set = MetricSet::flops, .tensor = {}});
  ASSERT_TRUE(s->counters_enabled());
  s->start();
  const bool first = inst->run(nullptr).ok();
  const cudaError_t launched = cudaGraphLaunch(g.exec, g.stream);
  const bool last = inst->run(nullptr).ok();
  const auto kernels = s->stop();
  std::string notes;
  for (const auto& n : s->notes()) notes += n + "\n";
  // Before any assertion: tells the first GPU run what CUPTI does with graph kernels.
  std::printf("graph launch: %s; %zu ranges: ", cudaGetErrorString(launched), kernels.size());
  for (const auto& k : kernels) {
    const auto fp32 = k.hw.flops_by_pipe.find("fp32");
    std::printf("[%s, fp32 %.0f] ", k.kernel.empty() ? "-" : k.kernel.c_str(),
                fp32 == k.hw.flops_by_pipe.end() ? -1.0 : fp32->second);
  }
  std::printf("\ndropped ranges: %llu\nnotes:\n%s", static_cast<unsigned long long>(s->dropped_ranges()),
              notes.c_str());
  ASSERT_TRUE(first && last);
  EXPECT_EQ(launched, cudaSuccess) << cudaGetErrorString(launched);
  EXPECT_EQ(cudaStreamSynchronize(g.stream), cudaSuccess);
  EXPECT_EQ(s->dropped_ranges(), 0u);
  // The two launches made through the session, and nothing else, are named.
  size_t named = 0;
  for (size_t i = 0; i < kernels.size(); ++i) {
    if (kernels[i].kernel.empty()) continue;
    SCOPED_TRACE("range " + std::to_string(i) + " of " + std::to_string(kernels.size()));
    ++named;
    EXPECT_TRUE(i == 0 || i + 1 == kernels.size()) << "a named range between the first and the last";
    ASSERT_TRUE(kernels[i].hw.flops_by_pipe.count("fp32"));
    EXPECT_DOUBLE_EQ(kernels[i].hw.flops_by_pipe.at("fp32"), 2.0 * 64 * 64 * 64);
  }
  EXPECT_EQ(named, 2u);
  ASSERT_GE(kernels.size(), 2u);
  EXPECT_FALSE(kernels.front().kernel.empty());
  EXPECT_EQ(kernels.back().kernel, kernels.front().kernel);
  // Every range in between is the graph's, and the note counts them.
  EXPECT_NE(notes.find("1 CUDA graph launches: " + std::to_string(kernels.size() - 2) + " ranges"),
            std::string::npos)
      << notes;
  EXPECT_EQ(notes.find("left unnamed"), std::string::npos) << notes;  // no mismatched batch
}

namespace {

/// The CSV `flopscope report --csv` writes: header names -> the first row's fields.
std::map<std::string, std::string> first_csv_row(const std::string& text) {
  std::istringstream in(text);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  // Quoted fields may hold commas (a demangled kernel name's parameter list;
  // the H200 run split one): "" inside quotes is one quote.
  auto split = [](const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '"' && quoted && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        out.emplace_back();
      } else {
        out.back() += c;
      }
    }
    return out;
  };
  const auto names = split(header), values = split(row);
  std::map<std::string, std::string> m;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) m[names[i]] = values[i];
  return m;
}

}  // namespace

// `bench --counters` then `report` on the file, on any machine: the FP32 FLOPs
// re-evaluated from the raw counters are 2*M*N*K exactly, and what the results
// file of the same bench run says.
TEST(SessionGpu, BenchCountersFileReportsTheSameFlops) {
  FLOPSCOPE_REQUIRE_GPU();
  const int64_t m = 256, n = 256, k = 256;
  const double flops = double(2 * m * n * k);
  const std::string dir = test::temp_dir();
  const std::string counters = dir + "/gemm.fscounters", results = dir + "/gemm.json", csv = dir + "/again.csv";
  const auto bench = test::run_cli({"bench", "--kernel", "gemm.naive.fp32", "--shape", "256x256x256", "--metrics",
                                    "flops", "--reps", "3", "--counters", counters, "--out", results});
  FLOPSCOPE_SKIP_IF_COUNTERS_RESTRICTED(bench.err);
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  const ResultsDoc measured = read_results(results);
  ASSERT_EQ(measured.runs.size(), 1u);
  const RunRecord& run = measured.runs[0];
  ASSERT_TRUE(run.hw && run.hw->flops_by_pipe.count("fp32")) << bench.err;
  EXPECT_EQ(run.hw->flops_by_pipe.at("fp32"), flops);

  // The CLI re-evaluates the file with CUPTI's host API, under the run's id and shape.
  const auto report = test::run_cli({"report", counters, "--csv", csv});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("gemm.naive.fp32"), std::string::npos) << report.out;
  auto row = first_csv_row(read_file(csv));
  EXPECT_EQ(row["id"], "gemm.naive.fp32");
  EXPECT_EQ(row["shape"], "m=256 n=256 k=256");
  EXPECT_EQ(row["launches"], "1");
  ASSERT_FALSE(row["hw_flops"].empty());
  EXPECT_EQ(std::stod(row["hw_flops"]), flops);  // fp64 and fp16 count 0 here

  // Per pipe, as the file evaluates in this process.
  const ResultsDoc again = counter_file_to_results(read_counter_file(counters));
  ASSERT_EQ(again.runs.size(), 1u);
  const RunRecord& r = again.runs[0];
  EXPECT_EQ(r.id, run.id);
  EXPECT_EQ(r.shape, run.shape);
  EXPECT_EQ(r.nvtx, run.nvtx);
  ASSERT_TRUE(r.hw && r.hw->flops_by_pipe.count("fp32"));
  EXPECT_EQ(r.hw->flops_by_pipe.at("fp32"), flops);
  EXPECT_EQ(r.hw->flops_by_pipe, run.hw->flops_by_pipe);
  EXPECT_EQ(r.hw->flops_total, run.hw->flops_total);
  EXPECT_EQ(r.hw->duration_s, run.hw->duration_s);
}
