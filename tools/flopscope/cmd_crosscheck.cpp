// `flopscope crosscheck RESULTS --ncu NCU.csv | --model-flops F`: flopscope's
// counters beside Nsight Compute's for the same command, or beside a
// framework's model FLOPs per NVTX range (docs/crosscheck.md).
// Exit codes: 0 every counter agrees (--model-flops: some range held a counted
// launch, and with --flops-tolerance every judged range is within it), 1 a
// counter differs or none could be compared, 2 bad input.
#include <charconv>
#include <cmath>
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "exit_codes.h"
#include "flopscope/crosscheck.h"
#include "flopscope/error.h"
#include "load_results.h"

namespace flopscope::cli {
namespace {

struct CrosscheckOptions {
  std::string results, ncu, model_flops;
  double counts_tol_pct = 0.1, bytes_tol_pct = 5;
  double flops_tol_pct = 0;  // --model-flops's gate, when given
};

double fraction(double pct, const char* option) {
  if (!std::isfinite(pct) || pct < 0 || pct > 100) {
    // The shortest decimal that is the number: std::to_string printed 1e300 as
    // 301 digits and -1e-7 as "-0.000000", %g 100.0001 as "100", all of which
    // read as allowed.
    char typed[32];
    const auto end = std::to_chars(typed, typed + sizeof typed, pct).ptr;
    throw_bad_input(std::string(option) + " must be a percentage from 0 to 100, not " +
                    std::string(typed, end));
  }
  return pct / 100;
}

void add_crosscheck_command(Command app) {
  auto opt = std::make_shared<CrosscheckOptions>();
  Command sub = app.add_subcommand(
      "crosscheck",
      "Set flopscope's counters beside Nsight Compute's for the same command, or a framework's\n"
      "model FLOPs beside the hardware FLOPs of each NVTX range (no GPU needed).\n"
      "Exit: 0 all agree (--model-flops: some range held a counted launch, and each is within\n"
      "--flops-tolerance when given), 1 a counter differs or none was compared, 2 bad input,\n"
      "3 a raw counter file that cannot be evaluated here (docs/crosscheck.md)");
  sub.add_option("results", opt->results,
                  "Output of 'flopscope profile --set flops|roofline|bytes --out F -- CMD', or its --counters file, or "
                  "(--ncu only) that of 'flopscope bench --metrics S --counters F'")
      .required();
  Option ncu_opt = sub.add_option(
      "--ncu", opt->ncu,
      "CSV of 'ncu --clock-control none --cache-control none --metrics <the same metrics> --csv [--page raw]\n"
      "--print-units base --print-kernel-base mangled --log-file F CMD'").check(not_empty());
  Option model_opt = sub.add_option(
      "--model-flops", opt->model_flops,
      "Model FLOPs per NVTX range (flopscope.model-flops/1 JSON, e.g. from scripts/torch_step.py --flops-out)")
      .check(not_empty());
  ncu_opt.excludes(model_opt);
  sub.add_option("--counts-tolerance", opt->counts_tol_pct,
                 "Instruction and tensor-op counts, percent of ncu's value (default 0.1)")
      .transform(percentage())
      .excludes(model_opt);
  sub.add_option("--bytes-tolerance", opt->bytes_tol_pct,
                 "DRAM, L2 and L1 bytes, percent of ncu's value (default 5)")
      .transform(percentage())
      .excludes(model_opt);
  Option flops_tol_opt =
      sub.add_option("--flops-tolerance", opt->flops_tol_pct,
                     "With --model-flops: fail (exit 1) when a range's hardware FLOPs differ from its\n"
                     "model FLOPs by more than this percent (default: report only)")
          .transform(percentage())
          .excludes(ncu_opt);
  set_action(sub, [opt, flops_tol_opt]() {
    CrosscheckTolerance tol;
    tol.counts = fraction(opt->counts_tol_pct, "--counts-tolerance");
    tol.bytes = fraction(opt->bytes_tol_pct, "--bytes-tolerance");
    const double flops_tol = fraction(opt->flops_tol_pct, "--flops-tolerance");
    if (opt->ncu.empty() && opt->model_flops.empty())
      throw_bad_input("nothing to cross-check against: give --ncu NCU.csv or --model-flops F");
    if (!opt->model_flops.empty()) {
      const ModelFlops model = read_model_flops(opt->model_flops);
      const ResultsDoc doc = load_results(opt->results);
      const ModelCrosscheck rep = crosscheck_model_flops(doc, model);
      std::cout << render_model_crosscheck_text(rep, stdout_width()) << std::flush;
      if (!rep.compared()) return int(kFailure);
      if (flops_tol_opt.count() == 0) return int(kOk);
      const std::vector<std::string> outside = rep.outside(flops_tol);
      for (const std::string& line : outside) std::cout << "FAIL: " << line << "\n";
      if (outside.empty())
        std::cout << "PASS: every range with model FLOPs has counted launches within " << opt->flops_tol_pct
                  << "% of the model\n";
      std::cout << std::flush;
      return outside.empty() ? int(kOk) : int(kFailure);
    }
    // A `bench --counters` file too: its launches per kernel, not per run.
    const ResultsDoc doc = load_results(opt->results, CounterFold::per_kernel);
    const std::set<std::string> metrics = counted_metrics(doc);
    const NcuCsv ncu = read_ncu_csv(opt->ncu, &metrics);
    const CrosscheckReport rep = crosscheck_ncu(doc, ncu, tol);
    std::cout << render_crosscheck_text(rep, stdout_width()) << std::flush;
    return rep.passed() ? int(kOk) : int(kFailure);
  });
}

}  // namespace

static const bool registered = register_command(66, add_crosscheck_command);

}  // namespace flopscope::cli
