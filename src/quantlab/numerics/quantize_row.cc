#include "quantlab/numerics/quantize_row.h"

#include <algorithm>
#include <cmath>

namespace quantlab {
namespace {

// Rounds half away from zero and clamps in the float domain, so that the
// conversion to an integer can never overflow (NaN goes to `nan_value`).
int8_t round_and_clamp(float x, float lo, float hi, int32_t nan_value) {
  if (std::isnan(x)) return static_cast<int8_t>(nan_value);
  const float r = std::round(x);
  return static_cast<int8_t>(r < lo ? lo : (r > hi ? hi : r));
}

// Min and max over the row, ignoring NaN; both 0 for an empty row.
void row_min_max(const float* values, int64_t count, float* min_value, float* max_value) {
  float lo = 0.f, hi = 0.f;
  bool seen = false;
  for (int64_t i = 0; i < count; ++i) {
    const float v = values[i];
    if (std::isnan(v)) continue;
    if (!seen || v < lo) lo = v;
    if (!seen || v > hi) hi = v;
    seen = true;
  }
  *min_value = lo;
  *max_value = hi;
}

}  // namespace

RowQuantization quantize_row_symmetric(const float* values, int64_t count, int8_t* quantized) {
  constexpr float kLevels = 127.f;
  float min_value = 0.f, max_value = 0.f;
  row_min_max(values, count, &min_value, &max_value);
  const float range = std::max(std::fabs(min_value), std::fabs(max_value));
  RowQuantization r;
  if (range == 0.f) {
    std::fill(quantized, quantized + count, int8_t{0});
    return r;
  }
  r.scale = range / kLevels;
  // TFLite multiplies by the float reciprocal 127 / range rather than
  // dividing by the scale; the two round differently on some values.
  const float inverse_scale = kLevels / range;
  for (int64_t i = 0; i < count; ++i) quantized[i] = round_and_clamp(values[i] * inverse_scale, -kLevels, kLevels, 0);
  return r;
}

RowQuantization quantize_row_asymmetric(const float* values, int64_t count, int8_t* quantized) {
  constexpr double kQMin = -128.0, kQMax = 127.0;
  float min_value = 0.f, max_value = 0.f;
  row_min_max(values, count, &min_value, &max_value);
  const double rmin = std::min(0.0, static_cast<double>(min_value));
  const double rmax = std::max(0.0, static_cast<double>(max_value));
  RowQuantization r;
  if (rmin == rmax) {
    std::fill(quantized, quantized + count, int8_t{0});
    return r;
  }
  const double scale = (rmax - rmin) / (kQMax - kQMin);
  // Both ends of the range predict a zero point; the one whose terms are
  // smaller in magnitude carries less rounding error.
  const double zero_point_from_min = kQMin - rmin / scale;
  const double zero_point_from_max = kQMax - rmax / scale;
  const double error_from_min = std::fabs(kQMin) + std::fabs(rmin / scale);
  const double error_from_max = std::fabs(kQMax) + std::fabs(rmax / scale);
  double zero_point = error_from_min < error_from_max ? zero_point_from_min : zero_point_from_max;
  // A row holding an infinity has an infinite scale, so the prediction from
  // that end is inf / inf = NaN; the other end's prediction stands in, and
  // with both ends infinite the middle of the range, 0. The conversion to
  // int below must never see NaN.
  if (std::isnan(zero_point)) zero_point = std::isnan(zero_point_from_min) ? 0.0 : zero_point_from_min;
  if (zero_point <= kQMin) {
    r.zero_point = static_cast<int32_t>(kQMin);
  } else if (zero_point >= kQMax) {
    r.zero_point = static_cast<int32_t>(kQMax);
  } else {
    r.zero_point = static_cast<int32_t>(std::round(zero_point));
  }
  r.scale = static_cast<float>(scale);
  const float inverse_scale = 1.f / r.scale;
  const float offset = static_cast<float>(r.zero_point);
  for (int64_t i = 0; i < count; ++i)
    quantized[i] = round_and_clamp(offset + values[i] * inverse_scale, static_cast<float>(kQMin),
                                   static_cast<float>(kQMax), r.zero_point);
  return r;
}

}  // namespace quantlab
