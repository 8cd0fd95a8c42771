#pragma once
// The shape of profile_app.cu's busy_kernel, shared with the tests that count
// its FLOPs (profile_gpu_test.cpp), so the two cannot drift apart.
namespace flopscope::test {

inline constexpr int kBusyThreads = 1 << 16;  // one element per thread, 256 per block
inline constexpr int kBusyIters = 64;         // dependent v = v * a + b (one FFMA each) per thread
/// One ordinary launch's FP32 FLOPs: 2 per FFMA, exactly. The hardware's
/// total is larger: 8650752 on an H200 (bench/results/h200/2026-11-30), 4
/// more a thread, which is what one HFMA2 counts; cuobjdump -sass shows nvcc
/// 13.0 loading the constant 0.999f with an HFMA2.MMA (a half-precision FMA
/// used as a move) once on each thread's path. So the tests check the fp32
/// pipe.
inline constexpr double kBusyKernelFlops = 2.0 * kBusyIters * kBusyThreads;

}  // namespace flopscope::test
