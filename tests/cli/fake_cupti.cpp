// A stand-in libcupti.so.13 (SONAME libcupti.so.13) for driving the injection
// library past CUPTI's start where there is no GPU: every function the library
// imports succeeds and does nothing, except
//   cuptiGetVersion        reports kFakeCuptiVersion;
//   cuptiActivityFlushAll  appends "flush <flag>\n" to $FAKE_CUPTI_LOG.
// inject_loader loads it first when INJECT_LOADER_CUPTI names it, as PyTorch
// loads its wheel's libcupti, so the injection library binds to it by SONAME.
// A CUPTI function the library starts to import must be added here: dlopen
// then fails naming it.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "cli/fake_cupti.h"

#define FAKE_CUPTI_STUB(name) \
  extern "C" int name();      \
  extern "C" int name() { return 0; }

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
FAKE_CUPTI_STUB(cuptiSubscribe_v2)  // leaves the handle null; nothing ever calls back
FAKE_CUPTI_STUB(cuptiUnsubscribe)

extern "C" int cuptiGetVersion(uint32_t* version);
extern "C" int cuptiGetVersion(uint32_t* version) {
  *version = kFakeCuptiVersion;
  return 0;
}

extern "C" int cuptiActivityFlushAll(uint32_t flag);
extern "C" int cuptiActivityFlushAll(uint32_t flag) {
  if (const char* path = std::getenv("FAKE_CUPTI_LOG")) {
    const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      char line[32];
      const int n = std::snprintf(line, sizeof line, "flush %u\n", unsigned(flag));
      if (::write(fd, line, size_t(n)) != n) std::abort();
      ::close(fd);
    }
  }
  return 0;
}
