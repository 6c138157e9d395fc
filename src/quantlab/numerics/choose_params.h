// Choosing quantization parameters, as the int8 spec prescribes:
//  - activations: asymmetric, from a calibrated real range [min, max];
//  - weights: symmetric int8 in [-127, 127], per tensor or per channel;
//  - biases: int32 with scale = input scale x weight scale (per channel where
//    the weights are), zero point 0.
// These are the only functions the quantization passes use to derive a scale,
// a zero point or a quantized constant; nothing above numerics re-derives them.
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/core/dtype.h"
#include "quantlab/core/shape.h"

namespace quantlab {

// real = scale * (q - zero_point).
struct AffineParams {
  float scale = 1.f;
  int32_t zero_point = 0;
};

// Asymmetric parameters mapping [min, max] onto the whole range of `dtype`
// (int8 [-128, 127] or uint8 [0, 255]). The range is first widened to
// include 0, so real zero is exactly representable (zero padding, ReLU).
// Then, in double precision, scale = (max - min) / (qmax - qmin) and
// zero_point = round(qmin - min / scale) (half away from zero), clamped to
// [qmin, qmax]; the scale is stored as float.
// A degenerate range (both ends 0, or a scale that underflows float) gets
// scale 1 and zero point qmin: every value is then 0 and quantizes exactly.
// Preconditions: min and max finite, min <= max; dtype kInt8 or kUInt8.
AffineParams choose_activation_params(float min, float max, DType dtype = DType::kInt8);

// Symmetric int8 quantization of a weight tensor.
struct SymmetricWeights {
  std::vector<float> scales;   // one per channel, or one for the whole tensor
  std::vector<int8_t> values;  // same element order as the float input
  int32_t axis = -1;           // quantized dimension, -1 when per tensor
};

// Quantizes `values` (a tensor of `shape`) symmetrically: for each channel
// along `axis` (or for the whole tensor when axis is -1), scale = max|w| / 127
// computed in double and stored as float, and q = round(w / scale) half away
// from zero, clamped to [-127, 127] (the int8 spec's narrow range, so that
// -q never overflows). An all-zero channel gets scale 1 and zeros.
// Preconditions: values holds num_elements(shape) finite floats;
// axis is -1 or in [0, rank).
SymmetricWeights quantize_weights_symmetric(const float* values, const Shape& shape, int axis);

// int32 bias quantization: channel c has scale input_scale * weight_scales[c]
// (the product formed in double, as the accumulator it is added to has that
// scale exactly) and q = round(b / scale), clamped to [-(2^31 - 1), 2^31 - 1].
// With one weight scale every element uses it (per-tensor weights).
struct QuantizedBias {
  std::vector<float> scales;  // one per weight scale
  std::vector<int32_t> values;
};

// Preconditions: `count` finite values; weight_scales has 1 or `count`
// positive entries; input_scale positive.
QuantizedBias quantize_bias(const float* values, int64_t count, float input_scale,
                            const std::vector<float>& weight_scales);

// Quantizes a constant used as an activation operand (e.g. the second input
// of ADD): parameters from its own [min, max] by choose_activation_params,
// values rounded half away from zero and saturated.
struct QuantizedConstant {
  AffineParams params;
  std::vector<int8_t> values;
};
QuantizedConstant quantize_constant_asymmetric(const float* values, int64_t count);

}  // namespace quantlab
