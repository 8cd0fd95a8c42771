// Replays inputs through a fuzz target without libFuzzer, so that any compiler
// builds the targets and CTest keeps their corpora passing (tests/fuzz/CMakeLists.txt):
//   fuzz_X_replay FILE_OR_DIR...
// Each file, and each file of a directory (sorted, not recursive), is handed
// to LLVMFuzzerTestOneInput once. A defect aborts (fuzz_target.h); no input
// at all is a failure too, so that an emptied corpus does not pass unnoticed.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      std::vector<fs::path> in_dir;
      for (const auto& e : fs::directory_iterator(arg))
        if (e.is_regular_file()) in_dir.push_back(e.path());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "%s: no inputs (give corpus files or directories)\n", argc > 0 ? argv[0] : "replay");
    return 2;
  }
  double slowest = 0;
  std::string slowest_name;
  for (const fs::path& p : files) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", p.c_str());
      return 2;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", p.c_str(), bytes.size());
    const auto t0 = std::chrono::steady_clock::now();
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > slowest) {
      slowest = s;
      slowest_name = p.filename().string();
    }
  }
  std::printf("%zu inputs replayed, slowest %.3f s (%s)\n", files.size(), slowest, slowest_name.c_str());
  return 0;
}
