// Host-only part of the ceilings: the bench list, FLOP and byte arithmetic,
// clock and trip-count helpers, and the conversion into a PeakTable.
#include "ceilings/ceilings.h"

#include <algorithm>
#include <cmath>

#include "ceilings/params.h"
#include "flopscope/error.h"
#include "flopscope/stats.h"
#include "flopscope/table.h"

namespace flopscope::ceilings {

namespace p = params;

const std::vector<BenchInfo>& all_benches() {
  static const std::vector<BenchInfo> list = {
      {Bench::fp32_ffma, "fp32.ffma", Target::flops, "fp32", "FFMA",
       "FP32 fused multiply-add, CUDA cores"},
      {Bench::fp16_hfma2, "fp16.hfma2", Target::flops, "fp16", "HFMA2",
       "packed FP16 multiply-add (2 lanes), CUDA cores"},
      {Bench::bf16_hfma2, "bf16.hfma2", Target::flops, "bf16", "HFMA2.BF16",
       "packed BF16 multiply-add (2 lanes), CUDA cores"},
      {Bench::fp64_dfma, "fp64.dfma", Target::flops, "fp64", "DFMA",
       "FP64 fused multiply-add, CUDA cores"},
      {Bench::fp16_mma_sync, "fp16.mma_sync", Target::flops, "fp16_tensor", "HMMA.16816.F32",
       "mma.sync m16n8k16 FP16 in, FP32 accumulate"},
      {Bench::bf16_mma_sync, "bf16.mma_sync", Target::flops, "bf16_tensor", "HMMA.16816.F32.BF16",
       "mma.sync m16n8k16 BF16 in, FP32 accumulate"},
      {Bench::tf32_mma_sync, "tf32.mma_sync", Target::flops, "tf32_tensor", "HMMA.1688.F32.TF32",
       "mma.sync m16n8k8 TF32 in, FP32 accumulate"},
      {Bench::fp16_wgmma, "fp16.wgmma", Target::flops, "fp16_tensor", "HGMMA.64x256x16.F32",
       "wgmma m64n256k16 FP16 from shared memory, FP32 accumulate", true},
      {Bench::bf16_wgmma, "bf16.wgmma", Target::flops, "bf16_tensor", "HGMMA.64x256x16.F32.BF16",
       "wgmma m64n256k16 BF16 from shared memory, FP32 accumulate", true},
      {Bench::tf32_wgmma, "tf32.wgmma", Target::flops, "tf32_tensor", "HGMMA.64x256x8.F32.TF32",
       "wgmma m64n256k8 TF32 from shared memory, FP32 accumulate", true},
      {Bench::dram_read, "dram.read", Target::dram, "dram", "LDG.E.128",
       "device-memory read, 16-byte loads, buffer >> L2"},
      {Bench::dram_write, "dram.write", Target::dram, "dram", "STG.E.128",
       "device-memory write, 16-byte stores, buffer >> L2"},
      {Bench::dram_copy, "dram.copy", Target::dram, "dram", "LDG.E.128+STG.E.128",
       "device-memory copy (bytes read + bytes written)"},
      {Bench::l2_read, "l2.read", Target::l2, "l2", "LDG.E.128 (.cg)",
       "L2 read, working set at most half the L2, L1 bypassed"},
      {Bench::smem_read, "smem.read", Target::l1, "l1", "LDS.128",
       "shared-memory read, conflict-free 16-byte loads"},
  };
  return list;
}

bool is_mma_sync(Bench b) {
  return b == Bench::fp16_mma_sync || b == Bench::bf16_mma_sync || b == Bench::tf32_mma_sync;
}

namespace {
/// 0: plain C++ loops; 1: mma.sync (inline PTX); 2: wgmma (sm_90a).
int fault_risk(Bench b) { return info(b).needs_sm90a ? 2 : is_mma_sync(b) ? 1 : 0; }
}  // namespace

std::vector<Bench> run_order() {
  std::vector<Bench> order;
  for (const int risk : {0, 1, 2})
    for (const BenchInfo& b : all_benches())
      if (fault_risk(b.bench) == risk) order.push_back(b.bench);
  return order;
}

const BenchInfo& info(Bench b) {
  for (const BenchInfo& i : all_benches())
    if (i.bench == b) return i;
  throw Error(ErrorKind::failure, "ceilings: unknown benchmark");
}

std::optional<Bench> find_bench(const std::string& id) {
  for (const BenchInfo& i : all_benches())
    if (id == i.id) return i.bench;
  return std::nullopt;
}

namespace {

void require(bool ok, const BenchInfo& b, const char* what) {
  if (!ok) throw_bad_input(std::string("ceilings ") + b.id + ": " + what);
}

double per_thread(const LaunchShape& s, double per_thread_trip) {
  return double(s.blocks) * double(s.threads) * double(s.trips) * per_thread_trip;
}
double per_group(const LaunchShape& s, int group, double per_group_trip) {
  return double(s.blocks) * double(s.threads / group) * double(s.trips) * per_group_trip;
}

}  // namespace

double work_per_launch(Bench b, const LaunchShape& s) {
  const BenchInfo& bi = info(b);
  require(s.blocks > 0 && s.threads > 0 && s.trips > 0, bi, "blocks, threads and trips must be positive");
  switch (b) {
    case Bench::fp32_ffma:
      return per_thread(s, double(p::kCoreChains) * p::kCoreUnroll * p::kFlopsFfma);
    case Bench::fp16_hfma2:
    case Bench::bf16_hfma2:
      return per_thread(s, double(p::kCoreChains) * p::kCoreUnroll * p::kFlopsHfma2);
    case Bench::fp64_dfma:
      return per_thread(s, double(p::kFp64Chains) * p::kFp64Unroll * p::kFlopsDfma);
    case Bench::fp16_mma_sync:
    case Bench::bf16_mma_sync:
    case Bench::tf32_mma_sync: {
      require(s.threads % 32 == 0, bi, "threads per block must be a multiple of 32 (a warp)");
      const double per_mma = double(b == Bench::tf32_mma_sync ? p::kFlopsMma1688 : p::kFlopsMma16816);
      return per_group(s, 32, double(p::kMmaChains) * p::kMmaUnroll * per_mma);
    }
    case Bench::fp16_wgmma:
    case Bench::bf16_wgmma:
    case Bench::tf32_wgmma: {
      require(s.threads % 128 == 0, bi, "threads per block must be a multiple of 128 (a warpgroup)");
      const double per_wgmma = double(b == Bench::tf32_wgmma ? p::kFlopsWgmmaTf32 : p::kFlopsWgmma);
      return per_group(s, 128, double(p::kWgmmaPerTrip) * per_wgmma);
    }
    case Bench::dram_read:
    case Bench::dram_write:
    case Bench::dram_copy:
    case Bench::l2_read: {
      require(s.bytes > 0 && s.bytes % p::kMemAccessBytes == 0, bi,
              "the buffer must be a positive whole number of 16-byte accesses");
      // Every 16-byte element is visited exactly once per pass (grid-stride loop).
      const double moved = double(s.bytes) * double(s.trips);
      return b == Bench::dram_copy ? 2 * moved : moved;
    }
    case Bench::smem_read:
      require(s.threads == p::kSmemThreads, bi, "the shared-memory kernel runs 256 threads per block");
      return per_thread(s, double(p::kSmemRows) * p::kSmemUnroll * p::kMemAccessBytes);
  }
  throw Error(ErrorKind::failure, "ceilings: unknown benchmark");
}

std::optional<double> sm_clock_mhz(const std::vector<ClockSample>& samples) {
  std::vector<double> mhz;
  for (const ClockSample& c : samples) {
    if (c.ns1 <= c.ns0 || c.clk1 <= c.clk0) continue;
    mhz.push_back(double(c.clk1 - c.clk0) / double(c.ns1 - c.ns0) * 1e3);
  }
  if (mhz.empty()) return std::nullopt;
  return median(mhz);
}

std::optional<double> median_launch_clock_mhz(const std::vector<double>& times_s,
                                              const std::vector<std::optional<double>>& clocks) {
  if (times_s.empty() || clocks.size() != times_s.size()) return std::nullopt;
  std::vector<size_t> order(times_s.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return times_s[a] < times_s[b]; });
  const size_t n = order.size();
  const std::optional<double> lo = clocks[order[(n - 1) / 2]], hi = clocks[order[n / 2]];
  if (!lo || !hi) return std::nullopt;
  return (*lo + *hi) / 2;
}

int64_t calibrate_trips(int64_t trips, double elapsed_s, double target_s, int64_t max_trips) {
  if (trips < 1) trips = 1;
  if (!(elapsed_s > 0) || !(target_s > 0)) return std::min(trips, max_trips);
  const double want = std::ceil(double(trips) * target_s / elapsed_s);
  if (!(want < double(max_trips))) return max_trips;
  return std::max<int64_t>(1, int64_t(want));
}

double Measurement::best_s() const {
  if (times_s.empty()) throw Error(ErrorKind::failure, std::string(info(bench).id) + ": no timings");
  return *std::min_element(times_s.begin(), times_s.end());
}

double Measurement::median_s() const {
  if (times_s.empty()) throw Error(ErrorKind::failure, std::string(info(bench).id) + ": no timings");
  return median(times_s);
}

std::optional<double> table_value(const PeakTable& t, const BenchInfo& b) {
  double v = 0;
  switch (b.target) {
    case Target::flops: {
      auto it = t.flops_per_s.find(b.peak_key);
      if (it != t.flops_per_s.end()) v = it->second;
      break;
    }
    case Target::dram: v = t.dram_bytes_per_s; break;
    case Target::l2: v = t.l2_bytes_per_s; break;
    case Target::l1: v = t.l1_bytes_per_s; break;
  }
  if (!(v > 0)) return std::nullopt;
  return v;
}

PeakTable to_peak_table(const std::vector<Measurement>& ms, const std::string& device_name,
                        const std::string& date) {
  PeakTable t;
  t.source = "measured: flopscope ceilings on " + device_name + " (" + date + ")";
  for (const Measurement& m : ms) {
    if (!m.ran || m.times_s.empty() || !(m.work > 0)) continue;
    const BenchInfo& b = info(m.bench);
    const double r = m.median_rate();
    switch (b.target) {
      case Target::flops: {
        double& v = t.flops_per_s[b.peak_key];
        v = std::max(v, r);
        break;
      }
      case Target::dram: t.dram_bytes_per_s = std::max(t.dram_bytes_per_s, r); break;
      case Target::l2: t.l2_bytes_per_s = std::max(t.l2_bytes_per_s, r); break;
      case Target::l1: t.l1_bytes_per_s = std::max(t.l1_bytes_per_s, r); break;
    }
  }
  return t;
}

namespace {

std::string fmt_rate(const BenchInfo& b, std::optional<double> v) {
  if (!v || !(*v > 0)) return "-";
  return fmt_fixed(*v / 1e12, b.target == Target::flops ? 1 : 2);
}

}  // namespace

std::string render_table(const std::vector<Measurement>& ms, const PeakTable& datasheet, const GpuSpec* gpu,
                         size_t width, bool color) {
  Table t;
  t.add_column("ceiling", Align::left);
  t.add_column("peak key", Align::left);
  t.add_column("SASS", Align::left, true);
  t.add_column("unit", Align::left);
  t.add_column("median", Align::right);
  t.add_column("best", Align::right);
  t.add_column("datasheet", Align::right);
  t.add_column("median/ds", Align::right);
  t.add_column("SM MHz", Align::right);
  t.add_column("ds MHz", Align::right);
  t.add_column("note", Align::left, true);
  for (const Measurement& m : ms) {
    const BenchInfo& b = info(m.bench);
    const char* unit = b.target == Target::flops ? "TFLOP/s" : "TB/s";
    const std::optional<double> ds = table_value(datasheet, b);
    std::string ds_mhz = "-";
    if (gpu && b.target == Target::flops) {
      const bool tensor = std::string(b.peak_key).find("_tensor") != std::string::npos;
      ds_mhz = fmt_fixed(tensor ? gpu->tensor_clock_mhz : gpu->vector_clock_mhz, 0);
    }
    if (!m.ran) {
      const Cell note = m.failed.empty() ? Cell("skipped: " + m.skipped, Color::dim)
                                         : Cell("FAILED: " + m.failed, Color::red);
      t.add_row({b.id, b.peak_key, b.instruction, unit, "-", "-", fmt_rate(b, ds), "-", "-", ds_mhz, note});
      continue;
    }
    std::string ratio = "-";
    Color rc = Color::none;
    if (ds) {
      const double r = m.median_rate() / *ds;
      ratio = fmt_fixed(100 * r, 1) + "%";
      if (r > 1.02) rc = Color::yellow;  // above the datasheet: a clock above the one it assumes
    }
    t.add_row({b.id, b.peak_key, b.instruction, unit, fmt_rate(b, m.median_rate()), fmt_rate(b, m.best_rate()),
               fmt_rate(b, ds), Cell(ratio, rc), m.sm_clock_mhz ? fmt_fixed(*m.sm_clock_mhz, 0) : "-", ds_mhz,
               m.note});
  }
  return t.render(width, color);
}

}  // namespace flopscope::ceilings
