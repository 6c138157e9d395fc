// Pairing a float model's tensors with a quantized variant's: the real
// magic_wand model against each scheme the quantizer writes, against a copy
// whose tensors are all renamed and whose ops are stored in reverse, against
// a selective model with inserted QUANTIZE/DEQUANTIZE ops, and hand-built
// graphs where structure alone is ambiguous.
#include "quantlab/debug/tensor_matching.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>

#include "quantlab/quant/calibration.h"
#include "quantlab/quant/schemes.h"
#include "quantlab/tflite/reader.h"

namespace quantlab {
namespace {

Graph magic_wand() {
  auto g = read_tflite_file(std::string(QL_TESTDATA_DIR) + "/tflite/magic_wand.tflite");
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : Graph{};
}

CalibrationTable magic_wand_ranges(const Graph& g) {
  Array x = Array::zeros(DType::kFloat32, {8, 128, 3, 1});
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = dist(rng);
  auto table = calibrate(g, {x}, CalibrationOptions{});
  EXPECT_TRUE(table.ok()) << table.status().message();
  return table.ok() ? *table : CalibrationTable{};
}

Graph convert(const Graph& g, Scheme scheme, const CalibrationTable& ranges, const ConversionOptions& options = {}) {
  auto q = convert_model(g, scheme, &ranges, options);
  EXPECT_TRUE(q.ok()) << q.status().message();
  return q.ok() ? q->graph : Graph{};
}

// The float op that writes the tensor named `name`.
int32_t producer_named(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.ops.size(); ++i)
    for (int32_t t : g.ops[i].outputs)
      if (g.tensors[t].name == name) return static_cast<int32_t>(i);
  return -1;
}

// Every non-transparent op of magic_wand is matched by structure, to a
// quantized op of the same kind whose output has the same shape.
void expect_complete_match(const Graph& f, const Graph& q, const GraphMatch& m) {
  EXPECT_TRUE(m.unmatched_float_ops.empty());
  ASSERT_EQ(m.ops.size(), 7u);
  for (const MatchedOp& mo : m.ops) {
    EXPECT_EQ(f.ops[mo.float_op].kind, q.ops[mo.quant_op].kind);
    EXPECT_EQ(mo.method, MatchMethod::kStructure);
    ASSERT_EQ(mo.outputs.size(), 1u);
    EXPECT_EQ(f.tensors[mo.outputs[0].float_tensor].shape, q.tensors[mo.outputs[0].quant_tensor].shape);
  }
  // Producers come before consumers in the matched order.
  const GraphIndex fi(f);
  for (size_t i = 0; i < m.ops.size(); ++i)
    for (int32_t t : f.ops[m.ops[i].float_op].inputs) {
      if (t < 0 || fi.producer[t] < 0) continue;
      auto it = std::find_if(m.ops.begin(), m.ops.end(), [&](const MatchedOp& o) { return o.float_op == fi.producer[t]; });
      EXPECT_LT(it - m.ops.begin(), static_cast<long>(i));
    }
}

TEST(DebugTensorMatching, PairsEverySchemeOfMagicWand) {
  const Graph f = magic_wand();
  const CalibrationTable ranges = magic_wand_ranges(f);
  for (Scheme scheme : {Scheme::kFullIntegerFloatIo, Scheme::kFullIntegerInt8Io, Scheme::kFullIntegerUInt8Io,
                        Scheme::kDynamicRange}) {
    SCOPED_TRACE(scheme_name(scheme));
    const Graph q = convert(f, scheme, ranges);
    auto m = match_graphs(f, q);
    ASSERT_TRUE(m.ok()) << m.status().message();
    expect_complete_match(f, q, *m);
    // The ops read the int8 form of the input whatever the boundary type.
    ASSERT_EQ(m->inputs.size(), 1u);
    const DType read = q.tensors[m->inputs[0].quant_tensor].dtype;
    EXPECT_EQ(read, scheme == Scheme::kDynamicRange ? DType::kFloat32 : DType::kInt8);
    // Each layer's twin is the quantized tensor of the same name, except the
    // model output whose name moved to the boundary op.
    for (const MatchedOp& mo : m->ops) {
      const std::string& fname = f.tensors[mo.outputs[0].float_tensor].name;
      const std::string& qname = q.tensors[mo.outputs[0].quant_tensor].name;
      if (fname == "Identity" && scheme != Scheme::kDynamicRange && scheme != Scheme::kFullIntegerInt8Io)
        EXPECT_EQ(qname, "Identity_int8");
      else
        EXPECT_EQ(qname, fname);
    }
  }
}

TEST(DebugTensorMatching, IgnoresNamesAndOpOrder) {
  const Graph f = magic_wand();
  Graph q = convert(f, Scheme::kFullIntegerFloatIo, magic_wand_ranges(f));
  const Graph original = q;
  for (size_t t = 0; t < q.tensors.size(); ++t) q.tensors[t].name = "renamed_" + std::to_string(q.tensors.size() - t);
  std::reverse(q.ops.begin(), q.ops.end());
  auto m = match_graphs(f, q);
  ASSERT_TRUE(m.ok()) << m.status().message();
  expect_complete_match(f, q, *m);
  // Tensor indices did not change, so each twin must be the tensor that
  // carried the float tensor's name before renaming.
  for (const MatchedOp& mo : m->ops) {
    const std::string& fname = f.tensors[mo.outputs[0].float_tensor].name;
    const std::string& before = original.tensors[mo.outputs[0].quant_tensor].name;
    EXPECT_TRUE(before == fname || before == fname + "_int8") << fname << " vs " << before;
  }
}

TEST(DebugTensorMatching, LooksThroughSelectiveBoundaries) {
  const Graph f = magic_wand();
  ConversionOptions options;
  options.full_integer.selective.deny_nodes = {"sequential/dense/Relu"};
  const Graph q = convert(f, Scheme::kFullIntegerFloatIo, magic_wand_ranges(f), options);
  auto m = match_graphs(f, q);
  ASSERT_TRUE(m.ok()) << m.status().message();
  expect_complete_match(f, q, *m);
  const int32_t dense = producer_named(f, "sequential/dense/Relu");
  for (const MatchedOp& mo : m->ops) {
    const DType dtype = q.tensors[mo.outputs[0].quant_tensor].dtype;
    EXPECT_EQ(dtype, mo.float_op == dense ? DType::kFloat32 : DType::kInt8);
  }
  // The DEQUANTIZE feeding the float dense op maps back to the pooled tensor.
  const int32_t pooled = producer_named(f, "sequential/max_pooling2d_1/MaxPool");
  const int32_t pooled_tensor = f.ops[pooled].outputs[0];
  const int32_t float_copy = producer_named(q, "sequential/max_pooling2d_1/MaxPool_float");
  ASSERT_GE(float_copy, 0);
  EXPECT_EQ(q.ops[float_copy].kind, OpKind::kDequantize);
  EXPECT_EQ(m->float_twin[q.ops[float_copy].outputs[0]], pooled_tensor);
}

// x -> RELU -> a, x -> RELU -> b, ADD(a, b): the two RELUs are
// indistinguishable by structure.
Graph twin_branches(bool swap_order, const std::string& a_name, const std::string& b_name) {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 4});
  const int32_t a = g.add_activation(a_name, DType::kFloat32, {1, 4});
  const int32_t b = g.add_activation(b_name, DType::kFloat32, {1, 4});
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, 4});
  Op relu_a{OpKind::kRelu, {x}, {a}, NoOptions{}};
  Op relu_b{OpKind::kRelu, {x}, {b}, NoOptions{}};
  if (swap_order) std::swap(relu_a, relu_b);
  g.ops = {relu_a, relu_b, Op{OpKind::kAdd, {a, b}, {y}, AddOptions{}}};
  g.inputs = {x};
  g.outputs = {y};
  return g;
}

TEST(DebugTensorMatching, NamesSettleStructuralTies) {
  const Graph f = twin_branches(false, "a", "b");
  const Graph q = twin_branches(true, "a", "b");  // same names, ops stored the other way round
  auto m = match_graphs(f, q);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->ops.size(), 3u);
  for (const MatchedOp& mo : m->ops)
    EXPECT_EQ(f.tensors[mo.outputs[0].float_tensor].name, q.tensors[mo.outputs[0].quant_tensor].name);
}

TEST(DebugTensorMatching, NameFallbackForOpsWithoutActivationInputs) {
  // An op that reads only constants has no edge to the inputs: it is found
  // by its output's name.
  auto build = [](const std::string& input_name) {
    Graph g;
    const int32_t x = g.add_activation(input_name, DType::kFloat32, {1, 4});
    const std::vector<float> ones = {1.f, 1.f, 1.f, 1.f};
    std::vector<uint8_t> bytes(16);
    std::memcpy(bytes.data(), ones.data(), 16);
    const int32_t c = g.add_constant("c", DType::kFloat32, {1, 4}, bytes);
    const int32_t r = g.add_activation("relu_of_constant", DType::kFloat32, {1, 4});
    const int32_t y = g.add_activation("y", DType::kFloat32, {1, 4});
    g.ops = {Op{OpKind::kRelu, {c}, {r}, NoOptions{}}, Op{OpKind::kAdd, {x, r}, {y}, AddOptions{}}};
    g.inputs = {x};
    g.outputs = {y};
    return g;
  };
  const Graph f = build("x"), q = build("other_input_name");
  auto m = match_graphs(f, q);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->ops.size(), 2u);
  EXPECT_EQ(m->ops[0].method, MatchMethod::kName);
  EXPECT_EQ(f.ops[m->ops[0].float_op].kind, OpKind::kRelu);
  EXPECT_EQ(m->ops[1].method, MatchMethod::kStructure);
}

TEST(DebugTensorMatching, ReportsWhatCannotBePaired) {
  const Graph f = magic_wand();
  Graph two_inputs = f;
  two_inputs.inputs.push_back(two_inputs.inputs[0]);
  auto m = match_graphs(f, two_inputs);
  EXPECT_FALSE(m.ok());

  // A quantized graph whose first op is a different kind: that op and
  // everything downstream of it is unmatched, not an error.
  Graph changed = f;
  for (Op& op : changed.ops)
    if (op.kind == OpKind::kSoftmax) op.kind = OpKind::kLogistic, op.options = NoOptions{};
  auto partial = match_graphs(f, changed);
  ASSERT_TRUE(partial.ok()) << partial.status().message();
  EXPECT_EQ(partial->ops.size(), 6u);
  ASSERT_EQ(partial->unmatched_float_ops.size(), 1u);
  EXPECT_EQ(f.ops[partial->unmatched_float_ops[0]].kind, OpKind::kSoftmax);
}

}  // namespace
}  // namespace quantlab
