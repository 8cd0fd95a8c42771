// A stand-in libcupti.so.13 (SONAME libcupti.so.13) for driving the injection
// library past CUPTI's start where there is no GPU: every function the library
// imports succeeds and does nothing, except
//   cuptiGetVersion        reports kFakeCuptiVersion;
//   cuptiActivityFlushAll  appends "flush <flag>\n" to $FAKE_CUPTI_LOG once it has
//                          taken $FAKE_CUPTI_FLUSH_MS (0 by default), as a big
//                          flush takes a while;
//   cuptiUnsubscribe, cuptiActivityDisable  append their name and "\n" to it;
//   $FAKE_CUPTI_REFUSE=NAME[:N]  makes the Nth call (the first by default) of the
//                          stub NAME return CUPTI_ERROR_INVALID_PARAMETER;
//   cuptiSubscribe_v2      keeps the callback, which fake_cupti_call_back calls
//                          as CUPTI would on an API call or an NVTX range.
// inject_loader loads it first when INJECT_LOADER_CUPTI names it, as PyTorch
// loads its wheel's libcupti, so the injection library binds to it by SONAME.
// A CUPTI function the library starts to import must be added here: dlopen
// then fails naming it.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/fake_cupti.h"

namespace {

void log_line(const char* line) {
  const char* path = std::getenv("FAKE_CUPTI_LOG");
  if (!path) return;
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const size_t n = std::strlen(line);
  if (::write(fd, line, n) != ssize_t(n)) std::abort();
  ::close(fd);
}

// 0 (CUPTI_SUCCESS), or 1 (CUPTI_ERROR_INVALID_PARAMETER) for the call
// $FAKE_CUPTI_REFUSE names. `calls` counts the stub's calls.
int answer(const char* name, unsigned& calls) {
  ++calls;
  const char* refuse = std::getenv("FAKE_CUPTI_REFUSE");
  const size_t n = std::strlen(name);
  if (!refuse || std::strncmp(refuse, name, n) != 0) return 0;
  const unsigned nth = refuse[n] == ':' ? unsigned(std::atoi(refuse + n + 1)) : refuse[n] == '\0' ? 1 : 0;
  return calls == nth ? 1 : 0;
}

}  // namespace

#define FAKE_CUPTI_STUB(name) \
  extern "C" int name();      \
  extern "C" int name() {     \
    static unsigned calls = 0; \
    return answer(#name, calls); \
  }
#define FAKE_CUPTI_LOGGED_STUB(name) \
  extern "C" int name();             \
  extern "C" int name() {            \
    log_line(#name "\n");            \
    static unsigned calls = 0;       \
    return answer(#name, calls);     \
  }

FAKE_CUPTI_LOGGED_STUB(cuptiActivityDisable)
FAKE_CUPTI_LOGGED_STUB(cuptiUnsubscribe)

FAKE_CUPTI_STUB(cuptiActivityEnable)
FAKE_CUPTI_STUB(cuptiActivityFlushPeriod)
FAKE_CUPTI_STUB(cuptiActivityGetNextRecord)
FAKE_CUPTI_STUB(cuptiActivityGetNumDroppedRecords)
FAKE_CUPTI_STUB(cuptiActivityRegisterCallbacks)
FAKE_CUPTI_STUB(cuptiActivitySetAttribute)
FAKE_CUPTI_STUB(cuptiDeviceGetChipName)
FAKE_CUPTI_STUB(cuptiEnableCallback)
FAKE_CUPTI_STUB(cuptiEnableDomain)
FAKE_CUPTI_STUB(cuptiGetCallbackName)  // leaves the name null: every callback id is "other"
FAKE_CUPTI_STUB(cuptiProfilerDeviceSupported)
FAKE_CUPTI_STUB(cuptiProfilerGetCounterAvailability)
FAKE_CUPTI_STUB(cuptiProfilerHostConfigAddMetrics)
FAKE_CUPTI_STUB(cuptiProfilerHostDeinitialize)
FAKE_CUPTI_STUB(cuptiProfilerHostEvaluateToGpuValues)
FAKE_CUPTI_STUB(cuptiProfilerHostGetBaseMetrics)
FAKE_CUPTI_STUB(cuptiProfilerHostGetConfigImage)
FAKE_CUPTI_STUB(cuptiProfilerHostGetConfigImageSize)
FAKE_CUPTI_STUB(cuptiProfilerHostGetMetricProperties)
FAKE_CUPTI_STUB(cuptiProfilerHostGetNumOfPasses)
FAKE_CUPTI_STUB(cuptiProfilerHostGetSupportedChips)
FAKE_CUPTI_STUB(cuptiProfilerHostInitialize)
FAKE_CUPTI_STUB(cuptiProfilerInitialize)
FAKE_CUPTI_STUB(cuptiRangeProfilerCounterDataGetRangeInfo)
FAKE_CUPTI_STUB(cuptiRangeProfilerCounterDataImageInitialize)
FAKE_CUPTI_STUB(cuptiRangeProfilerDecodeData)
FAKE_CUPTI_STUB(cuptiRangeProfilerDisable)
FAKE_CUPTI_STUB(cuptiRangeProfilerEnable)
FAKE_CUPTI_STUB(cuptiRangeProfilerGetCounterDataInfo)
FAKE_CUPTI_STUB(cuptiRangeProfilerGetCounterDataSize)
FAKE_CUPTI_STUB(cuptiRangeProfilerSetConfig)
FAKE_CUPTI_STUB(cuptiRangeProfilerStart)
FAKE_CUPTI_STUB(cuptiRangeProfilerStop)
using FakeCallback = void (*)(void* userdata, int domain, unsigned cbid, const void* data);
FakeCallback g_callback = nullptr;
void* g_userdata = nullptr;

// Leaves the handle null, as the other stubs ignore it.
extern "C" int cuptiSubscribe_v2(void** subscriber, FakeCallback callback, void* userdata, void* params);
extern "C" int cuptiSubscribe_v2(void** subscriber, FakeCallback callback, void* userdata, void*) {
  static unsigned calls = 0;
  const int r = answer("cuptiSubscribe_v2", calls);
  if (r == 0) {
    g_callback = callback;
    g_userdata = userdata;
    *subscriber = nullptr;
  }
  return r;
}

extern "C" void fake_cupti_call_back(int domain, unsigned cbid, const void* data);
extern "C" void fake_cupti_call_back(int domain, unsigned cbid, const void* data) {
  if (g_callback) g_callback(g_userdata, domain, cbid, data);
}

extern "C" int cuptiGetVersion(uint32_t* version);
extern "C" int cuptiGetVersion(uint32_t* version) {
  *version = kFakeCuptiVersion;
  return 0;
}

extern "C" int cuptiActivityFlushAll(uint32_t flag);
extern "C" int cuptiActivityFlushAll(uint32_t flag) {
  if (const char* ms = std::getenv("FAKE_CUPTI_FLUSH_MS")) {
    const long total = std::atol(ms);
    const timespec wait{total / 1000, (total % 1000) * 1000 * 1000};
    ::nanosleep(&wait, nullptr);
  }
  char line[32];
  std::snprintf(line, sizeof line, "flush %u\n", unsigned(flag));
  log_line(line);
  return 0;
}
