// What the study's reports say, laid out once and rendered twice: the
// markdown report and the HTML page walk the same tables and paragraphs, so
// the two can never disagree about a number, a mark or a missing cell.
// Everything here is formatting of StudyResults; nothing is computed anew
// except the marks and the relative sizes derived from the stored numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/eval/evaluate.h"
#include "quantlab/quant/schemes.h"
#include "quantlab/report/metrics_table.h"
#include "quantlab/study/results.h"

namespace quantlab::study::report {

// One table cell. `hover` explains what the text alone cannot (why a cell
// is empty, a full error, a list that was shortened); the HTML shows it on
// hover, the markdown leaves it out unless the cell would otherwise be bare.
struct Cell {
  std::string text;
  Mark mark = Mark::kNone;  // drawn after the text
  std::string hover;
  bool numeric = false;     // right-aligned, tabular digits
  bool code = false;        // tensor and file names
  bool prose = false;       // long free text: the HTML gives it room to wrap
  std::string link;         // HTML only: a path relative to the output directory
  // HTML only: further (label, path) links shown after the text, "csv · json".
  std::vector<std::pair<std::string, std::string>> links;
};

struct Table {
  std::string caption;
  // Optional first header row of column groups: (label, columns spanned).
  std::vector<std::pair<std::string, int>> groups;
  std::vector<std::string> header;
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> notes;  // printed below: legends, tolerances
};

// A column of the original study's tables: one model size at one stage.
struct Version {
  std::string size;  // "lean", "fat"
  Stage stage = Stage::kOriginal;
};
std::string version_label(const Version& version);  // "Lean, before pruning"

// Which sizes, stages, strategies and schemes a family has, in the order the
// configuration names them (then any the results add), and its metrics.
struct FamilyLayout {
  std::string name;
  std::vector<std::string> sizes;
  std::vector<Stage> stages;
  std::vector<Strategy> strategies;
  std::vector<Scheme> schemes;
  Task task = Task::kAuto;
  std::string main_metric;           // "Accuracy"; "Binary Accuracy" for multilabel
  std::vector<std::string> metrics;  // the six (or seven) columns of the per-version tables
  std::vector<Version> versions() const;  // stage-major, as the original study's columns
};

// Finds results by their coordinates; null when the study has none.
class StudyIndex {
 public:
  explicit StudyIndex(const StudyResults& results) : results_(results) {}
  const StudyResults& results() const { return results_; }
  const PipelineResult* pipeline(const std::string& family, const Version& version, Strategy strategy,
                                 Scheme scheme) const;
  const StageModel* model(const std::string& family, const Version& version, Strategy strategy) const;
  std::vector<FamilyLayout> families() const;

 private:
  const StudyResults& results_;
};

// Why a cell has no value: the pipeline's (or its model's) error, a missing
// metric, or a pipeline the study did not run.
std::string missing_reason(const StudyIndex& index, const std::string& family, const Version& version,
                           Strategy strategy, Scheme scheme, const std::string& metric);

// Number formats shared by both reports.
std::string format_percent(double fraction);        // "92.3%", "–" for NaN
std::string format_fraction(double value);          // "0.923", "–" for NaN
std::string format_count(int64_t value);            // "12,345"
std::string format_bytes(int64_t bytes);            // "12,345 B (12.1 KiB)"
std::string format_change(double now, double before);  // "−42.0%" relative change
std::string format_seconds(double seconds);         // "4 min 12 s"
std::string format_general(double value);           // 4 significant digits, "–" for NaN

// The original study's accuracy table of one family and strategy: rows = schemes,
// columns = versions. QAT cells carry their mark against the PTQ cell.
Table main_metric_table(const StudyIndex& index, const FamilyLayout& family, Strategy strategy);
// The original study's per-model table: every metric of every scheme of one version,
// marked against the unquantized row.
MetricsTable version_metrics_table(const StudyIndex& index, const FamilyLayout& family, const Version& version,
                                   Strategy strategy);
// The same as a Table, with hover reasons for missing and failed rows.
Table version_metrics_cells(const StudyIndex& index, const FamilyLayout& family, const Version& version,
                            Strategy strategy);
Table model_sizes_table(const StudyIndex& index, const FamilyLayout& family);
Table scheme_file_sizes_table(const StudyIndex& index, const FamilyLayout& family);
Table tensor_dtype_table(const StudyIndex& index, const FamilyLayout& family);
// Answers "why are the unquantized and DRQ models almost identical?" from
// one version's tensor analyses and metrics; empty when the study has no
// float/DRQ pair with analyses.
std::vector<std::string> float_vs_drq_explanation(const StudyIndex& index, const FamilyLayout& family);
// The integer-input schemes (FIQ – Int8, FIQ – UInt8) evaluated twice:
// with real inputs quantized correctly (rounded, saturated) and by a plain
// C cast (truncated, wrapped), as a naive harness does. Rows = scheme and
// strategy, columns = versions, cells "correct / naive cast (Δ points)" of
// the main metric. No rows when the family has neither scheme.
Table input_quantization_table(const StudyIndex& index, const FamilyLayout& family);
// Why the two differ, with the average and worst change over the family's
// pipelines evaluated both ways; empty when the table has no rows.
std::string input_quantization_explanation(const StudyIndex& index, const FamilyLayout& family);
Table layer_index_table(const StudyIndex& index, const FamilyLayout& family, const Version& version);
Table debug_summary_table(const StudyIndex& index, const FamilyLayout& family);

// "36 steps (30 run, 6 from the cache, 0 failed)"; empty when the results
// do not record their steps (written before the counts existed).
std::string step_counts_text(const StudyResults& results);

// The header's tables.
Table datasets_table(const StudyResults& results);
Table failures_table(const StudyResults& results);  // failed models and pipelines, with their errors
struct Counts {
  int64_t pipelines = 0, ok = 0, failed = 0, cached = 0, models = 0, failed_models = 0;
};
Counts count_results(const StudyResults& results);
// Whether every dataset of the configuration comes from a synthetic
// generator (the study's only dataset kinds today).
bool datasets_are_synthetic(const StudyResults& results);

}  // namespace quantlab::study::report
