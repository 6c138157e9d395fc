#include "quantlab/numerics/requantize.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quantlab {

const char* rounding_name(Rounding r) { return r == Rounding::kDouble ? "double" : "single"; }

QuantizedMultiplier quantize_multiplier(double real_multiplier) {
  QuantizedMultiplier m;
  if (!(real_multiplier > 0.0) || !std::isfinite(real_multiplier)) return m;
  int exponent = 0;
  const double q = std::frexp(real_multiplier, &exponent);  // q in [0.5, 1)
  // llround rounds half away from zero, as TFLite's TfLiteRound does.
  int64_t q_fixed = std::llround(q * static_cast<double>(int64_t{1} << 31));
  if (q_fixed == (int64_t{1} << 31)) {  // q rounded up to exactly 1.0
    q_fixed /= 2;
    ++exponent;
  }
  if (exponent < -31) return QuantizedMultiplier{};  // smaller than the smallest representable shift
  // A real multiplier of 2^31 or more (scales from a hostile or broken file)
  // would need a left shift past what the multiply functions can do in 64
  // bits. Any nonzero accumulator times it lies outside int32, and times
  // {2^31 - 1, 31} it lands within two of the int32 limits, so every output
  // clamped to 8 or 16 bits comes out the same.
  if (exponent > 31) return QuantizedMultiplier{std::numeric_limits<int32_t>::max(), 31};
  m.multiplier = static_cast<int32_t>(q_fixed);
  m.shift = exponent;
  return m;
}

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::max();
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  // Round half away from zero before taking the high 32 bits of 2*a*b.
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m, Rounding rounding) {
  if (rounding == Rounding::kDouble) {
    const int left = m.shift > 0 ? m.shift : 0;
    const int right = m.shift > 0 ? 0 : -m.shift;
    // The left shift is done in 64 bits and saturated, as gemmlowp's
    // SaturatingLeftShift would for the shifts TFLite allows (<= 31).
    int64_t shifted = static_cast<int64_t>(x) * (int64_t{1} << left);
    if (shifted > std::numeric_limits<int32_t>::max()) shifted = std::numeric_limits<int32_t>::max();
    if (shifted < std::numeric_limits<int32_t>::min()) shifted = std::numeric_limits<int32_t>::min();
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(static_cast<int32_t>(shifted), m.multiplier),
                                  right);
  }
  return multiply_by_quantized_multiplier_64(x, m, rounding);
}

int32_t multiply_by_quantized_multiplier_64(int64_t x, QuantizedMultiplier m, Rounding rounding) {
  if (rounding == Rounding::kDouble && x >= std::numeric_limits<int32_t>::min() &&
      x <= std::numeric_limits<int32_t>::max())
    return multiply_by_quantized_multiplier(static_cast<int32_t>(x), m, rounding);
  // One rounding: (x * multiplier + 2^(total_shift - 1)) >> total_shift with
  // total_shift = 31 - shift. An int64 value times a multiplier below 2^31
  // needs up to 94 bits, so the product is formed in 128 bits.
  const int total_shift = 31 - m.shift;
  if (total_shift > 62) return 0;  // shift below -31: the multiplier rounds to 0
  __int128 r = static_cast<__int128>(x) * m.multiplier;
  if (total_shift > 0) {
    r = (r + (static_cast<__int128>(1) << (total_shift - 1))) >> total_shift;
  } else if (total_shift < 0) {
    // Only hand-built multipliers get here (quantize_multiplier keeps
    // shift <= 31). A nonzero product moved 32 bits left is already outside
    // int32, so larger shifts need not be carried out.
    r *= static_cast<__int128>(1) << std::min(-total_shift, 32);
  }
  const __int128 lowest = std::numeric_limits<int32_t>::min(), highest = std::numeric_limits<int32_t>::max();
  return static_cast<int32_t>(r < lowest ? lowest : (r > highest ? highest : r));
}

double real_multiplier_double_product(float input_scale, float weight_scale, float output_scale) {
  return static_cast<double>(input_scale) * static_cast<double>(weight_scale) / static_cast<double>(output_scale);
}

double real_multiplier_float_product(float input_scale, float weight_scale, float output_scale) {
  const float product = input_scale * weight_scale;
  return static_cast<double>(product) / static_cast<double>(output_scale);
}

}  // namespace quantlab
