// Optimized FULLY_CONNECTED against the reference kernel on random shapes:
// every SIMD level this CPU runs, depths that are and are not multiples of
// 4, output counts on both sides of the 16- and 32-column tiles, row counts
// spanning several tiles and chunks, zero points, per-channel multipliers,
// clamps, both rounding styles, with and without bias.
#include "quantlab/kernels/optimized/fully_connected.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "quantlab/kernels/optimized/test_support.h"

namespace quantlab {
namespace {

using testing::uniform_int;

FullyConnectedShape random_shape(std::mt19937& rng, int trial) {
  FullyConnectedShape s;
  s.rows = trial % 7 == 0 ? uniform_int(rng, 100, 700) : uniform_int(rng, 1, 30);
  s.in = uniform_int(rng, 1, 300);
  s.out = uniform_int(rng, 1, 70);
  return s;
}

std::string describe(const FullyConnectedShape& s) {
  return std::to_string(s.rows) + " rows x " + std::to_string(s.in) + " -> " + std::to_string(s.out);
}

TEST(OptimizedFullyConnected, Int8MatchesReferenceBitForBit) {
  std::mt19937 rng(301);
  for (int trial = 0; trial < 150; ++trial) {
    const FullyConnectedShape s = random_shape(rng, trial);
    const std::vector<int8_t> input = testing::random_int8(rng, s.rows * s.in);
    const std::vector<int8_t> weights = testing::random_int8(rng, int64_t{s.out} * s.in);
    const std::vector<int32_t> bias = testing::random_bias(rng, s.out);
    std::vector<QuantizedMultiplier> multipliers = testing::random_multipliers(rng, s.out);
    if (trial % 2 == 0) multipliers.assign(s.out, multipliers[0]);  // per-tensor weights
    const bool with_bias = uniform_int(rng, 0, 3) != 0;
    FullyConnectedInt8Params p;
    p.shape = s;
    p.input_zero_point = uniform_int(rng, -128, 127);
    p.output_zero_point = uniform_int(rng, -128, 127);
    p.channel_multipliers = multipliers.data();
    std::tie(p.act_min, p.act_max) = testing::random_int8_clamp(rng);
    for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
      p.rounding = rounding;
      testing::Guarded<int8_t> reference(s.rows * s.out);
      fully_connected_int8(p, input.data(), weights.data(), with_bias ? bias.data() : nullptr, reference.get());
      for (SimdLevel level : supported_simd_levels()) {
        const OptimizedFullyConnectedInt8 fc(p, weights.data(), level);
        testing::Scratch scratch(fc.scratch_bytes());
        testing::Guarded<int8_t> optimized(s.rows * s.out);
        fc.run(input.data(), with_bias ? bias.data() : nullptr, optimized.get(), scratch.get());
        const std::string what = describe(s) + ", " + testing::level_label(level) + ", " + rounding_name(rounding) +
                                 " rounding" + (with_bias ? "" : ", no bias");
        testing::expect_identical(optimized.values(), reference.values(), what);
        EXPECT_TRUE(optimized.guard_intact()) << what << ": wrote past the output";
        EXPECT_TRUE(scratch.guard_intact()) << what << ": wrote past its scratch";
      }
    }
  }
}

TEST(OptimizedFullyConnected, FloatMatchesReferenceWithinRounding) {
  std::mt19937 rng(302);
  const float inf = std::numeric_limits<float>::infinity();
  auto abs_of = [](std::vector<float> v) {
    for (float& x : v) x = std::fabs(x);
    return v;
  };
  for (int trial = 0; trial < 120; ++trial) {
    const FullyConnectedShape s = random_shape(rng, trial);
    const std::vector<float> input = testing::random_floats(rng, s.rows * s.in);
    const std::vector<float> weights = testing::random_floats(rng, int64_t{s.out} * s.in);
    const std::vector<float> bias = testing::random_floats(rng, s.out);
    const bool with_bias = uniform_int(rng, 0, 3) != 0;
    const auto [lo, hi] = testing::random_float_clamp(rng);
    testing::Guarded<float> reference(s.rows * s.out), magnitude(s.rows * s.out);
    fully_connected_float(s, input.data(), weights.data(), with_bias ? bias.data() : nullptr, lo, hi, reference.get());
    fully_connected_float(s, abs_of(input).data(), abs_of(weights).data(), with_bias ? abs_of(bias).data() : nullptr,
                          -inf, inf, magnitude.get());
    for (SimdLevel level : supported_simd_levels()) {
      const OptimizedFullyConnectedFloat fc(s, weights.data(), lo, hi, level);
      testing::Guarded<float> optimized(s.rows * s.out);
      fc.run(input.data(), with_bias ? bias.data() : nullptr, optimized.get());
      const std::string what = describe(s) + ", " + testing::level_label(level);
      testing::expect_close(optimized.values(), reference.values(), magnitude.values(), what);
      EXPECT_TRUE(optimized.guard_intact()) << what << ": wrote past the output";
    }
  }
}

}  // namespace
}  // namespace quantlab
