// Integer arithmetic of element-wise quantized ops: ADD, MUL and
// requantizing one value from one (scale, zero point) to another. Each op's
// parameters are derived once (prepare) by a make_* function and then applied
// per element by an inline function, exactly as TFLite's reference kernels do.
#pragma once

#include <algorithm>
#include <cstdint>

#include "quantlab/numerics/requantize.h"

namespace quantlab {

// ---------------------------------------------------------------------------
// ADD. Both inputs are brought to a common fixed-point scale before summing:
// each offset-corrected input is shifted left by `left_shift` bits (20 for
// int8, so a 9-bit difference uses 29 bits and the sum of two cannot
// overflow int32), then multiplied by s_i / (2 * max(s1, s2)), which is at
// most 0.5. The sum is rescaled by 2 * max(s1, s2) / (2^left_shift * s_out).
// Doubling the larger scale keeps both input multipliers below one, which is
// what the reference kernel's "smaller than one" multiply requires.
struct QuantizedAddParams {
  int32_t input1_offset = 0;  // -zero_point of input 1
  int32_t input2_offset = 0;  // -zero_point of input 2
  QuantizedMultiplier input1_multiplier, input2_multiplier, output_multiplier;
  int left_shift = 20;
  int32_t output_zero_point = 0;
  int32_t output_min = -128, output_max = 127;  // activation range, quantized
  Rounding rounding = Rounding::kDouble;
};

// Preconditions: scales finite and positive; output_min <= output_max.
// `left_shift` is 20 for int8 and uint8 (TFLite's value).
QuantizedAddParams make_quantized_add_params(float input1_scale, int32_t input1_zero_point, float input2_scale,
                                             int32_t input2_zero_point, float output_scale,
                                             int32_t output_zero_point, int32_t output_min, int32_t output_max,
                                             Rounding rounding, int left_shift = 20);

// The quantized sum of two quantized values, clamped to the activation range.
inline int32_t quantized_add(int32_t a, int32_t b, const QuantizedAddParams& p) {
  const int32_t shifted_a = (a + p.input1_offset) * (int32_t{1} << p.left_shift);
  const int32_t shifted_b = (b + p.input2_offset) * (int32_t{1} << p.left_shift);
  const int32_t scaled_a = multiply_by_quantized_multiplier(shifted_a, p.input1_multiplier, p.rounding);
  const int32_t scaled_b = multiply_by_quantized_multiplier(shifted_b, p.input2_multiplier, p.rounding);
  const int32_t sum = add_zero_point_wrapping(
      multiply_by_quantized_multiplier(scaled_a + scaled_b, p.output_multiplier, p.rounding), p.output_zero_point);
  return std::min(std::max(sum, p.output_min), p.output_max);
}

// ---------------------------------------------------------------------------
// MUL: (a - z1) * (b - z2) * (s1 * s2 / s_out) + z_out. The product of two
// 9-bit offset values fits easily in int32.
struct QuantizedMulParams {
  int32_t input1_offset = 0, input2_offset = 0;  // -zero_points
  QuantizedMultiplier output_multiplier;
  int32_t output_zero_point = 0;
  int32_t output_min = -128, output_max = 127;
  Rounding rounding = Rounding::kDouble;
};

QuantizedMulParams make_quantized_mul_params(float input1_scale, int32_t input1_zero_point, float input2_scale,
                                             int32_t input2_zero_point, float output_scale,
                                             int32_t output_zero_point, int32_t output_min, int32_t output_max,
                                             Rounding rounding);

inline int32_t quantized_mul(int32_t a, int32_t b, const QuantizedMulParams& p) {
  const int32_t product = (a + p.input1_offset) * (b + p.input2_offset);
  const int32_t out =
      add_zero_point_wrapping(multiply_by_quantized_multiplier(product, p.output_multiplier, p.rounding),
                              p.output_zero_point);
  return std::min(std::max(out, p.output_min), p.output_max);
}

// ---------------------------------------------------------------------------
// Requantization of a single value: (q - z_in) * (s_in / s_out) + z_out,
// clamped to [output_min, output_max]. The multiplier is the exact 31-bit
// one (TFLite's QUANTIZE int8 -> int8, RELU with differing quantization,
// CONCATENATION of inputs with differing quantization).
struct RequantizeParams {
  int32_t input_zero_point = 0;
  QuantizedMultiplier multiplier;
  int32_t output_zero_point = 0;
  int32_t output_min = -128, output_max = 127;
  Rounding rounding = Rounding::kDouble;
};

RequantizeParams make_requantize_params(float input_scale, int32_t input_zero_point, float output_scale,
                                        int32_t output_zero_point, int32_t output_min, int32_t output_max,
                                        Rounding rounding);

inline int32_t requantize_value(int32_t q, const RequantizeParams& p) {
  const int32_t out = add_zero_point_wrapping(
      multiply_by_quantized_multiplier(q - p.input_zero_point, p.multiplier, p.rounding), p.output_zero_point);
  return std::min(std::max(out, p.output_min), p.output_max);
}

}  // namespace quantlab
