// What a command shows: a JSON document for scripts (--output json) and, for
// people, tables and lines rendered from the same data.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/cli/command_line.h"

namespace kafscale::cli {

struct Table {
  std::string title;  // printed above the table when not empty
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each as wide as `columns`
};

struct CommandResult {
  nlohmann::json json;
  // The human view: lines first, then tables, separated by blank lines.
  std::vector<std::string> lines;
  std::vector<Table> tables;
};

// Columns left-aligned and padded to their widest cell, two spaces apart,
// upper-case headers; an empty table prints its headers and "(none)".
void RenderTable(const Table& table, std::ostream& out);

// Prints `result` as pretty JSON or as lines and tables.
void PrintResult(const CommandResult& result, OutputFormat format, std::ostream& out);

// JSON text that never throws: invalid UTF-8 in record data becomes U+FFFD.
std::string DumpJson(const nlohmann::json& value, int indent = -1);

// JSON value of an optional string: null when absent.
nlohmann::json OptionalText(const std::optional<std::string>& text);

}  // namespace kafscale::cli
