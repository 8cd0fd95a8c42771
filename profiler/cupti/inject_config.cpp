#include "inject_config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>

#include "flopscope/error.h"

namespace flopscope::cupti {

std::vector<std::string> inject_environment(const InjectConfig& c) {
  std::vector<std::string> env{std::string(kEnvProfileDir) + "=" + c.dir,
                               std::string(kEnvPeriodMs) + "=" + std::to_string(c.period_ms)};
  if (c.metric_set != "timing") env.push_back(std::string(kEnvSet) + "=" + c.metric_set);
  if (!c.tensor.empty()) {
    std::string v;
    for (const std::string& t : c.tensor) v += (v.empty() ? "" : ",") + t;
    env.push_back(std::string(kEnvTensor) + "=" + v);
  }
  if (c.counters) env.push_back(std::string(kEnvCounters) + "=1");
  if (!c.filter.kernel_regex.empty()) env.push_back(std::string(kEnvKernelRegex) + "=" + c.filter.kernel_regex);
  if (c.filter.launch_skip > 0)
    env.push_back(std::string(kEnvLaunchSkip) + "=" + std::to_string(c.filter.launch_skip));
  if (c.filter.launch_count >= 0)
    env.push_back(std::string(kEnvLaunchCount) + "=" + std::to_string(c.filter.launch_count));
  if (!c.filter.nvtx_include.empty()) {
    std::string v;
    for (const std::string& r : c.filter.nvtx_include) v += (v.empty() ? "" : "\n") + r;
    env.push_back(std::string(kEnvNvtxInclude) + "=" + v);
  }
  return env;
}

namespace {

// A whole number up to `max`: strtoll saturated on overflow, and int() of
// the period then wrapped.
int64_t env_int(const std::function<const char*(const char*)>& getenv, const char* name, int64_t dflt,
                int64_t max = INT64_MAX) {
  const char* v = getenv(name);
  if (!v || !*v) return dflt;
  int64_t n = 0;
  const char* end = v + std::strlen(v);
  const auto [p, ec] = std::from_chars(v, end, n);
  if (ec != std::errc() || p != end || n < 0 || n > max)
    throw_bad_input(std::string(name) + "='" + v + "' is not a whole number from 0 to " + std::to_string(max));
  return n;
}

}  // namespace

int inject_period_from_env(const std::function<const char*(const char*)>& getenv) {
  return int(env_int(getenv, kEnvPeriodMs, 5000, INT_MAX));
}

InjectConfig inject_config_from_env(const std::function<const char*(const char*)>& getenv) {
  InjectConfig c;
  if (const char* d = getenv(kEnvProfileDir)) c.dir = d;
  if (const char* r = getenv(kEnvKernelRegex)) c.filter.kernel_regex = r;
  c.filter.launch_skip = env_int(getenv, kEnvLaunchSkip, 0);
  c.filter.launch_count = env_int(getenv, kEnvLaunchCount, -1);
  if (const char* n = getenv(kEnvNvtxInclude)) {
    std::string all = n;
    size_t begin = 0;
    while (begin <= all.size()) {
      const size_t nl = all.find('\n', begin);
      const std::string item = all.substr(begin, nl == std::string::npos ? std::string::npos : nl - begin);
      if (!item.empty()) c.filter.nvtx_include.push_back(item);
      if (nl == std::string::npos) break;
      begin = nl + 1;
    }
  }
  c.period_ms = inject_period_from_env(getenv);
  if (const char* set = getenv(kEnvSet); set && *set) c.metric_set = set;
  if (const char* w = getenv(kEnvCounters)) c.counters = std::string(w) == "1";
  if (const char* t = getenv(kEnvTensor)) {
    std::string all = t;
    size_t begin = 0;
    while (begin < all.size()) {
      const size_t comma = all.find(',', begin);
      const std::string item = all.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
      if (!item.empty()) c.tensor.push_back(item);
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
  }
  return c;
}

namespace {

std::string file_stem(const std::string& dir, InjectFileId id) {
  std::string stem = dir + "/flopscope-" + std::to_string(id.pid);
  if (id.image > 0) stem.append(".").append(std::to_string(id.image));
  return stem;
}

}  // namespace

InjectFileId claim_inject_files(const std::string& dir, int pid) {
  constexpr int kMaxImages = 1000;  // exec()s of one process in one run, beyond any real one
  for (int image = 0; image < kMaxImages; ++image) {
    const InjectFileId id{pid, image};
    const int fd = ::open(inject_status_path(dir, id).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
      return id;
    }
    if (errno != EEXIST) break;
  }
  return {pid, 0};
}

std::string inject_results_path(const std::string& dir, InjectFileId id) { return file_stem(dir, id) + ".json"; }

std::string inject_status_path(const std::string& dir, InjectFileId id) { return file_stem(dir, id) + ".status"; }

std::string inject_counters_path(const std::string& dir, InjectFileId id, size_t index) {
  std::string path = file_stem(dir, id);
  if (index > 0) path.append("-").append(std::to_string(index));
  return path.append(".fscounters");
}

}  // namespace flopscope::cupti
