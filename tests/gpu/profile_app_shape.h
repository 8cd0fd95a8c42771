#pragma once
// The shape of profile_app.cu's busy_kernel, shared with the tests that count
// its FLOPs (profile_gpu_test.cpp), so the two cannot drift apart.
namespace flopscope::test {

inline constexpr int kBusyThreads = 1 << 16;  // one element per thread, 256 per block
inline constexpr int kBusyIters = 64;         // dependent v = v * a + b (one FFMA each) per thread
/// One ordinary launch: 2 FLOP per FFMA, exactly.
inline constexpr double kBusyKernelFlops = 2.0 * kBusyIters * kBusyThreads;

}  // namespace flopscope::test
