#include "quantlab/kernels/average_pool_2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

Pool2DOptions pool(Padding padding, int filter_h, int filter_w, int stride_h, int stride_w,
                   Activation act = Activation::kNone) {
  Pool2DOptions o;
  o.padding = padding;
  o.filter_h = filter_h;
  o.filter_w = filter_w;
  o.stride_h = stride_h;
  o.stride_w = stride_w;
  o.activation = act;
  return o;
}

TEST(AveragePoolKernel, FloatSamePaddingCountsOnlyInBoundsElements) {
  // 3x3 input, 2x2 filter, stride 2, SAME: output 2x2; padding goes at the
  // end, so the right and bottom windows cover fewer elements.
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  g.output(DType::kFloat32);
  g.op(OpKind::kAveragePool2D, {in}, pool(Padding::kSame, 2, 2, 2, 2));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 2, 2, 1}));
  // (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9/1
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{3, 4.5f, 7.5f, 9}));
}

TEST(AveragePoolKernel, Int8RoundsHalfAwayFromZero) {
  // Windows of two elements per channel: sums 3, -3, 5, -5 -> 1.5, -1.5, 2.5, -2.5.
  SingleOpGraph g;
  const QuantParams q = QuantParams::per_tensor(0.1f, 0);
  const int32_t in = g.input<int8_t>(DType::kInt8, {1, 1, 2, 4}, {1, -1, 2, -2, 2, -2, 3, -3}, q);
  g.output(DType::kInt8, q);
  g.op(OpKind::kAveragePool2D, {in}, pool(Padding::kValid, 1, 2, 1, 1));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 1, 1, 4}));
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{2, -2, 3, -3}));
}

// Random inputs against a naive window loop computing the average in double.
TEST(AveragePoolKernel, MatchesNaiveAverage) {
  std::mt19937 rng(21);
  std::uniform_int_distribution<int> value(-128, 127);
  struct Case {
    Shape shape;
    Pool2DOptions options;
  };
  const std::vector<Case> cases = {{{1, 4, 9, 8}, pool(Padding::kSame, 3, 3, 2, 2)},
                                   {{2, 5, 4, 3}, pool(Padding::kValid, 2, 2, 1, 1, Activation::kRelu)},
                                   {{1, 25, 1, 3}, pool(Padding::kSame, 5, 1, 2, 1, Activation::kRelu6)}};
  for (const Case& c : cases) {
    std::vector<int8_t> in8(num_elements(c.shape));
    std::vector<float> inf(in8.size());
    for (size_t i = 0; i < in8.size(); ++i) {
      in8[i] = static_cast<int8_t>(value(rng));
      inf[i] = in8[i] * 0.25f;
    }
    const QuantParams q = QuantParams::per_tensor(0.05f, -10);
    SingleOpGraph g8, gf;
    const int32_t t8 = g8.input(DType::kInt8, c.shape, in8, q);
    g8.output(DType::kInt8, q);
    g8.op(OpKind::kAveragePool2D, {t8}, c.options);
    const int32_t tf = gf.input(DType::kFloat32, c.shape, inf);
    gf.output(DType::kFloat32);
    gf.op(OpKind::kAveragePool2D, {tf}, c.options);
    auto r8 = g8.run();
    auto rf = gf.run();
    ASSERT_TRUE(r8.status.ok()) << r8.status.message();
    ASSERT_TRUE(rf.status.ok()) << rf.status.message();
    const auto out8 = from_bytes<int8_t>(r8.output);
    const auto outf = from_bytes<float>(rf.output);

    const int n = c.shape[0], h = c.shape[1], w = c.shape[2], ch = c.shape[3];
    const auto& o = c.options;
    const int oh = o.padding == Padding::kSame ? (h + o.stride_h - 1) / o.stride_h : (h - o.filter_h) / o.stride_h + 1;
    const int ow = o.padding == Padding::kSame ? (w + o.stride_w - 1) / o.stride_w : (w - o.filter_w) / o.stride_w + 1;
    ASSERT_EQ(r8.output_shape, (Shape{n, oh, ow, ch}));
    const int pad_h = o.padding == Padding::kSame ? std::max(0, (oh - 1) * o.stride_h + o.filter_h - h) / 2 : 0;
    const int pad_w = o.padding == Padding::kSame ? std::max(0, (ow - 1) * o.stride_w + o.filter_w - w) / 2 : 0;
    const double qlo = o.activation == Activation::kNone ? -128 : -10;
    const double qhi = o.activation == Activation::kRelu6 ? std::min(127.0, std::round(6 / 0.05) - 10) : 127;
    const double flo = o.activation == Activation::kNone ? -1e30 : 0;
    const double fhi = o.activation == Activation::kRelu6 ? 6 : 1e30;
    int64_t index = 0;
    for (int b = 0; b < n; ++b)
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x)
          for (int k = 0; k < ch; ++k, ++index) {
            double sum = 0;
            int count = 0;
            for (int fy = 0; fy < o.filter_h; ++fy)
              for (int fx = 0; fx < o.filter_w; ++fx) {
                const int iy = y * o.stride_h - pad_h + fy, ix = x * o.stride_w - pad_w + fx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                sum += in8[((b * h + iy) * w + ix) * ch + k];
                ++count;
              }
            const double q8 = std::min(qhi, std::max(qlo, std::round(sum / count)));
            EXPECT_EQ(out8[index], q8) << index;
            const double f = std::min(fhi, std::max(flo, 0.25 * sum / count));
            EXPECT_NEAR(outf[index], f, 1e-5) << index;
          }
  }
}

TEST(AveragePoolKernel, RejectsMismatchedQuantizationAndBadGeometry) {
  SingleOpGraph g;
  const int32_t in = g.input<int8_t>(DType::kInt8, {1, 2, 2, 1}, {1, 2, 3, 4}, QuantParams::per_tensor(0.1f, 0));
  g.output(DType::kInt8, QuantParams::per_tensor(0.2f, 0));
  g.op(OpKind::kAveragePool2D, {in}, pool(Padding::kValid, 2, 2, 1, 1));
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("AVERAGE_POOL_2D"), std::string::npos) << run.status.message();

  SingleOpGraph big;
  const int32_t x = big.input<float>(DType::kFloat32, {1, 2, 2, 1}, {1, 2, 3, 4});
  big.output(DType::kFloat32);
  big.op(OpKind::kAveragePool2D, {x}, pool(Padding::kValid, 3, 3, 1, 1));
  EXPECT_EQ(big.run().status.code(), StatusCode::kInvalidArgument);

  SingleOpGraph rank3;
  const int32_t y = rank3.input<float>(DType::kFloat32, {2, 2, 1}, {1, 2, 3, 4});
  rank3.output(DType::kFloat32);
  rank3.op(OpKind::kAveragePool2D, {y}, pool(Padding::kValid, 1, 1, 1, 1));
  EXPECT_EQ(rank3.run().status.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quantlab
