// Session on the CPU: the no-GPU failure (exit 3 through the CLI) and the
// launch-combining arithmetic. The counter path itself is in
// tests/gpu/session_gpu_test.cpp (label gpu).
#include <cuda_runtime_api.h>
#include <cupti.h>
#include <gtest/gtest.h>

#include <array>

#include "flopscope/error.h"
#include "activity_names.h"
#include "flopscope/session.h"
#include "launch_stream.h"

using namespace flopscope;

TEST(Session, NoDriverIsNoGpuWithAClearLine) {
  int count = 0;
  if (cudaGetDeviceCount(&count) == cudaSuccess && count > 0)
    GTEST_SKIP() << "a GPU is present: the no-driver path is checked on machines without one";
  try {
    Session s;
    FAIL() << "a Session started without a GPU";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::no_gpu);  // exit 3
    const std::string what = e.what();
    EXPECT_NE(what.find("no NVIDIA driver or GPU"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(Session, CombineLaunches) {
  KernelCounters a, b;
  a.hw.flops_total = 100;
  a.hw.flops_by_pipe = {{"fp32", 100}, {"bf16_tensor", 0}};
  a.hw.dram_read_bytes = 10;
  a.hw.duration_s = 1e-3;
  a.hw.sm_clock_hz = 1.0e9;
  a.hw.metrics = {{"x.sum", 3}, {"sm__cycles_elapsed.avg.per_second", 1.0e9}};
  b.hw.flops_total = 50;
  b.hw.flops_by_pipe = {{"fp32", 0}, {"bf16_tensor", 50}};
  b.hw.dram_read_bytes = 5;
  b.hw.duration_s = 2e-3;
  b.hw.sm_clock_hz = 2.0e9;
  b.hw.metrics = {{"x.sum", 4}, {"sm__cycles_elapsed.avg.per_second", 2.0e9}};
  const HwCounters c = combine_launches({a, b});
  EXPECT_DOUBLE_EQ(*c.flops_total, 150);
  EXPECT_DOUBLE_EQ(c.flops_by_pipe.at("fp32"), 100);
  EXPECT_DOUBLE_EQ(c.flops_by_pipe.at("bf16_tensor"), 50);
  EXPECT_DOUBLE_EQ(*c.dram_read_bytes, 15);
  EXPECT_FALSE(c.dram_write_bytes);
  EXPECT_DOUBLE_EQ(*c.duration_s, 3e-3);
  EXPECT_DOUBLE_EQ(*c.sm_clock_hz, 1.5e9);
  EXPECT_DOUBLE_EQ(c.metrics.at("x.sum"), 7);
  EXPECT_DOUBLE_EQ(c.metrics.at("sm__cycles_elapsed.avg.per_second"), 1.5e9);
  EXPECT_FALSE(combine_launches({}).flops_total);
}

// A sum one launch lacks (its value left out as unreadable) would be short:
// it is absent, while a rate is averaged over the launches that have it.
TEST(Session, CombineLaunchesDropsASumSomeLaunchLacks) {
  KernelCounters a, b;
  a.hw.flops_by_pipe = {{"fp32", 100}, {"bf16_tensor", 0}};
  a.hw.flops_total = 100;
  a.hw.dram_read_bytes = 10;
  a.hw.sm_clock_hz = 1.0e9;
  a.hw.metrics = {{"x.sum", 3}, {"y.avg", 5}, {"z.sum", 1}};
  b.hw.flops_by_pipe = {{"fp32", 50}};  // bf16_tensor unreadable, so no total
  b.hw.dram_read_bytes = 5;
  b.hw.metrics = {{"x.sum", 4}};
  const HwCounters c = combine_launches({a, b});
  EXPECT_FALSE(c.flops_total);
  EXPECT_DOUBLE_EQ(c.flops_by_pipe.at("fp32"), 150);
  EXPECT_EQ(c.flops_by_pipe.count("bf16_tensor"), 0u);
  EXPECT_DOUBLE_EQ(*c.dram_read_bytes, 15);
  EXPECT_DOUBLE_EQ(*c.sm_clock_hz, 1.0e9);
  EXPECT_DOUBLE_EQ(c.metrics.at("x.sum"), 7);
  EXPECT_DOUBLE_EQ(c.metrics.at("y.avg"), 5);
  EXPECT_EQ(c.metrics.count("z.sum"), 0u);
}

// The stream of each launch API, read from the parameters CUPTI passes, so
// that launches into a capturing stream are not profiled (no GPU needed).
TEST(Session, LaunchStreamFromCallbackParams) {
  using flopscope::cupti::launch_stream;
  CUstream got = nullptr;
  const CUstream s = reinterpret_cast<CUstream>(uintptr_t(0x1234));

  cuLaunchKernel_params d{};
  d.hStream = s;
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel, &d, &got));
  EXPECT_EQ(got, s);

  cuLaunchKernel_ptsz_params dp{};  // stream 0 of a _ptsz launch: the per-thread stream
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz, &dp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);

  CUlaunchConfig cfg{};
  cfg.hStream = s;
  cuLaunchKernelEx_params ex{};
  ex.config = &cfg;
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx, &ex, &got));
  EXPECT_EQ(got, s);
  ex.config = nullptr;
  EXPECT_FALSE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx, &ex, &got));

  cuLaunchCooperativeKernel_params co{};
  co.hStream = s;
  ASSERT_TRUE(
      launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel, &co, &got));
  EXPECT_EQ(got, s);

  // The per-thread-default-stream forms of cooperative and Ex launches.
  cuLaunchCooperativeKernel_ptsz_params cop{};
  ASSERT_TRUE(
      launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz, &cop, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);
  cop.hStream = s;
  ASSERT_TRUE(
      launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz, &cop, &got));
  EXPECT_EQ(got, s);
  cuLaunchKernelEx_ptsz_params exp{};
  exp.config = &cfg;
  cfg.hStream = nullptr;
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz, &exp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);
  exp.config = nullptr;
  EXPECT_FALSE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz, &exp, &got));

  cudaLaunchKernel_v7000_params r{};
  r.stream = reinterpret_cast<cudaStream_t>(s);
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000, &r, &got));
  EXPECT_EQ(got, s);

  // CUDA 13's <<<>>> entry point: its parameters mirror the prototype in
  // crt/device_functions.h (the CUPTI headers declare no struct for it).
  cudaLaunchKernel_v7000_params r13{};
  r13.stream = reinterpret_cast<cudaStream_t>(s);
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID___cudaLaunchKernel_v13000, &r13, &got));
  EXPECT_EQ(got, s);
  r13.stream = nullptr;
  ASSERT_TRUE(
      launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID___cudaLaunchKernel_ptsz_v13000, &r13, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);

  cudaLaunchKernel_ptsz_v7000_params rp{};
  ASSERT_TRUE(
      launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000, &rp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);

  cudaLaunchConfig_t rc{};
  rc.stream = reinterpret_cast<cudaStream_t>(s);
  cudaLaunchKernelExC_v11060_params rex{};
  rex.config = &rc;
  ASSERT_TRUE(
      launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_v11060, &rex, &got));
  EXPECT_EQ(got, s);
  rex.config = nullptr;
  EXPECT_FALSE(
      launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_v11060, &rex, &got));
  rc.stream = nullptr;
  cudaLaunchKernelExC_ptsz_v11060_params rexp{};
  rexp.config = &rc;
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_ptsz_v11060,
                            &rexp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);

  cudaLaunchCooperativeKernel_v9000_params rco{};
  rco.stream = reinterpret_cast<cudaStream_t>(s);
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_v9000,
                            &rco, &got));
  EXPECT_EQ(got, s);

  cudaLaunchCooperativeKernel_ptsz_v9000_params rcp{};
  rcp.stream = reinterpret_cast<cudaStream_t>(s);
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API,
                            CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_ptsz_v9000, &rcp, &got));
  EXPECT_EQ(got, s);

  // Graph launches: a graph launched into a capturing stream becomes a child graph.
  cuGraphLaunch_params g{};
  g.hStream = s;
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch, &g, &got));
  EXPECT_EQ(got, s);
  cuGraphLaunch_ptsz_params gp{};
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch_ptsz, &gp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);
  cudaGraphLaunch_v10000_params rg{};
  rg.stream = reinterpret_cast<cudaStream_t>(s);
  ASSERT_TRUE(launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_v10000, &rg, &got));
  EXPECT_EQ(got, s);
  cudaGraphLaunch_ptsz_v10000_params rgp{};
  ASSERT_TRUE(
      launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_ptsz_v10000, &rgp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);

  // Other calls and null params.
  EXPECT_FALSE(launch_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpy_v3020, &r, &got));
  EXPECT_FALSE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuMemcpy, &d, &got));
  EXPECT_FALSE(launch_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel, nullptr, &got));
}

// The stream of a copy or memset call, so that one into a capturing stream
// (a graph node, with no record of its own) is not left waiting for a record.
TEST(Session, CopyStreamFromCallbackParams) {
  using flopscope::cupti::copy_stream;
  CUstream got = nullptr;
  const CUstream s = reinterpret_cast<CUstream>(uintptr_t(0x1234));
  const cudaStream_t rs = reinterpret_cast<cudaStream_t>(s);

  cudaMemcpyAsync_v3020_params r{};
  r.stream = rs;
  ASSERT_TRUE(copy_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_v3020, &r, &got));
  EXPECT_EQ(got, s);
  cudaMemsetAsync_ptsz_v7000_params rp{};  // stream 0 of a _ptsz call: the per-thread stream
  ASSERT_TRUE(copy_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaMemsetAsync_ptsz_v7000, &rp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);
  cudaMemcpy2DAsync_v3020_params r2{};
  r2.stream = rs;
  ASSERT_TRUE(copy_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpy2DAsync_v3020, &r2, &got));
  EXPECT_EQ(got, s);
  cudaMemcpyBatchAsync_v13000_params rb{};
  rb.stream = rs;
  ASSERT_TRUE(
      copy_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyBatchAsync_v13000, &rb, &got));
  EXPECT_EQ(got, s);

  cuMemcpyHtoDAsync_v2_params d{};
  d.hStream = s;
  ASSERT_TRUE(copy_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuMemcpyHtoDAsync_v2, &d, &got));
  EXPECT_EQ(got, s);
  cuMemsetD32Async_ptsz_params dp{};
  ASSERT_TRUE(copy_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuMemsetD32Async_ptsz, &dp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);
  dp.hStream = s;
  ASSERT_TRUE(copy_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuMemsetD32Async_ptsz, &dp, &got));
  EXPECT_EQ(got, s);

  // Synchronous calls: a _ptds one goes to the per-thread stream, which can
  // be captured; the legacy stream's cannot, so they are not asked about.
  cudaMemcpy_ptds_v7000_params sp{};
  ASSERT_TRUE(copy_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpy_ptds_v7000, &sp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);
  cuMemcpyHtoD_v2_ptds_params dsp{};
  ASSERT_TRUE(copy_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuMemcpyHtoD_v2_ptds, &dsp, &got));
  EXPECT_EQ(got, CU_STREAM_PER_THREAD);
  cudaMemcpy_v3020_params legacy{};
  EXPECT_FALSE(copy_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpy_v3020, &legacy, &got));
  cuMemsetD8_v2_params dlegacy{};
  EXPECT_FALSE(copy_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuMemsetD8_v2, &dlegacy, &got));

  // Launches are launch_stream's; null params.
  cuLaunchKernel_params l{};
  EXPECT_FALSE(copy_stream(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel, &l, &got));
  EXPECT_FALSE(copy_stream(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_v3020, nullptr, &got));

  // The collector's capture check reads the stream by the call's kind.
  using flopscope::cupti::ApiKind;
  using flopscope::cupti::call_stream;
  got = nullptr;
  ASSERT_TRUE(call_stream(ApiKind::memcpy, CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_v3020,
                          &r, &got));
  EXPECT_EQ(got, s);
  ASSERT_TRUE(call_stream(ApiKind::memset, CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuMemsetD32Async_ptsz,
                          &dp, &got));
  EXPECT_EQ(got, s);
  l.hStream = s;
  got = nullptr;
  ASSERT_TRUE(call_stream(ApiKind::kernel_launch, CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel,
                          &l, &got));
  EXPECT_EQ(got, s);
  EXPECT_FALSE(call_stream(ApiKind::other, CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel, &l, &got));
}

// CUDA 12.8's batch copies are read through mirrors of structs CUPTI's
// headers cannot give (generated_cudart_removed_meta.h needs a header the
// toolkit lacks): the stream sits after 8 pointer-sized fields in the flat
// batch, after 4 in the 3D batch. A sentinel in each slot proves the offset.
TEST(Session, BatchCopiesOfCuda128ReadTheirStreamSlot) {
  using flopscope::cupti::copy_stream;
  const CUstream s = reinterpret_cast<CUstream>(uintptr_t(0x5eed));
  auto read_slot = [&](CUpti_CallbackId cbid, size_t slot) {
    std::array<uintptr_t, 12> fields{};
    for (size_t i = 0; i < fields.size(); ++i) fields[i] = 0x1000 + i;  // anything but the stream
    fields[slot] = reinterpret_cast<uintptr_t>(s);
    CUstream got = nullptr;
    EXPECT_TRUE(copy_stream(CUPTI_CB_DOMAIN_RUNTIME_API, cbid, fields.data(), &got));
    return got;
  };
  static_assert(sizeof(size_t) == sizeof(uintptr_t) && sizeof(unsigned long long) == sizeof(uintptr_t));
  EXPECT_EQ(read_slot(CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyBatchAsync_v12080, 8), s);
  EXPECT_EQ(read_slot(CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyBatchAsync_ptsz_v12080, 8), s);
  EXPECT_EQ(read_slot(CUPTI_RUNTIME_TRACE_CBID_cudaMemcpy3DBatchAsync_v12080, 4), s);
  EXPECT_EQ(read_slot(CUPTI_RUNTIME_TRACE_CBID_cudaMemcpy3DBatchAsync_ptsz_v12080, 4), s);
}

// Every copy or memset callback this CUPTI names that can go into a capturing
// stream (asynchronous, or on the per-thread stream) has its stream read; a
// call missing from copy_stream's lists would wait for a record forever when
// captured. Names from cuptiGetCallbackName (no GPU needed).
TEST(Session, EveryCapturableCopyCallNamesItsStream) {
  using namespace flopscope::cupti;
  alignas(16) unsigned char params[512] = {};  // larger than any parameter struct; every stream 0
  int copies = 0;
  for (const auto& [domain, size] : {std::pair{CUPTI_CB_DOMAIN_RUNTIME_API, uint32_t(CUPTI_RUNTIME_TRACE_CBID_SIZE)},
                                     std::pair{CUPTI_CB_DOMAIN_DRIVER_API, uint32_t(CUPTI_DRIVER_TRACE_CBID_SIZE)}}) {
    for (uint32_t cbid = 1; cbid < size; ++cbid) {
      const char* name = nullptr;
      if (cuptiGetCallbackName(domain, cbid, &name) != CUPTI_SUCCESS || !name) continue;
      const std::string n = name;
      const ApiKind kind = classify_api(n);
      CUstream got = nullptr;
      const bool known = copy_stream(domain, cbid, params, &got);
      if (kind != ApiKind::memcpy && kind != ApiKind::memcpy_batch && kind != ApiKind::memset) {
        EXPECT_FALSE(known) << n;
        continue;
      }
      ++copies;
      const bool capturable = n.find("Async") != std::string::npos || n.find("_ptsz") != std::string::npos ||
                              n.find("_ptds") != std::string::npos;
      EXPECT_EQ(known, capturable) << n;
      const bool per_thread = n.find("_ptsz") != std::string::npos || n.find("_ptds") != std::string::npos;
      if (known) {
        EXPECT_EQ(got, per_thread ? CU_STREAM_PER_THREAD : nullptr) << n;
      }
    }
  }
  EXPECT_GT(copies, 100);  // 171 in CUDA 13.0
}
