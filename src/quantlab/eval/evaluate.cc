#include "quantlab/eval/evaluate.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "quantlab/core/progress.h"
#include "quantlab/numerics/quantize_values.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/runtime/model_io.h"

namespace quantlab {
namespace {

// What a naive harness feeds an integer model (see plain_cast_value).
Array plain_cast_quantize(const Array& real, DType dtype, float scale, int32_t zero_point) {
  Array out = Array::zeros(dtype, real.shape);
  const int64_t n = real.num_elements();
  for (int64_t i = 0; i < n; ++i)
    out.bytes[static_cast<size_t>(i)] = plain_cast_value(real.value_as_double(i), scale, zero_point).low_byte;
  return out;
}

Result<Array> model_input_from(const Array& x, const TensorInfo& input, InputQuantization mode) {
  if (mode == InputQuantization::kPlainCast && (input.dtype == DType::kInt8 || input.dtype == DType::kUInt8) &&
      x.dtype == DType::kFloat32 && input.quant && !input.quant->scale.empty())
    return plain_cast_quantize(x, input.dtype, input.scale(), input.zero_point());
  return convert_to_input(x, input, false, "dataset x");
}

int32_t argmax_row(const float* row, int64_t n) {
  int32_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best]) best = static_cast<int32_t>(i);
  return best;
}

std::vector<Metric> multiclass_metrics(const MulticlassReport& r, MulticlassAverage average) {
  const AveragedScores& s =
      average == MulticlassAverage::kMicro ? r.micro : (average == MulticlassAverage::kWeighted ? r.weighted : r.macro);
  return {{"Accuracy", r.accuracy},       {"Precision", s.precision},
          {"Recall", s.recall},           {"F1", s.f1},
          {"Balanced Accuracy", r.balanced_accuracy}, {"Cohen's Kappa", r.cohen_kappa}};
}

std::vector<Metric> multilabel_metrics(const MultilabelReport& r, MultilabelAverage average) {
  const AveragedScores& s = average == MultilabelAverage::kMicro     ? r.micro
                            : average == MultilabelAverage::kWeighted ? r.weighted
                            : average == MultilabelAverage::kSamples  ? r.samples
                                                                      : r.macro;
  return {{"Binary Accuracy", r.binary_accuracy},
          {"Precision", s.precision},
          {"Recall", s.recall},
          {"F1", s.f1},
          {"Hamming Loss", r.hamming_loss, false},
          {"Jaccard Score", s.jaccard},
          {"Exact Match", r.exact_match_ratio}};
}

}  // namespace

const char* task_name(Task task) {
  switch (task) {
    case Task::kAuto: return "auto";
    case Task::kMulticlass: return "multiclass";
    case Task::kMultilabel: return "multilabel";
    case Task::kBinary: return "binary";
  }
  return "?";
}

std::optional<Task> task_from_name(const std::string& name) {
  for (Task t : {Task::kAuto, Task::kMulticlass, Task::kMultilabel, Task::kBinary})
    if (name == task_name(t)) return t;
  return std::nullopt;
}

double EvalResult::metric(const std::string& name) const {
  for (const Metric& m : metrics)
    if (m.name == name) return m.value;
  return std::numeric_limits<double>::quiet_NaN();
}

Result<Task> resolve_task(Task requested, const Shape& output_shape, const Dataset& data) {
  const int64_t outputs = output_shape.empty() ? 1 : num_elements(output_shape) / std::max<int64_t>(output_shape[0], 1);
  const bool multi_hot = data.label_kind() == LabelKind::kMultiHot;
  Task task = requested;
  if (task == Task::kAuto) task = multi_hot ? Task::kMultilabel : (outputs == 1 ? Task::kBinary : Task::kMulticlass);
  const std::string out_desc = "the model output has " + std::to_string(outputs) + " value(s) per sample";
  switch (task) {
    case Task::kMultilabel:
      if (!multi_hot) return invalid_argument("task multilabel needs multi-hot labels [N, L], but y is class indices");
      if (data.y.shape[1] != outputs)
        return invalid_argument(out_desc + " but the labels have " + std::to_string(data.y.shape[1]) + " columns");
      break;
    case Task::kMulticlass:
      if (multi_hot) return invalid_argument("task multiclass needs class indices [N], but y is multi-hot");
      if (outputs < 2) return invalid_argument(out_desc + "; multiclass needs one score per class (use --task binary)");
      if (data.num_labels() > outputs)
        return invalid_argument(out_desc + " but the labels use " + std::to_string(data.num_labels()) + " classes");
      break;
    case Task::kBinary:
      if (multi_hot) return invalid_argument("task binary needs class indices 0/1, but y is multi-hot");
      if (outputs != 1) return invalid_argument(out_desc + "; binary needs a single sigmoid output");
      if (data.num_labels() > 2) return invalid_argument("task binary needs labels 0/1, but y uses " +
                                                         std::to_string(data.num_labels()) + " classes");
      break;
    case Task::kAuto: break;
  }
  return task;
}

Result<Array> predict_scores(const Graph& model, const Array& x, const EvalOptions& options, double* seconds) {
  InterpreterOptions io;
  io.threads = options.threads;
  io.kernels = options.kernels;
  QL_ASSIGN_OR_RETURN(auto interp, Interpreter::create(model, io));
  if (interp->num_inputs() != 1)
    return unsupported("evaluation needs a model with one input; this one has " + std::to_string(interp->num_inputs()));
  const TensorInfo& in = interp->input_info(0);
  const TensorInfo& out = interp->output_info(0);
  QL_ASSIGN_OR_RETURN(Array input, model_input_from(x, in, options.input_quantization));
  QL_ASSIGN_OR_RETURN(int64_t samples, interp->batch_size_of(0, {input.dtype, input.shape, input.bytes.data()}));

  // One row of scores per sample (one execution of the graph).
  Array raw = Array::zeros(out.dtype, {static_cast<int32_t>(samples), static_cast<int32_t>(out.num_elements())});
  const int64_t in_bytes = in.bytes(), out_bytes = out.bytes();
  const int64_t batch = std::max<int64_t>(1, options.batch);
  ProgressBar bar("evaluating", samples, options.progress && ProgressBar::stderr_is_terminal());
  const auto start = std::chrono::steady_clock::now();
  for (int64_t begin = 0; begin < samples; begin += batch) {
    const int64_t n = std::min(batch, samples - begin);
    QL_RETURN_IF_ERROR(interp->invoke(n, {input.bytes.data() + begin * in_bytes}, {raw.bytes.data() + begin * out_bytes}));
    bar.update(begin + n);
  }
  if (seconds) *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bar.finish();
  return dequantize_output(raw, out);
}

Result<EvalResult> evaluate(const Graph& model, const Dataset& data, const EvalOptions& options) {
  if (data.size() == 0) return invalid_argument("the dataset has no samples");
  if (model.inputs.empty() || model.outputs.empty()) return invalid_argument("the model has no inputs or outputs");
  QL_RETURN_IF_ERROR(check_input_shape(data, model.tensors[model.inputs[0]].shape));
  EvalResult result;
  QL_ASSIGN_OR_RETURN(result.task, resolve_task(options.task, model.tensors[model.outputs[0]].shape, data));
  QL_ASSIGN_OR_RETURN(result.scores, predict_scores(model, data.x, options, &result.seconds));
  result.samples = data.size();
  const int64_t n = data.size();
  const int64_t width = result.scores.num_elements() / n;
  const float* scores = result.scores.data<float>();

  if (result.task == Task::kMultilabel) {
    result.predicted_labels = Array::zeros(DType::kUInt8, {static_cast<int32_t>(n), static_cast<int32_t>(width)});
    uint8_t* p = result.predicted_labels.data<uint8_t>();
    for (int64_t i = 0; i < n * width; ++i) p[i] = scores[i] >= options.threshold ? 1 : 0;
    QL_ASSIGN_OR_RETURN(MultilabelReport report, evaluate_multilabel(data.y, result.predicted_labels));
    result.metrics = multilabel_metrics(report, options.multilabel_average);
    result.multilabel = std::move(report);
    return result;
  }
  result.predicted.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    result.predicted[i] = result.task == Task::kBinary ? (scores[i] >= options.threshold ? 1 : 0)
                                                       : argmax_row(scores + i * width, width);
  const int32_t classes = result.task == Task::kBinary ? 2 : static_cast<int32_t>(width);
  QL_ASSIGN_OR_RETURN(MulticlassReport report, evaluate_multiclass(data.y.to_vector<int32_t>(), result.predicted, classes));
  result.metrics = multiclass_metrics(report, options.multiclass_average);
  if (result.task == Task::kBinary) {
    // Precision, recall and F1 of the positive class, as for a binary classifier.
    const AveragedScores pos = binary_scores(report.confusion, 1);
    result.metrics[1].value = pos.precision;
    result.metrics[2].value = pos.recall;
    result.metrics[3].value = pos.f1;
  }
  result.multiclass = std::move(report);
  return result;
}

}  // namespace quantlab
