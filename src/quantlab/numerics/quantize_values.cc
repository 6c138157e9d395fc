#include "quantlab/numerics/quantize_values.h"

#include <algorithm>
#include <limits>

namespace quantlab {

std::pair<int32_t, int32_t> quantized_range(DType t) {
  switch (t) {
    case DType::kInt8: return {-128, 127};
    case DType::kUInt8: return {0, 255};
    case DType::kInt16: return {-32768, 32767};
    case DType::kUInt16: return {0, 65535};
    default: return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  }
}

std::pair<float, float> float_activation_range(Activation act) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (act) {
    case Activation::kRelu: return {0.f, kInf};
    case Activation::kRelu6: return {0.f, 6.f};
    case Activation::kReluN1To1: return {-1.f, 1.f};
    default: return {-kInf, kInf};
  }
}

std::pair<int32_t, int32_t> quantized_activation_range(Activation act, float scale, int32_t zero_point, DType t) {
  // Plain variables, not a structured binding: lambdas may capture those
  // only from C++20 on, and clang refuses it in C++17.
  const std::pair<int32_t, int32_t> range = quantized_range(t);
  const int32_t qmin = range.first, qmax = range.second;
  // Quantizing the real bounds uses the same rounding as QUANTIZE.
  auto q = [&](float v) { return quantize_value(v, scale, zero_point, qmin, qmax); };
  switch (act) {
    case Activation::kRelu: return {std::max(qmin, q(0.f)), qmax};
    case Activation::kRelu6: return {std::max(qmin, q(0.f)), std::min(qmax, q(6.f))};
    case Activation::kReluN1To1: return {std::max(qmin, q(-1.f)), std::min(qmax, q(1.f))};
    default: return {qmin, qmax};
  }
}

}  // namespace quantlab
