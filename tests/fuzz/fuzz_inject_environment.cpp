// The injection library's settings, read from the application's environment
// (inject_config_from_env), then its launch filter built from them and used as
// the library uses it for each launch; what `profile` writes into the
// environment for those settings (inject_environment) reads back the same.
// The input is the variables' values in the order of kNames, separated by NUL
// bytes (which no value can hold); a variable past the last value is unset.
#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

#include "activity_profile.h"
#include "fuzz_target.h"
#include "inject_config.h"

using namespace flopscope;
using namespace flopscope::cupti;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kNames[] = {kEnvProfileDir, kEnvKernelRegex, kEnvLaunchSkip, kEnvLaunchCount,
                                       kEnvNvtxInclude, kEnvPeriodMs, kEnvSet, kEnvTensor, kEnvCounters};
  const std::string text = fuzz::text_of(data, size);
  std::vector<std::string> values;
  for (size_t at = 0; at <= text.size() && values.size() < std::size(kNames);) {
    const size_t nul = std::min(text.find('\0', at), text.size());
    values.push_back(text.substr(at, nul - at));
    at = nul + 1;
  }
  auto getenv = [&](const char* name) -> const char* {
    for (size_t i = 0; i < values.size(); ++i)
      if (std::string(name) == kNames[i]) return values[i].c_str();
    return nullptr;
  };
  // Refusals name the variable or the option it came from.
  fuzz::loaded_or_refused("", [&] {
    const InjectConfig c = inject_config_from_env(getenv);
    LaunchFilter filter(c.filter);
    for (const char* kernel : {"_Z11gemm_kernelILi128EEvPKfS1_Pfiii", "copy_kernel"}) {
      if (!filter.name_ok(kernel) || !filter.nvtx_ok("step/forward")) continue;
      for (int i = 0; i < 3; ++i) filter.take_index();
    }
    // What `profile` writes into the environment (inject_environment) reads back the same.
    std::vector<std::pair<std::string, std::string>> env;
    for (const std::string& e : inject_environment(c)) {
      const size_t eq = e.find('=');
      env.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    }
    const InjectConfig back = inject_config_from_env([&](const char* name) -> const char* {
      for (const auto& [k, v] : env)
        if (k == name) return v.c_str();
      return nullptr;
    });
    if (back.dir != c.dir || back.filter.kernel_regex != c.filter.kernel_regex ||
        back.filter.launch_skip != c.filter.launch_skip || back.filter.launch_count != c.filter.launch_count ||
        back.filter.nvtx_include != c.filter.nvtx_include || back.period_ms != c.period_ms ||
        back.metric_set != c.metric_set || back.tensor != c.tensor || back.counters != c.counters)
      fuzz::defect("inject_environment does not read back as the same settings");
  });
  return 0;
}
