#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "flopscope/report.h"
#include "flopscope/table.h"
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

TEST(Report, MarkdownEscapesPipes) { EXPECT_EQ(md_cell("a|b\nc"), "a\\|b c"); }

TEST(Report, CsvQuotingAndColumns) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  const auto ls = lines(render_csv(test::sample_doc()));
  ASSERT_EQ(ls.size(), 3u);
  auto count = [](const std::string& l) { return std::count(l.begin(), l.end(), ','); };
  EXPECT_EQ(count(ls[0]), count(ls[1]));
  EXPECT_EQ(count(ls[0]), count(ls[2]));
  EXPECT_EQ(ls[1].rfind("gemm.cublas.bf16,gemm,cublas,bf16,bf16_tensor,", 0), 0u);
}

TEST(Table, ShrinksToWidth) {
  Table t;
  t.add_column("name", Align::left, true);
  t.add_column("value", Align::right);
  t.add_row({std::string(200, 'x'), "1"});
  const std::string out = t.render(40, false);
  for (const auto& l : lines(out)) EXPECT_LE(l.size(), 40u);
  EXPECT_NE(out.find(".."), std::string::npos);
}

TEST(Format, Numbers) {
  EXPECT_EQ(fmt_si(1234), "1.23k");
  EXPECT_EQ(fmt_si(989.4e12), "989T");
  EXPECT_EQ(fmt_si(12), "12");
  EXPECT_EQ(fmt_time(1.42e-3), "1.420 ms");
  EXPECT_EQ(fmt_time(8.12e-4), "812.0 us");
  EXPECT_EQ(fmt_time(2.1), "2.10 s");
}
