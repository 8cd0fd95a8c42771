// Report views as plain data: peaks, precision comparison, reconciliation,
// side by side. See flopscope/views.h.
#include "flopscope/views.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "flopscope/error.h"
#include "flopscope/table.h"
#include "flopscope/utf8.h"

namespace flopscope {

namespace {
// Code points HTML and XML 1.0 forbid in a document, even as references: the
// controls other than tab, newline and carriage return (C0, DEL and C1), and
// the noncharacters (U+FDD0..U+FDEF, and the last two of every plane).
bool forbidden_in_markup(uint32_t cp) {
  if (cp < 0x20) return cp != '\t' && cp != '\n' && cp != '\r';
  if (cp >= 0x7F && cp <= 0x9F) return true;
  if (cp >= 0xFDD0 && cp <= 0xFDEF) return true;
  return (cp & 0xFFFE) == 0xFFFE;
}

}  // namespace

std::string html_escape(const std::string& text) {
  // Bytes that are not UTF-8 (a file name in Latin-1) made the whole JUnit or
  // SVG file unreadable to an XML parser: they read as U+FFFD.
  const std::string s = valid_utf8(text);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char lead = static_cast<unsigned char>(s[i]);
    const size_t n = std::min(sequence_length(lead), s.size() - i);
    uint32_t cp = n == 1 ? lead : lead & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // One forbidden would leave an SVG or JUnit file not well-formed (a
        // browser shows an error page, a CI server rejects the file).
        if (forbidden_in_markup(cp) || reorders_text(cp)) out += '?';
        else out.append(s, i, n);
    }
    i += n;
  }
  return out;
}

std::string terminal_text(const std::string& s) {
  // ASCII controls (ESC would let a name recolour or rewrite the terminal), C1
  // controls (U+0080..U+009F, an 8-bit CSI among them) and the bidi overrides
  // and isolates (U+202A..U+202E, U+2066..U+2069), which reorder what follows.
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const size_t len = unsafe_char_length(s, i);
    if (len == 0) {
      out += s[i];
    } else {
      out += '?';
      i += len - 1;
    }
  }
  return out;
}

std::string run_label(const std::string& id, const std::string& nvtx) { return run_key_text(id, {}, nvtx); }

std::string run_title(const RunRecord& r) { return run_key_label(r); }

std::vector<std::string> doc_labels(const std::vector<ResultsDoc>& docs) {
  auto base = [](const ResultsDoc& d) {
    std::string dev = "no device";
    if (d.device) dev = d.device->gpu_key.empty() ? d.device->name : d.device->gpu_key;
    // Seven characters, not bytes: a cut inside a UTF-8 sequence left the SVG
    // not well-formed and the HTML with a replacement character.
    std::string commit = first_columns(d.tool_commit, 7);
    return commit.empty() ? dev : dev + " @ " + commit;
  };
  std::vector<std::string> labels;
  for (const auto& d : docs) labels.push_back(base(d));
  auto dup = [&](size_t i) {
    return std::count(labels.begin(), labels.end(), labels[i]) > 1;
  };
  std::vector<bool> is_dup(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) is_dup[i] = dup(i);
  for (size_t i = 0; i < labels.size(); ++i)
    if (is_dup[i] && !docs[i].created.empty()) labels[i] += " " + docs[i].created;
  for (size_t i = 0; i < labels.size(); ++i) is_dup[i] = dup(i);
  for (size_t i = 0; i < labels.size(); ++i)
    if (is_dup[i]) labels[i] += " #" + std::to_string(i + 1);
  return labels;
}

// ---- Peaks ---------------------------------------------------------------------------

static std::optional<double> lookup(const std::map<std::string, double>& m, const std::string& k) {
  auto it = m.find(k);
  if (it == m.end() || !(it->second > 0)) return std::nullopt;
  return it->second;
}

static std::optional<double> positive(double v) {
  return v > 0 ? std::optional<double>(v) : std::nullopt;
}

std::vector<PeakRow> peak_rows(const ResultsDoc& doc) {
  const PeakTable& ds = doc.peaks.datasheet;
  const PeakTable* ms = doc.peaks.measured ? &*doc.peaks.measured : nullptr;
  std::vector<PeakRow> rows;
  std::set<std::string> seen;
  auto add_flops = [&](const std::string& key) {
    if (!seen.insert(key).second) return;
    PeakRow r{key, false, lookup(ds.flops_per_s, key),
              ms ? lookup(ms->flops_per_s, key) : std::nullopt};
    if (r.datasheet || r.measured) rows.push_back(r);
  };
  for (const auto& p : all_precisions()) add_flops(p.key());
  for (const auto& [k, v] : ds.flops_per_s) add_flops(k);
  if (ms)
    for (const auto& [k, v] : ms->flops_per_s) add_flops(k);
  auto add_bw = [&](const char* key, double PeakTable::*field) {
    PeakRow r{key, true, positive(ds.*field), ms ? positive(ms->*field) : std::nullopt};
    if (r.datasheet || r.measured) rows.push_back(r);
  };
  add_bw("dram", &PeakTable::dram_bytes_per_s);
  add_bw("l2", &PeakTable::l2_bytes_per_s);
  add_bw("l1", &PeakTable::l1_bytes_per_s);
  return rows;
}

std::optional<double> measured_peak_flops(const RunRecord& run, const ResultsDoc& doc) {
  if (!doc.peaks.measured) return std::nullopt;
  return lookup(doc.peaks.measured->flops_per_s, run.precision);
}

std::optional<double> mfu_measured(const RunRecord& run, const ResultsDoc& doc) {
  // No model (an application's kernel, a raw counter file's run): "-", as the datasheet MFU.
  if (!shows_model(run) || !(run.time_s.median > 0)) return std::nullopt;
  auto peak = measured_peak_flops(run, doc);
  if (!peak) return std::nullopt;
  return run.model.flops / run.time_s.median / *peak;
}

std::string implausible_runs_warning(const ResultsDoc& doc) {
  static constexpr size_t kNamed = 5;
  // "N runs are <what> (a, b, 3 more)"
  auto named = [](const std::vector<std::string>& ids, const std::string& what) {
    std::string s = std::to_string(ids.size()) + (ids.size() == 1 ? " run is " : " runs are ") + what + " (";
    for (size_t i = 0; i < std::min(ids.size(), kNamed); ++i) s += (i ? ", " : "") + ids[i];
    if (ids.size() > kNamed) s += ", " + std::to_string(ids.size() - kNamed) + " more";
    return s + ")";
  };
  std::vector<std::string> ids, memory_ids;
  for (const auto& r : doc.runs) {
    const auto measured = mfu_measured(r, doc);
    const auto roof = shown_pct_of_roof(r);
    if ((r.derived.mfu && *r.derived.mfu > 1) || (r.derived.hfu && *r.derived.hfu > 1) || (measured && *measured > 1))
      ids.push_back(run_title(r));
    else if (roof && *roof > 100 && r.derived.bound == "memory")
      memory_ids.push_back(run_title(r));  // under its FLOP peak, over the DRAM roof
  }
  std::string s;
  if (!ids.empty())
    s = named(ids, "above 100% of the peak named for it") +
        ": that peak is not the one it ran against, or its time or FLOP count is wrong";
  if (!memory_ids.empty())
    s += (s.empty() ? "" : "; ") + named(memory_ids, "above the DRAM roof") +
         ": its data came from a cache (a working set that fits in L2) or its DRAM byte count is low";
  return s;
}

void adopt_measured_peaks(ResultsDoc& doc, const ResultsDoc& ceilings, const std::string& what) {
  if (!ceilings.peaks.measured)
    throw_bad_input(what + ": the peaks file has no measured peaks; write one with `flopscope ceilings --out F`");
  // Measured peaks belong to a GPU: a file that names none (edited) could be
  // set beside any results.
  if (!ceilings.device)
    throw_bad_input(what + ": the peaks file names no GPU; measured peaks are only read with the GPU they were "
                           "measured on (flopscope ceilings writes it)");
  // Nothing runs at half again its datasheet peak, nor under 1% of it on a
  // healthy GPU: such a "measurement" would make every measured MFU read 0.0
  // (or thousands of percent) with no word said. DRAM bandwidth alike.
  auto plausible = [&](const std::string& key, double measured, std::optional<double> sheet, double unit,
                       const char* unit_name) {
    if (!sheet || !(*sheet > 0) || (measured <= 1.5 * *sheet && measured >= 0.01 * *sheet)) return;
    throw_bad_input(what + ": its measured " + key + " peak, " + fmt_fixed(measured / unit, 1) + " " + unit_name +
                    ", is " + fmt_fixed(100 * measured / *sheet, 0) + "% of the datasheet's " +
                    fmt_fixed(*sheet / unit, 1) + ": not a measurement of this GPU");
  };
  for (const auto& [key, measured] : ceilings.peaks.measured->flops_per_s)
    plausible(key, measured, lookup(ceilings.peaks.datasheet.flops_per_s, key), 1e12, "TFLOP/s");
  if (ceilings.peaks.measured->dram_bytes_per_s > 0)
    plausible("dram", ceilings.peaks.measured->dram_bytes_per_s, ceilings.peaks.datasheet.dram_bytes_per_s, 1e12,
              "TB/s");
  // The results must name their GPU too: without it a ceilings file of any
  // model (an A100's beside H200 results) was taken in silence.
  if (!doc.device)
    throw_bad_input(what + ": the results name no GPU, so the peaks measured on " + device_label(*ceilings.device) +
                    " cannot be matched to them; read the results without --peaks");
  const DeviceInfo &a = *doc.device, &b = *ceilings.device;
  if (!same_gpu(a, b)) {
    // Same name, other SM count: say which, or the message would read "X, X".
    const bool sms = a.name == b.name;
    throw_bad_input(what + ": the ceilings were measured on " + device_label(b, sms) + ", the results on " +
                    device_label(a, sms) + "; measure ceilings on the same GPU model");
  }
  doc.peaks.measured = ceilings.peaks.measured;
}

// ---- Precision comparison ------------------------------------------------------------

static size_t precision_order(const std::string& key) {
  const auto& all = all_precisions();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].key() == key) return i;
  return all.size();
}

std::vector<PrecisionGroup> precision_comparison(const ResultsDoc& doc) {
  std::vector<PrecisionGroup> groups;
  std::vector<std::vector<size_t>> members;
  // Each (kernel, shape)'s group, in order of first appearance: a linear search
  // made a sweep of 50,000 shapes take 17 s.
  std::map<std::pair<std::string, std::string>, size_t> group_of;
  for (size_t i = 0; i < doc.runs.size(); ++i) {
    const RunRecord& r = doc.runs[i];
    if (!shows_model(r)) continue;  // no model; an app's short name covers several kernels
    std::string kernel = r.family + "." + r.variant;
    std::string shape = shape_string(r.shape);
    const auto [it, added] = group_of.try_emplace({kernel, shape}, groups.size());
    if (added) {
      groups.push_back({std::move(kernel), std::move(shape), std::nullopt, {}});
      members.emplace_back();
    }
    members[it->second].push_back(i);
  }
  std::vector<PrecisionGroup> out;
  for (size_t g = 0; g < groups.size(); ++g) {
    std::vector<size_t> idx = members[g];
    std::set<std::string> precisions;
    for (size_t i : idx) precisions.insert(doc.runs[i].precision + "/" + doc.runs[i].dtype);
    if (precisions.size() < 2) continue;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      return precision_order(doc.runs[a].precision) < precision_order(doc.runs[b].precision);
    });
    PrecisionGroup pg = groups[g];
    for (size_t i : idx) {
      const RunRecord& r = doc.runs[i];
      PrecisionRow row;
      row.run = i;
      row.dtype = r.dtype;
      row.precision = r.precision;
      row.bound = r.derived.bound;
      row.tflops = r.time_s.median > 0 ? r.model.flops / r.time_s.median / 1e12 : 0;
      row.mfu = r.derived.mfu;
      if (!pg.baseline && r.precision == "fp32" && r.dtype == "fp32") pg.baseline = pg.rows.size();
      pg.rows.push_back(row);
    }
    if (pg.baseline) {
      const RunRecord& base = doc.runs[pg.rows[*pg.baseline].run];
      const PeakTable* ms = doc.peaks.measured ? &*doc.peaks.measured : nullptr;
      const auto ds_base = lookup(doc.peaks.datasheet.flops_per_s, "fp32");
      const auto ms_base = ms ? lookup(ms->flops_per_s, "fp32") : std::nullopt;
      for (auto& row : pg.rows) {
        const RunRecord& r = doc.runs[row.run];
        if (r.time_s.median > 0) row.speedup = base.time_s.median / r.time_s.median;
        if (auto p = lookup(doc.peaks.datasheet.flops_per_s, r.precision); p && ds_base)
          row.peak_ratio = *p / *ds_base;
        if (ms)
          if (auto p = lookup(ms->flops_per_s, r.precision); p && ms_base)
            row.peak_ratio_measured = *p / *ms_base;
        if (row.speedup && row.peak_ratio) row.realized = *row.speedup / *row.peak_ratio;
        if (r.model.bytes > 0 && base.model.bytes > 0) row.bytes_ratio = base.model.bytes / r.model.bytes;
      }
    }
    out.push_back(std::move(pg));
  }
  return out;
}

// ---- Reconciliation -------------------------------------------------------------------

namespace {

std::string pct_words(double frac) { return fmt_fixed(std::fabs(frac) * 100.0, 1) + "%"; }

bool contains(const std::string& s, const char* word) { return s.find(word) != std::string::npos; }


// Reasons the hardware did more work than the model, from what the record says.
std::vector<std::string> extra_work_reasons(const RunRecord& r, const std::string& what) {
  std::vector<std::string> out;
  if (shape_get(r.shape, "causal").value_or(0) == 1)
    out.push_back("masked tiles: the run is causal; the model counts only unmasked scores, but "
                  "tiles that straddle the diagonal are computed whole (" + what + ")");
  std::string unaligned;
  for (const auto& [k, v] : r.shape) {
    if (k == "causal" || k == "batch" || k == "b" || k == "heads" || k == "h" || v <= 1) continue;
    if (v % 64 != 0) unaligned += (unaligned.empty() ? "" : ", ") + k + "=" + std::to_string(v);
  }
  if (!unaligned.empty())
    out.push_back("padding: " + unaligned + " not a multiple of 64, so edge tiles are computed "
                  "at full size (" + what + ")");
  bool recompute = contains(r.variant, "recompute") || contains(r.variant, "checkpoint");
  for (const auto& [part, v] : r.model.flops_by_part)
    recompute = recompute || contains(part, "recompute");
  if (recompute)
    out.push_back("recompute: the variant recomputes activations, which the model FLOPs (the "
                  "MFU numerator) leave out (" + what + ")");
  return out;
}

}  // namespace

namespace {

// A run's row with its counts and ratio, before any reason is given.
ReconRow recon_counts(const RunRecord& r, size_t run) {
  ReconRow row;
  row.run = run;
  row.model_flops = r.model.flops;
  row.hw_flops = *r.hw->flops_total;
  row.model_parts = r.model.flops_by_part;
  row.mfu = r.derived.mfu;
  row.hfu = r.derived.hfu;
  for (const auto& [k, v] : r.hw->flops_by_pipe) {
    row.hw_by_pipe.push_back({k, is_tensor_key(k), v});
    (is_tensor_key(k) ? row.hw_tensor : row.hw_cuda_core) += v;
  }
  std::stable_sort(row.hw_by_pipe.begin(), row.hw_by_pipe.end(),
                   [](const PipeFlops& a, const PipeFlops& b) { return a.flops > b.flops; });
  if (row.model_flops > 0) row.ratio = row.hw_flops / row.model_flops;
  // A data-movement kernel (model 0) agrees when the hardware counted 0 too.
  row.agree = row.ratio ? std::fabs(*row.ratio - 1) <= kReconTolerance : row.hw_flops == 0;
  return row;
}

// Whether the counters split the run's FLOPs by pipe (tensor, CUDA cores).
bool split_by_pipe(const ReconRow& row) { return !row.hw_by_pipe.empty(); }

// Work on a pipe other than the one the run is judged against.
void add_pipe_reasons(ReconRow& row, const RunRecord& r) {
  const bool split = split_by_pipe(row);
  const bool want_tensor = is_tensor_key(r.precision);
  if (split && want_tensor && row.hw_tensor == 0 && row.hw_cuda_core > 0)
    row.reasons.push_back("wrong pipe: no tensor-core FLOPs were counted; the work ran on CUDA "
                          "cores, not on " + r.precision);
  if (split && want_tensor && row.hw_tensor > 0) {
    // FP16 and BF16 share the tensor datapath, and the counters may file
    // both under one key: do not call that another precision.
    auto same_path = [&](const std::string& k) {
      const bool half_k = k == "fp16_tensor" || k == "bf16_tensor";
      const bool half_run = r.precision == "fp16_tensor" || r.precision == "bf16_tensor";
      return k == r.precision || (half_k && half_run);
    };
    double on_key = 0;
    for (const auto& p : row.hw_by_pipe)
      if (same_path(p.key)) on_key += p.flops;
    if (on_key < (1 - kReconTolerance) * row.hw_tensor)
      row.reasons.push_back("other precision: " + pct_words(1 - on_key / row.hw_tensor) +
                            " of tensor-core FLOPs were counted under another precision than " +
                            r.precision);
  }
  if (!want_tensor && split && row.hw_tensor > 0)
    row.reasons.push_back("tensor cores: " + fmt_si(row.hw_tensor) +
                          " FLOPs ran on tensor cores though the run is judged as " + r.precision);
}

// Model parts: "matmul" (`m` FLOPs) is tensor-core work, the rest
// (softmax, activation, ...) is element-wise work on CUDA cores; each set
// against its pipe's count.
void add_part_reasons(ReconRow& row, const RunRecord& r, double m) {
  double other = 0;
  std::string other_names;
  bool softmax = false;
  for (const auto& [part, v] : r.model.flops_by_part) {
    if (part == "matmul") continue;
    other += v;
    other_names += (other_names.empty() ? "" : ", ") + part;
    softmax = softmax || contains(part, "softmax");
  }
  const double dt = row.hw_tensor - m;
  if (m > 0 && std::fabs(dt) > kReconTolerance * m) {
    const std::string what = "tensor cores did " + pct_words(dt / m) +
                             (dt > 0 ? " more" : " fewer") + " FLOPs than the model's matmul part";
    auto why = dt > 0 ? extra_work_reasons(r, what) : std::vector<std::string>{};
    if (why.empty()) why.push_back("unexplained: " + what);
    row.reasons.insert(row.reasons.end(), why.begin(), why.end());
  }
  const double dc = row.hw_cuda_core - other;
  if (std::fabs(dc) > kReconTolerance * std::max(other, kReconTolerance * row.model_flops)) {
    // Some models report element-wise work beside the model FLOPs, not
    // inside them (attention's softmax): say so, it changes the ratio.
    const bool outside = m + other > r.model.flops * (1 + 1e-9);
    const std::string counts = "CUDA cores did " + fmt_si(row.hw_cuda_core) + " FLOPs, the model's " +
                               (other_names.empty() ? std::string("non-matmul parts") : other_names) +
                               " part counts " + fmt_si(other) +
                               (outside ? " (reported beside the model FLOPs, not in them)" : "");
    if (softmax && dc > 0)
      row.reasons.push_back("softmax and rescaling work: " + counts +
                            "; online softmax rescales the running maximum, sum and output "
                            "for every key block, work the model does not count");
    else if (softmax)
      row.reasons.push_back("softmax: " + counts +
                            "; exponentials and reciprocals run on the special-function "
                            "unit, which the FLOP counters do not see");
    else
      row.reasons.push_back("unexplained: " + counts);
  }
}

// The whole count against the whole model, for a run without a matmul part
// to set against the tensor pipe.
void add_total_reasons(ReconRow& row, const RunRecord& r) {
  const double diff = row.hw_flops / row.model_flops - 1;
  const std::string what = "hardware counted " + pct_words(diff) +
                           (diff > 0 ? " more" : " fewer") + " FLOPs than the model";
  auto why = diff > 0 ? extra_work_reasons(r, what) : std::vector<std::string>{};
  const bool split = split_by_pipe(row);
  if (split && is_tensor_key(r.precision) && row.hw_tensor > 0 &&
      row.hw_cuda_core > kReconTolerance * row.hw_flops)
    why.push_back("element-wise work: " + fmt_si(row.hw_cuda_core) +
                  " FLOPs ran on CUDA cores beside the tensor-core work (epilogue scaling, "
                  "bias or activation), which the model does not split out");
  if (why.empty()) why.push_back("unexplained: " + what);
  row.reasons.insert(row.reasons.end(), why.begin(), why.end());
}

}  // namespace

std::vector<ReconRow> reconciliation(const ResultsDoc& doc) {
  std::vector<ReconRow> rows;
  for (size_t i = 0; i < doc.runs.size(); ++i) {
    const RunRecord& r = doc.runs[i];
    if (!r.hw || !r.hw->flops_total) continue;
    if (!has_model(r)) continue;  // nothing to reconcile the counters with
    ReconRow row = recon_counts(r, i);
    add_pipe_reasons(row, r);
    if (row.model_flops <= 0 && !row.agree) {
      row.reasons.push_back("unexplained: the model counts no FLOPs (data movement only), the "
                            "hardware counted " + fmt_si(row.hw_flops));
    } else if (!row.agree) {
      const auto mm = r.model.flops_by_part.find("matmul");
      if (split_by_pipe(row) && mm != r.model.flops_by_part.end() && is_tensor_key(r.precision))
        add_part_reasons(row, r, mm->second);
      else
        add_total_reasons(row, r);
      if (row.reasons.empty())
        row.reasons.push_back("unexplained: hardware / model = " + fmt_fixed(*row.ratio, 3));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// ---- Side by side ------------------------------------------------------------------------

std::vector<SideBySideRow> side_by_side(const std::vector<ResultsDoc>& docs) {
  std::vector<SideBySideRow> rows;
  std::map<std::string, size_t> row_of;  // run_key -> index into rows
  for (size_t d = 0; d < docs.size(); ++d) {
    for (size_t i = 0; i < docs[d].runs.size(); ++i) {
      const RunRecord& r = docs[d].runs[i];
      const auto [it, fresh] = row_of.emplace(run_key(r), rows.size());
      if (fresh) rows.push_back({r.id, shape_string(r.shape), distinguishing_nvtx(r), std::vector<std::optional<size_t>>(docs.size())});
      // A file holds each run_key once (results_json refuses duplicates).
      rows[it->second].runs[d] = i;
    }
  }
  return rows;
}

SideFigures side_figures(const RunRecord* run) {
  if (!run) return {};
  if (shows_model(*run) || !run->derived.tflops_hw) return {model_tflops(*run), run->derived.mfu, false};
  return {run->derived.tflops_hw, run->derived.hfu, true};
}

std::string SideFigures::tflops_text(int decimals) const {
  return tflops ? fmt_fixed(*tflops, decimals) + (counted ? " hw" : "") : "-";
}

std::string SideFigures::utilization_text() const {
  return utilization ? fmt_percent_cell(utilization) + (counted ? " hw" : "") : "-";
}

std::optional<double> model_tflops(const RunRecord& r) {
  // A profiled application's kernel, copy or memset; a raw counter file's run.
  if (!shows_model(r)) return std::nullopt;
  return r.derived.tflops_model;
}

std::optional<double> shown_peak_tflops(const RunRecord& r) {
  if (!(r.derived.peak_tflops > 0)) return std::nullopt;
  return r.derived.peak_tflops;
}

std::optional<double> known_sm_clock_mhz(const RunRecord& r) {
  return r.sm_clock_mhz ? positive(*r.sm_clock_mhz) : std::nullopt;
}

std::optional<double> known_power_w(const RunRecord& r) { return r.power_w ? positive(*r.power_w) : std::nullopt; }

std::string clock_limits_text(const std::vector<std::string>& limits) {
  std::string text;
  for (const std::string& l : limits) text += (text.empty() ? "" : ";") + l;
  return text.empty() ? "none" : text;
}

std::vector<std::string> clock_limit_notes(const ResultsDoc& doc) {
  std::vector<std::string> lines;
  for (const RunRecord& r : doc.runs) {
    if (!r.clock_limits || r.clock_limits->empty()) continue;
    std::string line = run_title(r) + ": " + clock_limits_text(*r.clock_limits);
    if (const auto w = known_power_w(r)) line += ", " + fmt_fixed(*w, 0) + " W";
    if (const auto mhz = known_sm_clock_mhz(r)) line += ", " + fmt_fixed(*mhz, 0) + " MHz";
    lines.push_back(std::move(line));
  }
  return lines;
}

std::optional<double> shown_intensity(const RunRecord& r) {
  if (r.derived.ai_dram_hw) return r.derived.ai_dram_hw;
  return shown_model_intensity(r);
}

// ---- NVTX ranges -----------------------------------------------------------------------

bool is_tensor_key(const std::string& key) {
  auto p = parse_precision(key);
  return p ? p->pipe == Pipe::tensor : key.find("tensor") != std::string::npos;
}

double profile_total_s(const RunRecord& run) {
  const auto& s = run.time_s.samples;
  if (s.empty()) return run.time_s.median * double(run.launches);
  double sum = 0;
  for (double v : s) sum += v;
  return sum / double(s.size()) * double(run.launches);
}

bool nvtx_inside(const std::string& path, const std::string& range) {
  return path == range ||
         (path.size() > range.size() && path.compare(0, range.size(), range) == 0 && path[range.size()] == '/');
}

bool is_app_kernel(const RunRecord& r) {
  return r.family == "app" && (r.name.empty() || r.name.front() != '[');  // "[memcpy HtoD]", "[memset]"
}

void add_run(RangeRow& row, const RunRecord& r) {
  add_launches(row.launches, r.launches);
  row.gpu_time_s += profile_total_s(r);
  if (!r.hw || r.hw->flops_by_pipe.empty()) return;
  add_launches(row.launches_with_counters, r.launches);
  for (const auto& [pipe, per_launch] : r.hw->flops_by_pipe) {
    const double total = per_launch * double(r.launches);
    row.hw_by_pipe[pipe] += total;
    (is_tensor_key(pipe) ? row.hw_tensor : row.hw_cuda_core) += total;
  }
}

std::string range_launches_text(const RangeRow& r) {
  std::string s = std::to_string(r.launches);
  if (r.launches_with_counters != r.launches) s += " (" + std::to_string(r.launches_with_counters) + " counted)";
  return s;
}

RangeRow range_totals(const ResultsDoc& doc, const std::string& range) {
  RangeRow row;
  row.path = range;
  row.depth = int(std::count(range.begin(), range.end(), '/'));
  for (const RunRecord& r : doc.runs)
    if (is_app_kernel(r) && nvtx_inside(r.nvtx, range)) add_run(row, r);
  return row;
}

size_t runs_past_range_depth(const ResultsDoc& doc) {
  return size_t(std::count_if(doc.runs.begin(), doc.runs.end(), [](const RunRecord& r) {
    return is_app_kernel(r) && size_t(std::count(r.nvtx.begin(), r.nvtx.end(), '/')) >= kMaxRangeDepth;
  }));
}

std::string ranges_left_out(size_t ranges, size_t runs_too_deep) {
  std::string s;
  if (ranges > kRangeRowsShown)
    s += "... and " + std::to_string(ranges - kRangeRowsShown) + " more ranges (in the results file)\n";
  if (runs_too_deep > 0) {
    s += std::to_string(runs_too_deep);
    s += runs_too_deep == 1 ? " run is" : " runs are";
    s += " in ranges more than " + std::to_string(kMaxRangeDepth) +
         " levels deep: counted in their enclosing ranges down to that depth, deeper ones not listed\n";
  }
  return s;
}

std::vector<RangeRow> nvtx_ranges(const ResultsDoc& doc) {
  // Each path and its enclosing ranges, split into names: sorting the name
  // lists puts every range right before its subranges.
  std::map<std::vector<std::string>, RangeRow> rows;
  for (const RunRecord& r : doc.runs) {
    if (!is_app_kernel(r) || r.nvtx.empty()) continue;
    std::vector<std::string> names;
    size_t from = 0;
    while (names.size() < kMaxRangeDepth) {
      const size_t slash = r.nvtx.find('/', from);
      names.push_back(r.nvtx.substr(from, slash - from));
      RangeRow& row = rows[names];
      if (row.path.empty()) {
        row.path = r.nvtx.substr(0, slash);
        row.depth = int(names.size()) - 1;
      }
      add_run(row, r);
      if (slash == std::string::npos) break;
      from = slash + 1;
    }
  }
  std::vector<RangeRow> out;
  out.reserve(rows.size());
  for (auto& [names, row] : rows) out.push_back(std::move(row));
  return out;
}

}  // namespace flopscope
