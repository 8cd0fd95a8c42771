#pragma once
/// Performance contracts: `flopscope check RESULTS.json --contracts FILE`.
///
/// A contract file holds one contract per line (docs/ci.md):
///
///     # comments start with '#'
///     gemm.mma_sync.bf16 m=4096 n=4096 k=4096 : tflops >= 0.6 x gemm.cublas.bf16
///     attention.flash.bf16 n=4096             : compute-bound
///     gemm.*                                  : hw_flops = model_flops ± 0.1%
///     gemm.cublas.bf16                        : mfu >= 50%
///     *                                       : validation passed
///
/// The selector left of ':' is a kernel id ('*' matches any characters) and
/// optional shape values; a run matches when its id matches and its shape has
/// every value given. Every matching run is checked; a contract that matches
/// no run fails.
#include <string>
#include <vector>

#include "flopscope/results.h"

namespace flopscope {

struct RunSelector {
  std::string id;  ///< may contain '*' (not in a reference)
  Shape shape;     ///< partial: a run matches when its shape has all of these
  bool matches(const RunRecord& r) const;
  std::string label() const;
};

enum class ContractKind {
  value,       ///< METRIC OP NUMBER
  ratio,       ///< METRIC OP FACTOR x REFERENCE-ID [shape]: against another run in the file
  metrics,     ///< METRIC OP METRIC [± TOL%]
  bound,       ///< compute-bound | memory-bound
  validation,  ///< validation passed
};

enum class CmpOp { ge, le, gt, lt, eq };
const char* to_string(CmpOp op);

struct Contract {
  std::string origin;  ///< file name
  int line = 0;
  std::string text;    ///< the line, trimmed, without its comment
  RunSelector subject;
  ContractKind kind = ContractKind::value;
  std::string metric;  ///< left-hand metric
  CmpOp op = CmpOp::ge;
  double value = 0;    ///< the number, or the factor of a ratio
  RunSelector reference;  ///< ratio: id and shape overrides of the reference run
  std::string rhs_metric;  ///< metrics
  double tolerance = 0;    ///< metrics with '=': relative, of the right-hand side
  std::string bound;       ///< "compute" or "memory"
};

/// The metrics a contract can name, with their unit (errors name it) and
/// meaning (which documents each here; docs/ci.md lists them for users). Two
/// metrics are compared only when their units are equal.
struct ContractMetric {
  const char* name;
  const char* unit;  ///< "s", "TFLOP/s", "fraction", "FLOP", "bytes", ...
  const char* meaning;
};
const std::vector<ContractMetric>& contract_metrics();

/// Throws bad_input "FILE:LINE: reason" on the first malformed line, and when
/// the file holds no contract.
std::vector<Contract> parse_contracts(const std::string& text, const std::string& origin);
std::vector<Contract> read_contracts(const std::string& path);

struct ContractResult {
  size_t contract = 0;  ///< index into CheckReport::contracts
  std::string run;      ///< label of the run checked; empty when the contract matched none
  bool passed = false;
  std::string detail;   ///< "mfu 0.623 >= 0.5", "matches no run in the file", ...
};

struct CheckReport {
  std::string results_origin, contracts_origin;
  std::string device;
  std::vector<Contract> contracts;
  std::vector<ContractResult> results;  ///< contract order, then run order
  int failures() const;
  bool passed() const { return failures() == 0; }
};

/// Evaluates every contract against every run it selects.
CheckReport check_contracts(const ResultsDoc& doc, std::vector<Contract> contracts,
                            const std::string& results_origin,
                            const std::string& contracts_origin);

}  // namespace flopscope
