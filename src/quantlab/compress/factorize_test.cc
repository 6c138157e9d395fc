// Low-rank factorization checked on weights of known exact rank: a dense
// layer built as a product of rank-R factors (or of two tensor-train cores
// of rank R) is reproduced exactly by the rank-R rewrite, so the
// interpreter's output of the rewritten graph must equal a naive
// double-precision W x + b (with the fused ReLU) of the original weights.
// Parameter counts are derived by hand.
#include "quantlab/compress/factorize.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "quantlab/runtime/interpreter.h"
#include "quantlab/train/bridge.h"
#include "quantlab/train/trainer.h"

namespace quantlab::compress {
namespace {

std::vector<uint8_t> float_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(float));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// input [1, in] -> FULLY_CONNECTED(W [out, in], b, RELU) -> output [1, out]
Graph dense_graph(int32_t out, int32_t in, const std::vector<float>& w, const std::vector<float>& b) {
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, in});
  const int32_t wt = g.add_constant("dense/w", DType::kFloat32, {out, in}, float_bytes(w));
  const int32_t bt = g.add_constant("dense/b", DType::kFloat32, {out}, float_bytes(b));
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, out});
  Op op;
  op.kind = OpKind::kFullyConnected;
  op.inputs = {x, wt, bt};
  op.outputs = {y};
  FullyConnectedOptions o;
  o.activation = Activation::kRelu;
  op.options = o;
  g.ops = {op};
  g.inputs = {x};
  g.outputs = {y};
  return g;
}

std::vector<float> run_graph(const Graph& g, const std::vector<float>& x, int64_t samples) {
  auto interpreter = Interpreter::create(g);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status().message();
  if (!interpreter.ok()) return {};
  const Shape in_shape = {static_cast<int32_t>(samples), g.tensors[static_cast<size_t>(g.inputs[0])].shape[1]};
  auto out = (*interpreter)->run({BatchView{DType::kFloat32, in_shape, x.data()}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok()) return {};
  std::vector<float> y((*out)[0].bytes.size() / sizeof(float));
  std::memcpy(y.data(), (*out)[0].bytes.data(), (*out)[0].bytes.size());
  return y;
}

// relu(W x + b) in double precision, per sample.
std::vector<double> reference(const std::vector<float>& w, const std::vector<float>& b, const std::vector<float>& x,
                              int32_t out, int32_t in, int64_t samples) {
  std::vector<double> y(static_cast<size_t>(samples * out));
  for (int64_t s = 0; s < samples; ++s)
    for (int32_t o = 0; o < out; ++o) {
      double acc = b[static_cast<size_t>(o)];
      for (int32_t i = 0; i < in; ++i)
        acc += static_cast<double>(w[static_cast<size_t>(o * in + i)]) * x[static_cast<size_t>(s * in + i)];
      y[static_cast<size_t>(s * out + o)] = std::max(acc, 0.0);
    }
  return y;
}

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = normal(rng);
  return v;
}

int count_ops(const Graph& g, OpKind kind) {
  int n = 0;
  for (const Op& op : g.ops) n += op.kind == kind ? 1 : 0;
  return n;
}

TEST(Factorize, BalancedFactors) {
  EXPECT_EQ(balanced_factors(168), (std::array<int32_t, 2>{12, 14}));
  EXPECT_EQ(balanced_factors(1536), (std::array<int32_t, 2>{32, 48}));
  EXPECT_EQ(balanced_factors(64), (std::array<int32_t, 2>{8, 8}));
  EXPECT_EQ(balanced_factors(6), (std::array<int32_t, 2>{2, 3}));
  EXPECT_EQ(balanced_factors(7), (std::array<int32_t, 2>{0, 0}));
  EXPECT_EQ(balanced_factors(2), (std::array<int32_t, 2>{0, 0}));
}

TEST(Factorize, SvdOfAnExactRankTwoLayerReproducesIt) {
  constexpr int32_t kOut = 6, kIn = 10, kRank = 2, kSamples = 5;
  // W = A B with A [6, 2], B [2, 10]: rank 2 exactly.
  const std::vector<float> a = random_values(kOut * kRank, 1), bm = random_values(kRank * kIn, 2);
  std::vector<float> w(kOut * kIn, 0.0f);
  for (int32_t o = 0; o < kOut; ++o)
    for (int32_t i = 0; i < kIn; ++i)
      for (int32_t r = 0; r < kRank; ++r) w[o * kIn + i] += a[o * kRank + r] * bm[r * kIn + i];
  const std::vector<float> bias = random_values(kOut, 3), x = random_values(kSamples * kIn, 4);
  Graph g = dense_graph(kOut, kIn, w, bias);
  FactorizeOptions options;
  options.rank = kRank;
  auto layers = factorize_dense_layers(&g, options);
  ASSERT_TRUE(layers.ok()) << layers.status().message();
  ASSERT_EQ(layers->size(), 1u);
  EXPECT_EQ((*layers)[0].weights_before, 60);
  EXPECT_EQ((*layers)[0].weights_after, 2 * (6 + 10));
  EXPECT_LT((*layers)[0].relative_error, 1e-5);
  EXPECT_EQ(count_ops(g, OpKind::kFullyConnected), 2);
  // Two factors and the bias remain; the original weight is gone.
  EXPECT_EQ(g.parameter_count(), 2 * 10 + 6 * 2 + 6);
  const std::vector<float> y = run_graph(g, x, kSamples);
  const std::vector<double> expected = reference(w, bias, x, kOut, kIn, kSamples);
  ASSERT_EQ(y.size(), expected.size());
  for (size_t k = 0; k < y.size(); ++k) EXPECT_NEAR(y[k], expected[k], 1e-4) << k;
}

TEST(Factorize, TensorTrainChainReproducesAnExactTrainLayer) {
  // in = M1 * M2 = 3 * 4, out = N1 * N2 = 2 * 5, rank 2. W is built from
  // random cores by the definition W[(n2, n1), (m1, m2)] = sum_r
  // G1[m2, n2, r] G2[r, m1, n1].
  constexpr int32_t kM1 = 3, kM2 = 4, kN1 = 2, kN2 = 5, kRank = 2, kSamples = 4;
  constexpr int32_t kIn = kM1 * kM2, kOut = kN1 * kN2;
  const std::vector<float> g1 = random_values(kM2 * kN2 * kRank, 5), g2 = random_values(kRank * kM1 * kN1, 6);
  std::vector<float> w(kOut * kIn, 0.0f);
  for (int32_t n2 = 0; n2 < kN2; ++n2)
    for (int32_t n1 = 0; n1 < kN1; ++n1)
      for (int32_t m1 = 0; m1 < kM1; ++m1)
        for (int32_t m2 = 0; m2 < kM2; ++m2)
          for (int32_t r = 0; r < kRank; ++r)
            w[(n2 * kN1 + n1) * kIn + m1 * kM2 + m2] +=
                g1[(m2 * kN2 + n2) * kRank + r] * g2[(r * kM1 + m1) * kN1 + n1];
  const std::vector<float> bias = random_values(kOut, 7), x = random_values(kSamples * kIn, 8);
  Graph g = dense_graph(kOut, kIn, w, bias);
  FactorizeOptions options;
  options.method = FactorMethod::kTensorTrain;
  options.rank = kRank;
  options.in_factors = {kM1, kM2};
  options.out_factors = {kN1, kN2};
  auto layers = factorize_dense_layers(&g, options);
  ASSERT_TRUE(layers.ok()) << layers.status().message();
  ASSERT_EQ(layers->size(), 1u);
  EXPECT_EQ((*layers)[0].weights_after, kRank * (kM2 * kN2 + kM1 * kN1));
  EXPECT_LT((*layers)[0].relative_error, 1e-5);
  EXPECT_EQ(count_ops(g, OpKind::kBatchMatMul), 2);
  EXPECT_EQ(count_ops(g, OpKind::kTranspose), 1);
  EXPECT_EQ(count_ops(g, OpKind::kReshape), 3);
  EXPECT_EQ(count_ops(g, OpKind::kAdd), 1);
  EXPECT_EQ(count_ops(g, OpKind::kFullyConnected), 0);
  const std::vector<float> y = run_graph(g, x, kSamples);
  const std::vector<double> expected = reference(w, bias, x, kOut, kIn, kSamples);
  ASSERT_EQ(y.size(), expected.size());
  for (size_t k = 0; k < y.size(); ++k) EXPECT_NEAR(y[k], expected[k], 1e-4) << k;

  // The bridge (what fine-tuning trains) computes the same chain.
  train::configure_threads(1);
  auto module = train::GraphModule::create(g);
  ASSERT_TRUE(module.ok()) << module.status().message();
  const torch::Tensor input = torch::tensor(x).reshape({kSamples, 1, kIn});
  auto outputs = (*module)->forward({input});
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  const torch::Tensor bridged = (*outputs)[0].reshape({-1}).contiguous();
  ASSERT_EQ(bridged.numel(), static_cast<int64_t>(expected.size()));
  for (size_t k = 0; k < expected.size(); ++k)
    EXPECT_NEAR(bridged[static_cast<int64_t>(k)].item<double>(), expected[k], 1e-4) << k;
}

TEST(Factorize, RankAboveTheMaximumIsAnErrorAndLeavesTheGraph) {
  Graph g = dense_graph(4, 6, random_values(24, 9), random_values(4, 10));
  const size_t tensors = g.tensors.size();
  FactorizeOptions options;
  options.rank = 5;  // min(4, 6) = 4
  options.ops = {0};
  EXPECT_FALSE(factorize_dense_layers(&g, options).ok());
  options.method = FactorMethod::kTensorTrain;
  options.rank = 5;  // in 2 x 3, out 2 x 2: min(3 * 2, 2 * 2) = 4
  EXPECT_FALSE(factorize_dense_layers(&g, options).ok());
  EXPECT_EQ(g.tensors.size(), tensors);
  EXPECT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(factorized_weight_count(FactorMethod::kTensorTrain, 4, 6, 4), 4 * (3 * 2 + 2 * 2));
  EXPECT_EQ(factorized_weight_count(FactorMethod::kTensorTrain, 7, 6, 1), -1);  // 7 is prime
}

}  // namespace
}  // namespace quantlab::compress
