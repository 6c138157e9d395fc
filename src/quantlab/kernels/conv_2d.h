// CONV_2D: reference float, int8 (per-tensor or per-channel weights) and
// hybrid (float activations, int8 weights) convolution over NHWC inputs and
// OHWI filters. The functions below are plain math over raw pointers; the
// kernel's prepare/eval (conv_2d.cc) validate and precompute their parameters.
#pragma once

#include <cstdint>

#include "quantlab/kernels/hybrid.h"
#include "quantlab/kernels/kernel.h"
#include "quantlab/numerics/requantize.h"

namespace quantlab {

// Sizes, strides and padding of a 2-D window op over an NHWC input. Padding
// is the number of virtual zero rows/columns before the first input element.
struct Conv2DGeometry {
  int batches = 0, in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int filter_h = 0, filter_w = 0;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;
};

// input [batches, in_h, in_w, in_c], filter [out_c, filter_h, filter_w, in_c],
// bias [out_c] or null, output [batches, out_h, out_w, out_c]. Sums are taken
// in float in TFLite's order (filter row, filter column, input channel), then
// the bias is added and the result clamped to [act_min, act_max].
void conv_2d_float(const Conv2DGeometry& g, const float* input, const float* filter, const float* bias,
                   float act_min, float act_max, float* output);

struct Conv2DInt8Params {
  Conv2DGeometry geometry;
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  // One multiplier per output channel (a per-tensor weight scale is repeated):
  // input_scale * weight_scale[c] / output_scale.
  const QuantizedMultiplier* channel_multipliers = nullptr;
  int32_t act_min = -128, act_max = 127;  // already intersected with int8's range
  Rounding rounding = Rounding::kDouble;
};

// Integer convolution as TFLite's reference ConvPerChannel: the int32 sum of
// w * (x - input_zero_point) over in-bounds taps (padding contributes real
// zero), plus the int32 bias, requantized per channel, offset by the output
// zero point and clamped. Weights are symmetric, so they carry no offset.
void conv_2d_int8(const Conv2DInt8Params& p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                  int8_t* output);

struct Conv2DHybridParams {
  Conv2DGeometry geometry;
  const float* channel_scales = nullptr;  // weight scale of each output channel
  float act_min = 0.f, act_max = 0.f;
};

// Hybrid convolution as TFLite's: each batch entry is quantized as a whole,
// asymmetrically, into `ws` (batches rows of in_h * in_w * in_c values), then
//   out = float(sum w * (x - zero_point)) * (input_scale * weight_scale[c]) + bias[c]
// clamped to [act_min, act_max]. bias may be null.
void conv_2d_hybrid(const Conv2DHybridParams& p, const float* input, const int8_t* filter, const float* bias,
                    const HybridWorkspace& ws, float* output);

// What the reference prepare derived for one CONV_2D. The optimized kernel
// reads it rather than deriving it again, so both run on the very same
// geometry, clamp and multipliers.
struct Conv2DPrepared {
  Conv2DGeometry geometry;
  float act_min = 0.f, act_max = 0.f;  // the float clamp
  const Conv2DInt8Params* int8 = nullptr;  // the int8 variant only; points into `reference_data`
};
// `reference_data` is the OpData the reference kernel's prepare made.
Conv2DPrepared reference_conv_2d_prepared(const OpData& reference_data);

}  // namespace quantlab
