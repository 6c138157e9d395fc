// `quantlab eval`: metrics of one or more models on a labelled dataset, as a
// table in the original study's layout.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantlab/core/file_io.h"
#include "quantlab/eval/evaluate.h"
#include "quantlab/report/metrics_table.h"
#include "quantlab/tflite/reader.h"
#include "subcommands.h"

namespace quantlab::cli {
namespace {

struct EvalArgs {
  std::vector<std::string> models;
  std::string data, labels;
  std::string task = "auto";
  float threshold = 0.5f;
  std::string average = "macro";
  std::string baseline;
  double tolerance = 0.5;
  std::string format = "md";
  std::string output;
  int threads = 0;
  int64_t batch = 1024;
  bool plain_cast = false;
  bool details = false;
};

Result<Dataset> load_data(const EvalArgs& a) {
  if (!a.labels.empty()) return read_dataset_npy_pair(a.data, a.labels);
  return read_dataset(a.data);
}

std::string row_name(const std::string& path) {
  const std::string scheme = scheme_from_filename(path);
  return scheme.empty() ? std::filesystem::path(path).stem().string() : scheme_display_name(scheme);
}

void print_details(const EvalResult& r, const Dataset& data) {
  auto label = [&](size_t i) { return i < data.label_names.size() ? data.label_names[i] : std::to_string(i); };
  if (r.multiclass) {
    std::printf("\n| class | precision | recall | f1 | support |\n|---|---:|---:|---:|---:|\n");
    for (size_t c = 0; c < r.multiclass->per_class.size(); ++c) {
      const ClassScores& s = r.multiclass->per_class[c];
      std::printf("| %s | %.3f | %.3f | %.3f | %lld |\n", label(c).c_str(), s.precision, s.recall, s.f1,
                  static_cast<long long>(s.support));
    }
    const ConfusionMatrix& cm = r.multiclass->confusion;
    std::printf("\nConfusion matrix (rows: true class, columns: predicted)\n\n| |");
    for (int32_t c = 0; c < cm.num_classes; ++c) std::printf(" %s |", label(static_cast<size_t>(c)).c_str());
    std::printf("\n|---|");
    for (int32_t c = 0; c < cm.num_classes; ++c) std::printf("---:|");
    std::printf("\n");
    for (int32_t t = 0; t < cm.num_classes; ++t) {
      std::printf("| %s |", label(static_cast<size_t>(t)).c_str());
      for (int32_t p = 0; p < cm.num_classes; ++p) std::printf(" %lld |", static_cast<long long>(cm.at(t, p)));
      std::printf("\n");
    }
  }
  if (r.multilabel) {
    std::printf("\n| label | precision | recall | f1 | jaccard | support |\n|---|---:|---:|---:|---:|---:|\n");
    for (size_t l = 0; l < r.multilabel->per_label.size(); ++l) {
      const ClassScores& s = r.multilabel->per_label[l];
      std::printf("| %s | %.3f | %.3f | %.3f | %.3f | %lld |\n", label(l).c_str(), s.precision, s.recall, s.f1,
                  s.jaccard, static_cast<long long>(s.support));
    }
  }
}

Status run(const EvalArgs& a) {
  QL_ASSIGN_OR_RETURN(Dataset data, load_data(a));
  EvalOptions options;
  options.task = *task_from_name(a.task);
  options.threshold = a.threshold;
  options.threads = a.threads;
  options.batch = a.batch;
  options.progress = true;
  options.input_quantization = a.plain_cast ? InputQuantization::kPlainCast : InputQuantization::kRoundSaturate;
  if (a.average == "micro") {
    options.multiclass_average = MulticlassAverage::kMicro;
    options.multilabel_average = MultilabelAverage::kMicro;
  } else if (a.average == "weighted") {
    options.multiclass_average = MulticlassAverage::kWeighted;
    options.multilabel_average = MultilabelAverage::kWeighted;
  } else if (a.average == "samples") {
    options.multilabel_average = MultilabelAverage::kSamples;
  }

  std::vector<std::string> models = a.models;
  // Files of one conversion (m.float.tflite, m.drq.tflite, ...) are listed in
  // the original study's row order whatever order the shell globbed them in.
  static const std::vector<std::string> kSchemeOrder = {"float", "drq", "fiq-f32", "fiq-int8", "fiq-uint8"};
  auto scheme_rank = [](const std::string& path) {
    const auto it = std::find(kSchemeOrder.begin(), kSchemeOrder.end(), scheme_from_filename(path));
    return it == kSchemeOrder.end() ? -1 : static_cast<int>(it - kSchemeOrder.begin());
  };
  if (std::all_of(models.begin(), models.end(), [&](const std::string& m) { return scheme_rank(m) >= 0; }))
    std::stable_sort(models.begin(), models.end(),
                     [&](const std::string& x, const std::string& y) { return scheme_rank(x) < scheme_rank(y); });
  std::optional<size_t> baseline;
  if (!a.baseline.empty()) {
    for (size_t i = 0; i < models.size(); ++i)
      if (models[i] == a.baseline || scheme_from_filename(models[i]) == a.baseline) baseline = i;
    if (!baseline) {
      if (!std::filesystem::exists(a.baseline))
        return invalid_argument("--baseline " + a.baseline + " is neither one of the models, a scheme among them, nor a file");
      models.insert(models.begin(), a.baseline);
      baseline = 0;
    }
  }

  MetricsTable table;
  table.baseline_row = baseline;
  table.tolerance_points = a.tolerance;
  table.title = "Metrics on " + std::filesystem::path(a.data).filename().string() + " (" +
                std::to_string(data.size()) + " samples)";
  std::vector<std::string> notes;
  int failures = 0;
  Status first_failure;
  std::optional<EvalResult> only;
  for (const std::string& path : models) {
    MetricsTable::Row row;
    row.name = row_name(path);
    auto graph = read_tflite_file(path);
    Result<EvalResult> result = graph.ok() ? evaluate(*graph, data, options) : Result<EvalResult>(graph.status());
    if (!result.ok()) {
      row.error = result.status().message();
      // Reader errors already start with the path; others get it prefixed.
      const std::string located = row.error.rfind(path, 0) == 0 ? row.error : path + ": " + row.error;
      if (failures++ == 0) first_failure = Status(result.status().code(), located);
    } else {
      if (table.columns.empty())
        for (const Metric& m : result->metrics) table.columns.push_back(m.name);
      for (const Metric& m : result->metrics) row.values.push_back(m.value);
      char buf[256];
      std::snprintf(buf, sizeof(buf), "%s: %s, %lld samples in %.3f s (%.0f samples/s)", row.name.c_str(),
                    task_name(result->task), static_cast<long long>(result->samples), result->seconds,
                    result->samples_per_second());
      notes.push_back(buf);
      if (models.size() == 1) only = std::move(*result);
    }
    table.rows.push_back(std::move(row));
  }
  for (auto& row : table.rows)
    if (row.error.empty() && row.values.size() != table.columns.size())
      row.error = "its task differs from the other models'";

  if (failures == static_cast<int>(models.size())) return models.size() == 1 ? first_failure
      : Status(first_failure.code(), first_failure.message() + " (all " + std::to_string(models.size()) + " models failed)");

  std::string text;
  if (a.format == "csv") {
    text = render_csv(table);
  } else if (a.format == "json") {
    nlohmann::json j = to_json(table);
    j["throughput"] = notes;
    text = j.dump(2) + "\n";
  } else {
    text = render_markdown(table) + "\n";
    for (const auto& n : notes) text += "- " + n + "\n";
  }
  if (a.output.empty()) {
    std::fputs(text.c_str(), stdout);
    if (only && a.format == "md" && a.details) print_details(*only, data);
  } else {
    QL_RETURN_IF_ERROR(write_file_atomic(a.output, text));
    std::printf("wrote %s\n", a.output.c_str());
  }
  // One error line: the first failure, with a count when several models were given.
  if (failures > 0 && models.size() == 1) return first_failure;
  if (failures > 0)
    return Status(first_failure.code(), first_failure.message() + " (" + std::to_string(failures) + " of " +
                                            std::to_string(models.size()) + " models failed; see the table)");
  return Status::Ok();
}

}  // namespace

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Metrics of one or more models on a labelled dataset, as one table");
  cmd->footer(
      "Rows are models (named by quantization scheme when the file name says it, e.g. m.fiq-int8.tflite\n"
      "-> \"FIQ – Int8\"), columns are the metrics of the task: multiclass (argmax) reports accuracy,\n"
      "precision, recall, F1, balanced accuracy and Cohen's kappa; multilabel (sigmoid outputs thresholded\n"
      "in the real domain) reports binary accuracy, precision, recall, F1, Hamming loss, Jaccard score and\n"
      "exact match. Definitions follow scikit-learn. Float data is quantized for int8/uint8 inputs with\n"
      "rounding and saturation; quantized outputs are dequantized before decisions.\n\n"
      "With --baseline, every cell is marked ↑ / ↓ against the baseline row, or ~ when within\n"
      "--tolerance percentage points.\n\n"
      "Data: an .npz with arrays x and y (optional label_names), a CSV (header; features then labels),\n"
      "or --data x.npy --labels y.npy.\n\n"
      "Examples:\n"
      "  quantlab eval out/*.tflite --data test.npz --baseline float\n"
      "  quantlab eval model.tflite --data test.npz --details     # per-class report, confusion matrix\n"
      "  quantlab eval a.tflite b.tflite --data test.csv --format csv -o table.csv");
  cmd->add_option("models", a->models, "Models to evaluate (.tflite)")->required();
  cmd->add_option("--data,-d", a->data, "Labelled dataset (.npz, .csv, or x.npy with --labels)")->required();
  cmd->add_option("--labels", a->labels, "Labels .npy when --data is an x .npy");
  cmd->add_option("--task", a->task, "multiclass, multilabel, binary, or auto (from the output and labels)")
      ->check(CLI::IsMember({"auto", "multiclass", "multilabel", "binary"}));
  cmd->add_option("--threshold", a->threshold, "Decision threshold on sigmoid outputs (real domain)");
  cmd->add_option("--average", a->average, "Averaging of precision/recall/F1: macro, micro, weighted, samples")
      ->check(CLI::IsMember({"macro", "micro", "weighted", "samples"}));
  cmd->add_option("--baseline", a->baseline, "Model file (or scheme name such as float) to mark the others against");
  cmd->add_option("--tolerance", a->tolerance, "Percentage points within which a cell is marked ~");
  cmd->add_option("--format", a->format, "md, csv or json")->check(CLI::IsMember({"md", "csv", "json"}));
  cmd->add_option("--output,-o", a->output, "Write the table to a file instead of stdout");
  cmd->add_option("--threads", a->threads, "Worker threads (default: all cores)");
  cmd->add_option("--batch", a->batch, "Samples per interpreter invoke")->check(positive_number());
  cmd->add_flag("--details", a->details, "With one model: per-class report and confusion matrix");
  cmd->add_flag("--plain-cast", a->plain_cast,
                "Quantize inputs by a plain cast (truncate and wrap), as a naive harness does: only to measure the damage");
  cmd->callback([a] {
    Status s = run(*a);
    if (!s.ok()) fail("eval", s);
  });
}

}  // namespace quantlab::cli
