#pragma once
/// Compile-time shapes of the ceiling microbenchmarks, shared by the kernels
/// (kernels/ceilings/*.cu) and the host arithmetic that turns a launch into a
/// FLOP or byte count (ceilings.cpp). One definition, so the count the host
/// divides by is the count the kernel executes; tests/ceilings/sass_test.cpp
/// checks the compiled loops against these numbers. No CUDA header here.
#include <cstdint>

namespace flopscope::ceilings::params {

// ---- CUDA-core arithmetic --------------------------------------------------------
// Each thread runs kChains independent dependency chains (x = x * a + b); the
// loop body repeats the set kUnroll times, so one trip of the loop issues
// kChains * kUnroll fused multiply-adds per thread.
inline constexpr int kCoreThreads = 256;
inline constexpr int kCoreChains = 8;
inline constexpr int kCoreUnroll = 16;
inline constexpr int kFp64Chains = 8;  ///< DFMA latency is longer; 8 chains still cover it
inline constexpr int kFp64Unroll = 8;

// FLOPs one instruction performs, per thread: an FMA is 2, a packed pair 4.
inline constexpr int kFlopsFfma = 2;
inline constexpr int kFlopsHfma2 = 4;
inline constexpr int kFlopsDfma = 2;

// ---- Tensor cores, mma.sync ------------------------------------------------------
// Each warp keeps kMmaChains independent accumulator tiles; one loop trip
// issues kMmaChains * kMmaUnroll mma.sync instructions per warp.
inline constexpr int kMmaThreads = 256;
inline constexpr int kMmaChains = 4;
inline constexpr int kMmaUnroll = 4;
/// 2*M*N*K per warp instruction: m16n8k16 (fp16, bf16) and m16n8k8 (tf32).
inline constexpr int64_t kFlopsMma16816 = 2 * 16 * 8 * 16;
inline constexpr int64_t kFlopsMma1688 = 2 * 16 * 8 * 8;

// ---- Tensor cores, wgmma (sm_90a) --------------------------------------------------
// One warpgroup (128 threads) per block; each loop trip issues kWgmmaPerTrip
// instructions (kWgmmaKSteps K-steps over one 128-byte swizzled row, repeated)
// into one accumulator, then commits and waits. A K-step is 32 bytes of each
// row either way: 16 bf16/fp16 elements (m64n256k16) or 8 tf32 (m64n256k8).
inline constexpr int kWgmmaThreads = 128;
inline constexpr int kWgmmaM = 64, kWgmmaN = 256, kWgmmaK = 16, kWgmmaKTf32 = 8;
inline constexpr int kWgmmaRowBytes = 128;  ///< one swizzled row of the A and B tiles
inline constexpr int kWgmmaStepBytes = 32;  ///< kWgmmaK * 2 bytes = kWgmmaKTf32 * 4 bytes
static_assert(kWgmmaK * 2 == kWgmmaStepBytes && kWgmmaKTf32 * 4 == kWgmmaStepBytes);
inline constexpr int kWgmmaKSteps = kWgmmaRowBytes / kWgmmaStepBytes;
inline constexpr int kWgmmaRepeats = 4;
inline constexpr int kWgmmaPerTrip = kWgmmaKSteps * kWgmmaRepeats;
inline constexpr int64_t kFlopsWgmma = int64_t(2) * kWgmmaM * kWgmmaN * kWgmmaK;
inline constexpr int64_t kFlopsWgmmaTf32 = int64_t(2) * kWgmmaM * kWgmmaN * kWgmmaKTf32;

// ---- Memory --------------------------------------------------------------------------
// Every access is 16 bytes (one int4 per thread); grid-stride loops keep
// kMemInFlight independent accesses in flight per thread.
inline constexpr int kMemThreads = 512;
inline constexpr int kMemInFlight = 4;
inline constexpr int kMemAccessBytes = 16;
/// Shared memory: each block reads its own kSmemRows x kSmemThreads int4 array.
inline constexpr int kSmemThreads = 256;
inline constexpr int kSmemRows = 4;
inline constexpr int kSmemUnroll = 2;  ///< the rows are read kSmemUnroll times per trip
inline constexpr int kSmemBytesPerBlock = kSmemRows * kSmemThreads * kMemAccessBytes;

}  // namespace flopscope::ceilings::params
