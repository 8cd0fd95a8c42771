// Activity API decoding, NVTX attribution and per-kernel aggregation, on the
// CPU. The CUPTI records here are synthetic: structs of CUDA 13's layouts
// filled in memory, exactly as CUPTI hands them over in a buffer.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cupti_activity.h>
#include <cupti_version.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "activity_collector.h"
#include "activity_decode.h"
#include "activity_names.h"
#include "activity_profile.h"
#include "api_nesting.h"
#include "cli/run_cli.h"
#include "flopscope/error.h"
#include "flopscope/utf8.h"
#include "flopscope/views.h"  // profile_total_s
#include "inject_config.h"
#include "inject_report.h"
#include "nvtx_ranges.h"

using namespace flopscope;
using namespace flopscope::cupti;

namespace {

constexpr const char* kGemm = "_Z11gemm_kernelILi128EEvPKfS1_Pfiii";  // void gemm_kernel<128>(...)
constexpr const char* kCopy = "_Z4copyPfPKfm";

CUpti_ActivityKernel10 kernel_record(const char* name, uint32_t corr, uint64_t start, uint64_t end,
                                     uint32_t device = 0) {
  CUpti_ActivityKernel10 k;
  std::memset(&k, 0, sizeof k);
  k.kind = CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL;
  k.name = name;
  k.correlationId = corr;
  k.start = start;
  k.end = end;
  k.deviceId = device;
  k.contextId = 1;
  k.streamId = 7;
  k.gridX = 64, k.gridY = 2, k.gridZ = 1;
  k.blockX = 256, k.blockY = 1, k.blockZ = 1;
  return k;
}

// A copy record of either layout (Memcpy6, MemcpyPtoP4), zero but for these.
template <class Record>
Record copy_record(CUpti_ActivityKind kind, CUpti_ActivityMemcpyKind copy, uint64_t bytes, uint64_t start,
                   uint64_t end, uint32_t corr) {
  Record m;
  std::memset(&m, 0, sizeof m);
  m.kind = kind;
  m.copyKind = copy;
  m.bytes = bytes;
  m.start = start;
  m.end = end;
  m.correlationId = corr;
  return m;
}

/// A memset record, zero but for these.
CUpti_ActivityMemset4 memset_record(uint64_t bytes, uint64_t start, uint64_t end, uint32_t corr) {
  CUpti_ActivityMemset4 s;
  std::memset(&s, 0, sizeof s);
  s.kind = CUPTI_ACTIVITY_KIND_MEMSET;
  s.bytes = bytes;
  s.start = start;
  s.end = end;
  s.correlationId = corr;
  return s;
}

CUpti_ActivityMarker2 marker(CUpti_ActivityFlag flag, uint32_t id, uint64_t ts, const char* name,
                             bool thread_scoped = true, uint32_t tid = 11) {
  CUpti_ActivityMarker2 m;
  std::memset(&m, 0, sizeof m);
  m.kind = CUPTI_ACTIVITY_KIND_MARKER;
  m.flags = flag;
  m.id = id;
  m.timestamp = ts;
  m.name = name;
  m.domain = nullptr;
  m.objectKind = thread_scoped ? CUPTI_ACTIVITY_OBJECT_THREAD : CUPTI_ACTIVITY_OBJECT_PROCESS;
  m.objectId.pt.processId = 99;
  m.objectId.pt.threadId = tid;
  return m;
}

KernelActivity kernel(const char* name, uint32_t corr, uint64_t start, uint64_t end, uint32_t device = 0) {
  const auto rec = kernel_record(name, corr, start, end, device);
  return std::get<KernelActivity>(decode_activity(&rec));
}

const RunRecord* find_run(const std::vector<RunRecord>& runs, const std::string& variant,
                          const std::string& nvtx) {
  for (const RunRecord& r : runs)
    if (r.variant == variant && r.nvtx == nvtx) return &r;
  return nullptr;
}
// A pointer into a temporary (find_run(agg.runs(), ...)) would dangle.
const RunRecord* find_run(std::vector<RunRecord>&&, const std::string&, const std::string&) = delete;

}  // namespace

// ------------------------------------------------------------------- decoding

TEST(ActivityDecode, ConcurrentKernel) {
  auto rec = kernel_record(kGemm, 42, 1000, 4000, 1);
  rec.graphId = 5;
  rec.graphNodeId = 77;
  const Activity a = decode_activity(&rec);
  ASSERT_TRUE(std::holds_alternative<KernelActivity>(a));
  const auto& k = std::get<KernelActivity>(a);
  EXPECT_EQ(k.name, kGemm);
  EXPECT_EQ(k.correlation, 42u);
  EXPECT_EQ(k.start_ns, 1000u);
  EXPECT_EQ(k.end_ns, 4000u);
  EXPECT_EQ(k.device, 1u);
  EXPECT_EQ(k.stream, 7u);
  EXPECT_EQ(k.graph_id, 5u);
  EXPECT_EQ(k.graph_node_id, 77u);
  EXPECT_EQ(k.grid[0], 64);
  EXPECT_EQ(k.grid[1], 2);
  EXPECT_EQ(k.block[0], 256);
}

TEST(ActivityDecode, MemcpyMemsetDevice) {
  auto m = copy_record<CUpti_ActivityMemcpy6>(CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_MEMCPY_KIND_HTOD, 1 << 20,
                                              10, 110, 3);
  m.runtimeCorrelationId = 2;
  const auto c = std::get<MemcpyActivity>(decode_activity(&m));
  EXPECT_EQ(c.kind, "HtoD");
  EXPECT_EQ(c.bytes, 1u << 20);
  EXPECT_EQ(c.correlation, 3u);
  EXPECT_EQ(c.runtime_correlation, 2u);

  const auto s = memset_record(4096, 5, 9, 8);
  const auto ms = std::get<MemsetActivity>(decode_activity(&s));
  EXPECT_EQ(ms.bytes, 4096u);
  EXPECT_EQ(ms.correlation, 8u);

  CUpti_ActivityDevice5 d;
  std::memset(&d, 0, sizeof d);
  d.kind = CUPTI_ACTIVITY_KIND_DEVICE;
  d.name = "NVIDIA H200";
  d.computeCapabilityMajor = 9;
  d.numMultiprocessors = 132;
  d.coreClockRate = 1980000;  // kHz
  d.globalMemorySize = 150ull << 30;
  const auto dev = std::get<DeviceActivity>(decode_activity(&d));
  EXPECT_EQ(dev.name, "NVIDIA H200");
  EXPECT_EQ(dev.cc_major, 9);
  EXPECT_EQ(dev.sm_count, 132);
  EXPECT_DOUBLE_EQ(dev.core_clock_mhz, 1980.0);

  CUpti_Activity other{};
  other.kind = CUPTI_ACTIVITY_KIND_OVERHEAD;
  EXPECT_TRUE(std::holds_alternative<std::monostate>(decode_activity(&other)));
  EXPECT_STREQ(memcpy_kind_name(12345), "unknown");
}

// A completed buffer is walked with CUPTI's own cuptiActivityGetNextRecord
// (no GPU needed). A record it cannot read ends the walk: that must be known,
// not taken for the buffer's end.
TEST(ActivityDecode, BufferWalkThatStopsEarlyIsCutShort) {
  std::vector<uint64_t> storage(512);  // 8-byte aligned, as CUPTI's buffers
  auto* buffer = reinterpret_cast<uint8_t*>(storage.data());
  const auto k = kernel_record(kGemm, 5, 10, 20);
  const auto s = memset_record(0, 0, 0, 6);
  std::memcpy(buffer, &k, sizeof k);
  std::memcpy(buffer + sizeof k, &s, sizeof s);
  const size_t valid = sizeof k + sizeof s;

  DecodedBuffer whole = decode_buffer(buffer, valid);
  ASSERT_EQ(whole.records.size(), 2u);
  EXPECT_EQ(std::get<KernelActivity>(whole.records[0]).correlation, 5u);
  EXPECT_EQ(std::get<MemsetActivity>(whole.records[1]).correlation, 6u);
  EXPECT_FALSE(whole.cut_short);

  const uint32_t invalid_kind = 0x7fff;  // then a record CUPTI cannot read
  std::memcpy(buffer + valid, &invalid_kind, sizeof invalid_kind);
  DecodedBuffer cut = decode_buffer(buffer, valid + 64);
  EXPECT_EQ(cut.records.size(), 2u);
  EXPECT_TRUE(cut.cut_short);

  EXPECT_FALSE(decode_buffer(nullptr, 0).cut_short);  // CUPTI had no buffer: its drops are counted
  ProfileAggregator agg({});
  agg.add_cut_short_buffer();
  EXPECT_EQ(agg.counters().buffers_cut_short, 1u);
}

TEST(ActivityDecode, MarkerStartEndAndScope) {
  const auto s = marker(CUPTI_ACTIVITY_FLAG_MARKER_START, 5, 100, "step", true, 11);
  const auto e = marker(CUPTI_ACTIVITY_FLAG_MARKER_END, 5, 200, nullptr, true, 11);
  const auto p = marker(CUPTI_ACTIVITY_FLAG_MARKER_START, 6, 150, "epoch", false);
  const auto ms = std::get<MarkerActivity>(decode_activity(&s));
  const auto me = std::get<MarkerActivity>(decode_activity(&e));
  const auto mp = std::get<MarkerActivity>(decode_activity(&p));
  EXPECT_EQ(ms.phase, MarkerActivity::Phase::start);
  EXPECT_EQ(ms.name, "step");
  EXPECT_TRUE(ms.thread_scoped);
  EXPECT_EQ(ms.thread_id, 11u);
  EXPECT_EQ(me.phase, MarkerActivity::Phase::end);
  EXPECT_EQ(me.name, "");
  EXPECT_FALSE(mp.thread_scoped);
  EXPECT_EQ(mp.thread_id, 0u);
}

// ------------------------------------------------------------------------ NVTX

TEST(Nvtx, PushPopNestingPerThread) {
  PathTable paths;
  NvtxTracker t(paths);
  EXPECT_EQ(paths.path(t.current(1)), "");
  t.push(1, "step");
  t.push(1, "forward");
  t.push(2, "loader");  // another thread's stack is its own
  EXPECT_EQ(paths.path(t.current(1)), "step/forward");
  EXPECT_EQ(paths.path(t.current(2)), "loader");
  t.pop(1);
  EXPECT_EQ(paths.path(t.current(1)), "step");
  t.push(1, "backward");
  EXPECT_EQ(paths.path(t.current(1)), "step/backward");
  t.pop(1);
  t.pop(1);
  EXPECT_EQ(t.current(1), 0u);
  t.pop(1);  // its push was before profiling began
  EXPECT_EQ(t.unmatched_pops(), 1u);
  EXPECT_EQ(t.ranges_seen(), 4u);
}

// NCCL, cuDNN and cuBLAS push in domains of their own: a pop closes the
// innermost range of its domain, not the thread's innermost range.
TEST(Nvtx, PushPopNestingPerThreadAndDomain) {
  PathTable paths;
  NvtxTracker t(paths);
  const NvtxDomain a = 0xa0, b = 0xb0;
  t.push(1, "step");         // default domain
  t.push(1, "outer_a", a);
  t.push(1, "inner_b", b);
  EXPECT_EQ(paths.path(t.current(1)), "step/outer_a/inner_b");
  t.pop(1, a);  // A's range closes while B's, opened later, stays open
  EXPECT_EQ(paths.path(t.current(1)), "step/inner_b");
  t.push(1, "next_a", a);
  EXPECT_EQ(paths.path(t.current(1)), "step/inner_b/next_a");  // ordered by when each began
  t.pop(1);  // the default domain's
  EXPECT_EQ(paths.path(t.current(1)), "inner_b/next_a");
  t.pop(1, b);
  t.pop(1, a);
  EXPECT_EQ(t.current(1), 0u);
  t.pop(1, b);  // nothing pushed in B any more
  t.pop(2, a);  // nor on thread 2
  EXPECT_EQ(t.unmatched_pops(), 2u);
}

TEST(Nvtx, StartEndRangesAreProcessWideAndOrderedByStart) {
  PathTable paths;
  NvtxTracker t(paths);
  t.start(100, "epoch");
  t.push(1, "step");
  t.start(101, "phase");  // opened after "step": comes after it
  EXPECT_EQ(paths.path(t.current(1)), "epoch/step/phase");
  EXPECT_EQ(paths.path(t.current(2)), "epoch/phase");  // other threads see start/end only
  t.end(100);
  EXPECT_EQ(paths.path(t.current(1)), "step/phase");
  t.end(999);
  EXPECT_EQ(t.unmatched_ends(), 1u);
  // Same path from two threads interns to the same id.
  t.pop(1);
  EXPECT_EQ(t.current(1), t.current(2));
}

// Every thread that launches asks for its path; only threads with a
// push/pop range open keep an entry, so a long run whose pools and loaders
// come and go does not keep one per thread it ever had.
TEST(Nvtx, ThreadsWithoutOpenRangesKeepNoEntry) {
  PathTable paths;
  NvtxTracker t(paths);
  t.start(100, "epoch");
  for (uint64_t thread = 1; thread <= 1000; ++thread) {
    EXPECT_EQ(paths.path(t.current(thread)), "epoch");
    t.push(thread, "batch");
    EXPECT_EQ(paths.path(t.current(thread)), "epoch/batch");
    t.pop(thread);
    EXPECT_EQ(paths.path(t.current(thread)), "epoch");
  }
  EXPECT_EQ(t.threads_with_ranges(), 0u);
  t.push(7, "left_open");
  EXPECT_EQ(t.threads_with_ranges(), 1u);
  EXPECT_EQ(paths.path(t.current(7)), "epoch/left_open");
  EXPECT_EQ(paths.path(t.current(8)), "epoch");
  t.end(100);  // the cached path of threads without ranges follows start/end
  EXPECT_EQ(paths.path(t.current(8)), "");
  EXPECT_EQ(paths.path(t.current(7)), "left_open");
}

TEST(Nvtx, MarkerTimelineAttributesByThreadAndTime) {
  MarkerTimeline tl;
  // Delivered out of order: an end before its start, threads interleaved.
  for (const auto& m : {marker(CUPTI_ACTIVITY_FLAG_MARKER_END, 2, 400, nullptr, true, 11),
                        marker(CUPTI_ACTIVITY_FLAG_MARKER_START, 1, 100, "step", true, 11),
                        marker(CUPTI_ACTIVITY_FLAG_MARKER_START, 2, 200, "forward", true, 11),
                        marker(CUPTI_ACTIVITY_FLAG_MARKER_END, 1, 900, nullptr, true, 11),
                        marker(CUPTI_ACTIVITY_FLAG_MARKER_START, 3, 50, "run", false),
                        marker(CUPTI_ACTIVITY_FLAG_MARKER_START, 4, 300, "io", true, 12),
                        marker(CUPTI_ACTIVITY_FLAG_MARKER_INSTANTANEOUS, 9, 250, "mark", true, 11)})
    tl.add(std::get<MarkerActivity>(decode_activity(&m)));
  EXPECT_EQ(tl.path_at(11, 10), "");
  EXPECT_EQ(tl.path_at(11, 100), "run/step");            // start is inclusive
  EXPECT_EQ(tl.path_at(11, 250), "run/step/forward");
  EXPECT_EQ(tl.path_at(11, 400), "run/step");             // end is exclusive
  EXPECT_EQ(tl.path_at(12, 350), "run/io");               // thread 12 never sees thread 11's ranges
  EXPECT_EQ(tl.path_at(11, 5000), "run");                 // "run" never ended
  EXPECT_EQ(tl.ranges(), 4u);
}

TEST(Nvtx, PathMatching) {
  EXPECT_TRUE(nvtx_path_matches("step/forward/attn", "forward"));
  EXPECT_TRUE(nvtx_path_matches("step/forward/attn", "step/forward"));
  EXPECT_TRUE(nvtx_path_matches("step/forward/attn", "forward/attn"));
  EXPECT_FALSE(nvtx_path_matches("step/forward/attn", "step/attn"));
  EXPECT_FALSE(nvtx_path_matches("step/forward", "forw"));
  EXPECT_FALSE(nvtx_path_matches("", "step"));
  EXPECT_TRUE(nvtx_path_matches("", ""));
  EXPECT_EQ(split_path("a/b/c"), (std::vector<std::string>{"a", "b", "c"}));
  // A '/' in a range's own name is not a level of the path: it is recorded as
  // U+2215, so "layer/attn" is one range, not "attn" inside a "layer".
  const std::string slash = "\xE2\x88\x95";
  EXPECT_EQ(path_part("layer/attn"), "layer" + slash + "attn");
  PathTable paths;
  NvtxTracker t(paths);
  t.push(1, "step");
  t.push(1, "layer/attn");
  EXPECT_EQ(paths.path(t.current(1)), "step/layer" + slash + "attn");
  EXPECT_EQ(split_path(paths.path(t.current(1))).size(), 2u);
  t.start(5, "a/b");
  EXPECT_EQ(paths.path(t.current(2)), "a" + slash + "b");
  EXPECT_TRUE(nvtx_path_matches(paths.path(t.current(1)), "layer" + slash + "attn"));
  EXPECT_FALSE(nvtx_path_matches(paths.path(t.current(1)), "attn"));
  // A range with no name (nvtxRangePushEx with no message) is one, named
  // "(unnamed)": outermost it vanished, "" + "x" reading "x" and "" alone "-"
  // (no range open), merged with kernels outside any range (a reviewer's case).
  NvtxTracker u(paths);
  u.push(7, "");
  EXPECT_EQ(paths.path(u.current(7)), "(unnamed)");
  u.push(7, "x");
  EXPECT_EQ(paths.path(u.current(7)), "(unnamed)/x");
  EXPECT_EQ(utf8_from_wide(L"h\u00e9\u4e16"), "h\xc3\xa9\xe4\xb8\x96");
  EXPECT_EQ(utf8_from_wide(nullptr), "");
}

// nvtxRangePushA takes any bytes; the results file is JSON, UTF-8. Each
// ill-formed sequence becomes one U+FFFD (its maximal subpart, as Unicode
// recommends); well-formed text passes unchanged.
TEST(Nvtx, NamesAreMadeValidUtf8) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("h\xc3\xa9\xe4\xb8\x96 \xf0\x9f\x98\x80"), "h\xc3\xa9\xe4\xb8\x96 \xf0\x9f\x98\x80");
  EXPECT_EQ(valid_utf8("\xe9poque"), r + "poque");                  // Latin-1
  EXPECT_EQ(valid_utf8("a\xe4\xb8"), "a" + r);                       // cut short: one U+FFFD
  EXPECT_EQ(valid_utf8("\xc0\xaf"), r + r);                          // overlong '/'
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), r + r + r);                 // a surrogate
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80"), r + r + r + r);        // past U+10FFFF
  EXPECT_EQ(valid_utf8("\xe2\x28\xa1"), r + "(" + r);
  EXPECT_EQ(valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
  EXPECT_EQ(utf8_from_wide(L"\xd800x"), r + "x");  // a lone surrogate
  // Through the collector to the results file, which it made unwritable.
  ProfileAggregator agg({});
  agg.nvtx().push(3, "\xe9poque");
  agg.nvtx().start(7, "caf\xe9");
  agg.on_launch(10, ApiKind::kernel_launch, kGemm, agg.nvtx().current(3));
  agg.on_activity(kernel(kGemm, 10, 0, 100));
  ResultsDoc doc = new_results_doc();
  doc.runs = agg.runs();
  ASSERT_EQ(doc.runs.size(), 1u);
  const std::string path = doc.runs[0].nvtx;
  EXPECT_TRUE(path == "caf" + r + "/" + r + "poque" || path == r + "poque/caf" + r) << path;
  EXPECT_EQ(parse_results(to_json_text(doc), "t").runs[0].nvtx, path);
}

// ---------------------------------------------------------------------- names

TEST(ActivityNames, DemangleAndShortName) {
  EXPECT_EQ(demangle(kGemm), "void gemm_kernel<128>(float const*, float const*, float*, int, int, int)");
  EXPECT_EQ(demangle("plain_c_kernel"), "plain_c_kernel");
  EXPECT_EQ(kernel_short_name(demangle(kGemm)), "gemm_kernel");
  EXPECT_EQ(kernel_short_name("void at::native::(anonymous namespace)::softmax_warp<float, 4>(float*, int)"),
            "softmax_warp");
  EXPECT_EQ(kernel_short_name("void cutlass::Kernel2<cutlass_80_tensorop_bf16_s16816gemm_relu_bf16_64x64_32x6_tn_align8>(Params)"),
            "Kernel2");
  EXPECT_EQ(kernel_short_name("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64"),
            "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64");
}

TEST(ActivityNames, PrecisionGuess) {
  auto g = guess_precision("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64");
  EXPECT_EQ(g.dtype, "bf16");
  EXPECT_EQ(g.precision, "bf16_tensor");
  EXPECT_EQ(guess_precision("ampere_sgemm_128x64_tn").precision, "fp32");
  EXPECT_EQ(guess_precision("cutlass_80_tensorop_s1688gemm_tf32_256x128").precision, "tf32_tensor");
  EXPECT_EQ(guess_precision("void flash_fwd_kernel<__half>(Params)").precision, "fp16_tensor");
  EXPECT_EQ(guess_precision("void elementwise<c10::BFloat16>(int)").precision, "bf16");
  EXPECT_EQ(guess_precision("void dgemm_kernel(double*)").precision, "fp64_tensor");
  EXPECT_EQ(guess_precision("void axpy(double*)").precision, "fp64");
  EXPECT_EQ(guess_precision("sm90_gemm_e4m3e4m3_f32").precision, "fp8_tensor");
  const auto u = guess_precision("void my_kernel(int*)");
  EXPECT_EQ(u.dtype, "unknown");
  EXPECT_EQ(u.precision, "fp32");
}

TEST(ActivityNames, ClassifyApiByName) {
  for (const char* n : {"cuLaunchKernel", "cuLaunchKernel_ptsz", "cuLaunchKernelEx", "cuLaunchKernelEx_ptsz",
                        "cuLaunchCooperativeKernel", "cuLaunchCooperativeKernelMultiDevice", "cuLaunch",
                        "cuLaunchGrid", "cuLaunchGridAsync", "cudaLaunchKernel_v7000",
                        "cudaLaunchKernel_ptsz_v7000", "cudaLaunchKernelExC_v11060",
                        "cudaLaunchCooperativeKernel_v9000", "__cudaLaunchKernel_v13000", "cudaLaunch_v3020"})
    EXPECT_EQ(classify_api(n), ApiKind::kernel_launch) << n;
  for (const char* n : {"cuGraphLaunch", "cuGraphLaunch_ptsz", "cudaGraphLaunch_v10000"})
    EXPECT_EQ(classify_api(n), ApiKind::graph_launch) << n;
  for (const char* n : {"cuLaunchHostFunc", "cudaLaunchHostFunc_v10000", "cuCtxSynchronize", "cudaMalloc_v3020",
                        "cuGraphAddMemcpyNode", "cudaGraphInstantiate_v10000"})
    EXPECT_EQ(classify_api(n), ApiKind::other) << n;
  EXPECT_EQ(classify_api("cuMemcpyHtoDAsync_v2"), ApiKind::memcpy);
  EXPECT_EQ(classify_api("cudaMemcpyAsync_v3020"), ApiKind::memcpy);
  EXPECT_EQ(classify_api("cuMemsetD32_v2"), ApiKind::memset);
  EXPECT_EQ(classify_api("cudaMemset_v3020"), ApiKind::memset);
  for (const char* n : {"cudaMemcpyBatchAsync_v12080", "cudaMemcpyBatchAsync_ptsz_v13000",
                        "cudaMemcpy3DBatchAsync_v13000", "cuMemcpyBatchAsync_v2", "cuMemcpy3DBatchAsync_ptsz"})
    EXPECT_EQ(classify_api(n), ApiKind::memcpy_batch) << n;
}

// ---------------------------------------------------------------- aggregation

TEST(ProfileAggregator, KernelsByNameAndNvtxPathOutOfOrder) {
  ProfileAggregator agg({});
  NvtxTracker& t = agg.nvtx();
  t.push(1, "step");
  t.push(1, "forward");
  agg.on_launch(10, ApiKind::kernel_launch, kGemm, t.current(1));
  agg.on_launch(11, ApiKind::kernel_launch, kCopy, t.current(1));
  t.pop(1);
  t.push(1, "backward");
  agg.on_launch(12, ApiKind::kernel_launch, kGemm, t.current(1));
  agg.on_launch(13, ApiKind::kernel_launch, kGemm, t.current(1));
  t.pop(1);
  t.pop(1);
  // Records arrive after the ranges closed, and out of launch order.
  agg.on_activity(kernel(kGemm, 13, 5000, 5300));
  agg.on_activity(kernel(kCopy, 11, 2000, 2100));
  agg.on_activity(kernel(kGemm, 10, 1000, 1200));
  agg.on_activity(kernel(kGemm, 12, 4000, 4400));

  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 3u);
  const RunRecord* fwd = find_run(runs, "gemm_kernel", "step/forward");
  const RunRecord* bwd = find_run(runs, "gemm_kernel", "step/backward");
  const RunRecord* copy = find_run(runs, "copy", "step/forward");
  ASSERT_TRUE(fwd && bwd && copy);
  EXPECT_EQ(fwd->launches, 1);
  EXPECT_NEAR(fwd->time_s.median, 200e-9, 1e-15);
  EXPECT_EQ(bwd->launches, 2);
  EXPECT_NEAR(bwd->time_s.median, 350e-9, 1e-15);
  EXPECT_EQ(bwd->time_s.samples.size(), 2u);
  EXPECT_EQ(bwd->family, "app");
  EXPECT_EQ(bwd->name, demangle(kGemm));
  EXPECT_EQ(bwd->id, "app.gemm_kernel.fp32");  // "float" in its signature
  EXPECT_EQ(bwd->shape, (Shape{{"device", 0}}));
  EXPECT_EQ(runs.front().nvtx, "step/backward");  // heaviest total first
  EXPECT_EQ(bwd->derived.peak_key, "fp32");
  EXPECT_FALSE(bwd->derived.mfu.has_value());
  const ProfileCounters c = agg.counters();
  EXPECT_EQ(c.launches, 4u);
  EXPECT_EQ(c.kernels, 4u);
  EXPECT_EQ(c.kernels_kept, 4u);
  EXPECT_EQ(c.kernels_unattributed, 0u);
  // The document round-trips through the results format.
  ResultsDoc doc = new_results_doc();
  doc.runs = runs;
  EXPECT_EQ(parse_results(to_json_text(doc), "t").runs.size(), 3u);
  // A frozen copy (what the periodic writes summarize outside the lock) gives
  // the same runs, and later records do not reach it.
  const ProfileAggregator::Frozen frozen = agg.freeze();
  agg.on_launch(14, ApiKind::kernel_launch, kGemm, PathId{});
  agg.on_activity(kernel(kGemm, 14, 6000, 6100));
  ResultsDoc from_frozen = doc;
  from_frozen.runs = frozen.runs();
  EXPECT_EQ(to_json_text(from_frozen), to_json_text(doc));
  EXPECT_EQ(agg.runs().size(), 4u);
}

TEST(ProfileAggregator, RuntimeLaunchAndItsDriverCallCountOnce) {
  ProfileAggregator agg({{}, 1, -1, {}});  // skip the first matching launch
  agg.on_launch(20, ApiKind::kernel_launch, kGemm, 0);             // cudaLaunchKernel
  agg.on_launch(21, ApiKind::kernel_launch, kGemm, 0, {.outer = 20});  // its cuLaunchKernel
  agg.on_launch(22, ApiKind::kernel_launch, kGemm, 0);
  agg.on_activity(kernel(kGemm, 21, 0, 100));  // record carries the driver id
  agg.on_activity(kernel(kGemm, 22, 200, 300));
  const auto c = agg.counters();
  EXPECT_EQ(c.launches, 2u);
  EXPECT_EQ(c.kernels_kept, 1u);  // 20/21 was the skipped launch
  EXPECT_EQ(c.kernels_filtered, 1u);
  ASSERT_EQ(agg.runs().size(), 1u);
  EXPECT_EQ(agg.runs()[0].launches, 1);
}

// A call made inside another belongs to the outermost one, however deep; a
// stray exit (the collector started inside the call) does not unbalance it,
// and the outermost call's exit ends the nesting even if an inner exit never came.
TEST(ApiNesting, NestedCallsBelongToTheOutermost) {
  ApiNesting n;
  n.exit(5);  // its enter came before the collector started
  EXPECT_EQ(n.depth(), 0u);
  int asked = 0;
  auto captured = [&] {
    ++asked;
    return true;
  };
  EXPECT_TRUE(n.enter(10, captured).captured);
  const ApiCall inner = n.enter(11, captured);  // shares the outermost's answer, unasked
  EXPECT_EQ(inner.outer, 10u);
  EXPECT_TRUE(inner.captured);
  EXPECT_EQ(asked, 1);
  n.exit(11);
  n.exit(10);
  EXPECT_EQ(n.enter(20).outer, 0u);  // __cudaLaunchKernel
  EXPECT_EQ(n.enter(21).outer, 20u);  // a cudaLaunchKernel it makes
  EXPECT_EQ(n.enter(22).outer, 20u);  // cuLaunchKernel
  n.exit(22);
  n.exit(21);
  n.exit(20);
  EXPECT_EQ(n.enter(30).outer, 0u);  // the next launch stands alone
  n.exit(30);
  EXPECT_EQ(n.depth(), 0u);
  // An inner exit lost: the outermost call's exit still ends it, so the next
  // launch is not taken for a nested call (nor given a stale capture answer).
  EXPECT_TRUE(n.enter(40, captured).captured);
  n.enter(41);
  n.exit(40);
  EXPECT_EQ(n.depth(), 0u);
  const ApiCall next = n.enter(50, [] { return false; });
  EXPECT_EQ(next.outer, 0u);
  EXPECT_FALSE(next.captured);
  n.exit(50);
  // Lives in thread_local storage that CUPTI may use after the thread's TLS
  // destructors ran: it must have none.
  static_assert(std::is_trivially_destructible_v<ApiNesting>);
}

// Should CUPTI ever give a nested call the id of a call already in the list
// (the outermost's own), that entry keeps the operation's path and graph flag.
TEST(ProfileAggregator, ANestedCallReusingAnIdKeepsTheOperation) {
  ProfileAggregator agg({});
  agg.nvtx().push(3, "step");
  agg.on_launch(10, ApiKind::graph_launch, "", agg.nvtx().current(3));
  agg.on_launch(10, ApiKind::graph_launch, "", agg.nvtx().current(3), {.outer = 10});
  for (uint64_t t : {0u, 200u}) {
    auto rec = kernel_record(kGemm, 10, t, t + 100);
    rec.graphId = 3;
    agg.on_activity(decode_activity(&rec));
  }
  EXPECT_EQ(agg.counters().kernels_unattributed, 0u);
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].nvtx, "step");
  EXPECT_EQ(runs[0].launches, 2);
}

// If __cudaLaunchKernel made a nested runtime launch callback, a <<<>>>
// launch would otherwise be counted twice and take two --launch-skip slots.
TEST(ProfileAggregator, NestedRuntimeAndDriverCallsCountOnce) {
  ProfileAggregator agg({{}, 1, 1, {}});  // keep the second launch only
  for (uint32_t base : {10u, 20u}) {
    ApiNesting n;
    EXPECT_EQ(agg.on_launch(base, ApiKind::kernel_launch, kGemm, 0, n.enter(base)), base == 20);
    EXPECT_EQ(agg.on_launch(base + 1, ApiKind::kernel_launch, kGemm, 0, n.enter(base + 1)), base == 20);
    EXPECT_EQ(agg.on_launch(base + 2, ApiKind::kernel_launch, kGemm, 0, n.enter(base + 2)), base == 20);
  }
  EXPECT_EQ(agg.pending_calls(), 6u);
  agg.on_activity(kernel(kGemm, 12, 0, 100));  // records carry the driver ids
  agg.on_activity(kernel(kGemm, 21, 200, 300));  // or another of the calls'
  const auto c = agg.counters();
  EXPECT_EQ(c.launches, 2u);
  EXPECT_EQ(c.kernels_kept, 1u);
  EXPECT_EQ(c.kernels_filtered, 1u);
  EXPECT_EQ(c.kernels_unattributed, 0u);
  EXPECT_EQ(agg.pending_calls(), 0u);  // every call of both launches retired
  // A failed call retires its launch's calls too.
  agg.on_launch(30, ApiKind::graph_launch, "", 0);
  agg.on_launch(31, ApiKind::graph_launch, "", 0, {.outer = 30});
  agg.on_launch_failed(31);
  EXPECT_EQ(agg.pending_calls(), 0u);
}

// A launch into a stream under graph capture never runs: its kernels run,
// under the graph launch's correlation id, at each cudaGraphLaunch. With
// --launch-count 1 the graph's first kernel is the one kept (the captured
// launch took that slot, and waited forever for a record).
TEST(ProfileAggregator, CapturedLaunchesTakeNoSlotAndWaitForNothing) {
  ProfileAggregator agg({{}, 0, 1, {}});
  ApiNesting n;
  auto captured = [] { return true; };
  EXPECT_FALSE(agg.on_launch(10, ApiKind::kernel_launch, kGemm, 0, n.enter(10, captured)));  // <<<>>>
  EXPECT_FALSE(agg.on_launch(11, ApiKind::kernel_launch, kGemm, 0, n.enter(11, captured)));  // its driver call
  n.exit(11);
  n.exit(10);
  EXPECT_EQ(agg.pending_calls(), 0u);
  agg.on_launch(20, ApiKind::graph_launch, "", 0, n.enter(20, [] { return false; }));
  n.exit(20);
  auto rec = kernel_record(kGemm, 20, 0, 100);
  rec.graphId = 3;
  agg.on_activity(decode_activity(&rec));
  const auto c = agg.counters();
  EXPECT_EQ(c.launches, 1u);  // the graph launch
  EXPECT_EQ(c.launches_captured, 1u);
  EXPECT_EQ(c.kernels_kept, 1u);
  EXPECT_EQ(c.kernels_filtered, 0u);
  ASSERT_EQ(agg.runs().size(), 1u);
  EXPECT_EQ(agg.pending_calls(), 1u);  // the graph launch's, for its other kernels
}

namespace {

// The collector's launch/copy/memset callback (activity_collector.cpp, on_api)
// without CUPTI: the enter registers the call, nested calls sharing the
// outermost's capture answer; the exit of a failed outermost call retires it.
struct ApiCalls {
  explicit ApiCalls(ProfileAggregator& a) : agg(a) {}
  ProfileAggregator& agg;
  ApiNesting n;
  void enter(uint32_t id, ApiKind kind, PathId path, bool captured = false) {
    agg.on_launch(id, kind, "", path, n.enter(id, [&] { return captured; }));
  }
  void exit(uint32_t id, bool failed = false) {
    n.exit(id);
    if (failed && n.depth() == 0) agg.on_launch_failed(id);
  }
};

}  // namespace

// A copy or memset into a stream under graph capture becomes a graph node: no
// record of its own ever comes (the node runs under the graph launch's id), so
// it must leave nothing pending, however many captures are made. Copies
// outside the capture are still timed under their own ranges. This is the
// aggregator's half, given calls marked captured; that the collector marks
// copies (not only launches) comes from call_capture, whose stream reading
// session_test.cpp checks.
TEST(ProfileAggregator, CapturedCopiesAndMemsetsWaitForNothing) {
  ProfileAggregator agg({});
  NvtxTracker& t = agg.nvtx();
  ApiCalls calls(agg);
  t.push(1, "capture");
  uint32_t id = 1000;
  for (int step = 0; step < 1000; ++step) {  // a graph captured anew each step
    const uint32_t copy = id++, driver = id++, set = id++, sync = id++;
    calls.enter(copy, ApiKind::memcpy, t.current(1), true);  // cudaMemcpyAsync
    calls.enter(driver, ApiKind::memcpy, t.current(1));      // its cuMemcpyAsync: the outermost's answer
    calls.exit(driver);
    calls.exit(copy);
    calls.enter(set, ApiKind::memset, t.current(1), true);  // cudaMemsetAsync
    calls.exit(set);
    calls.enter(sync, ApiKind::memcpy, t.current(1), true);  // cudaMemcpy_ptds: refused in a capture
    calls.exit(sync, true);
  }
  t.pop(1);
  EXPECT_EQ(agg.pending_calls(), 0u);
  EXPECT_EQ(agg.counters().launches, 0u);
  EXPECT_EQ(agg.counters().launches_captured, 0u);  // copies are not launches

  // The graph's copy and memset run under its launch's id and range.
  t.push(1, "replay");
  calls.enter(20, ApiKind::graph_launch, t.current(1));
  calls.exit(20);
  t.pop(1);
  auto graph_copy = copy_record<CUpti_ActivityMemcpy6>(CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_MEMCPY_KIND_DTOD,
                                                       256, 0, 10, 20);
  graph_copy.graphId = 3;
  agg.on_activity(decode_activity(&graph_copy));
  auto graph_set = memset_record(64, 20, 25, 20);
  graph_set.graphId = 3;
  agg.on_activity(decode_activity(&graph_set));
  EXPECT_EQ(agg.pending_calls(), 1u);  // the graph launch's, for its other records

  // Copies outside any capture wait for their records and are timed as before.
  t.push(1, "load");
  calls.enter(30, ApiKind::memcpy, t.current(1));  // cudaMemcpyAsync
  calls.enter(31, ApiKind::memcpy, t.current(1));  // cuMemcpyHtoDAsync
  calls.exit(31);
  calls.exit(30);
  calls.enter(40, ApiKind::memset, t.current(1));
  calls.exit(40);
  t.pop(1);
  EXPECT_EQ(agg.pending_calls(), 4u);
  auto copy = copy_record<CUpti_ActivityMemcpy6>(CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_MEMCPY_KIND_HTOD, 4096,
                                                 100, 300, 31);
  copy.runtimeCorrelationId = 30;
  agg.on_activity(decode_activity(&copy));
  const auto set = memset_record(512, 400, 450, 40);
  agg.on_activity(decode_activity(&set));
  EXPECT_EQ(agg.pending_calls(), 1u);

  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 4u);
  const RunRecord* in_graph = find_run(runs, "memcpy_DtoD", "replay");
  const RunRecord* set_in_graph = find_run(runs, "memset", "replay");
  const RunRecord* loaded = find_run(runs, "memcpy_HtoD", "load");
  const RunRecord* set_loaded = find_run(runs, "memset", "load");
  ASSERT_TRUE(in_graph && set_in_graph && loaded && set_loaded);
  EXPECT_EQ(loaded->launches, 1);
  EXPECT_DOUBLE_EQ(loaded->model.bytes, 4096);
  EXPECT_NEAR(loaded->time_s.median, 200e-9, 1e-15);
  EXPECT_DOUBLE_EQ(set_loaded->model.bytes, 512);
  EXPECT_DOUBLE_EQ(in_graph->model.bytes, 256);
  EXPECT_EQ(agg.counters().memcpys, 2u);
  EXPECT_EQ(agg.counters().memsets, 2u);
}

// A copy whose outermost call fails ran nothing and leaves nothing pending; a
// nested call's failure retires nothing, since the call around it may retry
// and succeed, and the retry's record still finds the copy's range.
TEST(ProfileAggregator, AFailedCopyLeavesNothingPending) {
  ProfileAggregator agg({});
  NvtxTracker& t = agg.nvtx();
  ApiCalls calls(agg);
  t.push(1, "io");
  calls.enter(50, ApiKind::memcpy, t.current(1));  // cudaMemcpyAsync
  calls.enter(51, ApiKind::memcpy, t.current(1));  // cuMemcpyAsync
  calls.exit(51, true);
  EXPECT_EQ(agg.pending_calls(), 2u);  // inside the runtime call still
  calls.exit(50, true);
  EXPECT_EQ(agg.pending_calls(), 0u);
  calls.enter(55, ApiKind::memset, t.current(1));
  calls.exit(55, true);
  EXPECT_EQ(agg.pending_calls(), 0u);

  calls.enter(60, ApiKind::memcpy, t.current(1));
  calls.enter(61, ApiKind::memcpy, t.current(1));
  calls.exit(61, true);
  calls.enter(62, ApiKind::memcpy, t.current(1));  // the retry
  calls.exit(62);
  calls.exit(60);
  t.pop(1);
  auto m = copy_record<CUpti_ActivityMemcpy6>(CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_MEMCPY_KIND_DTOH, 128, 0, 50,
                                              62);
  m.runtimeCorrelationId = 60;
  agg.on_activity(decode_activity(&m));
  EXPECT_EQ(agg.pending_calls(), 0u);
  const auto runs = agg.runs();  // find_run points into it
  const RunRecord* copy = find_run(runs, "memcpy_DtoH", "io");
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->launches, 1);
}

TEST(ProfileAggregator, GraphKernelsShareTheLaunchPath) {
  ProfileAggregator agg({});
  agg.nvtx().push(3, "graph_step");
  agg.on_launch(30, ApiKind::graph_launch, "", agg.nvtx().current(3));
  agg.nvtx().pop(3);
  for (int i = 0; i < 3; ++i) {
    auto rec = kernel_record(kCopy, 30, 100 * i, 100 * i + 50);
    rec.graphId = 9;
    agg.on_activity(decode_activity(&rec));
  }
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].nvtx, "graph_step");
  EXPECT_EQ(runs[0].launches, 3);
  EXPECT_EQ(agg.counters().graph_kernels, 3u);
  EXPECT_EQ(agg.counters().kernels_unattributed, 0u);
}

// A CUDA-graph replay loop must not grow the pending launches without bound:
// the oldest graph launch is forgotten once kMultiRecordCallsKept newer ones exist.
TEST(ProfileAggregator, GraphLaunchesKeptAreBounded) {
  ProfileAggregator agg({});
  const uint32_t first = 100, last = first + uint32_t(ProfileAggregator::kMultiRecordCallsKept);
  for (uint32_t c = first; c <= last; ++c) agg.on_launch(c, ApiKind::graph_launch, "", 0);
  for (uint32_t c : {first, last, first + 1}) {  // forgotten, kept, kept (the oldest kept)
    auto rec = kernel_record(kCopy, c, 0, 50);
    rec.graphId = 9;
    agg.on_activity(decode_activity(&rec));
  }
  EXPECT_EQ(agg.counters().kernels, 3u);
  EXPECT_EQ(agg.counters().kernels_unattributed, 1u);
}

TEST(ProfileAggregator, FiltersRegexNvtxAndWindow) {
  LaunchFilterOptions f;
  f.kernel_regex = "gemm";
  f.nvtx_include = {"forward"};
  f.launch_skip = 1;
  f.launch_count = 2;
  ProfileAggregator agg(f);
  auto& t = agg.nvtx();
  uint32_t corr = 1;
  for (int step = 0; step < 3; ++step) {
    t.push(1, "forward");
    agg.on_launch(corr++, ApiKind::kernel_launch, kGemm, t.current(1));  // matches
    agg.on_launch(corr++, ApiKind::kernel_launch, kCopy, t.current(1));  // wrong name
    t.pop(1);
    t.push(1, "backward");
    agg.on_launch(corr++, ApiKind::kernel_launch, kGemm, t.current(1));  // wrong range
    t.pop(1);
  }
  for (uint32_t c = 1; c < corr; ++c) agg.on_activity(kernel(c % 3 == 2 ? kCopy : kGemm, c, c * 10, c * 10 + 5));
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].variant, "gemm_kernel");
  EXPECT_EQ(runs[0].nvtx, "forward");
  EXPECT_EQ(runs[0].launches, 2);  // launches 2 and 3 of 3 matching
  EXPECT_EQ(agg.counters().kernels_filtered, 7u);
}

// A launch that failed (nothing ran: an autotuner's refused probe) gives its
// place in --launch-count back: with a count of 1 it took the only place, and
// the kernels that ran were all filtered out (a reviewer's case). One that
// did not pass the name filter had taken none, and gives none back.
TEST(ProfileAggregator, AFailedLaunchUsesNoPlaceInTheCount) {
  LaunchFilterOptions f;
  f.kernel_regex = "gemm";
  f.launch_count = 1;
  ProfileAggregator agg(f);
  EXPECT_TRUE(agg.on_launch(1, ApiKind::kernel_launch, kGemm, 0));
  agg.on_launch_failed(1);
  EXPECT_FALSE(agg.on_launch(2, ApiKind::kernel_launch, kCopy, 0));
  agg.on_launch_failed(2);
  EXPECT_TRUE(agg.on_launch(3, ApiKind::kernel_launch, kGemm, 0)) << "the failed launch's place";
  EXPECT_FALSE(agg.on_launch(4, ApiKind::kernel_launch, kGemm, 0)) << "one place only";
  agg.on_activity(kernel(kGemm, 3, 0, 500));
  agg.on_activity(kernel(kGemm, 4, 600, 900));
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].launches, 1);
}

// skip + count overflowed int64 (UBSan: signed overflow) and wrapped negative:
// every launch after the skip was dropped. Any count after any skip now holds.
TEST(ProfileAggregator, LaunchWindowAtTheLimitsOfInt64) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  LaunchFilter all_after_one({"", 1, kMax, {}});
  EXPECT_FALSE(all_after_one.take_index());
  EXPECT_TRUE(all_after_one.take_index());
  EXPECT_TRUE(all_after_one.take_index());
  LaunchFilter far({"", kMax - 1, kMax, {}});
  EXPECT_FALSE(far.take_index());
  LaunchFilter one_after_two({"", 2, 1, {}});
  EXPECT_FALSE(one_after_two.take_index());
  EXPECT_FALSE(one_after_two.take_index());
  EXPECT_TRUE(one_after_two.take_index());
  EXPECT_FALSE(one_after_two.take_index());
}

TEST(ProfileAggregator, BadFiltersAreBadInput) {
  EXPECT_THROW(ProfileAggregator({"gemm(", 0, -1, {}}), Error);
  try {
    LaunchFilter f({"[", 0, -1, {}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    EXPECT_NE(std::string(e.what()).find("--kernel-regex"), std::string::npos);
  }
  EXPECT_THROW(LaunchFilter({"", -1, -1, {}}), Error);
  EXPECT_THROW(LaunchFilter({"", 0, 0, {}}), Error);
  // A path with an empty range name matches nothing: every kernel filtered out unsaid.
  for (const char* p : {"step/", "/step", "a//b", "/", "", "a\nb"})
    EXPECT_THROW(LaunchFilter({"", 0, -1, {p}}), Error) << p;
  EXPECT_NO_THROW(LaunchFilter({"", 0, -1, {"step/forward", "optimizer"}}));
}

// The name filter runs on the application's launching thread, whose stack may
// be small, and libstdc++'s regex recurses per character a loop consumes: a
// long template name must not overflow it (here: a 256 KiB thread, a 50 000-
// character name that overflowed an 8 MiB stack before).
TEST(ProfileAggregator, KernelRegexOnALongNameFromASmallStack) {
  struct Job {
    LaunchFilter filter{LaunchFilterOptions{"(a|b)*gemm", 0, -1, {}}};
    std::string name = std::string(50000, 'a') + "gemm";
    bool kept = false, other = true;
  } job;
  auto run = [](void* arg) -> void* {
    auto* j = static_cast<Job*>(arg);
    j->kept = j->filter.name_ok(j->name);
    j->other = j->filter.name_ok(std::string(100, 'b') + "gem");
    return nullptr;
  };
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 256 << 10), 0);
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, &attr, run, &job), 0);
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_TRUE(job.kept);
  EXPECT_FALSE(job.other);
}

TEST(ProfileAggregator, MemcpyMemsetUnmatchedIncompleteAndDropped) {
  ProfileAggregator agg({});
  agg.nvtx().push(1, "load");
  agg.on_launch(40, ApiKind::memcpy, "", agg.nvtx().current(1));  // runtime cudaMemcpy
  agg.on_launch(41, ApiKind::memset, "", agg.nvtx().current(1));
  agg.on_launch(42, ApiKind::kernel_launch, kGemm, 0);
  agg.on_launch_failed(42);  // the launch returned an error: no record will come
  // Correlation 77: the driver call, never seen by a callback.
  auto m = copy_record<CUpti_ActivityMemcpy6>(CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_MEMCPY_KIND_DTOH, 1000, 0,
                                              1000, 77);
  m.runtimeCorrelationId = 40;  // the runtime call we saw
  agg.on_activity(decode_activity(&m));
  const auto s = memset_record(64, 0, 10, 41);
  agg.on_activity(decode_activity(&s));
  agg.on_activity(kernel(kCopy, 999, 0, 10));   // no launch seen for it
  agg.on_activity(kernel(kCopy, 1000, 50, 0));  // flushed before it ended
  agg.on_activity(kernel(kCopy, 1001, 0, 0));   // CUPTI could not collect its timestamps
  agg.add_dropped(5);
  agg.add_dropped(2);
  const auto runs = agg.runs();
  const RunRecord* copy = find_run(runs, "memcpy_DtoH", "load");
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->name, "[memcpy DtoH]");
  EXPECT_DOUBLE_EQ(copy->model.bytes, 1000);
  ASSERT_NE(find_run(runs, "memset", "load"), nullptr);
  ASSERT_NE(find_run(runs, "copy", ""), nullptr);
  const auto c = agg.counters();
  EXPECT_EQ(c.kernels_unattributed, 3u);
  EXPECT_EQ(c.kernels_incomplete, 2u);  // neither shown with a zero duration
  EXPECT_EQ(find_run(runs, "copy", "")->launches, 1);
  EXPECT_EQ(c.dropped_records, 7u);
  EXPECT_EQ(c.memcpys, 1u);
  EXPECT_EQ(c.memsets, 1u);
}

// cupti_activity.h: start and end both 0 mean CUPTI could not collect the
// copy's timestamps (and a forced flush may hand over one still running). As
// for kernels, such a copy or memset is counted, not timed as 0 s, which
// pulled the row's median toward zero.
TEST(ProfileAggregator, CopiesWithoutTimestampsAreNotTimedAsZero) {
  ProfileAggregator agg({});
  agg.on_launch(1, ApiKind::memcpy, "", 0);
  agg.on_launch(2, ApiKind::memcpy, "", 0);
  agg.on_launch(3, ApiKind::memset, "", 0);
  agg.on_launch(4, ApiKind::memset, "", 0);
  const auto good = copy_record<CUpti_ActivityMemcpy6>(CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_MEMCPY_KIND_HTOD,
                                                       100, 1000, 2000, 1);
  const auto lost = copy_record<CUpti_ActivityMemcpy6>(CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_MEMCPY_KIND_HTOD,
                                                       100, 0, 0, 2);
  agg.on_activity(decode_activity(&good));
  agg.on_activity(decode_activity(&lost));
  const auto set_good = memset_record(64, 3000, 3500, 3);
  const auto set_lost = memset_record(64, 4000, 0, 4);  // flushed while running
  agg.on_activity(decode_activity(&set_good));
  agg.on_activity(decode_activity(&set_lost));
  const auto runs = agg.runs();
  const RunRecord* copy = find_run(runs, "memcpy_HtoD", "");
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->launches, 1);
  EXPECT_DOUBLE_EQ(copy->time_s.median, 1000e-9);
  const RunRecord* set = find_run(runs, "memset", "");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->launches, 1);
  EXPECT_DOUBLE_EQ(set->time_s.median, 500e-9);
  const auto c = agg.counters();
  EXPECT_EQ(c.copies_incomplete, 2u);
  EXPECT_EQ(c.memcpys, 2u);
  EXPECT_EQ(c.memsets, 2u);
  EXPECT_EQ(agg.pending_calls(), 0u);
  InjectStatus st;
  st.counters = c;
  EXPECT_EQ(parse_inject_status(to_text(st), "x").counters.copies_incomplete, 2u);
}

// cudaMemcpyPeer's copy comes as a MEMCPY2 record: it is timed under its
// range, and its calls (runtime and driver) wait for nothing afterwards.
TEST(ProfileAggregator, PeerToPeerCopies) {
  auto m = copy_record<CUpti_ActivityMemcpyPtoP4>(CUPTI_ACTIVITY_KIND_MEMCPY2, CUPTI_ACTIVITY_MEMCPY_KIND_PTOP, 4096,
                                                  100, 300, 51);  // the driver call's id
  m.deviceId = 1;
  m.srcDeviceId = 0;
  m.dstDeviceId = 1;
  const auto c = std::get<MemcpyActivity>(decode_activity(&m));
  EXPECT_EQ(c.kind, "PtoP");
  EXPECT_EQ(c.bytes, 4096u);
  EXPECT_EQ(c.start_ns, 100u);
  EXPECT_EQ(c.end_ns, 300u);
  EXPECT_EQ(c.device, 1u);
  EXPECT_EQ(c.correlation, 51u);
  EXPECT_EQ(c.runtime_correlation, 0u);

  ProfileAggregator agg({});
  agg.nvtx().push(1, "exchange");
  ApiNesting n;
  agg.on_launch(50, ApiKind::memcpy, "", agg.nvtx().current(1), n.enter(50));  // cudaMemcpyPeer
  agg.on_launch(51, ApiKind::memcpy, "", agg.nvtx().current(1), n.enter(51));  // cuMemcpyPeer
  agg.on_activity(decode_activity(&m));
  const auto runs = agg.runs();
  const RunRecord* copy = find_run(runs, "memcpy_PtoP", "exchange");
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->name, "[memcpy PtoP]");
  EXPECT_DOUBLE_EQ(copy->model.bytes, 4096);
  EXPECT_EQ(copy->shape, (Shape{{"device", 1}}));
  EXPECT_EQ(agg.pending_calls(), 0u);
}

// A batch copy is one call (a runtime call and the driver call inside it), and
// CUDA may make a record per copy under its ids: each copy keeps the NVTX path
// of the call, and the call's entry stays (bounded) for the others.
TEST(ProfileAggregator, EveryCopyOfABatchCallTakesItsPath) {
  ProfileAggregator agg({});
  ApiNesting n;
  agg.nvtx().push(1, "prefetch");
  agg.on_launch(60, ApiKind::memcpy_batch, "", agg.nvtx().current(1), n.enter(60));  // cudaMemcpyBatchAsync
  agg.on_launch(61, ApiKind::memcpy_batch, "", agg.nvtx().current(1), n.enter(61));  // its cuMemcpyBatchAsync
  n.exit(61);
  n.exit(60);
  agg.nvtx().pop(1);
  for (uint64_t i = 0; i < 3; ++i) {
    auto copy = copy_record<CUpti_ActivityMemcpy6>(CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_MEMCPY_KIND_HTOD, 1024,
                                                   100 * i, 100 * i + 50, 61);
    copy.runtimeCorrelationId = 60;
    agg.on_activity(decode_activity(&copy));
  }
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 1u);
  const RunRecord* copies = find_run(runs, "memcpy_HtoD", "prefetch");
  ASSERT_NE(copies, nullptr);
  EXPECT_EQ(copies->launches, 3);
  EXPECT_EQ(agg.pending_calls(), 2u);  // the call's two ids, for further copies
  // A plain copy's entry still goes with its one record.
  agg.on_launch(70, ApiKind::memcpy, "", 0);
  const auto one = copy_record<CUpti_ActivityMemcpy6>(CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_MEMCPY_KIND_DTOH, 8,
                                                      0, 10, 70);
  agg.on_activity(decode_activity(&one));
  EXPECT_EQ(agg.pending_calls(), 2u);
}

TEST(ProfileAggregator, SamplesAreCappedButStatsUseEveryLaunch) {
  ProfileAggregator agg({});
  const uint32_t n = uint32_t(kMaxProfileSamples) * 3;
  for (uint32_t i = 1; i <= n; ++i) {
    agg.on_launch(i, ApiKind::kernel_launch, kGemm, 0);
    agg.on_activity(kernel(kGemm, i, 0, i));  // durations 1..n ns
  }
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].launches, int64_t(n));
  EXPECT_EQ(runs[0].time_s.samples.size(), kMaxProfileSamples);
  // Past LaunchTimes::kExactLaunches in 0.1% buckets: the median within
  // one, the total (the samples' mean x launches) every launch's.
  EXPECT_NEAR(runs[0].time_s.median, (n + 1) / 2.0 * 1e-9, (n + 1) / 2.0 * 1e-9 * LaunchTimes::kBucketWidth);
  EXPECT_NEAR(profile_total_s(runs[0]), n * (n + 1) / 2.0 * 1e-9, n * (n + 1) / 2.0 * 1e-9 * 1e-9);
  // Every third launch 9 ns, the others 1 ns: every third kept (the stride of
  // old) kept no slow one, and read the total as n ns, not 11n/3; the spread
  // keeps the mix.
  ProfileAggregator mixed({});
  for (uint32_t i = 1; i <= n; ++i) {
    mixed.on_launch(i, ApiKind::kernel_launch, kGemm, 0);
    mixed.on_activity(kernel(kGemm, i, 0, i % 3 == 0 ? 9 : 1));
  }
  EXPECT_NEAR(profile_total_s(mixed.runs()[0]), n * 11e-9 / 3, n * 11e-9 / 3 * 0.01);
}

TEST(ProfileAggregator, SameShortNameGetsStableDistinctIds) {
  // Two instances of one template: the same short name in the same range.
  const char* add = "_Z6reduceILi1EEvPf";  // void reduce<1>(float*)
  const char* mul = "_Z6reduceILi2EEvPf";  // void reduce<2>(float*)
  ProfileAggregator agg({});
  agg.on_launch(1, ApiKind::kernel_launch, add, 0);
  agg.on_launch(2, ApiKind::kernel_launch, mul, 0);
  agg.on_launch(3, ApiKind::kernel_launch, kCopy, 0);
  agg.on_activity(kernel(add, 1, 0, 10));
  agg.on_activity(kernel(mul, 2, 0, 20));
  agg.on_activity(kernel(kCopy, 3, 0, 30));
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 3u);
  std::set<std::string> ids;
  for (const auto& r : runs) ids.insert(r.id);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.count("app.copy.fp32"));  // unique names keep the plain id
  int reduces = 0;
  for (const auto& r : runs) {
    if (r.name.find("reduce") != std::string::npos) {
      ++reduces;
      EXPECT_EQ(r.variant.rfind("reduce~", 0), 0u) << r.variant;
    }
  }
  EXPECT_EQ(reduces, 2);
  // Stable: the same input gives the same ids.
  ProfileAggregator again({});
  again.on_launch(1, ApiKind::kernel_launch, mul, 0);
  again.on_launch(2, ApiKind::kernel_launch, add, 0);
  again.on_activity(kernel(mul, 1, 0, 20));
  again.on_activity(kernel(add, 2, 0, 10));
  std::set<std::string> ids2;
  for (const auto& r : again.runs()) ids2.insert(r.id);
  ids.erase("app.copy.fp32");
  EXPECT_EQ(ids, ids2);
}

// Two full names whose 6-digit suffixes agree (FNV-1a's low 24 bits) get 16
// digits instead: they shared an id, and the results file refused them as one
// run twice. A third name of the group keeps its 6.
TEST(ProfileAggregator, CollidingSuffixesWiden) {
  std::vector<RunRecord> runs(3);
  const char* names[] = {"void k<41819>(float*)", "void k<58822>(float*)", "void k<7>(float*)"};
  for (size_t i = 0; i < 3; ++i) {
    runs[i].family = "app";
    runs[i].variant = "k";
    runs[i].dtype = "fp32";
    runs[i].id = "app.k.fp32";
    runs[i].name = names[i];
  }
  disambiguate_profile_ids(runs);
  EXPECT_FALSE(first_repeated_run(runs)) << runs[0].id;
  EXPECT_EQ(runs[0].variant.size(), std::string("k~").size() + 16) << runs[0].variant;
  EXPECT_EQ(runs[1].variant.size(), std::string("k~").size() + 16) << runs[1].variant;
  EXPECT_EQ(runs[2].variant.size(), std::string("k~").size() + 6) << runs[2].variant;
  EXPECT_EQ(runs[0].id, "app." + runs[0].variant + ".fp32");
}

TEST(ProfileAggregator, CountersAttachBeforeOrAfterTheRecord) {
  auto hw = [](double flops, double dram) {
    HwCounters h;
    h.flops_total = flops;
    h.flops_by_pipe["fp32"] = flops;
    h.dram_read_bytes = dram;
    h.dram_write_bytes = dram;
    h.sm_clock_hz = 1.5e9;
    h.metrics["sm__sass_thread_inst_executed_op_ffma_pred_on.sum"] = flops / 2;
    h.metrics["sm__cycles_elapsed.avg.per_second"] = 1.5e9;
    return h;
  };
  ProfileAggregator agg({});
  // Launch 1: counters arrive before the kernel record (the usual order).
  EXPECT_TRUE(agg.on_launch(1, ApiKind::kernel_launch, kGemm, 0));
  agg.expect_counters(1);
  agg.on_counters(1, hw(1000, 100));
  // Launch 2: a runtime launch whose record carries its driver call's id, and
  // whose counters come after the record.
  EXPECT_TRUE(agg.on_launch(2, ApiKind::kernel_launch, kGemm, 0));
  EXPECT_TRUE(agg.on_launch(3, ApiKind::kernel_launch, kGemm, 0, {.outer = 2}));
  agg.expect_counters(2);
  agg.on_activity(kernel(kGemm, 1, 0, 100));
  agg.on_activity(kernel(kGemm, 3, 200, 300));
  agg.on_counters(2, hw(3000, 300));
  // Launch 4: not profiled.
  agg.on_launch(4, ApiKind::kernel_launch, kGemm, 0);
  agg.on_activity(kernel(kGemm, 4, 400, 500));
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_TRUE(runs[0].hw.has_value());
  EXPECT_EQ(runs[0].launches, 3);
  EXPECT_DOUBLE_EQ(*runs[0].hw->flops_total, 2000);  // mean over the 2 profiled launches
  EXPECT_EQ(runs[0].hw->launches, 2) << "and says they were 2 of 3";
  EXPECT_DOUBLE_EQ(runs[0].hw->flops_by_pipe.at("fp32"), 2000);
  EXPECT_DOUBLE_EQ(*runs[0].hw->dram_bytes(), 400);
  EXPECT_DOUBLE_EQ(*runs[0].hw->sm_clock_hz, 1.5e9);
  EXPECT_DOUBLE_EQ(runs[0].hw->metrics.at("sm__sass_thread_inst_executed_op_ffma_pred_on.sum"), 1000);
  EXPECT_DOUBLE_EQ(runs[0].hw->metrics.at("sm__cycles_elapsed.avg.per_second"), 1.5e9);
  // Derived figures against a peak: 2000 FLOP in a 100 ns median.
  RunRecord r = runs[0];
  PeakTable peaks;
  peaks.flops_per_s["fp32"] = 40e12;
  peaks.dram_bytes_per_s = 4e12;
  compute_profile_derived(r, peaks);
  EXPECT_NEAR(*r.derived.tflops_hw, 2000 / 100e-9 / 1e12, 1e-9);
  EXPECT_NEAR(*r.derived.hfu, 2000 / 100e-9 / 40e12, 1e-12);
  EXPECT_DOUBLE_EQ(*r.derived.ai_dram_hw, 5.0);
  EXPECT_EQ(r.derived.bound, "memory");
  // Its % of roof too (it read 0): 2e10 FLOP/s against 5 FLOP/B x 4 TB/s.
  EXPECT_NEAR(r.derived.pct_of_roof, 100 * (2000 / 100e-9) / (5 * 4e12), 1e-9);
}

// A kernel whose name says no type (cuBLAS's nvjet_*) was judged against the
// FP32 peak though its counters put the work on the BF16 tensor pipe (HFU
// 1003%): with counters, the pipe that did most of the FLOPs is its precision.
TEST(ProfileAggregator, CountersChooseThePrecisionTheNameCannot) {
  const char* nvjet = "nvjet_tst_128x256_64x4_2x1_v_bz_coopA_NNT";
  ProfileAggregator agg({});
  agg.on_launch(1, ApiKind::kernel_launch, nvjet, 0);
  agg.expect_counters(1);
  HwCounters h;
  h.flops_total = 1000;
  h.flops_by_pipe = {{"bf16_tensor", 990}, {"fp32", 10}};
  agg.on_counters(1, h);
  agg.on_activity(kernel(nvjet, 1, 0, 100));
  agg.on_launch(2, ApiKind::kernel_launch, "other_kernel", 0);  // no counters: the name's guess
  agg.on_activity(kernel("other_kernel", 2, 0, 100));
  std::map<std::string, RunRecord> by_variant;
  for (const RunRecord& r : agg.runs()) by_variant[r.variant] = r;
  ASSERT_EQ(by_variant.size(), 2u);
  EXPECT_EQ(by_variant.at(nvjet).precision, "bf16_tensor");
  EXPECT_EQ(by_variant.at(nvjet).dtype, "unknown");  // the id stays the name's
  EXPECT_EQ(by_variant.at("other_kernel").precision, "fp32");
  EXPECT_FALSE(dominant_precision(HwCounters{}).has_value());
}

// A profiled launch whose counters will not come (its call failed, or another
// thread's launch shared its window) stops waiting, record first or record
// after; a stray later delivery under its id then attaches to nothing.
TEST(ProfileAggregator, DroppedCountersStopWaiting) {
  ProfileAggregator agg({});
  HwCounters h;
  h.flops_total = 7;
  // Record first, then the drop.
  EXPECT_TRUE(agg.on_launch(1, ApiKind::kernel_launch, kGemm, 0));
  agg.expect_counters(1);
  agg.on_activity(kernel(kGemm, 1, 0, 100));
  agg.counters_dropped(1);
  agg.on_counters(1, h);
  // Drop first, then the record.
  EXPECT_TRUE(agg.on_launch(2, ApiKind::kernel_launch, kGemm, 0));
  agg.expect_counters(2);
  agg.counters_dropped(2);
  agg.on_activity(kernel(kGemm, 2, 200, 300));
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].launches, 2);
  EXPECT_FALSE(runs[0].hw.has_value());  // timed only
}

// Counters come at the launch call's exit, usually before the kernel's
// record. A record without an end time, whose counters cannot time it either
// (no gpu__time_duration), joins no run, so its counters must not wait for
// one for the rest of the process.
TEST(ProfileAggregator, CountersOfAnIncompleteKernelDoNotLinger) {
  ProfileAggregator agg({});
  HwCounters h;
  h.flops_total = 7;
  for (uint32_t id : {1u, 3u}) {
    EXPECT_TRUE(agg.on_launch(id, ApiKind::kernel_launch, kGemm, 0));
    if (id == 3) {
      EXPECT_TRUE(agg.on_launch(4, ApiKind::kernel_launch, kGemm, 0, {.outer = 3}));
    }
    agg.expect_counters(id);
    agg.on_counters(id, h);
  }
  EXPECT_EQ(agg.unpaired_counters(), 2u);
  agg.on_activity(kernel(kGemm, 1, 0, 0));    // no timestamps
  agg.on_activity(kernel(kGemm, 4, 500, 0));  // the driver call's id; flushed while running
  EXPECT_EQ(agg.unpaired_counters(), 0u);
  EXPECT_EQ(agg.counters().kernels_incomplete, 2u);
  EXPECT_TRUE(agg.runs().empty());
}

// The range profiler replays a profiled launch, and CUPTI 13.0 then gives its
// kernel record no timestamps (seen on an H200: bench/results/h200/2026-11-30,
// where every profiled kernel was left out for it). Such a launch is timed by
// its counters' gpu__time_duration, whichever comes first; without counters,
// or counters without that duration, it stays incomplete.
TEST(ProfileAggregator, ReplayedKernelsAreTimedByTheirCounters) {
  auto timed = [](double seconds) {
    HwCounters h;
    h.flops_total = 10;
    h.duration_s = seconds;
    return h;
  };
  ProfileAggregator agg({});
  // Launch 1: counters first, then a record without timestamps.
  EXPECT_TRUE(agg.on_launch(1, ApiKind::kernel_launch, kGemm, 0));
  agg.expect_counters(1);
  agg.on_counters(1, timed(2e-6));
  agg.on_activity(kernel(kGemm, 1, 0, 0));
  // Launch 2 (its driver call 3 inside): the record, under the driver call's
  // id, before the counters, which come under the runtime call's.
  EXPECT_TRUE(agg.on_launch(2, ApiKind::kernel_launch, kGemm, 0));
  EXPECT_TRUE(agg.on_launch(3, ApiKind::kernel_launch, kGemm, 0, {.outer = 2}));
  agg.expect_counters(2);
  agg.on_activity(kernel(kGemm, 3, 0, 0));
  EXPECT_EQ(agg.counters().kernels_incomplete, 1u) << "waiting for its duration";
  agg.on_counters(2, timed(4e-6));
  EXPECT_EQ(agg.counters().kernels_incomplete, 0u);
  // Launch 4: profiled, but its counters were dropped.
  EXPECT_TRUE(agg.on_launch(4, ApiKind::kernel_launch, kGemm, 0));
  agg.expect_counters(4);
  agg.on_activity(kernel(kGemm, 4, 0, 0));
  agg.counters_dropped(4);
  // Launch 5: profiled; its counters have no duration.
  EXPECT_TRUE(agg.on_launch(5, ApiKind::kernel_launch, kGemm, 0));
  agg.expect_counters(5);
  HwCounters untimed_counters;
  untimed_counters.flops_total = 10;
  agg.on_counters(5, untimed_counters);
  agg.on_activity(kernel(kGemm, 5, 0, 0));
  // Launch 6: not profiled, no timestamps.
  agg.on_launch(6, ApiKind::kernel_launch, kGemm, 0);
  agg.on_activity(kernel(kGemm, 6, 0, 0));
  // Launch 7: a timed record of a profiled launch keeps its own timestamps.
  EXPECT_TRUE(agg.on_launch(7, ApiKind::kernel_launch, kGemm, 0));
  agg.expect_counters(7);
  agg.on_counters(7, timed(1.0));
  agg.on_activity(kernel(kGemm, 7, 1000, 4000));

  const ProfileCounters c = agg.counters();
  EXPECT_EQ(c.kernels_kept, 3u);
  EXPECT_EQ(c.kernels_timed_by_counters, 2u);
  EXPECT_EQ(c.kernels_incomplete, 3u);
  EXPECT_EQ(agg.unpaired_counters(), 0u);
  const auto runs = agg.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].launches, 3);
  const std::vector<double> want{2e-6, 4e-6, 3e-6};  // in the order each duration became known
  ASSERT_EQ(runs[0].time_s.samples.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(runs[0].time_s.samples[i], want[i], 1e-15) << i;
  ASSERT_TRUE(runs[0].hw.has_value());
  EXPECT_EQ(runs[0].hw->launches, 3);
}

// A profiled launch's counters are folded into running sums as they come,
// not kept one HwCounters per launch for the process's lifetime; the mean is
// mean_counters()'s, exactly, launches lacking a quantity included (each
// quantity is the mean over the launches that have it; the pipes over the
// launches with a FLOP total, a pipe one lacks counted 0, so that they add up
// to the mean total).
TEST(ProfileAggregator, CounterSumsEqualTheMeanOfEveryLaunch) {
  std::vector<HwCounters> launches(5);
  for (size_t i = 0; i < launches.size(); ++i) {
    HwCounters& h = launches[i];
    h.flops_total = 1000.0 / double(i + 3);
    h.flops_by_pipe["fp32"] = *h.flops_total - (i % 2 == 0 ? 0.1 * double(i) : 0);
    if (i % 2 == 0) h.flops_by_pipe["bf16_tensor"] = 0.1 * double(i);
    if (i != 1) h.dram_read_bytes = 77.7 * double(i);
    h.duration_s = 1e-6 * double(i + 1);
    if (i != 3) h.sm_clock_hz = 1.4e9 + 1e7 * double(i);
    h.metrics["gpu__time_duration.sum"] = 1000.0 * double(i + 1);
    if (i != 2) h.metrics["sm__cycles_elapsed.avg.per_second"] = 1.4e9 + 3e6 * double(i);
  }
  HwCounterSum sum;
  for (const HwCounters& h : launches) sum.add(h);
  EXPECT_EQ(sum.launches(), 5u);
  const HwCounters a = sum.mean(), b = mean_counters(launches);
  EXPECT_EQ(a.flops_total, b.flops_total);
  EXPECT_EQ(a.flops_by_pipe, b.flops_by_pipe);
  EXPECT_EQ(a.dram_read_bytes, b.dram_read_bytes);
  EXPECT_EQ(a.dram_write_bytes, b.dram_write_bytes);
  EXPECT_FALSE(a.dram_write_bytes.has_value());
  EXPECT_EQ(a.duration_s, b.duration_s);
  EXPECT_EQ(a.sm_clock_hz, b.sm_clock_hz);
  EXPECT_EQ(a.metrics, b.metrics);
  EXPECT_DOUBLE_EQ(*a.dram_read_bytes, 77.7 * (0 + 2 + 3 + 4) / 4);  // launch 1 read none
  EXPECT_DOUBLE_EQ(a.flops_by_pipe.at("bf16_tensor"), 0.1 * (0 + 2 + 4) / 5);
  EXPECT_DOUBLE_EQ(a.flops_by_pipe.at("fp32") + a.flops_by_pipe.at("bf16_tensor"), *a.flops_total);
  EXPECT_FALSE(HwCounterSum().mean().flops_total.has_value());
  // A launch with a pipe left out as unreadable has no total: its other pipes
  // stay out of the means too, which then still add up to the total.
  HwCounters partial;
  partial.flops_by_pipe["fp32"] = 1e6;
  launches.push_back(partial);
  HwCounterSum with_partial;
  for (const HwCounters& h : launches) with_partial.add(h);
  const HwCounters c = with_partial.mean(), d = mean_counters(launches);
  EXPECT_EQ(c.flops_by_pipe, d.flops_by_pipe);
  EXPECT_EQ(c.flops_total, a.flops_total);
  EXPECT_EQ(c.flops_by_pipe, a.flops_by_pipe);
  // With no total anywhere, each pipe is the mean over the launches that have it.
  HwCounterSum only_partial;
  only_partial.add(partial);
  only_partial.add(HwCounters{});
  EXPECT_DOUBLE_EQ(only_partial.mean().flops_by_pipe.at("fp32"), 1e6);
}

TEST(ProfileAggregator, DeviceFromDeviceRecord) {
  ProfileAggregator agg({});
  EXPECT_FALSE(agg.device().has_value());
  CUpti_ActivityDevice5 d;
  std::memset(&d, 0, sizeof d);
  d.kind = CUPTI_ACTIVITY_KIND_DEVICE;
  d.name = "NVIDIA H200";
  d.computeCapabilityMajor = 9;
  d.numMultiprocessors = 132;
  agg.on_activity(decode_activity(&d));
  ASSERT_TRUE(agg.device().has_value());
  EXPECT_EQ(agg.device()->name, "NVIDIA H200");
  EXPECT_EQ(agg.device()->sm_count, 132);
}

// A fork() child (a DataLoader worker) inherits the collector but not the
// parent's other threads, one of which may have held the collector's mutex:
// its callbacks must know it is a child and return before taking any lock.
TEST(ActivityCollector, KnowsAForkChild) {
  watch_fork();
  watch_fork();  // once is enough
  EXPECT_FALSE(in_fork_child());
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(in_fork_child() ? 0 : 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(in_fork_child());
}

// ---------------------------------------------------- status, merge, judgment

// Every counter is written, read back and summed, under the keys status files
// already carry (a renamed key would read as an unknown one, silently 0).
TEST(InjectStatus, EveryCounterRoundTripsAndSums) {
  InjectStatus s;
  uint64_t v = 1;
  for (const auto& [name, field] : kProfileCounterFields) s.counters.*field = v++;
  const std::string text = to_text(s);
  EXPECT_NE(text.find("\nlaunches 1\nlaunches_captured 2\nkernels 3\nkernels_kept 4\nkernels_filtered 5\n"
                      "kernels_unattributed 6\nkernels_incomplete 7\nkernels_timed_by_counters 8\n"
                      "copies_incomplete 9\ngraph_kernels 10\nmemcpys 11\nmemsets 12\ndropped_records 13\n"
                      "buffers_cut_short 14\nnvtx_ranges 15\nnvtx_unmatched 16\n"),
            std::string::npos)
      << text;
  ProfileCounters sum = parse_inject_status(text, "x.status").counters;
  sum += s.counters;
  v = 1;
  for (const auto& [name, field] : kProfileCounterFields) EXPECT_EQ(sum.*field, 2 * v++) << name;
}

TEST(InjectStatus, RoundTripAndErrors) {
  InjectStatus s;
  s.pid = 4242;
  s.exe = "/usr/bin/python3.12";
  s.state = "signal 15";
  s.cupti_result = 39;
  s.cupti_call = "cuptiSubscribe_v2";
  s.cupti_detail = "CUPTI for Nsight Systems";
  s.counters.kernels = 10;
  s.counters.dropped_records = 3;
  s.counters.kernels_incomplete = 1;
  s.counters.kernels_timed_by_counters = 5;
  s.counters_note = "counters off, timing only: MIG";
  s.counters_fatal = true;
  s.counters_launches = 12;
  s.cupti_library = "/opt/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcupti.so.13";
  s.cupti_version = 130000;
  const InjectStatus r = parse_inject_status(to_text(s), "x.status");
  EXPECT_EQ(r.cupti_library, s.cupti_library);
  EXPECT_EQ(r.cupti_version, 130000u);
  EXPECT_EQ(r.counters_note, s.counters_note);
  EXPECT_TRUE(r.counters_fatal);
  EXPECT_EQ(r.counters_launches, 12u);
  EXPECT_EQ(r.pid, 4242);
  EXPECT_EQ(r.exe, s.exe);
  EXPECT_EQ(r.state, "signal 15");
  EXPECT_EQ(r.cupti_result, 39);
  EXPECT_EQ(r.cupti_detail, s.cupti_detail);
  EXPECT_EQ(r.counters.kernels, 10u);
  EXPECT_EQ(r.counters.dropped_records, 3u);
  EXPECT_EQ(r.counters.kernels_incomplete, 1u);
  EXPECT_EQ(r.counters.kernels_timed_by_counters, 5u);
  EXPECT_THROW(parse_inject_status("hello\n", "x"), Error);
  EXPECT_THROW(parse_inject_status("flopscope-inject-status 1\nkernels ten\n", "x"), Error);
  EXPECT_THROW(parse_inject_status("", "x"), Error);
  // Unknown keys (a newer writer) are skipped; missing ones (an older writer) keep their defaults.
  EXPECT_EQ(parse_inject_status("flopscope-inject-status 1\nfuture 1\npid 7\n", "x").pid, 7);
  const InjectStatus old = parse_inject_status("flopscope-inject-status 1\npid 7\nstate exit\n", "x");
  EXPECT_EQ(old.cupti_library, "");
  EXPECT_EQ(old.cupti_version, 0u);
}

// Found by collector_fuzz_test: strtoull read "-1" as 2^64 - 1, skipped
// leading blanks and saturated on overflow, and int() wrapped the pid.
TEST(InjectStatus, NumbersAreDigitsWithinTheirField) {
  const std::string head = "flopscope-inject-status 1\n";
  EXPECT_EQ(parse_inject_status(head + "pid 2147483647\nkernels 18446744073709551615\n", "x").counters.kernels,
            UINT64_MAX);
  for (const char* line : {"kernels -1", "kernels  1", "kernels +1", "kernels 18446744073709551616", "kernels 1e3",
                           "pid 2147483648", "cupti_result -5", "launches ", "cupti_version 4294967296"}) {
    try {
      parse_inject_status(head + line + "\n", "x.status");
      ADD_FAILURE() << "accepted: " << line;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("x.status:2: '"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("needs a whole number from 0 to"), std::string::npos) << e.what();
    }
  }
}

TEST(ProfileMerge, ProcessesPoolByNamePathAndDevice) {
  auto make = [](uint32_t device, std::vector<uint64_t> durations) {
    ProfileAggregator agg({});
    uint32_t corr = 1;
    for (uint64_t d : durations) {
      agg.on_launch(corr, ApiKind::kernel_launch, kGemm, 0);
      agg.on_activity(kernel(kGemm, corr++, 0, d, device));
    }
    ResultsDoc doc = new_results_doc();
    doc.runs = agg.runs();
    return doc;
  };
  const ResultsDoc merged = merge_profile_docs({make(0, {100, 300}), make(0, {200}), make(1, {1000})});
  ASSERT_EQ(merged.runs.size(), 2u);
  const RunRecord& d1 = merged.runs[0];  // heaviest: 1000 ns on device 1
  EXPECT_EQ(d1.shape, (Shape{{"device", 1}}));
  const RunRecord& d0 = merged.runs[1];
  EXPECT_EQ(d0.launches, 3);
  EXPECT_NEAR(d0.time_s.median, 200e-9, 1e-15);
  EXPECT_EQ(d0.time_s.samples.size(), 3u);
}

// A process that kept share means of its launches has each sample stand for
// launches / samples of them: 5000 launches of 10 us and 10 of 5 ms, merged,
// take 100 ms in all (the samples pooled as equals read 275 ms), and their
// median is 10 us.
TEST(ProfileMerge, SharesStandForTheirLaunches) {
  auto make = [](uint32_t n, uint64_t ns) {
    ProfileAggregator agg({});
    for (uint32_t corr = 1; corr <= n; ++corr) {
      agg.on_launch(corr, ApiKind::kernel_launch, kGemm, 0);
      agg.on_activity(kernel(kGemm, corr, 0, ns));
    }
    ResultsDoc doc = new_results_doc();
    doc.runs = agg.runs();
    return doc;
  };
  const ResultsDoc many = make(5000, 10'000), few = make(10, 5'000'000);
  for (const auto& docs : {std::vector<ResultsDoc>{many, few}, std::vector<ResultsDoc>{few, many}}) {
    const ResultsDoc merged = merge_profile_docs(docs);
    ASSERT_EQ(merged.runs.size(), 1u);
    const RunRecord& r = merged.runs[0];
    EXPECT_EQ(r.launches, 5010);
    EXPECT_NEAR(profile_total_s(r), 0.1, 0.1 * 1e-9);
    EXPECT_NEAR(r.time_s.median, 10e-6, 1e-12);
    EXPECT_NEAR(r.time_s.p90, 10e-6, 1e-12);
    EXPECT_EQ(r.time_s.samples.size(), kMaxProfileSamples);
    // A third process merges on top, its samples again standing for their launches.
    const ResultsDoc three = merge_profile_docs({merged, make(990, 20'000)});
    EXPECT_EQ(three.runs[0].launches, 6000);
    EXPECT_NEAR(profile_total_s(three.runs[0]), 0.1 + 990 * 20e-6, 1e-9);
  }
}

// Operations shorter than the clock's resolution last 0: merged, pooled or
// weighted, the median is raised to 1 ns, as one process's is (a median of 0
// made a file no command reads).
TEST(ProfileMerge, ZeroLengthOperationsKeepAPositiveMedian) {
  auto make = [](uint32_t n) {
    ProfileAggregator agg({});
    for (uint32_t corr = 1; corr <= n; ++corr) {
      agg.on_launch(corr, ApiKind::kernel_launch, kGemm, 0);
      agg.on_activity(kernel(kGemm, corr, 5, 5));
    }
    ResultsDoc doc = new_results_doc();
    doc.runs = agg.runs();
    return doc;
  };
  for (uint32_t first : {20u, 2000u}) {
    const ResultsDoc merged = merge_profile_docs({make(first), make(5)});
    ASSERT_EQ(merged.runs.size(), 1u);
    EXPECT_DOUBLE_EQ(merged.runs[0].time_s.median, 1e-9) << first;
    EXPECT_NO_THROW(parse_results(to_json_text(merged), "merged.json")) << first;
  }
}

// Each process makes its own ids unique; two template instances of one short
// name, each alone in its process, both kept the bare name, and the merged
// file was refused as holding one run twice. Merged, they are told apart,
// and a process holding both (already suffixed) merges with them.
TEST(ProfileMerge, IdsAreMadeUniqueOverTheMergedRuns) {
  const char* k4 = "_Z3fooILi4EEvPf";  // void foo<4>(float*)
  const char* k8 = "_Z3fooILi8EEvPf";  // void foo<8>(float*)
  auto make = [](std::vector<const char*> kernels) {
    ProfileAggregator agg({});
    uint32_t corr = 1;
    for (const char* k : kernels) {
      agg.on_launch(corr, ApiKind::kernel_launch, k, 0);
      agg.on_activity(kernel(k, corr++, 0, 100));
    }
    ResultsDoc doc = new_results_doc();
    doc.runs = agg.runs();
    return doc;
  };
  const ResultsDoc a = make({k4}), b = make({k8}), both = make({k4, k8});
  ASSERT_EQ(a.runs[0].id, b.runs[0].id);  // each alone: the bare short name
  for (const auto& docs : {std::vector<ResultsDoc>{a, b}, {a, b, both}, {both, a}}) {
    const ResultsDoc merged = merge_profile_docs(docs);
    EXPECT_FALSE(first_repeated_run(merged.runs)) << merged.runs[0].id;
    EXPECT_NO_THROW(parse_results(to_json_text(merged), "merged.json"));
  }
  const ResultsDoc merged = merge_profile_docs({a, b});
  ASSERT_EQ(merged.runs.size(), 2u);
  EXPECT_NE(merged.runs[0].id, merged.runs[1].id);
  // The same ids as one process that ran both.
  std::set<std::string> merged_ids{merged.runs[0].id, merged.runs[1].id}, one_ids{both.runs[0].id, both.runs[1].id};
  EXPECT_EQ(merged_ids, one_ids);
  // Alone after merging, a kernel keeps its bare name.
  EXPECT_EQ(merge_profile_docs({both}).runs.size(), 2u);
  EXPECT_EQ(merge_profile_docs({a, a}).runs[0].id, a.runs[0].id);
}

TEST(ProfileMerge, CountersAreWeightedByEachProcesssLaunches) {
  // Per launch: one process ran the kernel once at 100 FLOPs, another 3 times
  // at 200; the merged per-launch mean is (100 + 3 * 200) / 4, not 150.
  auto doc = [](int64_t launches, double flops, double clock_hz, double ratio) {
    RunRecord r;
    r.id = r.name = "k";
    r.family = "profile";
    r.launches = launches;
    r.time_s = summarize(std::vector<double>(size_t(launches), 1e-6));
    HwCounters h;
    h.flops_total = flops;
    h.flops_by_pipe["fp32"] = flops;
    h.sm_clock_hz = clock_hz;
    h.metrics["sm__cycles_elapsed.avg.per_second"] = clock_hz;
    h.metrics["smsp__inst_executed.sum"] = flops / 2;
    h.metrics["sm__throughput.avg.pct_of_peak_sustained_elapsed"] = ratio;
    r.hw = h;
    ResultsDoc d = new_results_doc();
    d.runs = {r};
    return d;
  };
  const ResultsDoc merged = merge_profile_docs({doc(1, 100, 1.0e9, 10), doc(3, 200, 2.0e9, 50)});
  ASSERT_EQ(merged.runs.size(), 1u);
  const RunRecord& r = merged.runs[0];
  EXPECT_EQ(r.launches, 4);
  ASSERT_TRUE(r.hw && r.hw->flops_total && r.hw->sm_clock_hz);
  EXPECT_DOUBLE_EQ(*r.hw->flops_total, 175.0);
  EXPECT_DOUBLE_EQ(r.hw->flops_by_pipe.at("fp32"), 175.0);
  EXPECT_DOUBLE_EQ(*r.hw->sm_clock_hz, 1.75e9);
  EXPECT_DOUBLE_EQ(r.hw->metrics.at("smsp__inst_executed.sum"), 87.5);
  EXPECT_DOUBLE_EQ(r.hw->metrics.at("sm__throughput.avg.pct_of_peak_sustained_elapsed"), 40.0);
}

TEST(ProfileMerge, ProcessesWithoutCountersDoNotWeighTheOthers) {
  // A: 1 launch at 100 FLOPs; B: 3 launches, no counters; C: 1 launch at 200.
  // The counted launches are A's and C's: 150 per launch, in any file order.
  auto doc = [](int64_t launches, std::optional<double> flops) {
    RunRecord r;
    r.id = r.name = "k";
    r.family = "profile";
    r.launches = launches;
    r.time_s = summarize(std::vector<double>(size_t(launches), 1e-6));
    if (flops) {
      r.hw = HwCounters{};
      r.hw->flops_total = flops;
    }
    ResultsDoc d = new_results_doc();
    d.runs = {r};
    return d;
  };
  const ResultsDoc a = doc(1, 100.0), b = doc(3, std::nullopt), c = doc(1, 200.0);
  for (const auto& order : {std::vector<ResultsDoc>{a, b, c}, {a, c, b}, {b, c, a}}) {
    const ResultsDoc merged = merge_profile_docs(order);
    ASSERT_EQ(merged.runs.size(), 1u);
    EXPECT_EQ(merged.runs[0].launches, 5);
    ASSERT_TRUE(merged.runs[0].hw && merged.runs[0].hw->flops_total);
    EXPECT_DOUBLE_EQ(*merged.runs[0].hw->flops_total, 150.0);
  }
}

TEST(ProfileMerge, CountersAreWeightedByTheLaunchesCounted) {
  // A: 10 launches, 1 counted at 100 FLOPs (the rest in a graph); B: 2
  // launches, both counted at 400. Per counted launch: (100 + 2 * 400) / 3.
  auto doc = [](int64_t launches, std::optional<int64_t> counted, double flops) {
    RunRecord r;
    r.id = r.name = "k";
    r.family = "profile";
    r.launches = launches;
    r.time_s = summarize(std::vector<double>(size_t(launches), 1e-6));
    r.hw = HwCounters{};
    r.hw->flops_total = flops;
    r.hw->launches = counted;
    r.precision = "fp32";
    r.derived.bound = "unknown";
    ResultsDoc d = new_results_doc();
    d.runs = {r};
    return d;
  };
  const ResultsDoc a = doc(10, 1, 100.0), b = doc(2, std::nullopt, 400.0);  // B: absent = all
  for (const auto& order : {std::vector<ResultsDoc>{a, b}, {b, a}}) {
    const ResultsDoc merged = merge_profile_docs(order);
    ASSERT_EQ(merged.runs.size(), 1u);
    const RunRecord& r = merged.runs[0];
    EXPECT_EQ(r.launches, 12);
    ASSERT_TRUE(r.hw && r.hw->flops_total);
    EXPECT_DOUBLE_EQ(*r.hw->flops_total, 300.0);
    EXPECT_EQ(r.hw->launches, 3);
    // And it reads back as written.
    const ResultsDoc back = parse_results(to_json_text(merged), "m.json");
    EXPECT_EQ(back.runs[0].hw->launches, 3);
  }
}

// A quantity an entry lacks was left out as unreadable: the mean is over the
// entries that read it, amount or rate, not short by a 0.
TEST(ProfileMerge, UnweightedMeanIsPerLaunchAndSkipsMissingValues) {
  HwCounters a, b;
  a.flops_total = 10;
  a.sm_clock_hz = 1e9;
  a.metrics["x.sum"] = 4;
  a.metrics["x.avg"] = 6;
  b.flops_total = 30;  // no clock, no metrics
  const HwCounters m = mean_counters({a, b});
  EXPECT_DOUBLE_EQ(*m.flops_total, 20.0);
  EXPECT_DOUBLE_EQ(*m.sm_clock_hz, 1e9);       // a rate: over the entries that have it
  EXPECT_DOUBLE_EQ(m.metrics.at("x.sum"), 4.0);  // an amount: over a alone too
  EXPECT_DOUBLE_EQ(m.metrics.at("x.avg"), 6.0);
  EXPECT_FALSE(m.dram_read_bytes.has_value());
  EXPECT_THROW(mean_counters({a, b}, {1.0}), Error);
  EXPECT_THROW(mean_counters({a, b}, {1.0, -1.0}), Error);
  EXPECT_THROW(mean_counters({a, b}, {1.0, std::numeric_limits<double>::quiet_NaN()}), Error);
  // A rate or amount only a weight-0 entry has is dropped, not 0/0 or 0.
  a.l2_bytes = 5;
  const HwCounters w = mean_counters({a, b}, {0.0, 1.0});
  EXPECT_DOUBLE_EQ(*w.flops_total, 30.0);
  EXPECT_FALSE(w.sm_clock_hz.has_value());
  EXPECT_FALSE(w.l2_bytes.has_value());
  EXPECT_EQ(w.metrics.count("x.avg"), 0u);
}

// A process without its final write (killed, _exit(), exec()) may have run
// kernels after its last periodic write: "no kernel ran" is not said of it.
// One still alive when the files were read is named as left running.
TEST(ProfileJudge, ProcessesWithoutAFinalWriteAreNotSaidToHaveRunNothing) {
  auto notes_of = [](const std::string& state, bool alive) {
    ProfileCollection c;
    InjectStatus s;
    s.pid = 5;
    s.state = state;
    s.still_running = alive;
    c.statuses.push_back(s);
    std::string all;
    for (const std::string& n : judge_profile(c, {0, 0}, "app").notes) all += n + "\n";
    return all;
  };
  const std::string ended = notes_of("exit", false), killed = notes_of("running", false),
                    left = notes_of("running", true);
  EXPECT_NE(ended.find("CUDA was initialised but no kernel ran"), std::string::npos) << ended;
  EXPECT_EQ(killed.find("no kernel ran"), std::string::npos) << killed;
  EXPECT_NE(killed.find("no kernel was recorded: the processes' last writes hold none"), std::string::npos) << killed;
  EXPECT_NE(killed.find("ended without running its exit handlers"), std::string::npos) << killed;
  EXPECT_NE(left.find("process 5 was still running when 'app' ended"), std::string::npos) << left;
  EXPECT_EQ(left.find("ended without running its exit handlers"), std::string::npos) << left;
  // One that handled a signal and went on is still running, not only signalled.
  const std::string handled = notes_of("signal 2", true);
  EXPECT_NE(handled.find("process 5 was still running when 'app' ended (it had handled signal 2)"), std::string::npos)
      << handled;
  EXPECT_NE(notes_of("signal 2", false).find("process 5 received signal 2;"), std::string::npos);
}

TEST(ProfileJudge, ExitCodesAndNotes) {
  ProfileCollection none;
  auto o = judge_profile(none, {7, 0}, "sh");
  EXPECT_EQ(o.exit_code, 7);
  ASSERT_GE(o.notes.size(), 2u);
  EXPECT_NE(o.notes[0].find("no CUDA activity was seen"), std::string::npos);
  EXPECT_EQ(judge_profile(none, {0, 0}, "sh").exit_code, 0);

  ProfileCollection busy;
  InjectStatus s;
  s.pid = 1;
  s.state = "failed";
  s.cupti_result = 39;  // CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED
  s.cupti_call = "cuptiSubscribe_v2";
  s.cupti_detail = "CUPTI for Nsight Systems";
  busy.statuses.push_back(s);
  o = judge_profile(busy, {0, 0}, "app");
  EXPECT_EQ(o.exit_code, 3);
  ASSERT_FALSE(o.notes.empty());
  EXPECT_NE(o.notes[0].find("Nsight Systems"), std::string::npos) << o.notes[0];
  EXPECT_EQ(judge_profile(busy, {1, 0}, "app").exit_code, 1);  // the app's failure wins

  ProfileCollection nodriver;
  s.cupti_result = 999;
  s.cupti_call = "cuptiSubscribe_v2";
  s.cupti_detail = "";
  nodriver.statuses.push_back(s);
  o = judge_profile(nodriver, {0, 0}, "app");
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_NE(o.notes[0].find("driver"), std::string::npos) << o.notes[0];
  // With the installed driver's version, one too old for this build is named
  // (found by review: profile never said so, though the docs did).
  o = judge_profile(nodriver, {0, 0}, "app", 12040);
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_NE(o.notes[0].find("the NVIDIA driver supports CUDA 12.4; flopscope (built with CUDA 13."), std::string::npos)
      << o.notes[0];

  // Activity tracing refused on a MIG slice or vGPU: no timing to fall back on
  // (the line said "falls back to timing only", and nothing was timed).
  ProfileCollection untraced;
  s.cupti_result = 43;  // CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED
  s.cupti_call = "cuptiActivityEnable(CONCURRENT_KERNEL)";
  untraced.statuses.push_back(s);
  o = judge_profile(untraced, {0, 0}, "app");
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_NE(o.notes[0].find("CUPTI cannot trace this GPU or configuration (cuptiActivityEnable(CONCURRENT_KERNEL) "
                            "returned CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED): no kernel timing"),
            std::string::npos)
      << o.notes[0];
  EXPECT_EQ(o.notes[0].find("falls back"), std::string::npos) << o.notes[0];

  ProfileCollection no_counters;
  InjectStatus t;
  t.pid = 3;
  t.state = "exit";
  t.counters.kernels = t.counters.kernels_kept = 4;
  t.counters_note = "counters off, timing only: GPU performance counters are restricted to administrators";
  t.counters_fatal = true;
  no_counters.statuses.push_back(t);
  o = judge_profile(no_counters, {0, 0}, "app");
  EXPECT_EQ(o.exit_code, 3);
  ASSERT_FALSE(o.notes.empty());
  EXPECT_NE(o.notes[0].find("hardware counters: counters off"), std::string::npos) << o.notes[0];
  no_counters.statuses[0].counters_fatal = false;  // e.g. MIG: timing is the documented fallback
  EXPECT_EQ(judge_profile(no_counters, {0, 0}, "app").exit_code, 0);

  ProfileCollection crashed;
  InjectStatus c;
  c.pid = 2;
  c.state = "signal 11";
  c.counters.kernels = 5;
  c.counters.kernels_kept = 5;
  c.counters.dropped_records = 4;
  crashed.statuses.push_back(c);
  o = judge_profile(crashed, {139, 11}, "app");
  EXPECT_EQ(o.exit_code, 139);
  std::string all;
  for (const auto& n : o.notes) all += n + "\n";
  EXPECT_NE(all.find("received signal 11"), std::string::npos) << all;
  EXPECT_NE(all.find("dropped 4"), std::string::npos) << all;
  EXPECT_NE(all.find("killed by signal 11"), std::string::npos) << all;
  EXPECT_EQ(all.find("CUPTI used"), std::string::npos) << all;  // a status from before the key
}

// The H200's first profile with counters said "all 8 kernels were filtered
// out" of kernels no filter had touched: their records had no timestamps. The
// filter note now counts filtered kernels only, and replayed kernels timed by
// their counters are said to be.
TEST(ProfileJudge, FilteredAndUntimedKernelsAreToldApart) {
  auto notes_of = [](const ProfileCounters& k) {
    ProfileCollection c;
    InjectStatus s;
    s.pid = 1;
    s.state = "exit";
    s.counters = k;
    c.statuses.push_back(s);
    std::string all;
    for (const auto& n : judge_profile(c, {0, 0}, "app").notes) all += n + "\n";
    return all;
  };
  ProfileCounters untimed;
  untimed.kernels = untimed.kernels_incomplete = 8;
  std::string all = notes_of(untimed);
  EXPECT_EQ(all.find("filtered out"), std::string::npos) << all;
  EXPECT_NE(all.find("8 kernels have no duration"), std::string::npos) << all;

  ProfileCounters filtered;
  filtered.kernels = 10;
  filtered.kernels_filtered = 7;
  filtered.kernels_incomplete = 3;
  all = notes_of(filtered);
  EXPECT_NE(all.find("all 7 kernels that ran to completion were filtered out"), std::string::npos) << all;

  ProfileCounters replayed;
  replayed.kernels = replayed.kernels_kept = replayed.kernels_timed_by_counters = 3;
  all = notes_of(replayed);
  EXPECT_NE(all.find("3 profiled kernels are timed by their counters' gpu__time_duration"), std::string::npos)
      << all;
  EXPECT_EQ(all.find("no duration"), std::string::npos) << all;
}

// One line names the libcupti the processes bound to, each different one once,
// with the version flopscope was built with when it differs.
TEST(ProfileJudge, NamesTheCuptiUsed) {
  ProfileCollection c;
  InjectStatus s;
  s.state = "exit";
  s.cupti_library = "/usr/local/cuda/lib64/libcupti.so.13";
  s.cupti_version = CUPTI_API_VERSION;
  c.statuses = {s, s};
  auto o = judge_profile(c, {0, 0}, "app");
  ASSERT_FALSE(o.notes.empty());
  EXPECT_EQ(o.notes[0], "CUPTI used: /usr/local/cuda/lib64/libcupti.so.13 (API version " +
                            std::to_string(CUPTI_API_VERSION) + ")");
  s.cupti_library = "/venv/site-packages/nvidia/cu13/lib/libcupti.so.13";
  s.cupti_version = 1;
  c.statuses.push_back(s);
  o = judge_profile(c, {0, 0}, "app");
  EXPECT_EQ(o.notes[0], "CUPTI used: /usr/local/cuda/lib64/libcupti.so.13 (API version " +
                            std::to_string(CUPTI_API_VERSION) +
                            "); /venv/site-packages/nvidia/cu13/lib/libcupti.so.13 (API version 1; flopscope "
                            "was built with " + std::to_string(CUPTI_API_VERSION) + ")");
}

TEST(ProfileDir, ReadsStatusAndResultsPerProcess) {
  const std::string dir = flopscope::test::temp_dir();
  ProfileAggregator agg({});
  agg.on_launch(1, ApiKind::kernel_launch, kGemm, 0);
  agg.on_activity(kernel(kGemm, 1, 0, 500));
  ResultsDoc doc = new_results_doc();
  doc.runs = agg.runs();
  write_results(inject_results_path(dir, {100}), doc);
  InjectStatus s;
  s.pid = 100;
  s.state = "exit";
  write_file_atomic(inject_status_path(dir, {100}), to_text(s));
  s.pid = 101;  // a process that died before writing results
  s.state = "running";
  write_file_atomic(inject_status_path(dir, {101}), to_text(s));
  write_file_atomic(dir + "/flopscope-102.status", "garbage\n");
  // A process whose results cannot be read (too large, damaged): listed as
  // lost, which profile reports as a failure (a note only, it exited 0 on an
  // empty results file).
  s.pid = 103;
  s.state = "exit";
  write_file_atomic(inject_status_path(dir, {103}), to_text(s));
  write_file_atomic(inject_results_path(dir, {103}), "{\"schema\": ");
  std::vector<std::string> notes;
  const ProfileCollection c = read_profile_dir(dir, notes);
  EXPECT_EQ(c.statuses.size(), 3u);
  ASSERT_EQ(c.doc.runs.size(), 1u);
  EXPECT_EQ(c.doc.runs[0].variant, "gemm_kernel");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("flopscope-102.status"), std::string::npos);
  ASSERT_EQ(c.unreadable.size(), 1u);
  EXPECT_EQ(c.unreadable[0].rfind("process 103's results could not be read (", 0), 0u) << c.unreadable[0];
  EXPECT_NE(c.unreadable[0].find("truncated JSON"), std::string::npos) << c.unreadable[0];
}

// A kernel symbol that is not UTF-8 (bytes from a JIT or an obfuscator) is
// written with U+FFFD in place of the bad byte: it made the whole results file
// unwritable, the other kernels' times lost with it (a reviewer's case).
TEST(ProfileAggregatorNames, ANonUtf8SymbolKeepsTheResultsWritable) {
  ProfileAggregator agg({});
  const std::string bad = std::string("_Z3f") + '\xe9' + "ePf";
  agg.on_launch(1, ApiKind::kernel_launch, kGemm, 0);
  agg.on_activity(kernel(kGemm, 1, 0, 500));
  agg.on_launch(2, ApiKind::kernel_launch, bad.c_str(), 0);
  agg.on_activity(kernel(bad.c_str(), 2, 600, 900));
  ResultsDoc doc = new_results_doc();
  doc.runs = agg.runs();
  ASSERT_EQ(doc.runs.size(), 2u);
  std::string text;
  ASSERT_NO_THROW(text = to_json_text(doc));
  EXPECT_NE(text.find("\xEF\xBF\xBD"), std::string::npos) << "U+FFFD for the bad byte";
  EXPECT_EQ(parse_results(text, "p.json").runs.size(), 2u);
}

// Thousands of records share a budget of samples: a profile of 400 NVTX
// ranges x 30 kernels wrote 1000 samples each, 302 MiB, which flopscope then
// refused to read, and the run's results were lost (a reviewer's case).
TEST(ProfileAggregatorNames, ThousandsOfRecordsShareTheSampleBudget) {
  RunRecord r;
  r.launches = 5000;
  std::vector<double> times;
  for (int i = 0; i < 1000; ++i) times.push_back(1e-6 * (1 + i % 10));
  r.time_s = summarize(times);
  RunRecord short_run = r;  // 100 samples: enough to be thinned, cheap to thin 100000 times
  short_run.time_s.samples.resize(100);
  std::vector<RunRecord> few(10, r), many(5000, r), too_many(100000, short_run);
  cap_profile_samples(few);
  EXPECT_EQ(few[0].time_s.samples.size(), kMaxProfileSamples);
  cap_profile_samples(many);
  EXPECT_EQ(many[0].time_s.samples.size(), kMaxProfileSamplesPerFile / 5000);
  EXPECT_DOUBLE_EQ(many[0].time_s.median, r.time_s.median) << "the summary is every launch's";
  // Equal shares: their mean is every sample's.
  double sum = 0;
  for (double v : many[0].time_s.samples) sum += v;
  EXPECT_NEAR(sum / double(many[0].time_s.samples.size()), 5.5e-6, 1e-12);
  cap_profile_samples(too_many);
  EXPECT_EQ(too_many[0].time_s.samples.size(), kMinProfileSamples);
  // Such a file reads back (its summary is of more launches than its samples).
  ResultsDoc doc = new_results_doc();
  r.family = "app";
  r.variant = "k";
  r.dtype = "unknown";
  r.precision = "fp32";
  r.id = "app.k.unknown";
  compute_profile_derived(r, PeakTable{});
  r.time_s.samples = too_many[0].time_s.samples;
  doc.runs = {r};
  EXPECT_NO_THROW(parse_results(to_json_text(doc), "p.json"));
}

// Raw counter files: one per profiled context, named by pid, program image
// and context index, listed in pid order (numerically), then image, then
// context order.
TEST(ProfileDir, CounterFilesByPidImageThenContext) {
  const std::string dir = flopscope::test::temp_dir();
  EXPECT_EQ(inject_counters_path(dir, {42}, 0), dir + "/flopscope-42.fscounters");
  EXPECT_EQ(inject_counters_path(dir, {42}, 2), dir + "/flopscope-42-2.fscounters");
  EXPECT_EQ(inject_counters_path(dir, {42, 3}, 2), dir + "/flopscope-42.3-2.fscounters");
  const std::vector<std::tuple<int, int, size_t>> files{{100, 0, 1}, {9, 0, 0}, {100, 0, 0}, {100, 0, 10},
                                                        {100, 0, 2}, {100, 2, 0}, {100, 1, 3}, {100, 10, 0}};
  for (const auto& [pid, image, index] : files) write_file_atomic(inject_counters_path(dir, {pid, image}, index), "x");
  write_file_atomic(inject_results_path(dir, {9}), "{}");
  write_file_atomic(dir + "/other.fscounters", "x");
  const std::vector<std::string> got = list_counter_files(dir);
  const std::vector<std::string> want{
      inject_counters_path(dir, {9}, 0),     inject_counters_path(dir, {100}, 0),   inject_counters_path(dir, {100}, 1),
      inject_counters_path(dir, {100}, 2),   inject_counters_path(dir, {100}, 10),  inject_counters_path(dir, {100, 1}, 3),
      inject_counters_path(dir, {100, 2}, 0), inject_counters_path(dir, {100, 10}, 0)};
  EXPECT_EQ(got, want);
  EXPECT_TRUE(list_counter_files(dir + "/missing").empty());
}

// A status file claimed and never written (the process killed while the
// library started) read as damage ("skipped a process's status: empty") and
// "no CUDA activity was seen"; a zombie (killed, not yet reaped) answered
// kill(pid, 0) and read as still running.
TEST(ProfileDir, UnwrittenStatusesAndZombies) {
  const std::string dir = flopscope::test::temp_dir();
  write_file_atomic(dir + "/flopscope-4242.1.status", "");
  const pid_t zombie = ::fork();
  if (zombie == 0) ::_exit(0);
  ASSERT_GT(zombie, 0);
  ::usleep(100 * 1000);  // it has exited, and is not reaped yet
  InjectStatus s;
  s.pid = int(zombie);
  s.state = "running";
  write_file_atomic(inject_status_path(dir, {int(zombie)}), to_text(s));
  std::vector<std::string> notes;
  const ProfileCollection c = read_profile_dir(dir, notes);
  ::waitpid(zombie, nullptr, 0);
  EXPECT_TRUE(notes.empty()) << notes[0];
  ASSERT_EQ(c.statuses.size(), 2u);
  std::string all;
  for (const std::string& n : judge_profile(c, {0, 0}, "app").notes) all += n + "\n";
  for (const InjectStatus& st : c.statuses) {
    EXPECT_FALSE(st.still_running) << st.pid;
    if (st.pid == 4242) {
      EXPECT_EQ(st.state, "started");
    }
  }
  EXPECT_NE(all.find("process 4242 ended (killed or crashed) while the injection library started"), std::string::npos)
      << all;
  EXPECT_NE(all.find("process " + std::to_string(zombie) + " ended without running its exit handlers"),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("no CUDA activity was seen"), std::string::npos) << all;
}

// A program exec()ed in a profiled process keeps its pid and runs no exit
// handler: it claims the next image, so the files its predecessor wrote stay.
TEST(ProfileDir, EachProgramImageClaimsItsOwnFiles) {
  const std::string dir = flopscope::test::temp_dir();
  const InjectFileId first = claim_inject_files(dir, 77), second = claim_inject_files(dir, 77),
                     other = claim_inject_files(flopscope::test::temp_dir(), 78);
  EXPECT_EQ(first.image, 0);
  EXPECT_EQ(second.image, 1);
  EXPECT_EQ(other.image, 0);
  EXPECT_EQ(inject_status_path(dir, second), dir + "/flopscope-77.1.status");
  EXPECT_EQ(inject_results_path(dir, second), dir + "/flopscope-77.1.json");
  EXPECT_TRUE(std::filesystem::exists(inject_status_path(dir, second)));
  // Both images' files are read, each beside its own status.
  ResultsDoc doc = new_results_doc();
  for (const InjectFileId id : {first, second}) {
    ProfileAggregator agg({});
    agg.on_launch(1, ApiKind::kernel_launch, id.image == 0 ? kGemm : kCopy, 0);
    agg.on_activity(kernel(id.image == 0 ? kGemm : kCopy, 1, 0, 500));
    doc.runs = agg.runs();
    write_results(inject_results_path(dir, id), doc);
    InjectStatus s;
    s.pid = 77;
    s.state = id.image == 0 ? "running" : "exit";
    write_file_atomic(inject_status_path(dir, id), to_text(s));
  }
  std::vector<std::string> notes;
  const ProfileCollection c = read_profile_dir(dir + "/", notes);
  EXPECT_TRUE(notes.empty()) << notes[0];
  EXPECT_EQ(c.statuses.size(), 2u);
  EXPECT_EQ(c.doc.runs.size(), 2u);
  // Where nothing can be created, image 0 (the writes then say why).
  EXPECT_EQ(claim_inject_files(dir + "/missing", 77).image, 0);
}

TEST(InjectConfig, EnvironmentRoundTrip) {
  InjectConfig c;
  c.dir = "/tmp/x";
  c.filter.kernel_regex = "gemm|attn";
  c.filter.launch_skip = 3;
  c.filter.launch_count = 10;
  c.filter.nvtx_include = {"step/forward", "optimizer"};
  c.period_ms = 250;
  c.metric_set = "roofline";
  c.tensor = {"bf16", "fp16"};
  c.counters = true;
  std::map<std::string, std::string> env;
  for (const std::string& e : inject_environment(c)) env[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
  const InjectConfig r = inject_config_from_env([&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(r.dir, c.dir);
  EXPECT_EQ(r.filter.kernel_regex, c.filter.kernel_regex);
  EXPECT_EQ(r.filter.launch_skip, 3);
  EXPECT_EQ(r.filter.launch_count, 10);
  EXPECT_EQ(r.filter.nvtx_include, c.filter.nvtx_include);
  EXPECT_EQ(r.period_ms, 250);
  EXPECT_EQ(r.metric_set, "roofline");
  EXPECT_EQ(r.tensor, c.tensor);
  EXPECT_TRUE(r.counters);
  EXPECT_EQ(env.at(kEnvCounters), "1");
  const InjectConfig d = inject_config_from_env([](const char*) -> const char* { return nullptr; });
  EXPECT_FALSE(d.counters);
  c.counters = false;
  for (const std::string& e : inject_environment(c)) EXPECT_NE(e.rfind(kEnvCounters, 0), 0u) << e;
  EXPECT_TRUE(d.dir.empty());
  EXPECT_EQ(d.filter.launch_count, -1);
  EXPECT_EQ(d.metric_set, "timing");
  EXPECT_THROW(inject_config_from_env([](const char* n) -> const char* {
                 return std::string(n) == kEnvLaunchSkip ? "ten" : nullptr;
               }),
               Error);
  // Found by collector_fuzz_test: strtoll saturated on overflow, and int() of
  // a period past 2^31 wrapped (4294967297 ms read as 1 ms).
  for (const auto& [name, value] : std::vector<std::pair<const char*, const char*>>{
           {kEnvPeriodMs, "4294967297"}, {kEnvLaunchSkip, "9223372036854775808"}, {kEnvLaunchCount, " 5"},
           {kEnvPeriodMs, "-5"}}) {  // a negative period turned periodic writes off unsaid
    try {
      inject_config_from_env([&](const char* n) -> const char* { return std::string(n) == name ? value : nullptr; });
      ADD_FAILURE() << "accepted: " << name << "=" << value;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(name) + "='" + value + "' is not a whole number from 0 to"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(inject_library_candidates("/opt/fs/bin", "lib64"),
            (std::vector<std::string>{"/opt/fs/bin/libflopscope_inject.so", "/opt/fs/bin/../lib64/libflopscope_inject.so",
                                      "/opt/fs/bin/../lib/libflopscope_inject.so"}));
}
