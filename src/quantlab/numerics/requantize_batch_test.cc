// Int8Requantizer against the scalar function it must reproduce
// (multiply_by_quantized_multiplier, itself checked against gemmlowp and
// exact 128-bit arithmetic in requantize_test.cc), value by value: on
// accumulators at the rounding and saturation corners, on multipliers across
// every shift quantize_multiplier produces (and some it never produces, which
// take the scalar path), for whole rows and column ranges of every width
// around the vector length.
#include "quantlab/numerics/requantize_batch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace quantlab {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

// The zero point added modulo 2^32, as the requantizer documents.
int8_t expected(int32_t acc, QuantizedMultiplier m, Rounding r, int32_t zp, int32_t lo, int32_t hi) {
  const int32_t v = static_cast<int32_t>(static_cast<uint32_t>(multiply_by_quantized_multiplier(acc, m, r)) +
                                         static_cast<uint32_t>(zp));
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

// Multipliers of reals from 1e-11 to 1e3 (shifts -31 to +10) and zero.
std::vector<QuantizedMultiplier> multipliers(std::mt19937& rng, int count) {
  std::vector<QuantizedMultiplier> values = {{}, {1 << 30, 0}, {kMax, 0}, {kMax, -31}, {1 << 30, 30}};
  std::uniform_real_distribution<double> log10_real(-11.0, 3.0);
  while (static_cast<int>(values.size()) < count)
    values.push_back(quantize_multiplier(std::pow(10.0, log10_real(rng))));
  std::shuffle(values.begin(), values.end(), rng);
  values.resize(count);
  return values;
}

// Requantizes rows x [first, first + count) and compares every value.
void expect_same_as_scalar(const Int8Requantizer& q, const std::vector<QuantizedMultiplier>& m, int rows, int first,
                           int count, const std::vector<int32_t>& acc, Rounding r, int32_t zp, int32_t lo, int32_t hi) {
  std::vector<int8_t> out(static_cast<size_t>(rows) * count + 1, 77);  // one guard byte past the end
  q.requantize(acc.data(), rows, first, count, out.data());
  for (int i = 0; i < rows * count; ++i) {
    const QuantizedMultiplier mi = m[first + i % count];
    ASSERT_EQ(out[i], expected(acc[i], mi, r, zp, lo, hi))
        << "value " << i << " of " << rows << " rows x columns [" << first << ", " << first + count << "): acc "
        << acc[i] << ", multiplier " << mi.multiplier << " shift " << mi.shift << ", " << rounding_name(r)
        << " rounding, zero point " << zp << (q.vectorized() ? ", vectorized" : ", scalar");
  }
  EXPECT_EQ(out.back(), 77) << "wrote past the end";
}

TEST(Int8Requantizer, WholeRowsOfEveryWidthMatchTheScalarFunction) {
  std::mt19937 rng(11);
  for (Rounding r : {Rounding::kDouble, Rounding::kSingle})
    for (int columns = 1; columns <= 70; ++columns) {
      const int rows = std::uniform_int_distribution<int>(1, 40)(rng);
      std::uniform_int_distribution<int32_t> zp(-128, 127), bound(-128, 127);
      int32_t lo = bound(rng), hi = bound(rng);
      if (lo > hi) std::swap(lo, hi);
      const std::vector<QuantizedMultiplier> m = multipliers(rng, columns);
      const int32_t z = zp(rng);
      const Int8Requantizer q(m.data(), columns, r, z, lo, hi);
      expect_same_as_scalar(q, m, rows, 0, columns, accumulators(rng, rows * columns), r, z, lo, hi);
    }
}

TEST(Int8Requantizer, ColumnRangesMatchTheScalarFunction) {
  std::mt19937 rng(12);
  for (Rounding r : {Rounding::kDouble, Rounding::kSingle})
    for (int trial = 0; trial < 300; ++trial) {
      const int columns = std::uniform_int_distribution<int>(1, 100)(rng);
      const int first = std::uniform_int_distribution<int>(0, columns - 1)(rng);
      const int count = std::uniform_int_distribution<int>(1, columns - first)(rng);
      const int rows = std::uniform_int_distribution<int>(1, 12)(rng);
      const std::vector<QuantizedMultiplier> m = multipliers(rng, columns);
      const Int8Requantizer q(m.data(), columns, r, -7, -128, 127);
      expect_same_as_scalar(q, m, rows, first, count, accumulators(rng, rows * count), r, -7, -128, 127);
    }
}

TEST(Int8Requantizer, ManyValuesAtTheCorners) {
  std::mt19937 rng(13);
  for (Rounding r : {Rounding::kDouble, Rounding::kSingle})
    for (int trial = 0; trial < 20; ++trial) {
      const std::vector<QuantizedMultiplier> m = multipliers(rng, 64);
      const Int8Requantizer q(m.data(), 64, r, 5, -128, 127);
      expect_same_as_scalar(q, m, 100, 0, 64, accumulators(rng, 6400), r, 5, -128, 127);
    }
}

TEST(Int8Requantizer, MultipliersOutsideTheVectorRangeUseTheScalarPath) {
  // The largest shift quantize_multiplier yields (31, for absurd scales) and
  // a negative multiplier, both within the scalar function's contract.
  const std::vector<QuantizedMultiplier> m = {{1 << 30, 31}, {kMax, 31}, {-(1 << 30), -3}, {1 << 30, -31}};
  for (Rounding r : {Rounding::kDouble, Rounding::kSingle}) {
    const Int8Requantizer q(m.data(), 4, r, 0, -128, 127);
    EXPECT_FALSE(q.vectorized());
    std::vector<int32_t> acc = {0, 1, -1, 100, -100, 5, 6, kMin};
    expect_same_as_scalar(q, m, 2, 0, 4, acc, r, 0, -128, 127);
  }
}

TEST(Int8Requantizer, UnclampedValuesFollowTheRealMultiplier) {
  // With the widest clamp, values in range pass through the real scaling:
  // a check that is not merely "everything saturates" (within half a step
  // plus the second rounding's 2^-5, as 0.05 = 0.8 * 2^-4).
  std::mt19937 rng(5);
  std::vector<int32_t> acc(1000);
  std::uniform_int_distribution<int32_t> small(-2000, 2000);
  for (int32_t& a : acc) a = small(rng);
  const std::vector<QuantizedMultiplier> m(10, quantize_multiplier(0.05));
  for (Rounding r : {Rounding::kDouble, Rounding::kSingle}) {
    const Int8Requantizer q(m.data(), 10, r, 0, -128, 127);
    std::vector<int8_t> out(acc.size());
    q.requantize(acc.data(), 100, 0, 10, out.data());
    for (size_t j = 0; j < acc.size(); ++j) EXPECT_NEAR(out[j], acc[j] * 0.05, 0.5 + 1.0 / 32);
  }
}

}  // namespace
}  // namespace quantlab
