#pragma once
// Whether CUPTI may be called in this process at all. CUPTI 13.2, the one
// PyTorch's CUDA 13 wheels bring, overflows its stack on its first call (even
// cuptiGetVersion) where no CUDA driver answers; 13.0, the toolkit's here,
// works offline. Seen on a machine without a driver (docs/profile.md, PyTorch).
#include <string>

namespace flopscope::cupti {

/// The installed driver's CUDA version (cuDriverGetVersion, e.g. 12040), or 0
/// where libcuda.so.1 does not load or answer (a stub library's fails). Needs
/// no GPU and initialises nothing; the library is kept loaded once it answers.
int installed_driver_version();

/// A CUDA driver answers here: installed_driver_version() > 0.
bool driver_answers();

/// Before the first CUPTI call of a path that runs without a GPU (the host API:
/// metric plans, counter evaluation). Where no driver answers, CUPTI's first call
/// is made once in a forked child; if that child dies, or is still running after
/// 10 s, throws no_gpu naming the library. Decided once per process.
void require_cupti_callable();

}  // namespace flopscope::cupti
