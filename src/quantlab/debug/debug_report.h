// The debugger's reports: per-layer CSV in TensorFlow's column order, a JSON
// document with everything, and a Markdown summary naming the worst layers.
// Formatting only; every number comes from layer_debugger and fallback.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "quantlab/debug/fallback.h"
#include "quantlab/debug/layer_debugger.h"

namespace quantlab {

struct DebugReportContext {
  std::string float_model;   // how the models are named in reports (paths)
  std::string quant_model;
  double suspect_threshold = 0.7;
  size_t worst_count = 5;    // layers the summary names as the worst
};

// Header of the per-layer CSV: op_name, tensor_idx, num_elements, the
// metrics of layer_metrics() in order, scale, zero_point, tensor_name.
std::vector<std::string> layer_csv_columns();

// One row per layer, in layer order (row i is layer i), for one view.
// tensor_idx is the quantized model's tensor index and tensor_name the
// float model's tensor name (the name selective quantization's deny-node
// takes). Layers without a scale (float layers) leave scale and zero_point
// empty; NaN prints as "nan", infinity as "inf".
std::string layer_stats_csv(const DebugReport& report, DebugView view);

// {"format": "quantlab-debug", "version": 1, models, samples, thresholds,
//  "metrics": [{name, description}], "layers": [...], "inputs", "outputs",
//  "task", "suspects", "unmatched_ops", "fallback"}; NaN and infinity
//  are written as null.
std::string debug_report_json(const DebugReport& report, const DebugReportContext& context,
                              const FallbackResult* fallback);

// A readable summary: model-level comparison, task metrics, the worst
// layers and the suspects with what each view says about them, the layer
// index, unmatched ops, and the fallback search when one ran.
std::string debug_summary_markdown(const DebugReport& report, const DebugReportContext& context,
                                   const FallbackResult* fallback);

// The fallback search alone, as Markdown (also part of the summary).
std::string fallback_markdown(const FallbackResult& fallback);

}  // namespace quantlab
