// The table `flopscope profile` prints: GPU time per kernel name x NVTX path,
// then the NVTX range tree. Host-only, tested on the CPU with made-up profiles.
#include <string>
#include <vector>

#include "flopscope/full_report.h"
#include "flopscope/table.h"
#include "flopscope/views.h"

namespace flopscope {

std::string render_profile_terminal(const ResultsDoc& doc, size_t width, bool color, size_t top) {
  double all = 0;
  for (const RunRecord& r : doc.runs) all += profile_total_s(r);
  // Several GPUs (one process on each, or one process on several): a column
  // says which, or an 8-GPU run showed every kernel eight times alike.
  auto device_of = [](const RunRecord& r) { return shape_get(r.shape, "device"); };
  bool several_devices = false;
  for (const RunRecord& r : doc.runs)
    several_devices = several_devices || device_of(r) != device_of(doc.runs[0]);
  Table t;
  t.add_column("kernel", Align::left, true, true);
  t.set_min_width(Table::kMinKernelWidth);
  t.add_column("nvtx", Align::left, true);
  if (several_devices) t.add_column("device", Align::right);
  t.add_column("launches", Align::right);
  t.add_column("total", Align::right);
  t.add_column("%", Align::right);
  t.add_column("median", Align::right);
  t.add_column("p10", Align::right);
  t.add_column("p90", Align::right);
  t.add_column("precision?", Align::left);
  bool any_hw = false;
  for (const RunRecord& r : doc.runs) any_hw = any_hw || (r.hw && r.hw->flops_total);
  if (any_hw) {
    t.add_column("hw FLOP", Align::right);
    t.add_column("TFLOP/s", Align::right);
    t.add_column("HFU%", Align::right);
  }
  auto share = [&](double s) { return fmt_fixed(all > 0 ? 100.0 * s / all : 0, 1); };
  const size_t shown = top > 0 && top < doc.runs.size() ? top : doc.runs.size();
  double rest_s = 0;
  for (size_t i = 0; i < doc.runs.size(); ++i) {
    const RunRecord& r = doc.runs[i];
    const double total = profile_total_s(r);
    if (i >= shown) {
      rest_s += total;
      continue;
    }
    std::vector<Cell> row{terminal_text(r.variant), r.nvtx.empty() ? "-" : terminal_text(r.nvtx)};
    if (several_devices) row.emplace_back(device_of(r) ? std::to_string(*device_of(r)) : "-");
    for (std::string cell :
         {std::to_string(r.launches), fmt_time(total), share(total), fmt_time(r.time_s.median),
          fmt_time(r.time_s.p10), fmt_time(r.time_s.p90), terminal_text(r.precision)})
      row.emplace_back(std::move(cell));
    if (any_hw) {
      const bool hw = r.hw && r.hw->flops_total;
      row.emplace_back(hw ? fmt_si(*r.hw->flops_total) : "-");
      row.emplace_back(fmt_fixed(r.derived.tflops_hw, 1));
      row.emplace_back(r.derived.hfu ? fmt_fixed(*r.derived.hfu * 100, 1) : "-");
    }
    t.add_row(std::move(row));
  }
  std::string s = "device: " + terminal_text(device_label(doc.device)) + "\n";
  s += t.render(width, color);
  if (shown < doc.runs.size())
    s += "... and " + std::to_string(doc.runs.size() - shown) + " more kernel rows (" + share(rest_s) +
         "% of the GPU time; --top 0 prints them, --out keeps them)\n";
  s += "GPU time per kernel name x NVTX path (CUPTI activity records), longest first.\n"
       "'precision?': guessed from the name, or with counters the pipe that did most FLOPs.\n";
  if (any_hw)
    s += "hw FLOP: hardware-counted FLOPs per launch (mean over profiled launches); HFU against the peak "
         "of 'precision?'.\n";
  size_t partly = 0;
  for (const RunRecord& r : doc.runs) partly += r.hw && r.hw->launches && *r.hw->launches < r.launches;
  if (partly > 0)
    s += std::to_string(partly) + (partly == 1 ? " row's" : " rows'") +
         " hw figures are means over only some launches (graphs, captures and concurrent launches get\n"
         "no counters); hw.launches in --out says how many.\n";
  return s + render_nvtx_ranges_terminal(doc, width, color);
}

}  // namespace flopscope
