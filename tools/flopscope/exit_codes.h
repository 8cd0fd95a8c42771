#pragma once
// The CLI's exit codes, documented in docs/exit-codes.md. Only the CLI exits.
#include "flopscope/error.h"

namespace flopscope::cli {

enum ExitCode : int {
  kOk = 0,            // success; for compare/check: no regression
  kFailure = 1,       // a failure or regression was found
  kBadInput = 2,      // bad usage or bad input
  kNoGpu = 3,         // no GPU, no driver, or no permission for counters
  kInconclusive = 4,  // compare: timings too noisy to call
};

/// The code a library error ends a command with.
inline int exit_code_for(ErrorKind k) {
  switch (k) {
    case ErrorKind::failure: return kFailure;
    case ErrorKind::bad_input: return kBadInput;
    case ErrorKind::no_gpu: return kNoGpu;
  }
  return kFailure;
}

}  // namespace flopscope::cli
