#include "quantlab/kernels/mean.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

ReducerOptions keep(bool keep_dims) {
  ReducerOptions o;
  o.keep_dims = keep_dims;
  return o;
}

TEST(MeanKernel, FloatByHandWithNegativeAndRepeatedAxes) {
  // [2, 3]: mean over the last axis (given as -1 and 1).
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {2, 3}, {1, 2, 6, -3, 0, 0});
  const int32_t axes = g.constant<int32_t>(DType::kInt32, {2}, {-1, 1});
  g.output(DType::kFloat32);
  g.op(OpKind::kMean, {in, axes}, keep(false));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{2}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{3, -1}));
}

TEST(MeanKernel, OutputShapesWithAndWithoutKeepDims) {
  for (bool keep_dims : {true, false}) {
    SingleOpGraph g;
    const int32_t in = g.input<float>(DType::kFloat32, {1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    const int32_t axes = g.constant<int32_t>(DType::kInt32, {2}, {1, 2});
    g.output(DType::kFloat32);
    g.op(OpKind::kMean, {in, axes}, keep(keep_dims));
    auto run = g.run();
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    EXPECT_EQ(run.output_shape, keep_dims ? (Shape{1, 1, 1, 2}) : (Shape{1, 2}));
    EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{4, 5}));  // (1+3+5+7)/4, (2+4+6+8)/4
  }
}

TEST(MeanKernel, Int8MatchesRealMeanWithinOneStep) {
  std::mt19937 rng(31);
  std::uniform_int_distribution<int> value(-128, 127);
  struct Case {
    Shape shape;
    std::vector<int32_t> axes;
    QuantParams in_q, out_q;
  };
  const std::vector<Case> cases = {
      {{1, 5, 9, 9}, {1, 2}, QuantParams::per_tensor(0.04f, -3), QuantParams::per_tensor(0.02f, 10)},
      {{1, 43, 8}, {1}, QuantParams::per_tensor(0.011f, 20), QuantParams::per_tensor(0.003f, -5)},
      {{1, 3, 4, 9}, {1, 2}, QuantParams::per_tensor(0.0284f, 54), QuantParams::per_tensor(0.0284f, 54)},
      {{2, 6, 7}, {0, 2}, QuantParams::per_tensor(0.1f, 0), QuantParams::per_tensor(0.05f, -1)}};
  int total = 0, exact = 0;
  for (const Case& c : cases) {
    std::vector<int8_t> in(num_elements(c.shape));
    for (auto& v : in) v = static_cast<int8_t>(value(rng));
    SingleOpGraph g;
    const int32_t t = g.input(DType::kInt8, c.shape, in, c.in_q);
    const int32_t axes = g.constant(DType::kInt32, {static_cast<int32_t>(c.axes.size())}, c.axes);
    g.output(DType::kInt8, c.out_q);
    g.op(OpKind::kMean, {t, axes}, keep(false));
    auto run = g.run();
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    const auto out = from_bytes<int8_t>(run.output);
    // Naive reference: sum every input into the output whose kept indices it shares.
    const int rank = static_cast<int>(c.shape.size());
    std::vector<double> sums(out.size(), 0.0);
    int64_t count = 1;
    for (int32_t a : c.axes) count *= c.shape[a];
    for (int64_t i = 0; i < static_cast<int64_t>(in.size()); ++i) {
      int64_t rest = i, o = 0, o_stride = 1;
      for (int d = rank - 1; d >= 0; --d) {
        const int64_t idx = rest % c.shape[d];
        rest /= c.shape[d];
        if (std::find(c.axes.begin(), c.axes.end(), d) != c.axes.end()) continue;
        o += idx * o_stride;
        o_stride *= c.shape[d];
      }
      sums[o] += in[i];
    }
    ASSERT_EQ(static_cast<int64_t>(out.size()), num_elements(run.output_shape));
    for (size_t o = 0; o < out.size(); ++o) {
      const double real = c.in_q.scale[0] * (sums[o] / count - c.in_q.zero_point[0]);
      const double want = std::min(127.0, std::max(-128.0, std::round(real / c.out_q.scale[0]) + c.out_q.zero_point[0]));
      EXPECT_LE(std::abs(out[o] - want), 1) << "output " << o;
      ++total;
      exact += out[o] == want;
    }
  }
  EXPECT_GT(exact, total * 85 / 100);
}

TEST(MeanKernel, RejectsBadAxes) {
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {2, 3}, std::vector<float>(6));
  const int32_t axes = g.constant<int32_t>(DType::kInt32, {1}, {2});
  g.output(DType::kFloat32);
  g.op(OpKind::kMean, {in, axes}, keep(false));
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("axis 2"), std::string::npos) << run.status.message();

  SingleOpGraph dynamic;
  const int32_t x = dynamic.input<float>(DType::kFloat32, {2, 3}, std::vector<float>(6));
  const int32_t a = dynamic.input<int32_t>(DType::kInt32, {1}, {1});
  dynamic.output(DType::kFloat32);
  dynamic.op(OpKind::kMean, {x, a}, keep(false));
  EXPECT_EQ(dynamic.run().status.code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace quantlab
