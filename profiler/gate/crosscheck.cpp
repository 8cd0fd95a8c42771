// flopscope's counters beside Nsight Compute's (flopscope/crosscheck.h).
#include "flopscope/crosscheck.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "flopscope/error.h"
#include "flopscope/kernel_names.h"
#include "flopscope/table.h"

namespace flopscope {

MetricClass classify_metric(std::string_view m) {
  const auto has = [&](std::string_view s) { return m.find(s) != std::string_view::npos; };
  if (has("gpu__time_duration") || has(".per_second") || has("cycles_elapsed")) return MetricClass::info;
  if (has(".peak_sustained")) return MetricClass::counts;  // per-cycle constants of the chip
  if (m.rfind("dram__", 0) == 0 || m.rfind("lts__", 0) == 0 || m.rfind("l1tex__", 0) == 0)
    return MetricClass::bytes;
  return MetricClass::counts;
}

std::string_view to_string(MetricClass c) {
  switch (c) {
    case MetricClass::counts: return "counts";
    case MetricClass::bytes: return "bytes";
    case MetricClass::info: return "info";
  }
  return "counts";
}

bool CrosscheckReport::passed() const {
  bool gated = false;
  for (const CrosscheckRow& r : rows) {
    if (r.cls == MetricClass::info) continue;
    gated = true;
    if (!r.ok) return false;
  }
  return gated;
}

namespace {

/// Per kernel key: launch-weighted means of each metric. Kept as running
/// means, so that values near DBL_MAX average without a sum overflowing to inf.
struct Pool {
  int64_t launches = 0;
  std::map<std::string, std::pair<double, double>> running;  // metric -> (mean so far, weight so far)

  void add(const std::map<std::string, double>& metrics, double weight) {
    if (!(weight > 0)) return;
    for (const auto& [m, v] : metrics) {
      auto& [mean, w] = running[m];
      w += weight;
      mean += (v - mean) * (weight / w);
    }
  }
  /// How many launches had a value of `metric` (weights are launch counts).
  int64_t launches_with(const std::string& metric) const {
    const auto it = running.find(metric);
    return it == running.end() ? 0 : int64_t(it->second.second);
  }
  std::map<std::string, double> means() const {
    std::map<std::string, double> out;
    for (const auto& [m, mw] : running)
      if (mw.second > 0) out[m] = mw.first;
    return out;
  }
};

double rel_diff(double flopscope, double ncu) {
  if (ncu == 0) return flopscope == 0 ? 0 : INFINITY;
  return std::fabs(flopscope - ncu) / std::fabs(ncu);
}

bool has_raw_counters(const RunRecord& r) { return r.family == "app" && !r.name.empty() && r.hw && !r.hw->metrics.empty(); }

}  // namespace

std::set<std::string> counted_metrics(const ResultsDoc& doc) {
  std::set<std::string> out;
  for (const RunRecord& r : doc.runs)
    if (has_raw_counters(r))
      for (const auto& [m, v] : r.hw->metrics) out.insert(m);
  return out;
}

namespace {

// flopscope's kernels with raw counters, pooled both ways: by signature and
// by function name.
struct FlopscopeKernels {
  std::map<std::string, Pool> by_signature, by_function;
  std::vector<std::string> order;  // signatures, in the results' order
  std::set<std::string> claimed;   // signatures one of ncu's bare names names whole
};

// Each of ncu's names picks its matching form. A mangled one demangles exactly
// as flopscope's names do: matched by signature, template instances apart.
// Another (ncu's own demangler, a bare function) matches by function name.
FlopscopeKernels pool_flopscope(const ResultsDoc& doc, const NcuCsv& ncu) {
  FlopscopeKernels flopscope;
  auto add_run = [](Pool& p, const RunRecord& r) {
    add_launches(p.launches, r.launches);
    p.add(r.hw->metrics, double(r.launches));
  };
  std::vector<std::pair<const RunRecord*, std::string>> counted_runs;  // and their signatures
  for (const RunRecord& r : doc.runs)
    if (has_raw_counters(r)) counted_runs.emplace_back(&r, demangle(r.name));
  for (const auto& [r, sig] : counted_runs) {
    if (!flopscope.by_signature.count(sig)) flopscope.order.push_back(sig);
    add_run(flopscope.by_signature[sig], *r);
  }
  // A bare name of ncu's that is one of flopscope's whole signatures (an
  // extern "C" kernel, which has no mangled form; a function with one
  // overload) claims that kernel alone: it is left out of the function-name
  // pools, which match the other names.
  for (const NcuLaunch& l : ncu.launches)
    if (l.kernel.rfind("_Z", 0) != 0)
      if (std::string printed = demangle(l.kernel); flopscope.by_signature.count(printed))
        flopscope.claimed.insert(std::move(printed));
  for (const auto& [r, sig] : counted_runs)
    if (!flopscope.claimed.count(sig)) add_run(flopscope.by_function[kernel_short_name(sig)], *r);
  return flopscope;
}

// ncu's kernels, keyed by name and matching: a claimed signature
// "gemm_kernel" and the function name "gemm_kernel" of other rows are two kernels.
struct NcuKernels {
  std::map<std::pair<std::string, bool>, Pool> pools;
  std::vector<std::pair<std::string, bool>> order;  // (key, matched by signature)
  std::set<std::string> metrics;                    // with a value on some launch
};

NcuKernels pool_ncu(const NcuCsv& ncu, const std::set<std::string>& claimed) {
  NcuKernels ncu_kernels;
  for (const NcuLaunch& l : ncu.launches) {
    const std::string printed = demangle(l.kernel);
    const bool by_signature = l.kernel.rfind("_Z", 0) == 0 || claimed.count(printed) > 0;
    const std::string k = by_signature ? printed : kernel_short_name(printed);
    auto [it, fresh] = ncu_kernels.pools.try_emplace({k, by_signature});
    if (fresh) ncu_kernels.order.emplace_back(k, by_signature);
    add_launches(it->second.launches, 1);
    it->second.add(l.metrics, 1);
    for (const auto& [m, v] : l.metrics) ncu_kernels.metrics.insert(m);
  }
  return ncu_kernels;
}

// ncu's values left out, for the metrics flopscope has (a raw page also
// carries text columns, such as the device's name, that concern nobody).
void add_metric_notes(CrosscheckReport& rep, const ResultsDoc& doc, const NcuCsv& ncu,
                      const std::set<std::string>& ncu_metrics) {
  std::string absent;  // flopscope's metrics of which ncu has no value at all
  for (const std::string& m : counted_metrics(doc)) {
    if (const auto sk = ncu.skipped.find(m); sk != ncu.skipped.end())
      rep.notes.push_back("ncu's " + m + " was left out: " + sk->second.reason + " (" +
                          std::to_string(sk->second.values) + " value" + (sk->second.values == 1 ? "" : "s") + ")");
    else if (!ncu_metrics.count(m))
      absent += (absent.empty() ? "" : ", ") + m;
  }
  if (!absent.empty())
    rep.notes.push_back("ncu's export has no value of " + absent +
                        " (not collected, or n/a on every launch): not compared");
}

// Matching by function name pools only what flopscope saw in several
// template instances (a bare name, extern "C" or cuBLAS's, has none).
void add_pooling_note(CrosscheckReport& rep, const FlopscopeKernels& flopscope,
                      const NcuKernels& ncu_kernels) {
  std::map<std::string, int> instances;  // function name -> flopscope's signatures of it
  for (const auto& [sig, pool] : flopscope.by_signature)
    if (!flopscope.claimed.count(sig)) ++instances[kernel_short_name(sig)];
  const auto pooled = std::count_if(ncu_kernels.order.begin(), ncu_kernels.order.end(), [&](const auto& k) {
    const auto it = instances.find(k.first);
    return !k.second && it != instances.end() && it->second > 1;
  });
  if (pooled > 0)
    rep.notes.push_back("kernels matched by function name (" + std::to_string(pooled) + " of ncu's " +
                        std::to_string(ncu_kernels.order.size()) +
                        " kernel names: not mangled, and a function flopscope "
                        "saw in several template instances): the instances are pooled; ncu "
                        "--print-kernel-base mangled matches them apart");
}

// One kernel's rows: each metric both have, flopscope's mean against ncu's.
void compare_kernel(CrosscheckReport& rep, const std::string& k, const Pool& flopscope_pool,
                    const Pool& ncu_pool, const std::set<std::string>& ncu_metrics,
                    const CrosscheckTolerance& tol) {
  rep.kernels.push_back({k, flopscope_pool.launches, ncu_pool.launches, rep.rows.size(), 0});
  const std::map<std::string, double> flopscope_means = flopscope_pool.means(), ncu_means = ncu_pool.means();
  std::string lacking;  // metrics ncu has for other kernels but not this one
  for (const auto& [metric, value] : flopscope_means) {
    const auto other = ncu_means.find(metric);
    if (other == ncu_means.end()) {
      if (ncu_metrics.count(metric)) lacking += (lacking.empty() ? "" : ", ") + metric;
      continue;
    }
    CrosscheckRow row{k, metric, classify_metric(metric), value, other->second, 0, true};
    row.rel_diff = rel_diff(value, other->second);
    // A mean over only some of ncu's launches (n/a or empty on the others)
    // is not over the launches flopscope's mean is: shown, not gated. It
    // once passed a copy whose second launch alone differed by 20%.
    if (const int64_t with_value = ncu_pool.launches_with(metric); with_value < ncu_pool.launches) {
      row.cls = MetricClass::info;
      rep.notes.push_back("ncu has a value of " + metric + " on " + std::to_string(with_value) + " of its " +
                          std::to_string(ncu_pool.launches) + " launches of " + k +
                          " (n/a or empty on the others): shown, not compared");
    }
    if (row.cls != MetricClass::info)
      row.ok = within_tolerance(row.rel_diff, row.cls == MetricClass::bytes ? tol.bytes : tol.counts);
    rep.rows.push_back(std::move(row));
    ++rep.kernels.back().row_count;
  }
  if (!lacking.empty())
    rep.notes.push_back("ncu has no value of " + lacking + " for " + k + " (n/a on its launches): not compared");
}

}  // namespace

CrosscheckReport crosscheck_ncu(const ResultsDoc& doc, const NcuCsv& ncu, const CrosscheckTolerance& tol) {
  const FlopscopeKernels flopscope = pool_flopscope(doc, ncu);
  if (flopscope.order.empty())
    throw_bad_input("the results hold no application kernel with raw counters: cross-check the output of "
                    "'flopscope profile --set bytes|flops|roofline --out F -- APP' (a bench results file sums "
                    "kernels per run; a timing profile has no counters)");
  const NcuKernels ncu_kernels = pool_ncu(ncu, flopscope.claimed);

  CrosscheckReport rep;
  rep.tolerance = tol;
  add_metric_notes(rep, doc, ncu, ncu_kernels.metrics);
  add_pooling_note(rep, flopscope, ncu_kernels);
  std::set<std::string> matched_signatures, matched_functions;
  for (const auto& [k, by_signature] : ncu_kernels.order) {
    const std::map<std::string, Pool>& pools = by_signature ? flopscope.by_signature : flopscope.by_function;
    const auto match = pools.find(k);
    if (match == pools.end()) {
      rep.only_ncu.push_back(k);
      continue;
    }
    (by_signature ? matched_signatures : matched_functions).insert(k);
    compare_kernel(rep, k, match->second, ncu_kernels.pools.at({k, by_signature}), ncu_kernels.metrics, tol);
  }
  for (const std::string& sig : flopscope.order)
    if (!matched_signatures.count(sig) && !matched_functions.count(kernel_short_name(sig)))
      rep.only_flopscope.push_back(sig);
  if (!rep.kernels.empty() && rep.rows.empty())
    rep.notes.push_back("no metric is in both: profile with the metric list of 'flopscope metrics --chip CHIP "
                        "--set S --json' and ncu --metrics with the same list");
  return rep;
}

std::string render_crosscheck_text(const CrosscheckReport& r, size_t width) {
  std::ostringstream out;

  for (const CrosscheckKernel& k : r.kernels) {
    out << one_line(k.key) << "  (flopscope " << k.flopscope_launches << " launch"
        << (k.flopscope_launches == 1 ? "" : "es") << ", ncu " << k.ncu_launches << ")\n";
    Table t;
    t.add_column("metric", Align::left, true);
    t.add_column("flopscope", Align::right);
    t.add_column("ncu", Align::right);
    t.add_column("diff", Align::right);
    t.add_column("tolerance", Align::right);
    t.add_column("", Align::left);
    for (size_t i = k.first_row; i < k.first_row + k.row_count && i < r.rows.size(); ++i) {
      const CrosscheckRow& row = r.rows[i];
      const bool info = row.cls == MetricClass::info;
      const double tol = row.cls == MetricClass::bytes ? r.tolerance.bytes : r.tolerance.counts;
      const std::string diff = std::isinf(row.rel_diff) ? std::string("inf")
                               : info                     ? fmt_fixed(100 * row.rel_diff, 3) + "%"
                                                          : fmt_percent_apart(row.rel_diff, tol, 3);
      t.add_row({one_line(row.metric), fmt_sig(row.flopscope, 7), fmt_sig(row.ncu, 7), diff,
                 info ? std::string("-") : fmt_percent_given(tol),
                 info ? std::string("info") : (row.ok ? std::string("ok") : std::string("DIFFERS"))});
    }
    out << t.render(width, false) << "\n";
  }
  const auto list = [&](const char* what, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    out << what << ":\n";
    for (const std::string& k : keys) out << "  " << one_line(k) << "\n";
  };
  list("only ncu profiled (no flopscope counters)", r.only_ncu);
  list("only flopscope counted (ncu did not profile)", r.only_flopscope);
  for (const std::string& n : r.notes) out << "note: " << one_line(n) << "\n";  // they quote ncu's values
  size_t gated = 0, differ = 0;
  for (const CrosscheckRow& row : r.rows)
    if (row.cls != MetricClass::info) {
      ++gated;
      differ += row.ok ? 0 : 1;
    }
  const std::string one_side = "; " + std::to_string(r.only_flopscope.size()) + " kernel(s) only in flopscope, " +
                               std::to_string(r.only_ncu.size()) + " only in ncu\n";
  if (gated == 0)
    out << "FAIL: no counter was compared (" << r.kernels.size() << " kernel(s) in common)" << one_side;
  else if (differ > 0)
    out << "FAIL: " << differ << " of " << gated << " counters differ beyond tolerance, over " << r.kernels.size()
        << " kernel(s)" << one_side;
  else
    out << "PASS: " << gated << " counters agree, over " << r.kernels.size() << " kernel(s)" << one_side;
  return out.str();
}

}  // namespace flopscope
