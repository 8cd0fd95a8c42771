#pragma once
// The status a launcher returns. Launchers check their launch and report;
// they never exit. Host-only: CUDA codes are carried as plain ints.
#include <string>
#include <utility>

namespace flopscope::kernels {

struct Status {
  int code = 0;         ///< 0: ok; otherwise a cudaError_t or cublasStatus_t value
  std::string message;  ///< "gemm.reg_tiled: invalid configuration argument"

  bool ok() const { return code == 0; }
  static Status success() { return {}; }
  static Status error(int code, std::string message) { return {code, std::move(message)}; }
};

}  // namespace flopscope::kernels
