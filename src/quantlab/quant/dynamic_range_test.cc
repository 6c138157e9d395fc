#include "quantlab/quant/dynamic_range.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quantlab/quant/graph_edit.h"
#include "quantlab/runtime/interpreter.h"

namespace quantlab {
namespace {

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// x [1, 3, 3, 4] -> CONV_2D (filter [64, 2, 2, 4] = 1024 elements, no bias,
// VALID) -> c [1, 2, 2, 64] -> RESHAPE -> r [1, 256] -> FULLY_CONNECTED
// (weights [3, 256] = 768 elements, no bias) -> y [1, 3]
Graph conv_dense() {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 3, 3, 4});
  const int32_t filter = g.add_constant("filter", DType::kFloat32, {64, 2, 2, 4}, to_bytes(random_values(1024, 1)));
  const int32_t c = g.add_activation("c", DType::kFloat32, {1, 2, 2, 64});
  const int32_t shape = g.add_constant("shape", DType::kInt32, {2}, to_bytes(std::vector<int32_t>{1, 256}));
  const int32_t r = g.add_activation("r", DType::kFloat32, {1, 256});
  const int32_t w = g.add_constant("w", DType::kFloat32, {3, 256}, to_bytes(random_values(768, 2)));
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, 3});
  Conv2DOptions conv;
  conv.padding = Padding::kValid;
  g.ops.push_back(Op{OpKind::kConv2D, {x, filter, -1}, {c}, conv});
  g.ops.push_back(Op{OpKind::kReshape, {c, shape}, {r}, ReshapeOptions{}});
  g.ops.push_back(Op{OpKind::kFullyConnected, {r, w, -1}, {y}, FullyConnectedOptions{}});
  g.inputs = {x};
  g.outputs = {y};
  return g;
}

int32_t named(const Graph& g, const std::string& name) {
  for (size_t t = 0; t < g.tensors.size(); ++t)
    if (g.tensors[t].name == name) return static_cast<int32_t>(t);
  ADD_FAILURE() << "no tensor '" << name << "'";
  return 0;
}

const TensorDecision* decision(const QuantizedGraph& q, const std::string& name) {
  for (const TensorDecision& d : q.decisions)
    if (d.tensor == name) return &d;
  return nullptr;
}

TEST(DynamicRange, QuantizesWeightsOfAtLeast1024Elements) {
  auto q = quantize_dynamic_range(conv_dense(), {});
  ASSERT_TRUE(q.ok()) << q.status().message();
  const Graph& g = q->graph;
  const Tensor& filter = g.tensors[named(g, "filter")];
  EXPECT_EQ(filter.dtype, DType::kInt8);  // exactly 1024: not "fewer than 1024"
  EXPECT_EQ(filter.quant.scale.size(), 64u);
  EXPECT_EQ(filter.quant.axis, 0);
  EXPECT_EQ(g.tensors[named(g, "w")].dtype, DType::kFloat32);
  const TensorDecision* w = decision(*q, "w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->kept_float_because, "fewer than 1024 elements");
  EXPECT_EQ(w->elements, 768);
  EXPECT_TRUE(decision(*q, "filter")->quantized());
  // Activations stay float; the FULLY_CONNECTED runs in float, so it is not
  // marked for asymmetric input quantization.
  for (const Tensor& t : g.tensors) {
    if (t.buffer < 0) {
      EXPECT_EQ(t.dtype, DType::kFloat32) << t.name;
    }
  }
  EXPECT_FALSE(g.ops[2].opts<FullyConnectedOptions>().asymmetric_quantize_inputs);
  // Both weighted ops got a float zero bias.
  for (int oi : {0, 2}) {
    ASSERT_EQ(g.ops[oi].inputs.size(), 3u);
    const int32_t b = g.ops[oi].inputs[2];
    ASSERT_GE(b, 0);
    EXPECT_EQ(g.tensors[b].dtype, DType::kFloat32);
    const float* values = g.constant_data<float>(b);
    for (int64_t i = 0; i < num_elements(g.tensors[b].shape); ++i) EXPECT_EQ(values[i], 0.f);
  }
  EXPECT_EQ(g.tensors[g.ops[0].inputs[2]].shape, (Shape{64}));
  EXPECT_EQ(g.tensors[g.ops[2].inputs[2]].shape, (Shape{3}));
}

TEST(DynamicRange, ThresholdAndDenseGranularityAreOptions) {
  DynamicRangeOptions options;
  options.min_elements = 100;
  auto per_tensor = quantize_dynamic_range(conv_dense(), options);
  ASSERT_TRUE(per_tensor.ok()) << per_tensor.status().message();
  const Tensor& w = per_tensor->graph.tensors[named(per_tensor->graph, "w")];
  EXPECT_EQ(w.dtype, DType::kInt8);
  EXPECT_EQ(w.quant.scale.size(), 1u);
  EXPECT_TRUE(per_tensor->graph.ops[2].opts<FullyConnectedOptions>().asymmetric_quantize_inputs);

  options.fc_per_channel = true;
  options.asymmetric_inputs = false;
  auto per_channel = quantize_dynamic_range(conv_dense(), options);
  ASSERT_TRUE(per_channel.ok());
  EXPECT_EQ(per_channel->graph.tensors[named(per_channel->graph, "w")].quant.scale.size(), 3u);
  EXPECT_FALSE(per_channel->graph.ops[2].opts<FullyConnectedOptions>().asymmetric_quantize_inputs);
}

TEST(DynamicRange, DeniedOpKeepsItsFloatWeights) {
  DynamicRangeOptions options;
  options.selective.deny_ops = {OpKind::kConv2D};
  auto q = quantize_dynamic_range(conv_dense(), options);
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->graph.tensors[named(q->graph, "filter")].dtype, DType::kFloat32);
  EXPECT_EQ(decision(*q, "filter")->kept_float_because, "CONV_2D ops are denied");
}

TEST(DynamicRange, BatchMatMulWithConstantRightOperand) {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, 2, 64});
  const int32_t w = g.add_constant("w", DType::kFloat32, {1, 64, 32}, to_bytes(random_values(2048, 3)));
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, 2, 32});
  g.ops.push_back(Op{OpKind::kBatchMatMul, {x, w}, {y}, BatchMatMulOptions{}});
  g.inputs = {x};
  g.outputs = {y};
  auto q = quantize_dynamic_range(g, {});
  ASSERT_TRUE(q.ok()) << q.status().message();
  const Tensor& wq = q->graph.tensors[named(q->graph, "w")];
  EXPECT_EQ(wq.dtype, DType::kInt8);
  EXPECT_EQ(wq.quant.scale.size(), 1u);
  EXPECT_TRUE(q->graph.ops[0].opts<BatchMatMulOptions>().asymmetric_quantize_inputs);
}

// The hybrid kernels run the result, and it stays close to float: each
// output is a sum of 1024 products whose int8 rounding errors mostly cancel.
TEST(DynamicRange, HybridModelRunsCloseToFloat) {
  const Graph f = conv_dense();
  auto q = quantize_dynamic_range(f, {});
  ASSERT_TRUE(q.ok());
  const std::vector<float> input = random_values(36 * 8, 9);  // 8 samples of [1, 3, 3, 4]
  auto run = [&](const Graph& g) {
    auto interp = Interpreter::create(g);
    EXPECT_TRUE(interp.ok()) << interp.status().message();
    auto out = (*interp)->run({BatchView{DType::kFloat32, {8, 3, 3, 4}, input.data()}});
    EXPECT_TRUE(out.ok()) << out.status().message();
    const float* p = reinterpret_cast<const float*>((*out)[0].bytes.data());
    return std::vector<float>(p, p + 24);
  };
  const std::vector<float> reference = run(f), hybrid = run(q->graph);
  double max_reference = 0.0, max_error = 0.0;
  for (size_t i = 0; i < reference.size(); ++i) {
    max_reference = std::max(max_reference, std::fabs(double(reference[i])));
    max_error = std::max(max_error, std::fabs(double(hybrid[i]) - reference[i]));
  }
  EXPECT_GT(max_error, 0.0);  // the weights did change
  EXPECT_LT(max_error, 0.02 * max_reference);
}

TEST(DynamicRange, RefusesNonFloatModels) {
  Graph g = conv_dense();
  g.tensors[g.ops[0].inputs[1]].dtype = DType::kInt8;
  g.buffers[g.tensors[g.ops[0].inputs[1]].buffer].resize(1024);
  g.tensors[g.ops[0].inputs[1]].quant = QuantParams::per_tensor(0.01f, 0);
  auto q = quantize_dynamic_range(g, {});
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("op 0 (CONV_2D) input 1 tensor 1 'filter' is INT8"), std::string::npos)
      << q.status().message();
}

}  // namespace
}  // namespace quantlab
