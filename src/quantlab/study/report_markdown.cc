// report.md: the study's report as text. Same content as the HTML page
// (report_content.h), minus the charts: the debugger section lists each
// model's worst layers instead.
#include <fmt/format.h>

#include <set>

#include "quantlab/study/report.h"
#include "quantlab/study/report_content.h"

namespace quantlab::study {
namespace {

using report::Cell;
using report::FamilyLayout;
using report::StudyIndex;
using report::Table;
using report::Version;

// A table cell holds no '|' (it would split the cell) and no line break;
// '<' is written as an entity so that a tensor named "</script>" stays text
// when the markdown is rendered as HTML.
std::string md_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else if (c == '<') out += "&lt;";
    else out += c;
  }
  return out;
}

std::string md_cell(const Cell& cell) {
  if (cell.code && cell.text.find('`') == std::string::npos && !cell.text.empty()) {
    std::string body;
    for (char c : cell.text) body += c == '|' ? std::string("\\|") : (c == '\n' ? std::string(" ") : std::string(1, c));
    return "`" + body + "`" + mark_symbol(cell.mark);
  }
  return md_text(cell.text) + mark_symbol(cell.mark);
}

std::string render_table(const Table& t) {
  std::string s;
  if (!t.caption.empty()) s += "**" + md_text(t.caption) + "**\n\n";
  if (t.rows.empty()) return s + "(none)\n\n";
  // Markdown has one header row: column groups prefix their columns' names.
  std::vector<std::string> header = t.header;
  if (!t.groups.empty()) {
    size_t column = header.size();
    for (const auto& g : t.groups) column -= static_cast<size_t>(g.second);
    for (const auto& [label, span] : t.groups)
      for (int i = 0; i < span && column < header.size(); ++i, ++column) header[column] = label + " · " + header[column];
  }
  s += "|";
  for (const std::string& h : header) s += " " + md_text(h) + " |";
  s += "\n|";
  for (size_t c = 0; c < header.size(); ++c) {
    const bool numeric = !t.rows.empty() && c < t.rows[0].size() && t.rows[0][c].numeric;
    s += numeric ? "---:|" : "---|";
  }
  s += "\n";
  // Cells without a value say why below the table, once per distinct reason.
  std::vector<std::string> reasons;
  std::set<std::string> seen;
  for (const std::vector<Cell>& row : t.rows) {
    s += "|";
    for (size_t c = 0; c < header.size(); ++c) {
      const Cell empty;
      const Cell& cell = c < row.size() ? row[c] : empty;
      s += " " + md_cell(cell) + " |";
      if (cell.text == "–" && !cell.hover.empty() && seen.insert(cell.hover).second) {
        const std::string where = (row.empty() ? std::string() : row[0].text) + " / " + header[c];
        reasons.push_back(where + ": " + cell.hover);
      }
    }
    s += "\n";
  }
  s += "\n";
  for (const std::string& n : t.notes) s += md_text(n) + "\n";
  if (!reasons.empty()) {
    s += "\nMissing values:\n";
    for (const std::string& r : reasons) s += "- " + md_text(r) + "\n";
  }
  return s + "\n";
}

void render_family(const StudyIndex& index, const FamilyLayout& family, std::string* s) {
  *s += "## " + family.name + "\n\n";
  *s += "### Prediction accuracy\n\n";
  for (Strategy strategy : family.strategies) *s += render_table(report::main_metric_table(index, family, strategy));

  const Table input_quantization = report::input_quantization_table(index, family);
  if (!input_quantization.rows.empty()) {
    *s += "### Input quantization: correct vs naive cast\n\n";
    *s += md_text(report::input_quantization_explanation(index, family)) + "\n\n";
    *s += render_table(input_quantization);
  }

  *s += "### Every metric per model version\n\n";
  // The final models first, as the original study shows them; then every other version.
  std::vector<Version> versions;
  for (const Version& v : family.versions())
    if (v.stage == Stage::kFinal) versions.push_back(v);
  for (const Version& v : family.versions())
    if (v.stage != Stage::kFinal) versions.push_back(v);
  for (const Version& v : versions)
    for (Strategy strategy : family.strategies) {
      bool any = false;
      for (Scheme scheme : family.schemes) any = any || index.pipeline(family.name, v, strategy, scheme) != nullptr;
      if (!any) continue;
      MetricsTable table = report::version_metrics_table(index, family, v, strategy);
      for (MetricsTable::Row& row : table.rows) row.error = md_text(row.error);
      *s += fmt::format("#### {}, {} – {}\n\n", family.name, report::version_label(v),
                        strategy == Strategy::kPtq ? "PTQ" : "QAT") +
            render_markdown(table) + "\n";
    }

  *s += "### Model sizes\n\n";
  *s += render_table(report::model_sizes_table(index, family));
  *s += render_table(report::scheme_file_sizes_table(index, family));

  *s += "### Tensors by dtype\n\n";
  for (const std::string& p : report::float_vs_drq_explanation(index, family)) *s += md_text(p) + "\n\n";
  *s += render_table(report::tensor_dtype_table(index, family));

  *s += "### Quantization debugger\n\n";
  const Table debug = report::debug_summary_table(index, family);
  *s += render_table(debug);
  bool any_worst = false;
  for (Strategy strategy : family.strategies)
    for (const Version& v : family.versions())
      for (Scheme scheme : family.schemes) {
        const PipelineResult* p = index.pipeline(family.name, v, strategy, scheme);
        if (p == nullptr || !p->debug || p->debug->worst_layers.empty()) continue;
        if (!any_worst) *s += "Worst layers of each debugged model, worst first:\n\n";
        any_worst = true;
        *s += fmt::format("- {}, {}, {}:\n", report::version_label(v), strategy == Strategy::kPtq ? "PTQ" : "QAT",
                          scheme_display_name(scheme_name(scheme)));
        for (const std::string& w : p->debug->worst_layers)
          *s += w.find('`') == std::string::npos ? "  - `" + w + "`\n" : "  - " + md_text(w) + "\n";
      }
  if (any_worst) *s += "\n";

  *s += "### Layer indexes\n\n";
  for (const Version& v : family.versions()) {
    const Table t = report::layer_index_table(index, family, v);
    if (!t.rows.empty()) *s += render_table(t);
  }
}

}  // namespace

std::string report_markdown(const StudyResults& results) {
  const StudyIndex index(results);
  const report::Counts counts = report::count_results(results);
  std::string s = "# Study report: " + md_text(results.name) + "\n\n";
  s += "- Profile: " + md_text(results.profile) + "\n";
  for (const std::string& n : results.profile_notes) s += "  - " + md_text(n) + "\n";
  s += "- Started: " + md_text(results.started_at) + "; wall time " + report::format_seconds(results.wall_seconds) +
       "; " + std::to_string(results.jobs) + (results.jobs == 1 ? " job" : " jobs");
  const std::string steps = report::step_counts_text(results);
  s += (steps.empty() ? "" : "; " + steps) + "\n";
  s += fmt::format("- Pipelines: {} ({} ok, {} failed, {} taken from a previous run); float models: {} ({} failed)\n\n",
                   counts.pipelines, counts.ok, counts.failed, counts.cached, counts.models, counts.failed_models);
  if (report::datasets_are_synthetic(results))
    s += "All datasets are synthetic, made on the fly by quantlab's generators: the numbers show how the "
         "compression and quantization steps behave, not the original study's accuracies on its real data.\n\n";
  s += render_table(report::datasets_table(results));
  if (counts.failed + counts.failed_models > 0) s += render_table(report::failures_table(results));

  for (const FamilyLayout& family : index.families()) render_family(index, family, &s);

  s += "## Study configuration\n\n```json\n" +
       results.config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n```\n";
  return s;
}

}  // namespace quantlab::study
