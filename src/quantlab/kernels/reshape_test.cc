#include "quantlab/kernels/reshape.h"

#include <gtest/gtest.h>

#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(ReshapeKernel, ResolvesOneInferredDimension) {
  auto s = resolve_reshape({1, 14, 1, 6}, {1, -1});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (Shape{1, 84}));
  auto scalar = resolve_reshape({1, 1}, {});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(*scalar, Shape{});
}

TEST(ReshapeKernel, RejectsImpossibleShapes) {
  EXPECT_EQ(resolve_reshape({2, 3}, {-1, -1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resolve_reshape({2, 3}, {4, -1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resolve_reshape({2, 3}, {5}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resolve_reshape({2, 3}, {-2, -3}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ReshapeKernel, ShapeTensorWinsOverOptions) {
  SingleOpGraph g;
  const int32_t in = g.input<int16_t>(DType::kInt16, {1, 8, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  const int32_t shape = g.constant<int32_t>(DType::kInt32, {4}, {1, 2, -1, 2});
  g.output(DType::kInt16);
  ReshapeOptions options;
  options.has_new_shape = true;
  options.new_shape = {16};
  g.op(OpKind::kReshape, {in, shape}, options);
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 2, 4, 2}));
  EXPECT_EQ(from_bytes<int16_t>(run.output)[13], 13);
}

TEST(ReshapeKernel, UsesOptionsWithoutShapeTensor) {
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6});
  g.output(DType::kFloat32);
  ReshapeOptions options;
  options.has_new_shape = true;
  options.new_shape = {3, -1};
  g.op(OpKind::kReshape, {in}, options);
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{3, 2}));
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(ReshapeKernel, ErrorNamesTheOp) {
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {2, 3}, std::vector<float>(6));
  const int32_t shape = g.constant<int32_t>(DType::kInt32, {1}, {7});
  g.output(DType::kFloat32);
  g.op(OpKind::kReshape, {in, shape}, ReshapeOptions{});
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("RESHAPE"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
