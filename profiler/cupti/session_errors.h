#pragma once
// What a failed CUPTI call means for the user. Pure code (no CUPTI header): the
// CUPTI result is passed as its integer value, so the mapping is unit-tested on
// the CPU (tests/unit/session_errors_test.cpp).
#include <string>
#include <string_view>

#include "flopscope/device.h"  // driver_too_old_message
#include "flopscope/error.h"

namespace flopscope::cupti {

struct CuptiFailure {
  ErrorKind kind = ErrorKind::failure;
  std::string message;          ///< one line: what happened, then what to do
  /// Counters cannot work on this device or configuration at all, so a
  /// session carries on with timing only (and says why). False for what the
  /// user can fix (privileges, another profiler, a busy GPU): those stop.
  bool timing_fallback = false;
};

/// CUptiResult name, e.g. "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES" (or "CUPTI error N").
std::string cupti_result_name(int result);

/// The CUDA version flopscope was built with (CUDART_VERSION, e.g. 13000).
int built_cuda_version();

// driver_too_old_message is flopscope/device.h's (host-only).

/// Maps a CUptiResult returned by `call` to an error kind and a message that
/// names the fix. `detail` is appended when not empty (e.g. the name of the
/// subscriber already attached, or the metric being added). For the results
/// CUPTI gives when it cannot reach a driver (UNKNOWN, NOT_INITIALIZED), a
/// `driver_version` too old for this build is named instead of "no GPU".
CuptiFailure describe_cupti_failure(int result, std::string_view call, std::string_view detail = {},
                                    int driver_version = 0);

/// An Error that remembers the CUPTI result and whether timing can go on.
class CuptiError : public Error {
 public:
  CuptiError(int result, const CuptiFailure& f)
      : Error(f.kind, f.message), result_(result), timing_fallback_(f.timing_fallback) {}
  int result() const noexcept { return result_; }
  bool timing_fallback() const noexcept { return timing_fallback_; }

 private:
  int result_;
  bool timing_fallback_;
};

/// Throws CuptiError(describe_cupti_failure(...)), asking the CUDA runtime for
/// the driver version when the result may mean a driver too old.
[[noreturn]] void throw_cupti_failure(int result, std::string_view call, std::string_view detail = {});
/// A profiler host API call's failure. The host API needs no GPU: where it
/// cannot start (CUPTI_ERROR_NOT_INITIALIZED or _UNKNOWN) and
/// `nvperf_library` cannot be loaded, that library, which libcupti opens at
/// run time, is the cause, not a driver, and the error says so (exit 3, as
/// any environment that cannot evaluate counters); else throw_cupti_failure's.
[[noreturn]] void throw_host_failure(int result, std::string_view call, std::string_view detail = {},
                                     const char* nvperf_library = "libnvperf_host.so");

}  // namespace flopscope::cupti
