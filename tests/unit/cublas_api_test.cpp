// cuBLAS is opened on first use (kernels/harness/cublas_api.h), not linked.
// Neither test needs a GPU: opening the libraries, resolving their entries,
// cublasGetStatusString and cuBLASLt's layout descriptors are host-side.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "harness/cublas_api.h"

namespace flopscope::kernels {
namespace {

TEST(CublasApi, OpensTheToolkitsCublasAndResolvesEveryEntry) {
  const CublasApi& api = cublas_api();  // throws, naming the library or entry, if one is missing
  // Their wording is cuBLAS's own and may change: two different, non-empty strings.
  const char* ok = api.status_string(CUBLAS_STATUS_SUCCESS);
  const char* unsupported = api.status_string(CUBLAS_STATUS_NOT_SUPPORTED);
  ASSERT_NE(ok, nullptr);
  ASSERT_NE(unsupported, nullptr);
  EXPECT_NE(std::string(ok), "");
  EXPECT_NE(std::string(ok), std::string(unsupported));
  // Calls through the table reach cuBLASLt with the header's argument types.
  cublasLtMatrixLayout_t layout = nullptr;
  ASSERT_EQ(api.lt_layout_create(&layout, CUDA_R_16BF, 64, 32, 64), CUBLAS_STATUS_SUCCESS);
  ASSERT_NE(layout, nullptr);
  EXPECT_EQ(api.lt_layout_destroy(layout), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(&cublas_api(), &api);  // opened once
}

// Commands that never run a kernel (report, compare) start without mapping cuBLAS.
TEST(CublasApi, TheCliDoesNotLinkIt) {
  FILE* p = popen("readelf -d '" FLOPSCOPE_CLI_PATH "' 2>&1", "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << out;
  ASSERT_NE(out.find("(NEEDED)"), std::string::npos) << out;  // readelf read its dynamic section
  EXPECT_NE(out.find("libcupti.so"), std::string::npos) << out;
  EXPECT_EQ(out.find("libcublas"), std::string::npos) << out;
}

}  // namespace
}  // namespace flopscope::kernels
