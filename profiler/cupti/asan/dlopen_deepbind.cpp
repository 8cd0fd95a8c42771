// Sanitizer builds only (FLOPSCOPE_SANITIZE, FLOPSCOPE_FUZZ), two accommodations for libcupti.
//
// ASan refuses every dlopen with
// RTLD_DEEPBIND ("incompatible with sanitizer runtime",
// https://github.com/google/sanitizers/issues/611) and kills the process, and
// libcupti loads libnvperf_host.so exactly that way on its first host-API call.
// This definition of dlopen, compiled into each executable that links the
// collector, comes before libasan's in symbol lookup; it drops that one flag and
// hands the call on to libasan's interceptor (RTLD_NEXT), so ASan still sees and
// checks everything the library does. Release builds never compile it.
#include <dlfcn.h>

extern "C" void* dlopen(const char* file, int mode) {
  using Dlopen = void* (*)(const char*, int);
  static const Dlopen next = reinterpret_cast<Dlopen>(dlsym(RTLD_NEXT, "dlopen"));
  return next(file, mode & ~RTLD_DEEPBIND);
}

// LeakSanitizer: libcupti keeps allocations it makes when cuptiProfilerHostInitialize
// fails (GV11B: CUPTI_ERROR_NOT_SUPPORTED leaks ~1 MB that no call frees). Only
// leaks whose stack passes through libcupti are suppressed; ours are still found.
extern "C" const char* __lsan_default_suppressions() { return "leak:libcupti.so\n"; }
