#include "quantlab/kernels/relu.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(ReluKernel, FloatByHand) {
  SingleOpGraph g;
  const int32_t t = g.input<float>(DType::kFloat32, {1, 4}, {-2, -0.f, 0.5f, 7});
  g.output(DType::kFloat32);
  g.op(OpKind::kRelu, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 4}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{0, 0, 0.5f, 7}));
}

TEST(ReluKernel, Int8SameQuantizationClampsAtZeroPoint) {
  const QuantParams q = QuantParams::per_tensor(0.1f, -5);
  SingleOpGraph g;
  const int32_t t = g.input<int8_t>(DType::kInt8, {4}, {-128, -6, -5, 127}, q);
  g.output(DType::kInt8, q);
  g.op(OpKind::kRelu, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{-5, -5, -5, 127}));
}

TEST(ReluKernel, Int8AndUint8RequantizeThenClamp) {
  std::vector<int8_t> in8;
  std::vector<uint8_t> in_u8;
  for (int q = -128; q <= 127; ++q) {
    in8.push_back(static_cast<int8_t>(q));
    in_u8.push_back(static_cast<uint8_t>(q + 128));
  }
  const float si = 0.05f, so = 0.03f;
  const int zi = 7, zo = -100;
  SingleOpGraph g;
  const int32_t t = g.input(DType::kInt8, {256}, in8, QuantParams::per_tensor(si, zi));
  g.output(DType::kInt8, QuantParams::per_tensor(so, zo));
  g.op(OpKind::kRelu, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  SingleOpGraph gu;
  const int32_t tu = gu.input(DType::kUInt8, {256}, in_u8, QuantParams::per_tensor(si, zi + 128));
  gu.output(DType::kUInt8, QuantParams::per_tensor(so, zo + 128));
  gu.op(OpKind::kRelu, {tu});
  auto run_u = gu.run();
  ASSERT_TRUE(run_u.status.ok()) << run_u.status.message();
  const auto out = from_bytes<int8_t>(run.output);
  const auto out_u = from_bytes<uint8_t>(run_u.output);
  for (int i = 0; i < 256; ++i) {
    const double real = std::max(0.0, double{si} * (in8[i] - zi));
    const double want = std::min(127.0, std::round(real / double{so}) + zo);
    EXPECT_LE(std::abs(out[i] - want), 1) << int{in8[i]};
    EXPECT_EQ(out_u[i], out[i] + 128) << int{in8[i]};
  }
}

TEST(ReluKernel, RejectsMixedTypes) {
  SingleOpGraph g;
  const int32_t t = g.input<float>(DType::kFloat32, {1}, {1});
  g.output(DType::kInt8, QuantParams::per_tensor(0.1f, 0));
  g.op(OpKind::kRelu, {t});
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kUnsupported);
  EXPECT_NE(run.status.message().find("RELU"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
