#pragma once
// Loads any file `flopscope report` / `compare` / `check` accept as results:
// results JSON (flopscope.results/1), or a raw counter file, re-evaluated on
// the host (docs/collector.md).
#include <string>

#include "flopscope/results.h"

namespace flopscope::cli {

/// How a raw counter file's ranges become runs.
enum class CounterFold {
  as_recorded,  ///< bench's launches summed per benchmark run; an application's per kernel
  per_kernel,   ///< every launch per kernel, as an application's (crosscheck sets kernels beside ncu's)
};

ResultsDoc load_results(const std::string& path, CounterFold fold = CounterFold::as_recorded);

}  // namespace flopscope::cli
