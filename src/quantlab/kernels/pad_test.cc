#include "quantlab/kernels/pad.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(PadKernel, FloatByHand) {
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {2, 2}, {1, 2, 3, 4});
  const int32_t paddings = g.constant<int32_t>(DType::kInt32, {2, 2}, {1, 0, 0, 2});
  g.output(DType::kFloat32);
  g.op(OpKind::kPad, {in, paddings});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{3, 4}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}));
}

TEST(PadKernel, Int8PadsWithZeroPoint) {
  const QuantParams q = QuantParams::per_tensor(0.1f, -7);
  SingleOpGraph g;
  const int32_t in = g.input<int8_t>(DType::kInt8, {1, 2, 1}, {5, 6}, q);
  const int32_t paddings = g.constant<int64_t>(DType::kInt64, {3, 2}, {0, 0, 1, 1, 0, 1});
  g.output(DType::kInt8, q);
  g.op(OpKind::kPad, {in, paddings});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 4, 2}));
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{-7, -7, 5, -7, 6, -7, -7, -7}));
}

TEST(PadKernel, Rank4MatchesNaiveIndexing) {
  std::mt19937 rng(61);
  const Shape shape = {2, 3, 4, 5};
  const std::vector<int32_t> pads = {1, 0, 0, 2, 3, 1, 2, 2};
  std::vector<int32_t> in(num_elements(shape));
  for (auto& v : in) v = static_cast<int32_t>(rng() % 1000) + 1;
  SingleOpGraph g;
  const int32_t t = g.input(DType::kInt32, shape, in);
  const int32_t paddings = g.constant(DType::kInt32, {4, 2}, pads);
  g.output(DType::kInt32);
  g.op(OpKind::kPad, {t, paddings});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const Shape out_shape = {3, 5, 8, 9};
  ASSERT_EQ(run.output_shape, out_shape);
  const auto out = from_bytes<int32_t>(run.output);
  int64_t o = 0;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 5; ++b)
      for (int c = 0; c < 8; ++c)
        for (int d = 0; d < 9; ++d, ++o) {
          const int ia = a - 1, ib = b, ic = c - 3, id = d - 2;
          const bool inside = ia >= 0 && ia < 2 && ib < 3 && ic >= 0 && ic < 4 && id >= 0 && id < 5;
          const int32_t want = inside ? in[((ia * 3 + ib) * 4 + ic) * 5 + id] : 0;
          ASSERT_EQ(out[o], want) << a << " " << b << " " << c << " " << d;
        }
}

TEST(PadKernel, RejectsNegativeOrMisshapedPaddings) {
  EXPECT_EQ(plan_pad({2, 2}, {0, -1, 0, 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(plan_pad({2, 2}, {0, 1}).status().code(), StatusCode::kInvalidArgument);
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {2}, {1, 2});
  const int32_t paddings = g.input<int32_t>(DType::kInt32, {1, 2}, {1, 1});
  g.output(DType::kFloat32);
  g.op(OpKind::kPad, {in, paddings});
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kUnsupported);  // paddings must be constant
  EXPECT_NE(run.status.message().find("PAD"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
