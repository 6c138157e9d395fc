// Converting values between the real and quantized domains, and choosing
// quantization parameters. Used by QUANTIZE/DEQUANTIZE kernels, the
// evaluation harness and the quantizer.
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

#include "quantlab/core/dtype.h"
#include "quantlab/ir/op_options.h"

namespace quantlab {

// Integer range of a quantized dtype: int8 [-128, 127], uint8 [0, 255],
// int16 [-32768, 32767], int32 full range.
std::pair<int32_t, int32_t> quantized_range(DType t);

// round(x / scale) + zero_point, rounded half away from zero (as TFLite's
// QUANTIZE does) and saturated to [qmin, qmax]. NaN maps to zero_point.
inline int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  const float scaled = x / scale;
  if (std::isnan(scaled)) return zero_point;
  // Clamp in the float domain first so the conversion to int cannot overflow.
  const float lo = static_cast<float>(qmin - zero_point), hi = static_cast<float>(qmax - zero_point);
  float r = std::round(scaled);
  r = r < lo ? lo : (r > hi ? hi : r);
  return static_cast<int32_t>(r) + zero_point;
}

// What a naive harness computes instead of quantize_value: x / scale +
// zero_point truncated toward zero, then narrowed to 8 bits by a C-style
// cast, which keeps the low byte (int8 and uint8 share the bit pattern), so
// values outside the type wrap around instead of saturating.
struct PlainCast {
  int64_t truncated = 0;  // the value before the cast; 0 for NaN or infinity
  uint8_t low_byte = 0;   // what the cast stores
};
inline PlainCast plain_cast_value(double x, double scale, int32_t zero_point) {
  const double v = x / scale + zero_point;
  PlainCast c;
  // Bounded first so the conversion to an integer is defined; a value this
  // far out wraps either way.
  if (std::isfinite(v)) c.truncated = static_cast<int64_t>(std::trunc(std::fmax(std::fmin(v, 1e15), -1e15)));
  c.low_byte = static_cast<uint8_t>(static_cast<uint64_t>(c.truncated) & 0xff);
  return c;
}

// scale * (q - zero_point).
inline float dequantize_value(int32_t q, float scale, int32_t zero_point) {
  return scale * static_cast<float>(q - zero_point);
}

// Clamp bounds in the quantized domain for a fused activation, intersected
// with the dtype's range (TFLite's CalculateActivationRangeQuantized).
std::pair<int32_t, int32_t> quantized_activation_range(Activation act, float scale, int32_t zero_point, DType t);

// Clamp bounds in the real domain for a fused activation.
std::pair<float, float> float_activation_range(Activation act);

// Applies a fused activation to one float value.
inline float apply_float_activation(float x, Activation act) {
  switch (act) {
    case Activation::kNone: return x;
    case Activation::kRelu: return x < 0.f ? 0.f : x;
    case Activation::kReluN1To1: return x < -1.f ? -1.f : (x > 1.f ? 1.f : x);
    case Activation::kRelu6: return x < 0.f ? 0.f : (x > 6.f ? 6.f : x);
    case Activation::kTanh: return std::tanh(x);
    case Activation::kSignBit: return std::signbit(x) ? 1.f : 0.f;
  }
  return x;
}

}  // namespace quantlab
