#include "quantlab/debug/debug_report.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "quantlab/report/metrics_table.h"

namespace quantlab {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Numbers in CSV: enough digits to tell layers apart, nan/inf as numpy writes them.
std::string csv_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.9g}", v);
}

// Numbers in Markdown tables.
std::string md_number(double v, int digits = 4) {
  if (std::isnan(v)) return "–";
  if (std::isinf(v)) return v > 0 ? "∞" : "-∞";
  return fmt::format("{:.{}g}", v, digits);
}

std::string md_code(const std::string& s) { return "`" + (s.empty() ? std::string("(unnamed)") : s) + "`"; }

nlohmann::ordered_json json_number(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

nlohmann::ordered_json stats_json(const LayerErrorStats& s) {
  nlohmann::ordered_json j;
  j["num_elements"] = s.num_elements;
  j["samples"] = s.samples;
  for (const LayerMetricInfo& m : layer_metrics()) j[m.name] = json_number(m.value(s));
  return j;
}

double rmse_over_scale(const LayerReport& l, DebugView v) {
  return l.view(v) ? l.view(v)->rmse_over_scale : LayerErrorStats::kNaN;
}

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// What the two views together say about a layer.
std::string diagnosis(const LayerReport& l, double threshold) {
  const double p = rmse_over_scale(l, DebugView::kPropagated), i = rmse_over_scale(l, DebugView::kIsolated);
  if (!std::isnan(i) && i > threshold)
    return "the op loses accuracy by itself (a clipping input or output range, too coarse a scale, or coarse weights); "
           "recalibrate, quantize its weights per channel, or keep it float";
  if (!std::isnan(p) && p > threshold && !std::isnan(i))
    return "the op itself is fine alone; the error is carried in from earlier layers";
  if (!std::isnan(p) && p > threshold) return "large error in the propagated view";
  return "";
}

}  // namespace

std::vector<std::string> layer_csv_columns() {
  std::vector<std::string> columns = {"op_name", "tensor_idx", "num_elements"};
  for (const LayerMetricInfo& m : layer_metrics()) columns.push_back(m.name);
  for (const char* c : {"scale", "zero_point", "tensor_name"}) columns.push_back(c);
  return columns;
}

std::string layer_stats_csv(const DebugReport& report, DebugView view) {
  std::string out;
  const std::vector<std::string> columns = layer_csv_columns();
  for (size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + csv_field(columns[i]);
  out += "\n";
  for (const LayerReport& l : report.layers) {
    const auto& s = l.view(view);
    out += csv_field(l.op_name) + "," + std::to_string(l.quant_tensor) + ",";
    out += s ? std::to_string(s->num_elements) : std::string();
    for (const LayerMetricInfo& m : layer_metrics()) out += "," + (s ? csv_number(m.value(*s)) : std::string());
    out += ",";
    if (l.has_scale) out += csv_number(l.scale) + "," + std::to_string(l.zero_point);
    else out += ",";
    out += "," + csv_field(l.tensor_name) + "\n";
  }
  return out;
}

std::string debug_report_json(const DebugReport& report, const DebugReportContext& context,
                              const FallbackResult* fallback) {
  nlohmann::ordered_json j;
  j["format"] = "quantlab-debug";
  j["version"] = 1;
  j["float_model"] = context.float_model;
  j["quant_model"] = context.quant_model;
  j["samples"] = report.samples;
  j["suspect_threshold"] = context.suspect_threshold;
  std::vector<std::string> views;
  if (report.has_propagated) views.push_back("propagated");
  if (report.has_isolated) views.push_back("isolated");
  j["views"] = views;
  nlohmann::ordered_json metrics = nlohmann::ordered_json::array();
  for (const LayerMetricInfo& m : layer_metrics())
    metrics.push_back({{"name", m.name}, {"description", m.description}, {"tensorflow_default", m.tensorflow_default}});
  j["metrics"] = metrics;

  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const LayerReport& l : report.layers) {
    nlohmann::ordered_json e;
    e["layer"] = l.layer;
    e["op_name"] = l.op_name;
    e["float_op"] = l.float_op;
    e["quant_op"] = l.quant_op;
    e["tensor_idx"] = l.quant_tensor;
    e["float_tensor_idx"] = l.float_tensor;
    e["tensor_name"] = l.tensor_name;
    e["quant_tensor_name"] = l.quant_tensor_name;
    e["dtype"] = dtype_name(l.quant_dtype);
    e["scale"] = l.has_scale ? nlohmann::ordered_json(l.scale) : nlohmann::ordered_json(nullptr);
    e["zero_point"] = l.has_scale ? nlohmann::ordered_json(l.zero_point) : nlohmann::ordered_json(nullptr);
    e["matched_by"] = match_method_name(l.matched_by);
    if (l.propagated) e["propagated"] = stats_json(*l.propagated);
    if (l.isolated) e["isolated"] = stats_json(*l.isolated);
    if (!l.isolated_note.empty()) e["isolated_note"] = l.isolated_note;
    layers.push_back(std::move(e));
  }
  j["layers"] = layers;

  nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
  for (const InputReport& in : report.inputs)
    inputs.push_back({{"name", in.name}, {"dtype", dtype_name(in.quant_dtype)}, {"stats", stats_json(in.stats)}});
  j["inputs"] = inputs;
  nlohmann::ordered_json outputs = nlohmann::ordered_json::array();
  for (const OutputReport& o : report.outputs)
    outputs.push_back({{"name", o.name},
                       {"elements", o.elements},
                       {"mean_squared_error", json_number(o.mean_squared_error)},
                       {"max_abs_error", json_number(o.max_abs_error)},
                       {"top1_agreement", json_number(o.top1_agreement)}});
  j["outputs"] = outputs;

  if (report.task) {
    nlohmann::ordered_json t;
    t["task"] = task_name(report.task->task);
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (size_t i = 0; i < report.task->float_metrics.size() && i < report.task->quant_metrics.size(); ++i) {
      const Metric& f = report.task->float_metrics[i];
      const Metric& q = report.task->quant_metrics[i];
      rows.push_back({{"name", f.name},
                      {"float", json_number(f.value)},
                      {"quantized", json_number(q.value)},
                      {"delta_points", json_number((q.value - f.value) * 100.0)},
                      {"higher_is_better", f.higher_is_better}});
    }
    t["metrics"] = rows;
    j["task"] = t;
  }

  nlohmann::ordered_json suspects = nlohmann::ordered_json::array();
  for (const LayerReport* l : suspect_layers(report, context.suspect_threshold))
    suspects.push_back({{"layer", l->layer},
                        {"op_name", l->op_name},
                        {"tensor_name", l->tensor_name},
                        {"propagated_rmse_over_scale", json_number(rmse_over_scale(*l, DebugView::kPropagated))},
                        {"isolated_rmse_over_scale", json_number(rmse_over_scale(*l, DebugView::kIsolated))}});
  j["suspects"] = suspects;
  j["unmatched_ops"] = report.unmatched_ops;

  if (fallback) {
    nlohmann::ordered_json f;
    f["scheme"] = fallback->scheme;
    f["metric"] = fallback->metric;
    f["max_drop_points"] = fallback->max_drop_points;
    f["float_metric"] = json_number(fallback->float_metric);
    f["given_metric"] = json_number(fallback->given_metric);
    f["start_metric"] = json_number(fallback->start_metric);
    f["final_metric"] = json_number(fallback->final_metric);
    f["final_drop_points"] = json_number(fallback->drop_points(fallback->final_metric));
    f["reached"] = fallback->reached;
    f["ranges_source"] = fallback->ranges_source;
    f["recreation_max_abs_diff"] = json_number(fallback->recreation_max_abs_diff);
    f["initially_float"] = fallback->initially_float;
    f["kept_float"] = fallback->kept_float;
    f["evaluations"] = fallback->evaluations;
    f["float_bytes"] = fallback->float_bytes;
    f["given_bytes"] = fallback->given_bytes;
    f["start_bytes"] = fallback->start_bytes;
    f["final_bytes"] = fallback->final_bytes;
    nlohmann::ordered_json steps = nlohmann::ordered_json::array();
    for (const FallbackStep& s : fallback->steps)
      steps.push_back({{"layer", s.layer},
                       {"added_nodes", s.added_nodes},
                       {"metric", json_number(s.metric)},
                       {"output_mse", json_number(s.output_mse)},
                       {"model_bytes", s.model_bytes},
                       {"candidates_tried", s.candidates_tried}});
    f["steps"] = steps;
    j["fallback"] = f;
  }
  return j.dump(2) + "\n";
}

std::string fallback_markdown(const FallbackResult& f) {
  std::string s = "## Automatic fallback\n\n";
  s += fmt::format("Scheme {} re-created from the float model (ranges {}); metric: {}, allowed drop {} points.\n\n",
                   f.scheme, f.ranges_source, f.metric, md_number(f.max_drop_points));
  if (!(f.recreation_max_abs_diff == 0.0))
    s += fmt::format("Note: the re-created model's outputs differ from the given model's by up to {} (max abs).\n\n",
                     md_number(f.recreation_max_abs_diff));
  s += "| model | " + f.metric + " | drop (points) | size (bytes) |\n|---|---:|---:|---:|\n";
  auto row = [&](const std::string& name, double metric, int64_t bytes) {
    s += fmt::format("| {} | {} | {} | {} |\n", name, md_number(metric * 100.0, 5), md_number(f.drop_points(metric), 4),
                     bytes > 0 ? std::to_string(bytes) : std::string("–"));
  };
  row("float", f.float_metric, f.float_bytes);
  row("given quantized model", f.given_metric, f.given_bytes);
  row("re-created, nothing kept float", f.start_metric, f.start_bytes);
  row("with fallback", f.final_metric, f.final_bytes);
  s += "\n";
  if (!f.initially_float.empty()) {
    s += "Already float in the given model:";
    for (const auto& n : f.initially_float) s += " " + md_code(n);
    s += "\n\n";
  }
  if (f.steps.empty()) {
    s += f.reached ? "The quantized model already meets the limit: nothing needs to stay float.\n\n"
                   : "No layer kept float improved the metric.\n\n";
  } else {
    s += "| step | layer | ops kept float | " + f.metric + " | output MSE | size (bytes) |\n|---:|---|---|---:|---:|---:|\n";
    for (size_t i = 0; i < f.steps.size(); ++i) {
      const FallbackStep& st = f.steps[i];
      std::string nodes;
      for (const auto& n : st.added_nodes) nodes += (nodes.empty() ? "" : ", ") + md_code(n);
      s += fmt::format("| {} | {} | {} | {} | {} | {} |\n", i + 1, md_code(st.layer), nodes, md_number(st.metric * 100.0, 5),
                       md_number(st.output_mse), st.model_bytes);
    }
    s += "\n";
  }
  const int64_t cost = f.final_bytes - f.start_bytes;
  s += fmt::format("{}: {} op(s) kept float after {} evaluations; size cost {:+d} bytes ({:+.1f}% of the fully "
                   "quantized model, {:.1f}% of the float model's size).\n",
                   f.reached ? "Limit met" : "Limit NOT met", f.kept_float.size(), f.evaluations, cost,
                   f.start_bytes > 0 ? 100.0 * static_cast<double>(cost) / static_cast<double>(f.start_bytes) : 0.0,
                   f.float_bytes > 0 ? 100.0 * static_cast<double>(f.final_bytes) / static_cast<double>(f.float_bytes) : 0.0);
  return s;
}

std::string debug_summary_markdown(const DebugReport& report, const DebugReportContext& context,
                                   const FallbackResult* fallback) {
  std::string s = fmt::format("# Quantization debug: {} vs {}\n\n", file_name(context.quant_model),
                              file_name(context.float_model));
  std::string views;
  if (report.has_propagated) views += "propagated";
  if (report.has_isolated) views += views.empty() ? "isolated" : " and isolated";
  s += fmt::format("{} samples; {} layers matched; views: {}. Errors are float - dequantized(quantized).\n\n",
                   report.samples, report.layers.size(), views);

  s += "## Model outputs\n\n| output | MSE | max abs error | top-1 agreement |\n|---|---:|---:|---:|\n";
  for (const OutputReport& o : report.outputs)
    s += fmt::format("| {} | {} | {} | {} |\n", md_code(o.name), md_number(o.mean_squared_error),
                     md_number(o.max_abs_error),
                     std::isnan(o.top1_agreement) ? std::string("–") : fmt::format("{:.2f}%", 100.0 * o.top1_agreement));
  s += "\n";
  if (!report.inputs.empty()) {
    s += "Input quantization:";
    for (const InputReport& in : report.inputs)
      s += fmt::format(" {} ({}) rmse/scale {}, max abs error {};", md_code(in.name), dtype_name(in.quant_dtype),
                       md_number(in.stats.rmse_over_scale, 3), md_number(in.stats.max_abs_error));
    s.back() = '\n';
    s += "\n";
  }

  if (report.task) {
    MetricsTable table;
    table.title = fmt::format("Task metrics ({})", task_name(report.task->task));
    for (const Metric& m : report.task->float_metrics) table.columns.push_back(m.name);
    MetricsTable::Row f{"Float", {}, ""}, q{"Quantized", {}, ""};
    for (const Metric& m : report.task->float_metrics) f.values.push_back(m.value);
    for (const Metric& m : report.task->quant_metrics) q.values.push_back(m.value);
    table.rows = {f, q};
    table.baseline_row = 0;
    s += render_markdown(table) + "\n";
  }

  const DebugView main_view = report.has_propagated ? DebugView::kPropagated : DebugView::kIsolated;
  const std::vector<const LayerReport*> worst = worst_layers(report, main_view, context.worst_count);
  s += fmt::format("## Worst layers ({} view)\n\n", debug_view_name(main_view));
  if (worst.empty()) s += "No layer has statistics.\n\n";
  else {
    s += "| layer | op | tensor | rmse/scale (propagated) | rmse/scale (isolated) | SQNR dB | cosine |\n"
         "|---:|---|---|---:|---:|---:|---:|\n";
    for (const LayerReport* l : worst) {
      const auto& st = l->view(main_view);
      s += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", l->layer, l->op_name, md_code(l->tensor_name),
                       md_number(rmse_over_scale(*l, DebugView::kPropagated), 3),
                       md_number(rmse_over_scale(*l, DebugView::kIsolated), 3), md_number(st->sqnr_db, 3),
                       md_number(st->cosine_similarity, 5));
    }
    s += "\n";
  }

  const std::vector<const LayerReport*> suspects = suspect_layers(report, context.suspect_threshold);
  s += fmt::format("## Suspects (rmse/scale > {})\n\n", md_number(context.suspect_threshold));
  if (suspects.empty()) s += "None: every layer with a scale is within the threshold in every view.\n\n";
  for (const LayerReport* l : suspects)
    s += fmt::format("- layer {} {} {}: propagated {}, isolated {}. {}\n", l->layer, l->op_name, md_code(l->tensor_name),
                     md_number(rmse_over_scale(*l, DebugView::kPropagated), 3),
                     md_number(rmse_over_scale(*l, DebugView::kIsolated), 3), diagnosis(*l, context.suspect_threshold));
  if (!suspects.empty()) s += "\n";

  s += "## Layer index\n\n| layer | op | tensor | dtype | scale | zero point | rmse/scale (propagated) | rmse/scale (isolated) |\n"
       "|---:|---|---|---|---:|---:|---:|---:|\n";
  for (const LayerReport& l : report.layers)
    s += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", l.layer, l.op_name, md_code(l.tensor_name),
                     dtype_name(l.quant_dtype), l.has_scale ? md_number(l.scale, 6) : "–",
                     l.has_scale ? std::to_string(l.zero_point) : "–",
                     md_number(rmse_over_scale(l, DebugView::kPropagated), 3),
                     md_number(rmse_over_scale(l, DebugView::kIsolated), 3));
  s += "\n";
  for (const LayerReport& l : report.layers)
    if (!l.isolated_note.empty()) s += fmt::format("- layer {} isolated view: {}\n", l.layer, l.isolated_note);
  if (!report.unmatched_ops.empty()) {
    s += "\nFloat ops without a quantized twin (not reported):";
    for (const std::string& u : report.unmatched_ops) s += " " + u + ";";
    s.back() = '\n';
  }
  if (fallback) s += "\n" + fallback_markdown(*fallback);
  return s;
}

}  // namespace quantlab
