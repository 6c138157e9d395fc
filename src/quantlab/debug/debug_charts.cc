#include "quantlab/debug/debug_charts.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "quantlab/debug/chart_library.h"
#include "quantlab/report/html.h"

namespace quantlab {
namespace {

nlohmann::json number_or_null(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

std::string cell(double v, int digits) {
  if (std::isnan(v)) return "–";
  if (std::isinf(v)) return "∞";
  return fmt::format("{:.{}g}", v, digits);
}

// The data the page's script draws from: layer labels and, per metric, one
// series per computed view.
nlohmann::json chart_data(const DebugReport& report, const DebugReportContext& context) {
  nlohmann::json d;
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerReport& l : report.layers)
    layers.push_back({{"layer", l.layer}, {"op", l.op_name}, {"tensor", l.tensor_name}});
  d["layers"] = layers;
  d["suspect_threshold"] = context.suspect_threshold;
  nlohmann::json metrics = nlohmann::json::array();
  for (const LayerMetricInfo& m : layer_metrics()) {
    nlohmann::json entry{{"name", m.name}, {"description", m.description}};
    nlohmann::json series = nlohmann::json::array();
    for (DebugView v : {DebugView::kPropagated, DebugView::kIsolated}) {
      if ((v == DebugView::kPropagated && !report.has_propagated) || (v == DebugView::kIsolated && !report.has_isolated))
        continue;
      nlohmann::json values = nlohmann::json::array();
      for (const LayerReport& l : report.layers) values.push_back(l.view(v) ? number_or_null(m.value(*l.view(v))) : nullptr);
      series.push_back({{"view", debug_view_name(v)}, {"values", values}});
    }
    entry["series"] = series;
    metrics.push_back(std::move(entry));
  }
  d["metrics"] = metrics;
  return d;
}

const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 0; color: #1d1d1f; }
header { padding: 1rem 1.5rem 0; }
h1 { font-size: 1.3rem; margin: 0 0 .4rem; }
h2 { font-size: 1.05rem; margin: 0 0 .2rem; }
p.note { color: #555; margin: .2rem 0; font-size: .9rem; }
.page { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 32rem); gap: 1.5rem; padding: 1rem 1.5rem; }
.chart { margin-bottom: 1.6rem; }
.chart .box { position: relative; height: 240px; }
aside { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow: auto; }
table { border-collapse: collapse; font-size: .82rem; width: 100%; }
th, td { border-bottom: 1px solid #e2e2e2; padding: 3px 6px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.suspect { background: #fde4e4; }
code { font-size: .8rem; overflow-wrap: anywhere; }
.missing { border: 1px solid #e0b4b4; background: #fff6f6; padding: .6rem; }
)";

// Draws every chart from the data block. Chart.js is the global `Chart`.
const char* kScript = R"(
(function () {
  var data = JSON.parse(document.getElementById('debug-data').textContent);
  var colors = { propagated: '#3b6fd8', isolated: '#e8883a' };
  var zoomed = { 'cosine_similarity': true, 'sqnr_db': true };
  var labels = data.layers.map(function (l) { return String(l.layer); });
  data.metrics.forEach(function (metric, i) {
    var datasets = metric.series.map(function (s) {
      return { type: 'bar', label: s.view, data: s.values, backgroundColor: colors[s.view] };
    });
    if (metric.name === 'rmse/scale') {
      var line = function (label, value, color, dash) {
        return { type: 'line', label: label, data: labels.map(function () { return value; }), borderColor: color,
                 borderDash: dash, borderWidth: 1.5, pointRadius: 0, fill: false };
      };
      datasets.push(line('suspect threshold ' + data.suspect_threshold, data.suspect_threshold, '#c62828', [6, 4]));
      datasets.push(line('rounding alone (1/sqrt(12))', 1 / Math.sqrt(12), '#2e7d32', [2, 3]));
    }
    new Chart(document.getElementById('chart-' + i), {
      type: 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'layer index' } },
                  // Cosine similarity and SQNR sit far from zero: let their axes fit the values.
                  y: { beginAtZero: !zoomed[metric.name], title: { display: true, text: metric.name } } },
        plugins: { tooltip: { callbacks: { title: function (items) {
          var l = data.layers[items[0].dataIndex];
          return 'layer ' + l.layer + ': ' + l.op + ' ' + l.tensor;
        } } } }
      }
    });
  });
})();
)";

}  // namespace

std::string debug_charts_html(const DebugReport& report, const DebugReportContext& context) {
  const ChartLibrary& library = chart_library();
  const std::string title = fmt::format("Quantization debug: {} vs {}",
                                        std::filesystem::path(context.quant_model).filename().string(),
                                        std::filesystem::path(context.float_model).filename().string());
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(title) +
                  "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<header>\n<h1>" + html_escape(title) + "</h1>\n";
  std::string views;
  if (report.has_propagated) views += "propagated (each model on its own activations)";
  if (report.has_isolated)
    views += std::string(views.empty() ? "" : " and ") + "isolated (each quantized op fed the float model's inputs)";
  h += "<p class=\"note\">" + std::to_string(report.samples) + " samples; " + std::to_string(report.layers.size()) +
       " layers; views: " + html_escape(views) + ". Error = float &minus; dequantized(quantized).</p>\n";
  for (const OutputReport& o : report.outputs)
    h += "<p class=\"note\">Output <code>" + html_escape(o.name) + "</code>: MSE " + cell(o.mean_squared_error, 4) +
         ", max abs error " + cell(o.max_abs_error, 4) +
         (std::isnan(o.top1_agreement) ? std::string() : fmt::format(", top-1 agreement {:.2f}%", 100.0 * o.top1_agreement)) +
         "</p>\n";
  h += "</header>\n<div class=\"page\">\n<main>\n";
  if (!library.available())
    h += "<p class=\"missing\">This build of quantlab has no charting library (it could not be fetched when quantlab "
         "was built), so the charts are missing; the layer table has the main numbers and the CSV and JSON files "
         "beside this page have all of them.</p>\n";
  if (report.layers.empty()) h += "<p>No layer of the two models could be paired: nothing to chart.</p>\n";
  for (size_t i = 0; i < layer_metrics().size() && !report.layers.empty(); ++i) {
    const LayerMetricInfo& m = layer_metrics()[i];
    h += fmt::format("<section class=\"chart\"><h2>{}</h2><p class=\"note\">{}</p><div class=\"box\"><canvas id=\"chart-{}\" "
                     "role=\"img\" aria-label=\"{} per layer\"></canvas></div></section>\n",
                     html_escape(m.name), html_escape(m.description), i, html_escape(m.name));
  }
  h += "</main>\n<aside>\n<h2>Layer index</h2>\n<table>\n<tr><th>layer</th><th>op and tensor</th><th>scale</th>"
       "<th>rmse/scale<br>propagated</th><th>rmse/scale<br>isolated</th></tr>\n";
  auto rmse = [](const LayerReport& l, DebugView v) { return l.view(v) ? l.view(v)->rmse_over_scale : LayerErrorStats::kNaN; };
  for (const LayerReport& l : report.layers) {
    const bool suspect = rmse(l, DebugView::kPropagated) > context.suspect_threshold ||
                         rmse(l, DebugView::kIsolated) > context.suspect_threshold;
    h += fmt::format("<tr{}><td class=\"num\">{}</td><td>{}<br><code>{}</code></td><td class=\"num\">{}</td>"
                     "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                     suspect ? " class=\"suspect\"" : "", l.layer, html_escape(l.op_name), html_escape(l.tensor_name),
                     l.has_scale ? cell(l.scale, 6) : "–", cell(rmse(l, DebugView::kPropagated), 3),
                     cell(rmse(l, DebugView::kIsolated), 3));
  }
  h += "</table>\n<p class=\"note\">Highlighted rows exceed the suspect threshold (rmse/scale &gt; " +
       cell(context.suspect_threshold, 3) + ").</p>\n</aside>\n</div>\n";
  h += "<script type=\"application/json\" id=\"debug-data\">" + script_safe(chart_data(report, context).dump()) +
       "</script>\n";
  if (library.available() && !report.layers.empty()) {
    h += library_script(library.name, library.version, library.license, library.source);
    h += std::string("<script>") + kScript + "</script>\n";
    h += "<noscript><p class=\"missing\">The charts need JavaScript; the layer table has the main numbers.</p></noscript>\n";
  }
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace quantlab
