// The preconditions every quantization pass shares: the input is a float
// model and each of its ops has a quantization rule.
#pragma once

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

// OK when `g` is valid and a float model: float32 model inputs and outputs,
// float32 activations, weights and biases, integer index operands (shapes,
// axes), and every op in the quantization rule table and not itself a
// QUANTIZE or DEQUANTIZE. Errors name the op and tensor: an op without a rule
// is kUnsupported, a quantized tensor or op is kInvalidArgument.
Status check_quantizable_float_model(const Graph& g);

}  // namespace quantlab
