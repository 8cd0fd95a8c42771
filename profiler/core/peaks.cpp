#include "flopscope/peaks.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <sstream>
#include <vector>

#include "flopscope/error.h"

namespace flopscope {

std::optional<double> PeakTable::dense(const Precision& p) const {
  auto it = flops_per_s.find(p.key());
  if (it == flops_per_s.end()) return std::nullopt;
  return it->second;
}

static std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The words of a lower-case name, split at spaces, hyphens and underscores: a
// user's "h200-nvl" names the NVL as much as CUDA's "NVIDIA H200 NVL" does
// ("max-q" gives "max").
static std::vector<std::string> words_of(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '-' || c == '_'; }, ' ');
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Whether the lower-case device name `want` holds the pattern `m` of the entry
// named `entry` as the name of that product, not of another: "nvidia l4" is not
// in "nvidia l40", nor "nvidia l40" in "nvidia l40s", "b200" not in "nvidia
// gb200", and a variant word neither the pattern nor the entry's name has
// ("h200 nvl", "h200 pcie", "rtx 4090 d", "rtx 4090 ti", "... laptop gpu")
// names another product with other peaks.
static bool names_product(const std::string& want, const std::string& m, const std::string& entry) {
  const size_t at = want.find(m);
  if (at == std::string::npos) return false;
  if (at > 0 && std::isalnum(static_cast<unsigned char>(want[at - 1]))) return false;
  const size_t end = at + m.size();
  if (end < want.size() && std::isalnum(static_cast<unsigned char>(want[end])) &&
      std::isdigit(static_cast<unsigned char>(m.back())))
    return false;  // "l4" + "0", "l40" + "s"
  std::vector<std::string> own = words_of(m);
  for (std::string& w : words_of(entry)) own.push_back(std::move(w));
  static const char* const kVariantWords[] = {"nvl", "d", "laptop", "mobile", "max", "pcie", "sxm", "ti", "super"};
  for (const std::string& w : words_of(want))
    if (std::find(std::begin(kVariantWords), std::end(kVariantWords), w) != std::end(kVariantWords) &&
        std::find(own.begin(), own.end(), w) == own.end())
      return false;
  return true;
}

// Lower case, with '-' and '_' read as spaces: "rtx-4090", "h100_sxm" and
// "rtx 4090" name one product.
static std::string spaced(std::string_view s) {
  std::string out = lower(s);
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '-' || c == '_'; }, ' ');
  return out;
}

const GpuSpec* find_gpu_key(std::string_view key) {
  for (const GpuSpec& g : gpu_database())
    if (g.key == key) return &g;
  return nullptr;
}

const GpuSpec* find_gpu_for_record(std::string_view gpu_key, std::string_view name, int sm_count,
                                   double memory_bytes) {
  return gpu_key.empty() ? find_gpu_for_device(name, sm_count, memory_bytes) : find_gpu_key(gpu_key);
}

const GpuSpec* find_gpu(std::string_view name) {
  if (lower(name).empty()) return nullptr;
  for (const auto& g : gpu_database())
    if (lower(g.key) == lower(name) || lower(g.name) == lower(name)) return &g;
  const std::string want = spaced(name);
  // A CUDA device name such as "NVIDIA H100 80GB HBM3": the most specific
  // (longest) matching pattern wins, so "h100 pcie" beats "h100".
  const GpuSpec* best = nullptr;
  size_t best_len = 0;
  for (const auto& g : gpu_database())
    for (const auto& m : g.match)
      if (names_product(want, spaced(m), spaced(g.name)) && m.size() > best_len) {
        best = &g;
        best_len = m.size();
      }
  return best;
}

const GpuSpec* find_gpu_for_device(std::string_view name, int sm_count, double memory_bytes) {
  const GpuSpec* g = find_gpu(name);
  if (!g) return nullptr;
  if (sm_count > 0 && sm_count != g->sm_count) return nullptr;  // a MIG slice, a cut-down part
  // The runtime reports a little more or less than the nominal size (H200:
  // 150e9 bytes for 141 GB); a 40GB part under an 80GB name reports half.
  if (memory_bytes > 0 && g->memory_bytes > 0) {
    const double ratio = memory_bytes / g->memory_bytes;
    if (ratio < 0.85 || ratio > 1.25) return nullptr;
  }
  return g;
}

const GpuSpec& require_gpu(std::string_view name) {
  if (const GpuSpec* g = find_gpu(name)) return *g;
  // A family name ("h100") names several products: those are the candidates;
  // so are the products whose key or name holds every word typed ("A100 80GB").
  auto holds_every_word = [want = spaced(name)](const GpuSpec& g) {
    const std::string known = spaced(g.key) + " " + spaced(g.name);
    std::istringstream words(want);
    std::string w;
    bool any = false;
    while (words >> w) {
      if (known.find(w) == std::string::npos) return false;
      any = true;
    }
    return any;
  };
  std::vector<std::string> close;
  for (const auto& g : gpu_database())
    if (holds_every_word(g)) close.push_back(g.key);
  std::ostringstream os;
  os << "unknown GPU '" << name << "'; ";
  if (!close.empty()) {
    os << "it could be:";
    for (const std::string& k : close) os << ' ' << k;
  } else {
    os << "known GPUs:";
    for (const auto& g : gpu_database()) os << ' ' << g.key;
  }
  os << " (see `flopscope specs`)";
  throw_bad_input(os.str());
}

const ArchRates* find_arch(int cc_major, int cc_minor) {
  for (const auto& a : arch_database())
    if (a.cc_major == cc_major && a.cc_minor == cc_minor) return &a;
  return nullptr;
}

static const ArchRates& arch_of(const GpuSpec& g) {
  for (const auto& a : arch_database())
    if (a.arch == g.arch) return a;
  throw Error(ErrorKind::failure, "peak database: GPU " + g.key + " names unknown arch " + g.arch);
}

// Tensor paths that have a 2:4 structured-sparsity mode doubling the dense rate.
static bool has_sparse_mode(const Precision& p, const ArchRates& a) {
  if (p.pipe != Pipe::tensor || a.cc_major < 8) return false;
  return p.dtype != DType::fp64;
}

static PeakTable build(const ArchRates& arch, const std::map<std::string, double>& overrides,
                       int sm_count, double vector_mhz, double tensor_mhz) {
  PeakTable t;
  for (const auto& p : all_precisions()) {
    auto it = overrides.find(p.key());
    double per_clk = 0;
    if (it != overrides.end()) {
      per_clk = it->second;
    } else if (auto a = arch.flops_per_clk_per_sm.find(p.key()); a != arch.flops_per_clk_per_sm.end()) {
      per_clk = a->second;
    }
    if (per_clk <= 0) continue;
    // FP64 tensor runs at the vector clock in NVIDIA's datasheets (H100: 66.9 TF).
    const bool tensor_clock = p.pipe == Pipe::tensor && p.dtype != DType::fp64;
    const double mhz = tensor_clock ? tensor_mhz : vector_mhz;
    const double dense = per_clk * sm_count * mhz * 1e6;
    t.flops_per_s[p.key()] = dense;
    if (has_sparse_mode(p, arch)) t.sparse_flops_per_s[p.key()] = 2.0 * dense;
  }
  return t;
}

PeakTable datasheet_peaks(const GpuSpec& g) {
  PeakTable t = build(arch_of(g), g.rate_overrides, g.sm_count, g.vector_clock_mhz,
                      g.tensor_clock_mhz);
  t.dram_bytes_per_s = g.dram_bytes_per_s;
  t.source = "datasheet: " + g.source;
  return t;
}

PeakTable derived_peaks(const ArchRates& arch, int sm_count, double clock_mhz,
                        double dram_bytes_per_s, bool geforce) {
  if (sm_count <= 0 || clock_mhz <= 0)
    throw_bad_input("derived peaks need a positive SM count and clock");
  const bool geforce_rates = geforce && !arch.geforce_flops_per_clk_per_sm.empty();
  PeakTable t = build(arch, geforce_rates ? arch.geforce_flops_per_clk_per_sm : std::map<std::string, double>{},
                      sm_count, clock_mhz, clock_mhz);
  t.dram_bytes_per_s = dram_bytes_per_s;
  std::ostringstream os;
  os << "derived: " << arch.arch << (geforce_rates ? " GeForce" : "") << " rates x " << sm_count << " SMs x "
     << clock_mhz << " MHz (device-reported max clock)";
  t.source = os.str();
  return t;
}

}  // namespace flopscope
