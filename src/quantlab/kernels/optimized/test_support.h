// Test support (header only, used by the optimized kernels' tests): random
// operands and parameters, and exact / float comparisons of an optimized
// kernel's output with the reference kernel's on the same inputs.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "quantlab/kernels/optimized/simd_level.h"
#include "quantlab/numerics/requantize.h"

namespace quantlab {
namespace testing {

inline int uniform_int(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// Every int8 value, -128 included (files may hold it even in weights).
inline std::vector<int8_t> random_int8(std::mt19937& rng, int64_t n) {
  std::vector<int8_t> v(static_cast<size_t>(n));
  for (int8_t& x : v) x = static_cast<int8_t>(uniform_int(rng, -128, 127));
  return v;
}

inline std::vector<float> random_floats(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

// Biases of realistic magnitude (a few thousand LSB of the accumulator).
inline std::vector<int32_t> random_bias(std::mt19937& rng, int n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int32_t& x : v) x = uniform_int(rng, -40000, 40000);
  return v;
}

// Per-channel multipliers of reals from 1e-5 to 2 (so right and left shifts).
inline std::vector<QuantizedMultiplier> random_multipliers(std::mt19937& rng, int n) {
  std::uniform_real_distribution<double> log10_real(-5.0, 0.3);
  std::vector<QuantizedMultiplier> m;
  for (int i = 0; i < n; ++i) m.push_back(quantize_multiplier(std::pow(10.0, log10_real(rng))));
  return m;
}

// A clamp as a fused activation leaves it: the full int8 range or a part.
inline std::pair<int32_t, int32_t> random_int8_clamp(std::mt19937& rng) {
  if (uniform_int(rng, 0, 2) == 0) return {-128, 127};
  int32_t lo = uniform_int(rng, -128, 20), hi = uniform_int(rng, -20, 127);
  if (lo > hi) std::swap(lo, hi);
  return {lo, hi};
}

inline std::pair<float, float> random_float_clamp(std::mt19937& rng) {
  switch (uniform_int(rng, 0, 2)) {
    case 0:
      return {-std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()};
    case 1:
      return {0.f, std::numeric_limits<float>::infinity()};
    default:
      return {0.f, 6.f};
  }
}

// Output buffers with guard values past the end, to catch stray writes.
template <typename T>
struct Guarded {
  static constexpr int kGuard = 64;
  std::vector<T> data;
  explicit Guarded(int64_t n) : data(static_cast<size_t>(n + kGuard), static_cast<T>(99)) {}
  T* get() { return data.data(); }
  std::vector<T> values() const { return std::vector<T>(data.begin(), data.end() - kGuard); }
  bool guard_intact() const {
    return std::all_of(data.end() - kGuard, data.end(), [](T v) { return v == static_cast<T>(99); });
  }
};

// Scratch exactly as large as a kernel asks for, plus a guarded tail.
struct Scratch {
  std::vector<uint64_t> words;  // 8-byte aligned, like the test runner's
  int64_t bytes;
  explicit Scratch(int64_t n) : words(static_cast<size_t>((n + 7) / 8 + 8), 0x5a5a5a5a5a5a5a5aull), bytes(n) {}
  void* get() { return words.data(); }
  bool guard_intact() const {
    return std::all_of(words.end() - 7, words.end(), [](uint64_t w) { return w == 0x5a5a5a5a5a5a5a5aull; });
  }
};

inline void expect_identical(const std::vector<int8_t>& optimized, const std::vector<int8_t>& reference,
                             const std::string& what) {
  ASSERT_EQ(optimized.size(), reference.size()) << what;
  int64_t differ = 0, first = -1;
  for (size_t i = 0; i < optimized.size(); ++i)
    if (optimized[i] != reference[i] && differ++ == 0) first = static_cast<int64_t>(i);
  EXPECT_EQ(differ, 0) << what << ": " << differ << " of " << optimized.size() << " values differ, first at " << first
                       << " (optimized " << (first >= 0 ? int{optimized[first]} : 0) << ", reference "
                       << (first >= 0 ? int{reference[first]} : 0) << ")";
}

// |optimized - reference| <= 1e-5 * magnitude, where magnitude is the sum of
// the absolute values of the terms (the float error scale of a sum),
// computed by the caller with the reference kernel on absolute values.
inline void expect_close(const std::vector<float>& optimized, const std::vector<float>& reference,
                         const std::vector<float>& magnitude, const std::string& what) {
  ASSERT_EQ(optimized.size(), reference.size()) << what;
  for (size_t i = 0; i < optimized.size(); ++i)
    ASSERT_LE(std::fabs(optimized[i] - reference[i]), 1e-5 * magnitude[i] + 1e-30)
        << what << ": value " << i << " optimized " << optimized[i] << " reference " << reference[i];
}

inline std::string level_label(SimdLevel level) { return std::string("simd ") + simd_level_name(level); }

}  // namespace testing
}  // namespace quantlab
