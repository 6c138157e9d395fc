#include "quantlab/kernels/logistic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(LogisticKernel, FloatMatchesDoubleAcrossItsCutoffs) {
  std::vector<float> in;
  for (float x = -30.f; x <= 30.f; x += 0.37f) in.push_back(x);
  in.push_back(0.f);
  SingleOpGraph g;
  const int32_t t = g.input(DType::kFloat32, {static_cast<int32_t>(in.size())}, in);
  g.output(DType::kFloat32);
  g.op(OpKind::kLogistic, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const auto out = from_bytes<float>(run.output);
  for (size_t i = 0; i < in.size(); ++i) {
    const double want = 1.0 / (1.0 + std::exp(-double{in[i]}));
    EXPECT_NEAR(out[i], want, std::max(1e-6, 1e-5 * want)) << in[i];
  }
  EXPECT_EQ(out.back(), 0.5f);
}

TEST(LogisticKernel, Int8MatchesDoubleWithinOneStep) {
  std::vector<int8_t> in;
  for (int q = -128; q <= 127; ++q) in.push_back(static_cast<int8_t>(q));
  const float scale = 0.0917f;
  const int zp = -11;
  SingleOpGraph g;
  const int32_t t = g.input(DType::kInt8, {1, 256}, in, QuantParams::per_tensor(scale, zp));
  g.output(DType::kInt8, QuantParams::per_tensor(1.f / 256, -128));
  g.op(OpKind::kLogistic, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 256}));
  const auto out = from_bytes<int8_t>(run.output);
  for (int i = 0; i < 256; ++i) {
    const double p = 1.0 / (1.0 + std::exp(-double{scale} * (in[i] - zp)));
    const double want = std::min(127.0, std::round(256 * p) - 128);
    EXPECT_LE(std::abs(out[i] - want), 1) << int{in[i]};
  }
}

TEST(LogisticKernel, RejectsOtherInt8OutputQuantization) {
  SingleOpGraph g;
  const int32_t t = g.input<int8_t>(DType::kInt8, {2}, {1, 2}, QuantParams::per_tensor(0.1f, 0));
  g.output(DType::kInt8, QuantParams::per_tensor(1.f / 256, 0));
  g.op(OpKind::kLogistic, {t});
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kUnsupported);
  EXPECT_NE(run.status.message().find("LOGISTIC"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
