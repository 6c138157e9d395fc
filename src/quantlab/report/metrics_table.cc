#include "quantlab/report/metrics_table.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace quantlab {
namespace {

std::string format_value(double v, int decimals) {
  if (std::isnan(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

Mark cell_mark(const MetricsTable& t, size_t row, size_t col) {
  if (!t.baseline_row || row == *t.baseline_row) return Mark::kNone;
  const auto& base = t.rows[*t.baseline_row];
  if (!base.error.empty() || !t.rows[row].error.empty()) return Mark::kNone;
  const double b = base.values[col], v = t.rows[row].values[col];
  if (std::isnan(b) || std::isnan(v)) return Mark::kNone;
  return mark_against(v, b, t.tolerance_points);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Mark mark_against(double value, double baseline, double tolerance_points) {
  const double points = (value - baseline) * 100.0;
  if (std::fabs(points) <= tolerance_points + 1e-12) return Mark::kSame;
  return points > 0 ? Mark::kUp : Mark::kDown;
}

const char* mark_symbol(Mark m) {
  switch (m) {
    case Mark::kUp: return "↑";
    case Mark::kDown: return "↓";
    case Mark::kSame: return "~";
    case Mark::kNone: return "";
  }
  return "";
}

std::string render_markdown(const MetricsTable& t) {
  std::string s;
  if (!t.title.empty()) s += "### " + t.title + "\n\n";
  s += "| Model |";
  for (const auto& c : t.columns) s += " " + c + " |";
  s += "\n|---|";
  for (size_t i = 0; i < t.columns.size(); ++i) s += "---:|";
  s += "\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    s += "| " + row.name + (t.baseline_row && r == *t.baseline_row ? " (baseline)" : "") + " |";
    if (!row.error.empty()) {
      s += " failed: " + row.error + " |";
      for (size_t i = 1; i < t.columns.size(); ++i) s += " |";
    } else {
      for (size_t c = 0; c < t.columns.size(); ++c)
        s += " " + format_value(row.values[c], t.decimals) + mark_symbol(cell_mark(t, r, c)) + " |";
    }
    s += "\n";
  }
  if (t.baseline_row) {
    char tol[32];
    std::snprintf(tol, sizeof(tol), "%g", t.tolerance_points);
    s += "\n↑ higher than the baseline row, ↓ lower, ~ within " + std::string(tol) +
         " percentage points. The arrows give the direction of the change, not whether it is better "
         "(for Hamming loss lower is better).\n";
  }
  return s;
}

std::string render_csv(const MetricsTable& t) {
  std::string s = "model";
  for (const auto& c : t.columns) s += "," + csv_field(c);
  if (t.baseline_row)
    for (const auto& c : t.columns) s += "," + csv_field(c + " mark");
  s += ",error\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    s += csv_field(row.name);
    for (size_t c = 0; c < t.columns.size(); ++c) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", row.error.empty() ? row.values[c] : NAN);
      s += std::string(",") + (std::isnan(row.error.empty() ? row.values[c] : NAN) ? "" : buf);
    }
    if (t.baseline_row)
      for (size_t c = 0; c < t.columns.size(); ++c) s += std::string(",") + mark_symbol(cell_mark(t, r, c));
    s += "," + csv_field(row.error) + "\n";
  }
  return s;
}

nlohmann::json to_json(const MetricsTable& t) {
  nlohmann::json j;
  j["title"] = t.title;
  j["columns"] = t.columns;
  j["tolerance_points"] = t.tolerance_points;
  if (t.baseline_row) j["baseline"] = t.rows[*t.baseline_row].name;
  j["rows"] = nlohmann::json::array();
  for (size_t r = 0; r < t.rows.size(); ++r) {
    nlohmann::json row;
    row["model"] = t.rows[r].name;
    if (!t.rows[r].error.empty()) row["error"] = t.rows[r].error;
    nlohmann::json metrics = nlohmann::json::object();
    for (size_t c = 0; c < t.columns.size() && t.rows[r].error.empty(); ++c) {
      const double v = t.rows[r].values[c];
      nlohmann::json cell;
      cell["value"] = std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
      const Mark m = cell_mark(t, r, c);
      if (m != Mark::kNone) cell["mark"] = mark_symbol(m);
      metrics[t.columns[c]] = cell;
    }
    row["metrics"] = metrics;
    j["rows"].push_back(row);
  }
  return j;
}

std::string scheme_from_filename(const std::string& path) {
  const std::string stem = std::filesystem::path(path).stem().string();  // "m.fiq-int8"
  const auto dot = stem.rfind('.');
  if (dot == std::string::npos) return "";
  const std::string scheme = stem.substr(dot + 1);
  for (const char* known : {"float", "drq", "fiq-f32", "fiq-int8", "fiq-uint8"})
    if (scheme == known) return scheme;
  return "";
}

std::string scheme_display_name(const std::string& scheme) {
  if (scheme == "float") return "Unquantized model";
  if (scheme == "drq") return "DRQ";
  if (scheme == "fiq-f32") return "FIQ – Float32";
  if (scheme == "fiq-int8") return "FIQ – Int8";
  if (scheme == "fiq-uint8") return "FIQ – UInt8";
  return scheme;
}

}  // namespace quantlab
