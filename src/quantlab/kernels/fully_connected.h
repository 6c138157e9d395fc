// FULLY_CONNECTED: reference float, int8 (per-tensor or per-channel weights
// on dimension 0) and hybrid matrix-vector products. The input is viewed as
// [rows, in] (any leading dimensions flattened), the weights are [out, in],
// the output is [rows, out]. Plain math over raw pointers; the kernel's
// prepare/eval (fully_connected.cc) validate and precompute.
#pragma once

#include <cstdint>

#include "quantlab/kernels/hybrid.h"
#include "quantlab/kernels/kernel.h"
#include "quantlab/numerics/requantize.h"

namespace quantlab {

struct FullyConnectedShape {
  int64_t rows = 0;  // product of the input's leading dimensions
  int in = 0;        // accumulation depth (weights dimension 1)
  int out = 0;       // output units (weights dimension 0)
};

// Float: each output is the float sum over the depth in order, plus bias (may
// be null), clamped to [act_min, act_max].
void fully_connected_float(const FullyConnectedShape& s, const float* input, const float* weights, const float* bias,
                           float act_min, float act_max, float* output);

struct FullyConnectedInt8Params {
  FullyConnectedShape shape;
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  // One multiplier per output unit (per-tensor weights repeat theirs).
  const QuantizedMultiplier* channel_multipliers = nullptr;
  int32_t act_min = -128, act_max = 127;
  Rounding rounding = Rounding::kDouble;
};

// Integer as TFLite's reference FullyConnected / FullyConnectedPerChannel:
// sum of w * (x - input_zero_point), plus the int32 bias (may be null),
// requantized, offset by the output zero point and clamped.
void fully_connected_int8(const FullyConnectedInt8Params& p, const int8_t* input, const int8_t* weights,
                          const int32_t* bias, int8_t* output);

struct FullyConnectedHybridParams {
  FullyConnectedShape shape;
  const float* channel_scales = nullptr;     // weight scale of each output unit
  bool asymmetric_inputs = false;            // the op's asymmetric_quantize_inputs
  const int32_t* weight_row_sums = nullptr;  // per output unit; read only when asymmetric
  float act_min = 0.f, act_max = 0.f;
};

// Hybrid as TFLite's: each input row quantized on its own into `ws` (rows x in),
// symmetric or asymmetric, then
//   out = float(sum w * q - zero_point * row_sum(w)) * (input_scale * weight_scale[c]) + bias[c]
// clamped. bias may be null.
void fully_connected_hybrid(const FullyConnectedHybridParams& p, const float* input, const int8_t* weights,
                            const float* bias, const HybridWorkspace& ws, float* output);

// What the reference prepare derived for one FULLY_CONNECTED. The optimized kernel
// reads it rather than deriving it again, so both run on the very same
// geometry, clamp and multipliers.
struct FullyConnectedPrepared {
  FullyConnectedShape shape;
  float act_min = 0.f, act_max = 0.f;  // the float clamp
  const FullyConnectedInt8Params* int8 = nullptr;  // the int8 variant only; points into `reference_data`
};
// `reference_data` is the OpData the reference kernel's prepare made.
FullyConnectedPrepared reference_fully_connected_prepared(const OpData& reference_data);

}  // namespace quantlab
