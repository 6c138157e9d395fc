#include "quantlab/numerics/choose_params.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

constexpr int32_t kWeightMax = 127;

// Index of the channel an element belongs to, for a tensor viewed as
// [outer, channels, inner] around the quantized axis.
struct ChannelLayout {
  int64_t channels = 1;
  int64_t inner = 1;
  int64_t channel_of(int64_t i) const { return (i / inner) % channels; }
};

ChannelLayout channel_layout(const Shape& shape, int axis) {
  ChannelLayout layout;
  if (axis < 0) return layout;
  layout.channels = shape[axis];
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) layout.inner *= shape[d];
  return layout;
}

}  // namespace

AffineParams choose_activation_params(float min, float max, DType dtype) {
  const auto [qmin, qmax] = quantized_range(dtype);
  const double lo = std::min(0.0, static_cast<double>(min));
  const double hi = std::max(0.0, static_cast<double>(max));
  const double scale = (hi - lo) / static_cast<double>(qmax - qmin);
  const float stored_scale = static_cast<float>(scale);
  if (!(stored_scale > 0.f) || !std::isnormal(stored_scale)) return AffineParams{1.f, qmin};
  // lo <= 0, so qmin - lo / scale >= qmin; it exceeds qmax only when hi == 0.
  const double zero_point = std::round(static_cast<double>(qmin) - lo / scale);
  AffineParams p;
  p.scale = stored_scale;
  p.zero_point = static_cast<int32_t>(std::min<double>(std::max<double>(zero_point, qmin), qmax));
  return p;
}

SymmetricWeights quantize_weights_symmetric(const float* values, const Shape& shape, int axis) {
  const ChannelLayout layout = channel_layout(shape, axis);
  const int64_t count = num_elements(shape);
  std::vector<double> max_abs(static_cast<size_t>(layout.channels), 0.0);
  for (int64_t i = 0; i < count; ++i) {
    double& m = max_abs[layout.channel_of(i)];
    m = std::max(m, std::fabs(static_cast<double>(values[i])));
  }
  std::vector<double> scales(max_abs.size());
  SymmetricWeights out;
  out.axis = axis;
  out.scales.resize(max_abs.size());
  for (size_t c = 0; c < max_abs.size(); ++c) {
    scales[c] = max_abs[c] > 0.0 ? max_abs[c] / kWeightMax : 1.0;
    out.scales[c] = static_cast<float>(scales[c]);
    // A denormal max|w| can underflow the float scale; fall back to 1 (the
    // channel quantizes to zeros, which is what such weights are worth).
    if (!std::isnormal(out.scales[c])) scales[c] = out.scales[c] = 1.f;
  }
  out.values.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const double q = std::round(static_cast<double>(values[i]) / scales[layout.channel_of(i)]);
    out.values[i] = static_cast<int8_t>(std::min<double>(std::max<double>(q, -kWeightMax), kWeightMax));
  }
  return out;
}

QuantizedBias quantize_bias(const float* values, int64_t count, float input_scale,
                            const std::vector<float>& weight_scales) {
  constexpr double kBiasMax = std::numeric_limits<int32_t>::max();
  QuantizedBias out;
  std::vector<double> scales(weight_scales.size());
  for (size_t c = 0; c < weight_scales.size(); ++c) {
    scales[c] = static_cast<double>(input_scale) * static_cast<double>(weight_scales[c]);
    out.scales.push_back(static_cast<float>(scales[c]));
  }
  out.values.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const double scale = scales.size() == 1 ? scales[0] : scales[i];
    const double q = std::round(static_cast<double>(values[i]) / scale);
    out.values[i] = static_cast<int32_t>(std::min(std::max(q, -kBiasMax), kBiasMax));
  }
  return out;
}

QuantizedConstant quantize_constant_asymmetric(const float* values, int64_t count) {
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < count; ++i) {
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
  }
  QuantizedConstant out;
  out.params = choose_activation_params(lo, hi, DType::kInt8);
  out.values.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    out.values[i] = static_cast<int8_t>(quantize_value(values[i], out.params.scale, out.params.zero_point, -128, 127));
  return out;
}

}  // namespace quantlab
