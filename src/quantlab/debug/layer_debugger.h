// The quantization debugger: how far each layer of a quantized model strays
// from the float model it came from, for every kind of quantized variant
// (full-integer with float32/int8/uint8 I/O, dynamic-range, selective,
// QAT-derived), not only full-integer int8 as TensorFlow's debugger.
//
// Layers are the outputs of the float model's ops, paired with their
// quantized twins by graph structure (tensor_matching.h). Two views:
//  - propagated: both models run on the same data, each on its own
//    activations; a layer's error includes everything carried in from the
//    layers before it (the error a user of the quantized model gets);
//  - isolated: each quantized op alone, fed the float model's activations
//    quantized with the op's own input parameters; a layer's error is the
//    error that op adds by itself.
// Statistics are those of error_metrics.h. Model-level statistics compare
// the models' outputs; task metrics are compared when labels are given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"
#include "quantlab/debug/error_metrics.h"
#include "quantlab/debug/tensor_matching.h"
#include "quantlab/eval/evaluate.h"
#include "quantlab/ir/graph.h"
#include "quantlab/kernels/kernel.h"

namespace quantlab {

enum class DebugView : uint8_t { kPropagated, kIsolated };
const char* debug_view_name(DebugView view);

struct DebugOptions {
  bool propagated = true;
  bool isolated = true;
  int64_t max_samples = 0;  // use at most this many samples (the first ones); 0 = all
  int threads = 0;          // interpreter threads; <= 0: all cores
  KernelOptions kernels;
  // Bound on the activations held at once (float and quantized values of
  // every layer for a group of samples); the samples are processed in
  // groups that fit.
  int64_t max_group_bytes = int64_t{64} << 20;
};

// One layer: an output of a float op and its quantized twin.
struct LayerReport {
  int32_t layer = 0;         // index in the report (the charts' horizontal axis)
  std::string op_name;       // the quantized op's kind ("CONV_2D")
  int32_t float_op = -1, quant_op = -1;
  int32_t float_tensor = -1, quant_tensor = -1;
  std::string tensor_name;        // the float model's name (what selective quantization's deny-node takes)
  std::string quant_tensor_name;  // the quantized model's name
  DType quant_dtype = DType::kFloat32;
  bool has_scale = false;         // per-tensor scale/zero point present (an integer tensor)
  float scale = 0.f;
  int64_t zero_point = 0;
  MatchMethod matched_by = MatchMethod::kStructure;
  std::optional<LayerErrorStats> propagated, isolated;
  std::string isolated_note;      // why the isolated view is missing, if it is

  const std::optional<LayerErrorStats>& view(DebugView v) const {
    return v == DebugView::kPropagated ? propagated : isolated;
  }
};

// How the quantized model's input representation differs from the real
// input: the error of quantizing the data at the boundary.
struct InputReport {
  std::string name;
  DType quant_dtype = DType::kFloat32;
  LayerErrorStats stats;
};

struct OutputReport {
  std::string name;
  int64_t elements = 0;            // per sample
  double mean_squared_error = 0;   // over every element of every sample
  double max_abs_error = 0;
  // Fraction of samples whose largest output element is the same in both
  // models; NaN for outputs of one element.
  double top1_agreement = LayerErrorStats::kNaN;
};

// Task metrics of both models on a labelled dataset (the original study's metrics for
// the task, in its column order).
struct TaskComparison {
  Task task = Task::kAuto;
  std::vector<Metric> float_metrics;
  std::vector<Metric> quant_metrics;  // same names and order
};

struct DebugReport {
  int64_t samples = 0;
  std::vector<LayerReport> layers;
  std::vector<InputReport> inputs;
  std::vector<OutputReport> outputs;
  std::vector<std::string> unmatched_ops;  // float ops with no quantized twin, described
  std::optional<TaskComparison> task;
  bool has_propagated = false, has_isolated = false;
};

// Runs both views. `inputs[i]` feeds model input i: real values of any
// numeric dtype (converted to float32) of shape [N * d0, d1, ...] for an
// input of shape [d0, d1, ...]; they are quantized with rounding and
// saturation where the quantized model's input is an integer type. Errors:
// the graphs cannot be paired at their inputs, the data does not fit the
// inputs, a model does not prepare.
Result<DebugReport> debug_quantization(const Graph& float_graph, const Graph& quant_graph,
                                       const std::vector<Array>& inputs, const DebugOptions& options);

// Evaluates both models on `data` (see evaluate.h).
Result<TaskComparison> compare_on_task(const Graph& float_graph, const Graph& quant_graph, const Dataset& data,
                                       const EvalOptions& options);

// Layers whose rmse/scale exceeds `threshold` in any computed view, worst
// first (by their largest rmse/scale).
std::vector<const LayerReport*> suspect_layers(const DebugReport& report, double threshold);

// Up to `count` layers with the largest error in `view`, worst first:
// layers with a scale by rmse/scale (descending), then layers without one
// (float layers of dynamic-range or selective models) by SQNR (ascending).
std::vector<const LayerReport*> worst_layers(const DebugReport& report, DebugView view, size_t count);

}  // namespace quantlab
