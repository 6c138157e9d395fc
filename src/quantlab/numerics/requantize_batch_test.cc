// requantize_to_int8 against the scalar function it must reproduce
// (multiply_by_quantized_multiplier, itself checked against gemmlowp and
// exact 128-bit arithmetic in requantize_test.cc), value by value, on
// accumulators at the rounding and saturation corners, on multipliers across
// every shift quantize_multiplier produces, and on rows of every length
// around the vector width.
#include "quantlab/numerics/requantize_batch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace quantlab {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

int8_t expected(int32_t acc, QuantizedMultiplier m, Rounding r, int32_t zp, int32_t lo, int32_t hi) {
  const int32_t v = multiply_by_quantized_multiplier(acc, m, r) + zp;
  return static_cast<int8_t>(std::min(std::max(v, lo), hi));
}

// Accumulators near every power of two (where rounding ties and shifts
// interact), the int32 extremes, and uniform noise.
std::vector<int32_t> accumulators(std::mt19937& rng, int count) {
  std::vector<int32_t> values = {kMin, kMin + 1, kMax - 1, kMax, 0, 1, -1, 2, -2, 3, -3};
  for (int b = 1; b < 31; ++b)
    for (int32_t d : {-1, 0, 1}) {
      values.push_back((int32_t{1} << b) + d);
      values.push_back(-(int32_t{1} << b) + d);
    }
  std::uniform_int_distribution<int32_t> any(kMin, kMax), small(-70000, 70000);
  while (static_cast<int>(values.size()) < count) values.push_back(values.size() % 2 ? any(rng) : small(rng));
  std::shuffle(values.begin(), values.end(), rng);
  values.resize(count);
  return values;
}

// Multipliers of reals from 1e-11 to 1e3 (shifts -31 to +10), zero, and a
// few outside what quantize_multiplier yields (handled by the scalar path).
std::vector<QuantizedMultiplier> multipliers(std::mt19937& rng, int count) {
  std::vector<QuantizedMultiplier> values = {{}, {1 << 30, 0}, {kMax, 0}, {kMax, -31}, {1 << 30, 30},
                                             {1 << 30, 31}, {1 << 30, -32}, {1 << 30, 40}, {-(1 << 30), -3}};
  std::uniform_real_distribution<double> log10_real(-11.0, 3.0);
  while (static_cast<int>(values.size()) < count) values.push_back(quantize_multiplier(std::pow(10.0, log10_real(rng))));
  std::shuffle(values.begin(), values.end(), rng);
  values.resize(count);
  return values;
}

void expect_same_as_scalar(const std::vector<int32_t>& acc, const std::vector<QuantizedMultiplier>& m, Rounding r,
                           int32_t zp, int32_t lo, int32_t hi) {
  std::vector<int8_t> out(acc.size() + 1, 77);  // one guard byte past the end
  requantize_to_int8(acc.data(), static_cast<int>(acc.size()), m.data(), r, zp, lo, hi, out.data());
  for (size_t j = 0; j < acc.size(); ++j)
    ASSERT_EQ(out[j], expected(acc[j], m[j], r, zp, lo, hi))
        << "value " << j << ": acc " << acc[j] << ", multiplier " << m[j].multiplier << " shift " << m[j].shift
        << ", " << rounding_name(r) << " rounding, zero point " << zp;
  EXPECT_EQ(out.back(), 77) << "wrote past the end";
}

TEST(RequantizeBatch, EveryValueMatchesTheScalarFunction) {
  std::mt19937 rng(11);
  for (Rounding r : {Rounding::kDouble, Rounding::kSingle})
    for (int trial = 0; trial < 200; ++trial) {
      const int count = 4096;
      std::uniform_int_distribution<int32_t> zp(-128, 127), bound(-128, 127);
      int32_t lo = bound(rng), hi = bound(rng);
      if (lo > hi) std::swap(lo, hi);
      expect_same_as_scalar(accumulators(rng, count), multipliers(rng, count), r, zp(rng), lo, hi);
    }
}

TEST(RequantizeBatch, FullInt8RangeKeepsUnclampedValues) {
  // With the widest clamp, values in range pass through untouched: a check
  // that is not merely "everything saturates".
  std::mt19937 rng(5);
  std::vector<int32_t> acc(1000);
  std::uniform_int_distribution<int32_t> small(-2000, 2000);
  for (int32_t& a : acc) a = small(rng);
  const std::vector<QuantizedMultiplier> m(acc.size(), quantize_multiplier(0.05));
  for (Rounding r : {Rounding::kDouble, Rounding::kSingle}) {
    expect_same_as_scalar(acc, m, r, 0, -128, 127);
    std::vector<int8_t> out(acc.size());
    requantize_to_int8(acc.data(), static_cast<int>(acc.size()), m.data(), r, 0, -128, 127, out.data());
    // Within half a step plus the second rounding's 2^-5 (0.05 = 0.8 * 2^-4).
    for (size_t j = 0; j < acc.size(); ++j) EXPECT_NEAR(out[j], acc[j] * 0.05, 0.5 + 1.0 / 32);
  }
}

TEST(RequantizeBatch, EveryRowLengthAroundTheVectorWidth) {
  std::mt19937 rng(3);
  for (int count = 0; count <= 70; ++count)
    for (Rounding r : {Rounding::kDouble, Rounding::kSingle})
      expect_same_as_scalar(accumulators(rng, count), multipliers(rng, count), r, -5, -128, 127);
}

}  // namespace
}  // namespace quantlab
