#include "quantlab/kernels/concatenation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

ConcatenationOptions axis(int a) {
  ConcatenationOptions o;
  o.axis = a;
  return o;
}

TEST(ConcatenationKernel, FloatLastAxisByHand) {
  SingleOpGraph g;
  const int32_t a = g.input<float>(DType::kFloat32, {2, 1}, {1, 2});
  const int32_t b = g.constant<float>(DType::kFloat32, {2, 2}, {3, 4, 5, 6});
  g.output(DType::kFloat32);
  g.op(OpKind::kConcatenation, {a, b}, axis(-1));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{2, 3}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{1, 3, 4, 2, 5, 6}));
}

TEST(ConcatenationKernel, Int32MiddleAxisThreeInputs) {
  SingleOpGraph g;
  const int32_t a = g.input<int32_t>(DType::kInt32, {2, 1, 2}, {1, 2, 3, 4});
  const int32_t b = g.input<int32_t>(DType::kInt32, {2, 2, 2}, {5, 6, 7, 8, 9, 10, 11, 12});
  const int32_t c = g.input<int32_t>(DType::kInt32, {2, 1, 2}, {13, 14, 15, 16});
  g.output(DType::kInt32);
  g.op(OpKind::kConcatenation, {a, b, c}, axis(1));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{2, 4, 2}));
  EXPECT_EQ(from_bytes<int32_t>(run.output),
            (std::vector<int32_t>{1, 2, 5, 6, 7, 8, 13, 14, 3, 4, 9, 10, 11, 12, 15, 16}));
}

TEST(ConcatenationKernel, Int8RequantizesInputsWithOtherQuantization) {
  std::vector<int8_t> va, vb;
  for (int q = -128; q <= 127; ++q) {
    va.push_back(static_cast<int8_t>(q));
    vb.push_back(static_cast<int8_t>(127 - (q + 128)));
  }
  const QuantParams qa = QuantParams::per_tensor(0.02f, 0);   // same as the output: copied
  const QuantParams qb = QuantParams::per_tensor(0.035f, 9);  // rescaled
  SingleOpGraph g;
  const int32_t a = g.input(DType::kInt8, {256, 1}, va, qa);
  const int32_t b = g.input(DType::kInt8, {256, 1}, vb, qb);
  g.output(DType::kInt8, qa);
  g.op(OpKind::kConcatenation, {a, b}, axis(1));
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  const auto out = from_bytes<int8_t>(run.output);
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(out[2 * i], va[i]);
    const double want = std::min(127.0, std::max(-128.0, std::round(double{0.035f} * (vb[i] - 9) / double{0.02f})));
    EXPECT_LE(std::abs(out[2 * i + 1] - want), 1) << int{vb[i]};
  }
}

TEST(ConcatenationKernel, RejectsMismatchedShapes) {
  SingleOpGraph g;
  const int32_t a = g.input<float>(DType::kFloat32, {2, 2}, {1, 2, 3, 4});
  const int32_t b = g.input<float>(DType::kFloat32, {3, 2}, {1, 2, 3, 4, 5, 6});
  g.output(DType::kFloat32);
  g.op(OpKind::kConcatenation, {a, b}, axis(1));
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("CONCATENATION"), std::string::npos) << run.status.message();
  EXPECT_NE(run.status.message().find("input 1"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
