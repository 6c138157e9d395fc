// Dynamic-range quantization (DRQ, "hybrid"): the weights of ops that have
// hybrid kernels (CONV_2D and DEPTHWISE_CONV_2D per channel, FULLY_CONNECTED
// and BATCH_MATMUL per tensor) become int8 symmetric; biases and every
// activation stay float32, and the kernels quantize activations at run time.
// Needs no calibration.
//
// A weight with fewer than `min_elements` elements stays float, as in
// TFLite's converter (threshold 1024): on a tiny network most layers stay
// float, which is why such a DRQ model is nearly identical to, and barely
// smaller than, the float one. The report says so, tensor by tensor.
#pragma once

#include <cstdint>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"
#include "quantlab/quant/quantized_graph.h"
#include "quantlab/quant/selective.h"

namespace quantlab {

struct DynamicRangeOptions {
  int64_t min_elements = 1024;  // weights with fewer elements stay float
  bool fc_per_channel = false;  // FULLY_CONNECTED weights per output channel
  // Set asymmetric_quantize_inputs on FULLY_CONNECTED and BATCH_MATMUL ops
  // whose weights are quantized, as current converters do; the hybrid
  // kernels then quantize each input row with its own zero point.
  bool asymmetric_inputs = true;
  SelectiveOptions selective;  // denied ops keep float weights
};

// A pure function of its arguments. Every CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED without a bias gets a float zero bias. Errors: not a
// quantizable float model, a denied node that does not exist.
Result<QuantizedGraph> quantize_dynamic_range(const Graph& float_graph, const DynamicRangeOptions& options);

}  // namespace quantlab
