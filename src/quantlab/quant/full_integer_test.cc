#include "quantlab/quant/full_integer.h"

#include <gtest/gtest.h>

#include "quantlab/ir/graph_compare.h"
#include "quantlab/quant/graph_edit.h"
#include "quantlab/quant/io_type.h"

namespace quantlab {
namespace {

const std::vector<float> kWeights = {0.5f,  -1.f,  0.25f, 2.f,  //
                                     -0.5f, 0.75f, 1.f,   0.f,  //
                                     1.f,   1.f,   -1.f,  -0.25f};

// x [1, 4] -> FULLY_CONNECTED (weights [3, 4], optional bias) -> h [1, 3] -> SOFTMAX -> y
Graph dense_softmax(bool with_bias) {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 4});
  const int32_t w = g.add_constant("w", DType::kFloat32, {3, 4}, to_bytes(kWeights));
  const int32_t b =
      with_bias ? g.add_constant("b", DType::kFloat32, {3}, to_bytes(std::vector<float>{0.1f, -0.25f, 0.3f})) : -1;
  const int32_t h = g.add_activation("h", DType::kFloat32, {1, 3});
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, 3});
  g.ops.push_back(Op{OpKind::kFullyConnected, {x, w, b}, {h}, FullyConnectedOptions{}});
  g.ops.push_back(Op{OpKind::kSoftmax, {h}, {y}, SoftmaxOptions{}});
  g.inputs = {x};
  g.outputs = {y};
  return g;
}

CalibrationTable ranges(std::initializer_list<std::pair<const char*, std::pair<float, float>>> entries) {
  CalibrationTable t;
  for (const auto& [name, r] : entries) t.ranges[name] = TensorRange{r.first, r.second, r.first, r.second};
  return t;
}

const CalibrationTable kDenseRanges = ranges({{"x", {-1.f, 1.f}}, {"h", {0.f, 4.f}}, {"y", {0.f, 1.f}}});

QuantizedGraph quantize_or_fail(const Graph& g, const CalibrationTable& t, const FullIntegerOptions& o = {}) {
  auto q = quantize_full_integer(g, t, o);
  EXPECT_TRUE(q.ok()) << q.status().message();
  return q.ok() ? std::move(q).value() : QuantizedGraph{};
}

std::vector<OpKind> kinds(const Graph& g) {
  std::vector<OpKind> k;
  for (const Op& op : g.ops) k.push_back(op.kind);
  return k;
}

int32_t named(const Graph& g, const std::string& name) {
  for (size_t t = 0; t < g.tensors.size(); ++t)
    if (g.tensors[t].name == name) return static_cast<int32_t>(t);
  ADD_FAILURE() << "no tensor '" << name << "'";
  return 0;
}

template <typename T>
std::vector<T> values(const Graph& g, int32_t t) {
  const T* p = g.constant_data<T>(t);
  return std::vector<T>(p, p + num_elements(g.tensors[t].shape));
}

TEST(FullInteger, DenseWithoutBiasGetsBoundariesAndAZeroBias) {
  const QuantizedGraph q = quantize_or_fail(dense_softmax(false), kDenseRanges);
  const Graph& g = q.graph;
  EXPECT_EQ(kinds(g),
            (std::vector<OpKind>{OpKind::kQuantize, OpKind::kFullyConnected, OpKind::kSoftmax, OpKind::kDequantize}));
  // Model boundaries keep their names and float type; the int8 twins are "_int8".
  EXPECT_EQ(g.tensors[g.inputs[0]].name, "x");
  EXPECT_EQ(g.tensors[g.inputs[0]].dtype, DType::kFloat32);
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "y");
  EXPECT_EQ(g.tensors[g.outputs[0]].dtype, DType::kFloat32);
  // [-1, 1]: scale 2/255, zero point round(-128 + 127.5) = -1.
  EXPECT_EQ(g.tensors[named(g, "x_int8")].quant, QuantParams::per_tensor(2.f / 255.f, -1));
  EXPECT_EQ(g.tensors[named(g, "h")].quant, QuantParams::per_tensor(4.f / 255.f, -128));
  EXPECT_EQ(g.tensors[named(g, "y_int8")].quant, QuantParams::per_tensor(1.f / 256.f, -128));

  const Op& fc = g.ops[1];
  ASSERT_EQ(fc.inputs.size(), 3u);
  const Tensor& w = g.tensors[fc.inputs[1]];
  EXPECT_EQ(w.name, "w");
  EXPECT_EQ(w.dtype, DType::kInt8);
  // Per tensor by default: scale max|w| / 127 = 2 / 127, q = round(w * 63.5).
  EXPECT_EQ(w.quant, QuantParams::per_tensor(2.f / 127.f, 0));
  EXPECT_EQ(values<int8_t>(g, fc.inputs[1]), (std::vector<int8_t>{32, -64, 16, 127, -32, 48, 64, 0, 64, 64, -64, -16}));
  const Tensor& bias = g.tensors[fc.inputs[2]];
  EXPECT_EQ(bias.name, "h_bias");
  EXPECT_EQ(bias.dtype, DType::kInt32);
  EXPECT_EQ(bias.shape, (Shape{3}));
  EXPECT_EQ(bias.quant.zero_point, (std::vector<int64_t>{0}));
  EXPECT_FLOAT_EQ(bias.quant.scale[0], (2.f / 255.f) * (2.f / 127.f));
  EXPECT_EQ(values<int32_t>(g, fc.inputs[2]), (std::vector<int32_t>{0, 0, 0}));
  // The float originals are gone.
  for (const Tensor& t : g.tensors) {
    if (t.buffer >= 0) {
      EXPECT_NE(t.dtype, DType::kFloat32) << t.name;
    }
  }
}

TEST(FullInteger, PerChannelDenseWeightsAndTheirBias) {
  FullIntegerOptions options;
  options.fc_per_channel = true;
  const QuantizedGraph q = quantize_or_fail(dense_softmax(true), kDenseRanges, options);
  const Graph& g = q.graph;
  const Op& fc = g.ops[1];
  const QuantParams& w = g.tensors[fc.inputs[1]].quant;
  ASSERT_EQ(w.scale.size(), 3u);
  EXPECT_EQ(w.axis, 0);
  EXPECT_FLOAT_EQ(w.scale[0], 2.f / 127.f);
  EXPECT_FLOAT_EQ(w.scale[1], 1.f / 127.f);
  EXPECT_FLOAT_EQ(w.scale[2], 1.f / 127.f);
  // Channel 1: -0.5 * 127 = -63.5 -> -64; 0.75 * 127 = 95.25 -> 95.
  EXPECT_EQ(values<int8_t>(g, fc.inputs[1]),
            (std::vector<int8_t>{32, -64, 16, 127, -64, 95, 127, 0, 127, 127, -127, -32}));
  const Tensor& bias = g.tensors[fc.inputs[2]];
  EXPECT_EQ(bias.name, "b");
  ASSERT_EQ(bias.quant.scale.size(), 3u);
  // b / (2/255 * w_scale): 0.1 * 255 * 127 / 4 = 809.625 -> 810;
  // -0.25 * 255 * 127 / 2 = -4048.125 -> -4048; 0.3 * 255 * 127 / 2 = 4857.75 -> 4858.
  EXPECT_EQ(values<int32_t>(g, fc.inputs[2]), (std::vector<int32_t>{810, -4048, 4858}));
}

// x [1, 2] -> RELU -> r;  CONCATENATION(x, r) -> c [1, 4];  RESHAPE(c, [2, 2]) -> y
Graph concat_reshape() {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 2});
  const int32_t r = g.add_activation("r", DType::kFloat32, {1, 2});
  const int32_t c = g.add_activation("c", DType::kFloat32, {1, 4});
  const int32_t shape = g.add_constant("shape", DType::kInt32, {2}, to_bytes(std::vector<int32_t>{2, 2}));
  const int32_t y = g.add_activation("y", DType::kFloat32, {2, 2});
  ConcatenationOptions concat;
  concat.axis = 1;
  g.ops.push_back(Op{OpKind::kRelu, {x}, {r}, NoOptions{}});
  g.ops.push_back(Op{OpKind::kConcatenation, {x, r}, {c}, concat});
  g.ops.push_back(Op{OpKind::kReshape, {c, shape}, {y}, ReshapeOptions{}});
  g.inputs = {x};
  g.outputs = {y};
  return g;
}

TEST(FullInteger, ConcatenationRequantizesInputsThatDifferAndReshapeSharesParams) {
  // y's calibrated range is ignored: RESHAPE only moves values.
  const CalibrationTable t = ranges({{"x", {-1.f, 1.f}}, {"r", {0.f, 1.f}}, {"c", {-1.f, 1.f}}, {"y", {5.f, 6.f}}});
  const Graph g = quantize_or_fail(concat_reshape(), t).graph;
  EXPECT_EQ(kinds(g), (std::vector<OpKind>{OpKind::kQuantize, OpKind::kRelu, OpKind::kQuantize, OpKind::kConcatenation,
                                           OpKind::kReshape, OpKind::kDequantize}));
  const Op& concat = g.ops[3];
  EXPECT_EQ(g.tensors[concat.inputs[0]].name, "x_int8");  // already has c's parameters
  EXPECT_EQ(g.tensors[concat.inputs[1]].name, "r_requantized");
  const QuantParams c_params = QuantParams::per_tensor(2.f / 255.f, -1);
  EXPECT_EQ(g.tensors[concat.inputs[1]].quant, c_params);
  EXPECT_EQ(g.tensors[named(g, "r")].quant, QuantParams::per_tensor(1.f / 255.f, -128));
  EXPECT_EQ(g.tensors[named(g, "y_int8")].quant, c_params);
  const Tensor& shape = g.tensors[g.ops[4].inputs[1]];
  EXPECT_EQ(shape.dtype, DType::kInt32);
  EXPECT_EQ(values<int32_t>(g, g.ops[4].inputs[1]), (std::vector<int32_t>{2, 2}));
}

TEST(FullInteger, ConstantOperandUsesItsOwnRange) {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 2});
  const int32_t k = g.add_constant("k", DType::kFloat32, {1, 2}, to_bytes(std::vector<float>{-2.f, 127.f / 64.f}));
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, 2});
  g.ops.push_back(Op{OpKind::kAdd, {x, k}, {y}, AddOptions{}});
  g.inputs = {x};
  g.outputs = {y};
  const Graph q = quantize_or_fail(g, ranges({{"x", {-1.f, 1.f}}, {"y", {-3.f, 3.f}}})).graph;
  const int32_t kq = named(q, "k");
  EXPECT_EQ(q.tensors[kq].dtype, DType::kInt8);
  // [-2, 127/64] spans 255/64: scale exactly 1/64, zero point 0.
  EXPECT_EQ(q.tensors[kq].quant, QuantParams::per_tensor(1.f / 64.f, 0));
  EXPECT_EQ(values<int8_t>(q, kq), (std::vector<int8_t>{-128, 127}));
}

TEST(FullInteger, BatchMatMulQuantizesAConstantRightOperandAsAWeight) {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 2, 3});
  const int32_t w = g.add_constant("w", DType::kFloat32, {1, 3, 2}, to_bytes(std::vector<float>{1, -2, 0.5f, 0, 0, 1}));
  const int32_t z = g.add_activation("z", DType::kFloat32, {1, 2, 3});
  const int32_t a = g.add_activation("a", DType::kFloat32, {1, 2, 2});
  const int32_t b = g.add_activation("b", DType::kFloat32, {1, 2, 2});
  g.ops.push_back(Op{OpKind::kBatchMatMul, {x, w}, {a}, BatchMatMulOptions{}});
  BatchMatMulOptions transposed;
  transposed.adj_y = true;
  g.ops.push_back(Op{OpKind::kBatchMatMul, {x, z}, {b}, transposed});
  g.inputs = {x, z};
  g.outputs = {a, b};
  const Graph q =
      quantize_or_fail(g, ranges({{"x", {-1.f, 1.f}}, {"z", {0.f, 2.f}}, {"a", {-2.f, 2.f}}, {"b", {-2.f, 2.f}}}))
          .graph;
  const int32_t wq = named(q, "w");
  EXPECT_EQ(q.tensors[wq].quant, QuantParams::per_tensor(2.f / 127.f, 0));          // symmetric, per tensor
  EXPECT_EQ(values<int8_t>(q, wq), (std::vector<int8_t>{64, -127, 32, 0, 0, 64}));  // 0.5 * 63.5 = 31.75 -> 32
  // Two activations: both asymmetric from their ranges.
  EXPECT_EQ(q.tensors[named(q, "z_int8")].quant, QuantParams::per_tensor(2.f / 255.f, -128));
}

// x -> FC(w1) -> a -> RELU -> r -> FC(w2) -> y, for selective quantization.
Graph dense_relu_dense() {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 4});
  const int32_t w1 = g.add_constant("w1", DType::kFloat32, {3, 4}, to_bytes(kWeights));
  const int32_t a = g.add_activation("a", DType::kFloat32, {1, 3});
  const int32_t r = g.add_activation("r", DType::kFloat32, {1, 3});
  const int32_t w2 =
      g.add_constant("w2", DType::kFloat32, {2, 3}, to_bytes(std::vector<float>{1, 0.5f, -1, 0.25f, 1, 1}));
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, 2});
  g.ops.push_back(Op{OpKind::kFullyConnected, {x, w1, -1}, {a}, FullyConnectedOptions{}});
  g.ops.push_back(Op{OpKind::kRelu, {a}, {r}, NoOptions{}});
  g.ops.push_back(Op{OpKind::kFullyConnected, {r, w2, -1}, {y}, FullyConnectedOptions{}});
  g.inputs = {x};
  g.outputs = {y};
  return g;
}
const CalibrationTable kChainRanges =
    ranges({{"x", {-1.f, 1.f}}, {"a", {-3.f, 3.f}}, {"r", {0.f, 3.f}}, {"y", {-4.f, 4.f}}});

TEST(FullInteger, DeniedOpStaysFloatBetweenDequantizeAndQuantize) {
  FullIntegerOptions options;
  options.selective.deny_ops = {OpKind::kRelu};
  const QuantizedGraph q = quantize_or_fail(dense_relu_dense(), kChainRanges, options);
  const Graph& g = q.graph;
  EXPECT_EQ(kinds(g),
            (std::vector<OpKind>{OpKind::kQuantize, OpKind::kFullyConnected, OpKind::kDequantize, OpKind::kRelu,
                                 OpKind::kQuantize, OpKind::kFullyConnected, OpKind::kDequantize}));
  const Op& relu = g.ops[3];
  EXPECT_EQ(g.tensors[relu.inputs[0]].name, "a_float");
  EXPECT_EQ(g.tensors[relu.inputs[0]].dtype, DType::kFloat32);
  EXPECT_EQ(g.tensors[relu.outputs[0]].name, "r");
  EXPECT_EQ(g.tensors[relu.outputs[0]].dtype, DType::kFloat32);
  EXPECT_EQ(g.tensors[g.ops[4].outputs[0]].name, "r_int8");
  EXPECT_EQ(g.tensors[g.ops[4].outputs[0]].quant, QuantParams::per_tensor(3.f / 255.f, -128));
  bool reported = false;
  for (const TensorDecision& d : q.decisions)
    reported |= d.tensor == "r" && d.dtype == DType::kFloat32 && d.kept_float_because == "RELU ops are denied";
  EXPECT_TRUE(reported);
}

TEST(FullInteger, DeniedDenseKeepsItsFloatWeightsAndGetsAFloatZeroBias) {
  FullIntegerOptions options;
  options.selective.deny_nodes = {"y"};
  const Graph g = quantize_or_fail(dense_relu_dense(), kChainRanges, options).graph;
  const Op& last = g.ops.back();
  EXPECT_EQ(last.kind, OpKind::kFullyConnected);
  EXPECT_EQ(g.tensors[last.inputs[1]].dtype, DType::kFloat32);
  ASSERT_EQ(last.inputs.size(), 3u);
  EXPECT_EQ(g.tensors[last.inputs[2]].dtype, DType::kFloat32);
  EXPECT_EQ(values<float>(g, last.inputs[2]), (std::vector<float>{0.f, 0.f}));
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "y");
  // A float-computed output cannot become an int8 output.
  auto int8_io = set_io_type(g, IoType::kInt8);
  ASSERT_FALSE(int8_io.ok());
  EXPECT_NE(int8_io.status().message().find("'y'"), std::string::npos) << int8_io.status().message();
}

TEST(FullInteger, SharedWeightGetsOneNamePerCopy) {
  // A second dense op reads x through the same weight tensor w1.
  Graph g = dense_relu_dense();
  const int32_t x = g.inputs[0];
  const int32_t w1 = g.ops[0].inputs[1];
  const int32_t a2 = g.add_activation("a2", DType::kFloat32, {1, 3});
  g.ops.push_back(Op{OpKind::kFullyConnected, {x, w1, -1}, {a2}, FullyConnectedOptions{}});
  g.outputs.push_back(a2);
  CalibrationTable t = kChainRanges;
  t.ranges["a2"] = TensorRange{-3.f, 3.f, -3.f, 3.f};
  const Graph q = quantize_or_fail(g, t).graph;
  EXPECT_EQ(q.tensors[named(q, "w1")].dtype, DType::kInt8);
  EXPECT_EQ(q.tensors[named(q, "w1_int8")].dtype, DType::kInt8);
  EXPECT_TRUE(validate(q).ok());

  // With one of them float, the float original keeps the name.
  FullIntegerOptions options;
  options.selective.deny_nodes = {"a2"};
  const Graph mixed = quantize_or_fail(g, t, options).graph;
  EXPECT_EQ(mixed.tensors[named(mixed, "w1")].dtype, DType::kFloat32);
  EXPECT_EQ(mixed.tensors[named(mixed, "w1_int8")].dtype, DType::kInt8);
}

TEST(FullInteger, ErrorsNameTheProblem) {
  auto missing = quantize_full_integer(dense_softmax(false), ranges({{"x", {-1.f, 1.f}}}), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no calibrated range for tensor 2 'h'"), std::string::npos)
      << missing.status().message();

  Graph int8_model = dense_softmax(false);
  int8_model.tensors[0].dtype = DType::kInt8;
  int8_model.tensors[0].quant = QuantParams::per_tensor(0.1f, 0);
  auto not_float = quantize_full_integer(int8_model, kDenseRanges, {});
  ASSERT_FALSE(not_float.ok());
  EXPECT_NE(not_float.status().message().find("model input 0 tensor 0 'x' is INT8"), std::string::npos)
      << not_float.status().message();

  Graph with_quantize = dense_softmax(false);
  const int32_t q = with_quantize.add_activation("q", DType::kInt8, {1, 3}, QuantParams::per_tensor(0.1f, 0));
  with_quantize.ops.push_back(Op{OpKind::kQuantize, {with_quantize.outputs[0]}, {q}, NoOptions{}});
  auto already = quantize_full_integer(with_quantize, kDenseRanges, {});
  ASSERT_FALSE(already.ok());
  EXPECT_NE(already.status().message().find("op 2 (QUANTIZE)"), std::string::npos) << already.status().message();

  Graph opaque = dense_softmax(false);
  OpaqueOptions custom;
  custom.name = "MY_CUSTOM_OP";
  custom.custom_code = "MY_CUSTOM_OP";
  opaque.ops[1] = Op{OpKind::kOpaque, opaque.ops[1].inputs, opaque.ops[1].outputs, custom};
  auto no_rule = quantize_full_integer(opaque, kDenseRanges, {});
  ASSERT_FALSE(no_rule.ok());
  EXPECT_EQ(no_rule.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(no_rule.status().message().find("op 1 (MY_CUSTOM_OP) has no quantization rule"), std::string::npos)
      << no_rule.status().message();

  FullIntegerOptions typo;
  typo.selective.deny_nodes = {"hh"};
  auto unknown_node = quantize_full_integer(dense_softmax(false), kDenseRanges, typo);
  ASSERT_FALSE(unknown_node.ok());
  EXPECT_NE(unknown_node.status().message().find("'hh': no op writes"), std::string::npos)
      << unknown_node.status().message();

  Graph dynamic_weights = dense_softmax(false);
  const int32_t w = dynamic_weights.add_activation("w_in", DType::kFloat32, {3, 4});
  dynamic_weights.ops[0].inputs[1] = w;
  dynamic_weights.inputs.push_back(w);
  CalibrationTable t = kDenseRanges;
  t.ranges["w_in"] = TensorRange{-1.f, 1.f, -1.f, 1.f};
  auto not_constant = quantize_full_integer(dynamic_weights, t, {});
  ASSERT_FALSE(not_constant.ok());
  EXPECT_NE(not_constant.status().message().find("are not constant"), std::string::npos)
      << not_constant.status().message();
}

TEST(IoType, Int8RemovesTheBoundaryOpsAndKeepsTheNames) {
  Graph f32 = quantize_or_fail(dense_softmax(true), kDenseRanges).graph;
  f32.signatures.push_back(SignatureDef{"serving_default", {{"in", f32.inputs[0]}}, {{"out", f32.outputs[0]}}});
  auto same = set_io_type(f32, IoType::kFloat32);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(compare_graphs(*same, f32).ok());

  auto i8 = set_io_type(f32, IoType::kInt8);
  ASSERT_TRUE(i8.ok()) << i8.status().message();
  const Graph& g = *i8;
  EXPECT_EQ(kinds(g), (std::vector<OpKind>{OpKind::kFullyConnected, OpKind::kSoftmax}));
  const Tensor& in = g.tensors[g.inputs[0]];
  const Tensor& out = g.tensors[g.outputs[0]];
  EXPECT_EQ(in.name, "x");
  EXPECT_EQ(in.dtype, DType::kInt8);
  EXPECT_EQ(in.quant, QuantParams::per_tensor(2.f / 255.f, -1));
  EXPECT_EQ(out.name, "y");
  EXPECT_EQ(out.dtype, DType::kInt8);
  EXPECT_EQ(out.quant, QuantParams::per_tensor(1.f / 256.f, -128));
  ASSERT_EQ(g.signatures.size(), 1u);
  EXPECT_EQ(g.signatures[0].inputs[0].second, g.inputs[0]);
  EXPECT_EQ(g.signatures[0].outputs[0].second, g.outputs[0]);
}

TEST(IoType, Uint8ShiftsTheBoundaryZeroPointsBy128) {
  const Graph f32 = quantize_or_fail(dense_softmax(true), kDenseRanges).graph;
  auto u8 = set_io_type(f32, IoType::kUInt8);
  ASSERT_TRUE(u8.ok()) << u8.status().message();
  const Graph& g = *u8;
  EXPECT_EQ(kinds(g),
            (std::vector<OpKind>{OpKind::kQuantize, OpKind::kFullyConnected, OpKind::kSoftmax, OpKind::kQuantize}));
  const Tensor& in = g.tensors[g.inputs[0]];
  const Tensor& out = g.tensors[g.outputs[0]];
  EXPECT_EQ(in.name, "x");
  EXPECT_EQ(in.dtype, DType::kUInt8);
  EXPECT_EQ(in.quant, QuantParams::per_tensor(2.f / 255.f, 127));
  EXPECT_EQ(g.tensors[g.ops[0].outputs[0]].dtype, DType::kInt8);
  EXPECT_EQ(out.name, "y");
  EXPECT_EQ(out.dtype, DType::kUInt8);
  EXPECT_EQ(out.quant, QuantParams::per_tensor(1.f / 256.f, 0));
  EXPECT_EQ(g.tensors[g.ops[3].inputs[0]].dtype, DType::kInt8);
}

TEST(IoType, InputReadOnlyByFloatOpsHasNoInt8Parameters) {
  FullIntegerOptions options;
  options.selective.deny_ops = {OpKind::kFullyConnected};
  const Graph f32 = quantize_or_fail(dense_softmax(false), kDenseRanges, options).graph;
  for (IoType type : {IoType::kInt8, IoType::kUInt8}) {
    auto g = set_io_type(f32, type);
    ASSERT_FALSE(g.ok());
    EXPECT_NE(g.status().message().find("model input tensor 0 'x'"), std::string::npos) << g.status().message();
  }
}

}  // namespace
}  // namespace quantlab
