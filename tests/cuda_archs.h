#pragma once
// What CMAKE_CUDA_ARCHITECTURES asked the build for, as the tests that depend on
// it read it (the list reaches them as FLOPSCOPE_CUDA_ARCHS, e.g. "80,90a").
#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace flopscope::test {

/// The SASS architectures in `list` ("sm_80", "sm_90a"; "-real" stripped,
/// "-virtual" is PTX only); empty for "native", "all" and the like, whose list
/// the build decides.
inline std::vector<std::string> configured_archs(std::string_view list) {
  std::vector<std::string> out;
  std::stringstream all{std::string(list)};
  std::string a;
  while (std::getline(all, a, ',')) {
    if (a.empty() || !std::isdigit(static_cast<unsigned char>(a[0]))) return {};
    if (a.find("-virtual") != std::string::npos) continue;
    out.push_back("sm_" + a.substr(0, a.find('-')));
  }
  return out;
}

/// Whether `list` names sm_90a explicitly (wgmma and TMA code).
inline bool configured_sm90a(std::string_view list) {
  const std::vector<std::string> archs = configured_archs(list);
  return std::find(archs.begin(), archs.end(), "sm_90a") != archs.end();
}

}  // namespace flopscope::test
