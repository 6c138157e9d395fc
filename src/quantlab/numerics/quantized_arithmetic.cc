#include "quantlab/numerics/quantized_arithmetic.h"

namespace quantlab {

QuantizedAddParams make_quantized_add_params(float input1_scale, int32_t input1_zero_point, float input2_scale,
                                             int32_t input2_zero_point, float output_scale,
                                             int32_t output_zero_point, int32_t output_min, int32_t output_max,
                                             Rounding rounding, int left_shift) {
  QuantizedAddParams p;
  p.input1_offset = -input1_zero_point;
  p.input2_offset = -input2_zero_point;
  p.left_shift = left_shift;
  p.output_zero_point = output_zero_point;
  p.output_min = output_min;
  p.output_max = output_max;
  p.rounding = rounding;
  // The ratios are formed in double from the float scales, as the reference
  // kernel does; forming them in float would move some multipliers by 1.
  const double twice_max_input_scale = 2.0 * std::max<double>(input1_scale, input2_scale);
  p.input1_multiplier = quantize_multiplier(static_cast<double>(input1_scale) / twice_max_input_scale);
  p.input2_multiplier = quantize_multiplier(static_cast<double>(input2_scale) / twice_max_input_scale);
  p.output_multiplier = quantize_multiplier(
      twice_max_input_scale / (static_cast<double>(int64_t{1} << left_shift) * static_cast<double>(output_scale)));
  return p;
}

QuantizedMulParams make_quantized_mul_params(float input1_scale, int32_t input1_zero_point, float input2_scale,
                                             int32_t input2_zero_point, float output_scale,
                                             int32_t output_zero_point, int32_t output_min, int32_t output_max,
                                             Rounding rounding) {
  QuantizedMulParams p;
  p.input1_offset = -input1_zero_point;
  p.input2_offset = -input2_zero_point;
  p.output_zero_point = output_zero_point;
  p.output_min = output_min;
  p.output_max = output_max;
  p.rounding = rounding;
  p.output_multiplier = quantize_multiplier(static_cast<double>(input1_scale) * static_cast<double>(input2_scale) /
                                            static_cast<double>(output_scale));
  return p;
}

RequantizeParams make_requantize_params(float input_scale, int32_t input_zero_point, float output_scale,
                                        int32_t output_zero_point, int32_t output_min, int32_t output_max,
                                        Rounding rounding) {
  RequantizeParams p;
  p.input_zero_point = input_zero_point;
  p.output_zero_point = output_zero_point;
  p.output_min = output_min;
  p.output_max = output_max;
  p.rounding = rounding;
  p.multiplier = quantize_multiplier(static_cast<double>(input_scale) / static_cast<double>(output_scale));
  return p;
}

}  // namespace quantlab
