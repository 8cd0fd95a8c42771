#pragma once
// What a failed CUPTI call means for the user. Pure code (no CUPTI header): the
// CUPTI result is passed as its integer value, so the mapping is unit-tested on
// the CPU (tests/unit/session_errors_test.cpp).
#include <string>
#include <string_view>

#include "flopscope/error.h"

namespace flopscope::cupti {

struct CuptiFailure {
  ErrorKind kind = ErrorKind::failure;
  std::string message;          ///< one line: what happened, then what to do
  bool timing_fallback = false; ///< counters cannot work here; timing still can
};

/// CUptiResult name, e.g. "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES" (or "CUPTI error N").
std::string cupti_result_name(int result);

/// Maps a CUptiResult returned by `call` to an error kind and a message that
/// names the fix. `detail` is appended when not empty (e.g. the name of the
/// subscriber already attached, or the metric being added).
CuptiFailure describe_cupti_failure(int result, std::string_view call, std::string_view detail = {});

/// Throws Error(describe_cupti_failure(...)).
[[noreturn]] void throw_cupti_failure(int result, std::string_view call, std::string_view detail = {});

}  // namespace flopscope::cupti
