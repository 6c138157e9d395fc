#include "quantlab/kernels/mul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(MulKernel, FloatBroadcastsAndClampsByHand) {
  SingleOpGraph g;
  const int32_t a = g.input<float>(DType::kFloat32, {2, 2}, {1, -2, 3, -4});
  const int32_t b = g.constant<float>(DType::kFloat32, {2, 1}, {2, -1});
  g.output(DType::kFloat32);
  MulOptions options;
  options.activation = Activation::kRelu;
  g.op(OpKind::kMul, {a, b}, options);
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{2, 2}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{2, 0, 0, 4}));
}

TEST(MulKernel, Int8ByHand) {
  // (10 - 2) * 0.5 * (7 + 3) * 0.25 = 10 = (40 - 0) * 0.25; (-2 - 2) * 0.5 * (1 + 3) * 0.25 = -2 = -8 * 0.25.
  SingleOpGraph g;
  const int32_t a = g.input<int8_t>(DType::kInt8, {2}, {10, -2}, QuantParams::per_tensor(0.5f, 2));
  const int32_t b = g.input<int8_t>(DType::kInt8, {2}, {7, 1}, QuantParams::per_tensor(0.25f, -3));
  g.output(DType::kInt8, QuantParams::per_tensor(0.25f, 0));
  g.op(OpKind::kMul, {a, b}, MulOptions{});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{40, -8}));
}

TEST(MulKernel, Int8MatchesRealProductWithinOneStep) {
  std::mt19937 rng(12);
  std::uniform_int_distribution<int> value(-128, 127);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{1, 16, 1, 5}, {1, 16, 1, 5}}, {{1, 38, 1, 1}, {1, 1, 1, 1}}, {{1, 8, 5}, {}}, {{1, 32, 1, 5}, {1, 1, 1, 5}}};
  int total = 0, exact = 0;
  for (const auto& [shape_a, shape_b] : shapes) {
    std::vector<int8_t> va(num_elements(shape_a)), vb(num_elements(shape_b));
    for (auto& v : va) v = static_cast<int8_t>(value(rng));
    for (auto& v : vb) v = static_cast<int8_t>(value(rng));
    SingleOpGraph g;
    const int32_t a = g.input(DType::kInt8, shape_a, va, QuantParams::per_tensor(0.021f, 5));
    const int32_t b = g.input(DType::kInt8, shape_b, vb, QuantParams::per_tensor(0.013f, -9));
    g.output(DType::kInt8, QuantParams::per_tensor(0.07f, 3));
    g.op(OpKind::kMul, {a, b}, MulOptions{});
    auto run = g.run();
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    auto plan = plan_broadcast(shape_a, shape_b);
    ASSERT_TRUE(plan.ok());
    const auto out = from_bytes<int8_t>(run.output);
    for_each_broadcast(*plan, [&](int64_t o, int64_t ia, int64_t ib) {
      const double real = double{0.021f} * (va[ia] - 5) * double{0.013f} * (vb[ib] + 9);
      const double want = std::min(127.0, std::max(-128.0, std::round(real / double{0.07f}) + 3));
      EXPECT_LE(std::abs(out[o] - want), 1) << "element " << o;
      ++total;
      exact += out[o] == want;
    });
  }
  EXPECT_GT(exact, total * 97 / 100);
}

TEST(MulKernel, RejectsMixedTypes) {
  SingleOpGraph g;
  const int32_t a = g.input<float>(DType::kFloat32, {2}, {1, 2});
  const int32_t b = g.input<int8_t>(DType::kInt8, {2}, {1, 2}, QuantParams::per_tensor(0.1f, 0));
  g.output(DType::kFloat32);
  g.op(OpKind::kMul, {a, b}, MulOptions{});
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kUnsupported);
  EXPECT_NE(run.status.message().find("MUL"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
