// The report views and renderers, checked against the data they draw from:
// roofline point coordinates, roofs, bound labels, precision comparison,
// reconciliation reasons, escaping in every format, several files at once.
// Inputs are the HAND-MADE fixtures in tests/fixtures (invented numbers).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numbers>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "../../profiler/report/chart_labels.h"  // internal: label widths
#include "flopscope/error.h"
#include "flopscope/full_report.h"
#include "flopscope/report.h"
#include "flopscope/roofline.h"
#include "flopscope/roofline_chart.h"
#include "flopscope/table.h"
#include "flopscope/utf8.h"
#include "flopscope/views.h"
#include "unit/sample_doc.h"

using namespace flopscope;

namespace {

ResultsDoc fixture(const std::string& name) {
  return read_results(std::string(FLOPSCOPE_FIXTURES_DIR) + "/" + name);
}

const RunRecord& run_by_id(const ResultsDoc& d, const std::string& id) {
  for (const auto& r : d.runs)
    if (r.id == id) return r;
  throw std::runtime_error("no run " + id);
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

std::string f2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// The chart's mapping, written out independently of RooflineChart::px/py.
double expect_px(const RooflineChart& c, double x) {
  return c.left + (std::log10(x) - std::log10(c.x_min)) / (std::log10(c.x_max) - std::log10(c.x_min)) *
                      (c.right - c.left);
}
double expect_py(const RooflineChart& c, double y) {
  return c.bottom - (std::log10(y) - std::log10(c.y_min)) / (std::log10(c.y_max) - std::log10(c.y_min)) *
                        (c.bottom - c.top);
}

bool is_decade(double v) {
  const double e = std::log10(v);
  return std::fabs(e - std::round(e)) < 1e-9;
}

}  // namespace

// Every point against the run it stands for; returns the chart for more checks.
RooflineChart check_points(const ResultsDoc& doc) {
  const RooflineChart c = build_roofline_chart(doc);
  EXPECT_TRUE(is_decade(c.x_min) && is_decade(c.x_max) && is_decade(c.y_min) && is_decade(c.y_max));
  std::set<size_t> labelled;
  for (const auto& p : c.points) {
    const RunRecord& r = doc.runs.at(p.run);
    EXPECT_EQ(p.id, r.id);
    EXPECT_EQ(p.precision, r.precision);
    EXPECT_EQ(p.color, precision_color(r.precision));
    const double t = r.time_s.median;
    if (p.hardware) {
      const double flops = *r.hw->flops_total;
      const double bytes = p.level == "l2"   ? *r.hw->l2_bytes
                           : p.level == "l1" ? *r.hw->l1_bytes
                                             : *r.hw->dram_read_bytes + *r.hw->dram_write_bytes;
      EXPECT_DOUBLE_EQ(p.intensity, flops / bytes) << p.id << " " << p.level;
      EXPECT_DOUBLE_EQ(p.tflops, flops / t / 1e12) << p.id;
      if (p.level == "dram") {
        EXPECT_NEAR(p.intensity, *r.derived.ai_dram_hw, 1e-9 * p.intensity);
      }
    } else {
      EXPECT_EQ(p.level, "dram");
      EXPECT_DOUBLE_EQ(p.intensity, r.model.flops / r.model.bytes) << p.id;
      EXPECT_DOUBLE_EQ(p.tflops, r.model.flops / t / 1e12) << p.id;
      EXPECT_NEAR(p.tflops, r.derived.tflops_model, 1e-9 * p.tflops);
    }
    EXPECT_NEAR(p.x, expect_px(c, p.intensity), 1e-9) << p.id;
    EXPECT_NEAR(p.y, expect_py(c, p.tflops), 1e-9) << p.id;
    EXPECT_GE(p.x, c.left);
    EXPECT_LE(p.x, c.right);
    EXPECT_GE(p.y, c.top);
    EXPECT_LE(p.y, c.bottom);
    // The labelled point is the hardware one when the run has both.
    if (p.labelled) {
      EXPECT_TRUE(labelled.insert(p.run).second) << "two labels for " << p.id;
    }
    if (p.labelled && r.hw && r.hw->flops_total) {
      EXPECT_TRUE(p.hardware) << p.id;
    }
  }
  // Every run is either drawn (and labelled once) or listed as omitted.
  EXPECT_EQ(labelled.size() + c.omitted.size(), doc.runs.size());
  for (const auto& l : c.links) {
    EXPECT_EQ(c.points[l.model].run, c.points[l.hardware].run);
    EXPECT_FALSE(c.points[l.model].hardware);
    EXPECT_TRUE(c.points[l.hardware].hardware);
  }
  return c;
}

TEST(RooflineChart, PointsMatchTheData) {
  const ResultsDoc doc = fixture("handmade-h200.json");
  const RooflineChart c = check_points(doc);
  ASSERT_FALSE(c.points.empty());
  ASSERT_EQ(c.omitted.size(), 1u);
  EXPECT_EQ(c.omitted[0].id, "memory.copy.fp32");  // 0 model FLOPs
  EXPECT_NE(c.omitted[0].reason.find("0 FLOPs"), std::string::npos);

  // Runs with model and hardware intensity: two points joined by a link.
  size_t both = 0;
  for (const auto& r : doc.runs)
    if (r.hw && r.hw->flops_total && r.model.flops > 0) ++both;
  EXPECT_EQ(c.links.size(), both);
  // Hierarchical points: one per counted L2 / L1 byte total, tied to the DRAM point.
  size_t levels = 0;
  for (const auto& r : doc.runs)
    if (r.hw && r.hw->flops_total) levels += (r.hw->l2_bytes ? 1 : 0) + (r.hw->l1_bytes ? 1 : 0);
  EXPECT_EQ(levels, 3u);  // the fixture's BF16 GEMM (L2, L1) and attention (L2)
  ASSERT_EQ(c.level_links.size(), levels);
  for (const auto& l : c.level_links) {
    EXPECT_EQ(c.points[l.dram].level, "dram");
    EXPECT_NE(c.points[l.level].level, "dram");
    EXPECT_EQ(c.points[l.dram].run, c.points[l.level].run);
    EXPECT_DOUBLE_EQ(c.points[l.dram].y, c.points[l.level].y);  // same FLOP/s
    EXPECT_FALSE(c.points[l.level].labelled);
  }
  EXPECT_TRUE(c.levels_omitted.empty());
}

// A level that counted fewer bytes than DRAM missed traffic that went past it
// (cuBLAS's TMA copies: 12 kB of L1/TEX for a 199 MB GEMM), and its point at
// 1e7 FLOP/B stretched every chart by four empty decades: not drawn, and said.
TEST(RooflineChart, LevelsThatCountedLessThanDramAreNotDrawn) {
  ResultsDoc doc = fixture("handmade-h200.json");
  size_t gemm = doc.runs.size();
  for (size_t i = 0; i < doc.runs.size(); ++i)
    if (doc.runs[i].hw && doc.runs[i].hw->l1_bytes && doc.runs[i].hw->l2_bytes) gemm = i;
  ASSERT_LT(gemm, doc.runs.size());
  doc.runs[gemm].hw->l1_bytes = 12160;
  const RooflineChart c = build_roofline_chart(doc);
  for (const auto& p : c.points) EXPECT_FALSE(p.run == gemm && p.level == "l1") << "an L1 point was drawn";
  ASSERT_EQ(c.levels_omitted.size(), 1u);
  EXPECT_EQ(c.levels_omitted[0].run, gemm);
  EXPECT_EQ(c.levels_omitted[0].reason.rfind("no L1/TEX point: its L1/TEX bytes (12.2kB) are fewer than its DRAM reads",
                                             0),
            0u)
      << c.levels_omitted[0].reason;
  EXPECT_NE(render_roofline_svg(c).find("L2/L1 not drawn: 1"), std::string::npos);
  EXPECT_NE(render_report_markdown({doc}).find("Hierarchical points not drawn:"), std::string::npos);
  // Above the DRAM reads it is drawn, even below reads plus writes (a triad's
  // L1 bytes fell just short of its over-counted DRAM writes).
  doc.runs[gemm].hw->l1_bytes = *doc.runs[gemm].hw->dram_read_bytes + 1;
  doc.runs[gemm].hw->dram_write_bytes = *doc.runs[gemm].hw->dram_read_bytes;
  EXPECT_TRUE(build_roofline_chart(doc).levels_omitted.empty());
}

// Datasheet peaks give a DRAM roof only: an L2 or L1 point would have no roof to
// be read against, and it sat above the DRAM roof (20 of 36 on a filed H200
// bench). None is drawn, and one note says why and how to get the roofs.
TEST(RooflineChart, LevelsWithoutARoofAreNotDrawn) {
  ResultsDoc doc = fixture("handmade-h200.json");
  ASSERT_TRUE(doc.peaks.measured.has_value());
  ASSERT_FALSE(build_roofline_chart(doc).level_links.empty());
  doc.peaks.measured->l1_bytes_per_s = 0;  // an L2 roof, no L1 roof
  RooflineChart c = build_roofline_chart(doc);
  ASSERT_FALSE(c.level_links.empty());
  for (const auto& p : c.points) EXPECT_NE(p.level, "l1") << p.id;
  EXPECT_EQ(c.levels_without_roof, std::vector<std::string>{"L1/TEX"});
  // Said of L1/TEX alone, and of the measured peaks the file has.
  EXPECT_NE(render_roofline_svg(c).find(">L1/TEX: no roof, not drawn</text>"), std::string::npos);
  EXPECT_EQ(levels_without_roof_note(c), "L1/TEX points not drawn: the measured peaks give no L1/TEX bandwidth to "
                                         "read them against (the ceilings run did not measure it)");
  doc.peaks.measured.reset();
  c = build_roofline_chart(doc);
  EXPECT_TRUE(c.level_links.empty());
  for (const auto& p : c.points) EXPECT_EQ(p.level, "dram") << p.id;
  EXPECT_EQ(c.levels_without_roof, (std::vector<std::string>{"L2", "L1/TEX"}));
  const std::string note = levels_without_roof_note(c);
  EXPECT_NE(render_roofline_svg(c).find(">L2, L1/TEX: no roof, not drawn</text>"), std::string::npos);
  EXPECT_NE(note.find("the datasheet peaks give no L2 and L1/TEX bandwidth"), std::string::npos) << note;
  EXPECT_NE(render_report_markdown({doc}).find(note), std::string::npos);
  EXPECT_NE(render_report_html({doc}).find("<p class=\"muted\">L2 and L1/TEX points not drawn: the datasheet peaks"),
            std::string::npos);
}

// Runs left off the chart for one reason are listed once per reason, each
// label once with its count: a profile listed 193 lines for 38 distinct ones.
TEST(RooflineChart, OmittedRunsAreGroupedByReason) {
  const std::vector<ChartOmitted> omitted = {{0, "app.memset", "0 FLOPs", "app.memset in step"},
                                             {1, "app.memset", "0 FLOPs", "app.memset in step"},
                                             {2, "app.k", "no time", "app.k"},
                                             {3, "app.memcpy", "0 FLOPs", "app.memcpy"},
                                             {4, "app.memset", "0 FLOPs", "app.memset in step"}};
  const auto groups = group_omitted(omitted);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].reason, "0 FLOPs");
  EXPECT_EQ(groups[0].runs, 4u);
  EXPECT_EQ(groups[0].labels, (std::vector<std::string>{"app.memset in step x3", "app.memcpy"}));
  EXPECT_EQ(groups[1].reason, "no time");
  EXPECT_EQ(groups[1].runs, 1u);
  EXPECT_EQ(groups[1].labels, std::vector<std::string>{"app.k"});
}

// Results recorded on real GPUs (bench/results/, with their PROVENANCE.md): every
// view renders, and every point stands where its run's numbers put it.
TEST(RooflineChart, RecordedResultsFiles) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(FLOPSCOPE_FIXTURES_DIR) / ".." / ".." / "bench" / "results";
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(root, ec))
    for (const auto& e : fs::recursive_directory_iterator(root, ec))
      if (e.path().extension() == ".json" && read_file(e.path().string()).find(kResultsSchema) != std::string::npos)
        files.push_back(e.path());
  // The H200 runs of 2026-11-30 hold 12 (a lost folder must fail, not skip).
  ASSERT_GE(files.size(), 12u) << "recorded results missing under " << root.string();
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    const ResultsDoc doc = read_results(f.string());
    check_points(doc);
    const std::vector<ResultsDoc> docs{doc};
    EXPECT_FALSE(render_report_html(docs).empty());
    EXPECT_FALSE(render_report_markdown(docs).empty());
    EXPECT_FALSE(render_report_terminal(docs).empty());
  }
}

TEST(RooflineChart, MarkersByFamilyColorsByPrecision) {
  const RooflineChart c = build_roofline_chart(fixture("handmade-h200.json"));
  std::map<std::string, std::string> marker_of;
  for (const auto& p : c.points) {
    auto [it, fresh] = marker_of.emplace(p.family, p.marker);
    EXPECT_EQ(it->second, p.marker) << "family " << p.family << " has two markers";
  }
  std::set<std::string> markers;
  for (const auto& [f, m] : marker_of) markers.insert(m);
  EXPECT_EQ(markers.size(), marker_of.size()) << "two families share a marker";
  EXPECT_EQ(marker_of["gemm"], "circle");
  EXPECT_EQ(marker_of["attention"], "square");
  EXPECT_NE(precision_color("bf16_tensor"), precision_color("fp32"));
}

TEST(RooflineChart, RoofsFromBothPeakTables) {
  const ResultsDoc doc = fixture("handmade-h200.json");
  const RooflineChart c = build_roofline_chart(doc);
  std::set<std::string> flat_ds, flat_ms, mem_ds, mem_ms;
  for (const auto& r : c.roofs) {
    for (const auto& k : r.keys) (r.memory ? (r.measured ? mem_ms : mem_ds) : (r.measured ? flat_ms : flat_ds)).insert(k);
    if (!r.memory) {
      EXPECT_DOUBLE_EQ(r.y0, r.value / 1e12);
      EXPECT_DOUBLE_EQ(r.y1, r.value / 1e12);
      EXPECT_DOUBLE_EQ(r.x1, c.x_max);
      for (const auto& k : r.keys) {
        const auto& table = r.measured ? doc.peaks.measured->flops_per_s : doc.peaks.datasheet.flops_per_s;
        EXPECT_DOUBLE_EQ(table.at(k), r.value) << k;
      }
    } else {
      EXPECT_NEAR(r.y0, r.x0 * r.value / 1e12, 1e-9 * r.y0);  // on the line y = x * bandwidth
      EXPECT_NEAR(r.y1, r.x1 * r.value / 1e12, 1e-9 * r.y1);
      EXPECT_LT(r.x0, r.x1);
    }
  }
  // A flat roof per precision of each table, CUDA cores and tensor cores alike.
  for (const auto& [k, v] : doc.peaks.datasheet.flops_per_s) EXPECT_TRUE(flat_ds.count(k)) << k;
  for (const auto& [k, v] : doc.peaks.measured->flops_per_s) EXPECT_TRUE(flat_ms.count(k)) << k;
  EXPECT_TRUE(flat_ds.count("fp32") && flat_ds.count("bf16_tensor"));
  // Sloped roofs for the bandwidths known: datasheet DRAM; measured DRAM, L2, L1.
  EXPECT_EQ(mem_ds, (std::set<std::string>{"dram"}));
  EXPECT_EQ(mem_ms, (std::set<std::string>{"dram", "l2", "l1"}));
}

// Roofs below 1 TB/s or 1 TFLOP/s keep three digits (a 1 MB/s roof read
// "0.00 TB/s", an L40's 0.864 TB/s "0.86").
TEST(RooflineChart, SmallRoofsKeepTheirDigits) {
  ResultsDoc doc = fixture("handmade-h200.json");
  doc.peaks.measured.reset();
  doc.peaks.datasheet.dram_bytes_per_s = 0.864e12;
  doc.peaks.datasheet.flops_per_s["fp64"] = 1e6;
  std::set<std::string> labels;
  for (const auto& r : build_roofline_chart(doc).roofs) labels.insert(r.label);
  EXPECT_TRUE(std::any_of(labels.begin(), labels.end(),
                          [](const std::string& l) { return l.find("0.864 TB/s") != std::string::npos; }))
      << ::testing::PrintToString(labels);
  EXPECT_TRUE(std::any_of(labels.begin(), labels.end(),
                          [](const std::string& l) { return l.find("1e-06 TFLOP/s") != std::string::npos; }))
      << ::testing::PrintToString(labels);
}

TEST(RooflineChart, EveryLevelMeetsTheFlatRoofs) {
  // With L2 and L1 measured, each flat roof starts at the steepest slope of its
  // table, so an L2 or L1 point has a roof drawn above it.
  const RooflineChart c = build_roofline_chart(fixture("handmade-h200.json"));
  for (const auto& r : c.roofs) {
    if (r.memory) continue;
    double widest = 0;
    for (const auto& m : c.roofs)
      if (m.memory && m.measured == r.measured) widest = std::max(widest, m.value);
    ASSERT_GT(widest, 0);
    EXPECT_NEAR(r.x0, std::clamp(r.value / widest, c.x_min, c.x_max), 1e-9 * r.x0) << r.label;
  }
}

TEST(RooflineChart, SharedRoofIsStripedInTheColorsOfItsRuns) {
  ResultsDoc doc = test::sample_doc();
  doc.runs.resize(1);  // gemm bf16
  doc.runs.push_back(doc.runs[0]);
  doc.runs[1].id = "gemm.cublas.fp16";
  doc.runs[1].dtype = "fp16";
  doc.runs[1].precision = "fp16_tensor";
  compute_derived(doc.runs[1], doc.peaks.datasheet);
  const RooflineChart c = build_roofline_chart(doc);
  const ChartRoof* shared = nullptr;
  for (const auto& r : c.roofs)
    if (!r.memory && !r.measured && std::count(r.keys.begin(), r.keys.end(), "bf16_tensor")) shared = &r;
  ASSERT_NE(shared, nullptr);
  ASSERT_EQ(shared->keys.size(), 2u);  // fp16 and bf16 tensor share 989.4 TFLOP/s on an H200
  EXPECT_EQ(std::set<std::string>(shared->stripe_colors.begin(), shared->stripe_colors.end()),
            (std::set<std::string>{precision_color("bf16_tensor"), precision_color("fp16_tensor")}));
  const std::string svg = render_roofline_svg(c);
  EXPECT_EQ(count(svg, "data-roof=\"" + shared->keys[0] + "\""), 2u);  // one line per color
  EXPECT_NE(svg.find("stroke-dashoffset=\"-10.00\""), std::string::npos);
  // One run: that roof takes the run's color, and the legend names only drawn colors.
  doc.runs.resize(1);
  const RooflineChart one = build_roofline_chart(doc);
  for (const auto& r : one.roofs)
    if (!r.memory && std::count(r.keys.begin(), r.keys.end(), "bf16_tensor")) {
      EXPECT_TRUE(r.stripe_colors.empty());
      EXPECT_EQ(r.color, precision_color("bf16_tensor"));
    }
  for (const auto& [key, color] : one.precision_colors) {
    bool drawn = key == "bf16_tensor";
    for (const auto& r : one.roofs) drawn = drawn || (!r.memory && r.keys == std::vector<std::string>{key});
    EXPECT_TRUE(drawn) << key << " is in the legend but drawn in no color of its own";
  }
}

TEST(RooflineChart, ManyRunsKeepAReadableNumberOfLabels) {
  ResultsDoc doc = test::sample_doc();
  doc.runs.resize(1);
  for (int i = 1; i < 1000; ++i) {
    RunRecord r = doc.runs[0];
    r.shape = {{"m", 8192 + i}, {"n", 8192}, {"k", 8192}};
    doc.runs.push_back(r);
  }
  RooflineChart c = build_roofline_chart(doc);
  const auto labelled = std::count_if(c.points.begin(), c.points.end(), [](const ChartPoint& p) { return p.labelled; });
  EXPECT_EQ(labelled, 200);
  EXPECT_GE(c.points.size(), 1000u);  // every run is still drawn
  EXPECT_EQ(c.unlabelled_runs, 800u);
  EXPECT_NE(render_roofline_svg(c).find(">unlabelled: 800 runs (hover points)</text>"), std::string::npos);
  // An outlier after 300 runs at one spot gets a label: it once had none,
  // every label going to the runs before it in the file.
  doc.runs.resize(300);
  for (RunRecord& r : doc.runs) r.shape = {{"m", 8192}, {"n", 8192}, {"k", 8192}};
  RunRecord outlier = doc.runs[0];
  outlier.time_s.median *= 50;
  outlier.id = "gemm.outlier.bf16";
  doc.runs.push_back(outlier);
  c = build_roofline_chart(doc);
  EXPECT_TRUE(std::any_of(c.points.begin(), c.points.end(),
                          [](const ChartPoint& p) { return p.id == "gemm.outlier.bf16" && p.labelled; }));
}

// Fifty runs, half of them tensor-core kernels within a few points of one
// another: every run is named, by its label or by a number and the key under
// the plot, and no label covers another, a point or a roof's label.
// Label widths by glyph: capitals and m/w wider than lowercase, i/l/. narrower;
// a cut keeps whole UTF-8 characters and fits the room it was given.
TEST(RooflineChart, LabelWidthsFollowTheGlyphs) {
  using flopscope::chart::fit_width;
  using flopscope::chart::text_width;
  EXPECT_GT(text_width("GEMM_CUBLAS"), text_width("gemm_cublas"));
  EXPECT_GT(text_width("mmmm"), text_width("nnnn"));
  EXPECT_LT(text_width("ill."), text_width("nnnn"));
  EXPECT_EQ(fit_width("short", 100), "short");
  for (const std::string& s : {std::string("GEMM_CUBLAS_BF16_S3_WITH_A_LONG_TAIL"), std::string("\u00e9t\u00e9 \u4e2d\u6587 gemm")}) {
    for (double room : {20.0, 40.0, 60.0}) {
      const std::string cut = fit_width(s, room);
      EXPECT_LE(text_width(cut), room + 1e-9) << cut;
      ASSERT_GE(cut.size(), 3u);
      EXPECT_EQ(cut.substr(cut.size() - 3), "\u2026") << cut;
      // Whole characters: the kept prefix is a prefix of s ending on a boundary.
      const std::string kept = cut.substr(0, cut.size() - 3);
      EXPECT_EQ(s.compare(0, kept.size(), kept), 0);
      EXPECT_TRUE(kept.size() == s.size() || (static_cast<unsigned char>(s[kept.size()]) & 0xC0) != 0x80) << cut;
    }
  }
}

TEST(RooflineChart, CrowdedRunsAreAllNamedWithoutOverlaps) {
  const ResultsDoc doc = test::suite_like_doc();
  ASSERT_EQ(doc.runs.size(), 50u);
  const RooflineChart c = build_roofline_chart(doc);
  EXPECT_EQ(c.overlapping_labels, 0u);
  std::vector<const ChartPoint*> labelled;
  std::set<int> keys;
  for (const auto& p : c.points)
    if (p.labelled) {
      labelled.push_back(&p);
      if (p.key > 0) {
        EXPECT_TRUE(keys.insert(p.key).second) << "key " << p.key << " twice";
      }
    }
  ASSERT_EQ(c.omitted.size(), 1u);  // the copy: no FLOPs, no place on a log FLOP axis
  ASSERT_EQ(labelled.size(), 49u);
  ASSERT_FALSE(keys.empty()) << "this chart is crowded: some runs need the key (or the test is vacuous)";
  EXPECT_EQ(*keys.rbegin(), int(keys.size())) << "keys are 1..n";
  EXPECT_LT(keys.size(), 40u) << "most runs keep their id in place";
  for (size_t i = 0; i < labelled.size(); ++i) {
    const ChartBox& b = labelled[i]->label_box;
    EXPECT_TRUE(b.x0 >= c.left && b.x1 <= c.right && b.y0 >= c.top && b.y1 <= c.bottom) << labelled[i]->id;
    EXPECT_GT(b.x1 - b.x0, 15) << labelled[i]->id;
    for (size_t j = i + 1; j < labelled.size(); ++j)
      EXPECT_FALSE(b.overlaps(labelled[j]->label_box)) << labelled[i]->id << " and " << labelled[j]->id;
    for (const auto& p : c.points)
      EXPECT_FALSE(b.overlaps({p.x - 5, p.y - 5, p.x + 5, p.y + 5})) << labelled[i]->id << " covers " << p.id;
  }
  // The flat roofs' labels are single boxes: no run's label is on one.
  for (const auto& r : c.roofs) {
    if (r.memory) continue;
    const ChartBox rb{r.label_x - 0.9 * 6.1 * double(r.label.size()), r.label_y - 9, r.label_x, r.label_y + 1};
    for (const ChartPoint* p : labelled) EXPECT_FALSE(rb.overlaps(p->label_box)) << r.label << " under " << p->id;
  }
  // The key lists each numbered run once, by its title (id, shape, NVTX
  // path; whole on hover, cut to its column), and the chart grew to hold it.
  const std::string svg = render_roofline_svg(c);
  for (const ChartPoint* p : labelled)
    if (p->key > 0) {
      const std::string entry = "<title>" + p->title + "</title>[" + std::to_string(p->key) + "] ";
      EXPECT_EQ(count(svg, entry), 1u) << entry;
      EXPECT_EQ(count(svg, ">[" + std::to_string(p->key) + "]</text>"), 1u) << "its number in the plot";
    }
  const size_t rows = (keys.size() + 2) / 3;
  EXPECT_GE(c.height, c.bottom + 50 + 14 * double(rows + 1));
  EXPECT_NE(svg.find("height=\"" + f2(c.height) + "\""), std::string::npos);
}

// The whole chart again, a family at a time: the same axes, coordinates and
// markers, only that family's runs, and room to name them (fewer numbers).
// The HTML report shows them under the whole chart, open when it is crowded.
TEST(RooflineChart, FamilyChartsRedrawTheWholeChartAFamilyAtATime) {
  const ResultsDoc doc = test::suite_like_doc();
  const RooflineChart whole = build_roofline_chart(doc);
  const std::vector<RooflineChart> charts = build_family_roofline_charts({doc});
  std::vector<std::string> families;
  for (const auto& c : charts) families.push_back(c.family);
  EXPECT_EQ(families, (std::vector<std::string>{"attention", "ffn", "gemm", "memory"}));
  auto keyed = [](const RooflineChart& c) {
    return size_t(std::count_if(c.points.begin(), c.points.end(), [](const ChartPoint& p) { return p.key > 0; }));
  };
  size_t labelled = 0, keys = 0;
  for (const RooflineChart& c : charts) {
    EXPECT_EQ(c.doc, 0u);
    EXPECT_EQ(c.title, c.family);
    EXPECT_EQ(c.overlapping_labels, 0u) << c.family;
    EXPECT_EQ(std::tie(c.x_min, c.x_max, c.y_min, c.y_max), std::tie(whole.x_min, whole.x_max, whole.y_min, whole.y_max));
    EXPECT_EQ(c.family_markers, (std::vector<std::pair<std::string, std::string>>{
                                    {c.family, c.points.front().marker}}));
    for (const ChartPoint& p : c.points) {
      EXPECT_EQ(p.family, c.family) << p.id;
      labelled += p.labelled;
      const auto same = std::find_if(whole.points.begin(), whole.points.end(), [&](const ChartPoint& w) {
        return w.run == p.run && w.hardware == p.hardware && w.level == p.level;
      });
      ASSERT_NE(same, whole.points.end()) << p.id;
      EXPECT_EQ(std::tie(same->x, same->y, same->marker, same->color), std::tie(p.x, p.y, p.marker, p.color)) << p.id;
    }
    keys += keyed(c);
  }
  EXPECT_EQ(labelled, 49u) << "every run the whole chart draws, once";
  EXPECT_GT(keyed(whole), 0u) << "the whole chart is crowded (or the comparison is vacuous)";
  EXPECT_LE(2 * keys, keyed(whole)) << "at most half as many runs need a number";

  const std::string html = render_report_html({doc});
  EXPECT_NE(html.find("<details class=\"by-family\" open><summary>By family: 4 charts"), std::string::npos);
  for (const char* f : {"attention", "ffn", "gemm", "memory"})
    EXPECT_EQ(count(html, "data-family=\"" + std::string(f) + "\""), 1u) << f;
  // An uncrowded chart keeps them closed; one family has none.
  ResultsDoc two = doc;
  two.runs = {doc.runs.front(), doc.runs.back()};
  ASSERT_NE(two.runs[0].family, two.runs[1].family);
  EXPECT_NE(render_report_html({two}).find("<details class=\"by-family\"><summary>By family: 2 charts"), std::string::npos);
  ResultsDoc one = doc;
  one.runs = {doc.runs.front()};
  EXPECT_TRUE(build_family_roofline_charts({one}).empty());
  EXPECT_EQ(render_report_html({one}).find("<details class=\"by-family\""), std::string::npos);
  // Two documents: a chart per family and document, named by both.
  const std::vector<RooflineChart> pairs = build_family_roofline_charts({doc, two});
  ASSERT_GE(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].family, pairs[1].family);
  EXPECT_EQ(pairs[1].doc, 1u);
  EXPECT_NE(pairs[1].title.find(pairs[1].family + " ("), std::string::npos) << pairs[1].title;
}

// Each family chart is a pass over the runs and a whole SVG: 20,000 one-run
// families once made a 275 MB page. The 12 families with the most runs are
// drawn apart, and the page says how many more there are.
// The fixture with its first run only, copied into `n` families fam100, fam101...
ResultsDoc one_run_families(int n) {
  ResultsDoc doc = fixture("handmade-h200.json");
  const RunRecord gemm = doc.runs.front();
  doc.runs.clear();
  for (int f = 0; f < n; ++f) {
    RunRecord r = gemm;
    r.family = "fam" + std::to_string(100 + f);
    r.id = r.family + "." + r.variant + "." + r.dtype;
    doc.runs.push_back(r);
  }
  return doc;
}

TEST(RooflineChart, FamilyChartsAreCapped) {
  ResultsDoc doc = one_run_families(20);
  RunRecord r = doc.runs.back();  // the one family with two runs, last in name order: kept
  r.shape.emplace_back("extra", 1);
  doc.runs.push_back(r);
  size_t left_out = 0;
  const std::vector<RooflineChart> charts = build_family_roofline_charts({doc}, &left_out);
  EXPECT_EQ(charts.size(), kMaxFamilyCharts);
  EXPECT_EQ(left_out, 20 - kMaxFamilyCharts);
  EXPECT_TRUE(std::any_of(charts.begin(), charts.end(), [](const RooflineChart& c) { return c.family == "fam119"; }));
  EXPECT_NE(render_report_html({doc}).find("<p>8 more families are in the whole chart only: these are the 12 with "
                                           "the most runs.</p>"),
            std::string::npos);
  // A family with nothing to draw (copies: no FLOPs) takes no place among the
  // twelve, however many runs it has (it left eleven charts drawn, one hidden).
  ResultsDoc copies = doc;
  copies.runs.resize(12);
  for (int i = 0; i < 3; ++i) {
    RunRecord copy = doc.runs.front();
    copy.family = "memory";
    copy.id = "memory.copy" + std::to_string(i) + ".fp32";
    copy.model.flops = 0;
    copy.hw.reset();
    copies.runs.push_back(copy);
  }
  const std::vector<RooflineChart> twelve = build_family_roofline_charts({copies}, &left_out);
  EXPECT_EQ(twelve.size(), 12u);
  EXPECT_EQ(left_out, 0u);
}

// Where a flat roof's label box stands against the roof lines: other roofs'
// lines through it, flat (strike-throughs) and sloped, sampled along each line;
// and whether it stands wholly left of where its own line starts.
struct FlatLabelPlace {
  ChartBox box;
  size_t flat_crossings = 0, sloped_crossings = 0;
  bool off_its_line = false;
};

FlatLabelPlace flat_label_place(const RooflineChart& c, const ChartRoof& r) {
  const double w = chart::text_width(r.label) * 10.5 / 11;
  FlatLabelPlace out;
  out.box = {r.label_x - w, r.label_y - 10, r.label_x, r.label_y + 2};
  const ChartBox& b = out.box;
  for (const ChartRoof& o : c.roofs) {
    if (&o == &r) continue;
    bool through = false;
    for (int i = 0; i <= 400 && !through; ++i) {
      const double t = i / 400.0;
      const double x = c.px(o.x0) + t * (c.px(o.x1) - c.px(o.x0)),
                   y = c.py(o.y0) + t * (c.py(o.y1) - c.py(o.y0));
      through = x > b.x0 && x < b.x1 && y > b.y0 && y < b.y1;
    }
    (o.memory ? out.sloped_crossings : out.flat_crossings) += through;
  }
  out.off_its_line = b.x1 <= c.px(r.x0);
  return out;
}

// Measured peaks beside the datasheet's put flat roofs a few units apart. Each
// flat label sits against its own line (stacked downwards, labels sat under
// other lines, 11 units off their own), apart from the other labels, on a
// white halo where another roof's line must pass behind it; on the recorded
// H200 runs read against their own ceilings.
TEST(RooflineChart, FlatRoofLabelsSitOnTheirOwnLine) {
  const std::string dir = std::string(FLOPSCOPE_FIXTURES_DIR) + "/../../bench/results/h200/";
  size_t charts = 0, struck = 0, off = 0, labels = 0;
  for (const char* run : {"2026-11-30/bench_large", "2026-11-30-2/bench", "2026-11-30-3/bench"}) {
    SCOPED_TRACE(run);
    ResultsDoc doc = read_results(dir + run + ".json");
    const std::string folder = std::string(run).substr(0, std::string(run).find('/'));
    adopt_measured_peaks(doc, read_results(dir + folder + "/ceilings.json"), run);
    const RooflineChart c = build_roofline_chart(doc);
    std::vector<ChartBox> boxes;
    size_t measured = 0;
    for (const ChartRoof& r : c.roofs) {
      if (r.memory) continue;
      measured += r.measured;
      const FlatLabelPlace place = flat_label_place(c, r);
      ++labels;
      struck += place.flat_crossings;
      off += place.off_its_line;
      // Beside its own line: its box's edge within a few units of it.
      const double own = c.py(r.y0);
      EXPECT_TRUE(std::fabs(place.box.y1 - own) < 3 || std::fabs(place.box.y0 - own) < 3) << r.label;
      for (const ChartBox& o : boxes) EXPECT_FALSE(place.box.overlaps(o)) << r.label;
      boxes.push_back(place.box);
    }
    EXPECT_GT(measured, 3u) << "measured peaks are drawn (or the test is vacuous)";
    // The halo is a white copy drawn under each label, not paint-order on it
    // (which renderers such as cairosvg ignore, drawing the white over the text).
    const std::string svg = render_roofline_svg(c);
    EXPECT_NE(svg.find("<g class=\"roof-label-halos\" font-size=\"10.5\" fill=\"#ffffff\" stroke=\"#ffffff\""),
              std::string::npos);
    EXPECT_EQ(svg.find("paint-order"), std::string::npos);
    ++charts;
  }
  EXPECT_EQ(charts, 3u);
  // Nearly every label finds a place no other flat line strikes through (peaks
  // 2-10 units apart can leave one none): 1 of 39 here. A sloped line may cross
  // one steeply, behind its halo, rather than push it off its own line: where
  // the labels stacked at the right end of three roofs 10 units apart leave no
  // room, 3 of 39 here (11 when a sloped crossing cost as much as that).
  EXPECT_LE(6 * struck, labels) << struck << " of " << labels;
  EXPECT_LE(8 * off, labels) << off << " of " << labels;
}

// A label wider than its short line overhangs the line's start, crossing the
// sloped roof that ends there, rather than float wholly left of the line
// (the H200 profile's "fp16_tensor, bf16_tensor" label read as the 1000 grid
// line's).
TEST(RooflineChart, AFlatLabelWiderThanItsLineStillTouchesIt) {
  const std::string dir = std::string(FLOPSCOPE_FIXTURES_DIR) + "/../../bench/results/h200/";
  const RooflineChart c = build_roofline_chart(read_results(dir + "2026-11-30-3/profile.json"));
  size_t wider = 0;
  for (const ChartRoof& r : c.roofs) {
    if (r.memory) continue;
    const FlatLabelPlace place = flat_label_place(c, r);
    wider += place.box.x0 < c.px(r.x0);
    EXPECT_FALSE(place.off_its_line) << r.label;
    EXPECT_EQ(place.flat_crossings, 0u) << r.label;
  }
  EXPECT_GE(wider, 2u) << "labels wider than their lines (or the test is vacuous)";
}

// The points a sloped roof label's glyphs touch, its baseline starting at
// (x, y): glyphs sampled along the baseline, 4 units above it in the text's
// frame, 10 units tall; markers 10 units wide.
size_t points_under(const RooflineChart& c, const ChartRoof& r, double x, double y) {
  const double a = r.label_angle * std::numbers::pi / 180, len = 0.95 * 6.1 * double(r.label.size());
  std::set<size_t> hit;
  for (double s = 0; s <= len; s += 2) {
    const double gx = x + s * std::cos(a) + 4 * std::sin(a), gy = y + s * std::sin(a) - 4 * std::cos(a);
    for (size_t i = 0; i < c.points.size(); ++i)
      if (std::fabs(c.points[i].x - gx) < 5 && std::fabs(c.points[i].y - gy) < 10) hit.insert(i);
  }
  return hit.size();
}

ChartRoof dram_roof(const RooflineChart& c) {
  auto it = std::find_if(c.roofs.begin(), c.roofs.end(), [](const ChartRoof& r) { return r.memory; });
  EXPECT_NE(it, c.roofs.end());
  return it == c.roofs.end() ? ChartRoof{} : *it;
}

// The intensity at fraction u of a roof's line, on the log axis.
double along(const ChartRoof& r, double u) {
  return std::pow(10.0, std::log10(r.x0) + u * (std::log10(r.x1) - std::log10(r.x0)));
}

// A memory-bound run at `intensity` reaching `of_roof` of the roof's bandwidth.
RunRecord memory_probe(const ResultsDoc& doc, const std::string& id, double intensity, double bandwidth,
                       double of_roof) {
  RunRecord probe = doc.runs.back();
  probe.id = id;
  probe.model.flops = intensity * 1e9;
  probe.model.bytes = 1e9;
  probe.model.flops_by_part.clear();
  probe.time_s = summarize({1e9 / (of_roof * bandwidth)});
  compute_derived(probe, doc.peaks.datasheet);
  return probe;
}

// A sloped roof's label lies along the line where memory-bound runs sit: it
// moves along the line off their points.
TEST(RooflineChart, SlopedRoofLabelsMoveOffPoints) {
  ResultsDoc doc = test::suite_like_doc();
  // Its first place: a tenth of the way along the line. A memory-bound run
  // just under the roof there.
  const RooflineChart before = build_roofline_chart(doc);
  const ChartRoof r0 = dram_roof(before);
  doc.runs.push_back(memory_probe(doc, "memory.probe.fp32", 1.3 * along(r0, 0.1), r0.value, 0.97));

  const RooflineChart c = build_roofline_chart(doc);
  ASSERT_EQ(c.x_min, before.x_min);
  const ChartRoof r = dram_roof(c);
  const double lx = along(r, 0.1);
  ASSERT_GT(points_under(c, r, c.px(lx), c.py(lx * r.value / 1e12) - 5), 0u) << "the probe is not under the first place";
  EXPECT_EQ(points_under(c, r, r.label_x, r.label_y), 0u) << "the label stayed on the probe";
}

// Runs past a measured roof sit just above it, where its label goes: with
// every place above the line taken, the label goes below it, on no point
// (it sat on memory.triad's points in the recorded H200 chart with --peaks).
TEST(RooflineChart, SlopedRoofLabelGoesBelowItsLineWhenPointsTakeEveryPlaceAbove) {
  ResultsDoc doc = test::suite_like_doc();
  const RooflineChart before = build_roofline_chart(doc);
  const ChartRoof r0 = dram_roof(before);
  // A run at 106% of the roof under the middle of each place's label.
  for (const double u : {0.1, 0.22, 0.34, 0.46, 0.58, 0.7})
    doc.runs.push_back(memory_probe(doc, "memory.probe" + std::to_string(int(u * 100)) + ".fp32",
                                    1.3 * along(r0, u), r0.value, 1.06));
  const RooflineChart c = build_roofline_chart(doc);
  ASSERT_EQ(c.x_min, before.x_min);
  const ChartRoof r = dram_roof(c);
  // Below: the label's anchor is under the line at its x.
  const double u = (r.label_x - c.px(r.x0)) / (c.px(r.x1) - c.px(r.x0));
  EXPECT_GT(r.label_y, c.py(along(r, u) * r.value / 1e12) + 8) << "the label is not below its line";
  EXPECT_EQ(points_under(c, r, r.label_x, r.label_y), 0u) << "a glyph on a point";
}

// A 1000-character template name once ran as one label across the whole plot:
// the label is cut short, the tooltip keeps the whole id.
TEST(RooflineChart, LongIdsAreCutInTheLabelNotTheTooltip) {
  ResultsDoc doc = test::sample_doc();
  doc.runs.resize(1);
  doc.runs[0].id = "gemm.cublas.bf16" + std::string(1000, 'L');
  const std::string svg = render_roofline_svg(build_roofline_chart(doc));
  EXPECT_NE(svg.find("<title>" + doc.runs[0].id), std::string::npos) << "tooltip has the whole id";
  EXPECT_NE(svg.find(">gemm.cublas.bf16" + std::string(31, 'L') + "\u2026</text>"), std::string::npos);
}

// A family is any string from the file: its legend entry is cut to the room
// right of the plot (the SVG clips past its edge), the whole name on hover.
TEST(RooflineChart, LongFamilyNamesAreCutInTheLegend) {
  ResultsDoc doc = fixture("handmade-h200.json");
  const std::string fam = "attention_flash_decoding_with_paged_kv_cache_and_more";
  doc.runs[4].family = fam;
  const RooflineChart c = build_roofline_chart(doc);
  const std::string svg = render_roofline_svg(c);
  const size_t t = svg.find("<title>" + fam + "</title>");
  ASSERT_NE(t, std::string::npos);
  const size_t from = t + fam.size() + 15, to = svg.find("</text>", from);
  const std::string shown = svg.substr(from, to - from);
  EXPECT_EQ(shown.rfind("attention_flash", 0), 0u) << shown;
  EXPECT_NE(shown.find("\u2026"), std::string::npos) << shown;
  // The legend's text starts 48 units right of the plot.
  EXPECT_LE(c.right + 48 + 6.1 * double(text_columns(shown)), c.width) << shown;
  EXPECT_NE(svg.find(">gemm</text>"), std::string::npos) << "short names stay whole";
}

// 60 families ran the legend 430 units past the chart's bottom (the roofs and
// points keys clipped), and a long device name ran off its right edge: the
// chart grows to hold its legend, and the title is cut, whole on hover.
TEST(RooflineChart, TheLegendAndTitleFitTheChart) {
  ResultsDoc doc = one_run_families(60);
  doc.device->name = "NVIDIA H200 " + std::string(200, 'X');
  doc.device->gpu_key.clear();  // the label then names the device
  for (const std::vector<RooflineChart>& charts :
       {std::vector<RooflineChart>{build_roofline_chart(doc)},
        std::vector<RooflineChart>{build_roofline_chart(doc), build_roofline_chart(doc)}}) {
    const std::string svg = render_roofline_svg(charts);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(svg, m, std::regex("<svg [^>]*height=\"([0-9.]+)\"")));
    const double height = std::stod(m[1]);
    double lowest = 0;
    const std::regex y("<text x=\"[0-9.]+\" y=\"([0-9.]+)\"");
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), y); it != std::sregex_iterator(); ++it)
      lowest = std::max(lowest, std::stod((*it)[1]));
    EXPECT_GT(lowest, charts[0].height) << "the legend should run past the plot's own height here";
    EXPECT_LE(lowest + 4, height) << svg.size();
    EXPECT_NE(svg.find(">fam159</text>"), std::string::npos);
    EXPECT_NE(svg.find(">datasheet peak</text>"), std::string::npos);
  }
  const std::string svg = render_roofline_svg(build_roofline_chart(doc));
  const size_t title = svg.find("<title>Roofline: ");
  ASSERT_NE(title, std::string::npos);
  const size_t from = svg.find("</title>", title) + 8, to = svg.find("</text>", from);
  const std::string shown = svg.substr(from, to - from);
  EXPECT_NE(shown.find("\u2026"), std::string::npos) << shown;
  EXPECT_LT(shown.size(), 120u) << shown;
}

// One run with a near-zero byte count stretches the shared x axis over ~25
// decades: its tick labels thin out instead of overlapping.
TEST(RooflineChart, AStretchedAxisThinsItsTickLabels) {
  ResultsDoc doc = test::sample_doc();
  doc.runs[0].model.bytes = 1e-10;
  compute_derived(doc.runs[0], doc.peaks.datasheet);
  const RooflineChart c = build_roofline_chart(doc);
  ASSERT_GT(std::log10(c.x_max / c.x_min), 20);
  const std::string svg = render_roofline_svg(c);
  const size_t b = svg.find("<g class=\"ticks\""), e = svg.find("</g>", b);
  ASSERT_NE(b, std::string::npos);
  const std::string ticks = svg.substr(b, e - b);
  EXPECT_LE(count(ticks, "text-anchor=\"middle\""), 13u) << "x tick labels";
  EXPECT_GE(count(ticks, "text-anchor=\"middle\""), 7u);
}

TEST(RooflineChart, BoundLabelsFollowTheRidge) {
  const ResultsDoc doc = fixture("handmade-h200.json");
  for (const auto& r : doc.runs) {
    if (r.derived.bound == "unknown") continue;
    const double peak = doc.peaks.datasheet.flops_per_s.at(r.precision);
    const double ai = r.derived.ai_dram_hw.value_or(r.derived.ai_dram);
    const std::string want = ai < ridge_point(peak, doc.peaks.datasheet.dram_bytes_per_s) ? "memory" : "compute";
    EXPECT_EQ(r.derived.bound, want) << r.id;
  }
  EXPECT_EQ(run_by_id(doc, "gemm.cublas.bf16").derived.bound, "compute");
  EXPECT_EQ(run_by_id(doc, "memory.triad.fp32").derived.bound, "memory");
  // The chart carries the same label into each point's tooltip.
  const std::string svg = render_roofline_svg(build_roofline_chart(doc));
  EXPECT_NE(svg.find(run_title(run_by_id(doc, "memory.triad.fp32")) + "\nhardware-counted: "),
            std::string::npos);
  EXPECT_NE(svg.find("memory-bound (DRAM)</title>"), std::string::npos);
  EXPECT_NE(svg.find("compute-bound (DRAM)</title>"), std::string::npos);
}

TEST(RooflineChart, SvgDrawsEveryPointWhereComputed) {
  const ResultsDoc doc = fixture("handmade-h200.json");
  const RooflineChart c = build_roofline_chart(doc);
  const std::string svg = render_roofline_svg(c);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("Arithmetic intensity (FLOP per byte"), std::string::npos);
  EXPECT_NE(svg.find("Performance (TFLOP/s)"), std::string::npos);
  EXPECT_NE(svg.find("Precision (color)"), std::string::npos);
  EXPECT_NE(svg.find("Family (marker)"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray=\"7 4\""), std::string::npos);  // measured roofs dashed
  for (const auto& p : c.points) {
    if (p.marker == "circle") {
      EXPECT_NE(svg.find("<circle cx=\"" + f2(p.x) + "\" cy=\"" + f2(p.y) + "\""), std::string::npos) << p.id;
    }
  }
  EXPECT_EQ(count(svg, "<g class=\"pt\""), c.points.size());
  EXPECT_EQ(svg, render_roofline_svg(build_roofline_chart(doc)));  // deterministic
}

TEST(PrecisionComparison, SpeedupAndPeakRatioAgainstFp32) {
  const ResultsDoc doc = fixture("handmade-h200.json");
  const auto groups = precision_comparison(doc);
  ASSERT_EQ(groups.size(), 1u);  // only gemm.cublas at 8192^3 runs in several precisions
  const PrecisionGroup& g = groups[0];
  EXPECT_EQ(g.kernel, "gemm.cublas");
  ASSERT_EQ(g.rows.size(), 4u);
  ASSERT_TRUE(g.baseline);
  EXPECT_EQ(g.rows[*g.baseline].precision, "fp32");
  const RunRecord& fp32 = run_by_id(doc, "gemm.cublas.fp32");
  for (const auto& row : g.rows) {
    const RunRecord& r = doc.runs[row.run];
    EXPECT_DOUBLE_EQ(*row.speedup, fp32.time_s.median / r.time_s.median);
    const double ratio = doc.peaks.datasheet.flops_per_s.at(r.precision) / doc.peaks.datasheet.flops_per_s.at("fp32");
    EXPECT_DOUBLE_EQ(*row.peak_ratio, ratio);
    EXPECT_DOUBLE_EQ(*row.realized, *row.speedup / ratio);
    EXPECT_TRUE(row.peak_ratio_measured.has_value());  // measured fp32 and tensor peaks exist
  }
  EXPECT_DOUBLE_EQ(*g.rows[*g.baseline].speedup, 1.0);
}

// A naive kernel runs BF16, FP16 and FP32 inputs all on the FP32 cores: the
// rows share a precision, and only the dtype column tells them apart.
TEST(PrecisionComparison, RowsOfOnePrecisionShowTheirDtype) {
  const ResultsDoc doc = test::suite_like_doc();
  const auto groups = precision_comparison(doc);
  auto naive = std::find_if(groups.begin(), groups.end(), [](const PrecisionGroup& g) { return g.kernel == "attention.naive"; });
  ASSERT_NE(naive, groups.end());
  ASSERT_EQ(naive->rows.size(), 3u);
  for (const auto& row : naive->rows) EXPECT_EQ(row.precision, "fp32");
  const std::string term = render_report_terminal({doc}, 200, false);
  const std::string md = render_report_markdown({doc});
  const std::string html = render_report_html({doc});
  for (const char* dtype : {"bf16", "fp16", "fp32"}) {
    EXPECT_TRUE(std::regex_search(term, std::regex(std::string("attention\\.naive +[^\\n]* ") + dtype + " +fp32 ")))
        << dtype;
    EXPECT_NE(md.find(std::string(" | ") + dtype + " | fp32 | "), std::string::npos) << dtype;
  }
  EXPECT_NE(html.find("<th title=\"the inputs&#39; type\">dtype</th>"), std::string::npos);
}

// An application's kernels stay out: no model FLOPs (the table showed 0.00
// TFLOP/s), and one short name covers different kernels, so the "speedup"
// between its fp32 and bf16 rows compared two unrelated kernels.
TEST(PrecisionComparison, LeavesApplicationKernelsOut) {
  ResultsDoc doc = test::sample_doc();
  for (const auto& [dtype, precision] : {std::pair{"fp32", "fp32"}, std::pair{"bf16", "bf16_tensor"}}) {
    RunRecord r = test::sample_run("app", "reduce_kernel", dtype, precision, Cost{}, 1e-3, {});
    compute_derived(r, doc.peaks.datasheet);
    doc.runs.push_back(r);
  }
  EXPECT_TRUE(precision_comparison(doc).empty());
  EXPECT_EQ(render_report_terminal({doc}, 200, false).find("precision comparison"), std::string::npos);
}

TEST(Reconciliation, ReasonsFromTheData) {
  const ResultsDoc doc = fixture("handmade-h200.json");
  std::map<std::string, ReconRow> by_id;
  for (const auto& row : reconciliation(doc)) by_id[doc.runs[row.run].id] = row;
  ASSERT_EQ(by_id.size(), 4u);  // the runs with hardware FLOPs

  const ReconRow& g = by_id["gemm.cublas.bf16"];
  EXPECT_TRUE(g.agree);
  EXPECT_TRUE(g.reasons.empty());
  EXPECT_NEAR(*g.ratio, 1.0004, 1e-9);
  EXPECT_DOUBLE_EQ(*g.hfu / *g.mfu, *g.ratio);

  const ReconRow& a = by_id["attention.flash.bf16"];
  EXPECT_FALSE(a.agree);
  EXPECT_GT(a.hw_tensor, 0);
  EXPECT_GT(a.hw_cuda_core, 0);
  auto has = [](const ReconRow& r, const std::string& what) {
    for (const auto& w : r.reasons)
      if (w.rfind(what, 0) == 0) return true;
    return false;
  };
  EXPECT_TRUE(has(a, "masked tiles")) << testing::PrintToString(a.reasons);
  EXPECT_TRUE(has(a, "softmax and rescaling")) << testing::PrintToString(a.reasons);
  EXPECT_FALSE(has(a, "unexplained"));

  EXPECT_TRUE(has(by_id["gemm.naive.fp32"], "padding"));  // 1000 is not a multiple of 64
  EXPECT_TRUE(by_id["memory.triad.fp32"].agree);
}

TEST(Reconciliation, UnexplainedAndWrongPipe) {
  ResultsDoc doc = test::sample_doc();
  RunRecord& g = doc.runs[0];  // gemm bf16 on tensor cores, 8192^3
  g.hw->flops_total = g.model.flops * 0.7;
  g.hw->flops_by_pipe = {{"bf16_tensor", g.model.flops * 0.7}};
  compute_derived(g, doc.peaks.datasheet);
  auto rows = reconciliation(doc);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].reasons.size(), 1u);
  EXPECT_EQ(rows[0].reasons[0].rfind("unexplained: hardware counted 30.0% fewer", 0), 0u) << rows[0].reasons[0];

  g.hw->flops_total = g.model.flops;
  g.hw->flops_by_pipe = {{"fp32", g.model.flops}};
  rows = reconciliation(doc);
  EXPECT_EQ(rows[0].reasons.at(0).rfind("wrong pipe", 0), 0u);

  // Counted under another tensor precision: said, except FP16 for BF16 (one datapath).
  g.hw->flops_by_pipe = {{"tf32_tensor", g.model.flops}};
  rows = reconciliation(doc);
  EXPECT_EQ(rows[0].reasons.at(0).rfind("other precision", 0), 0u);
  g.hw->flops_by_pipe = {{"fp16_tensor", g.model.flops}};
  EXPECT_TRUE(reconciliation(doc)[0].reasons.empty());
}

// The reasons the handmade fixture does not reach, one record each.
TEST(Reconciliation, RecomputeElementwiseTensorOnFp32AndSoftmaxOnSfu) {
  auto first_reason = [](const ResultsDoc& doc) {
    const auto rows = reconciliation(doc);
    return rows.size() == 1 && !rows[0].reasons.empty() ? rows[0].reasons[0] : std::string("(none)");
  };
  auto with_hw = [](RunRecord& r, const std::map<std::string, double>& by_pipe) {
    HwCounters hw;
    double total = 0;
    for (const auto& [k, v] : by_pipe) total += v;
    hw.flops_total = total;
    hw.flops_by_pipe = by_pipe;
    r.hw = hw;
  };
  ResultsDoc doc = test::sample_doc();
  doc.runs.resize(1);  // the bf16 GEMM, 8192^3: no tail, not causal
  RunRecord& g = doc.runs[0];
  const double f = g.model.flops;

  // 25% more tensor FLOPs from a variant that recomputes.
  g.variant = "cublas_recompute";
  with_hw(g, {{"bf16_tensor", 1.25 * f}});
  EXPECT_EQ(first_reason(doc).rfind("recompute: the variant recomputes activations", 0), 0u) << first_reason(doc);

  // 5% more on CUDA cores beside the tensor work: an epilogue.
  g.variant = "cublas";
  with_hw(g, {{"bf16_tensor", f}, {"fp32", 0.05 * f}});
  EXPECT_EQ(first_reason(doc).rfind("element-wise work: ", 0), 0u) << first_reason(doc);

  // An FP32 run whose FLOPs the tensor cores did (cuBLAS may pick TF32).
  g.precision = "fp32";
  g.dtype = "fp32";
  with_hw(g, {{"tf32_tensor", f}});
  EXPECT_EQ(first_reason(doc).rfind("tensor cores: ", 0), 0u) << first_reason(doc);
  EXPECT_NE(first_reason(doc).find("judged as fp32"), std::string::npos);

  // Causal attention whose tensor cores did 10% more than the matmul part
  // (diagonal tiles) and whose CUDA cores counted half the model's softmax
  // part: the exponentials ran on the special-function unit.
  const AttentionShape s{1, 8, 1024, 1024, 64, true};
  RunRecord a = test::sample_run("attention", "flash_mma", "bf16", "bf16_tensor", attention_fused_cost(s, 2), 1e-4,
                                 {{"batch", 1}, {"heads", 8}, {"n_q", 1024}, {"n_kv", 1024}, {"head_dim", 64},
                                  {"causal", 1}});
  const double mm = a.model.flops_by_part.at("matmul"), sm = a.model.flops_by_part.at("softmax");
  with_hw(a, {{"bf16_tensor", 1.1 * mm}, {"fp32", 0.5 * sm}});
  doc.runs = {a};
  const auto rows = reconciliation(doc);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].reasons.size(), 2u) << testing::PrintToString(rows[0].reasons);
  EXPECT_EQ(rows[0].reasons[0].rfind("masked tiles: ", 0), 0u) << rows[0].reasons[0];
  EXPECT_EQ(rows[0].reasons[1].rfind("softmax: CUDA cores did ", 0), 0u) << rows[0].reasons[1];
  EXPECT_NE(rows[0].reasons[1].find("special-function unit"), std::string::npos);
}

TEST(Escaping, HtmlAndSvgRenderMarkupAsText) {
  const std::vector<ResultsDoc> docs{fixture("handmade-markup.json")};
  const std::string html = render_report_html(docs);
  // Exactly the report's own script element; no element from a name.
  EXPECT_EQ(count(html, "<script"), 1u);
  EXPECT_EQ(count(html, "</script>"), 1u);
  EXPECT_EQ(count(html, "<img"), 0u);
  EXPECT_EQ(count(html, "<b>"), 0u);
  EXPECT_NE(html.find("&lt;script&gt;document.title=&#39;pwned-id&#39;&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=&quot;document.title=&#39;pwned-img&#39;&quot;&gt;"), std::string::npos);
  EXPECT_NE(html.find("gemm&lt;float, 128&gt;::run&amp;&quot;q&#39;|x"), std::string::npos);
  EXPECT_NE(html.find("NVIDIA H200 &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"), std::string::npos);
  // The script carries no data from the file.
  const std::string script = html.substr(html.find("<script>"));
  EXPECT_EQ(script.find("pwned"), std::string::npos);

  const std::string svg = render_report_svg(docs);
  EXPECT_EQ(count(svg, "<script"), 0u);
  EXPECT_EQ(count(svg, "<img"), 0u);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(html_escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

// A right-to-left override in a kernel id reordered the figures after it in
// the HTML summary ("76.8%" read "8.67%"); the terminal and Markdown already
// replaced the bidi controls, and HTML and SVG now do too.
TEST(Escaping, BidiControlsBecomeQuestionMarks) {
  EXPECT_EQ(html_escape("a\u202Eb\u2066c\u2069d\u202Ae"), "a?b?c?d?e");
  EXPECT_EQ(html_escape("\u2029\u2070"), "\u2029\u2070");  // neighbours are kept
  ResultsDoc doc = fixture("handmade-h200.json");
  doc.runs[0].id = "gemm.cublas.fp32\u202E";
  for (const std::string& out : {render_report_svg({doc}), render_report_html({doc})}) {
    EXPECT_EQ(out.find("\u202E"), std::string::npos);
    EXPECT_NE(out.find("gemm.cublas.fp32?"), std::string::npos);
  }
}

// XML forbids U+FFFE and U+FFFF even in text: one in a kernel id made the --svg
// file not well-formed (a browser showed a parse error instead of the chart).
TEST(Escaping, XmlNoncharactersBecomeQuestionMarks) {
  // A sequence cut short (and any byte that is not UTF-8: a Latin-1 file name in
  // a JUnit property) reads as U+FFFD; it made the whole file unreadable.
  EXPECT_EQ(html_escape("a\xEF\xBF\xBE b\xEF\xBF\xBF c\xEF\xBF\xBD d\xEF\xBF"),
            "a? b? c\xEF\xBF\xBD d\xEF\xBF\xBD");
  EXPECT_EQ(html_escape("c\xe9.txt"), "c\xEF\xBF\xBD.txt");
  ResultsDoc doc = fixture("handmade-h200.json");
  doc.runs[0].id = "gemm.\xEF\xBF\xBE.\xEF\xBF\xBF";
  for (const std::string& out : {render_report_svg({doc}), render_report_html({doc})}) {
    EXPECT_EQ(out.find("\xEF\xBF\xBE"), std::string::npos);
    EXPECT_EQ(out.find("\xEF\xBF\xBF"), std::string::npos);
    EXPECT_NE(out.find("gemm.?.?"), std::string::npos);
  }
}

// A label takes the first seven characters of the commit, never part of one:
// a cut UTF-8 sequence made the SVG not well-formed.
TEST(MultiFile, LabelsCutTheCommitByCharacters) {
  ResultsDoc doc = fixture("handmade-h200.json");
  doc.tool_commit = "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e91a2b3c4";
  EXPECT_EQ(doc_labels({doc})[0], "h200 @ \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9");
  doc.tool_commit = "1a2b3c4d5e";
  EXPECT_EQ(doc_labels({doc})[0], "h200 @ 1a2b3c4");
}

// The HTML sorts numeric columns by data-v: it must hold every digit the cell
// shows, or two launch counts shown apart tie (and keep the file's order).
TEST(Html, SortKeysKeepEveryDigit) {
  ResultsDoc doc = fixture("handmade-h200.json");
  doc.runs.resize(3);
  const int64_t launches[] = {1234561, 1234569, 1234565};
  for (size_t i = 0; i < 3; ++i) {
    doc.runs[i].family = "app";
    doc.runs[i].nvtx = "step/r" + std::to_string(i);
    doc.runs[i].launches = launches[i];
  }
  doc.runs[0].time_s.median = 0.000123456789012;
  const std::string html = render_report_html({doc});
  for (int64_t n : launches)
    EXPECT_NE(html.find("data-v=\"" + std::to_string(n) + "\">" + std::to_string(n) + "<"), std::string::npos) << n;
  EXPECT_NE(html.find("data-v=\"0.000123456789012\""), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\" data-v=\"\">-</td>"), std::string::npos) << "a missing value has no key";
}

TEST(Escaping, MarkdownCsvAndTerminal) {
  const std::vector<ResultsDoc> docs{fixture("handmade-markup.json")};
  const std::string md = render_report_markdown(docs);
  // Every '<' and '&' is backslash-escaped: no raw HTML, no entity.
  for (size_t i = 0; i < md.size(); ++i)
    if (md[i] == '<' || md[i] == '&') {
      EXPECT_TRUE(i > 0 && md[i - 1] == '\\') << md.substr(i, 40);
    }
  EXPECT_NE(md.find("\\<script\\>"), std::string::npos);
  EXPECT_NE(md.find("gemm\\<float, 128\\>::run\\&\"q'\\|x"), std::string::npos);
  EXPECT_NE(md.find("=1+2,\"comma\" newline\\*md\\*\\[link\\](x)"), std::string::npos);
  // Every table row keeps its column count: no cell breaks out.
  for (std::istringstream in(md); !in.eof();) {
    std::string l;
    std::getline(in, l);
    if (l.rfind("| gemm", 0) == 0 || l.rfind("| =1", 0) == 0) {
      size_t bars = 0;
      for (size_t i = 0; i < l.size(); ++i) bars += l[i] == '|' && (i == 0 || l[i - 1] != '\\');
      EXPECT_TRUE(bars == 13 || bars == 10 || bars == 5) << l;
    }
  }

  const std::string csv = render_report_csv(docs);
  EXPECT_NE(csv.find("\"'=1+2,\"\"comma\"\"\nnewline*md*[link](x)\""), std::string::npos) << csv;
  EXPECT_EQ(csv_field("=SUM(A1)"), "\"'=SUM(A1)\"");
  EXPECT_EQ(csv_field("-1"), "\"'-1\"");

  ResultsDoc esc = docs[0];
  esc.runs[0].id = "evil\033[2J\033]0;title\007";
  const std::string term = render_report_terminal({esc}, 200, false);
  EXPECT_EQ(term.find('\033'), std::string::npos);
  EXPECT_EQ(term.find('\007'), std::string::npos);
  EXPECT_NE(term.find("evil?[2J"), std::string::npos);
}

// No kernel beats its peak: an MFU above 100% is said to be wrong in every
// view instead of being printed as a figure like any other.
TEST(Report, MfuAbovePeakIsAWarning) {
  ResultsDoc doc = test::sample_doc();
  EXPECT_EQ(implausible_runs_warning(doc), "");
  doc.runs[0].derived.mfu = 16.4;
  const std::string w = implausible_runs_warning(doc);
  // Named with its shape: one kernel may run at several.
  EXPECT_NE(w.find("1 run is above 100% of the peak named for it (" + run_title(doc.runs[0]) + ")"), std::string::npos)
      << w;
  EXPECT_NE(render_report_terminal({doc}, 200, false).find("warning: 1 run is above 100%"), std::string::npos);
  EXPECT_NE(render_report_markdown({doc}).find("> **Warning:** 1 run is above 100%"), std::string::npos);
  EXPECT_NE(render_report_html({doc}).find("<dt>implausible</dt><dd><span class=\"bad\">1 run is above"),
            std::string::npos);
}

// A memory-bound run above the DRAM roof (a triad whose 12.6 MB fit in L2 read
// 131% of the roof) was shown without a word; its FLOP peak is far off.
TEST(Report, MemoryBoundRunAboveTheDramRoofIsAWarning) {
  ResultsDoc doc = test::sample_doc();
  size_t memory = doc.runs.size();
  for (size_t i = 0; i < doc.runs.size(); ++i)
    if (doc.runs[i].derived.bound == "memory") memory = i;
  ASSERT_LT(memory, doc.runs.size());
  EXPECT_EQ(implausible_runs_warning(doc), "");
  doc.runs[memory].derived.pct_of_roof = 131.1;
  const std::string w = implausible_runs_warning(doc);
  EXPECT_EQ(w, "1 run is above the DRAM roof (" + run_title(doc.runs[memory]) +
                   "): its data came from a cache (a working set that fits in L2) or its DRAM byte count is low")
      << w;
  EXPECT_NE(render_report_markdown({doc}).find("> **Warning:** 1 run is above the DRAM roof"), std::string::npos);
  doc.runs[memory].derived.bound = "compute";  // its FLOP peak's own warning, not this one
  EXPECT_EQ(implausible_runs_warning(doc), "");
}

TEST(MultiFile, SideBySide) {
  const std::vector<ResultsDoc> docs{fixture("handmade-h200.json"), fixture("handmade-h100.json")};
  const auto labels = doc_labels(docs);
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_NE(labels[0], labels[1]);
  EXPECT_EQ(labels[0], "h200 @ handmad");

  const auto rows = side_by_side(docs);
  size_t matched = 0;
  for (const auto& r : rows) matched += r.runs[0] && r.runs[1];
  EXPECT_EQ(matched, 4u);  // gemm fp32/bf16, attention, triad are in both
  EXPECT_EQ(rows.size(), docs[0].runs.size());  // everything in the H100 file is also in the H200 one

  const auto charts = build_roofline_charts(docs);
  ASSERT_EQ(charts.size(), 2u);
  EXPECT_EQ(charts[0].x_min, charts[1].x_min);  // shared axes
  EXPECT_EQ(charts[0].y_max, charts[1].y_max);

  const std::string html = render_report_html(docs);
  EXPECT_NE(html.find("id=\"side\""), std::string::npos);
  EXPECT_NE(html.find("data-doc=\"1\""), std::string::npos);
  EXPECT_NE(html.find("id=\"runs-1\""), std::string::npos);
  const std::string term = render_report_terminal(docs, 140, false);
  EXPECT_NE(term.find("side by side: [1] h200 @ handmad; [2] h100-sxm @ handmad;"), std::string::npos);
  const std::string csv = render_report_csv(docs);
  EXPECT_EQ(csv.rfind("source,id,family,", 0), 0u);
  EXPECT_NE(csv.find("\nh100-sxm @ handmad,gemm.cublas.bf16,"), std::string::npos);
  const std::string md = render_report_markdown(docs);
  EXPECT_NE(md.find("## Side by side"), std::string::npos);
  EXPECT_NE(md.find("## [2] h100-sxm @ handmad"), std::string::npos);

  // Same device and commit twice: labels still differ.
  const auto same = doc_labels({docs[1], docs[1]});
  EXPECT_NE(same[0], same[1]);
}

TEST(MultiFile, SideBySideMatchesRunsByRangeNotByOrder) {
  // A profile holds one kernel once per NVTX range, sorted by time: two files
  // can list the same runs in different orders.
  ResultsDoc a = test::sample_doc();
  a.runs.resize(1);
  a.runs[0].nvtx = "step/forward";
  a.runs.push_back(a.runs[0]);
  a.runs[1].nvtx = "step/backward";
  a.runs[1].time_s = summarize({2 * a.runs[0].time_s.median});
  ResultsDoc b = a;
  std::swap(b.runs[0], b.runs[1]);

  const auto rows = side_by_side({a, b});
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    ASSERT_TRUE(row.runs[0] && row.runs[1]);
    EXPECT_EQ(a.runs[*row.runs[0]].nvtx, row.nvtx);
    EXPECT_EQ(b.runs[*row.runs[1]].nvtx, row.nvtx);
  }
  const std::string md = render_report_markdown({a, b});
  EXPECT_NE(md.find("gemm.cublas.bf16 \\[step/forward\\]"), std::string::npos);  // rendered as [step/forward]
  EXPECT_NE(md.find("gemm.cublas.bf16 \\[step/backward\\]"), std::string::npos);
  EXPECT_EQ(md.find("0.50x"), std::string::npos);  // each range beside itself: 1.00x
  EXPECT_EQ(md.find("2.00x"), std::string::npos);
  EXPECT_EQ(count(md, "1.00x"), 2u);
  const std::string term = render_report_terminal({a, b}, 200, false);
  EXPECT_NE(term.find("gemm.cublas.bf16 [step/backward]"), std::string::npos);
  EXPECT_NE(render_report_html({a, b}).find("gemm.cublas.bf16 [step/backward]"), std::string::npos);
}

// Found by review: the measured-MFU, precision and model-vs-hardware tables
// cut a kernel to 6 columns in a narrow terminal ("gemm.." for both cuBLAS
// and mma.sync) and still overflowed it. Each now keeps the kernel whole and
// its shape apart, as the runs table does, and leaves columns out to fit.
TEST(TerminalReport, EveryTableFitsANarrowTerminalWithItsKernelsWhole) {
  const ResultsDoc doc = fixture("handmade-h200.json");
  const std::string out = render_report_terminal({doc}, 80, false);
  std::istringstream lines(out);
  size_t rows_with_ids = 0;
  for (std::string line; std::getline(lines, line);) {
    // Prose naming a run (its title whole) and the peaks' source may be longer.
    if (line.rfind("  ", 0) == 0 || line.rfind("peaks:", 0) == 0) continue;
    EXPECT_LE(line.size(), 80u) << line;
    for (const RunRecord& r : doc.runs)
      if (line.rfind(r.id + " ", 0) == 0) ++rows_with_ids;
  }
  // The runs table, the measured-MFU table and model vs hardware name each
  // run by its whole id (the precision table names kernels without dtype).
  EXPECT_EQ(rows_with_ids, 2 * doc.runs.size() + reconciliation(doc).size()) << out;
}

// Found by review: leader lines and L2/L1 links were drawn over the roof
// labels' halos, striking labels through; the legend showed a measured-peak
// dash with no measured roof, beside striped roofs it did not explain.
TEST(RooflineChart, LinesPassBehindRoofLabelsAndTheLegendNamesWhatIsDrawn) {
  ResultsDoc doc = fixture("handmade-h200.json");
  ASSERT_TRUE(doc.peaks.measured.has_value());
  std::string svg = render_roofline_svg({build_roofline_chart(doc)});
  for (const char* lines : {"class=\"links\"", "class=\"level-links\"", "class=\"leaders\""})
    EXPECT_LT(svg.find(lines), svg.find("class=\"roof-label-halos\"")) << lines;
  EXPECT_NE(svg.find(">measured peak</text>"), std::string::npos);
  doc.peaks.measured.reset();
  svg = render_roofline_svg({build_roofline_chart(doc)});
  EXPECT_EQ(svg.find(">measured peak</text>"), std::string::npos);
  const RooflineChart c = build_roofline_chart(doc);
  const bool striped = std::any_of(c.roofs.begin(), c.roofs.end(),
                                   [](const ChartRoof& r) { return r.stripe_colors.size() > 1; });
  ASSERT_TRUE(striped);  // fp16 and bf16 runs share the tensor peak
  EXPECT_NE(svg.find("striped: a shared peak</text>"), std::string::npos);
}

// Found by review, past 200 labels: the key listed its numbers in the points'
// order ([2] ... [22], [1], [23]); hover and the key named a run by its id
// alone, the same for one kernel in several NVTX ranges.
TEST(RooflineChart, TheKeyIsInNumberOrderAndNamesEachRunApart) {
  const ResultsDoc base = test::suite_like_doc();
  ResultsDoc doc = base;
  doc.runs.clear();
  for (int copy = 0; copy < 6; ++copy)
    for (RunRecord r : base.runs) {
      r.nvtx = "iter" + std::to_string(copy);
      doc.runs.push_back(r);
    }
  const RooflineChart c = build_roofline_chart(doc);
  const std::string svg = render_roofline_svg(c);
  const size_t at = svg.find("class=\"label-key\"");
  ASSERT_NE(at, std::string::npos);
  int last = 0, listed = 0;
  for (size_t k = svg.find("</title>[", at); k != std::string::npos; k = svg.find("</title>[", k + 1)) {
    const int key = std::stoi(svg.substr(k + 9));
    EXPECT_GT(key, last);
    last = key;
    ++listed;
  }
  EXPECT_GT(listed, 1);
  std::set<std::string> titles;
  for (const ChartPoint& p : c.points)
    if (p.labelled) {
      EXPECT_TRUE(titles.insert(p.title).second) << p.title;
    }
}

// Found by review: L2/L1 tags drawn at a fixed offset printed over each other
// ("L2L1", 34 pairs of 36 tags on a recorded H200 chart). Drawn tags are apart.
TEST(RooflineChart, LevelTagsDoNotTouch) {
  const std::string recorded =
      std::string(FLOPSCOPE_FIXTURES_DIR) + "/../../bench/results/h200/2026-11-30-3/";
  ResultsDoc doc = read_results(recorded + "bench.json");
  adopt_measured_peaks(doc, read_results(recorded + "ceilings.json"), "the recorded ceilings");
  const std::string svg = render_roofline_svg(build_roofline_chart(doc));
  const std::regex tag(R"re(<text x="([0-9.]+)" y="([0-9.]+)" font-size="8.5"[^>]*>L[12]</text>)re");
  std::vector<ChartBox> boxes;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator(); ++it) {
    const double x = std::stod((*it)[1]), y = std::stod((*it)[2]);
    const ChartBox b{x - 1, y - 7, x + 11, y + 1};
    for (const ChartBox& o : boxes) EXPECT_FALSE(b.overlaps(o)) << x << "," << y;
    boxes.push_back(b);
  }
  EXPECT_FALSE(boxes.empty());
}

// Found by review: a profile of 5,790 runs put 313 KB of omitted runs' names
// in one paragraph of the page (and the chart's hover): the first 40 and a count.
TEST(RooflineChart, OmittedRunsAreListedUpToForty) {
  OmittedGroup g{"no FLOPs", {}, 100};
  for (int i = 0; i < 100; ++i) g.labels.push_back("k" + std::to_string(i));
  const std::string shown = g.listed();
  EXPECT_EQ(shown.rfind("k0, k1, ", 0), 0u) << shown;
  EXPECT_NE(shown.find("k39 and 60 more (--md lists every one)"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("k40"), std::string::npos) << shown;
  g.labels.resize(3);
  EXPECT_EQ(g.listed(), "k0, k1, k2");
}

// One family with anything to draw (the rest copies, with no FLOPs): no
// "By family: 1 charts" repeating the whole chart.
TEST(RooflineChart, NoFamilyChartsForOneDrawnFamily) {
  ResultsDoc doc = test::sample_doc();  // a GEMM and a copy
  ASSERT_EQ(doc.runs.size(), 2u);
  EXPECT_TRUE(build_family_roofline_charts({doc}).empty());
  EXPECT_EQ(render_report_html({doc}).find("By family"), std::string::npos);
}

// A profile of one application kernel, app.flash_fwd.bf16, without a model.
static ResultsDoc app_profile() {
  ResultsDoc profile = test::sample_doc();
  profile.runs.resize(1);
  RunRecord& app = profile.runs[0];
  app.id = "app.flash_fwd.bf16";
  app.family = "app";
  app.model = Cost{};
  app.derived = Derived{};
  app.nvtx = "step/forward";
  return profile;
}

// A profiled application's kernels have no model FLOPs: beside a bench file
// they show "-", where a zero would read as a measured 0 TFLOP/s (the first
// H200 report did so for every PyTorch kernel). A copy's model 0 stays 0.
TEST(MultiFile, SideBySideLeavesAppKernelsWithoutAModelBlank) {
  ResultsDoc bench = test::sample_doc();
  ResultsDoc profile = app_profile();
  const RunRecord& app = profile.runs[0];
  EXPECT_FALSE(model_tflops(app).has_value());
  EXPECT_TRUE(model_tflops(bench.runs[1]).has_value());  // memory.copy: 0, measured against a model
  for (const std::string& out : {render_report_markdown({bench, profile}),
                                 render_report_terminal({bench, profile}, 200, false),
                                 render_report_html({bench, profile})}) {
    // The side-by-side row comes first: no zero in it.
    const size_t at = out.find("app.flash_fwd.bf16");
    ASSERT_NE(at, std::string::npos);
    const size_t from = out.rfind('\n', at) + 1;
    const std::string row = out.substr(from, out.find('\n', at) - from);
    EXPECT_EQ(row.find("0.0"), std::string::npos) << row;
  }
  // Its own runs table too: no model TFLOP/s and no intensity to show.
  const std::string md = render_report_markdown({profile});
  const size_t at = md.find("| app.flash_fwd.bf16");
  ASSERT_NE(at, std::string::npos);
  std::vector<std::string> cells;
  std::stringstream row(md.substr(at + 2, md.find('\n', at) - at - 2));
  for (std::string c; std::getline(row, c, '|');) cells.push_back(c);
  ASSERT_GE(cells.size(), 9u);
  EXPECT_EQ(cells[3], " - ") << "TFLOP/s (model)";
  EXPECT_EQ(cells[8], " - ") << "AI";
}

// Found by review: two profiles with counters side by side showed nothing
// but the speedup ("- - - - 1.00x"): with counted FLOPs and no model, the
// hardware's TFLOP/s and HFU, marked hw, with a note saying so.
TEST(MultiFile, SideBySideGivesAppKernelsTheirCountedFigures) {
  ResultsDoc profile = app_profile();
  RunRecord& app = profile.runs[0];
  app.hw = HwCounters{};
  app.hw->flops_total = 389.3e12 * app.time_s.median;
  compute_derived(app, profile.peaks.datasheet);
  app.derived.mfu.reset();
  ASSERT_TRUE(app.derived.tflops_hw && app.derived.hfu);
  const SideFigures f = side_figures(&app);
  EXPECT_TRUE(f.counted);
  EXPECT_DOUBLE_EQ(*f.tflops, *app.derived.tflops_hw);
  EXPECT_DOUBLE_EQ(*f.utilization, *app.derived.hfu);
  ResultsDoc later = profile;
  later.created = "2026-12-02T00:00:00Z";
  for (const std::string& out :
       {render_report_markdown({profile, later}), render_report_terminal({profile, later}, 200, false),
        render_report_html({profile, later})}) {
    EXPECT_NE(out.find("389.3"), std::string::npos) << out.substr(0, 2000);
    EXPECT_NE(out.find(" hw"), std::string::npos);
    EXPECT_NE(out.find("hw: hardware-counted TFLOP/s and HFU"), std::string::npos);
  }
  // A bench run keeps its model's figures, unmarked.
  const ResultsDoc bench = test::sample_doc();
  EXPECT_FALSE(side_figures(&bench.runs[0]).counted);
  EXPECT_FALSE(side_figures(nullptr).tflops);
}

TEST(Reconciliation, NoFlopsOnEitherSideAgree) {
  ResultsDoc doc = test::sample_doc();
  RunRecord& c = doc.runs[1];  // memory.copy: the model counts 0 FLOPs
  c.hw = HwCounters{};
  c.hw->flops_total = 0;
  auto rows = reconciliation(doc);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[1].agree);
  EXPECT_TRUE(rows[1].reasons.empty());
  c.hw->flops_total = 1e6;
  rows = reconciliation(doc);
  EXPECT_FALSE(rows[1].agree);
  EXPECT_EQ(rows[1].reasons.at(0).rfind("unexplained: the model counts no FLOPs", 0), 0u);
}

// A run without a model (a raw counter file's, a profiled application's
// kernel) was told "the model counts no FLOPs (data movement only)" by the
// reconciliation and the chart, though its counters held FLOPs: it has nothing
// to reconcile, and the chart names what it lacks.
TEST(Reconciliation, RunsWithoutAModelAreLeftOut) {
  ResultsDoc doc = test::sample_doc();
  RunRecord& g = doc.runs[0];  // gemm bf16, counted
  g.model = {};
  g.hw->dram_read_bytes.reset();
  g.hw->dram_write_bytes.reset();
  compute_derived(g, doc.peaks.datasheet);
  doc.runs[1].hw = HwCounters{};  // memory.copy: counted, with a model (bytes): still reconciled
  doc.runs[1].hw->flops_total = 0;
  const auto rows = reconciliation(doc);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].run, 1u);
  const RooflineChart c = build_roofline_chart(doc);
  auto omitted = std::find_if(c.omitted.begin(), c.omitted.end(), [](const auto& o) { return o.run == 0; });
  ASSERT_NE(omitted, c.omitted.end());
  EXPECT_EQ(omitted->reason, "no DRAM byte count, so no arithmetic intensity");
  g.hw.reset();  // nothing counted either
  const RooflineChart bare = build_roofline_chart(doc);
  omitted = std::find_if(bare.omitted.begin(), bare.omitted.end(), [](const auto& o) { return o.run == 0; });
  ASSERT_NE(omitted, bare.omitted.end());
  EXPECT_EQ(omitted->reason, "neither a model nor the counters give it FLOPs");
}

TEST(FullReport, OneFileGivesEveryView) {
  const std::vector<ResultsDoc> docs{fixture("handmade-h200.json")};
  const std::string md = render_report_markdown(docs);
  EXPECT_EQ(md.rfind(render_markdown(docs[0]), 0), 0u);  // the existing runs report comes first
  for (const char* h : {"## Peaks", "## Precision comparison", "## Model vs hardware FLOPs"})
    EXPECT_NE(md.find(h), std::string::npos) << h;
  EXPECT_EQ(render_report_csv(docs), render_csv(docs[0]));
  const std::string html = render_report_html(docs);
  for (const char* id : {"id=\"summary\"", "id=\"roofline\"", "id=\"runs\"", "id=\"precision\"",
                         "id=\"reconciliation\"", "id=\"device\"", "class=\"sortable\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  EXPECT_NE(html.find("HAND-MADE FIXTURE"), std::string::npos);  // where the measured peaks came from
  // Self-contained: nothing fetched from anywhere.
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(html, render_report_html(docs));
  const std::string term = render_report_terminal(docs, 100, false);
  EXPECT_NE(term.find("precision comparison"), std::string::npos);
  EXPECT_NE(term.find("model vs hardware FLOPs"), std::string::npos);
  EXPECT_NE(term.find("MFU% measured"), std::string::npos);
  EXPECT_THROW(render_report_html({}), Error);
}

// bench names each run's NVTX range "id shape": a label "id in id shape" only
// repeated the id and the shape (and pushed the shape column aside); a user's
// range stays in the label, and views without a shape column add the shape.
TEST(RunLabel, BenchsOwnRangeIsLeftOutAUsersIsKept) {
  RunRecord r = test::sample_doc().runs[0];
  const std::string shape = shape_string(r.shape);
  ASSERT_FALSE(shape.empty());
  r.nvtx = r.id + " " + shape;
  EXPECT_EQ(run_label(r), r.id);
  EXPECT_EQ(run_title(r), r.id + " " + shape);
  r.nvtx = "train/step3";
  EXPECT_EQ(run_label(r), r.id + " [train/step3]");
  EXPECT_EQ(run_title(r), r.id + " " + shape + " [train/step3]");  // as compare names it
  r.nvtx = r.id + " m=1";  // another shape's range: kept
  EXPECT_EQ(run_label(r), r.id + " [" + r.id + " m=1]");
  r.nvtx.clear();
  r.shape = {};
  EXPECT_EQ(run_title(r), r.id);
}

// A ceilings file has measured peaks and no run: the terminal says so, with
// no empty runs table above the peaks, nor an empty MFU table below (a reviewer).
TEST(TerminalReport, AFileOfPeaksAloneSaysItHasNoRuns) {
  const std::string path = std::string(FLOPSCOPE_FIXTURES_DIR) + "/../../bench/results/h200/2026-11-30-3/ceilings.json";
  const ResultsDoc doc = read_results(path);
  ASSERT_TRUE(doc.runs.empty());
  const std::string term = render_report_terminal({doc}, 120, false);
  EXPECT_NE(term.find("no runs in this file: measured peaks only\n"), std::string::npos) << term;
  EXPECT_EQ(term.find("kernel"), std::string::npos) << term;
  EXPECT_NE(term.find("bf16_tensor  989.4 TFLOP/s 848.9 TFLOP/s"), std::string::npos) << term;
  // The Markdown says the same, with no header-only tables.
  const std::string md = render_report_markdown({doc});
  EXPECT_NE(md.find("No runs in this file: measured peaks only.\n"), std::string::npos) << md;
  EXPECT_EQ(md.find("| kernel |"), std::string::npos) << md;
  EXPECT_NE(md.find("| bf16_tensor | 989.4 TFLOP/s | 848.9 TFLOP/s |"), std::string::npos) << md;
}

// MFU against the measured peaks needs the run's model FLOPs: an application
// kernel (`profile`) has none, and shows "-" there as beside the datasheet
// MFU (it once showed an invented 0.0).
TEST(MeasuredMfu, OnlyForModelledRuns) {
  ResultsDoc doc = fixture("handmade-h200.json");
  ASSERT_TRUE(doc.peaks.measured);
  RunRecord& r = doc.runs.front();
  const auto peak = doc.peaks.measured->flops_per_s.find(r.precision);
  ASSERT_NE(peak, doc.peaks.measured->flops_per_s.end());
  ASSERT_TRUE(mfu_measured(r, doc));
  EXPECT_DOUBLE_EQ(*mfu_measured(r, doc), r.model.flops / r.time_s.median / peak->second);
  r.family = "app";
  EXPECT_FALSE(mfu_measured(r, doc));
}
