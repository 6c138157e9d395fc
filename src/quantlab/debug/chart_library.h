// The charting library the debugger's HTML charts inline: Chart.js, taken
// from its npm package at build time (chart_library.cmake) and compiled into
// the library, so a written chart page opens offline in any browser with no
// extra software and nothing vendored sits in the source tree.
#pragma once

#include <string_view>

namespace quantlab {

struct ChartLibrary {
  std::string_view name;     // "Chart.js"
  std::string_view version;  // the pinned npm version
  std::string_view license;  // its license text, shipped with every page that inlines it
  std::string_view source;   // the minified UMD bundle; empty when the build could not fetch it
  bool available() const { return !source.empty(); }
};

// Defined in a source file the build generates.
const ChartLibrary& chart_library();

}  // namespace quantlab
