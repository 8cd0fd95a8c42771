#include "load_results.h"

namespace flopscope::cli {

ResultsDoc load_results(const std::string& path) { return read_results(path); }

}  // namespace flopscope::cli
