#include "quantlab/kernels/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(QuantizeKernel, FloatToInt8RoundsHalfAwayAndSaturates) {
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {7}, {0.5f, -0.5f, 1.5f, -2.5f, 0.24f, 1000.f, -1000.f});
  g.output(DType::kInt8, QuantParams::per_tensor(1.f, 3));
  g.op(OpKind::kQuantize, {in});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{4, 2, 5, 0, 3, 127, -128}));
}

TEST(QuantizeKernel, FloatToUint8AndInt16) {
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {3}, {-1.f, 0.f, 0.26f});
  g.output(DType::kUInt8, QuantParams::per_tensor(0.01f, 127));
  g.op(OpKind::kQuantize, {in});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<uint8_t>(run.output), (std::vector<uint8_t>{27, 127, 153}));

  SingleOpGraph g16;
  const int32_t in16 = g16.input<float>(DType::kFloat32, {2}, {1.f, -2.f});
  g16.output(DType::kInt16, QuantParams::per_tensor(1.f / 32768, 0));
  g16.op(OpKind::kQuantize, {in16});
  auto run16 = g16.run();
  ASSERT_TRUE(run16.status.ok()) << run16.status.message();
  EXPECT_EQ(from_bytes<int16_t>(run16.output), (std::vector<int16_t>{32767, -32768}));
}

TEST(QuantizeKernel, Uint8ToInt8WithShiftedZeroPointIsExact) {
  std::vector<uint8_t> in;
  for (int q = 0; q < 256; ++q) in.push_back(static_cast<uint8_t>(q));
  SingleOpGraph g;
  const int32_t t = g.input(DType::kUInt8, {256}, in, QuantParams::per_tensor(0.034668f, 182));
  g.output(DType::kInt8, QuantParams::per_tensor(0.034668f, 54));
  g.op(OpKind::kQuantize, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const auto out = from_bytes<int8_t>(run.output);
  for (int q = 0; q < 256; ++q) EXPECT_EQ(out[q], q - 128) << q;
}

TEST(QuantizeKernel, Int8ToInt8RequantizesWithinOneStep) {
  std::vector<int8_t> in;
  for (int q = -128; q <= 127; ++q) in.push_back(static_cast<int8_t>(q));
  const float si = 0.00552f, so = 0.006043f;
  SingleOpGraph g;
  const int32_t t = g.input(DType::kInt8, {256}, in, QuantParams::per_tensor(si, 2));
  g.output(DType::kInt8, QuantParams::per_tensor(so, 4));
  g.op(OpKind::kQuantize, {t});
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const auto out = from_bytes<int8_t>(run.output);
  int exact = 0;
  for (int i = 0; i < 256; ++i) {
    const double want = std::min(127.0, std::max(-128.0, std::round(double{si} * (in[i] - 2) / double{so}) + 4));
    EXPECT_LE(std::abs(out[i] - want), 1) << int{in[i]};
    exact += out[i] == want;
  }
  EXPECT_GT(exact, 240);
}

TEST(QuantizeKernel, RejectsFloatOutputAndMissingQuantization) {
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {1}, {1.f});
  g.output(DType::kFloat32);
  g.op(OpKind::kQuantize, {in});
  EXPECT_EQ(g.run().status.code(), StatusCode::kUnsupported);

  SingleOpGraph n;
  const int32_t x = n.input<float>(DType::kFloat32, {1}, {1.f});
  n.output(DType::kInt8);
  n.op(OpKind::kQuantize, {x});
  auto run = n.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("QUANTIZE"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
