// The evaluation harness: task detection, decisions in the real domain, and
// why inputs must be quantized with rounding and saturation.
#include <gtest/gtest.h>

#include <random>

#include "quantlab/eval/evaluate.h"

namespace quantlab {
namespace {

// An int8-input model that only dequantizes: input int8 [1, 2] with scale
// 0.1 and zero point 0, output float [1, 2]. Its argmax is the argmax of the
// quantized input, so it classifies a sample [v, -v] as class 0 exactly when
// the quantized v is positive.
Graph dequantize_model() {
  Graph g;
  g.inputs = {g.add_activation("x", DType::kInt8, {1, 2}, QuantParams::per_tensor(0.1f, 0))};
  g.outputs = {g.add_activation("scores", DType::kFloat32, {1, 2})};
  g.ops.push_back(Op{OpKind::kDequantize, {g.inputs[0]}, {g.outputs[0]}, NoOptions{}});
  return g;
}

// Samples [v, -v] with |v| in [0.2, 20]: labels by construction (class 0 when
// v > 0). Values beyond 12.7 are outside the input's range: rounding and
// saturation keep their sign; a plain cast wraps them around.
Dataset sign_dataset(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> mag(0.2f, 20.0f);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int i = 0; i < n; ++i) {
    const float v = (rng() % 2 ? 1.0f : -1.0f) * mag(rng);
    x.push_back(v);
    x.push_back(-v);
    y.push_back(v > 0 ? 0 : 1);
  }
  Dataset d;
  d.x = Array::from_vector<float>({n, 2}, x);
  d.y = Array::from_vector<int32_t>({n}, y);
  return d;
}

TEST(Evaluate, RoundingAndSaturationBeatPlainCast) {
  const Graph model = dequantize_model();
  const Dataset data = sign_dataset(2000, 3);
  ASSERT_TRUE(validate_dataset(data).ok());
  EvalOptions correct;
  auto good = evaluate(model, data, correct);
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->task, Task::kMulticlass);
  // Every sign survives rounding + saturation, so every sample is right.
  EXPECT_DOUBLE_EQ(good->metric("Accuracy"), 1.0);

  EvalOptions naive;
  naive.input_quantization = InputQuantization::kPlainCast;
  auto bad = evaluate(model, data, naive);
  ASSERT_TRUE(bad.ok()) << bad.status().message();
  // A plain cast wraps |v| * 10 >= 128 around to the other sign: about
  // (20 - 12.8) / 19.8 of the samples flip, so accuracy falls near 0.64.
  EXPECT_LT(bad->metric("Accuracy"), 0.75);
  EXPECT_GT(bad->metric("Accuracy"), 0.5);
}

TEST(Evaluate, MultilabelThresholdsInTheRealDomain) {
  // Output LOGISTIC int8 (scale 1/256, zero point -128): real 0.5 is q = 0.
  Graph g;
  g.inputs = {g.add_activation("x", DType::kFloat32, {1, 3})};
  const int32_t q = g.add_activation("xq", DType::kInt8, {1, 3}, QuantParams::per_tensor(0.05f, 0));
  const int32_t s = g.add_activation("sig", DType::kInt8, {1, 3}, QuantParams::per_tensor(1.0f / 256, -128));
  g.outputs = {g.add_activation("out", DType::kFloat32, {1, 3})};
  g.ops.push_back(Op{OpKind::kQuantize, {g.inputs[0]}, {q}, NoOptions{}});
  g.ops.push_back(Op{OpKind::kLogistic, {q}, {s}, NoOptions{}});
  g.ops.push_back(Op{OpKind::kDequantize, {s}, {g.outputs[0]}, NoOptions{}});
  // Label = (x > 0); logits far from 0 so quantization cannot flip them.
  Dataset d;
  d.x = Array::from_vector<float>({4, 3}, {2, -2, 3, -3, 1, 1, -1, -1, -2, 4, 4, 4});
  d.y = Array::from_vector<uint8_t>({4, 3}, {1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1});
  auto r = evaluate(g, d);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->task, Task::kMultilabel);
  EXPECT_DOUBLE_EQ(r->metric("Binary Accuracy"), 1.0);
  EXPECT_DOUBLE_EQ(r->metric("Hamming Loss"), 0.0);
}

TEST(Evaluate, TaskMismatchIsExplained) {
  Dataset d = sign_dataset(10, 1);
  auto t = resolve_task(Task::kMultilabel, {1, 2}, d);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("multi-hot"), std::string::npos);
  auto b = resolve_task(Task::kBinary, {1, 2}, d);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("single sigmoid output"), std::string::npos);
  Dataset wrong = d;
  wrong.x = Array::from_vector<float>({10, 3}, std::vector<float>(30, 0.f));
  auto r = evaluate(dequantize_model(), wrong);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace quantlab
