#include "quantlab/kernels/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

SoftmaxOptions beta(float b) {
  SoftmaxOptions o;
  o.beta = b;
  return o;
}

const QuantParams kProbability = QuantParams::per_tensor(1.f / 256, -128);

TEST(SoftmaxKernel, FloatRowsAlongLastDimension) {
  std::mt19937 rng(41);
  std::uniform_real_distribution<float> value(-5.f, 5.f);
  std::vector<float> in(3 * 7);
  for (auto& v : in) v = value(rng);
  SingleOpGraph g;
  const int32_t t = g.input(DType::kFloat32, {1, 3, 7}, in);
  g.output(DType::kFloat32);
  g.op(OpKind::kSoftmax, {t}, beta(0.5f));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 3, 7}));
  const auto out = from_bytes<float>(run.output);
  for (int r = 0; r < 3; ++r) {
    double sum = 0;
    for (int c = 0; c < 7; ++c) sum += std::exp(0.5 * in[r * 7 + c]);
    for (int c = 0; c < 7; ++c) EXPECT_NEAR(out[r * 7 + c], std::exp(0.5 * in[r * 7 + c]) / sum, 1e-6);
  }
}

TEST(SoftmaxKernel, Int8MatchesRealSoftmaxWithinOneStep) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> value(-128, 127);
  std::vector<int8_t> in(4 * 7);
  for (auto& v : in) v = static_cast<int8_t>(value(rng));
  const float scale = 0.0625f;
  SingleOpGraph g;
  const int32_t t = g.input(DType::kInt8, {1, 4, 7}, in, QuantParams::per_tensor(scale, 9));
  g.output(DType::kInt8, kProbability);
  g.op(OpKind::kSoftmax, {t}, beta(1.f));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const auto out = from_bytes<int8_t>(run.output);
  for (int r = 0; r < 4; ++r) {
    double sum = 0;
    for (int c = 0; c < 7; ++c) sum += std::exp(scale * in[r * 7 + c]);
    for (int c = 0; c < 7; ++c) {
      const double want = std::min(127.0, std::round(256 * std::exp(scale * in[r * 7 + c]) / sum) - 128);
      EXPECT_LE(std::abs(out[r * 7 + c] - want), 1) << r << " " << c;
    }
  }
}

TEST(SoftmaxKernel, RejectsOtherInt8OutputQuantization) {
  SingleOpGraph g;
  const int32_t t = g.input<int8_t>(DType::kInt8, {1, 2}, {1, 2}, QuantParams::per_tensor(0.1f, 0));
  g.output(DType::kInt8, QuantParams::per_tensor(1.f / 255, -128));
  g.op(OpKind::kSoftmax, {t}, beta(1.f));
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kUnsupported);
  EXPECT_NE(run.status.message().find("1/256"), std::string::npos) << run.status.message();
}

TEST(SoftmaxKernel, RejectsNonPositiveBeta) {
  SingleOpGraph g;
  const int32_t t = g.input<float>(DType::kFloat32, {1, 2}, {1, 2});
  g.output(DType::kFloat32);
  g.op(OpKind::kSoftmax, {t}, beta(0.f));
  EXPECT_EQ(g.run().status.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quantlab
