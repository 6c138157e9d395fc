// The study's reports, rendered from its results alone (so `quantlab study
// report DIR` can re-render them from results.json): report.md, readable as
// text, and report.html, one self-contained page that opens offline with
// its charts drawn by the inlined charting library (debug/chart_library.h).
// Formatting only; every number comes from StudyResults.
#pragma once

#include <string>

#include "quantlab/study/results.h"

namespace quantlab::study {

std::string report_markdown(const StudyResults& results);
std::string report_html(const StudyResults& results);

}  // namespace quantlab::study
