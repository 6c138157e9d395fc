#include "quantlab/quant/graph_edit.h"

#include <gtest/gtest.h>

namespace quantlab {
namespace {

TEST(RemoveUnusedTensors, RenumbersTensorsBuffersAndSignatures) {
  Graph g;
  const int32_t unused_constant = g.add_constant("unused", DType::kFloat32, {1}, to_bytes(std::vector<float>{1.f}));
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 2});
  g.add_activation("dangling", DType::kFloat32, {1});
  const int32_t w = g.add_constant("w", DType::kFloat32, {2, 2}, to_bytes(std::vector<float>{1, 2, 3, 4}));
  // A second tensor sharing w's buffer: both stay, the buffer is kept once.
  Tensor alias = g.tensors[w];
  alias.name = "w_alias";
  const int32_t w_alias = g.add_tensor(alias);
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, 2});
  const int32_t z = g.add_activation("z", DType::kFloat32, {1, 2});
  g.ops.push_back(Op{OpKind::kFullyConnected, {x, w, -1}, {y}, FullyConnectedOptions{}});
  g.ops.push_back(Op{OpKind::kFullyConnected, {y, w_alias, -1}, {z}, FullyConnectedOptions{}});
  g.inputs = {x};
  g.outputs = {z};
  g.signatures.push_back(SignatureDef{"s", {{"in", x}}, {{"out", z}}});
  (void)unused_constant;

  remove_unused_tensors(g);
  ASSERT_EQ(g.tensors.size(), 5u);
  EXPECT_EQ(g.tensors[0].name, "x");
  EXPECT_EQ(g.tensors[1].name, "w");
  EXPECT_EQ(g.tensors[2].name, "w_alias");
  ASSERT_EQ(g.buffers.size(), 1u);
  EXPECT_EQ(g.tensors[1].buffer, 0);
  EXPECT_EQ(g.tensors[2].buffer, 0);
  EXPECT_EQ(g.ops[1].inputs, (std::vector<int32_t>{3, 2, -1}));
  EXPECT_EQ(g.outputs, (std::vector<int32_t>{4}));
  EXPECT_EQ(g.signatures[0].outputs[0].second, 4);
  EXPECT_TRUE(validate(g).ok());
}

TEST(MakeTensorNamesUnique, LaterCopiesGetTheirTypeAsSuffix) {
  Graph g;
  g.add_activation("w", DType::kFloat32, {1});
  g.add_activation("w", DType::kInt8, {1});
  g.add_activation("w_int8", DType::kFloat32, {1});
  g.add_activation("w", DType::kInt8, {1});
  make_tensor_names_unique(g);
  EXPECT_EQ(g.tensors[0].name, "w");
  EXPECT_EQ(g.tensors[1].name, "w_int8_1");  // "w_int8" is taken
  EXPECT_EQ(g.tensors[2].name, "w_int8");
  EXPECT_EQ(g.tensors[3].name, "w_int8_2");
}

TEST(AddZeroFloatBiases, GivesWeightedOpsWithoutBiasZeros) {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 5, 5, 2});
  const int32_t filter = g.add_constant("f", DType::kFloat32, {1, 3, 3, 6}, std::vector<uint8_t>(54 * 4, 0));
  const int32_t d = g.add_activation("d", DType::kFloat32, {1, 3, 3, 6});
  const int32_t w = g.add_constant("w", DType::kFloat32, {4, 54}, std::vector<uint8_t>(4 * 54 * 4, 0));
  const int32_t b = g.add_constant("b", DType::kFloat32, {4}, std::vector<uint8_t>(16, 0));
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, 4});
  DepthwiseConv2DOptions dw;
  dw.depth_multiplier = 3;
  dw.padding = Padding::kValid;
  g.ops.push_back(Op{OpKind::kDepthwiseConv2D, {x, filter}, {d}, dw});
  g.ops.push_back(Op{OpKind::kFullyConnected, {d, w, b}, {y}, FullyConnectedOptions{}});
  auto changed = add_zero_float_biases(g);
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(*changed, (std::vector<int32_t>{0}));  // the dense op already had one
  ASSERT_EQ(g.ops[0].inputs.size(), 3u);
  const Tensor& bias = g.tensors[g.ops[0].inputs[2]];
  EXPECT_EQ(bias.name, "d_bias");
  EXPECT_EQ(bias.shape, (Shape{6}));  // depthwise channels are filter dim 3
  EXPECT_EQ(g.ops[1].inputs[2], b);
}

}  // namespace
}  // namespace quantlab
