// RELU and RELU6 (relu6.cc shares this kernel): clamping to [0, inf) or
// [0, 6]. Quantized inputs are first requantized to the output's
// quantization, then clamped to the quantized bounds, so input and output may
// carry different scales (as the full TFLite runtime allows).
#pragma once

#include <cstdint>

#include "quantlab/kernels/kernel.h"
#include "quantlab/numerics/quantized_arithmetic.h"

namespace quantlab {

// out = clamp(x, lower, upper).
void clamp_float(const float* input, float* output, int64_t size, float lower, float upper);

// out = requantize_value(x): rescale, then clamp to
// [params.output_min, params.output_max], which hold the activation's bounds.
void clamp_requantized_int8(const int8_t* input, int8_t* output, int64_t size, const RequantizeParams& params);
void clamp_requantized_uint8(const uint8_t* input, uint8_t* output, int64_t size, const RequantizeParams& params);

// The kernel of RELU (act = kRelu) and RELU6 (act = kRelu6).
Status prepare_clamp_activation(PrepareContext& ctx, Activation act);
Status eval_clamp_activation(const EvalContext& ctx);

}  // namespace quantlab
