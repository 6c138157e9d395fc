#include "quantlab/numerics/quantized_reduction.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace quantlab {
namespace {

TEST(QuantizedReduction, MeanMultiplierFoldsInTheCount) {
  // s_in / s_out = 1 is 2^30 * 2^(1-31). With 12 elements, k = floor(log2 12)
  // = 3, so the multiplier becomes floor(2^33 / 12) = 715827882, shift 1 - 3.
  const auto p = make_quantized_mean_params(0.5f, 0, 0.5f, 0, 12, -128, 127, Rounding::kDouble);
  EXPECT_EQ(p.multiplier.multiplier, 715827882);
  EXPECT_EQ(p.multiplier.shift, -2);
}

TEST(QuantizedReduction, MeanRoundsHalfAwayFromZero) {
  // Same quantization, 4 elements: multiplier 2^30 with shift -1, so the
  // sum 10 gives 2.5, rounded to 3 (not truncated to 2).
  const auto p = make_quantized_mean_params(0.5f, 0, 0.5f, 0, 4, -128, 127, Rounding::kDouble);
  EXPECT_EQ(quantized_mean(1 + 2 + 3 + 4, p), 3);
  EXPECT_EQ(quantized_mean(-10, p), -3);
  // Zero points are removed from the sum and added to the result.
  const auto z = make_quantized_mean_params(0.5f, 5, 0.5f, -7, 4, -128, 127, Rounding::kDouble);
  EXPECT_EQ(quantized_mean(6 + 7 + 8 + 9, z), 3 - 7);
}

TEST(QuantizedReduction, MeanMatchesRealArithmeticWithinOneStep) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> scale(0.005f, 0.1f);
  std::uniform_int_distribution<int> value(-128, 127), zp(-50, 50), count(1, 300);
  int total = 0, exact = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const float si = scale(rng), so = scale(rng);
    const int zi = zp(rng), zo = zp(rng), n = count(rng);
    const auto p = make_quantized_mean_params(si, zi, so, zo, n, -128, 127, Rounding::kDouble);
    int64_t sum = 0;
    for (int i = 0; i < n; ++i) sum += value(rng);
    const double real_mean = double{si} * (static_cast<double>(sum) / n - zi);
    const double want = std::min(127.0, std::max(-128.0, std::round(real_mean / so) + zo));
    const int32_t got = quantized_mean(sum, p);
    EXPECT_LE(std::abs(got - want), 1) << "n " << n << " sum " << sum;
    ++total;
    exact += got == want;
  }
  // The truncated multiplier loses a few bits, so ties and near-ties differ.
  EXPECT_GT(exact, total * 9 / 10);
}

TEST(QuantizedReduction, RoundedAverageRoundsHalfAwayFromZero) {
  EXPECT_EQ(rounded_average(5, 2), 3);
  EXPECT_EQ(rounded_average(-5, 2), -3);
  EXPECT_EQ(rounded_average(6, 4), 2);
  EXPECT_EQ(rounded_average(-6, 4), -2);
  EXPECT_EQ(rounded_average(7, 3), 2);
  EXPECT_EQ(rounded_average(-7, 3), -2);
  EXPECT_EQ(rounded_average(0, 9), 0);
  EXPECT_EQ(rounded_average(-128 * 9, 9), -128);
}

}  // namespace
}  // namespace quantlab
