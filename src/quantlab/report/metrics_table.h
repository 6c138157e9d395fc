// Tables of metrics in the original study's layout: one row per model (or scheme), one
// column per metric, each cell optionally marked against a baseline row.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace quantlab {

enum class Mark { kNone, kUp, kDown, kSame };

// The mark of `value` against `baseline`: kSame when they differ by at most
// `tolerance_points` percentage points (values are fractions in [0, 1]),
// else the direction of the change.
Mark mark_against(double value, double baseline, double tolerance_points);
const char* mark_symbol(Mark m);  // "↑", "↓", "~", ""

struct MetricsTable {
  std::string title;
  std::vector<std::string> columns;        // metric names
  struct Row {
    std::string name;
    std::vector<double> values;            // one per column; NaN shows as "–"
    std::string error;                     // non-empty: the row failed; shown instead of values
  };
  std::vector<Row> rows;
  std::optional<size_t> baseline_row;      // rows are marked against this one
  double tolerance_points = 0.5;
  int decimals = 3;
};

std::string render_markdown(const MetricsTable& table);  // with the marks' legend below
std::string render_csv(const MetricsTable& table);       // plain values, one column per metric, plus marks
nlohmann::json to_json(const MetricsTable& table);

// The quantization scheme a file name states ("m.fiq-int8.tflite" ->
// "fiq-int8"), or empty.
std::string scheme_from_filename(const std::string& path);
// The original study's row label for a scheme ("fiq-int8" -> "FIQ – Int8",
// "float" -> "Unquantized model"); the scheme itself if unknown.
std::string scheme_display_name(const std::string& scheme);

}  // namespace quantlab
