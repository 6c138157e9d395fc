#include "quantlab/kernels/relu6.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(Relu6Kernel, FloatByHand) {
  SingleOpGraph g;
  const int32_t t = g.input<float>(DType::kFloat32, {5}, {-1, 0, 3, 6, 6.5f});
  g.output(DType::kFloat32);
  g.op(OpKind::kRelu6, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{0, 0, 3, 6, 6}));
}

TEST(Relu6Kernel, Int8SameQuantizationClampsToQuantizedSix) {
  // Scale 0.05, zero point -128: six is 120 steps above -128, at -8.
  const QuantParams q = QuantParams::per_tensor(0.05f, -128);
  SingleOpGraph g;
  const int32_t t = g.input<int8_t>(DType::kInt8, {4}, {-128, -9, -8, 127}, q);
  g.output(DType::kInt8, q);
  g.op(OpKind::kRelu6, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{-128, -9, -8, -8}));
}

TEST(Relu6Kernel, Int8WithDifferentOutputScaleRequantizes) {
  // Input covers [-6.4, 6.35]; output scale 6/255 covers [0, 6] exactly.
  const float si = 0.05f, so = 6.f / 255;
  std::vector<int8_t> in;
  for (int q = -128; q <= 127; ++q) in.push_back(static_cast<int8_t>(q));
  SingleOpGraph g;
  const int32_t t = g.input(DType::kInt8, {256}, in, QuantParams::per_tensor(si, 0));
  g.output(DType::kInt8, QuantParams::per_tensor(so, -128));
  g.op(OpKind::kRelu6, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const auto out = from_bytes<int8_t>(run.output);
  for (int i = 0; i < 256; ++i) {
    const double real = std::min(6.0, std::max(0.0, double{si} * in[i]));
    const double want = std::min(127.0, std::round(real / double{so}) - 128);
    EXPECT_LE(std::abs(out[i] - want), 1) << int{in[i]};
  }
  EXPECT_EQ(out[255], 127);  // 6.35 clamps to 6, the top of the output range
  EXPECT_EQ(out[0], -128);
}

}  // namespace
}  // namespace quantlab
