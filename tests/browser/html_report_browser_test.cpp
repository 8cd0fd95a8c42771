// Opens the HTML report in a real browser (headless Chromium) and checks what a
// reader gets: the script ran, sorting works, names carrying markup render as
// text and inject nothing, and the screenshot shows a drawn roofline.
//
// Chromium comes from the Debian package `chromium` (scripts/setup-deps.sh).
// Where it is missing the test fails; set FLOPSCOPE_SKIP_BROWSER=<reason> only
// where it cannot be installed, and the test skips, printing that reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#ifdef FLOPSCOPE_HAVE_PNG
#include <png.h>
#endif

#include "cli/run_cli.h"
#include "flopscope/full_report.h"
#include "flopscope/results.h"
#include "flopscope/roofline_chart.h"
#include "unit/sample_doc.h"

using namespace flopscope;

namespace {

constexpr int kWidth = 1400, kHeight = 1800;

std::string find_chromium() {
  if (const char* c = std::getenv("FLOPSCOPE_CHROMIUM"); c && *c) return c;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
      const std::filesystem::path p = std::filesystem::path(dir) / name;
      std::error_code ec;
      if (std::filesystem::is_regular_file(p, ec)) return p.string();
    }
  return "";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Paths come from temp_dir() and the fixtures directory: no quoting needed
// beyond single quotes.
std::string q(const std::string& s) { return "'" + s + "'"; }

struct Browser {
  std::string exe, dir;
  // Runs Chromium headless with a time limit; returns its exit status.
  int run(const std::string& args, const std::string& out, const std::string& err) const {
    const std::string cmd = "timeout -k 5 90 " + q(exe) +
                            " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
                            " --hide-scrollbars --force-device-scale-factor=1 --user-data-dir=" +
                            q(dir + "/profile") + " --window-size=" + std::to_string(kWidth) + "," +
                            std::to_string(kHeight) + " " + args + " > " + q(out) + " 2> " + q(err);
    return std::system(cmd.c_str());
  }
};

class HtmlReportInBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* why = std::getenv("FLOPSCOPE_SKIP_BROWSER"); why && *why)
      GTEST_SKIP() << "browser tests skipped: " << why;
    browser_.exe = find_chromium();
    ASSERT_FALSE(browser_.exe.empty())
        << "chromium not found: install it with scripts/setup-deps.sh (Debian package 'chromium'); "
           "only where it cannot be installed, set FLOPSCOPE_SKIP_BROWSER=<reason>";
    browser_.dir = test::temp_dir();
    docs_ = {read_results(std::string(FLOPSCOPE_FIXTURES_DIR) + "/handmade-h200.json"),
             read_results(std::string(FLOPSCOPE_FIXTURES_DIR) + "/handmade-markup.json")};
    html_path_ = browser_.dir + "/report.html";
    write_file_atomic(html_path_, render_report_html(docs_));
  }

  std::string dump_dom(const std::string& fragment) {
    const std::string out = browser_.dir + "/dom.html", err = browser_.dir + "/dom.err";
    const int rc = browser_.run("--dump-dom " + q("file://" + html_path_ + fragment), out, err);
    EXPECT_EQ(rc, 0) << slurp(err);
    return slurp(out);
  }

  Browser browser_;
  std::vector<ResultsDoc> docs_;
  std::string html_path_;
};

std::string table_html(const std::string& dom, const std::string& id) {
  const size_t start = dom.find("id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return dom.substr(start, dom.find("</table>", start) - start);
}

std::vector<size_t> row_runs(const std::string& table) {
  std::vector<size_t> out;
  const std::regex tr("<tr data-run=\"([0-9]+)\"");
  for (auto it = std::sregex_iterator(table.begin(), table.end(), tr); it != std::sregex_iterator(); ++it)
    out.push_back(std::stoul((*it)[1]));
  return out;
}

}  // namespace

TEST_F(HtmlReportInBrowser, ScriptRunsAndSortingWorks) {
  // #sort=TABLE:COLUMN:DIR sorts on load, as a click on the header does.
  const std::string dom = dump_dom("#sort=runs-0:3:desc");
  ASSERT_NE(dom.find("data-js=\"ok\""), std::string::npos) << "the report's script did not finish";
  const std::string runs = table_html(dom, "runs-0");
  ASSERT_FALSE(runs.empty());
  EXPECT_NE(runs.find("aria-sort=\"descending\""), std::string::npos);
  // Column 3 is "TFLOP/s (model)": rows must now be in decreasing order of it.
  std::vector<size_t> want(docs_[0].runs.size());
  std::iota(want.begin(), want.end(), 0);
  std::stable_sort(want.begin(), want.end(), [&](size_t a, size_t b) {
    return docs_[0].runs[a].derived.tflops_model > docs_[0].runs[b].derived.tflops_model;
  });
  EXPECT_EQ(row_runs(runs), want);
  // Unsorted tables keep the file's order.
  std::vector<size_t> file_order(docs_[1].runs.size());
  std::iota(file_order.begin(), file_order.end(), 0);
  EXPECT_EQ(row_runs(table_html(dom, "runs-1")), file_order);
}

// Runs without a value ("-": not measured) go last whichever way a column is
// sorted; text sorts naturally, so m=512 comes before m=4096.
TEST_F(HtmlReportInBrowser, MissingValuesSortLastAndShapesSortNaturally) {
  const std::vector<RunRecord>& runs = docs_[0].runs;
  for (const char* dir : {"asc", "desc"}) {
    // Column 4 is "TFLOP/s (hw)".
    const std::vector<size_t> order = row_runs(table_html(dump_dom(std::string("#sort=runs-0:4:") + dir), "runs-0"));
    ASSERT_EQ(order.size(), runs.size()) << dir;
    std::vector<size_t> want_measured, want_missing;
    for (size_t i = 0; i < runs.size(); ++i) (runs[i].derived.tflops_hw ? want_measured : want_missing).push_back(i);
    ASSERT_FALSE(want_measured.empty());
    ASSERT_FALSE(want_missing.empty()) << "the fixture needs runs without counters";
    std::stable_sort(want_measured.begin(), want_measured.end(), [&](size_t a, size_t b) {
      const double x = *runs[a].derived.tflops_hw, y = *runs[b].derived.tflops_hw;
      return std::string(dir) == "asc" ? x < y : x > y;
    });
    want_measured.insert(want_measured.end(), want_missing.begin(), want_missing.end());
    EXPECT_EQ(order, want_measured) << dir;
  }

  ResultsDoc doc = docs_[0];
  doc.runs.resize(3);
  const int64_t sizes[] = {4096, 64, 512};
  for (size_t i = 0; i < 3; ++i) {
    doc.runs[i].id = "gemm.naive.fp32";
    doc.runs[i].shape = {{"m", sizes[i]}, {"n", 8}, {"k", 8}};
  }
  write_file_atomic(html_path_, render_report_html({doc}));
  // Column 1 is "shape": 64, 512, 4096 (as text: 4096, 512, 64).
  EXPECT_EQ(row_runs(table_html(dump_dom("#sort=runs-0:1:asc"), "runs-0")), (std::vector<size_t>{1, 2, 0}));
}

TEST_F(HtmlReportInBrowser, MarkupInNamesRendersAsText) {
  const std::string dom = dump_dom("");
  ASSERT_NE(dom.find("data-js=\"ok\""), std::string::npos);
  // Nothing from the file ran or became an element.
  const size_t t0 = dom.find("<title>"), t1 = dom.find("</title>");
  ASSERT_NE(t0, std::string::npos);
  const std::string title = dom.substr(t0, t1 - t0);
  EXPECT_EQ(title.find("pwned"), std::string::npos) << title;
  EXPECT_EQ(title.rfind("<title>flopscope report: ", 0), 0u) << title;
  size_t scripts = 0;
  for (size_t p = dom.find("<script"); p != std::string::npos; p = dom.find("<script", p + 1)) ++scripts;
  EXPECT_EQ(scripts, 1u);
  EXPECT_EQ(dom.find("<img"), std::string::npos);
  EXPECT_EQ(dom.find("<b>bold"), std::string::npos);
  // The names are there, as text (the DOM serializer escapes < > & in text).
  EXPECT_NE(dom.find("&lt;script&gt;document.title='pwned-id'&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(dom.find("&lt;/script&gt;&lt;script&gt;document.title='pwned-name'&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(dom.find("&lt;img src=x onerror=\"document.title='pwned-img'\"&gt;"), std::string::npos);
  EXPECT_NE(dom.find("gemm&lt;float, 128&gt;::run&amp;\"q'|x"), std::string::npos);
  EXPECT_NE(dom.find("NVIDIA H200 &lt;b&gt;bold&lt;/b&gt; &amp; \"quoted\""), std::string::npos);
}

// The chart's label placement works from estimated text sizes; here the text
// is laid out by a real browser, in the chart's own fonts, and measured: no
// run's label may overlap another, a flat roof's label or a point's marker.
TEST_F(HtmlReportInBrowser, CrowdedChartLabelsDoNotOverlapAsRendered) {
  const ResultsDoc doc = test::suite_like_doc();
  const RooflineChart c = build_roofline_chart(doc);
  size_t keyed = 0;
  for (const auto& p : c.points) keyed += p.labelled && p.key > 0;
  ASSERT_GT(keyed, 0u) << "the chart is not crowded: the test would not test the key";
  // The whole chart, then the same runs a family at a time (the HTML report's "By family").
  std::string svgs = render_roofline_svg(c);
  for (const RooflineChart& f : build_family_roofline_charts({doc})) svgs += render_roofline_svg(f);
  // The page measures its own text (getBBox, in the chart's units) and writes
  // what it found into the DOM, which --dump-dom hands back.
  const std::string page = browser_.dir + "/labels.html";
  write_file_atomic(page, "<!doctype html><html><body>" + svgs + R"(<script>
const box = e => { const b = e.getBBox(); return {x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height}; };
// Touching edges (font ascent and descent) are not an overlap: 1 unit of slack.
const over = (a, b) => a.x0 + 1 < b.x1 && b.x0 + 1 < a.x1 && a.y0 + 1 < b.y1 && b.y0 + 1 < a.y1;
const bad = [];
let count = 0;
document.querySelectorAll('svg.roofline').forEach(svg => {
  const chart = svg.getAttribute('aria-label') + ': ';
  const labels = [...svg.querySelectorAll('.point-labels text')].map(t => ({name: t.textContent, b: box(t)}));
  const roofs = [...svg.querySelectorAll('.roof-labels text')].filter(t => !t.hasAttribute('transform'))
                    .map(t => ({name: t.textContent, b: box(t)}));
  const marks = [...svg.querySelectorAll('.points .pt')].map(g => ({name: 'of run ' + g.dataset.run,
                                                                b: box(g.lastElementChild)}));
  labels.forEach((a, i) => {
    labels.slice(i + 1).forEach(b => { if (over(a.b, b.b)) bad.push(chart + a.name + ' / ' + b.name); });
    roofs.forEach(r => { if (over(a.b, r.b)) bad.push(chart + a.name + ' / roof ' + r.name); });
    marks.forEach(m => { if (over(a.b, m.b)) bad.push(chart + a.name + ' / point ' + m.name); });
  });
  count += labels.length;
});
document.body.setAttribute('data-labels', String(count));
document.body.setAttribute('data-overlaps', bad.length ? bad.join(' | ') : 'none');
</script></body></html>)");
  const std::string out = browser_.dir + "/labels.dom", err = browser_.dir + "/labels.err";
  ASSERT_EQ(browser_.run("--dump-dom " + q("file://" + page), out, err), 0) << slurp(err);
  const std::string dom = slurp(out);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-labels=\"([0-9]+)\""))) << "the page's script did not run";
  EXPECT_EQ(std::stoul(m[1]), 2 * 49u);  // every run drawn, twice (the copy has no FLOPs: not drawn)
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-overlaps=\"([^\"]*)\"")));
  EXPECT_EQ(m[1].str(), "none");
}

#ifdef FLOPSCOPE_HAVE_PNG
namespace {
struct Rgba {
  int w = 0, h = 0;
  std::vector<unsigned char> px;
  const unsigned char* at(int x, int y) const { return &px[(size_t(y) * size_t(w) + size_t(x)) * 4]; }
};

Rgba read_png(const std::string& path) {
  Rgba img;
  png_image pi{};
  pi.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&pi, path.c_str())) return img;
  pi.format = PNG_FORMAT_RGBA;
  img.px.resize(PNG_IMAGE_SIZE(pi));
  if (!png_image_finish_read(&pi, nullptr, img.px.data(), 0, nullptr)) {
    png_image_free(&pi);
    img.px.clear();
    return img;
  }
  img.w = int(pi.width);
  img.h = int(pi.height);
  return img;
}

bool near_color(const unsigned char* p, int r, int g, int b) {
  return std::abs(p[0] - r) < 40 && std::abs(p[1] - g) < 40 && std::abs(p[2] - b) < 40;
}
}  // namespace
#endif

TEST_F(HtmlReportInBrowser, ScreenshotShowsTheRoofline) {
  // Where the first roofline chart is laid out, as the page's script reports it.
  const std::string dom = dump_dom("");
  std::smatch m;
  const std::regex box_re("data-roofline-box=\"([0-9-]+),([0-9-]+),([0-9]+),([0-9]+)\"");
  ASSERT_TRUE(std::regex_search(dom, m, box_re)) << "no roofline box in the DOM";
  const int bx = std::stoi(m[1]), by = std::stoi(m[2]), bw = std::stoi(m[3]), bh = std::stoi(m[4]);
  EXPECT_GT(bw, 450);  // two charts share the width in a two-file report
  EXPECT_GT(bh, 250);
  ASSERT_LE(by + bh, kHeight) << "the chart is below the screenshot";

  const std::string png = browser_.dir + "/shot.png";
  const int rc = browser_.run("--screenshot=" + q(png) + " " + q("file://" + html_path_), browser_.dir + "/shot.out",
                              browser_.dir + "/shot.err");
  ASSERT_EQ(rc, 0) << slurp(browser_.dir + "/shot.err");
  ASSERT_TRUE(std::filesystem::exists(png));
#ifndef FLOPSCOPE_HAVE_PNG
  FAIL() << "built without libpng: cannot read the screenshot (install libpng-dev with scripts/setup-deps.sh)";
#else
  const Rgba img = read_png(png);
  ASSERT_EQ(img.w, kWidth);
  ASSERT_EQ(img.h, kHeight);
  // Inside the chart: drawn pixels (axes, grid, roofs, points, text), and the
  // colors of the BF16-tensor and FP32 points and roofs.
  size_t drawn = 0, total = 0, bf16 = 0, fp32 = 0;
  for (int y = std::max(0, by); y < std::min(img.h, by + bh); ++y)
    for (int x = std::max(0, bx); x < std::min(img.w, bx + bw); ++x) {
      const unsigned char* p = img.at(x, y);
      ++total;
      if (p[0] < 235 || p[1] < 235 || p[2] < 235) ++drawn;
      if (near_color(p, 0xd6, 0x27, 0x28)) ++bf16;
      if (near_color(p, 0x1f, 0x77, 0xb4)) ++fp32;
    }
  ASSERT_GT(total, 0u);
  EXPECT_GT(double(drawn) / double(total), 0.03) << "the roofline area is nearly blank";
  EXPECT_LT(double(drawn) / double(total), 0.6) << "the roofline area is nearly filled";
  EXPECT_GT(bf16, 30u) << "no bf16_tensor-colored marks in the chart";
  EXPECT_GT(fp32, 30u) << "no fp32-colored marks in the chart";
  // Outside the chart the page is not blank either (header, summary cards).
  size_t above = 0;
  for (int y = 0; y < std::min(by, img.h); ++y)
    for (int x = 0; x < img.w; ++x) above += img.at(x, y)[0] < 200;
  EXPECT_GT(above, 500u);
#endif
}
