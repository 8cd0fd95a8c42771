#pragma once
// Which operation a launch, copy or memset API callback belongs to, per
// thread. Plain code (no CUPTI type), tested on the CPU.
#include <cstdint>
#include <type_traits>

namespace flopscope::cupti {

/// What the callback at a call's enter learns about the call.
struct ApiCall {
  uint32_t outer = 0;     ///< correlation id of the outermost call it is inside; 0: it is the outermost
  bool captured = false;  ///< the outermost call goes into a stream under CUDA graph capture
};

/// The launch, copy and memset API calls in progress on one thread. A call
/// made inside another (the driver call of a runtime launch, or a runtime
/// entry point such as __cudaLaunchKernel calling another runtime launch) is
/// part of the outermost one: one launch, counted once. Only that outermost
/// call is kept, with the depth, so there is no stack to overflow.
///
/// Trivially destructible, for thread_local use from CUPTI callbacks: those
/// can come after the thread's TLS destructors have run (a static or TLS
/// destructor doing a cudaMemcpy at exit), where a std::vector would already
/// have been freed.
class ApiNesting {
 public:
  /// At a call's enter. `is_captured()` is asked for an outermost call only:
  /// a nested call is part of it and shares its answer.
  template <class IsCaptured>
  ApiCall enter(uint32_t correlation, IsCaptured&& is_captured) {
    if (depth_++ > 0) return {outermost_, captured_};
    outermost_ = correlation;
    captured_ = false;  // should is_captured throw
    captured_ = is_captured();
    return {0, captured_};
  }
  ApiCall enter(uint32_t correlation) {
    return enter(correlation, [] { return false; });
  }
  /// At a call's exit. An exit whose enter was not seen (the collector started
  /// inside the call) is ignored. The outermost call's exit ends the nesting
  /// whatever the depth, so one exit that never came cannot make every later
  /// call on the thread look nested (and inherit a stale capture answer).
  void exit(uint32_t correlation) {
    if (depth_ == 0) return;
    depth_ = correlation == outermost_ ? 0 : depth_ - 1;
  }
  uint32_t depth() const { return depth_; }

 private:
  uint32_t depth_ = 0, outermost_ = 0;
  bool captured_ = false;
};
static_assert(std::is_trivially_destructible_v<ApiNesting>);

}  // namespace flopscope::cupti
