// Per-row run-time quantization of hybrid kernels, checked on hand-derived
// values and on random rows against the bounds the scheme guarantees.
#include "quantlab/numerics/quantize_row.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace quantlab {
namespace {

std::vector<int> as_ints(const std::vector<int8_t>& q) { return std::vector<int>(q.begin(), q.end()); }

TEST(QuantizeRow, SymmetricHandValues) {
  // max|x| = 2: scale 2/127, x * 63.5 rounded half away from zero.
  const std::vector<float> x = {-1.f, 0.5f, 2.f, 1.f, 0.f};
  std::vector<int8_t> q(x.size());
  const RowQuantization r = quantize_row_symmetric(x.data(), x.size(), q.data());
  EXPECT_EQ(r.scale, 2.f / 127.f);
  EXPECT_EQ(r.zero_point, 0);
  EXPECT_EQ(as_ints(q), (std::vector<int>{-64, 32, 127, 64, 0}));  // -63.5, 31.75, 127, 63.5, 0
}

TEST(QuantizeRow, SymmetricUsesTheLargerMagnitudeEnd) {
  const std::vector<float> x = {-4.f, 1.f};
  std::vector<int8_t> q(x.size());
  const RowQuantization r = quantize_row_symmetric(x.data(), x.size(), q.data());
  EXPECT_EQ(r.scale, 4.f / 127.f);
  EXPECT_EQ(as_ints(q), (std::vector<int>{-127, 32}));  // 1 * 31.75 -> 32
}

TEST(QuantizeRow, AsymmetricHandValues) {
  // Range [-1, 2]: scale 3/255, zero point -128 + 1 / (3/255) = -43.
  const std::vector<float> x = {-1.f, 0.2f, 2.f, 0.f};
  std::vector<int8_t> q(x.size());
  const RowQuantization r = quantize_row_asymmetric(x.data(), x.size(), q.data());
  EXPECT_FLOAT_EQ(r.scale, 3.f / 255.f);
  EXPECT_EQ(r.zero_point, -43);
  EXPECT_EQ(as_ints(q), (std::vector<int>{-128, -26, 127, -43}));  // -43 + 17 = -26
}

TEST(QuantizeRow, AsymmetricRangeAlwaysIncludesZero) {
  // All positive: range [0, 1], zero point pinned at -128.
  std::vector<float> x = {0.4f, 1.f};
  std::vector<int8_t> q(x.size());
  RowQuantization r = quantize_row_asymmetric(x.data(), x.size(), q.data());
  EXPECT_FLOAT_EQ(r.scale, 1.f / 255.f);
  EXPECT_EQ(r.zero_point, -128);
  EXPECT_EQ(as_ints(q), (std::vector<int>{-26, 127}));  // -128 + 102
  // All negative: range [-2, 0], zero point pinned at 127.
  x = {-2.f, -0.5f};
  r = quantize_row_asymmetric(x.data(), x.size(), q.data());
  EXPECT_FLOAT_EQ(r.scale, 2.f / 255.f);
  EXPECT_EQ(r.zero_point, 127);
  EXPECT_EQ(as_ints(q), (std::vector<int>{-128, 63}));  // 127 - 63.75
}

TEST(QuantizeRow, ZeroRowsGiveUnitScale) {
  const std::vector<float> x(5, 0.f);
  std::vector<int8_t> q(x.size(), 9);
  for (bool asym : {false, true}) {
    const RowQuantization r = asym ? quantize_row_asymmetric(x.data(), x.size(), q.data())
                                   : quantize_row_symmetric(x.data(), x.size(), q.data());
    EXPECT_EQ(r.scale, 1.f);
    EXPECT_EQ(r.zero_point, 0);
    EXPECT_EQ(as_ints(q), std::vector<int>(5, 0));
  }
}

TEST(QuantizeRow, NanDoesNotDisturbTheRow) {
  const std::vector<float> x = {std::nanf(""), -1.f, 2.f};
  std::vector<int8_t> q(x.size());
  RowQuantization r = quantize_row_symmetric(x.data(), x.size(), q.data());
  EXPECT_EQ(r.scale, 2.f / 127.f);
  EXPECT_EQ(as_ints(q), (std::vector<int>{0, -64, 127}));
  r = quantize_row_asymmetric(x.data(), x.size(), q.data());
  EXPECT_EQ(r.zero_point, -43);
  EXPECT_EQ(q[0], -43);
}

// Every value dequantizes to within half a step of itself, and the ends of
// the range are reached.
TEST(QuantizeRow, RandomRowsStayWithinHalfAStep) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> offset(-3.f, 3.f), width(0.01f, 10.f);
  int checked = 0;
  for (int row = 0; row < 500; ++row) {
    const float lo = offset(rng), hi = lo + width(rng);
    std::uniform_real_distribution<float> value(lo, hi);
    std::vector<float> x(1 + row % 40);
    for (float& v : x) v = value(rng);
    std::vector<int8_t> q(x.size());
    for (bool asym : {false, true}) {
      const RowQuantization r = asym ? quantize_row_asymmetric(x.data(), x.size(), q.data())
                                     : quantize_row_symmetric(x.data(), x.size(), q.data());
      const double max_abs = std::max(std::fabs(*std::min_element(x.begin(), x.end())),
                                      std::fabs(*std::max_element(x.begin(), x.end())));
      if (!asym) {
        EXPECT_NEAR(r.scale, max_abs / 127.0, 1e-6 * max_abs);
      } else {
        const double span = std::max(0.0, static_cast<double>(*std::max_element(x.begin(), x.end()))) -
                            std::min(0.0, static_cast<double>(*std::min_element(x.begin(), x.end())));
        EXPECT_NEAR(r.scale, span / 255.0, 1e-6 * span);
      }
      for (size_t i = 0; i < x.size(); ++i) {
        const double real = static_cast<double>(r.scale) * (q[i] - r.zero_point);
        // Half a step, plus the nudge of the zero point (at most half a step).
        ASSERT_LE(std::fabs(real - x[i]), (asym ? 1.0 : 0.5) * r.scale * (1 + 1e-5)) << x[i];
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 10000);
}

}  // namespace
}  // namespace quantlab
