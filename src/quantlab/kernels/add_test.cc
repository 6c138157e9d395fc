#include "quantlab/kernels/add.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(AddKernel, FloatBroadcastsARowByHand) {
  SingleOpGraph g;
  const int32_t a = g.input<float>(DType::kFloat32, {1, 2, 3}, {1, 2, 3, 4, 5, 6});
  const int32_t b = g.constant<float>(DType::kFloat32, {3}, {10, 20, 30});
  g.output(DType::kFloat32);
  g.op(OpKind::kAdd, {a, b}, AddOptions{});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 2, 3}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{11, 22, 33, 14, 25, 36}));
}

TEST(AddKernel, FloatFusedRelu6Clamps) {
  SingleOpGraph g;
  const int32_t a = g.input<float>(DType::kFloat32, {4}, {-3, 1, 5, 9});
  const int32_t b = g.input<float>(DType::kFloat32, {}, {0.5f});
  g.output(DType::kFloat32);
  AddOptions options;
  options.activation = Activation::kRelu6;
  g.op(OpKind::kAdd, {a, b}, options);
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{0, 1.5f, 5.5f, 6}));
}

// int8 ADD against the sum computed in double and rounded once; the fixed-
// point path may differ by one step near ties.
TEST(AddKernel, Int8MatchesRealSumWithinOneStep) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> value(-128, 127);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{1, 8, 9, 1}, {1, 8, 9, 1}}, {{1, 48, 1, 3}, {1, 1, 1, 3}}, {{1, 8, 1}, {}}, {{1, 7, 5, 6}, {6}}};
  int total = 0, exact = 0;
  for (const auto& [shape_a, shape_b] : shapes) {
    for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kRelu6}) {
      const QuantParams qa = QuantParams::per_tensor(0.031f, -7), qb = QuantParams::per_tensor(0.017f, 12),
                        qo = QuantParams::per_tensor(0.043f, -20);
      std::vector<int8_t> va(num_elements(shape_a)), vb(num_elements(shape_b));
      for (auto& v : va) v = static_cast<int8_t>(value(rng));
      for (auto& v : vb) v = static_cast<int8_t>(value(rng));
      SingleOpGraph g;
      const int32_t a = g.input(DType::kInt8, shape_a, va, qa);
      const int32_t b = g.constant(DType::kInt8, shape_b, vb, qb);
      g.output(DType::kInt8, qo);
      AddOptions options;
      options.activation = act;
      g.op(OpKind::kAdd, {a, b}, options);
      auto run = g.run();
      ASSERT_TRUE(run.status.ok()) << run.status.message();
      auto plan = plan_broadcast(shape_a, shape_b);
      ASSERT_TRUE(plan.ok());
      ASSERT_EQ(run.output_shape, plan->output_shape);
      const auto out = from_bytes<int8_t>(run.output);
      const double lower = act == Activation::kNone ? -128 : -20;
      const double upper = act == Activation::kRelu6 ? std::round(6.0 / 0.043) - 20 : 127;
      for_each_broadcast(*plan, [&](int64_t o, int64_t ia, int64_t ib) {
        const double real = 0.031 * (va[ia] + 7) + 0.017 * (vb[ib] - 12);
        const double want = std::min(upper, std::max(lower, std::round(real / double{0.043f}) - 20));
        EXPECT_LE(std::abs(out[o] - want), 1) << "element " << o;
        ++total;
        exact += out[o] == want;
      });
    }
  }
  EXPECT_GT(exact, total * 97 / 100);
}

TEST(AddKernel, RejectsShapesThatDoNotBroadcast) {
  SingleOpGraph g;
  const int32_t a = g.input<float>(DType::kFloat32, {2, 3}, std::vector<float>(6));
  const int32_t b = g.input<float>(DType::kFloat32, {2}, std::vector<float>(2));
  g.output(DType::kFloat32);
  g.op(OpKind::kAdd, {a, b}, AddOptions{});
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("ADD"), std::string::npos) << run.status.message();
}

TEST(AddKernel, RejectsUnsupportedTypesAndActivations) {
  SingleOpGraph g;
  const int32_t a = g.input<int16_t>(DType::kInt16, {2}, {1, 2});
  const int32_t b = g.input<int16_t>(DType::kInt16, {2}, {1, 2});
  g.output(DType::kInt16);
  g.op(OpKind::kAdd, {a, b}, AddOptions{});
  EXPECT_EQ(g.run().status.code(), StatusCode::kUnsupported);

  SingleOpGraph t;
  const int32_t x = t.input<float>(DType::kFloat32, {2}, {1, 2});
  t.output(DType::kFloat32);
  AddOptions tanh;
  tanh.activation = Activation::kTanh;
  t.op(OpKind::kAdd, {x, x}, tanh);
  auto run = t.run();
  EXPECT_EQ(run.status.code(), StatusCode::kUnsupported);
  EXPECT_NE(run.status.message().find("TANH"), std::string::npos) << run.status.message();
}

TEST(AddKernel, RejectsInt8WithoutQuantization) {
  SingleOpGraph g;
  const int32_t a = g.input<int8_t>(DType::kInt8, {2}, {1, 2});
  g.output(DType::kInt8, QuantParams::per_tensor(0.1f, 0));
  g.op(OpKind::kAdd, {a, a}, AddOptions{});
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("per-tensor"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
