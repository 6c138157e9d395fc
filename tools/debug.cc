// `quantlab debug`: per-layer quantization error of a quantized model against
// its float model (any scheme), with reports, charts, suspects and an
// automatic search for the ops to keep float.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "quantlab/core/file_io.h"
#include "quantlab/data/dataset.h"
#include "quantlab/data/npz.h"
#include "quantlab/debug/debug_charts.h"
#include "quantlab/debug/debug_report.h"
#include "quantlab/debug/fallback.h"
#include "quantlab/debug/layer_debugger.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "subcommands.h"

namespace quantlab::cli {
namespace {

struct DebugArgs {
  std::string float_model, quant_model;
  std::string data, labels;
  std::string out_dir;
  std::string view = "both";
  double suspect = 0.7;
  int64_t samples = 0;
  size_t top = 5;
  int threads = 0;
  std::string task = "auto";
  bool auto_fallback = false;
  double max_drop = 1.0;
  std::string metric;
  std::string ranges;
  int max_steps = 0;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The data: an .npz with x (and y when labelled), a CSV, or an .npy of x
// (with --labels y.npy for labels). Without labels y stays empty.
Result<Dataset> load_data(const DebugArgs& a) {
  if (!a.labels.empty()) return read_dataset_npy_pair(a.data, a.labels);
  if (ends_with(a.data, ".npy")) {
    Dataset d;
    QL_ASSIGN_OR_RETURN(d.x, read_npy(a.data));
    return d;
  }
  if (ends_with(a.data, ".npz")) {
    QL_ASSIGN_OR_RETURN(auto members, read_npz(a.data));
    if (members.count("y")) return read_dataset_npz(a.data);
    Dataset d;
    if (members.count("x")) d.x = members.at("x");
    else if (members.size() == 1) d.x = members.begin()->second;
    else return invalid_argument(a.data + ": an archive of several arrays needs a member named 'x'");
    return d;
  }
  return read_dataset(a.data);
}

// Lets x of [N, 384] feed a model input [1, 128, 3, 1]: the same elements per
// sample, reinterpreted in C order.
Status fit_samples_to_input(Array& x, const Shape& model_input, const std::string& what) {
  if (model_input.empty() || x.shape.empty()) return Status::Ok();
  const int64_t per_execution = num_elements(model_input);
  Shape tail(model_input.begin() + 1, model_input.end());
  if (Shape(x.shape.begin() + 1, x.shape.end()) == tail) return Status::Ok();
  const int64_t per_sample = num_elements(tail);
  if (per_sample <= 0 || x.num_elements() % per_execution != 0)
    return invalid_argument(what + ": samples of shape " + shape_to_string(x.shape) + " do not fit the model input " +
                            shape_to_string(model_input));
  Shape reshaped = model_input;
  reshaped[0] = static_cast<int32_t>(x.num_elements() / per_sample);
  x.shape = reshaped;
  return Status::Ok();
}

// Truncates x (and y, when present) to the first `n` samples.
void keep_first_samples(Dataset& data, int64_t n) {
  auto truncate = [n](Array& a) {
    if (a.shape.empty() || a.shape[0] <= n) return;
    const size_t row_bytes = a.bytes.size() / static_cast<size_t>(a.shape[0]);
    a.shape[0] = static_cast<int32_t>(n);
    a.bytes.resize(row_bytes * static_cast<size_t>(n));
  };
  truncate(data.x);
  truncate(data.y);
}

Status write_text(const std::string& path, const std::string& text, std::vector<std::string>& written) {
  QL_RETURN_IF_ERROR(write_file_atomic(path, text));
  written.push_back(path);
  return Status::Ok();
}

Status run_debug(const DebugArgs& a) {
  namespace fs = std::filesystem;
  QL_ASSIGN_OR_RETURN(Graph float_graph, read_tflite_file(a.float_model));
  QL_ASSIGN_OR_RETURN(Graph quant_graph, read_tflite_file(a.quant_model));
  auto loaded = load_data(a);
  if (!loaded.ok()) return loaded.status().with_context("--data");
  Dataset data = std::move(loaded).value();
  if (float_graph.inputs.size() != 1)
    return unsupported("--data feeds one model input; " + a.float_model + " has " +
                       std::to_string(float_graph.inputs.size()));
  QL_RETURN_IF_ERROR(fit_samples_to_input(data.x, float_graph.tensors[float_graph.inputs[0]].shape, a.data));
  if (a.samples > 0) keep_first_samples(data, a.samples);

  DebugOptions options;
  options.propagated = a.view != "isolated";
  options.isolated = a.view != "propagated";
  options.threads = a.threads;
  auto debugged = debug_quantization(float_graph, quant_graph, {data.x}, options);
  if (!debugged.ok()) return debugged.status().with_context("debugging " + a.quant_model + " against " + a.float_model);
  DebugReport report = std::move(debugged).value();

  EvalOptions eval;
  eval.task = *task_from_name(a.task);
  eval.threads = a.threads;
  const bool labelled = data.y.num_elements() > 0 && !data.y.shape.empty();
  if (labelled) {
    auto task = compare_on_task(float_graph, quant_graph, data, eval);
    if (!task.ok()) return task.status().with_context("task metrics");
    report.task = std::move(task).value();
  }

  std::optional<FallbackResult> fallback;
  std::optional<CalibrationTable> ranges;
  if (a.auto_fallback) {
    FallbackOptions fo;
    fo.max_drop_points = a.max_drop;
    fo.metric = a.metric;
    fo.eval = eval;
    fo.max_steps = a.max_steps;
    if (!a.ranges.empty()) {
      QL_ASSIGN_OR_RETURN(ranges, load_calibration_table(a.ranges));
      fo.ranges = &*ranges;
    }
    auto searched = auto_fallback(float_graph, quant_graph, data, fo);
    if (!searched.ok()) return searched.status().with_context("--auto-fallback");
    fallback = std::move(searched).value();
  }

  const std::string out_dir =
      a.out_dir.empty() ? (fs::path(a.quant_model).parent_path() / (fs::path(a.quant_model).stem().string() + ".debug")).string()
                        : a.out_dir;
  DebugReportContext context;
  context.float_model = a.float_model;
  context.quant_model = a.quant_model;
  context.suspect_threshold = a.suspect;
  context.worst_count = a.top;
  std::vector<std::string> written;
  const FallbackResult* fb = fallback ? &*fallback : nullptr;
  if (report.has_propagated)
    QL_RETURN_IF_ERROR(write_text((fs::path(out_dir) / "layers.propagated.csv").string(),
                                  layer_stats_csv(report, DebugView::kPropagated), written));
  if (report.has_isolated)
    QL_RETURN_IF_ERROR(write_text((fs::path(out_dir) / "layers.isolated.csv").string(),
                                  layer_stats_csv(report, DebugView::kIsolated), written));
  QL_RETURN_IF_ERROR(write_text((fs::path(out_dir) / "debug.json").string(), debug_report_json(report, context, fb), written));
  const std::string summary = debug_summary_markdown(report, context, fb);
  QL_RETURN_IF_ERROR(write_text((fs::path(out_dir) / "summary.md").string(), summary, written));
  QL_RETURN_IF_ERROR(write_text((fs::path(out_dir) / "charts.html").string(), debug_charts_html(report, context), written));
  if (fallback) {
    const std::string path = (fs::path(out_dir) / (fs::path(a.quant_model).stem().string() + ".fallback.tflite")).string();
    QL_RETURN_IF_ERROR(write_tflite_file(fallback->model, path));
    written.push_back(path);
  }
  std::fputs(summary.c_str(), stdout);
  std::printf("\n");
  for (const std::string& w : written) std::printf("wrote %s\n", w.c_str());
  if (fallback && !fallback->reached)
    std::fprintf(stderr, "quantlab debug: warning: the fallback did not bring the drop within %.3g points\n", a.max_drop);
  return Status::Ok();
}

std::string metrics_help() {
  std::string s =
      "Per layer (each output of a float op, paired with its quantized twin by graph structure), over the\n"
      "error d = float - dequantized(quantized), computed per sample and averaged over samples:\n"
      "  num_elements        elements of the tensor (one sample)\n";
  for (const LayerMetricInfo& m : layer_metrics()) {
    std::string name = m.name;
    name.resize(std::max<size_t>(name.size() + 1, 20), ' ');
    s += "  " + name + m.description + (m.tensorflow_default ? " [TensorFlow default]" : "") + "\n";
  }
  return s;
}

}  // namespace

void register_debug(CLI::App& app) {
  auto a = std::make_shared<DebugArgs>();
  auto* cmd = app.add_subcommand("debug", "Per-layer quantization error of a quantized model against its float model");
  cmd->footer(
      metrics_help() +
      "  sqnr_db is pooled over samples (sum of signal / sum of error); scale, zero_point are the quantized\n"
      "  tensor's (empty for layers that stayed float, where rmse/scale is nan).\n\n"
      "Views:\n"
      "  propagated  both models on the same data, each on its own activations: the error a user sees,\n"
      "              including what earlier layers carried in\n"
      "  isolated    each quantized op alone, fed the float model's activations quantized with the op's\n"
      "              input parameters: the error the op adds by itself\n"
      "A layer whose isolated rmse/scale is high is badly quantized itself (clipped range, coarse scale);\n"
      "one that is high only when propagated inherits error from earlier layers.\n\n"
      "Model level: output MSE, max abs error and top-1 agreement; with labels (an .npz with y, or\n"
      "--labels) the task metrics of both models. Layers with rmse/scale above --suspect are suspects.\n\n"
      "--auto-fallback re-creates the quantized model from the float one with the quantizer (recipe and\n"
      "activation ranges read off QUANT, or --ranges TABLE.json) and greedily keeps layers float by\n"
      "measured impact (a layer's op alone, or every op writing or reading it and the tensors that share\n"
      "its quantization parameters) until the metric drops at most --max-drop points versus float;\n"
      "without labels the metric is top-1 agreement with the float model. It writes\n"
      "DIR/<quant>.fallback.tflite and reports the size cost.\n\n"
      "Writes to DIR (default: <quant>.debug/ beside QUANT): layers.propagated.csv, layers.isolated.csv\n"
      "(TensorFlow's column order), debug.json, summary.md and charts.html (one Chart.js chart per metric\n"
      "across the layer index beside the layer index table; the library is inlined, so the page opens\n"
      "offline in any browser).\n\n"
      "Examples:\n"
      "  quantlab debug m.tflite m.fiq-int8.tflite --data calib.npy\n"
      "  quantlab debug m.tflite m.drq.tflite --data test.npz --view isolated -o dbg/\n"
      "  quantlab debug m.tflite m.fiq-f32.tflite --data test.npz --auto-fallback --max-drop 0.5");
  cmd->add_option("float_model", a->float_model, "The float .tflite model")->required();
  cmd->add_option("quant_model", a->quant_model, "A quantized variant of it (.tflite)")->required();
  cmd->add_option("--data,-d", a->data, "Samples: x .npy, or .npz with x (and y for task metrics), or .csv")->required();
  cmd->add_option("--labels", a->labels, "Labels .npy when --data is an x .npy");
  cmd->add_option("-o,--output-dir", a->out_dir, "Directory for the reports (default: <quant>.debug/)");
  cmd->add_option("--view", a->view, "propagated, isolated or both")
      ->check(CLI::IsMember({"propagated", "isolated", "both"}));
  cmd->add_option("--suspect", a->suspect, "rmse/scale above which a layer is a suspect (default 0.7)");
  cmd->add_option("--samples", a->samples, "Use only the first N samples, for every part of the run (default: all)")->check(non_negative_number());
  cmd->add_option("--top", a->top, "Worst layers named in the summary (default 5)");
  cmd->add_option("--threads", a->threads, "Interpreter threads (default: all cores)");
  cmd->add_option("--task", a->task, "multiclass, multilabel, binary, or auto (from the output and labels)")
      ->check(CLI::IsMember({"auto", "multiclass", "multilabel", "binary"}));
  cmd->add_flag("--auto-fallback", a->auto_fallback, "Search for the layers to keep float (see below)");
  cmd->add_option("--max-drop", a->max_drop, "Allowed metric drop versus float, in percentage points (default 1)")
      ->check(non_negative_number());
  cmd->add_option("--metric", a->metric, "Task metric the fallback holds (default: the task's first, e.g. Accuracy)");
  cmd->add_option("--ranges", a->ranges, "Calibration table (JSON) for re-creating a full-integer model");
  cmd->add_option("--max-steps", a->max_steps, "Stop the fallback search after this many steps");
  cmd->callback([a] {
    Status s = run_debug(*a);
    if (!s.ok()) fail("debug", s);
  });
}

}  // namespace quantlab::cli
