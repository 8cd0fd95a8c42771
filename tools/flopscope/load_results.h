#pragma once
// Loads any file `flopscope report` / `compare` / `check` accept as results.
// Today: results JSON (flopscope.results/1). The CUPTI collector extends this
// to raw counter files, which it re-evaluates on the host.
#include <string>

#include "flopscope/results.h"

namespace flopscope::cli {

ResultsDoc load_results(const std::string& path);

}  // namespace flopscope::cli
