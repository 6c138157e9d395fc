#include "quantlab/study/report_content.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace quantlab::study::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Marks treat changes within half a percentage point as no change, as the
// original study's tables do.
constexpr double kTolerancePoints = 0.5;

std::string capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string lowercase_first(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

std::string lowercase(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

template <typename T>
void add_unique(std::vector<T>* list, const T& value) {
  if (std::find(list->begin(), list->end(), value) == list->end()) list->push_back(value);
}

// The strings of config[key][i][field], in order; nothing when the
// configuration lacks them (a report rendered from a hand-made results.json).
std::vector<std::string> config_strings(const nlohmann::json& config, const char* key, const char* field) {
  std::vector<std::string> out;
  if (!config.is_object() || !config.contains(key) || !config[key].is_array()) return out;
  for (const nlohmann::json& entry : config[key]) {
    if (field == nullptr && entry.is_string()) out.push_back(entry.get<std::string>());
    if (field != nullptr && entry.is_object() && entry.contains(field) && entry[field].is_string())
      out.push_back(entry[field].get<std::string>());
  }
  return out;
}

Cell text_cell(std::string text) {
  Cell c;
  c.text = std::move(text);
  return c;
}

Cell number_cell(std::string text, std::string hover = "") {
  Cell c;
  c.text = std::move(text);
  c.numeric = true;
  c.hover = std::move(hover);
  return c;
}

Cell prose_cell(std::string text) {
  Cell c;
  c.text = std::move(text);
  c.prose = true;
  return c;
}

Cell code_cell(std::string text) {
  Cell c;
  c.text = std::move(text);
  c.code = true;
  return c;
}

std::string scheme_label(Scheme scheme) { return scheme_display_name(scheme_name(scheme)); }

std::string strategy_short(Strategy strategy) { return strategy == Strategy::kPtq ? "PTQ" : "QAT"; }

std::string stage_short(Stage stage) {
  switch (stage) {
    case Stage::kOriginal: return "before pruning";
    case Stage::kPruned: return "pruned (before LRF)";
    case Stage::kFinal: return "final (pruned + LRF)";
  }
  return "?";
}

const DtypeCount* find_dtype(const TensorAnalysis& analysis, const std::string& dtype) {
  for (const DtypeCount& d : analysis.by_dtype)
    if (d.dtype == dtype) return &d;
  return nullptr;
}

std::string joined(const std::vector<std::string>& items, const std::string& separator, size_t limit) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? separator : "") + items[i];
  if (items.size() > limit) out += fmt::format("{}… ({} more)", separator, items.size() - limit);
  return out;
}

}  // namespace

std::string version_label(const Version& version) {
  return capitalized(version.size) + ", " + stage_short(version.stage);
}

std::vector<Version> FamilyLayout::versions() const {
  std::vector<Version> out;
  for (Stage stage : stages)
    for (const std::string& size : sizes) out.push_back({size, stage});
  return out;
}

const PipelineResult* StudyIndex::pipeline(const std::string& family, const Version& version, Strategy strategy,
                                           Scheme scheme) const {
  for (const PipelineResult& p : results_.pipelines)
    if (p.family == family && p.size == version.size && p.stage == version.stage && p.strategy == strategy &&
        p.scheme == scheme)
      return &p;
  return nullptr;
}

const StageModel* StudyIndex::model(const std::string& family, const Version& version, Strategy strategy) const {
  for (const StageModel& m : results_.models)
    if (m.family == family && m.size == version.size && m.stage == version.stage && m.strategy == strategy) return &m;
  return nullptr;
}

std::vector<FamilyLayout> StudyIndex::families() const {
  const nlohmann::json& config = results_.config;
  std::vector<std::string> names;
  for (const std::string& family : config_strings(config, "models", "family")) add_unique(&names, family);
  std::vector<std::string> configured_sizes = config_strings(config, "models", "size");
  for (const StageModel& m : results_.models) add_unique(&names, m.family);
  for (const PipelineResult& p : results_.pipelines) add_unique(&names, p.family);

  std::set<Stage> configured_stages;
  for (const std::string& s : config_strings(config, "stages", nullptr))
    if (auto stage = stage_from_name(s)) configured_stages.insert(*stage);
  std::set<Strategy> configured_strategies;
  for (const std::string& s : config_strings(config, "strategies", nullptr))
    if (auto strategy = strategy_from_name(s)) configured_strategies.insert(*strategy);
  std::set<Scheme> configured_schemes;
  for (const std::string& s : config_strings(config, "schemes", nullptr))
    if (auto scheme = scheme_from_name(s)) configured_schemes.insert(*scheme);

  std::vector<FamilyLayout> out;
  for (const std::string& name : names) {
    FamilyLayout f;
    f.name = name;
    std::set<Stage> stages = configured_stages;
    std::set<Strategy> strategies = configured_strategies;
    std::set<Scheme> schemes = configured_schemes;
    std::vector<std::string> sizes;
    if (config.is_object() && config.contains("models") && config["models"].is_array())
      for (const nlohmann::json& m : config["models"])
        if (m.is_object() && m.contains("family") && m["family"] == name && m.contains("size") && m["size"].is_string())
          add_unique(&sizes, m["size"].get<std::string>());
    for (const StageModel& m : results_.models) {
      if (m.family != name) continue;
      add_unique(&sizes, m.size);
      stages.insert(m.stage);
      strategies.insert(m.strategy);
    }
    for (const PipelineResult& p : results_.pipelines) {
      if (p.family != name) continue;
      add_unique(&sizes, p.size);
      stages.insert(p.stage);
      strategies.insert(p.strategy);
      schemes.insert(p.scheme);
      if (f.task == Task::kAuto && p.task != Task::kAuto) f.task = p.task;
      if (p.metrics.size() > f.metrics.size()) {
        f.metrics.clear();
        for (const Metric& m : p.metrics) f.metrics.push_back(m.name);
      }
    }
    // Sizes in the configured order first ("lean" before "fat"), whatever
    // order the pipelines finished in.
    std::stable_sort(sizes.begin(), sizes.end(), [&](const std::string& a, const std::string& b) {
      auto rank = [&](const std::string& s) {
        auto it = std::find(configured_sizes.begin(), configured_sizes.end(), s);
        return it - configured_sizes.begin();
      };
      return rank(a) < rank(b);
    });
    f.sizes = sizes;
    for (Stage s : all_stages())
      if (stages.count(s)) f.stages.push_back(s);
    for (Strategy s : all_strategies())
      if (strategies.count(s)) f.strategies.push_back(s);
    for (Scheme s : all_schemes())
      if (schemes.count(s)) f.schemes.push_back(s);
    if (f.task == Task::kAuto && std::find(f.metrics.begin(), f.metrics.end(), "Binary Accuracy") != f.metrics.end())
      f.task = Task::kMultilabel;
    f.main_metric = f.task == Task::kMultilabel ? "Binary Accuracy" : "Accuracy";
    if (f.metrics.empty()) f.metrics.push_back(f.main_metric);
    out.push_back(std::move(f));
  }
  return out;
}

std::string missing_reason(const StudyIndex& index, const std::string& family, const Version& version,
                           Strategy strategy, Scheme scheme, const std::string& metric) {
  const PipelineResult* p = index.pipeline(family, version, strategy, scheme);
  if (p == nullptr) {
    const StageModel* m = index.model(family, version, strategy);
    if (m != nullptr && !m->error.empty()) return "model not made: " + m->error;
    return "not run by this study";
  }
  if (!p->error.empty()) return "failed: " + p->error;
  const double v = p->metric(metric);
  if (std::isnan(v)) {
    for (const Metric& m : p->metrics)
      if (m.name == metric) return metric + " is undefined for this model (no value)";
    return metric + " was not computed";
  }
  return "";
}

std::string format_percent(double fraction) {
  if (!std::isfinite(fraction)) return "–";
  return fmt::format("{:.1f}%", 100.0 * fraction);
}

std::string format_fraction(double value) {
  if (!std::isfinite(value)) return "–";
  return fmt::format("{:.3f}", value);
}

std::string format_count(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (value < 0 ? "-" : "") + out;
}

std::string format_bytes(int64_t bytes) {
  if (bytes < 1024) return format_count(bytes) + " B";
  return fmt::format("{} B ({:.1f} KiB)", format_count(bytes), static_cast<double>(bytes) / 1024.0);
}

std::string format_change(double now, double before) {
  if (!std::isfinite(now) || !std::isfinite(before) || before == 0) return "–";
  const double change = 100.0 * (now - before) / before;
  if (std::fabs(change) < 0.05) return "±0.0%";
  return fmt::format("{}{:.1f}%", change < 0 ? "−" : "+", std::fabs(change));
}

std::string format_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "–";
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  const int64_t whole = static_cast<int64_t>(std::llround(seconds));
  if (whole < 3600) return fmt::format("{} min {} s", whole / 60, whole % 60);
  return fmt::format("{} h {} min", whole / 3600, (whole % 3600) / 60);
}

std::string format_general(double value) {
  if (std::isnan(value)) return "–";
  if (std::isinf(value)) return value > 0 ? "∞" : "−∞";
  return fmt::format("{:.4g}", value);
}

Table main_metric_table(const StudyIndex& index, const FamilyLayout& family, Strategy strategy) {
  Table t;
  const std::string what = family.task == Task::kMultilabel
                               ? "binary accuracy (the fraction of correct label decisions over every record and label)"
                               : "accuracy";
  t.caption = fmt::format("{} – prediction accuracy, {}: {} of every scheme and model version", family.name,
                          strategy_display_name(strategy), what);
  t.header.push_back("Quantization scheme");
  for (Stage stage : family.stages) t.groups.push_back({stage_display_name(stage), static_cast<int>(family.sizes.size())});
  for (const Version& v : family.versions()) t.header.push_back(capitalized(v.size));
  for (Scheme scheme : family.schemes) {
    std::vector<Cell> row{text_cell(scheme_label(scheme))};
    for (const Version& v : family.versions()) {
      const PipelineResult* p = index.pipeline(family.name, v, strategy, scheme);
      const double value = p != nullptr && p->error.empty() ? p->metric(family.main_metric) : kNaN;
      Cell c = number_cell(format_percent(value));
      if (std::isnan(value)) {
        c.hover = missing_reason(index, family.name, v, strategy, scheme, family.main_metric);
      } else if (strategy == Strategy::kQat) {
        const PipelineResult* ptq = index.pipeline(family.name, v, Strategy::kPtq, scheme);
        const double baseline = ptq != nullptr && ptq->error.empty() ? ptq->metric(family.main_metric) : kNaN;
        if (std::isnan(baseline)) {
          c.hover = "no PTQ value to compare with";
        } else {
          c.mark = mark_against(value, baseline, kTolerancePoints);
          c.hover = "PTQ: " + format_percent(baseline);
        }
      }
      row.push_back(std::move(c));
    }
    t.rows.push_back(std::move(row));
  }
  if (strategy == Strategy::kQat)
    t.notes.push_back(fmt::format("Marks compare each QAT cell with the PTQ cell of the same scheme and version: "
                                  "↑ higher, ↓ lower, ~ within {} percentage points.",
                                  kTolerancePoints));
  return t;
}

MetricsTable version_metrics_table(const StudyIndex& index, const FamilyLayout& family, const Version& version,
                                   Strategy strategy) {
  MetricsTable t;
  t.columns = family.metrics;
  t.tolerance_points = kTolerancePoints;
  t.decimals = 3;
  for (Scheme scheme : family.schemes) {
    MetricsTable::Row row;
    row.name = scheme_label(scheme);
    const PipelineResult* p = index.pipeline(family.name, version, strategy, scheme);
    if (p != nullptr && !p->error.empty()) row.error = p->error;
    for (const std::string& metric : family.metrics)
      row.values.push_back(p != nullptr && p->error.empty() ? p->metric(metric) : kNaN);
    if (scheme == Scheme::kFloat) t.baseline_row = t.rows.size();
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table version_metrics_cells(const StudyIndex& index, const FamilyLayout& family, const Version& version,
                            Strategy strategy) {
  const MetricsTable metrics = version_metrics_table(index, family, version, strategy);
  Table t;
  t.caption = fmt::format("{} {}, {}: every metric, each scheme marked against the unquantized model", family.name,
                          lowercase_first(version_label(version)), strategy_short(strategy));
  t.header.push_back("Quantization scheme");
  for (const std::string& c : metrics.columns) t.header.push_back(c);
  const MetricsTable::Row* baseline = metrics.baseline_row ? &metrics.rows[*metrics.baseline_row] : nullptr;
  for (size_t r = 0; r < metrics.rows.size(); ++r) {
    const MetricsTable::Row& row = metrics.rows[r];
    const Scheme scheme = family.schemes[r];
    std::vector<Cell> cells{text_cell(row.name)};
    for (size_t c = 0; c < metrics.columns.size(); ++c) {
      Cell cell = number_cell(format_fraction(row.values[c]));
      if (std::isnan(row.values[c])) {
        cell.hover = missing_reason(index, family.name, version, strategy, scheme, metrics.columns[c]);
      } else if (baseline != nullptr && baseline != &row && baseline->error.empty() &&
                 !std::isnan(baseline->values[c])) {
        cell.mark = mark_against(row.values[c], baseline->values[c], metrics.tolerance_points);
      }
      cells.push_back(std::move(cell));
    }
    t.rows.push_back(std::move(cells));
  }
  t.notes.push_back(fmt::format("↑ higher than the unquantized model, ↓ lower, ~ within {} percentage points; "
                                "arrows give the direction, not whether it is better (for Hamming loss lower is "
                                "better).",
                                kTolerancePoints));
  return t;
}

Table model_sizes_table(const StudyIndex& index, const FamilyLayout& family) {
  Table t;
  t.caption = family.name + " – model sizes: what each compression step cost and saved (float models)";
  t.header = {"Version", "Strategy", "Parameters", "Nonzero", "Sparsity", "MACs / sample", "File", "Deflated",
              "Deflated vs before pruning", "How it was made"};
  for (const std::string& size : family.sizes)
    for (Stage stage : family.stages)
      for (Strategy strategy : family.strategies) {
        const StageModel* m = index.model(family.name, {size, stage}, strategy);
        if (m == nullptr) continue;
        std::vector<Cell> row{text_cell(version_label({size, stage})), text_cell(strategy_short(strategy))};
        if (!m->error.empty()) {
          Cell failed = prose_cell("not made: " + m->error);
          row.push_back(failed);
          // The reason is in the row already.
          for (int i = 0; i < 7; ++i) row.push_back(number_cell("–"));
        } else {
          const StageModel* original = index.model(family.name, {size, Stage::kOriginal}, strategy);
          const bool has_original = original != nullptr && original->error.empty();
          row.push_back(number_cell(format_count(m->parameters)));
          row.push_back(number_cell(format_count(m->nonzero_parameters)));
          row.push_back(number_cell(format_percent(m->sparsity), "zeros among the prunable conv/dense weights"));
          row.push_back(number_cell(format_count(m->macs)));
          row.push_back(number_cell(format_bytes(m->file_bytes)));
          row.push_back(number_cell(format_bytes(m->deflated_bytes)));
          row.push_back(number_cell(
              has_original ? format_change(static_cast<double>(m->deflated_bytes), static_cast<double>(original->deflated_bytes))
                           : "–",
              has_original ? "" : "no before-pruning model to compare with"));
          Cell notes = prose_cell(joined(m->notes, "; ", 3));
          notes.hover = joined(m->notes, "\n", m->notes.size());
          row.push_back(std::move(notes));
        }
        t.rows.push_back(std::move(row));
      }
  t.notes.push_back("Deflated: the file compressed as a zip stores it; pruning zeros shrink it even though the "
                    "file itself keeps every weight.");
  return t;
}

Table scheme_file_sizes_table(const StudyIndex& index, const FamilyLayout& family) {
  Table t;
  t.caption = family.name + " – file size of every converted model (change against the unquantized model)";
  t.header = {"Version", "Strategy"};
  for (Scheme s : family.schemes) t.header.push_back(scheme_label(s));
  for (const std::string& size : family.sizes)
    for (Stage stage : family.stages)
      for (Strategy strategy : family.strategies) {
        std::vector<Cell> row{text_cell(version_label({size, stage})), text_cell(strategy_short(strategy))};
        bool any = false;
        for (Scheme scheme : family.schemes) {
          const PipelineResult* p = index.pipeline(family.name, {size, stage}, strategy, scheme);
          const PipelineResult* unquantized = index.pipeline(family.name, {size, stage}, strategy, Scheme::kFloat);
          if (p != nullptr && p->file_bytes > 0) {
            any = true;
            std::string text = format_count(p->file_bytes) + " B";
            if (scheme != Scheme::kFloat && unquantized != nullptr && unquantized->file_bytes > 0)
              text += " (" +
                      format_change(static_cast<double>(p->file_bytes), static_cast<double>(unquantized->file_bytes)) +
                      ")";
            row.push_back(number_cell(text, p->model_path));
          } else {
            row.push_back(number_cell("–", missing_reason(index, family.name, {size, stage}, strategy, scheme, "")));
          }
        }
        if (any) t.rows.push_back(std::move(row));
      }
  return t;
}

Table tensor_dtype_table(const StudyIndex& index, const FamilyLayout& family) {
  Table t;
  t.caption = family.name + " – tensors by dtype: what each conversion quantized (PTQ models)";
  t.header = {"Version", "Quantization scheme", "Tensors by dtype (constants)", "Weights quantized",
              "Activations quantized", "Kept float"};
  const Strategy strategy =
      std::find(family.strategies.begin(), family.strategies.end(), Strategy::kPtq) != family.strategies.end()
          ? Strategy::kPtq
          : (family.strategies.empty() ? Strategy::kPtq : family.strategies.front());
  for (const Version& v : family.versions())
    for (Scheme scheme : family.schemes) {
      const PipelineResult* p = index.pipeline(family.name, v, strategy, scheme);
      if (p == nullptr || !p->tensors) continue;
      const TensorAnalysis& a = *p->tensors;
      std::string dtypes;
      for (const DtypeCount& d : a.by_dtype)
        dtypes += fmt::format("{}{} {} ({})", dtypes.empty() ? "" : ", ", d.dtype, d.tensors, d.constant_tensors);
      Cell kept = number_cell(format_count(static_cast<int64_t>(a.kept_float.size())));
      kept.hover = joined(a.kept_float, "\n", a.kept_float.size());
      t.rows.push_back({text_cell(version_label(v)), text_cell(scheme_label(scheme)), text_cell(dtypes),
                        number_cell(fmt::format("{} of {}", a.quantized_weights, a.weight_tensors)),
                        number_cell(fmt::format("{} of {}", a.quantized_activations, a.activation_tensors)),
                        std::move(kept)});
    }
  t.notes.push_back("Tensors by dtype: all tensors of that dtype, constants (weights, biases, shapes) in brackets. "
                    "Kept float: how many weights the quantizer left in float32; report.html lists each with its reason on "
                    "hover.");
  return t;
}

std::vector<std::string> float_vs_drq_explanation(const StudyIndex& index, const FamilyLayout& family) {
  std::vector<std::string> out;
  for (const Version& v : family.versions()) {
    const PipelineResult* f = index.pipeline(family.name, v, Strategy::kPtq, Scheme::kFloat);
    const PipelineResult* d = index.pipeline(family.name, v, Strategy::kPtq, Scheme::kDynamicRange);
    if (f == nullptr || d == nullptr || !f->tensors || !d->tensors) continue;
    const TensorAnalysis& fa = *f->tensors;
    const TensorAnalysis& da = *d->tensors;
    const DtypeCount* int8 = find_dtype(da, "int8");
    const int64_t float_weights = da.weight_tensors - da.quantized_weights;
    out.push_back(fmt::format(
        "Why are the unquantized and the DRQ models almost identical? Take the {} model. The unquantized model "
        "has {} weight tensors, all float32. DRQ stored {} of its {} weight tensors as int8 ({} int8 constant "
        "bytes) and kept {} in float32{}.",
        lowercase_first(version_label(v)), fa.weight_tensors, da.quantized_weights, da.weight_tensors,
        int8 != nullptr ? format_count(int8->constant_bytes) : "0", float_weights,
        float_weights > 0 ? ": weights with fewer than 1,024 elements stay float (as in TFLite's converter), and "
                            "biases always do"
                          : ""));
    out.push_back(fmt::format(
        "{} of its {} activation tensors are integer: every op still reads and writes float32 activations. "
        "Where a weight is int8, the hybrid kernel quantizes its float input on the fly with a scale taken from "
        "that very input, multiplies in integers and rescales to float straight away (an op without a hybrid "
        "kernel dequantizes the weight and computes in float), so the only lasting error is the weights' own "
        "rounding (at most half a step of a 255-level grid per weight). Nothing is clamped to a calibrated range "
        "and no error carries from layer to layer through integer activations, unlike the full-integer "
        "schemes{}.",
        da.quantized_activations == 0 ? "None" : format_count(da.quantized_activations), da.activation_tensors,
        [&] {
          const PipelineResult* fiq = index.pipeline(family.name, v, Strategy::kPtq, Scheme::kFullIntegerInt8Io);
          if (fiq == nullptr || !fiq->tensors) return std::string();
          return fmt::format(" (FIQ – Int8 makes {} of its {} activations integer)", fiq->tensors->quantized_activations,
                             fiq->tensors->activation_tensors);
        }()));
    if (da.quantized_weights == 0)
      out.push_back("With no weight quantized, the DRQ model computes exactly what the unquantized model does.");
    const double fv = f->error.empty() ? f->metric(family.main_metric) : kNaN;
    const double dv = d->error.empty() ? d->metric(family.main_metric) : kNaN;
    if (!std::isnan(fv) && !std::isnan(dv))
      out.push_back(fmt::format("The result: {} {} unquantized against {} with DRQ ({:+.1f} points); files of {} "
                                "and {} bytes.",
                                lowercase(family.main_metric), format_percent(fv), format_percent(dv),
                                100.0 * (dv - fv), format_count(f->file_bytes), format_count(d->file_bytes)));
    break;
  }
  return out;
}

namespace {

bool has_integer_input(Scheme scheme) {
  return scheme == Scheme::kFullIntegerInt8Io || scheme == Scheme::kFullIntegerUInt8Io;
}

// "+1.2", "-0.9"; "±0.0" for a change that rounds to zero, whatever its sign.
std::string format_points(double points) {
  const std::string text = fmt::format("{:+.1f}", points);
  return text == "+0.0" || text == "-0.0" ? "±0.0" : text;
}

// The main metric both ways, in points (naive minus correct); NaN when the
// pipeline is missing, failed or was not evaluated with a plain cast.
double plain_cast_change_points(const PipelineResult* p, const std::string& metric) {
  if (p == nullptr || !p->error.empty()) return kNaN;
  return 100.0 * (p->plain_cast_metric(metric) - p->metric(metric));
}

}  // namespace

Table input_quantization_table(const StudyIndex& index, const FamilyLayout& family) {
  Table t;
  t.caption = fmt::format("{} – {}: correct input quantization / plain cast (change in points)", family.name,
                          lowercase(family.main_metric));
  t.header = {"Quantization scheme", "Strategy"};
  for (Stage stage : family.stages) t.groups.push_back({stage_display_name(stage), static_cast<int>(family.sizes.size())});
  for (const Version& v : family.versions()) t.header.push_back(capitalized(v.size));
  for (Scheme scheme : family.schemes) {
    if (!has_integer_input(scheme)) continue;
    for (Strategy strategy : family.strategies) {
      std::vector<Cell> row{text_cell(scheme_label(scheme)), text_cell(strategy_short(strategy))};
      for (const Version& v : family.versions()) {
        const PipelineResult* p = index.pipeline(family.name, v, strategy, scheme);
        const double correct = p != nullptr && p->error.empty() ? p->metric(family.main_metric) : kNaN;
        const double naive = p != nullptr && p->error.empty() ? p->plain_cast_metric(family.main_metric) : kNaN;
        if (std::isnan(correct)) {
          row.push_back(number_cell("–", missing_reason(index, family.name, v, strategy, scheme, family.main_metric)));
        } else if (std::isnan(naive)) {
          row.push_back(number_cell(format_percent(correct) + " / –",
                                    p->plain_cast_metrics.empty()
                                        ? "not evaluated with a plain cast (results written before that evaluation)"
                                        : family.main_metric + " is undefined with plain-cast inputs"));
        } else {
          row.push_back(number_cell(fmt::format("{} / {} ({} points)", format_percent(correct),
                                                format_percent(naive), format_points(100.0 * (naive - correct)))));
        }
      }
      t.rows.push_back(std::move(row));
    }
  }
  t.notes.push_back("Correct: x / scale + zero_point rounded half away from zero and clamped to the input type, as "
                    "every other table of this report. Plain cast: the same value cast to the type by a C-style "
                    "cast, truncated toward zero and wrapped modulo 256.");
  return t;
}

std::string input_quantization_explanation(const StudyIndex& index, const FamilyLayout& family) {
  if (input_quantization_table(index, family).rows.empty()) return "";
  std::string text =
      "FIQ – Int8 and FIQ – UInt8 take int8 and uint8 inputs, so the harness, not the model, quantizes every real "
      "input as x / scale + zero_point. Done correctly, that value is rounded to the nearest integer and saturated "
      "to [-128, 127] (int8) or [0, 255] (uint8); every other table of this report quantizes inputs so. A plain "
      "cast such as (x / scale + zero_point).astype(int8), the way a naive harness quantizes, truncates toward zero "
      "instead of rounding (2.7 becomes 2 and -2.7 becomes -2: up to a whole quantization step of error instead of "
      "half a step, biased toward zero) and wraps values outside [-128, 127] or [0, 255] around modulo 256 instead "
      "of saturating (128 becomes -128, 256 becomes 0), so an input beyond the calibrated range reaches the model "
      "as the opposite extreme.";
  int count = 0;
  double sum = 0, worst = kNaN;
  std::string worst_where;
  PlainCastInputs inputs;
  for (Scheme scheme : family.schemes) {
    if (!has_integer_input(scheme)) continue;
    for (Strategy strategy : family.strategies)
      for (const Version& v : family.versions()) {
        const PipelineResult* p = index.pipeline(family.name, v, strategy, scheme);
        const double change = plain_cast_change_points(p, family.main_metric);
        if (std::isnan(change)) continue;
        ++count;
        sum += change;
        if (std::isnan(worst) || change < worst) {
          worst = change;
          worst_where = fmt::format("{}, {}, {}", scheme_label(scheme), lowercase_first(version_label(v)),
                                    strategy_short(strategy));
        }
        if (p->plain_cast_inputs) {
          inputs.values += p->plain_cast_inputs->values;
          inputs.changed += p->plain_cast_inputs->changed;
          inputs.wrapped += p->plain_cast_inputs->wrapped;
        }
      }
  }
  if (count == 0)
    return text + " These results hold no plain-cast evaluation (they were written before it existed); rerunning "
                  "the study adds it.";
  text += fmt::format(" In this study the plain cast changed {} by {} points on average over the {} model{} "
                      "evaluated both ways, and by {} points at worst ({}).",
                      lowercase(family.main_metric), format_points(sum / count), count, count == 1 ? "" : "s",
                      format_points(worst), worst_where);
  if (inputs.values > 0) {
    auto share = [&](int64_t n) {
      const double percent = 100.0 * static_cast<double>(n) / static_cast<double>(inputs.values);
      if (percent >= 1.0) return fmt::format("{:.1f}%", percent);
      return percent >= 0.001 ? fmt::format("{:.3f}%", percent) : std::string("less than 0.001%");
    };
    text += fmt::format(" Over their {} input values it gave another integer than correct quantization for {} ({}) "
                        "and {}.",
                        format_count(inputs.values), format_count(inputs.changed), share(inputs.changed),
                        inputs.wrapped == 0 ? std::string("wrapped none: no input fell outside the type's range")
                                            : fmt::format("wrapped {} ({}) that fell outside the type's range",
                                                          format_count(inputs.wrapped), share(inputs.wrapped)));
  }
  // Four times the tables' tolerance for "no change".
  constexpr double kSmallChangePoints = 4 * kTolerancePoints;
  if (worst >= -kSmallChangePoints)
    return text + " Here the cast costs little: truncation moves a value by at most one quantization step, and the "
                  "damage grows with the share of inputs outside the calibrated range, which wrap to the opposite "
                  "extreme. On data like this study's, a large gap between these two rows and FIQ – Float32 would need "
                  "another cause.";
  return text + " A loss of this size comes from the harness, not from the model: the same models with correctly "
                "quantized inputs are the numbers of the accuracy tables.";
}

Table layer_index_table(const StudyIndex& index, const FamilyLayout& family, const Version& version) {
  Table t;
  t.caption = fmt::format("{} {} – layer index (the debugger charts' horizontal axis)", family.name,
                          lowercase_first(version_label(version)));
  t.header = {"Index", "Op", "Output tensor", "Shape"};
  const StageModel* m = index.model(family.name, version, Strategy::kPtq);
  if (m == nullptr && !family.strategies.empty()) m = index.model(family.name, version, family.strategies.front());
  if (m == nullptr) return t;
  for (const LayerIndexEntry& l : m->layers)
    t.rows.push_back({number_cell(std::to_string(l.index)), text_cell(l.op_name), code_cell(l.output_name),
                      code_cell(l.output_shape)});
  return t;
}

Table debug_summary_table(const StudyIndex& index, const FamilyLayout& family) {
  Table t;
  t.caption = family.name + " – quantization debugger: each quantized model against its float model";
  t.header = {"Version", "Strategy", "Quantization scheme", "Samples", "Output MSE", "Top-1 agreement",
              "Worst layers", "Files"};
  for (Strategy strategy : family.strategies)
    for (const Version& v : family.versions())
      for (Scheme scheme : family.schemes) {
        const PipelineResult* p = index.pipeline(family.name, v, strategy, scheme);
        if (p == nullptr || !p->debug) continue;
        const DebugSummary& d = *p->debug;
        Cell worst = prose_cell(joined(d.worst_layers, "; ", 3));
        worst.hover = joined(d.worst_layers, "\n", d.worst_layers.size());
        // The markdown names the chart page; the HTML links it and its data files.
        Cell files = text_cell(d.html_path.empty() ? "–" : d.html_path);
        files.code = true;
        for (const auto& [label, path] : {std::pair<const char*, const std::string&>{"charts", d.html_path},
                                          {"csv", d.csv_path}, {"json", d.json_path}, {"md", d.md_path}})
          if (!path.empty()) files.links.push_back({label, path});
        t.rows.push_back({text_cell(version_label(v)), text_cell(strategy_short(strategy)),
                          text_cell(scheme_label(scheme)), number_cell(format_count(d.samples)),
                          number_cell(format_general(d.output_mse)), number_cell(format_percent(d.top1_agreement)),
                          std::move(worst), std::move(files)});
      }
  return t;
}

std::string step_counts_text(const StudyResults& results) {
  if (results.steps_total <= 0) return "";
  return fmt::format("{} steps ({} run, {} from the cache, {} failed)", results.steps_total, results.steps_run,
                     results.steps_cached, results.steps_failed);
}

Table datasets_table(const StudyResults& results) {
  Table t;
  t.caption = "Datasets";
  t.header = {"Family", "How its data was made"};
  for (const auto& [family, description] : results.datasets) t.rows.push_back({text_cell(family), prose_cell(description)});
  return t;
}

Table failures_table(const StudyResults& results) {
  Table t;
  t.caption = "Failures";
  t.header = {"What", "Error"};
  for (const StageModel& m : results.models)
    if (!m.error.empty())
      t.rows.push_back({code_cell(fmt::format("{}/{}/{} (model)", m.arch, stage_name(m.stage), strategy_name(m.strategy))),
                        prose_cell(m.error)});
  for (const PipelineResult& p : results.pipelines)
    if (!p.error.empty()) t.rows.push_back({code_cell(p.id), prose_cell(p.error)});
  return t;
}

Counts count_results(const StudyResults& results) {
  Counts c;
  c.models = static_cast<int64_t>(results.models.size());
  for (const StageModel& m : results.models) c.failed_models += m.error.empty() ? 0 : 1;
  for (const PipelineResult& p : results.pipelines) {
    ++c.pipelines;
    (p.error.empty() ? c.ok : c.failed) += 1;
    c.cached += p.cached ? 1 : 0;
  }
  return c;
}

bool datasets_are_synthetic(const StudyResults& results) {
  const nlohmann::json& config = results.config;
  if (!config.is_object() || !config.contains("datasets") || !config["datasets"].is_array()) return false;
  for (const nlohmann::json& d : config["datasets"]) {
    const std::string kind = d.is_object() && d.contains("kind") && d["kind"].is_string() ? d["kind"].get<std::string>() : "";
    if (kind != "har" && kind != "ecg") return false;
  }
  return !config["datasets"].empty();
}

}  // namespace quantlab::study::report
