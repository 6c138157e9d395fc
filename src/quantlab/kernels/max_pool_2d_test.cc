#include "quantlab/kernels/max_pool_2d.h"

#include <gtest/gtest.h>

#include <algorithm>
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

TEST(MaxPoolKernel, FloatByHandIgnoresPadding) {
  // All inputs negative: padded positions must not contribute a zero.
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {1, 3, 3, 1}, {-9, -8, -7, -6, -5, -4, -3, -2, -1});
  g.output(DType::kFloat32);
  g.op(OpKind::kMaxPool2D, {in}, pool(Padding::kSame, 2, 2, 2, 2));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 2, 2, 1}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{-5, -4, -2, -1}));
}

TEST(MaxPoolKernel, Int8FusedReluClampsAtZeroPoint) {
  SingleOpGraph g;
  const QuantParams q = QuantParams::per_tensor(0.5f, -20);
  const int32_t in = g.input<int8_t>(DType::kInt8, {1, 2, 2, 1}, {-100, -30, -50, -60}, q);
  g.output(DType::kInt8, q);
  g.op(OpKind::kMaxPool2D, {in}, pool(Padding::kValid, 2, 2, 2, 2, Activation::kRelu));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{-20}));  // max -30 is below real 0
}

TEST(MaxPoolKernel, MatchesNaiveMaximum) {
  std::mt19937 rng(22);
  std::uniform_int_distribution<int> value(-128, 127);
  struct Case {
    Shape shape;
    Pool2DOptions options;
  };
  const std::vector<Case> cases = {{{1, 4, 8, 5}, pool(Padding::kSame, 2, 2, 2, 2)},
                                   {{2, 9, 12, 6}, pool(Padding::kValid, 3, 3, 1, 1)},
                                   {{1, 33, 1, 2}, pool(Padding::kSame, 4, 1, 3, 1)}};
  for (const Case& c : cases) {
    std::vector<int8_t> in(num_elements(c.shape));
    for (auto& v : in) v = static_cast<int8_t>(value(rng));
    const QuantParams q = QuantParams::per_tensor(0.05f, 3);
    SingleOpGraph g;
    const int32_t t = g.input(DType::kInt8, c.shape, in, q);
    g.output(DType::kInt8, q);
    g.op(OpKind::kMaxPool2D, {t}, c.options);
    auto run = g.run();
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    const auto out = from_bytes<int8_t>(run.output);
    const int n = c.shape[0], h = c.shape[1], w = c.shape[2], ch = c.shape[3];
    const auto& o = c.options;
    const int oh = o.padding == Padding::kSame ? (h + o.stride_h - 1) / o.stride_h : (h - o.filter_h) / o.stride_h + 1;
    const int ow = o.padding == Padding::kSame ? (w + o.stride_w - 1) / o.stride_w : (w - o.filter_w) / o.stride_w + 1;
    ASSERT_EQ(run.output_shape, (Shape{n, oh, ow, ch}));
    const int pad_h = o.padding == Padding::kSame ? std::max(0, (oh - 1) * o.stride_h + o.filter_h - h) / 2 : 0;
    const int pad_w = o.padding == Padding::kSame ? std::max(0, (ow - 1) * o.stride_w + o.filter_w - w) / 2 : 0;
    int64_t index = 0;
    for (int b = 0; b < n; ++b)
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x)
          for (int k = 0; k < ch; ++k, ++index) {
            int best = -1000;
            for (int fy = 0; fy < o.filter_h; ++fy)
              for (int fx = 0; fx < o.filter_w; ++fx) {
                const int iy = y * o.stride_h - pad_h + fy, ix = x * o.stride_w - pad_w + fx;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) best = std::max<int>(best, in[((b * h + iy) * w + ix) * ch + k]);
              }
            EXPECT_EQ(out[index], best) << index;
          }
  }
}

TEST(MaxPoolKernel, RejectsUnsupportedType) {
  SingleOpGraph g;
  const int32_t in = g.input<int32_t>(DType::kInt32, {1, 1, 1, 1}, {1});
  g.output(DType::kInt32);
  g.op(OpKind::kMaxPool2D, {in}, pool(Padding::kValid, 1, 1, 1, 1));
  EXPECT_EQ(g.run().status.code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace quantlab
