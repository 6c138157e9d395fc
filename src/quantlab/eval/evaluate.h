// Evaluating a model on a labelled dataset: the harness the study's tables
// come from.
//
// The harness does what a careful user would: real-valued inputs are
// quantized with the model input's own parameters (rounding, saturation; see
// runtime/model_io.h), quantized outputs are dequantized before decisions, and
// decisions are taken in the real domain (argmax for multiclass, a threshold on
// sigmoid outputs for multilabel and binary), whatever the output dtype.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"
#include "quantlab/ir/graph.h"
#include "quantlab/kernels/kernel.h"
#include "quantlab/metrics/classification.h"

namespace quantlab {

enum class Task { kAuto, kMulticlass, kMultilabel, kBinary };
const char* task_name(Task task);
std::optional<Task> task_from_name(const std::string& name);

// How the evaluation harness quantizes real inputs for an integer model.
enum class InputQuantization {
  kRoundSaturate,  // round half away from zero, then clamp to the type (correct)
  kPlainCast,      // x / scale + zero_point truncated and wrapped by a C cast, as
                   // a naive harness does; offered only to measure the damage
};

struct EvalOptions {
  Task task = Task::kAuto;
  float threshold = 0.5f;  // multilabel/binary decision threshold on real outputs
  MulticlassAverage multiclass_average = MulticlassAverage::kMacro;
  MultilabelAverage multilabel_average = MultilabelAverage::kMacro;
  InputQuantization input_quantization = InputQuantization::kRoundSaturate;
  int threads = 0;         // <= 0: all cores
  int64_t batch = 1024;    // samples per interpreter invoke
  KernelOptions kernels;
  bool progress = false;   // draw a progress bar on a terminal
};

// One headline metric: name as the original study's tables print it, and value.
struct Metric {
  std::string name;
  double value;
  bool higher_is_better = true;
};

struct EvalResult {
  Task task = Task::kAuto;
  int64_t samples = 0;
  double seconds = 0;              // interpreter time
  Array scores;                    // float32 [N, C]: the model's real-valued outputs
  std::vector<int32_t> predicted;  // class per sample (multiclass, binary)
  Array predicted_labels;          // uint8 [N, L] (multilabel)
  std::optional<MulticlassReport> multiclass;
  std::optional<MultilabelReport> multilabel;
  std::vector<Metric> metrics;     // the original study's six metrics for the task, in its column order

  double samples_per_second() const { return seconds > 0 ? static_cast<double>(samples) / seconds : 0.0; }
  // Value of the named metric; NaN if absent.
  double metric(const std::string& name) const;
};

// The task implied by a model output of `output_shape` and the dataset's
// labels, or `requested` checked against them. Errors say why they disagree.
Result<Task> resolve_task(Task requested, const Shape& output_shape, const Dataset& data);

// Runs `model` on every sample of `data` and scores the decisions.
// Preconditions: `data` is valid (validate_dataset). Errors: sample shape
// not matching the model input, label count not matching the output, an
// integer input without quantization parameters.
Result<EvalResult> evaluate(const Graph& model, const Dataset& data, const EvalOptions& options = {});

// The real-valued outputs of `model` on `x` (float32 [N, ...]), batched and
// threaded; the first model output only. Used by evaluate and the debugger.
Result<Array> predict_scores(const Graph& model, const Array& x, const EvalOptions& options,
                             double* seconds = nullptr);

}  // namespace quantlab
