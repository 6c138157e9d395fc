#include "quantlab/numerics/fixed_point_activations.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace quantlab {
namespace {

// round(256 * p) - 128 clamped to int8: the ideal int8 probability.
int ideal_probability(double p) { return static_cast<int>(std::min(127.0, std::round(256.0 * p) - 128.0)); }

TEST(FixedPointActivations, SoftmaxOfEqualValuesIsUniform) {
  const auto p = make_softmax_int8_params(1.0, 0.1);
  const std::vector<int8_t> row = {7, 7, 7, 7};
  std::vector<int8_t> out(4);
  softmax_int8_row(row.data(), out.data(), 4, p);
  for (int8_t v : out) EXPECT_EQ(v, 64 - 128);  // 1/4 = 64/256
}

TEST(FixedPointActivations, SoftmaxOfSingleValueSaturatesAtOne) {
  const auto p = make_softmax_int8_params(1.0, 0.05);
  const int8_t in = -3;
  int8_t out = 0;
  softmax_int8_row(&in, &out, 1, p);
  EXPECT_EQ(out, 127);  // 256/256 does not fit; the largest int8 is 127/256 + 0.5
}

TEST(FixedPointActivations, SoftmaxSkipsNegligibleDifferences) {
  // With scale 1 a difference of -40 scales beyond the Q5.26 range: the
  // value is skipped (exp(-40) ~ 4e-18) and its output is the minimum.
  const auto p = make_softmax_int8_params(1.0, 1.0);
  EXPECT_GT(p.diff_min, -40);
  const std::vector<int8_t> row = {50, 10};
  std::vector<int8_t> out(2);
  softmax_int8_row(row.data(), out.data(), 2, p);
  EXPECT_EQ(out[0], 127);
  EXPECT_EQ(out[1], -128);
}

TEST(FixedPointActivations, SoftmaxMatchesDoubleWithinOneStep) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> value(-128, 127), depth(2, 40);
  std::uniform_real_distribution<double> scale(0.01, 0.2), beta(0.3, 2.0);
  int total = 0, exact = 0;
  for (int trial = 0; trial < 500; ++trial) {
    const double s = scale(rng), b = beta(rng);
    const int n = depth(rng);
    std::vector<int8_t> row(n), out(n);
    for (auto& v : row) v = static_cast<int8_t>(value(rng));
    softmax_int8_row(row.data(), out.data(), n, make_softmax_int8_params(b, s));
    int max = -128;
    for (int8_t v : row) max = std::max<int>(max, v);
    double sum = 0;
    for (int8_t v : row) sum += std::exp(b * s * (v - max));
    for (int i = 0; i < n; ++i) {
      const int want = ideal_probability(std::exp(b * s * (row[i] - max)) / sum);
      EXPECT_LE(std::abs(out[i] - want), 1) << "trial " << trial << " element " << i;
      ++total;
      exact += out[i] == want;
    }
  }
  EXPECT_GT(exact, total * 98 / 100);
}

TEST(FixedPointActivations, LogisticByHand) {
  const auto p = make_logistic_int8_params(0.1f, 3);
  EXPECT_EQ(logistic_int8_value(3, p), 0);      // logistic(0) = 1/2 = 128/256
  EXPECT_EQ(logistic_int8_value(127, p), 127);  // logistic(12.4) ~ 1 - 4e-6
  EXPECT_EQ(logistic_int8_value(-128, p), -128);
}

TEST(FixedPointActivations, LogisticSaturatesBeyondItsInputRange) {
  // Scale 0.5 gives the multiplier 2^26 = 0.5 * 2^27 (q = 0.5, shift
  // 27), so the radius is floor(15 * 2^27 / 2^27) = 15 steps, 7.5 in real
  // units, where the int8 result is already saturated.
  const auto p = make_logistic_int8_params(0.5f, 0);
  EXPECT_EQ(p.input_range_radius, 15);
  EXPECT_EQ(logistic_int8_value(15, p), 127);
  EXPECT_EQ(logistic_int8_value(-15, p), -128);
  EXPECT_EQ(logistic_int8_value(14, p), 127);    // logistic(7) * 256 = 255.77
  EXPECT_EQ(logistic_int8_value(-14, p), -128);  // logistic(-7) * 256 = 0.23
}

TEST(FixedPointActivations, LogisticMatchesDoubleWithinOneStep) {
  int total = 0, exact = 0;
  for (float scale : {0.01f, 0.03125f, 0.05f, 0.0917f, 0.2f}) {
    for (int zp : {-128, -20, 0, 35}) {
      const auto p = make_logistic_int8_params(scale, zp);
      for (int q = -128; q <= 127; ++q) {
        const double x = double{scale} * (q - zp);
        const int want = std::max(-128, ideal_probability(1.0 / (1.0 + std::exp(-x))));
        const int got = logistic_int8_value(static_cast<int8_t>(q), p);
        EXPECT_LE(std::abs(got - want), 1) << "scale " << scale << " q " << q;
        ++total;
        exact += got == want;
      }
    }
  }
  EXPECT_GT(exact, total * 99 / 100);
}

}  // namespace
}  // namespace quantlab
