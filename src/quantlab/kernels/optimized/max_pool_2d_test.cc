// Optimized MAX_POOL_2D against the reference kernel, bit for bit, on random
// geometries (filter sizes, strides, SAME and VALID padding, channel counts
// on both sides of the vector width) at every SIMD level this CPU runs,
// float inputs sprinkled with NaN and signed zeros, int8 inputs over the
// whole range, with and without activation clamps.
#include "quantlab/kernels/optimized/max_pool_2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "quantlab/kernels/optimized/test_support.h"

namespace quantlab {
namespace {

using testing::uniform_int;

PoolGeometry random_geometry(std::mt19937& rng) {
  for (;;) {
    PoolGeometry g;
    g.batches = uniform_int(rng, 1, 2);
    g.input_h = uniform_int(rng, 1, 12);
    g.input_w = uniform_int(rng, 1, 12);
    g.channels = uniform_int(rng, 1, 40);
    g.filter_h = uniform_int(rng, 1, 4);
    g.filter_w = uniform_int(rng, 1, 4);
    g.stride_h = uniform_int(rng, 1, 3);
    g.stride_w = uniform_int(rng, 1, 3);
    const Padding padding = uniform_int(rng, 0, 1) ? Padding::kSame : Padding::kValid;
    g.window = compute_window(padding, g.input_h, g.input_w, g.filter_h, g.filter_w, g.stride_h, g.stride_w, 1, 1);
    if (g.window.out_h >= 1 && g.window.out_w >= 1) return g;
  }
}

int64_t input_size(const PoolGeometry& g) { return int64_t{g.batches} * g.input_h * g.input_w * g.channels; }
int64_t output_size(const PoolGeometry& g) { return int64_t{g.batches} * g.window.out_h * g.window.out_w * g.channels; }

std::string describe(const PoolGeometry& g) {
  return std::to_string(g.input_h) + "x" + std::to_string(g.input_w) + "x" + std::to_string(g.channels) + " filter " +
         std::to_string(g.filter_h) + "x" + std::to_string(g.filter_w) + " stride " + std::to_string(g.stride_h) + "x" +
         std::to_string(g.stride_w);
}

TEST(OptimizedMaxPool2D, FloatMatchesReferenceBitForBit) {
  std::mt19937 rng(601);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (int trial = 0; trial < 200; ++trial) {
    const PoolGeometry g = random_geometry(rng);
    std::vector<float> input = testing::random_floats(rng, input_size(g));
    for (float& x : input) {
      const int pick = uniform_int(rng, 0, 19);
      if (pick == 0) x = nan;
      if (pick == 1) x = 0.f;
      if (pick == 2) x = -0.f;
    }
    const auto [lo, hi] = trial % 2 ? std::pair<float, float>{-inf, inf} : std::pair<float, float>{0.f, 0.5f};
    testing::Guarded<float> reference(output_size(g));
    max_pool_float(g, input.data(), reference.get(), lo, hi);
    for (SimdLevel level : supported_simd_levels()) {
      testing::Guarded<float> optimized(output_size(g));
      optimized_max_pool_float(level, g, input.data(), optimized.get(), lo, hi);
      const std::vector<float> got = optimized.values(), want = reference.values();
      EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0)
          << describe(g) << ", " << testing::level_label(level);
      EXPECT_TRUE(optimized.guard_intact()) << describe(g) << ": wrote past the output";
    }
  }
}

TEST(OptimizedMaxPool2D, Int8MatchesReferenceBitForBit) {
  std::mt19937 rng(602);
  for (int trial = 0; trial < 200; ++trial) {
    const PoolGeometry g = random_geometry(rng);
    const std::vector<int8_t> input = testing::random_int8(rng, input_size(g));
    const auto [lo, hi] = testing::random_int8_clamp(rng);
    testing::Guarded<int8_t> reference(output_size(g));
    max_pool_int8(g, input.data(), reference.get(), lo, hi);
    for (SimdLevel level : supported_simd_levels()) {
      testing::Guarded<int8_t> optimized(output_size(g));
      optimized_max_pool_int8(level, g, input.data(), optimized.get(), lo, hi);
      testing::expect_identical(optimized.values(), reference.values(),
                                describe(g) + ", " + testing::level_label(level));
      EXPECT_TRUE(optimized.guard_intact()) << describe(g) << ": wrote past the output";
    }
  }
}

}  // namespace
}  // namespace quantlab
