// Optimized CONV_2D against the reference kernel (conv_2d_int8 /
// conv_2d_float) on random geometries: every SIMD level this CPU runs,
// strides, dilations, SAME and VALID padding, input and output zero points,
// per-channel multipliers with left and right shifts, clamps, both rounding
// styles, with and without bias. int8 must match bit for bit.
#include "quantlab/kernels/optimized/conv_2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "quantlab/kernels/optimized/test_support.h"
#include "quantlab/kernels/window.h"

namespace quantlab {
namespace {

using testing::uniform_int;

// A random valid geometry; `large` makes the im2col matrix span several chunks.
Conv2DGeometry random_geometry(std::mt19937& rng, bool large) {
  for (;;) {
    Conv2DGeometry g;
    g.batches = uniform_int(rng, 1, 2);
    g.in_h = large ? uniform_int(rng, 30, 44) : uniform_int(rng, 1, 12);
    g.in_w = large ? uniform_int(rng, 30, 44) : uniform_int(rng, 1, 12);
    g.in_c = large ? uniform_int(rng, 40, 70) : uniform_int(rng, 1, 20);
    g.out_c = uniform_int(rng, 1, 40);
    g.filter_h = uniform_int(rng, 1, 4);
    g.filter_w = uniform_int(rng, 1, 4);
    g.stride_h = uniform_int(rng, 1, 3);
    g.stride_w = uniform_int(rng, 1, 3);
    g.dilation_h = uniform_int(rng, 1, 3);
    g.dilation_w = uniform_int(rng, 1, 3);
    const Padding padding = uniform_int(rng, 0, 1) ? Padding::kSame : Padding::kValid;
    const Window2D w = compute_window(padding, g.in_h, g.in_w, g.filter_h, g.filter_w, g.stride_h, g.stride_w,
                                      g.dilation_h, g.dilation_w);
    if (w.out_h <= 0 || w.out_w <= 0) continue;
    g.out_h = w.out_h, g.out_w = w.out_w, g.pad_top = w.pad_top, g.pad_left = w.pad_left;
    return g;
  }
}

std::string describe(const Conv2DGeometry& g) {
  return "input " + std::to_string(g.batches) + "x" + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" +
         std::to_string(g.in_c) + " filter " + std::to_string(g.out_c) + "x" + std::to_string(g.filter_h) + "x" +
         std::to_string(g.filter_w) + " stride " + std::to_string(g.stride_h) + "x" + std::to_string(g.stride_w) +
         " dilation " + std::to_string(g.dilation_h) + "x" + std::to_string(g.dilation_w) + " pad " +
         std::to_string(g.pad_top) + "," + std::to_string(g.pad_left);
}

int64_t input_size(const Conv2DGeometry& g) { return int64_t{g.batches} * g.in_h * g.in_w * g.in_c; }
int64_t filter_size(const Conv2DGeometry& g) { return int64_t{g.out_c} * g.filter_h * g.filter_w * g.in_c; }
int64_t output_size(const Conv2DGeometry& g) { return int64_t{g.batches} * g.out_h * g.out_w * g.out_c; }

void check_int8_case(std::mt19937& rng, bool large) {
  const Conv2DGeometry g = random_geometry(rng, large);
  const std::vector<int8_t> input = testing::random_int8(rng, input_size(g));
  const std::vector<int8_t> filter = testing::random_int8(rng, filter_size(g));
  const std::vector<int32_t> bias = testing::random_bias(rng, g.out_c);
  const std::vector<QuantizedMultiplier> multipliers = testing::random_multipliers(rng, g.out_c);
  const bool with_bias = uniform_int(rng, 0, 3) != 0;
  Conv2DInt8Params p;
  p.geometry = g;
  p.input_zero_point = uniform_int(rng, -128, 127);
  p.output_zero_point = uniform_int(rng, -128, 127);
  p.channel_multipliers = multipliers.data();
  std::tie(p.act_min, p.act_max) = testing::random_int8_clamp(rng);
  for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
    p.rounding = rounding;
    testing::Guarded<int8_t> reference(output_size(g));
    conv_2d_int8(p, input.data(), filter.data(), with_bias ? bias.data() : nullptr, reference.get());
    for (SimdLevel level : supported_simd_levels()) {
      const OptimizedConv2DInt8 conv(p, filter.data(), level);
      testing::Scratch scratch(conv.scratch_bytes());
      testing::Guarded<int8_t> optimized(output_size(g));
      conv.run(input.data(), with_bias ? bias.data() : nullptr, optimized.get(), scratch.get());
      const std::string what = describe(g) + ", " + testing::level_label(level) + ", " + rounding_name(rounding) +
                               " rounding, zero points " + std::to_string(p.input_zero_point) + "/" +
                               std::to_string(p.output_zero_point) + (with_bias ? "" : ", no bias");
      testing::expect_identical(optimized.values(), reference.values(), what);
      EXPECT_TRUE(optimized.guard_intact()) << what << ": wrote past the output";
      EXPECT_TRUE(scratch.guard_intact()) << what << ": wrote past its scratch";
    }
  }
}

TEST(OptimizedConv2D, Int8MatchesReferenceBitForBit) {
  std::mt19937 rng(101);
  for (int trial = 0; trial < 150; ++trial) check_int8_case(rng, false);
}

TEST(OptimizedConv2D, Int8LargeInputsSpanningSeveralChunks) {
  std::mt19937 rng(102);
  for (int trial = 0; trial < 3; ++trial) check_int8_case(rng, true);
}

TEST(OptimizedConv2D, FloatMatchesReferenceWithinRounding) {
  std::mt19937 rng(103);
  const float inf = std::numeric_limits<float>::infinity();
  for (int trial = 0; trial < 120; ++trial) {
    Conv2DGeometry g = random_geometry(rng, trial < 2);
    if (trial % 5 == 0) {  // 1x1 at stride 1: the input is used as the matrix directly
      g.filter_h = g.filter_w = 1, g.stride_h = g.stride_w = 1, g.pad_top = g.pad_left = 0;
      g.out_h = g.in_h, g.out_w = g.in_w;
    }
    const std::vector<float> input = testing::random_floats(rng, input_size(g));
    const std::vector<float> filter = testing::random_floats(rng, filter_size(g));
    const std::vector<float> bias = testing::random_floats(rng, g.out_c);
    const bool with_bias = uniform_int(rng, 0, 3) != 0;
    const auto [lo, hi] = testing::random_float_clamp(rng);
    testing::Guarded<float> reference(output_size(g)), magnitude(output_size(g));
    conv_2d_float(g, input.data(), filter.data(), with_bias ? bias.data() : nullptr, lo, hi, reference.get());
    auto abs_of = [](std::vector<float> v) {
      for (float& x : v) x = std::fabs(x);
      return v;
    };
    conv_2d_float(g, abs_of(input).data(), abs_of(filter).data(), with_bias ? abs_of(bias).data() : nullptr, -inf, inf,
                  magnitude.get());
    for (SimdLevel level : supported_simd_levels()) {
      const OptimizedConv2DFloat conv(g, filter.data(), lo, hi, level);
      testing::Scratch scratch(conv.scratch_bytes());
      testing::Guarded<float> optimized(output_size(g));
      conv.run(input.data(), with_bias ? bias.data() : nullptr, optimized.get(), scratch.get());
      const std::string what = describe(g) + ", " + testing::level_label(level);
      testing::expect_close(optimized.values(), reference.values(), magnitude.values(), what);
      EXPECT_TRUE(optimized.guard_intact()) << what << ": wrote past the output";
      EXPECT_TRUE(scratch.guard_intact()) << what << ": wrote past its scratch";
    }
  }
}

}  // namespace
}  // namespace quantlab
