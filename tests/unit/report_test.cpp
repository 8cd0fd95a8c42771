#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <regex>
#include <sstream>

#include "flopscope/full_report.h"
#include "flopscope/report.h"
#include "flopscope/sha256.h"
#include "flopscope/table.h"
#include "flopscope/utf8.h"
#include "flopscope/views.h"
#include "unit/crosscheck_sample.h"
#include "unit/sample_doc.h"

using namespace flopscope;

static std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(Report, TerminalFitsAndAligns) {
  ResultsDoc doc = test::sample_doc();
  doc.runs[0].id = "gemm.some_really_long_variant_name_that_goes_on.bf16";
  const std::string out = render_terminal(doc, 100, false);
  for (const auto& l : lines(out)) EXPECT_LE(l.size(), 100u) << l;
  EXPECT_EQ(out.find("\033["), std::string::npos);  // no color when asked for none
  EXPECT_NE(out.find("bf16_tensor"), std::string::npos);
  EXPECT_NE(out.find("compute"), std::string::npos);
  EXPECT_NE(out.find("memory"), std::string::npos);
  // The header and rows share column starts: "time" right-aligned over values.
  const auto ls = lines(out);
  const size_t col = ls[1].find("TFLOP/s") + std::string("TFLOP/s").size();
  EXPECT_EQ(ls[2][col - 1] != ' ', true);
  // roof%: the copy (memory-bound, MFU 0) shows how near its bandwidth roof it ran.
  const RunRecord& copy = doc.runs[1];
  ASSERT_EQ(copy.derived.bound, "memory");
  EXPECT_GT(copy.derived.pct_of_roof, 50);
  // Rows follow the device line and the header in run order (the long first id
  // leaves the copy's name cut to a few characters at this width).
  ASSERT_GE(ls.size(), 4u) << out;
  const auto row = ls.begin() + 3;
  ASSERT_EQ(row->rfind("memory", 0), 0u) << out;
  std::istringstream cells(row->substr(row->find(" memory ")));
  std::string bound, roof;
  cells >> bound >> roof;
  EXPECT_EQ(roof, fmt_fixed(copy.derived.pct_of_roof, 1)) << *row;
}

// The terminal states its denominators: each peak once, with its value, and the
// hardware-counted rate beside the model's when a run has counters.
TEST(Report, TerminalStatesPeakValuesAndHardwareRate) {
  const ResultsDoc doc = test::sample_doc();
  ASSERT_TRUE(doc.runs[0].derived.tflops_hw);
  const std::string out = render_terminal(doc, 100, false);
  EXPECT_NE(out.find("hw TF/s"), std::string::npos) << out;
  EXPECT_NE(out.find(fmt_fixed(*doc.runs[0].derived.tflops_hw, 1)), std::string::npos) << out;
  const std::string peaks = "peak TFLOP/s: " + doc.runs[0].derived.peak_key + " " +
                            fmt_fixed(doc.runs[0].derived.peak_tflops, 1);
  EXPECT_NE(out.find(peaks), std::string::npos) << out;
  // Two bf16_tensor runs, one peak in the footer.
  ResultsDoc twice = doc;
  twice.runs.push_back(doc.runs[0]);
  const std::string out2 = render_terminal(twice, 100, false);
  const std::string footer = out2.substr(out2.find("peak TFLOP/s: "));
  EXPECT_EQ(footer.find(doc.runs[0].derived.peak_key), footer.rfind(doc.runs[0].derived.peak_key)) << out2;
  // A precision the GPU's table has no peak for (the file reads 0): "-", as
  // MFU is, not a peak of 0.0; the CSV cell is empty.
  ResultsDoc no_peak = doc;
  no_peak.runs[0].derived.peak_tflops = 0;
  no_peak.runs[0].derived.mfu.reset();
  no_peak.runs[0].derived.hfu.reset();
  EXPECT_NE(render_terminal(no_peak, 100, false).find("peak TFLOP/s: " + doc.runs[0].derived.peak_key + " -"),
            std::string::npos)
      << render_terminal(no_peak, 100, false);
  EXPECT_NE(render_markdown(no_peak).find("| " + doc.runs[0].derived.peak_key + " (-) |"), std::string::npos)
      << render_markdown(no_peak);
  EXPECT_NE(render_csv(no_peak).find("," + doc.runs[0].derived.peak_key + ",,"), std::string::npos)
      << render_csv(no_peak);
  // Without counters the column is left out rather than filled with dashes.
  ResultsDoc plain = doc;
  for (auto& r : plain.runs) r.hw.reset(), r.derived.tflops_hw.reset(), r.derived.hfu.reset();
  EXPECT_EQ(render_terminal(plain, 100, false).find("hw TF/s"), std::string::npos);
}

TEST(Report, TerminalColorOnlyWhenAsked) {
  EXPECT_NE(render_terminal(test::sample_doc(), 100, true).find("\033["), std::string::npos);
}

TEST(Report, MarkdownTable) {
  const std::string md = render_markdown(test::sample_doc());
  EXPECT_NE(md.find("| kernel | shape |"), std::string::npos);
  EXPECT_TRUE(std::regex_search(md, std::regex(R"(\| gemm\.cublas\.bf16 \| m=8192 n=8192 k=8192 \|)")));
  EXPECT_NE(md.find("bf16_tensor (989.4)"), std::string::npos);
}

TEST(Report, MarkdownEscapesPipes) {
  EXPECT_EQ(md_cell("a|b\nc"), "a\\|b c");
  EXPECT_EQ(md_cell(std::string("x\033[2J\0y", 7)), "x?\\[2J?y");
  // '_' starts emphasis only at a word's edge (GFM): bf16_tensor is left alone.
  EXPECT_EQ(md_cell("bf16_tensor __x__"), "bf16_tensor \\_\\_x\\_\\_");
}

// Text from a results file reaches a terminal with no control character: C0,
// DEL, C1 (an 8-bit CSI is U+009B) or a bidi override that reorders the line.
TEST(Report, TerminalTextDropsControlsAndBidiOverrides) {
  EXPECT_EQ(terminal_text("a\033[31mb\x7f"), "a?[31mb?");
  EXPECT_EQ(terminal_text("x\xC2\x9B" "31my"), "x?31my");
  EXPECT_EQ(terminal_text("l\xE2\x80\xAEr \xE2\x81\xA6i"), "l?r ?i");
  EXPECT_EQ(terminal_text("\xC3\xA9\xE2\x80\x94\xF0\x9F\x9A\x80"), "\xC3\xA9\xE2\x80\x94\xF0\x9F\x9A\x80");  // é — 🚀 stay
  // The device's database key too (it once reached the terminal raw).
  ResultsDoc doc = test::sample_doc();
  doc.device->gpu_key = "\033[41mKEY";
  EXPECT_EQ(render_terminal(doc, 100, false).find('\033'), std::string::npos);
}

// Widths count characters, not bytes, and a cut never splits a character.
TEST(Report, TableAlignsAndCutsUtf8) {
  EXPECT_EQ(text_columns("\xC3\xA9t\xC3\xA9"), 3u);
  EXPECT_EQ(first_columns("\xC3\xA9t\xC3\xA9", 2), "\xC3\xA9t");
  Table t;
  t.add_column("k", Align::left, true);
  t.add_row({Cell("\xC3\xA9t\xC3\xA9")});
  t.add_row({Cell("abc")});
  const auto ls = lines(t.render(100, false));
  ASSERT_GE(ls.size(), 3u);
  EXPECT_EQ(text_columns(ls[ls.size() - 2]), text_columns(ls[ls.size() - 1]));
}

// A model of FLOPs and no bytes has no intensity: the views read "0.00" (CSV
// 0), which says the opposite, a run that only moves data.
TEST(Report, NoModelBytesIsNoIntensity) {
  ResultsDoc d = test::sample_doc();
  RunRecord& r = d.runs[0];
  r.hw.reset();
  r.model.bytes = 0;
  compute_derived(r, d.peaks.datasheet);
  ASSERT_GT(r.model.flops, 0);
  EXPECT_FALSE(shown_model_intensity(r).has_value());
  EXPECT_FALSE(shown_intensity(r).has_value());
  const auto ls = lines(render_csv(d));
  std::vector<std::string> head, row;
  for (auto [line, cells] : {std::pair{&ls[0], &head}, std::pair{&ls[1], &row}}) {
    std::stringstream in(*line);
    for (std::string c; std::getline(in, c, ',');) cells->push_back(c);
  }
  const size_t ai = size_t(std::find(head.begin(), head.end(), "ai_dram") - head.begin());
  ASSERT_LT(ai, row.size());
  EXPECT_EQ(row[ai], "") << ls[1];
  r.model.bytes = 1e9;
  compute_derived(r, d.peaks.datasheet);
  EXPECT_DOUBLE_EQ(shown_model_intensity(r).value_or(-1), r.model.flops / 1e9);
}

TEST(Report, CsvQuotingAndColumns) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field(std::string("a\0b", 3)), "a?b");  // a NUL from a JSON string is never written raw
  // DEL and C1 controls too, as the other views write them; other UTF-8 stays.
  EXPECT_EQ(csv_field("ctl\x7f" "del\xC2\x85" "c1"), "ctl?del?c1");
  EXPECT_EQ(csv_field("caf\xC3\xA9\xC2\xA0x"), "caf\xC3\xA9\xC2\xA0x");
  // A bidi override (U+202E) reordered the rest of the row; every other view has '?'.
  EXPECT_EQ(csv_field("ab\xE2\x80\xAE" "cd\xE2\x81\xA6"), "ab?cd?");
  const auto ls = lines(render_csv(test::sample_doc()));
  ASSERT_EQ(ls.size(), 3u);
  auto count = [](const std::string& l) { return std::count(l.begin(), l.end(), ','); };
  EXPECT_EQ(count(ls[0]), count(ls[1]));
  EXPECT_EQ(count(ls[0]), count(ls[2]));
  EXPECT_EQ(ls[1].rfind("gemm.cublas.bf16,gemm,cublas,bf16,bf16_tensor,", 0), 0u);
  // Runs that differ only by kernel symbol or NVTX range stay apart.
  EXPECT_EQ(ls[0].rfind("id,family,variant,dtype,precision,shape,name,nvtx,launches,", 0), 0u);
  // The measured peak and the MFU against it, as the other views give them
  // with measured peaks (`report --peaks` gave the CSV without them); empty
  // without.
  EXPECT_NE(ls[0].find(",peak_tflops_measured,mfu_measured"), std::string::npos) << ls[0];
  EXPECT_EQ(ls[1].substr(ls[1].size() - 2), ",,") << ls[1];
  ResultsDoc measured = test::sample_doc();
  measured.peaks.measured = measured.peaks.datasheet;
  measured.peaks.measured->flops_per_s[measured.runs[0].precision] = 500e12;
  const auto mls = lines(render_csv(measured));
  const double mfu = measured.runs[0].model.flops / measured.runs[0].time_s.median / 500e12;
  const size_t at = mls[1].rfind(",500,");
  ASSERT_NE(at, std::string::npos) << mls[1];
  EXPECT_DOUBLE_EQ(std::stod(mls[1].substr(at + 5)), mfu) << mls[1];
  ResultsDoc d = test::sample_doc();
  d.runs[0].name = "void k<int, 2>(float*)";
  d.runs[0].nvtx = "step/forward";
  EXPECT_NE(render_csv(d).find(",\"void k<int, 2>(float*)\",step/forward,1,"), std::string::npos);
  // Numbers in their shortest exact form, not 17 digits.
  d.runs[0].time_s.median = 0.026892;
  EXPECT_NE(render_csv(d).find(",1,0.026892,"), std::string::npos) << render_csv(d);
  // Counts stay plain integers; only the very small or large take an exponent.
  d.runs[0].time_s.median = 1e-4;
  d.runs[0].model.flops = 1e12;
  d.runs[0].model.bytes = 1e20;
  const std::string csv = render_csv(d);
  EXPECT_NE(csv.find(",1,0.0001,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",1000000000000,1e+20,"), std::string::npos) << csv;
  // hw_launches: how many launches the counters are the mean of, when said.
  d.runs[0].launches = 10;
  d.runs[0].hw = HwCounters{};
  d.runs[0].hw->l1_bytes = 5;
  d.runs[0].hw->launches = 3;
  EXPECT_NE(lines(render_csv(d))[0].find(",hw_l1_bytes,hw_launches,tflops_model,"), std::string::npos);
  EXPECT_NE(render_csv(d).find(",5,3,"), std::string::npos) << render_csv(d);
  // A profiled memcpy has its bytes in the CSV, as the terminal shows them
  // (the CSV left both empty); no model TFLOP/s or intensity.
  d.runs[0].family = "app";
  d.runs[0].hw.reset();
  d.runs[0].model.flops = 0;
  d.runs[0].model.bytes = 5242880;
  EXPECT_NE(render_csv(d).find(",0,5242880,"), std::string::npos) << render_csv(d);
  EXPECT_NE(render_terminal(d, 200, false).find(" 0 5.24M "), std::string::npos) << render_terminal(d, 200, false);
}

// What NVML saw hold the clocks down: the CSV's last two columns, and a line
// under the terminal table for each run that was held down (none otherwise).
TEST(Report, PowerAndClockLimits) {
  ResultsDoc d = test::sample_doc();
  EXPECT_EQ(render_terminal(d, 200, false).find("clocks held down"), std::string::npos);
  d.runs[0].power_w = 699.4;
  d.runs[0].sm_clock_mhz = 1545;
  d.runs[0].clock_limits = std::vector<std::string>{"sw_power_cap", "hw_thermal"};
  d.runs[1].clock_limits = std::vector<std::string>{};
  const auto ls = lines(render_csv(d));
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_NE(ls[0].find(",max_rel_err,power_w,clock_limits"), std::string::npos) << ls[0];
  EXPECT_NE(ls[1].find(",699.4,sw_power_cap;hw_thermal"), std::string::npos) << ls[1];
  EXPECT_NE(ls[2].find(",,none,"), std::string::npos) << ls[2];  // read, nothing held the clocks down
  const std::string term = render_terminal(d, 200, false);
  EXPECT_NE(term.find("clocks held down during the timed runs (NVML):\n  gemm.cublas.bf16 m=8192 n=8192 k=8192: "
                      "sw_power_cap;hw_thermal, 699 W, 1545 MHz\n"),
            std::string::npos)
      << term;
  // The Markdown and HTML reports list them too (they once left them out).
  const std::string md = render_markdown(d);
  EXPECT_NE(md.find("Clocks held down during the timed runs (NVML):\n\n- gemm.cublas.bf16 m=8192 n=8192 k=8192: "
                    "sw_power_cap;hw_thermal, 699 W, 1545 MHz\n"),
            std::string::npos)
      << md;
  const std::string html = render_report_html({d});
  EXPECT_NE(html.find("<li>gemm.cublas.bf16 m=8192 n=8192 k=8192: sw_power_cap;hw_thermal, 699 W, 1545 MHz</li>"),
            std::string::npos);
  // 0 is "not known" (results-format.md): no "0 W, 0 MHz", and empty CSV cells.
  d.runs[0].power_w = 0;
  d.runs[0].sm_clock_mhz = 0;
  EXPECT_NE(render_terminal(d, 200, false).find("k=8192: sw_power_cap;hw_thermal\n"), std::string::npos);
  const auto zero = lines(render_csv(d));
  EXPECT_NE(zero[1].find(",,sw_power_cap;hw_thermal"), std::string::npos) << zero[1];
  EXPECT_EQ(zero[1].find(",0,"), std::string::npos) << zero[1];
}

// Prose into a file or pipe (no width) is still wrapped: a reviewer found
// reconciliation notes of 334 characters on one line.
TEST(Table, ProseIsWrappedAtMost160Columns) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "word" + std::to_string(i) + " ";
  for (size_t width : {size_t(80), size_t(1) << 20}) {
    std::istringstream lines(wrap_words(text, width, "  first: ", "      "));
    size_t count = 0;
    for (std::string line; std::getline(lines, line); ++count)
      EXPECT_LE(line.size(), std::min<size_t>(width, 160));
    EXPECT_GT(count, 1u);
  }
}

TEST(Table, ShrinksToWidth) {
  Table t;
  t.add_column("name", Align::left, true);
  t.add_column("value", Align::right);
  t.add_row({std::string(200, 'x'), "1"});
  const std::string out = t.render(40, false);
  for (const auto& l : lines(out)) EXPECT_LE(l.size(), 40u);
  EXPECT_NE(out.find(".."), std::string::npos);
  // The start and the end stay (a profile's labels end in their NVTX range):
  // found by review, rows of one kernel in five ranges all read the same.
  Table k;
  k.add_column("kernel", Align::left, true, true);
  k.add_column("time", Align::right);
  k.add_row({"app.cudnn_generated_fort_native_sdpa_sm90_flash_bprop_wgmma_f16_kernel0_0.fp16 in step0/backward",
             "110 us"});
  const std::string cut = k.render(50, false);
  EXPECT_NE(cut.find("app.cudnn_generated_f..16 in step0/backward 110 us"), std::string::npos) << cut;
  // UTF-8 is cut between characters at both ends.
  Table u;
  u.add_column("name", Align::left, true, true);
  u.add_row({"αβγδεζηθικλμνξοπρστυφχψω"});
  for (const auto& l : lines(u.render(14, false))) EXPECT_LE(text_columns(l), 14u) << l;
  EXPECT_NE(u.render(14, false).find("αβγδεζ..τυφχψω"), std::string::npos) << u.render(14, false);
}

// A column keeps its minimum width; columns with drop ranks are left out,
// lowest rank first, until the rest fits, and a last line names them (at 80
// columns the runs table once read "gemm.." in every row).
// A table of a kernel column, kept at 20 columns at least, then right-aligned
// columns with their drop ranks (0: never dropped).
Table kernel_table(const std::vector<std::pair<std::string, int>>& columns) {
  Table t;
  t.add_column("kernel", Align::left, true, true);
  t.set_min_width(20);
  for (const auto& [header, rank] : columns) {
    t.add_column(header, Align::right);
    if (rank > 0) t.set_drop_rank(rank);
  }
  return t;
}

TEST(Table, LeavesOutColumnsRatherThanCutNamesToNothing) {
  Table t = kernel_table({{"a", 2}, {"b", 1}, {"c", 0}});
  t.add_row({"gemm.some_long_variant_name.bf16", std::string(10, 'A'), std::string(10, 'B'), std::string(10, 'C')});
  const std::string wide = t.render(80, false);
  EXPECT_EQ(wide.find("left out"), std::string::npos) << wide;
  const std::string mid = t.render(45, false);  // 20 + 10 + 10 + 2 fits; b goes first
  EXPECT_NE(mid.find("AAAAAAAAAA CCCCCCCCCC"), std::string::npos) << mid;
  EXPECT_EQ(mid.find('B'), std::string::npos) << mid;
  // The note is wrapped to the width too, its words whole.
  for (const auto& l : lines(mid)) EXPECT_LE(text_columns(l), 45u) << l;
  std::string note = mid.substr(mid.find("(left out"));
  std::replace(note.begin(), note.end(), '\n', ' ');
  EXPECT_EQ(note, "(left out to fit 45 columns: b; --md and --csv have every column) ") << mid;
  const std::string narrow = t.render(31, false);  // a and b out; the kernel keeps 20
  EXPECT_NE(narrow.find("(left out to fit 31 columns: b,\na;"), std::string::npos) << narrow;
  EXPECT_NE(narrow.find("gemm.some..name.bf16 CCCCCCCCCC"), std::string::npos) << narrow;
  // Narrower than what is kept can shrink to: the note does not claim a fit.
  const std::string tiny = t.render(25, false);
  std::string tiny_note = tiny.substr(tiny.find("(left out"));
  std::replace(tiny_note.begin(), tiny_note.end(), '\n', ' ');
  EXPECT_EQ(tiny_note.find("(left out for 25 columns, which the rest still exceeds: b, a;"), 0u) << tiny;
}

// A column with no value in any row ('-' throughout) gives way before any
// with values, whatever their ranks: an application profile's model TFLOP/s
// and MFU (all '-') kept the table while its HFU went.
TEST(Table, ColumnsWithoutValuesGiveWayFirst) {
  Table t = kernel_table({{"a", 1}, {"b", 2}});
  t.add_row({"gemm.some_long_variant_name.bf16", std::string(10, 'A'), "-"});
  t.add_row({"gemm.other", std::string(10, 'A'), "-"});
  const std::string out = t.render(31, false);
  EXPECT_NE(out.find("AAAAAAAAAA"), std::string::npos) << out;
  EXPECT_NE(out.find("(left out to fit 31 columns: b;"), std::string::npos) << out;
}

TEST(RunsTable, AProfileKeepsItsHardwareFiguresInANarrowTerminal) {
  const ResultsDoc doc = test::model_twin_profile();
  const std::string out = render_terminal(doc, 80, false);
  const std::string head = out.substr(0, out.find('\n', out.find("kernel")));
  EXPECT_NE(head.find("hw TF/s"), std::string::npos) << out;
  EXPECT_NE(head.find("HFU%"), std::string::npos) << out;
  EXPECT_EQ(head.find("MFU%"), std::string::npos) << out;
}

TEST(Format, Numbers) {
  EXPECT_EQ(fmt_si(1234), "1.23k");
  EXPECT_EQ(fmt_si(989.4e12), "989T");
  EXPECT_EQ(fmt_si(12), "12");
  EXPECT_EQ(fmt_si(1e300), "1e+300");  // no row of 282 digits
  EXPECT_EQ(fmt_si(1e21), "1e+21");
  EXPECT_EQ(fmt_si(5e20), "500E");
  EXPECT_EQ(fmt_fixed(1e300, 2), "1e+300");
  EXPECT_EQ(fmt_fixed(-2.5e15, 1), "-2.5e+15");
  EXPECT_EQ(fmt_fixed(774.3, 2), "774.30");
  EXPECT_EQ(fmt_fixed(std::optional<double>(), 2), "-");  // a table's empty cell
  EXPECT_EQ(fmt_sig(0.026891999999999999, 3), "0.0269");
  EXPECT_EQ(fmt_sig(1.5e20, 4), "1.5e+20");
  EXPECT_EQ(std::stod(fmt_sig(0.1 + 0.2, 17)), 0.1 + 0.2);  // 17 digits give the double back
  EXPECT_EQ(fmt_percent_cell(0.837), "83.7");
  EXPECT_EQ(fmt_percent_cell(std::nullopt), "-");
  EXPECT_EQ(fmt_times(1.874), "1.87x");
  EXPECT_EQ(fmt_times(std::nullopt), "-");
  EXPECT_EQ(fmt_time(1.42e-3), "1.420 ms");
  EXPECT_EQ(fmt_time(8.12e-4), "812.0 us");
  EXPECT_EQ(fmt_time(2.1), "2.10 s");
  // Short kernels keep their digits: 608 and 640 ns read "0.6 us" alike.
  EXPECT_EQ(fmt_time(608e-9), "608 ns");
  EXPECT_EQ(fmt_time(30e-9), "30 ns");
  EXPECT_EQ(fmt_time(1.234e-6), "1.23 us");
  EXPECT_EQ(fmt_time(0.9996e-6), "1.00 us");
  EXPECT_EQ(fmt_time(12.34e-6), "12.3 us");
}

// ---- NVTX ranges of an application profile ---------------------------------------

TEST(NvtxRanges, TreeOfRangesWithTheirKernels) {
  EXPECT_TRUE(nvtx_inside("a/b", "a"));
  EXPECT_TRUE(nvtx_inside("a", "a"));
  EXPECT_FALSE(nvtx_inside("ab", "a"));
  EXPECT_FALSE(nvtx_inside("a", "a/b"));
  EXPECT_FALSE(nvtx_inside("", "a"));

  const ResultsDoc doc = test::model_twin_profile();
  const std::vector<RangeRow> rows = nvtx_ranges(doc);
  std::vector<std::string> paths;
  for (const RangeRow& r : rows) paths.push_back(r.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"counted", "counted/backward", "counted/forward", "counted/forward/attn",
                                             "counted/optimizer", "step0", "step0/forward"}));
  EXPECT_EQ(rows[0].depth, 0);
  EXPECT_EQ(rows[3].depth, 2);
  EXPECT_EQ(rows[0].launches, 19);  // every kernel below "counted"; the copy left out
  EXPECT_EQ(rows[0].launches_with_counters, 16);
  EXPECT_DOUBLE_EQ(rows[0].hw_tensor, 4 * 2e9 + 1e9 + 8 * 2e9 + 2.5e9);
  EXPECT_DOUBLE_EQ(rows[2].hw_cuda_core, 1e7 + 2 * 5e6);  // forward holds forward/attn
  EXPECT_DOUBLE_EQ(rows[0].gpu_time_s, 19 * 1e-4);
  const RangeRow fwd = range_totals(doc, "counted/forward");
  EXPECT_EQ(fwd.launches, rows[2].launches);
  EXPECT_DOUBLE_EQ(fwd.hw_tensor, rows[2].hw_tensor);
  EXPECT_EQ(fwd.hw_by_pipe, rows[2].hw_by_pipe);

  const std::string text = render_nvtx_ranges_terminal(doc, 100, false);
  EXPECT_NE(text.find("per NVTX range"), std::string::npos) << text;
  EXPECT_NE(text.find("\n    attn "), std::string::npos) << "subranges are indented\n" << text;
  EXPECT_NE(text.find("19 (16 counted)"), std::string::npos) << text;
  EXPECT_NE(render_report_markdown({doc}).find("| counted/forward/attn | 1 |"), std::string::npos);
  EXPECT_NE(render_report_terminal({doc}).find("per NVTX range"), std::string::npos);

  ResultsDoc marked = doc;
  marked.runs[1].nvtx = "counted/forward/<b attn='&'>";
  const std::string html = render_report_html({marked});
  EXPECT_NE(html.find("<section id=\"nvtx\"><h2>Per NVTX range</h2>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"range depth-2\">counted/forward/&lt;b attn=&#39;&amp;&#39;&gt;</td>"),
            std::string::npos)
      << "markup escaped";
  EXPECT_NE(html.find("td.range.depth-2 { padding-left: 38px; }\n"), std::string::npos) << "depth 2 indented";
  EXPECT_EQ(html.find("<b attn"), std::string::npos);
}

// The policy allows the page's own script and style by hash and nothing else
// inline: no 'unsafe-inline', and no style attribute, which it would block.
TEST(Html, PolicyAllowsOnlyItsOwnScriptAndStyleByHash) {
  const std::string html = render_report_html({test::model_twin_profile(), test::sample_doc()});
  auto between = [&](const std::string& open, const std::string& close) {
    const size_t b = html.find(open);
    const size_t e = html.find(close, b);
    EXPECT_NE(b, std::string::npos) << open;
    EXPECT_NE(e, std::string::npos) << close;
    return b == std::string::npos || e == std::string::npos
               ? ""
               : html.substr(b + open.size(), e - b - open.size());
  };
  auto source = [](const std::string& text) {
    const Sha256Digest d = sha256(text);
    return "'sha256-" + base64(std::string(d.begin(), d.end())) + "'";
  };
  const std::string policy = between("Content-Security-Policy\" content=\"", "\">");
  EXPECT_EQ(policy, "default-src 'none'; style-src " + source(between("<style>", "</style>")) +
                        "; script-src " + source(between("<script>", "</script>")) + "; img-src data:");
  EXPECT_EQ(html.find("unsafe"), std::string::npos);
  EXPECT_EQ(html.find(" style="), std::string::npos);
  EXPECT_EQ(html.find("<style>", html.find("<style>") + 1), std::string::npos) << "one sheet";
  EXPECT_EQ(html.find("<script>", html.find("<script>") + 1), std::string::npos) << "one script";
}

TEST(NvtxRanges, NoneForBenchmarksAndCappedForLongRuns) {
  EXPECT_EQ(render_nvtx_ranges_terminal(test::sample_doc()), "");
  EXPECT_EQ(render_report_markdown({test::sample_doc()}).find("Per NVTX range"), std::string::npos);
  EXPECT_EQ(render_report_html({test::sample_doc()}).find("id=\"nvtx\""), std::string::npos);

  ResultsDoc many = test::model_twin_profile();
  for (int i = 0; i < 100; ++i) {
    RunRecord r = many.runs[0];
    r.nvtx = "iter" + std::to_string(1000 + i);
    r.variant += std::to_string(i);
    r.id = "app." + r.variant + ".bf16";
    many.runs.push_back(r);
  }
  const std::string text = render_nvtx_ranges_terminal(many, 100, false);
  EXPECT_NE(text.find("... and 47 more ranges (in the results file)"), std::string::npos) << text;
  EXPECT_NE(render_report_html({many}).find("... and 47 more ranges"), std::string::npos);
  EXPECT_NE(render_report_markdown({many}).find(" |\n\n... and 47 more ranges"), std::string::npos)
      << "a blank line ends the Markdown table first";
}

TEST(NvtxRanges, DeepPathsAndHugeCountsStayBounded) {
  ResultsDoc doc = test::model_twin_profile();
  std::string deep = "leak";
  for (int i = 0; i < 20000; ++i) deep += "/r";
  doc.runs[0].nvtx = deep;  // a range pushed in a loop and never popped
  doc.runs[0].launches = std::numeric_limits<int64_t>::max();
  doc.runs[3].nvtx = "leak";
  doc.runs[3].launches = std::numeric_limits<int64_t>::max();
  const std::vector<RangeRow> rows = nvtx_ranges(doc);
  size_t leak_rows = 0;
  for (const RangeRow& r : rows) {
    if (r.path.rfind("leak", 0) != 0) continue;
    ++leak_rows;
    EXPECT_LT(r.depth, int(kMaxRangeDepth));
    EXPECT_GE(r.launches, 0) << r.path;
  }
  EXPECT_EQ(leak_rows, kMaxRangeDepth);
  EXPECT_EQ(rows.front().path, "counted");
  EXPECT_EQ(range_totals(doc, "leak").launches, std::numeric_limits<int64_t>::max()) << "held, not wrapped";
  // The deeper ranges are not listed, and every view says so (they vanished
  // without a word, a reviewer found).
  const std::string note =
      "1 run is in ranges more than 32 levels deep: counted in their enclosing ranges down to that depth, "
      "deeper ones not listed";
  EXPECT_EQ(runs_past_range_depth(doc), 1u);
  EXPECT_NE(render_nvtx_ranges_terminal(doc, 200, false).find(note + "\n"), std::string::npos);
  for (const auto& l : lines(render_nvtx_ranges_terminal(doc, 80, false))) {
    if (l.find("levels deep") != std::string::npos || l.find("deeper ones") != std::string::npos) {
      EXPECT_LE(text_columns(l), 80u) << l;
    }
  }
  EXPECT_NE(render_report_markdown({doc}).find("\n\n" + note + "\n"), std::string::npos);
  EXPECT_NE(render_report_html({doc}).find("<p class=\"muted\">" + note + ".</p>"), std::string::npos);
  // A path of exactly 32 levels is listed whole.
  doc.runs[0].nvtx = deep.substr(0, 4 + 2 * (kMaxRangeDepth - 1));
  EXPECT_EQ(runs_past_range_depth(doc), 0u);
  EXPECT_EQ(render_nvtx_ranges_terminal(doc).find("levels deep"), std::string::npos);
}

// `flopscope profile`'s table: every row, or the first `top` and one line for
// the rest with their share of the GPU time.
TEST(ProfileTable, TopRowsThenOneLineForTheRest) {
  const ResultsDoc doc = test::model_twin_profile();  // 8 rows, 24 launches of 0.1 ms
  const std::string all = render_profile_terminal(doc, 120, false, 0);
  for (const RunRecord& r : doc.runs) EXPECT_NE(all.find(r.variant), std::string::npos) << r.variant;
  EXPECT_EQ(all.find("more kernel rows"), std::string::npos);
  EXPECT_NE(all.find("per NVTX range"), std::string::npos) << "the range tree follows";
  EXPECT_EQ(render_profile_terminal(doc, 120, false, 8), all);
  EXPECT_EQ(render_profile_terminal(doc, 120, false, 100), all);

  // The first three: 4 + 1 + 2 of 24 launches; the other five hold 17 of them.
  const std::string three = render_profile_terminal(doc, 120, false, 3);
  EXPECT_NE(three.find("... and 5 more kernel rows (" + fmt_fixed(100.0 * 17 / 24, 1) + "% of the GPU time"),
            std::string::npos)
      << three;
  EXPECT_NE(three.find("layer_norm"), std::string::npos);
  EXPECT_EQ(three.find("flash_bwd"), std::string::npos) << three;
  EXPECT_EQ(three.find("sgd_foreach"), std::string::npos) << three;
  EXPECT_NE(three.find(" optimizer "), std::string::npos) << "the range tree still has every range\n" << three;
  for (const auto& l : lines(three)) EXPECT_LE(l.size(), 120u) << l;
}

// Kernels on several GPUs: a device column tells their rows apart (an 8-GPU
// run showed every kernel eight times alike, a reviewer's case); on one GPU
// there is none.
TEST(ProfileTable, SeveralDevicesGetADeviceColumn) {
  ResultsDoc doc = test::model_twin_profile();
  for (RunRecord& r : doc.runs) r.shape = {{"device", 0}};
  const std::string one = render_profile_terminal(doc, 120, false, 0);
  EXPECT_EQ(lines(one)[1].find("device"), std::string::npos) << one;
  RunRecord other = doc.runs[0];
  other.shape = {{"device", 1}};
  doc.runs.push_back(other);
  const std::string two = render_profile_terminal(doc, 120, false, 0);
  const auto rows = lines(two);
  EXPECT_NE(rows[1].find(" device "), std::string::npos) << two;
  size_t on_1 = 0, on_0 = 0;
  for (const auto& l : rows) {
    if (l.rfind(doc.runs[0].variant, 0) != 0) continue;
    on_1 += l.find(" 1 ") != std::string::npos;
    on_0 += l.find(" 0 ") != std::string::npos;
  }
  EXPECT_EQ(on_1, 1u) << two;
  EXPECT_GE(on_0, 1u) << two;
}

// A row whose counters came from only some of its launches says so, once.
TEST(ProfileTable, SaysWhenCountersCoverOnlySomeLaunches) {
  ResultsDoc doc = test::model_twin_profile();
  EXPECT_EQ(render_profile_terminal(doc, 120, false, 0).find("only some launches"), std::string::npos);
  HwCounters all, some;
  all.flops_total = some.flops_total = 1e9;
  all.launches = doc.runs[0].launches;
  some.launches = 1;
  doc.runs[0].hw = all;
  doc.runs[1].hw = some;  // its only launch
  doc.runs[2].hw = some;  // 1 of 2
  ASSERT_EQ(doc.runs[1].launches, 1);
  ASSERT_EQ(doc.runs[2].launches, 2);
  const std::string text = render_profile_terminal(doc, 120, false, 0);
  EXPECT_NE(text.find("1 row's hw figures are means over only some launches"), std::string::npos) << text;
  for (const auto& l : lines(text)) EXPECT_LE(l.size(), 120u) << l;
}
