// Requantization arithmetic checked against independent implementations:
// gemmlowp's fixed-point header (Debian's libgemmlowp-dev) for the double
// rounding primitives, and exact 128-bit integer arithmetic for the
// multiplier decomposition and single rounding.
#include "quantlab/numerics/requantize.h"

#include <gemmlowp/fixedpoint/fixedpoint.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace quantlab {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

// Values where rounding and saturation corner cases live.
std::vector<int32_t> edge_values() {
  return {kMin, kMin + 1, -(1 << 30) - 1, -(1 << 30), -65537, -65536, -3, -2, -1, 0, 1, 2, 3,
          65535, 65536, (1 << 30) - 1, 1 << 30, kMax - 1, kMax};
}

// Reference decomposition without frexp: scale by exact powers of two until
// the value lies in [0.5, 1), then round half away from zero at bit 31.
QuantizedMultiplier reference_decomposition(double real) {
  int exponent = 0;
  double q = real;
  while (q >= 1.0) q /= 2.0, ++exponent;
  while (q < 0.5) q *= 2.0, --exponent;
  const double scaled = std::ldexp(q, 31);  // exact: a power-of-two scaling
  int64_t fixed = static_cast<int64_t>(std::floor(scaled));
  if (scaled - static_cast<double>(fixed) >= 0.5) ++fixed;
  if (fixed == (int64_t{1} << 31)) fixed /= 2, ++exponent;
  if (exponent < -31) return {};
  return {static_cast<int32_t>(fixed), exponent};
}

// x * multiplier * 2^(shift - 31) rounded half up, in exact 128-bit integers.
int32_t reference_single_rounding(int64_t x, QuantizedMultiplier m) {
  const __int128 product = static_cast<__int128>(x) * m.multiplier;
  const int total_shift = 31 - m.shift;
  __int128 r;
  if (total_shift <= 0) {
    r = product * (static_cast<__int128>(1) << -total_shift);
  } else {
    const __int128 half = static_cast<__int128>(1) << (total_shift - 1);
    const __int128 sum = product + half;
    const __int128 divisor = static_cast<__int128>(1) << total_shift;
    r = sum / divisor;
    if (sum % divisor != 0 && sum < 0) r -= 1;  // floor division
  }
  if (r > kMax) return kMax;
  if (r < kMin) return kMin;
  return static_cast<int32_t>(r);
}

TEST(RequantizeMultiplier, HandPickedValues) {
  EXPECT_EQ(quantize_multiplier(0.5).multiplier, 1 << 30);
  EXPECT_EQ(quantize_multiplier(0.5).shift, 0);
  EXPECT_EQ(quantize_multiplier(1.0).multiplier, 1 << 30);
  EXPECT_EQ(quantize_multiplier(1.0).shift, 1);
  EXPECT_EQ(quantize_multiplier(0.75).multiplier, 3 << 29);
  EXPECT_EQ(quantize_multiplier(0.75).shift, 0);
  // 2^-32 = 0.5 * 2^-31 is the smallest representable exponent; 2^-33 is not.
  EXPECT_EQ(quantize_multiplier(std::ldexp(1.0, -32)).multiplier, 1 << 30);
  EXPECT_EQ(quantize_multiplier(std::ldexp(1.0, -32)).shift, -31);
  EXPECT_EQ(quantize_multiplier(std::ldexp(1.0, -33)).multiplier, 0);
  // Just below 1: the Q31 value rounds up to 2^31 and is renormalised.
  EXPECT_EQ(quantize_multiplier(1.0 - std::ldexp(1.0, -40)).multiplier, 1 << 30);
  EXPECT_EQ(quantize_multiplier(1.0 - std::ldexp(1.0, -40)).shift, 1);
  // 2^31 and above cannot be represented with shift <= 31: saturated.
  EXPECT_EQ(quantize_multiplier(std::ldexp(1.0, 40)).multiplier, kMax);
  EXPECT_EQ(quantize_multiplier(std::ldexp(1.0, 40)).shift, 31);
  for (double bad : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    EXPECT_EQ(quantize_multiplier(bad).multiplier, 0) << bad;
  }
}

TEST(RequantizeMultiplier, MatchesExactDecompositionOnRandomValues) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> log2_dist(-34.0, 20.0);
  for (int i = 0; i < 20000; ++i) {
    const double real = std::exp2(log2_dist(rng));
    const QuantizedMultiplier got = quantize_multiplier(real);
    const QuantizedMultiplier want = reference_decomposition(real);
    ASSERT_EQ(got.multiplier, want.multiplier) << real;
    if (want.multiplier != 0) {
      ASSERT_EQ(got.shift, want.shift) << real;
      ASSERT_GE(got.multiplier, 1 << 30);
      // The decomposition is within half a unit of bit 31 of the real value.
      EXPECT_LE(std::fabs(std::ldexp(static_cast<double>(got.multiplier), got.shift - 31) - real),
                std::ldexp(1.0, got.shift - 32));
    }
  }
}

TEST(RequantizeFixedPoint, SaturatingRoundingDoublingHighMulMatchesGemmlowp) {
  std::mt19937 rng(2);
  std::vector<int32_t> values = edge_values();
  for (int i = 0; i < 300; ++i) values.push_back(static_cast<int32_t>(rng()));
  int checked = 0;
  for (int32_t a : values)
    for (int32_t b : values) {
      ASSERT_EQ(saturating_rounding_doubling_high_mul(a, b), gemmlowp::SaturatingRoundingDoublingHighMul(a, b))
          << a << " * " << b;
      ++checked;
    }
  EXPECT_GT(checked, 100000);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(kMin, kMin), kMax);
}

TEST(RequantizeFixedPoint, RoundingDivideByPotMatchesGemmlowp) {
  std::mt19937 rng(3);
  std::vector<int32_t> values = edge_values();
  for (int i = 0; i < 5000; ++i) values.push_back(static_cast<int32_t>(rng()));
  for (int exponent = 0; exponent <= 31; ++exponent)
    for (int32_t x : values)
      ASSERT_EQ(rounding_divide_by_pot(x, exponent), gemmlowp::RoundingDivideByPOT(x, exponent))
          << x << " >> " << exponent;
  // Ties go away from zero: -5 / 2 = -2.5 -> -3, 5 / 2 -> 3, -3 / 2 -> -2.
  EXPECT_EQ(rounding_divide_by_pot(-5, 1), -3);
  EXPECT_EQ(rounding_divide_by_pot(5, 1), 3);
  EXPECT_EQ(rounding_divide_by_pot(-3, 1), -2);
}

// Random multipliers of the kind kernels use (reals from 2^-24 to 2^6).
std::vector<QuantizedMultiplier> random_multipliers(std::mt19937_64& rng, int count) {
  std::uniform_real_distribution<double> log2_dist(-24.0, 6.0);
  std::vector<QuantizedMultiplier> ms;
  for (int i = 0; i < count; ++i) ms.push_back(quantize_multiplier(std::exp2(log2_dist(rng))));
  return ms;
}

TEST(RequantizeMultiply, DoubleRoundingMatchesGemmlowpComposition) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int32_t> any(kMin, kMax);
  int checked = 0;
  for (const QuantizedMultiplier& m : random_multipliers(rng, 400)) {
    const int left = m.shift > 0 ? m.shift : 0;
    const int right = m.shift > 0 ? 0 : -m.shift;
    std::vector<int32_t> xs = edge_values();
    for (int i = 0; i < 200; ++i) xs.push_back(any(rng) >> left);  // no overflow in the left shift
    for (int32_t x : xs) {
      if (x > (kMax >> left) || x < (kMin >> left)) continue;
      const int32_t want = gemmlowp::RoundingDivideByPOT(
          gemmlowp::SaturatingRoundingDoublingHighMul(static_cast<int32_t>(x * (int64_t{1} << left)), m.multiplier),
          right);
      ASSERT_EQ(multiply_by_quantized_multiplier(x, m, Rounding::kDouble), want) << x << " m=" << m.multiplier
                                                                                 << " shift=" << m.shift;
      ++checked;
    }
  }
  EXPECT_GT(checked, 50000);
}

TEST(RequantizeMultiply, DoubleRoundingSaturatesInsteadOfWrapping) {
  // 4 = 2^30 * 2^(3 - 31): x is shifted left by 3 before the Q31 multiply.
  // 2^29 * 8 = 2^32 saturates to 2^31 - 1, and half of that rounds to 2^30;
  // a wrapping shift would give 0. Likewise on the negative side.
  const QuantizedMultiplier times_four = quantize_multiplier(4.0);
  ASSERT_EQ(times_four.shift, 3);
  EXPECT_EQ(multiply_by_quantized_multiplier(1 << 29, times_four, Rounding::kDouble), 1 << 30);
  EXPECT_EQ(multiply_by_quantized_multiplier(-(1 << 29) - 1, times_four, Rounding::kDouble), -(1 << 30));
}

TEST(RequantizeMultiply, SingleRoundingMatches128BitReference) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int32_t> any(kMin, kMax);
  std::uniform_int_distribution<int32_t> small(-(1 << 20), 1 << 20);
  int checked = 0;
  for (const QuantizedMultiplier& m : random_multipliers(rng, 400)) {
    std::vector<int32_t> xs = edge_values();
    for (int i = 0; i < 100; ++i) xs.push_back(any(rng)), xs.push_back(small(rng));
    for (int32_t x : xs) {
      ASSERT_EQ(multiply_by_quantized_multiplier(x, m, Rounding::kSingle), reference_single_rounding(x, m))
          << x << " m=" << m.multiplier << " shift=" << m.shift;
      ++checked;
    }
  }
  EXPECT_GT(checked, 80000);
}

TEST(RequantizeMultiply, SixtyFourBitVariantAgreesWithReference) {
  std::mt19937_64 rng(6);
  // Accumulators far beyond int32 (the 64-bit entry point's reason to exist),
  // whose products with a Q31 multiplier need more than 64 bits.
  std::uniform_int_distribution<int64_t> wide(-(int64_t{1} << 62), int64_t{1} << 62);
  std::uniform_int_distribution<int> bits(0, 62);
  std::uniform_int_distribution<int32_t> any(kMin, kMax);
  for (const QuantizedMultiplier& m : random_multipliers(rng, 300)) {
    for (int i = 0; i < 100; ++i) {
      const int64_t x = wide(rng) >> bits(rng);  // magnitudes spread over every bit length
      ASSERT_EQ(multiply_by_quantized_multiplier_64(x, m, Rounding::kSingle), reference_single_rounding(x, m))
          << x << " m=" << m.multiplier << " shift=" << m.shift;
      // Within int32 the 64-bit entry point applies the requested rounding.
      const int32_t x32 = any(rng);
      ASSERT_EQ(multiply_by_quantized_multiplier_64(x32, m, Rounding::kDouble),
                multiply_by_quantized_multiplier(x32, m, Rounding::kDouble));
    }
  }
}

TEST(RequantizeMultiply, SingleAndDoubleRoundingDifferByAtMostOneRarely) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int32_t> acc(-(1 << 20), 1 << 20);
  std::uniform_real_distribution<double> log2_dist(-16.0, -4.0);  // typical conv multipliers
  int differing = 0, total = 0;
  for (int i = 0; i < 200; ++i) {
    const QuantizedMultiplier m = quantize_multiplier(std::exp2(log2_dist(rng)));
    for (int j = 0; j < 500; ++j) {
      const int32_t x = acc(rng);
      const int32_t d = multiply_by_quantized_multiplier(x, m, Rounding::kDouble);
      const int32_t s = multiply_by_quantized_multiplier(x, m, Rounding::kSingle);
      ASSERT_LE(std::abs(d - s), 1) << x;
      differing += d != s;
      ++total;
    }
  }
  // Double rounding only differs on values within one Q31 unit of a tie.
  EXPECT_GT(differing, 0);
  EXPECT_LT(differing, total / 20);
}

TEST(RequantizeRealMultiplier, FloatProductRoundsTheScaleProductFirst) {
  // 0.5 * 0.25 / 0.125 is exact either way.
  EXPECT_EQ(real_multiplier_double_product(0.5f, 0.25f, 0.125f), 1.0);
  EXPECT_EQ(real_multiplier_float_product(0.5f, 0.25f, 0.125f), 1.0);
  // (1 + 2^-23)^2 = 1 + 2^-22 + 2^-46: float drops the 2^-46 term, double keeps it.
  const float a = 1.f + std::ldexp(1.f, -23);
  EXPECT_EQ(real_multiplier_float_product(a, a, 1.f), 1.0 + std::ldexp(1.0, -22));
  EXPECT_EQ(real_multiplier_double_product(a, a, 1.f), 1.0 + std::ldexp(1.0, -22) + std::ldexp(1.0, -46));
}

}  // namespace
}  // namespace quantlab
