#pragma once
/// Reporters for CI: what `compare` and `check` print and write (docs/ci.md).
#include <string>

#include "flopscope/contracts.h"
#include "flopscope/gate.h"
#include "flopscope/results.h"

namespace flopscope {

/// Terminal summary, one line per run; ANSI color only when `color`.
/// `warnings` false leaves the warnings to the caller (the CLI puts them on stderr).
/// `width`: the terminal's columns (kernel ids and shapes are shortened to fit).
std::string render_compare_text(const CompareReport& rep, bool color = false, bool warnings = true,
                                size_t width = 100);
/// A pull-request comment: the outcome first, regressions first, then notes.
std::string render_compare_markdown(const CompareReport& rep);
/// JUnit XML: one testcase per matched run and per unmatched baseline run;
/// regressions are <failure>, inconclusive runs <skipped>.
std::string render_compare_junit(const CompareReport& rep);

std::string render_check_text(const CheckReport& rep, bool color = false);
std::string render_check_markdown(const CheckReport& rep);
/// One testcase per (contract, run); a failed contract is a <failure>.
std::string render_check_junit(const CheckReport& rep);

/// The runs of `doc` in Google Benchmark's JSON format (context + benchmarks[],
/// real_time = median per launch, time_unit "us", iterations = samples), with
/// FLOP figures as user counters, for dashboards that read that format.
std::string render_gbench_json(const ResultsDoc& doc);

/// Escapes &, <, >, " and ', and writes '?' for a character XML 1.0 forbids
/// (U+FFFD for bytes that are not UTF-8).
std::string xml_escape(const std::string& s);

}  // namespace flopscope
