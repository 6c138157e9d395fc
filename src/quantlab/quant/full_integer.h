// Full-integer quantization (FIQ): a float model and its calibrated ranges
// become an int8 graph with float32 inputs and outputs, following the int8
// spec: per-op behaviour comes from the rule table (op_rules.h), parameters
// from numerics/choose_params.h.
//
// The graph it builds:
//  - every op not denied runs in int8: activations int8 asymmetric, weights
//    int8 symmetric, biases int32 (zeros for CONV_2D, DEPTHWISE_CONV_2D and
//    FULLY_CONNECTED ops that had none);
//  - a QUANTIZE (float -> int8) follows each model input, and a DEQUANTIZE
//    (int8 -> float) precedes each model output; the model's input and
//    output tensors keep their names, their int8 twins are "<name>_int8";
//  - denied ops (selective quantization) stay float, reading DEQUANTIZEd
//    copies ("<name>_float") of int8 tensors and feeding int8 consumers
//    through a QUANTIZE ("<name>_int8");
//  - ops whose inputs must share the output's parameters (CONCATENATION)
//    get a requantizing QUANTIZE on each input that differs.
// Quantized constants keep the names of the float tensors they replace.
#pragma once

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/quant/quantized_graph.h"
#include "quantlab/quant/selective.h"

namespace quantlab {

struct FullIntegerOptions {
  // FULLY_CONNECTED weights per output channel instead of per tensor (the
  // portable default; microcontroller runtimes only recently accept both).
  bool fc_per_channel = false;
  SelectiveOptions selective;
};

// A pure function of its arguments. Errors: the model is not a quantizable
// float model (check_quantizable_float_model), a tensor an int8 op needs has
// no range in `ranges`, a weight is not constant, a denied node does not exist.
Result<QuantizedGraph> quantize_full_integer(const Graph& float_graph, const CalibrationTable& ranges,
                                             const FullIntegerOptions& options);

}  // namespace quantlab
