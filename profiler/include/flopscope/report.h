#pragma once
/// Reporters: each takes a ResultsDoc and nothing else.
#include <string>

#include "flopscope/results.h"

namespace flopscope {

/// Aligned table, at most `width` columns; ANSI color only when `color`.
std::string render_terminal(const ResultsDoc& doc, size_t width = 100, bool color = false);
std::string render_markdown(const ResultsDoc& doc);
/// One row per run, RFC 4180 quoting; empty fields where a value is absent.
std::string render_csv(const ResultsDoc& doc);

/// RFC 4180 field quoting, shared by every CSV writer.
std::string csv_field(const std::string& s);
/// Escapes |, backslash and newlines for a Markdown table cell.
std::string md_cell(const std::string& s);

}  // namespace flopscope
