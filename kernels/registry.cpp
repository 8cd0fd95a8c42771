// The kernel registry (registry.h). Host-only.
#include "registry.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>

#include "flopscope/error.h"
#include "flopscope/user_regex.h"

namespace flopscope::kernels {

namespace {

std::vector<KernelSpec>& pending() {
  static std::vector<KernelSpec> specs;
  return specs;
}

std::string join_ids(const std::vector<KernelSpec>& specs) {
  std::string out;
  for (const auto& s : specs) out += (out.empty() ? "" : ", ") + s.id();
  return out;
}

std::string param_names(const KernelSpec& spec) {
  std::string out;
  for (const auto& p : spec.params) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

std::string preset_names(const KernelSpec& spec) {
  std::string out = "default";
  for (const auto& p : spec.presets) out += ", " + p.name;
  return out;
}

std::vector<KernelSpec> build_sorted() {
  std::vector<KernelSpec> specs = pending();
  std::sort(specs.begin(), specs.end(),
            [](const KernelSpec& a, const KernelSpec& b) { return a.id() < b.id(); });
  for (size_t i = 0; i < specs.size(); ++i) {
    const KernelSpec& s = specs[i];
    if (i > 0 && specs[i - 1].id() == s.id())
      throw Error(ErrorKind::failure, "kernel id '" + s.id() + "' is registered twice");
    if (s.family.empty() || s.variant.empty() || s.dtype.empty() || !s.model || !s.check_shape ||
        !s.device_bytes || !s.host_bytes || !s.create || s.params.empty())
      throw Error(ErrorKind::failure, "kernel '" + s.id() + "' is registered incompletely");
    for (const auto& p : s.presets)
      if (p.values.size() != s.params.size())
        throw Error(ErrorKind::failure, "kernel '" + s.id() + "': preset '" + p.name +
                                            "' has the wrong number of values");
  }
  return specs;
}

int64_t parse_int(const std::string& text, const std::string& what) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc::result_out_of_range)
    throw_bad_input(what + ": '" + clipped(text) + "' is out of range (at most 9223372036854775807)");
  if (ec != std::errc() || p != end || text.empty())
    throw_bad_input(what + ": '" + clipped(text) + "' is not an integer");
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return out;
}

}  // namespace

bool register_kernels(std::vector<KernelSpec> specs) {
  for (auto& s : specs) pending().push_back(std::move(s));
  return true;
}

const std::vector<KernelSpec>& all_kernels() {
  // Built once, after every static registration has run (main has started).
  static const std::vector<KernelSpec> sorted = build_sorted();
  return sorted;
}

const KernelSpec* find_kernel(std::string_view id) {
  for (const auto& s : all_kernels())
    if (s.id() == id) return &s;
  return nullptr;
}

std::vector<const KernelSpec*> select_kernels(const std::string& id_regex,
                                              const std::vector<std::string>& dtypes) {
  const auto& all = all_kernels();
  std::set<std::string> known_dtypes;
  for (const auto& s : all) known_dtypes.insert(s.dtype);
  for (const auto& d : dtypes) {
    if (!known_dtypes.count(d)) {
      std::string list;
      for (const auto& k : known_dtypes) list += (list.empty() ? "" : ", ") + k;
      throw_bad_input("--dtype: no kernel has dtype '" + d + "' (known: " + list + ")");
    }
  }
  const UserRegex re(id_regex, "--kernel");
  std::vector<const KernelSpec*> out;
  for (const auto& s : all) {
    if (!id_regex.empty() && !re.found_in(s.id())) continue;
    if (!dtypes.empty() && std::find(dtypes.begin(), dtypes.end(), s.dtype) == dtypes.end())
      continue;
    out.push_back(&s);
  }
  if (out.empty())
    throw_bad_input("no kernel matches --kernel '" + id_regex + "'" +
                    (dtypes.empty() ? "" : " with the given --dtype") +
                    "; supported: " + join_ids(all));
  return out;
}

std::string device_refusal(const KernelSpec& spec, int cc, int smem_optin_bytes, int lowest_built_cc) {
  const std::string gpu = "this GPU is sm_" + std::to_string(cc);
  if (lowest_built_cc > 0 && cc < lowest_built_cc)
    return spec.id() + " has no code for sm_" + std::to_string(cc) + ": this flopscope was built for sm_" +
           std::to_string(lowest_built_cc) + " and newer (rebuild with sm_" + std::to_string(cc) +
           " in CMAKE_CUDA_ARCHITECTURES)";
  if (spec.only_cc && cc != spec.only_cc)
    return spec.id() + " runs only on sm_" + std::to_string(spec.only_cc) + "; " + gpu;
  if (spec.min_cc && cc < spec.min_cc)
    return spec.id() + " needs sm_" + std::to_string(spec.min_cc) + " or newer; " + gpu;
  if (spec.smem_bytes > smem_optin_bytes)
    return spec.id() + " needs " + std::to_string(spec.smem_bytes) + " bytes of shared memory a block; " + gpu +
           ", whose blocks get at most " + std::to_string(smem_optin_bytes);
  return "";
}

std::vector<const KernelSpec*> default_suite() {
  std::vector<const KernelSpec*> out;
  for (const auto& s : all_kernels())
    if (s.in_default_suite) out.push_back(&s);
  return out;
}

Shape resolve_shape(const KernelSpec& spec, const std::string& arg) {
  std::vector<int64_t> values;
  for (const auto& p : spec.params) values.push_back(p.default_value);
  const std::string id = spec.id();

  if (arg.empty() || arg == "default") {
    // the defaults
  } else if (arg.find('=') != std::string::npos) {
    std::vector<std::string> given;
    for (const std::string& item : split(arg, ',')) {
      const size_t eq = item.find('=');
      if (eq == std::string::npos)
        throw_bad_input("--shape '" + clipped(arg) + "': '" + clipped(item) + "' is not NAME=VALUE");
      const std::string name = item.substr(0, eq);
      auto it = std::find_if(spec.params.begin(), spec.params.end(),
                             [&](const ShapeParam& p) { return p.name == name; });
      if (it == spec.params.end())
        throw_bad_input("--shape: " + id + " has no dimension '" + clipped(name) +
                        "' (its dimensions: " + param_names(spec) + ")");
      if (std::find(given.begin(), given.end(), name) != given.end())
        throw_bad_input("--shape '" + clipped(arg) + "': " + name + " is given twice; give each dimension once");
      given.push_back(name);
      values[size_t(it - spec.params.begin())] = parse_int(item.substr(eq + 1), "--shape " + name);
    }
  } else if (arg.find_first_not_of("0123456789x-") == std::string::npos) {  // '-': the range check names a negative
    const auto parts = split(arg, 'x');
    if (parts.size() != spec.params.size())
      throw_bad_input("--shape '" + clipped(arg) + "': " + id + " takes " +
                      std::to_string(spec.params.size()) + " values (" + param_names(spec) +
                      "), got " + std::to_string(parts.size()));
    for (size_t i = 0; i < parts.size(); ++i)
      values[i] = parse_int(parts[i], "--shape " + spec.params[i].name);
  } else {
    auto it = std::find_if(spec.presets.begin(), spec.presets.end(),
                           [&](const ShapePreset& p) { return p.name == arg; });
    if (it == spec.presets.end())
      throw_bad_input("--shape: " + id + " has no preset '" + clipped(arg) + "' (presets: " +
                      preset_names(spec) + "; or give NAME=VALUE,... or AxBxC)");
    values = it->values;
  }

  Shape shape;
  for (size_t i = 0; i < spec.params.size(); ++i) {
    const ShapeParam& p = spec.params[i];
    if (values[i] < p.min_value)
      throw_bad_input("--shape: " + id + " needs " + p.name + " >= " +
                      std::to_string(p.min_value) + ", got " + std::to_string(values[i]));
    shape.emplace_back(p.name, values[i]);
  }
  const std::string why = spec.check_shape(shape);
  if (!why.empty()) throw_bad_input(id + " " + shape_string(shape) + ": " + why);
  return shape;
}

std::string fit_problem(const std::string& what, double needed, double free_bytes, Memory where) {
  // Leave room for the CUDA context's own allocations and the library workspaces.
  constexpr double kMargin = 256.0 * 1024 * 1024;
  if (needed + kMargin <= free_bytes) return "";
  auto gib = [](double b) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    return std::string(buf);
  };
  const char* memory = where == Memory::device ? " of device memory" : " of host memory";
  return what + " needs " + gib(needed) + memory + " (plus " + gib(kMargin) + " headroom) but " +
         gib(free_bytes) + (where == Memory::device ? " is free" : " is available") +
         ": choose a smaller --shape";
}

namespace {

// The first number in a file ("max" or a missing file: none).
std::optional<double> read_number(const char* path) {
  std::ifstream in(path);
  double v = 0;
  if (in >> v) return v;
  return std::nullopt;
}

// The value of `key` in a "key value" per line file (memory.stat), or 0.
double stat_value(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string k;
  double v = 0;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

}  // namespace

double available_host_bytes(const std::string& root) {
  double avail = -1;
  std::ifstream meminfo(root + "/proc/meminfo");
  std::string line;
  double kib = 0;
  while (std::getline(meminfo, line))
    if (std::sscanf(line.c_str(), "MemAvailable: %lf kB", &kib) == 1) avail = kib * 1024.0;
  // In a container the cgroup's limit binds first (v2, then v1's files). Its
  // usage counts the page cache, of which the inactive part is given back on
  // demand (the working set the kubelet uses): a container that had just read
  // large files was refused memory it had.
  const std::string cg = root + "/sys/fs/cgroup";
  for (const auto& [limit, usage, stat, inactive] :
       {std::tuple{cg + "/memory.max", cg + "/memory.current", cg + "/memory.stat", "inactive_file"},
        std::tuple{cg + "/memory/memory.limit_in_bytes", cg + "/memory/memory.usage_in_bytes",
                   cg + "/memory/memory.stat", "total_inactive_file"}}) {
    const auto max = read_number(limit.c_str()), used = read_number(usage.c_str());
    if (max && used && *max < 1e18) {  // v1 writes "no limit" as about 2^63
      const double working = std::max(0.0, *used - stat_value(stat, inactive));
      const double left = std::max(0.0, *max - working);
      avail = avail < 0 ? left : std::min(avail, left);
      break;
    }
  }
  return avail;
}

std::string shape_tag(const Shape& s) {
  std::string out;
  for (const auto& [k, v] : s) out += (out.empty() ? "" : "_") + k + std::to_string(v);
  return out;
}

}  // namespace flopscope::kernels
