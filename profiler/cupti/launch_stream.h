#pragma once
// The stream a kernel (or graph) launch, copy or memset goes to, read from the
// parameters CUPTI passes to its callback (CUpti_CallbackData::functionParams),
// so that calls into a stream under CUDA graph capture are left alone:
// profiling them would replay or synchronize inside the capture, counting them
// as launches would take --launch-skip/--launch-count places for kernels that
// never run, and waiting for their records would wait forever.
// Pure struct reading: unit-tested on the CPU (tests/unit/session_test.cpp).
#include <cuda.h>
#include <cupti_callbacks.h>

#include "activity_names.h"  // ApiKind

namespace flopscope::cupti {

/// True when `cbid` of `domain` is a kernel or graph launch whose parameters
/// name its stream; `*stream` is then that stream as the driver understands it (the
/// per-thread default stream for a _ptsz launch on stream 0). False for other
/// callbacks and for null params. The `<<<>>>` of CUDA 13 code
/// (__cudaLaunchKernel_v13000), which CUPTI's headers give no struct for, is
/// read as its prototype lays the parameters out.
bool launch_stream(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params, CUstream* stream);

/// Whether the launch goes into a stream under graph capture (it does not run
/// now: its kernels run at the graph's launches). `no` when the stream is not
/// known (see launch_stream); `unknown` when the stream query failed.
enum class LaunchCapture { no, yes, unknown };
LaunchCapture launch_capture(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params);

/// The stream a copy or memset call goes to: the one its parameters name (the
/// *Async calls), or the per-thread stream for a synchronous _ptds call. False
/// for the legacy stream's synchronous calls (that stream cannot be captured),
/// other callbacks and null params.
bool copy_stream(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params, CUstream* stream);

/// The stream of a call the collector follows: launch_stream for a kernel or
/// graph launch, copy_stream for a copy or memset; false for ApiKind::other.
bool call_stream(ApiKind kind, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params,
                 CUstream* stream);

/// launch_capture for any such call (call_stream). A copy or memset into a
/// capturing stream becomes a graph node, with no activity record of its own.
LaunchCapture call_capture(ApiKind kind, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params);

/// launch_capture() is not `no`: for leaving the launch alone (no counters),
/// rather than risk invalidating someone's capture.
bool launch_is_captured(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* params);

}  // namespace flopscope::cupti
