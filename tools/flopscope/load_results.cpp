#include "load_results.h"

#ifdef FLOPSCOPE_HAS_CUDA
#include "flopscope/counter_file.h"
#else
#include <cstring>
#include <fstream>

#include "flopscope/error.h"
#endif

namespace flopscope::cli {

ResultsDoc load_results(const std::string& path) {
  // Raw counter files (docs/collector.md) are evaluated again with CUPTI's
  // host API, which needs no GPU.
#ifdef FLOPSCOPE_HAS_CUDA
  if (is_counter_file(path)) return counter_file_to_results(read_counter_file(path));
#else
  char magic[8] = {};
  if (std::ifstream in(path, std::ios::binary); in.read(magic, 8) && std::memcmp(magic, "FLOPSCTR", 8) == 0)
    throw_bad_input(path + ": a raw counter file; this flopscope was built without the CUDA "
                    "toolkit (FLOPSCOPE_CUDA=OFF) and cannot evaluate it");
#endif
  return read_results(path);
}

}  // namespace flopscope::cli
