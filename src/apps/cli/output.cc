#include "apps/cli/output.h"

#include <algorithm>
#include <ostream>

namespace kafscale::cli {

void RenderTable(const Table& table, std::ostream& out) {
  if (!table.title.empty()) out << table.title << "\n";
  std::vector<size_t> widths(table.columns.size());
  for (size_t i = 0; i < table.columns.size(); ++i) widths[i] = table.columns[i].size();
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  auto print_row = [&](const std::vector<std::string>& cells, bool header) {
    std::string line;
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < cells.size() ? cells[i] : "";
      if (header) {
        std::transform(cell.begin(), cell.end(), cell.begin(), [](unsigned char c) { return std::toupper(c); });
      }
      line += cell;
      // The last column is not padded, so lines carry no trailing blanks.
      if (i + 1 < widths.size()) line += std::string(widths[i] - cell.size() + 2, ' ');
    }
    out << line << "\n";
  };
  print_row(table.columns, true);
  for (const auto& row : table.rows) print_row(row, false);
  if (table.rows.empty()) out << "(none)\n";
}

void PrintResult(const CommandResult& result, OutputFormat format, std::ostream& out) {
  if (format == OutputFormat::kJson) {
    out << DumpJson(result.json, 2) << "\n";
    return;
  }
  bool first = true;
  for (const std::string& line : result.lines) {
    out << line << "\n";
    first = false;
  }
  for (const Table& table : result.tables) {
    if (!first) out << "\n";
    RenderTable(table, out);
    first = false;
  }
}

std::string DumpJson(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json OptionalText(const std::optional<std::string>& text) {
  return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
}

}  // namespace kafscale::cli
