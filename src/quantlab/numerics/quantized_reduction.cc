#include "quantlab/numerics/quantized_reduction.h"

namespace quantlab {

QuantizedMeanParams make_quantized_mean_params(float input_scale, int32_t input_zero_point, float output_scale,
                                               int32_t output_zero_point, int64_t count, int32_t output_min,
                                               int32_t output_max, Rounding rounding) {
  QuantizedMeanParams p;
  p.input_zero_point = input_zero_point;
  p.output_zero_point = output_zero_point;
  p.output_min = output_min;
  p.output_max = output_max;
  p.count = count;
  p.rounding = rounding;
  const QuantizedMultiplier base =
      quantize_multiplier(static_cast<double>(input_scale) / static_cast<double>(output_scale));
  // k = floor(log2(count)): the largest power of two not above the count, so
  // multiplier * 2^k / count keeps as many significant bits as possible while
  // the quotient still fits in int32 (multiplier < 2^31, 2^k <= count).
  int k = 0;
  while (k < 62 && (int64_t{1} << (k + 1)) <= count) ++k;
  k = std::min(k, 32);
  k = std::min(k, 31 + base.shift);
  // The reference shifts the multiplier left by k in 64 bits, so k may not be
  // negative; a base shift below -31 yields a zero multiplier anyway.
  k = std::max(k, 0);
  p.multiplier.multiplier = static_cast<int32_t>((static_cast<int64_t>(base.multiplier) << k) / count);
  p.multiplier.shift = base.shift - k;
  return p;
}

}  // namespace quantlab
