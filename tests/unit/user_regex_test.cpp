// compile_user_regex: patterns from --kernel and --kernel-regex. The sanitizer
// build runs these too: a huge repetition count must be refused before
// libstdc++'s parser, which overflows a long on it (undefined behaviour).
#include <gtest/gtest.h>

#include "flopscope/error.h"
#include "flopscope/user_regex.h"

using namespace flopscope;

namespace {

std::string refusal(const std::string& pattern) {
  try {
    compile_user_regex(pattern, "--kernel");
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
  EXPECT_TRUE(std::regex_search("gemm.cublas.bf16", compile_user_regex("(fp|bf){1}16$", "--kernel")));
}

TEST(UserRegex, NestedLoopsAreFastAndBackReferencesRefused) {
  // Backtracking took over a minute on this 24-character name.
  EXPECT_FALSE(std::regex_search("attention.flash_mma.bf16", compile_user_regex("(.*)*#", "--kernel")));
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
  EXPECT_EQ(refusal("[" + std::string(200, '(') + "]gemm"), "");
  std::string escaped;
  for (int i = 0; i < 200; ++i) escaped += "\\(";
  EXPECT_EQ(refusal(escaped), "");
  EXPECT_TRUE(std::regex_search("gemm.cublas.bf16", compile_user_regex(std::string(100, '(') + "bf16" +
                                                                       std::string(100, ')'), "--kernel")));
}
