// DEPTHWISE_CONV_2D: reference float, int8 (per-tensor or per-channel weights
// on dimension 3) and hybrid depthwise convolution. The input is NHWC; the
// filter is [1, filter_h, filter_w, in_c * multiplier], and output channel
// c * multiplier + m reads input channel c. Plain math over raw pointers; the
// kernel's prepare/eval (depthwise_conv_2d.cc) validate and precompute.
#pragma once

#include <cstdint>

#include "quantlab/kernels/conv_2d.h"
#include "quantlab/kernels/hybrid.h"
#include "quantlab/kernels/kernel.h"
#include "quantlab/numerics/requantize.h"

namespace quantlab {

// The geometry is a convolution's with out_c = in_c * depth multiplier
// (precondition: out_c is a positive multiple of in_c).

// Float: per output channel, the sum over in-bounds taps in float (filter row,
// then column), plus bias (may be null), clamped to [act_min, act_max].
void depthwise_conv_2d_float(const Conv2DGeometry& g, const float* input, const float* filter, const float* bias,
                             float act_min, float act_max, float* output);

struct DepthwiseConv2DInt8Params {
  Conv2DGeometry geometry;
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  // One multiplier per output channel: input_scale * weight_scale[c] / output_scale.
  const QuantizedMultiplier* channel_multipliers = nullptr;
  int32_t act_min = -128, act_max = 127;
  Rounding rounding = Rounding::kDouble;
};

// Integer depthwise convolution as TFLite's reference DepthwiseConvPerChannel:
// sum of w * (x - input_zero_point) over in-bounds taps, plus the int32 bias
// (may be null), requantized per channel, offset and clamped.
void depthwise_conv_2d_int8(const DepthwiseConv2DInt8Params& p, const int8_t* input, const int8_t* filter,
                            const int32_t* bias, int8_t* output);

struct DepthwiseConv2DHybridParams {
  Conv2DGeometry geometry;
  const float* channel_scales = nullptr;  // weight scale of each output channel
  float act_min = 0.f, act_max = 0.f;
};

// Hybrid depthwise convolution as TFLite's: each batch entry quantized as a
// whole, asymmetrically, into `ws` (batches rows of in_h * in_w * in_c), then
//   out = float(sum w * (x - zero_point)) * (input_scale * weight_scale[c]) + bias[c]
// clamped. bias may be null.
void depthwise_conv_2d_hybrid(const DepthwiseConv2DHybridParams& p, const float* input, const int8_t* filter,
                              const float* bias, const HybridWorkspace& ws, float* output);

// What the reference prepare derived for one DEPTHWISE_CONV_2D. The optimized kernel
// reads it rather than deriving it again, so both run on the very same
// geometry, clamp and multipliers.
struct DepthwiseConv2DPrepared {
  Conv2DGeometry geometry;
  float act_min = 0.f, act_max = 0.f;  // the float clamp
  const DepthwiseConv2DInt8Params* int8 = nullptr;  // the int8 variant only; points into `reference_data`
};
// `reference_data` is the OpData the reference kernel's prepare made.
DepthwiseConv2DPrepared reference_depthwise_conv_2d_prepared(const OpData& reference_data);

}  // namespace quantlab
