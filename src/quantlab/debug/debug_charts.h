// The debugger's charts: one self-contained HTML page with one bar chart per
// layer metric across the layer index (a bar per view), the layer index
// table beside them, and the model-level numbers above. The page inlines the
// charting library (chart_library.h) and its data, so it opens offline in
// any browser. Formatting only.
#pragma once

#include <string>

#include "quantlab/debug/debug_report.h"

namespace quantlab {

// Precondition: none; a report without layers gives a page saying so. When
// the build has no charting library the page keeps the tables and says why
// the charts are missing.
std::string debug_charts_html(const DebugReport& report, const DebugReportContext& context);

}  // namespace quantlab
