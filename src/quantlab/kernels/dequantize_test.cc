#include "quantlab/kernels/dequantize.h"

#include <gtest/gtest.h>

#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(DequantizeKernel, Int8Uint8Int16ByHand) {
  SingleOpGraph g;
  const int32_t in = g.input<int8_t>(DType::kInt8, {3}, {-128, -22, 127}, QuantParams::per_tensor(0.5f, -22));
  g.output(DType::kFloat32);
  g.op(OpKind::kDequantize, {in});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{-53.f, 0.f, 74.5f}));

  SingleOpGraph gu;
  const int32_t inu = gu.input<uint8_t>(DType::kUInt8, {2}, {0, 255}, QuantParams::per_tensor(0.25f, 131));
  gu.output(DType::kFloat32);
  gu.op(OpKind::kDequantize, {inu});
  auto runu = gu.run();
  ASSERT_TRUE(runu.status.ok()) << runu.status.message();
  EXPECT_EQ(from_bytes<float>(runu.output), (std::vector<float>{-32.75f, 31.f}));

  SingleOpGraph g16;
  const int32_t in16 = g16.input<int16_t>(DType::kInt16, {2}, {-32768, 16384}, QuantParams::per_tensor(1.f / 32768, 0));
  g16.output(DType::kFloat32);
  g16.op(OpKind::kDequantize, {in16});
  auto run16 = g16.run();
  ASSERT_TRUE(run16.status.ok()) << run16.status.message();
  EXPECT_EQ(from_bytes<float>(run16.output), (std::vector<float>{-1.f, 0.5f}));
}

TEST(DequantizeKernel, PerChannelConstantWeights) {
  // [2, 3] weights quantized per channel along axis 1.
  QuantParams q;
  q.scale = {1.f, 0.5f, 0.25f};
  q.zero_point = {0, 0, 0};
  q.axis = 1;
  SingleOpGraph g;
  const int32_t w = g.constant<int8_t>(DType::kInt8, {2, 3}, {4, 4, 4, -8, -8, -8}, q);
  g.output(DType::kFloat32);
  g.op(OpKind::kDequantize, {w});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{2, 3}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{4, 2, 1, -8, -4, -2}));
}

TEST(DequantizeKernel, RejectsMissingQuantizationAndOtherTypes) {
  SingleOpGraph g;
  const int32_t in = g.input<int8_t>(DType::kInt8, {1}, {1});
  g.output(DType::kFloat32);
  g.op(OpKind::kDequantize, {in});
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("DEQUANTIZE"), std::string::npos) << run.status.message();

  SingleOpGraph f;
  const int32_t x = f.input<float>(DType::kFloat32, {1}, {1.f});
  f.output(DType::kFloat32);
  f.op(OpKind::kDequantize, {x});
  EXPECT_EQ(f.run().status.code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace quantlab
