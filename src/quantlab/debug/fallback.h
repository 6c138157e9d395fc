// Automatic fallback: finding a small set of ops to keep float (selective
// quantization) so that a quantized model loses at most a given number of
// points of a task metric against the float model.
//
// The quantized variant is re-created from the float model with the
// quantizer, so that any set of ops can be kept float: the recipe (scheme,
// I/O type, per-channel choices, which ops the given model already kept
// float, and for full-integer models the activation ranges) is read off the
// given quantized model. Ranges come from its activations' scales and zero
// points unless a calibration table is supplied.
//
// The search is greedy by measured impact, as accuracy-aware tuning tools
// do: at each step every remaining candidate is tried on the data and the
// best one is kept. A candidate is a layer (an op output): either its
// producer alone, or the producer together with every op that reads the
// layer, so that the tensor itself is never quantized (keeping only the
// producer float still quantizes its output for int8 readers, so a tensor
// with a bad range needs both). The best candidate is, among those that
// bring the drop within the limit, the one that costs the fewest bytes;
// otherwise the one with the best metric, then the smallest output error
// against the float model. The search stops when the limit is met or when
// no candidate improves on the current model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"
#include "quantlab/debug/tensor_matching.h"
#include "quantlab/eval/evaluate.h"
#include "quantlab/ir/graph.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/quant/schemes.h"

namespace quantlab {

// How to re-create a quantized variant from its float model.
struct QuantizationRecipe {
  Scheme scheme = Scheme::kFullIntegerFloatIo;
  ConversionOptions options;      // selective deny nodes = what the given model kept float
  CalibrationTable ranges;        // full-integer schemes only
  std::string ranges_source;      // where the ranges came from, for reports
};

// Reads the recipe off `quant_graph`, matched to `float_graph` by `match`.
// Errors: the quantized model quantizes nothing (neither int8 activations
// nor int8 weights), or a full-integer model's I/O type is none of float32,
// int8 and uint8.
Result<QuantizationRecipe> infer_recipe(const Graph& float_graph, const Graph& quant_graph, const GraphMatch& match);

// The activation ranges a full-integer model was built with, one per float
// tensor that has an int8 (or uint8) twin: [scale * (qmin - zp),
// scale * (qmax - zp)], keyed as calibration keys the float graph's tensors.
// choose_activation_params maps each range back to the same parameters.
CalibrationTable recover_ranges(const Graph& float_graph, const Graph& quant_graph, const GraphMatch& match);

// The variant `recipe` describes, with `extra_float_nodes` kept float as well.
Result<Graph> apply_recipe(const Graph& float_graph, const QuantizationRecipe& recipe,
                           const std::vector<std::string>& extra_float_nodes);

struct FallbackOptions {
  double max_drop_points = 1.0;  // allowed drop of the metric, in percentage points
  // The task metric to hold (a name evaluate() reports, e.g. "Accuracy",
  // "F1"); empty: the task's first metric. Without labels the metric is the
  // top-1 agreement with the float model.
  std::string metric;
  EvalOptions eval;
  // Use these ranges instead of recovering them from the quantized model.
  const CalibrationTable* ranges = nullptr;
  int max_steps = 0;  // <= 0: no limit beyond the number of candidates
};

struct FallbackStep {
  std::string layer;                    // the layer whose ops were kept float
  std::vector<std::string> added_nodes;  // deny nodes added at this step
  double metric = 0;                    // after the step (fraction)
  double output_mse = 0;                // model output MSE against the float model
  int64_t model_bytes = 0;
  int candidates_tried = 0;
};

struct FallbackResult {
  std::string metric;                  // the metric held ("Accuracy", "Top-1 agreement with float")
  bool higher_is_better = true;
  double max_drop_points = 0;
  double float_metric = 0;             // fractions in [0, 1]
  double given_metric = 0;             // the given quantized model
  double start_metric = 0;             // the re-created model before any fallback
  double final_metric = 0;
  bool reached = false;                // final drop <= max_drop_points
  // How far the re-created model's outputs are from the given model's (max
  // absolute difference over the data); 0 when the recipe reproduces it.
  double recreation_max_abs_diff = 0;
  std::string ranges_source;
  std::string scheme;
  std::vector<std::string> initially_float;  // nodes the given model already kept float
  std::vector<std::string> kept_float;       // nodes the search added, in order
  std::vector<FallbackStep> steps;
  int evaluations = 0;                 // models quantized and evaluated
  int64_t float_bytes = 0, given_bytes = 0, start_bytes = 0, final_bytes = 0;  // serialized .tflite sizes
  Graph model;                         // the final model

  double drop_points(double value) const {
    return (higher_is_better ? float_metric - value : value - float_metric) * 100.0;
  }
};

// Searches for the ops to keep float. `data` supplies the samples and,
// when its y is non-empty, the labels; without labels the float model's
// top-1 classes are the labels. Errors: no candidate layers, the recipe
// cannot be inferred or applied, the metric is unknown, evaluation fails.
Result<FallbackResult> auto_fallback(const Graph& float_graph, const Graph& quant_graph, const Dataset& data,
                                     const FallbackOptions& options);

}  // namespace quantlab
