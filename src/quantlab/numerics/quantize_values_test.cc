// Quantizing and dequantizing single values, and activation clamp ranges,
// checked on hand-derived values.
#include "quantlab/numerics/quantize_values.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace quantlab {
namespace {

TEST(QuantizeValue, RoundsHalfAwayFromZero) {
  // scale 0.5: x / scale lands exactly on .5 for these inputs.
  EXPECT_EQ(quantize_value(1.25f, 0.5f, 0, -128, 127), 3);    // 2.5 -> 3
  EXPECT_EQ(quantize_value(-1.25f, 0.5f, 0, -128, 127), -3);  // -2.5 -> -3
  EXPECT_EQ(quantize_value(0.25f, 0.5f, 0, -128, 127), 1);    // 0.5 -> 1
  EXPECT_EQ(quantize_value(-0.25f, 0.5f, 0, -128, 127), -1);  // -0.5 -> -1
  EXPECT_EQ(quantize_value(0.74f, 0.5f, 0, -128, 127), 1);    // 1.48 -> 1
  // The zero point is added after rounding: 2.5 -> 3, + (-10).
  EXPECT_EQ(quantize_value(1.25f, 0.5f, -10, -128, 127), -7);
  EXPECT_EQ(quantize_value(0.f, 0.1f, 17, -128, 127), 17);
}

TEST(QuantizeValue, SaturatesInsteadOfWrapping) {
  EXPECT_EQ(quantize_value(1000.f, 0.1f, 0, -128, 127), 127);
  EXPECT_EQ(quantize_value(-1000.f, 0.1f, 0, -128, 127), -128);
  EXPECT_EQ(quantize_value(1e30f, 1e-30f, 0, -128, 127), 127);  // far beyond int32
  EXPECT_EQ(quantize_value(std::numeric_limits<float>::infinity(), 1.f, 0, -128, 127), 127);
  EXPECT_EQ(quantize_value(-std::numeric_limits<float>::infinity(), 1.f, 0, -128, 127), -128);
  // uint8 with zero point 128: 12.8 / 0.1 = 128 -> 256, saturates at 255.
  EXPECT_EQ(quantize_value(12.8f, 0.1f, 128, 0, 255), 255);
  EXPECT_EQ(quantize_value(-12.9f, 0.1f, 128, 0, 255), 0);
  // 127.6 rounds to 128 and saturates; 127.4 stays at 127.
  EXPECT_EQ(quantize_value(127.6f, 1.f, 0, -128, 127), 127);
  EXPECT_EQ(quantize_value(-128.4f, 1.f, 0, -128, 127), -128);
}

TEST(QuantizeValue, NanMapsToZeroPoint) {
  EXPECT_EQ(quantize_value(std::nanf(""), 0.5f, -5, -128, 127), -5);
}

TEST(QuantizeValue, DequantizeInvertsOnGridPoints) {
  EXPECT_FLOAT_EQ(dequantize_value(-7, 0.5f, -10), 1.5f);
  EXPECT_FLOAT_EQ(dequantize_value(-128, 0.25f, -128), 0.f);
  for (int q = -128; q <= 127; ++q)
    EXPECT_EQ(quantize_value(dequantize_value(q, 0.0625f, 3), 0.0625f, 3, -128, 127), q);
}

TEST(QuantizeValue, QuantizedRanges) {
  EXPECT_EQ(quantized_range(DType::kInt8), std::make_pair(-128, 127));
  EXPECT_EQ(quantized_range(DType::kUInt8), std::make_pair(0, 255));
  EXPECT_EQ(quantized_range(DType::kInt16), std::make_pair(-32768, 32767));
}

TEST(QuantizeValue, ActivationRangesFollowTheRealBounds) {
  // scale 0.05, zero point -128: real 0 -> -128, real 6 -> 120 - 128 = -8.
  EXPECT_EQ(quantized_activation_range(Activation::kRelu6, 0.05f, -128, DType::kInt8), std::make_pair(-128, -8));
  EXPECT_EQ(quantized_activation_range(Activation::kRelu, 0.05f, -128, DType::kInt8), std::make_pair(-128, 127));
  // scale 0.1, zero point 10: real 0 -> 10, real 6 -> 70, -1 -> 0, 1 -> 20.
  EXPECT_EQ(quantized_activation_range(Activation::kRelu, 0.1f, 10, DType::kInt8), std::make_pair(10, 127));
  EXPECT_EQ(quantized_activation_range(Activation::kRelu6, 0.1f, 10, DType::kInt8), std::make_pair(10, 70));
  EXPECT_EQ(quantized_activation_range(Activation::kReluN1To1, 0.1f, 10, DType::kInt8), std::make_pair(0, 20));
  // A scale too small for 6 to be representable leaves the dtype bound.
  EXPECT_EQ(quantized_activation_range(Activation::kRelu6, 0.01f, 0, DType::kInt8), std::make_pair(0, 127));
  EXPECT_EQ(quantized_activation_range(Activation::kNone, 0.1f, 10, DType::kInt8), std::make_pair(-128, 127));
  EXPECT_EQ(quantized_activation_range(Activation::kRelu, 0.1f, 10, DType::kUInt8), std::make_pair(10, 255));
}

TEST(QuantizeValue, FloatActivations) {
  EXPECT_EQ(float_activation_range(Activation::kRelu6), std::make_pair(0.f, 6.f));
  EXPECT_EQ(float_activation_range(Activation::kReluN1To1), std::make_pair(-1.f, 1.f));
  EXPECT_EQ(float_activation_range(Activation::kRelu).first, 0.f);
  EXPECT_TRUE(std::isinf(float_activation_range(Activation::kRelu).second));
  EXPECT_EQ(apply_float_activation(-2.f, Activation::kRelu), 0.f);
  EXPECT_EQ(apply_float_activation(7.f, Activation::kRelu6), 6.f);
  EXPECT_EQ(apply_float_activation(-2.f, Activation::kReluN1To1), -1.f);
  EXPECT_EQ(apply_float_activation(-2.f, Activation::kNone), -2.f);
  EXPECT_FLOAT_EQ(apply_float_activation(0.5f, Activation::kTanh), std::tanh(0.5f));
}

}  // namespace
}  // namespace quantlab
