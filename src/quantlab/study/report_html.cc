// report.html: the study's report as one self-contained page. Tables are
// plain HTML (they render with scripts off); the charts are drawn by the
// inlined charting library from one JSON block holding the numbers once,
// which every chart of the page reads.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "quantlab/debug/chart_library.h"
#include "quantlab/debug/error_metrics.h"
#include "quantlab/report/html.h"
#include "quantlab/study/report.h"
#include "quantlab/study/report_content.h"

namespace quantlab::study {
namespace {

using report::Cell;
using report::FamilyLayout;
using report::StudyIndex;
using report::Table;
using report::Version;

std::string esc(const std::string& s) { return html_escape(s); }

// The data block is JSON, where '<' can only occur inside strings: written
// as \u003c it can neither close the element ("</script>") nor open the
// comment-like state ("<!--<script>") in which the parser would skip the
// element's real end tag. JSON.parse reads the same strings back.
std::string json_script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size() + 32);
  for (char c : json) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

// Chart values keep five significant digits: more than a chart or its
// tooltip shows, in a third of the characters of a full double.
nlohmann::json number_or_null(double v) {
  if (!std::isfinite(v)) return nullptr;
  return std::stod(fmt::format("{:.5g}", v));
}

// Op and tensor names repeat across the runs of a family (every scheme of a
// version has the same layers): the data block lists each name once and
// runs refer to it by position.
class NameTable {
 public:
  size_t index(const std::string& name) {
    auto [it, inserted] = positions_.emplace(name, names_.size());
    if (inserted) names_.push_back(name);
    return it->second;
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::map<std::string, size_t> positions_;
  std::vector<std::string> names_;
};

const char* mark_class(Mark m) {
  switch (m) {
    case Mark::kUp: return "up";
    case Mark::kDown: return "down";
    case Mark::kSame: return "same";
    case Mark::kNone: return "";
  }
  return "";
}

std::string render_cell(const Cell& c, bool header_column) {
  std::string classes;
  if (c.numeric) classes += " num";
  if (c.text == "–" && !c.hover.empty()) classes += " missing";
  if (!c.links.empty()) classes += " links";
  if (c.prose) classes += " prose";
  std::string h = header_column ? "<th scope=\"row\"" : "<td";
  if (!classes.empty()) h += " class=\"" + classes.substr(1) + "\"";
  if (!c.hover.empty()) h += " title=\"" + esc(c.hover) + "\"";
  h += ">";
  std::string body = c.code ? "<code>" + esc(c.text) + "</code>" : esc(c.text);
  if (!c.link.empty()) body = "<a href=\"" + esc(c.link) + "\">" + body + "</a>";
  if (!c.links.empty()) {
    body.clear();
    for (const auto& [label, path] : c.links)
      body += (body.empty() ? "" : " · ") + std::string("<a href=\"") + esc(path) + "\" title=\"" + esc(path) + "\">" +
              esc(label) + "</a>";
  }
  h += body;
  if (c.mark != Mark::kNone)
    h += std::string("<span class=\"mark ") + mark_class(c.mark) + "\">" + mark_symbol(c.mark) + "</span>";
  return h + (header_column ? "</th>" : "</td>");
}

std::string render_table(const Table& t, const std::string& id = "") {
  std::string h;
  if (t.rows.empty()) {
    if (!t.caption.empty()) h += "<p class=\"caption\">" + esc(t.caption) + "</p>";
    return h + "<p class=\"note\">None.</p>\n";
  }
  h += "<div class=\"tw\"><table" + (id.empty() ? std::string() : " id=\"" + esc(id) + "\"") + ">";
  if (!t.caption.empty()) h += "<caption>" + esc(t.caption) + "</caption>";
  h += "<thead>";
  if (!t.groups.empty()) {
    int grouped = 0;
    for (const auto& g : t.groups) grouped += g.second;
    const int leading = static_cast<int>(t.header.size()) - grouped;
    h += "<tr>";
    if (leading > 0) h += fmt::format("<th colspan=\"{}\"></th>", leading);
    for (const auto& [label, span] : t.groups) h += fmt::format("<th colspan=\"{}\" class=\"group\">{}</th>", span, esc(label));
    h += "</tr>";
  }
  h += "<tr>";
  for (size_t c = 0; c < t.header.size(); ++c) {
    const bool numeric = c < t.rows[0].size() && t.rows[0][c].numeric;
    h += std::string("<th scope=\"col\"") + (numeric ? " class=\"num\"" : "") + ">" + esc(t.header[c]) + "</th>";
  }
  h += "</tr></thead><tbody>\n";
  for (const std::vector<Cell>& row : t.rows) {
    h += "<tr>";
    for (size_t c = 0; c < row.size(); ++c) h += render_cell(row[c], c == 0);
    h += "</tr>\n";
  }
  h += "</tbody></table></div>\n";
  bool any_missing = false;
  for (const std::vector<Cell>& row : t.rows)
    for (const Cell& c : row) any_missing = any_missing || (c.text == "–" && !c.hover.empty());
  if (any_missing) h += "<p class=\"note\">– : no value; hover the cell for the reason.</p>\n";
  for (const std::string& n : t.notes) h += "<p class=\"note\">" + esc(n) + "</p>\n";
  return h;
}

// The numbers the charts draw, each held once: per family its version
// labels, the main metric per strategy, scheme and version, and every
// debugger run's per-layer statistics.
nlohmann::json chart_data(const StudyIndex& index, const std::vector<FamilyLayout>& families) {
  nlohmann::json data;
  data["families"] = nlohmann::json::array();
  for (const FamilyLayout& f : families) {
    nlohmann::json fam;
    fam["name"] = f.name;
    fam["metric"] = f.main_metric;
    const std::vector<Version> versions = f.versions();
    fam["versions"] = nlohmann::json::array();
    for (const Version& v : versions) fam["versions"].push_back(report::version_label(v));
    fam["schemes"] = nlohmann::json::array();
    for (Scheme s : f.schemes)
      fam["schemes"].push_back({{"name", scheme_name(s)}, {"label", scheme_display_name(scheme_name(s))}});
    nlohmann::json main = nlohmann::json::object();
    for (Strategy strategy : f.strategies) {
      nlohmann::json per_scheme = nlohmann::json::array();
      for (Scheme s : f.schemes) {
        nlohmann::json values = nlohmann::json::array();
        for (const Version& v : versions) {
          const PipelineResult* p = index.pipeline(f.name, v, strategy, s);
          values.push_back(p != nullptr && p->error.empty() ? number_or_null(p->metric(f.main_metric)) : nullptr);
        }
        per_scheme.push_back(values);
      }
      main[strategy_name(strategy)] = per_scheme;
    }
    fam["main"] = main;
    std::vector<std::string> statistics;
    NameTable names;
    nlohmann::json runs = nlohmann::json::array();
    for (Strategy strategy : f.strategies)
      for (size_t vi = 0; vi < versions.size(); ++vi)
        for (Scheme s : f.schemes) {
          const PipelineResult* p = index.pipeline(f.name, versions[vi], strategy, s);
          if (p == nullptr || !p->debug) continue;
          const DebugSummary& d = *p->debug;
          for (const std::string& stat : d.statistics)
            if (std::find(statistics.begin(), statistics.end(), stat) == statistics.end()) statistics.push_back(stat);
          nlohmann::json run{{"strategy", strategy_name(strategy)}, {"scheme", scheme_name(s)}, {"version", vi}};
          nlohmann::json layers = nlohmann::json::array(), ops = nlohmann::json::array(),
                         tensors = nlohmann::json::array();
          for (const DebugLayer& l : d.layers) {
            layers.push_back(l.layer);
            ops.push_back(names.index(l.op_name));
            tensors.push_back(names.index(l.tensor_name));
          }
          run["layers"] = layers;
          run["ops"] = ops;
          run["tensors"] = tensors;
          run["values"] = nlohmann::json::object();
          for (const char* view : {"propagated", "isolated"}) {
            bool any = false;
            nlohmann::json per_stat = nlohmann::json::object();
            for (const std::string& stat : d.statistics) {
              nlohmann::json values = nlohmann::json::array();
              for (const DebugLayer& l : d.layers) {
                const std::map<std::string, double>& m = std::string(view) == "propagated" ? l.propagated : l.isolated;
                auto it = m.find(stat);
                any = any || it != m.end();
                values.push_back(it == m.end() ? nlohmann::json() : number_or_null(it->second));
              }
              per_stat[stat] = values;
            }
            if (any) run["values"][view] = per_stat;
          }
          runs.push_back(run);
        }
    fam["names"] = names.names();
    fam["statistics"] = statistics;
    fam["runs"] = runs;
    data["families"].push_back(fam);
  }
  return data;
}

const char* kStyle = R"CSS(
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #e3e5e8; --head: #f1f3f6; --accent: #2f5fc4; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
.layout { display: grid; grid-template-columns: 17rem minmax(0, 1fr); }
nav.toc { position: sticky; top: 0; height: 100vh; overflow: auto; padding: 1rem 1rem 2rem; background: #f7f8fa;
  border-right: 1px solid var(--line); font-size: .86rem; }
nav.toc ul { list-style: none; padding-left: .8rem; margin: .2rem 0; }
nav.toc > ul { padding-left: 0; }
nav.toc a { color: var(--fg); text-decoration: none; }
nav.toc a:hover { color: var(--accent); text-decoration: underline; }
main { padding: 1.2rem 2rem 4rem; max-width: 86rem; }
h1 { font-size: 1.6rem; margin: 0 0 .6rem; }
h2 { font-size: 1.3rem; margin: 2.4rem 0 .6rem; padding-top: .6rem; border-top: 2px solid var(--line); }
h3 { font-size: 1.08rem; margin: 1.6rem 0 .4rem; }
h4 { font-size: .98rem; margin: 1rem 0 .3rem; }
p { max-width: 62rem; }
.note, .caption { color: var(--muted); font-size: .86rem; margin: .2rem 0 .6rem; }
.caption { font-weight: 600; color: var(--fg); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .4rem 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.tw { overflow: auto; max-height: 75vh; margin: .3rem 0 .4rem; border: 1px solid var(--line); border-radius: 4px; }
table { border-collapse: separate; border-spacing: 0; font-size: .84rem; min-width: 100%; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: .4rem .6rem; background: #fff; }
thead { position: sticky; top: 0; z-index: 2; }
th, td { padding: 4px 9px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--head); border-bottom: 1px solid #cfd3d9; white-space: nowrap; }
thead th.num { text-align: right; }
thead th.group { text-align: center; border-left: 1px solid #cfd3d9; }
tbody th { font-weight: 500; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.links { white-space: nowrap; }
td.prose { min-width: 22rem; }
td.missing { color: #9aa0a6; cursor: help; }
tbody tr:hover { background: #f8fafd; }
.mark { margin-left: .2em; font-weight: 700; }
.mark.up { color: #1b7f3b; } .mark.down { color: #c62828; } .mark.same { color: #80868b; }
code { font: .8rem/1.3 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
pre { background: #f7f8fa; border: 1px solid var(--line); padding: .8rem; overflow: auto; font-size: .8rem; max-height: 40rem; }
details { margin: .3rem 0; }
details > summary { cursor: pointer; color: var(--accent); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(28rem, 1fr)); gap: 1rem 1.4rem; margin: .6rem 0; }
.chart h4 { margin: 0 0 .2rem; }
.charts.wide { grid-template-columns: repeat(auto-fill, minmax(40rem, 1fr)); }
.chart-box { position: relative; height: 270px; }
.controls { display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; margin: .4rem 0; font-size: .9rem; }
.controls select { font: inherit; padding: 1px 4px; }
.warning { border: 1px solid #e0b4b4; background: #fff6f6; padding: .6rem .8rem; border-radius: 4px; }
.explain { background: #f6f9ff; border-left: 3px solid var(--accent); padding: .5rem .9rem; margin: .6rem 0; }
.explain p { margin: .3rem 0; }
@media (max-width: 900px) { .layout { display: block; } nav.toc { position: static; height: auto; } }
)CSS";

// Installed before anything else runs, so that an error in the charting
// library or the page's own script is counted: tests read the count from
// the body's data-errors attribute.
const char* kErrorCapture = R"JS(
window.reportErrors = [];
window.onerror = function (message, source, line) {
  window.reportErrors.push(String(message) + (line ? ' (line ' + line + ')' : ''));
};
(function () {
  var original = console.error;
  console.error = function () {
    window.reportErrors.push(Array.prototype.map.call(arguments, String).join(' '));
    if (original) original.apply(console, arguments);
  };
})();
)JS";

// Draws every canvas marked data-chart from the data block. Never throws:
// each chart is drawn in its own try, a missing value is a gap, and the
// final counts go to the body's data attributes.
const char* kPageScript = R"JS(
(function () {
  var drawn = 0;
  var body = document.body;
  function finish() {
    body.dataset.charts = String(drawn);
    body.dataset.errors = String(window.reportErrors.length);
    var list = document.getElementById('page-errors');
    if (list && window.reportErrors.length) {
      list.hidden = false;
      list.textContent = 'Errors while drawing the page:\n' + window.reportErrors.join('\n');
    }
    body.dataset.state = 'done';
  }
  try {
    var data = JSON.parse(document.getElementById('report-data').textContent);
    if (typeof Chart === 'undefined') {
      var note = document.getElementById('charts-missing');
      if (note) note.hidden = false;
      finish();
      return;
    }
    var schemeColors = ['#4e79a7', '#59a14f', '#f28e2b', '#e15759', '#b07aa1', '#76b7b2', '#edc948'];
    var versionColors = ['#9ecae1', '#fdae6b', '#4292c6', '#f16913', '#08519c', '#a63603', '#74c476', '#238b45'];
    var charts = {};
    function family(i) { return (data.families || [])[i] || null; }
    function percent(v) { return v === null || v === undefined ? null : 100 * v; }

    // The PTQ and QAT charts of a family share one axis, so their bars compare by eye.
    function lowestTick(f) {
      var low = 100;
      Object.keys(f.main).forEach(function (strategy) {
        (f.main[strategy] || []).forEach(function (values) {
          (values || []).forEach(function (v) { if (v !== null && 100 * v < low) low = 100 * v; });
        });
      });
      return Math.max(0, Math.floor((low - 5) / 10) * 10);
    }

    function drawMain(canvas) {
      var f = family(Number(canvas.dataset.family));
      var strategy = canvas.dataset.strategy;
      if (!f || !f.main || !f.main[strategy]) return false;
      var datasets = f.schemes.map(function (s, i) {
        return { label: s.label, data: (f.main[strategy][i] || []).map(percent),
                 backgroundColor: schemeColors[i % schemeColors.length] };
      });
      new Chart(canvas, {
        type: 'bar',
        data: { labels: f.versions, datasets: datasets },
        options: {
          animation: false, maintainAspectRatio: false,
          // Accuracies sit far from zero: start the axis at the 10 below the lowest bar less 5.
          scales: { y: { min: lowestTick(f), max: 100, title: { display: true, text: f.metric + ' (%)' } } },
          plugins: { tooltip: { callbacks: { label: function (item) {
            return item.dataset.label + ': ' + (item.raw === null ? 'no value' : item.raw.toFixed(1) + '%');
          } } } }
        }
      });
      return true;
    }

    // The runs of one family shown for the current strategy, scheme and view.
    function selection(fi) {
      var get = function (role) {
        var el = document.querySelector('select[data-family="' + fi + '"][data-role="' + role + '"]');
        return el ? el.value : '';
      };
      return { strategy: get('strategy'), scheme: get('scheme'), view: get('view') };
    }

    function debugDatasets(f, fi, statistic) {
      var sel = selection(fi);
      var runs = (f.runs || []).filter(function (r) { return r.strategy === sel.strategy && r.scheme === sel.scheme; });
      var layerSet = {};
      runs.forEach(function (r) { (r.layers || []).forEach(function (l) { layerSet[l] = true; }); });
      var labels = Object.keys(layerSet).map(Number).sort(function (a, b) { return a - b; });
      var datasets = runs.map(function (r) {
        var values = (r.values && r.values[sel.view] && r.values[sel.view][statistic]) || [];
        var byLayer = {};
        (r.layers || []).forEach(function (l, k) { byLayer[l] = k; });
        return {
          label: f.versions[r.version] || ('version ' + r.version),
          data: labels.map(function (l) { var k = byLayer[l]; return k === undefined ? null : (values[k] === undefined ? null : values[k]); }),
          backgroundColor: versionColors[r.version % versionColors.length],
          run: r, byLayer: byLayer
        };
      });
      var status = document.getElementById('debug-status-' + fi);
      if (status) status.textContent = runs.length ? runs.length + ' model version(s) shown.' :
        'No debugger run for this strategy, scheme and view.';
      return { labels: labels.map(String), datasets: datasets };
    }

    function drawDebug(canvas) {
      var fi = Number(canvas.dataset.family);
      var f = family(fi);
      var statistic = f && f.statistics ? f.statistics[Number(canvas.dataset.stat)] : undefined;
      if (!f || statistic === undefined) return false;
      var chart = new Chart(canvas, {
        type: 'bar',
        data: debugDatasets(f, fi, statistic),
        options: {
          animation: false, maintainAspectRatio: false,
          scales: { x: { title: { display: true, text: 'layer index' } },
                    y: { beginAtZero: !(statistic === 'cosine_similarity' || statistic === 'sqnr_db'),
                         title: { display: true, text: statistic } } },
          plugins: { tooltip: { callbacks: { label: function (item) {
            var d = item.dataset, k = d.byLayer[Number(item.label)];
            var names = f.names || [];
            var where = k === undefined ? '' : ' – ' + names[d.run.ops[k]] + ' ' + names[d.run.tensors[k]];
            return d.label + ': ' + (item.raw === null ? 'no value' : Number(item.raw).toPrecision(4)) + where;
          } } } }
        }
      });
      charts[fi] = charts[fi] || [];
      charts[fi].push({ chart: chart, statistic: statistic });
      return true;
    }

    function refreshDebug(fi) {
      var f = family(fi);
      (charts[fi] || []).forEach(function (c) {
        try {
          c.chart.data = debugDatasets(f, fi, c.statistic);
          c.chart.update();
        } catch (e) { window.reportErrors.push('redraw: ' + e.message); }
      });
    }

    document.querySelectorAll('select[data-role]').forEach(function (el) {
      el.addEventListener('change', function () { refreshDebug(Number(el.dataset.family)); });
    });
    document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
      try {
        var ok = canvas.dataset.chart === 'main' ? drawMain(canvas) : drawDebug(canvas);
        if (ok) { drawn += 1; canvas.dataset.drawn = '1'; }
      } catch (e) {
        window.reportErrors.push(canvas.id + ': ' + (e && e.message ? e.message : String(e)));
      }
    });
    // Opened as report.html#exercise-selectors, the page redraws every
    // choice of every selector once and returns to the defaults, so a test
    // can check that no choice makes the charts throw.
    if (location.hash === '#exercise-selectors') {
      var exercised = 0;
      document.querySelectorAll('select[data-role]').forEach(function (el) {
        var original = el.value;
        Array.prototype.forEach.call(el.options, function (option) {
          el.value = option.value;
          refreshDebug(Number(el.dataset.family));
          exercised += 1;
        });
        el.value = original;
        refreshDebug(Number(el.dataset.family));
      });
      body.dataset.exercised = String(exercised);
    }
  } catch (e) {
    window.reportErrors.push('report script: ' + (e && e.message ? e.message : String(e)));
  }
  finish();
})();
)JS";

struct Toc {
  struct Entry {
    int level;
    std::string id, title;
  };
  std::vector<Entry> entries;
  std::string heading(int level, const std::string& id, const std::string& title) {
    entries.push_back({level, id, title});
    return fmt::format("<h{0} id=\"{1}\">{2}</h{0}>\n", level, esc(id), esc(title));
  }
  // Two levels: families (h2) and their sections (h3).
  std::string render() const {
    std::string h = "<nav class=\"toc\" aria-label=\"Contents\"><strong>Contents</strong>\n<ul>";
    bool item_open = false, sublist_open = false;
    for (const Entry& e : entries) {
      const std::string link = "<a href=\"#" + esc(e.id) + "\">" + esc(e.title) + "</a>";
      if (e.level <= 2) {
        if (sublist_open) h += "</ul>";
        if (item_open) h += "</li>";
        h += "\n<li>" + link;
        item_open = true;
        sublist_open = false;
      } else {
        if (!sublist_open) h += "<ul>";
        sublist_open = true;
        h += "<li>" + link + "</li>";
      }
    }
    if (sublist_open) h += "</ul>";
    if (item_open) h += "</li>";
    return h + "\n</ul></nav>\n";
  }
};

// Every (strategy, scheme) pair with a debugger run, for the selectors.
struct DebugChoices {
  std::vector<Strategy> strategies;
  std::vector<Scheme> schemes;
  bool propagated = false, isolated = false;
  std::vector<std::string> statistics;
  size_t runs = 0;
};

DebugChoices debug_choices(const StudyIndex& index, const FamilyLayout& f) {
  DebugChoices c;
  std::set<Strategy> strategies;
  std::set<Scheme> schemes;
  for (Strategy strategy : f.strategies)
    for (const Version& v : f.versions())
      for (Scheme s : f.schemes) {
        const PipelineResult* p = index.pipeline(f.name, v, strategy, s);
        if (p == nullptr || !p->debug) continue;
        ++c.runs;
        strategies.insert(strategy);
        schemes.insert(s);
        for (const std::string& stat : p->debug->statistics)
          if (std::find(c.statistics.begin(), c.statistics.end(), stat) == c.statistics.end()) c.statistics.push_back(stat);
        for (const DebugLayer& l : p->debug->layers) {
          c.propagated = c.propagated || !l.propagated.empty();
          c.isolated = c.isolated || !l.isolated.empty();
        }
      }
  for (Strategy s : all_strategies())
    if (strategies.count(s)) c.strategies.push_back(s);
  for (Scheme s : all_schemes())
    if (schemes.count(s)) c.schemes.push_back(s);
  return c;
}

std::string select_html(size_t family, const char* role, const char* label,
                        const std::vector<std::pair<std::string, std::string>>& options, const std::string& chosen) {
  std::string h = fmt::format("<label>{} <select data-family=\"{}\" data-role=\"{}\">", label, family, role);
  for (const auto& [value, text] : options)
    h += "<option value=\"" + esc(value) + "\"" + (value == chosen ? " selected" : "") + ">" + esc(text) + "</option>";
  return h + "</select></label>";
}

// The debugger's own one-line description of a statistic, or nothing for a
// name it does not know.
std::string statistic_description(const std::string& name) {
  for (const LayerMetricInfo& m : layer_metrics())
    if (name == m.name) return m.description;
  return "";
}

struct PageState {
  Toc toc;
  int canvases = 0;
};

std::string canvas_html(PageState* page, const std::string& id, const std::string& attributes, const std::string& title,
                        const std::string& note) {
  ++page->canvases;
  return "<div class=\"chart\"><h4>" + esc(title) + "</h4>" + (note.empty() ? "" : "<p class=\"note\">" + esc(note) + "</p>") +
         "<div class=\"chart-box\"><canvas id=\"" + esc(id) + "\" " + attributes + " role=\"img\" aria-label=\"" +
         esc(title) + "\"></canvas></div></div>\n";
}

std::string render_family(const StudyIndex& index, const FamilyLayout& f, size_t fi, PageState* page) {
  const std::string base = "family-" + std::to_string(fi);
  std::string h = "<section>\n" + page->toc.heading(2, base, f.name + " model");

  h += page->toc.heading(3, base + "-accuracy", "Prediction accuracy");
  for (Strategy strategy : f.strategies)
    h += render_table(report::main_metric_table(index, f, strategy), base + "-" + strategy_name(strategy) + "-table");
  if (!f.strategies.empty()) {
    h += "<div class=\"charts\">";
    for (Strategy strategy : f.strategies)
      h += canvas_html(page, fmt::format("{}-main-{}", base, strategy_name(strategy)),
                       fmt::format("data-chart=\"main\" data-family=\"{}\" data-strategy=\"{}\"", fi, strategy_name(strategy)),
                       fmt::format("{} – {} per version, {}", f.name, f.main_metric, strategy_display_name(strategy)), "");
    h += "</div>\n";
  }

  const Table input_quantization = report::input_quantization_table(index, f);
  if (!input_quantization.rows.empty()) {
    h += page->toc.heading(3, base + "-input-quantization", "Input quantization: correct vs naive cast");
    h += "<div class=\"explain\"><p>" + esc(report::input_quantization_explanation(index, f)) + "</p></div>\n";
    h += render_table(input_quantization, base + "-input-quantization-table");
  }

  h += page->toc.heading(3, base + "-metrics", "Every metric per model version");
  h += "<p class=\"note\">The final models are shown open, as in the original study's slides; every other version is one click "
       "away.</p>\n";
  for (bool finals : {true, false})
    for (const Version& v : f.versions()) {
      if ((v.stage == Stage::kFinal) != finals) continue;
      for (Strategy strategy : f.strategies) {
        bool any = false;
        for (Scheme scheme : f.schemes) any = any || index.pipeline(f.name, v, strategy, scheme) != nullptr;
        if (!any) continue;
        const Table t = report::version_metrics_cells(index, f, v, strategy);
        if (finals) h += render_table(t);
        else h += "<details><summary>" + esc(t.caption) + "</summary>" + render_table(t) + "</details>\n";
      }
    }

  h += page->toc.heading(3, base + "-sizes", "Model sizes");
  h += render_table(report::model_sizes_table(index, f));
  h += render_table(report::scheme_file_sizes_table(index, f));

  h += page->toc.heading(3, base + "-dtypes", "Tensors by dtype");
  const std::vector<std::string> explanation = report::float_vs_drq_explanation(index, f);
  if (!explanation.empty()) {
    h += "<div class=\"explain\">";
    for (const std::string& p : explanation) h += "<p>" + esc(p) + "</p>";
    h += "</div>\n";
  }
  h += render_table(report::tensor_dtype_table(index, f));

  h += page->toc.heading(3, base + "-debug", "Quantization debugger");
  const DebugChoices choices = debug_choices(index, f);
  if (choices.runs == 0) {
    h += "<p class=\"note\">No debugger run for this family (the debugger runs for quantized models when the "
         "configuration asks for debug samples).</p>\n";
  } else {
    std::vector<std::pair<std::string, std::string>> strategies, schemes, views;
    for (Strategy s : choices.strategies) strategies.push_back({strategy_name(s), strategy_display_name(s)});
    for (Scheme s : choices.schemes) schemes.push_back({scheme_name(s), scheme_display_name(scheme_name(s))});
    if (choices.propagated) views.push_back({"propagated", "propagated (each model on its own activations)"});
    if (choices.isolated) views.push_back({"isolated", "isolated (each op fed the float model's inputs)"});
    const bool has_ptq = std::find(choices.strategies.begin(), choices.strategies.end(), Strategy::kPtq) != choices.strategies.end();
    const bool has_int8 = std::find(choices.schemes.begin(), choices.schemes.end(), Scheme::kFullIntegerInt8Io) != choices.schemes.end();
    const std::string strategy = has_ptq ? "ptq" : strategies.front().first;
    const std::string scheme = has_int8 ? "fiq-int8" : schemes.front().first;
    h += "<p>One chart per statistic across the layer index, the model versions overlaid (as the original study's debugger "
         "slides). Choose which models to compare:</p>\n<div class=\"controls\">" +
         select_html(fi, "strategy", "Strategy", strategies, strategy) + select_html(fi, "scheme", "Scheme", schemes, scheme) +
         (views.empty() ? "" : select_html(fi, "view", "View", views, views.front().first)) +
         fmt::format("<span class=\"note\" id=\"debug-status-{}\"></span></div>\n<div class=\"charts wide\">", fi);
    for (size_t k = 0; k < choices.statistics.size(); ++k)
      h += canvas_html(page, fmt::format("{}-debug-{}", base, k),
                       fmt::format("data-chart=\"debug\" data-family=\"{}\" data-stat=\"{}\"", fi, k),
                       choices.statistics[k], statistic_description(choices.statistics[k]));
    h += "</div>\n<p class=\"note\">The layer indexes below say which op each index is, per version.</p>\n";
  }
  h += render_table(report::debug_summary_table(index, f));

  h += page->toc.heading(3, base + "-layers", "Layer indexes");
  for (const Version& v : f.versions()) {
    const Table t = report::layer_index_table(index, f, v);
    if (t.rows.empty()) continue;
    h += "<details><summary>" + esc(t.caption) + fmt::format(" ({} layers)", t.rows.size()) + "</summary>" +
         render_table(t) + "</details>\n";
  }
  return h + "</section>\n";
}

std::string facts_html(const StudyResults& results) {
  const report::Counts counts = report::count_results(results);
  std::string h = "<dl class=\"facts\">";
  auto fact = [&](const std::string& name, const std::string& value) {
    h += "<dt>" + esc(name) + "</dt><dd>" + value + "</dd>";
  };
  std::string profile = esc(results.profile);
  if (!results.profile_notes.empty()) {
    profile += "<ul>";
    for (const std::string& n : results.profile_notes) profile += "<li>" + esc(n) + "</li>";
    profile += "</ul>";
  }
  fact("Profile", profile);
  fact("Started", esc(results.started_at));
  fact("Wall time", esc(report::format_seconds(results.wall_seconds)));
  fact("Parallel jobs", std::to_string(results.jobs));
  const std::string steps = report::step_counts_text(results);
  if (!steps.empty()) fact("Steps", esc(steps));
  fact("Pipelines", esc(fmt::format("{} ({} ok, {} failed, {} taken from a previous run)", counts.pipelines, counts.ok,
                                    counts.failed, counts.cached)));
  fact("Float models", esc(fmt::format("{} ({} failed)", counts.models, counts.failed_models)));
  return h + "</dl>\n";
}

}  // namespace

std::string report_html(const StudyResults& results) {
  const StudyIndex index(results);
  const std::vector<FamilyLayout> families = index.families();
  const ChartLibrary& library = chart_library();
  PageState page;
  const report::Counts counts = report::count_results(results);

  std::string content = "<h1 id=\"top\">Study report: " + esc(results.name) + "</h1>\n";
  content += facts_html(results);
  content += page.toc.heading(2, "overview", "Overview");
  if (report::datasets_are_synthetic(results))
    content += "<p>All datasets are synthetic, made on the fly by quantlab's generators: the numbers show how the "
               "compression and quantization steps behave, not the original study's accuracies on its real data.</p>\n";
  content += render_table(report::datasets_table(results));
  if (counts.failed + counts.failed_models > 0) {
    content += page.toc.heading(3, "failures", "Failures");
    content += render_table(report::failures_table(results), "failures-table");
  }
  content += "<p class=\"warning\" id=\"charts-missing\"" + std::string(library.available() ? " hidden" : "") +
             ">The charts are missing: " +
             std::string(library.available()
                             ? "the page's scripts did not run (JavaScript is off or the charting library failed to load)."
                             : "this build of quantlab has no charting library (it could not be fetched when quantlab "
                               "was built).") +
             " Every number is in the tables.</p>\n";
  for (size_t fi = 0; fi < families.size(); ++fi) content += render_family(index, families[fi], fi, &page);
  content += page.toc.heading(2, "config", "Study configuration");
  content += "<pre>" + esc(results.config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "</pre>\n";

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Study report: " +
                  esc(results.name) + "</title>\n<style>" + kStyle + "</style>\n<script>" + kErrorCapture +
                  "</script>\n</head>\n";
  // data-charts and data-errors appear only once a script has counted
  // them, so a page whose scripts never ran cannot pass for a clean one.
  h += fmt::format("<body data-charts-expected=\"{}\" data-state=\"{}\">\n",
                   library.available() ? page.canvases : 0, library.available() ? "loading" : "no-library");
  h += "<div class=\"layout\">\n" + page.toc.render() + "<main>\n" + content +
       "<pre id=\"page-errors\" class=\"warning\" hidden></pre>\n</main>\n</div>\n";
  h += "<script type=\"application/json\" id=\"report-data\">" +
       json_script_safe(chart_data(index, families).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) +
       "</script>\n";
  if (library.available()) {
    h += library_script(library.name, library.version, library.license, library.source);
    h += std::string("<script>") + kPageScript + "</script>\n";
  } else {
    h += "<script>document.getElementById('charts-missing').hidden = false;"
         "document.body.dataset.charts = '0'; document.body.dataset.errors = String(window.reportErrors.length);"
         "document.body.dataset.state = 'done';"
         "</script>\n";
  }
  h += "<noscript><p class=\"warning\">The charts need JavaScript; every number is in the tables.</p></noscript>\n";
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace quantlab::study
