// A project outside flopscope that uses the installed package.
#include <flopscope/peaks.h>
#include <flopscope/version.h>

#include <cstdio>

int main() {
  const auto peaks = flopscope::datasheet_peaks(flopscope::require_gpu("h200"));
  std::printf("flopscope %s: h200 bf16_tensor %.1f TFLOP/s\n", FLOPSCOPE_VERSION,
              peaks.flops_per_s.at("bf16_tensor") / 1e12);
  return 0;
}
