#include "quantlab/numerics/quantized_arithmetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace quantlab {
namespace {

int32_t clamp_to(double v, int32_t lo, int32_t hi) {
  return static_cast<int32_t>(std::min<double>(std::max<double>(v, lo), hi));
}

// Tallies how a fixed-point result compares with the exact real result.
struct Agreement {
  int total = 0, exact = 0, off_by_more = 0;
  void add(int32_t got, int32_t want) {
    ++total;
    if (got == want) ++exact;
    if (std::abs(got - want) > 1) ++off_by_more;
  }
};

TEST(QuantizedArithmetic, AddWithEqualScalesIsIntegerAddition) {
  const auto p = make_quantized_add_params(0.1f, 0, 0.1f, 0, 0.1f, 0, -128, 127, Rounding::kDouble);
  // Both input multipliers are 0.1 / 0.2 = 0.5 exactly.
  EXPECT_EQ(p.input1_multiplier.multiplier, 1 << 30);
  EXPECT_EQ(p.input1_multiplier.shift, 0);
  EXPECT_EQ(quantized_add(3, 4, p), 7);
  EXPECT_EQ(quantized_add(-100, -50, p), -128);  // -15.0 saturates
  EXPECT_EQ(quantized_add(100, 50, p), 127);
}

TEST(QuantizedArithmetic, AddRescalesDifferentScales) {
  // 50 * 0.02 + (-20) * 0.01 = 0.8 = 16 * 0.05.
  const auto p = make_quantized_add_params(0.02f, 0, 0.01f, 0, 0.05f, 0, -128, 127, Rounding::kDouble);
  EXPECT_EQ(quantized_add(50, -20, p), 16);
  // Zero points: (60 - 10) * 0.02 + (-15 - 5) * 0.01 = 0.8 -> 16 + 3.
  const auto q = make_quantized_add_params(0.02f, 10, 0.01f, 5, 0.05f, 3, -128, 127, Rounding::kDouble);
  EXPECT_EQ(quantized_add(60, -15, q), 19);
}

TEST(QuantizedArithmetic, AddClampsToActivationRange) {
  const auto p = make_quantized_add_params(0.1f, 0, 0.1f, 0, 0.1f, -10, -10, 50, Rounding::kDouble);
  EXPECT_EQ(quantized_add(-20, -20, p), -10);  // RELU lower bound at the zero point
  EXPECT_EQ(quantized_add(40, 40, p), 50);
}

TEST(QuantizedArithmetic, AddMatchesRealArithmeticWithinOneStep) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> scale(0.002f, 0.2f);
  std::uniform_int_distribution<int> value(-128, 127), zp(-40, 40);
  for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
    Agreement agreement;
    for (int trial = 0; trial < 200; ++trial) {
      const float s1 = scale(rng), s2 = scale(rng), so = scale(rng) * 2;
      const int z1 = zp(rng), z2 = zp(rng), zo = zp(rng);
      const auto p = make_quantized_add_params(s1, z1, s2, z2, so, zo, -128, 127, rounding);
      for (int i = 0; i < 50; ++i) {
        const int a = value(rng), b = value(rng);
        const double real = double{s1} * (a - z1) + double{s2} * (b - z2);
        agreement.add(quantized_add(a, b, p), clamp_to(std::round(real / so) + zo, -128, 127));
      }
    }
    EXPECT_EQ(agreement.off_by_more, 0);
    EXPECT_GT(agreement.exact, agreement.total * 97 / 100) << rounding_name(rounding);
  }
}

TEST(QuantizedArithmetic, MulByHand) {
  // (10 - 2) * 0.5 * (7 + 3) * 0.25 = 10 = 40 * 0.25.
  const auto p = make_quantized_mul_params(0.5f, 2, 0.25f, -3, 0.25f, 0, -128, 127, Rounding::kDouble);
  EXPECT_EQ(quantized_mul(10, 7, p), 40);
  EXPECT_EQ(quantized_mul(127, 127, p), 127);
}

TEST(QuantizedArithmetic, MulMatchesRealArithmeticWithinOneStep) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  std::uniform_int_distribution<int> value(-128, 127), zp(-30, 30);
  Agreement agreement;
  for (int trial = 0; trial < 200; ++trial) {
    const float s1 = scale(rng), s2 = scale(rng), so = scale(rng) * 4;
    const int z1 = zp(rng), z2 = zp(rng), zo = zp(rng);
    const auto p = make_quantized_mul_params(s1, z1, s2, z2, so, zo, -128, 127, Rounding::kDouble);
    for (int i = 0; i < 50; ++i) {
      const int a = value(rng), b = value(rng);
      const double real = double{s1} * (a - z1) * double{s2} * (b - z2);
      agreement.add(quantized_mul(a, b, p), clamp_to(std::round(real / so) + zo, -128, 127));
    }
  }
  EXPECT_EQ(agreement.off_by_more, 0);
  EXPECT_GT(agreement.exact, agreement.total * 97 / 100);
}

TEST(QuantizedArithmetic, RequantizeSameScaleShiftsZeroPointExactly) {
  // int8 -> uint8 with the same scale and zero point + 128 is a pure shift.
  const auto p = make_requantize_params(0.0126f, -43, 0.0126f, 85, 0, 255, Rounding::kDouble);
  for (int q = -128; q <= 127; ++q) EXPECT_EQ(requantize_value(q, p), q + 128) << q;
}

TEST(QuantizedArithmetic, RequantizeMatchesRealArithmetic) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> scale(0.001f, 0.1f);
  std::uniform_int_distribution<int> zp(-60, 60);
  for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
    Agreement agreement;
    for (int trial = 0; trial < 300; ++trial) {
      const float si = scale(rng), so = scale(rng);
      const int zi = zp(rng), zo = zp(rng);
      const auto p = make_requantize_params(si, zi, so, zo, -128, 127, rounding);
      for (int q = -128; q <= 127; ++q) {
        const double real = double{si} * (q - zi);
        agreement.add(requantize_value(q, p), clamp_to(std::round(real / so) + zo, -128, 127));
      }
    }
    EXPECT_EQ(agreement.off_by_more, 0);
    // Rounding once is off only at near-ties of the exact result; rounding
    // twice also rounds some values just below a half up to a tie first.
    const int per_mille = rounding == Rounding::kSingle ? 999 : 950;
    EXPECT_GT(agreement.exact, agreement.total / 1000 * per_mille) << rounding_name(rounding);
  }
}

}  // namespace
}  // namespace quantlab
