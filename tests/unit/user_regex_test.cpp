// UserRegex: patterns from --kernel and --kernel-regex. The sanitizer
// build runs these too: a huge repetition count must be refused before
// libstdc++'s parser, which overflows a long on it (undefined behaviour).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "flopscope/error.h"
#include "flopscope/user_regex.h"

using namespace flopscope;

namespace {

std::string refusal(const std::string& pattern) {
  try {
    UserRegex(pattern, "--kernel");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    return e.what();
  }
  return "";
}

}  // namespace

TEST(UserRegex, HugeRepetitionCountsAreRefused) {
  for (const char* huge : {"m{4294967218446744073709551616967}", "a{2,99999}", "a{1001}", "(ab){0,1001}x"}) {
    const std::string why = refusal(huge);
    EXPECT_EQ(why.rfind(std::string("--kernel '") + huge + "' repeats something", 0), 0u) << why;
    EXPECT_NE(why.find("counts above 1000 are not supported"), std::string::npos) << why;
  }
  // Small counts, and braces that are no count, still compile.
  for (const char* fine : {"gemm{1}", "a{2,}", "a{0,1000}", "[{]9999999", "\\{99999\\}"})
    EXPECT_EQ(refusal(fine), "") << fine;
  EXPECT_TRUE(UserRegex("(fp|bf){1}16$", "--kernel").found_in("gemm.cublas.bf16"));
}

TEST(UserRegex, NestedLoopsAreFastAndBackReferencesRefused) {
  // Backtracking took over a minute on this 24-character name.
  EXPECT_FALSE(UserRegex("(.*)*#", "--kernel").found_in("attention.flash_mma.bf16"));
  EXPECT_NE(refusal("(gemm)\\1").find("uses a back-reference"), std::string::npos);
  EXPECT_NE(refusal("(unclosed").find("is not a valid regular expression"), std::string::npos);
}

// libstdc++ read a back-reference's number into a long with no overflow check
// (UBSan: signed overflow in regex_compiler.tcc, found by fuzzing with
// libFuzzer): refused before it parses, like any back-reference.
TEST(UserRegex, HugeBackReferenceNumbersAreRefused) {
  const std::string why = refusal("gemm\\999999999999999999999blas)");
  EXPECT_EQ(why, "--kernel 'gemm\\999999999999999999999blas)' uses a back-reference (\\1...), which is not "
                 "supported: write the text out");
  // Not back-references: \0 (NUL), an escaped backslash before a digit.
  EXPECT_EQ(refusal("gemm\\0"), "");
  EXPECT_EQ(refusal("gemm\\\\1"), "");
  // In a class libstdc++ refuses an escaped digit itself, without reading its number.
  EXPECT_NE(refusal("fp[\\99999999999999999999]").find("is not a valid regular expression"), std::string::npos);
}

// libstdc++'s regex compiler recurses once per item of a sequence and a few
// times per '(': 30 000 '(' or 130 000 'a's, one command-line argument each,
// overflowed an 8 MiB stack (20 000 characters under ASan: found by
// tests/fuzz/fuzz_user_regex.cpp). Both are refused in one short line before
// libstdc++ sees them.
TEST(UserRegex, LongOrDeeplyNestedPatternsAreRefused) {
  for (const std::string& huge : {std::string(30000, '('), std::string(130000, 'a')}) {
    EXPECT_EQ(refusal(huge), "--kernel '" + huge.substr(0, 60) + "...' is " + std::to_string(huge.size()) +
                                 " characters long: patterns over 1024 are not supported");
  }
  const std::string deep = std::string(101, '(') + "gemm" + std::string(101, ')');
  EXPECT_NE(refusal(deep).find("nests parentheses over 100 deep, which is not supported"), std::string::npos);
  // At the limits, and parentheses that open no group, still compile.
  EXPECT_EQ(refusal(std::string(100, '(') + "gemm" + std::string(100, ')')), "");
  EXPECT_EQ(refusal(std::string(1024, 'a')), "");
  std::string in_class = "[";  // appended: GCC 12 misreports "a" + b + c here (-Wrestrict)
  in_class.append(200, '(').append("]gemm");
  EXPECT_EQ(refusal(in_class), "");
  std::string escaped;
  for (int i = 0; i < 200; ++i) escaped += "\\(";
  EXPECT_EQ(refusal(escaped), "");
  EXPECT_TRUE(UserRegex(std::string(100, '(') + "bf16" + std::string(100, ')'), "--kernel").found_in("gemm.cublas.bf16"));
}

// The search is one breadth-first match of [\s\S]*?(?:pattern)[\s\S]*: it
// finds what std::regex_search finds (anchors and \b see the whole text), and
// a pattern that is invalid as given stays invalid though the wrapper would
// balance it.
TEST(UserRegex, FindsWhatRegexSearchFinds) {
  const std::vector<std::string> names{"", "gemm.cublas.bf16", "attention.flash_mma.fp16",
                                       "void gemm_kernel<128, 64>(float const*, float*, int)", "a\nb"};
  for (const char* pattern :
       {"", "gemm", "^gemm", "bf16$", "^$", "fp16|bf16", "^(?:gemm|attention)\\.", "\\bint\\b", "\\Bemm",
        "(?=.*mma)flash", "(?!gemm)^a", "<[0-9]+, [0-9]{2}>", "^a$", "a.b", "[\\s\\S]", "x*", "\\.fp(32|16)"}) {
    const UserRegex re(pattern, "--kernel");
    const std::regex plain(pattern, std::regex::ECMAScript);
    for (const std::string& name : names)
      EXPECT_EQ(re.found_in(name), std::regex_search(name, plain)) << "'" << pattern << "' in '" << name << "'";
  }
  EXPECT_NE(refusal("a)(b").find("is not a valid regular expression"), std::string::npos);
  EXPECT_NE(refusal("a)|(b").find("is not a valid regular expression"), std::string::npos);
}

// Each item of a pattern is a state the breadth-first search carries: counts
// multiply when nested, and the pattern may expand to at most 4000 items.
// "(?:(?:.*){1000}){15}#" took 52 s on a 187-character name.
TEST(UserRegex, PatternsExpandingPast4000ItemsAreRefused) {
  for (const char* big : {"(?:(?:.*){1000}){15}#", "(?:a{100}){41}", "(?:(?:(?:(?:.?){10}){10}){10}){10}",
                          "a{1000}b{1000}c{1000}d{1000}e", "(?:ab{999,}){4}", "(?:a|b{1000}|c{1000}){2}",
                          "(?:(?:a{1000}){5}){0}"}) {
    const std::string why = refusal(big);
    EXPECT_NE(why.find("expands to over 4000 items once its repetition counts are applied (nested counts multiply)"),
              std::string::npos)
        << big << ": " << why;
  }
  for (const char* fine : {"(?:a{100}){40}", "a{1000}b{1000}c{1000}d{1000}", ".{0,1000}", "(?:ab{998,}){4}",
                           "[a{1000}]{1000}", "\\{1000\\}{1000}", "a{2,}{3}x"})
    EXPECT_EQ(refusal(fine).find("expands to"), std::string::npos) << fine;
}

// No timing target, a guard against a hang: the 1000-character name took 43 s
// searched position by position, 0.1 s in one pass.
TEST(UserRegex, LongNamesAreSearchedInOnePass) {
  std::string name = "void k<";  // appended: GCC 12 misreports "a" + b + c here (-Wrestrict)
  name.append(990, 'a').append(">()");
  const UserRegex re("(?:.*){1000}#", "--kernel");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(re.found_in(name));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 20.0);
}
