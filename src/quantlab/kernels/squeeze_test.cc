#include "quantlab/kernels/squeeze.h"

#include <gtest/gtest.h>

#include <vector>

#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;

TEST(SqueezeKernel, ShapeRules) {
  EXPECT_EQ(*squeeze_shape({1, 39, 1, 1}, {}), (Shape{39}));
  EXPECT_EQ(*squeeze_shape({1, 39, 1, 1}, {2}), (Shape{1, 39, 1}));
  EXPECT_EQ(*squeeze_shape({1, 46, 1}, {-1}), (Shape{1, 46}));
  EXPECT_EQ(*squeeze_shape({1, 46, 1}, {0, -1, 2}), (Shape{46}));
  EXPECT_EQ(squeeze_shape({1, 46, 1}, {1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(squeeze_shape({1, 46, 1}, {3}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SqueezeKernel, CopiesDataUnchanged) {
  SingleOpGraph g;
  const int32_t in = g.input<int8_t>(DType::kInt8, {1, 3, 1}, {-1, 0, 1}, QuantParams::per_tensor(0.1f, 2));
  g.output(DType::kInt8, QuantParams::per_tensor(0.1f, 2));
  SqueezeOptions options;
  options.squeeze_dims = {-1};
  g.op(OpKind::kSqueeze, {in}, options);
  auto run = g.run();
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 3}));
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{-1, 0, 1}));
}

TEST(SqueezeKernel, ErrorNamesOpAndDimension) {
  SingleOpGraph g;
  const int32_t in = g.input<float>(DType::kFloat32, {1, 3}, {1, 2, 3});
  g.output(DType::kFloat32);
  SqueezeOptions options;
  options.squeeze_dims = {1};
  g.op(OpKind::kSqueeze, {in}, options);
  auto run = g.run();
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(run.status.message().find("SQUEEZE"), std::string::npos) << run.status.message();
  EXPECT_NE(run.status.message().find("size 3"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
