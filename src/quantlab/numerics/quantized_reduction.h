// Integer arithmetic of averaging ops: MEAN over axes and AVERAGE_POOL_2D
// windows, as TFLite's reference kernels compute them.
#pragma once

#include <algorithm>
#include <cstdint>

#include "quantlab/numerics/requantize.h"

namespace quantlab {

// MEAN on int8 (with differing or identical input/output quantization:
// TFLite Micro takes this path in both cases). The reference kernel folds
// the division by the element count n into the requantization multiplier
// (s_in / s_out, decomposed as usual): with k = floor(log2 n), capped at 32
// and at 31 + shift so the final shift stays >= -31, the new multiplier is
// (multiplier * 2^k) / n truncated, and the new shift is shift - k. The
// truncation is why this differs from a float formula on some outputs.
struct QuantizedMeanParams {
  int32_t input_zero_point = 0;
  QuantizedMultiplier multiplier;  // s_in / s_out / n, as described above
  int32_t output_zero_point = 0;
  int32_t output_min = -128, output_max = 127;
  int64_t count = 1;  // elements averaged into one output
  Rounding rounding = Rounding::kDouble;
};

// Preconditions: scales finite and positive; count >= 1.
QuantizedMeanParams make_quantized_mean_params(float input_scale, int32_t input_zero_point, float output_scale,
                                               int32_t output_zero_point, int64_t count, int32_t output_min,
                                               int32_t output_max, Rounding rounding);

// `raw_sum` is the sum of the raw quantized inputs (zero point included).
// The offset-corrected sum is narrowed to int32 as in the reference kernel;
// |sum| < 2^31 holds for fewer than 2^23 int8 elements.
inline int32_t quantized_mean(int64_t raw_sum, const QuantizedMeanParams& p) {
  const int32_t centered = static_cast<int32_t>(raw_sum - int64_t{p.input_zero_point} * p.count);
  const int32_t out = add_zero_point_wrapping(multiply_by_quantized_multiplier(centered, p.multiplier, p.rounding),
                                              p.output_zero_point);
  return std::min(std::max(out, p.output_min), p.output_max);
}

// AVERAGE_POOL_2D: sum / count rounded half away from zero, computed as the
// reference kernel does ((sum +- count/2) / count with truncating division).
// Precondition: count >= 1.
inline int32_t rounded_average(int32_t sum, int32_t count) {
  return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

}  // namespace quantlab
