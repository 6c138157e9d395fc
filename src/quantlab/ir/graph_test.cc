#include "quantlab/ir/graph.h"

#include <gtest/gtest.h>

namespace quantlab {
namespace {

// A two-op chain built by hand: input -> RELU -> t1 -> RELU6 -> output.
Graph relu_chain() {
  Graph g;
  g.inputs = {g.add_activation("in", DType::kFloat32, {1, 4})};
  int32_t mid = g.add_activation("mid", DType::kFloat32, {1, 4});
  int32_t out = g.add_activation("out", DType::kFloat32, {1, 4});
  g.outputs = {out};
  // Stored out of order on purpose: topological order must follow the edges.
  g.ops.push_back(Op{OpKind::kRelu6, {mid}, {out}, NoOptions{}});
  g.ops.push_back(Op{OpKind::kRelu, {g.inputs[0]}, {mid}, NoOptions{}});
  return g;
}

TEST(Graph, TopologicalOrderFollowsEdgesNotStorage) {
  Graph g = relu_chain();
  auto order = topological_order(g);
  ASSERT_TRUE(order.ok()) << order.status().message();
  EXPECT_EQ(*order, (std::vector<int32_t>{1, 0}));
  GraphIndex index(g);
  EXPECT_EQ(index.producer[2], 0);
  EXPECT_EQ(index.producer[0], -1);
  ASSERT_EQ(index.consumers[1].size(), 1u);
  EXPECT_EQ(index.consumers[1][0], 0);
}

TEST(Graph, ValidAcceptsChain) { EXPECT_TRUE(validate(relu_chain()).ok()); }

TEST(Graph, RejectsCycle) {
  Graph g = relu_chain();
  g.ops[1].inputs = {2};  // RELU now reads RELU6's output, which reads RELU's output
  Status s = validate(g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cycle"), std::string::npos) << s.message();
}

TEST(Graph, RejectsOutOfRangeIndex) {
  Graph g = relu_chain();
  g.ops[0].inputs = {17};
  Status s = validate(g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("op 0 (RELU6) input 0 is tensor 17"), std::string::npos) << s.message();
}

TEST(Graph, RejectsWrongArity) {
  Graph g = relu_chain();
  g.ops[0].inputs = {1, 1};
  Status s = validate(g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("has 2 inputs; expected 1"), std::string::npos) << s.message();
}

TEST(Graph, RejectsConstantSizeMismatch) {
  Graph g = relu_chain();
  g.add_constant("w", DType::kFloat32, {2, 3}, std::vector<uint8_t>(20));
  Status s = validate(g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("needs 24 bytes but its buffer has 20"), std::string::npos) << s.message();
}

TEST(Graph, RejectsBadScaleAndPerAxisCount) {
  Graph g = relu_chain();
  g.tensors[1].quant = QuantParams::per_tensor(0.0f, 0);
  Status s = validate(g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("must be finite and positive"), std::string::npos) << s.message();

  g.tensors[1].quant.scale = {0.1f, 0.2f, 0.3f};
  g.tensors[1].quant.zero_point = {0, 0, 0};
  g.tensors[1].quant.axis = 1;  // dimension 1 has size 4, not 3
  s = validate(g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("3 per-axis scales for dimension 1 of size 4"), std::string::npos) << s.message();
}

TEST(Graph, RejectsTwoProducers) {
  Graph g = relu_chain();
  g.ops[0].outputs = {1};
  Status s = validate(g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is written by both"), std::string::npos) << s.message();
}

TEST(Graph, OverflowingShapeIsAnError) {
  Graph g = relu_chain();
  g.tensors[1].shape = {1 << 30, 1 << 30, 1 << 30};
  Status s = validate(g);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
}

TEST(OpKind, TableMatchesBuiltinCodes) {
  EXPECT_EQ(op_kind_info(OpKind::kConv2D).builtin_code, 3);
  EXPECT_EQ(op_kind_info(OpKind::kBatchMatMul).builtin_code, 126);
  EXPECT_EQ(op_kind_from_builtin_code(114), OpKind::kQuantize);
  EXPECT_EQ(op_kind_from_name("depthwise_conv_2d"), OpKind::kDepthwiseConv2D);
  EXPECT_FALSE(op_kind_from_builtin_code(44).has_value());  // UNIDIRECTIONAL_SEQUENCE_LSTM stays opaque
}

}  // namespace
}  // namespace quantlab
