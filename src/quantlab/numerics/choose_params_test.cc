#include "quantlab/numerics/choose_params.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "quantlab/data/test_python.h"

namespace quantlab {
namespace {

// Expected values below are derived by hand from the spec's formulas:
// scale = (max - min) / 255 after widening to include 0, and
// zero_point = round(qmin - min / scale).
TEST(ChooseActivationParams, SymmetricRangeRoundsZeroPointHalfAwayFromZero) {
  AffineParams p = choose_activation_params(-1.f, 1.f);
  EXPECT_FLOAT_EQ(p.scale, 2.f / 255.f);
  // -128 + 127.5 = -0.5, rounded away from zero.
  EXPECT_EQ(p.zero_point, -1);
}

TEST(ChooseActivationParams, RangeIsWidenedToIncludeZero) {
  AffineParams positive = choose_activation_params(2.f, 5.f);  // treated as [0, 5]
  EXPECT_FLOAT_EQ(positive.scale, 5.f / 255.f);
  EXPECT_EQ(positive.zero_point, -128);
  AffineParams negative = choose_activation_params(-3.f, -1.f);  // treated as [-3, 0]
  EXPECT_FLOAT_EQ(negative.scale, 3.f / 255.f);
  EXPECT_EQ(negative.zero_point, 127);
}

TEST(ChooseActivationParams, ExactBinaryScale) {
  // [-2, 127/64] spans 255/64, so scale is exactly 1/64 and zero maps to 0.
  AffineParams p = choose_activation_params(-2.f, 127.f / 64.f);
  EXPECT_EQ(p.scale, 1.f / 64.f);
  EXPECT_EQ(p.zero_point, 0);
}

TEST(ChooseActivationParams, Uint8UsesItsOwnRange) {
  AffineParams p = choose_activation_params(-1.f, 1.f, DType::kUInt8);
  EXPECT_FLOAT_EQ(p.scale, 2.f / 255.f);
  EXPECT_EQ(p.zero_point, 128);  // 0 + 127.5 rounded away from zero
}

TEST(ChooseActivationParams, DegenerateRangeGetsValidParams) {
  AffineParams p = choose_activation_params(0.f, 0.f);
  EXPECT_EQ(p.scale, 1.f);
  EXPECT_EQ(p.zero_point, -128);
  AffineParams tiny = choose_activation_params(-1e-44f, 0.f);  // scale underflows float
  EXPECT_EQ(tiny.scale, 1.f);
}

TEST(ChooseActivationParams, MatchesConverterInputOfHelloWorld) {
  // hello_world_int8.tflite's input: scale 0.0244801156, zero point -128,
  // which is what a calibrated range [0, 255 * 0.0244801156] gives.
  AffineParams p = choose_activation_params(0.f, 255.f * 0.0244801156f);
  EXPECT_FLOAT_EQ(p.scale, 0.0244801156f);
  EXPECT_EQ(p.zero_point, -128);
}

TEST(QuantizeWeightsSymmetric, PerChannelAndPerTensorByHand) {
  const std::vector<float> w = {0.5f, -1.0f, 0.25f, 0.127f};  // [2, 2]
  SymmetricWeights per_channel = quantize_weights_symmetric(w.data(), {2, 2}, 0);
  ASSERT_EQ(per_channel.scales.size(), 2u);
  EXPECT_EQ(per_channel.axis, 0);
  EXPECT_FLOAT_EQ(per_channel.scales[0], 1.f / 127.f);
  EXPECT_FLOAT_EQ(per_channel.scales[1], 0.25f / 127.f);
  // 0.5 * 127 = 63.5 -> 64; 0.127 * 127 / 0.25 = 64.516 -> 65.
  EXPECT_EQ(per_channel.values, (std::vector<int8_t>{64, -127, 127, 65}));

  SymmetricWeights per_tensor = quantize_weights_symmetric(w.data(), {2, 2}, -1);
  ASSERT_EQ(per_tensor.scales.size(), 1u);
  EXPECT_EQ(per_tensor.axis, -1);
  // 0.25 * 127 = 31.75 -> 32; 0.127 * 127 = 16.129 -> 16.
  EXPECT_EQ(per_tensor.values, (std::vector<int8_t>{64, -127, 32, 16}));

  SymmetricWeights along_columns = quantize_weights_symmetric(w.data(), {2, 2}, 1);
  EXPECT_FLOAT_EQ(along_columns.scales[0], 0.5f / 127.f);
  EXPECT_FLOAT_EQ(along_columns.scales[1], 1.f / 127.f);
  // column 0: 0.5 -> 127, 0.25 -> 63.5 -> 64; column 1: -1 -> -127, 0.127 -> 16.
  EXPECT_EQ(along_columns.values, (std::vector<int8_t>{127, -127, 64, 16}));
}

TEST(QuantizeWeightsSymmetric, AllZeroChannelGetsUnitScale) {
  const std::vector<float> w = {0.f, 0.f, 2.f, -2.f};
  SymmetricWeights q = quantize_weights_symmetric(w.data(), {2, 2}, 0);
  EXPECT_EQ(q.scales[0], 1.f);
  EXPECT_EQ(q.values, (std::vector<int8_t>{0, 0, 127, -127}));
}

TEST(QuantizeWeightsSymmetric, DepthwiseAxisMatchesNumpy) {
  // A [1, 3, 2, 4] depthwise filter, channels on the last axis, checked
  // against numpy in double precision with round half away from zero.
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  std::vector<float> w(24);
  for (float& v : w) v = dist(rng);
  SymmetricWeights q = quantize_weights_symmetric(w.data(), {1, 3, 2, 4}, 3);

  std::ostringstream code;
  code.precision(9);
  code << "import numpy as np\nw = np.array([";
  for (float v : w) code << v << ",";
  code << "], dtype=np.float32).astype(np.float64).reshape(1, 3, 2, 4)\n"
       << "s = np.abs(w).max(axis=(0, 1, 2)) / 127\n"
       << "x = w / s\n"
       << "q = np.clip(np.sign(x) * np.floor(np.abs(x) + 0.5), -127, 127).astype(int)\n"
       << "print(' '.join(str(v) for v in q.reshape(-1)))\n"
       << "print(' '.join(repr(float(np.float32(v))) for v in s))\n";
  testing::CommandResult r = testing::run_python_snippet(code.str());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream out(r.output);
  for (int i = 0; i < 24; ++i) {
    int expected;
    out >> expected;
    EXPECT_EQ(q.values[i], expected) << "element " << i;
  }
  for (int c = 0; c < 4; ++c) {
    float expected;
    out >> expected;
    EXPECT_EQ(q.scales[c], expected) << "channel " << c;
  }
}

TEST(QuantizeBias, ScaleIsInputTimesWeightScale) {
  const std::vector<float> b = {1.0f, -0.5f};
  QuantizedBias q = quantize_bias(b.data(), 2, 0.5f, {0.01f, 0.02f});
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_FLOAT_EQ(q.scales[0], 0.005f);
  EXPECT_FLOAT_EQ(q.scales[1], 0.01f);
  EXPECT_EQ(q.values, (std::vector<int32_t>{200, -50}));

  QuantizedBias shared = quantize_bias(b.data(), 2, 0.5f, {0.01f});
  ASSERT_EQ(shared.scales.size(), 1u);
  EXPECT_EQ(shared.values, (std::vector<int32_t>{200, -100}));
}

TEST(QuantizeBias, SaturatesToSymmetricInt32) {
  const std::vector<float> b = {1e10f, -1e10f};
  QuantizedBias q = quantize_bias(b.data(), 2, 1e-3f, {1.f});
  EXPECT_EQ(q.values, (std::vector<int32_t>{2147483647, -2147483647}));
}

TEST(QuantizeConstantAsymmetric, UsesItsOwnRange) {
  // [-2, 127/64] has scale exactly 1/64 and zero point 0.
  const std::vector<float> v = {-2.f, 127.f / 64.f, 0.5f, 0.3f};
  QuantizedConstant q = quantize_constant_asymmetric(v.data(), 4);
  EXPECT_EQ(q.params.scale, 1.f / 64.f);
  EXPECT_EQ(q.params.zero_point, 0);
  EXPECT_EQ(q.values, (std::vector<int8_t>{-128, 127, 32, 19}));  // 0.3 * 64 = 19.2
}

}  // namespace
}  // namespace quantlab
