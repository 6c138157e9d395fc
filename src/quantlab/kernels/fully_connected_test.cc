// FULLY_CONNECTED kernel tests: hand-computed cases, random cases against a
// naive double-precision matrix product written here, output shapes for
// keep_num_dims, and prepare-time errors.
#include "quantlab/kernels/fully_connected.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "quantlab/kernels/op_test_runner.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::run_single_op;
using testing::to_bytes;

// Tensor 0 input, 1 weights [out, in], 2 bias (when given), last output.
struct FcGraph {
  Shape input_shape;
  int out = 1, in = 1;
  FullyConnectedOptions options;
  DType input_type = DType::kFloat32, weight_type = DType::kFloat32, bias_type = DType::kFloat32;
  DType output_type = DType::kFloat32;
  QuantParams input_quant, weight_quant, output_quant;
  std::vector<uint8_t> weights, bias;  // bias empty: absent (index -1)

  Graph build() const {
    Graph g;
    g.add_activation("input", input_type, input_shape, input_quant);
    g.add_constant("weights", weight_type, {out, in}, weights, weight_quant);
    int32_t bias_index = -1;
    if (!bias.empty()) bias_index = g.add_constant("bias", bias_type, {out}, bias);
    const int32_t o = g.add_activation("output", output_type, {}, output_quant);
    g.ops.push_back(Op{OpKind::kFullyConnected, {0, 1, bias_index}, {o}, options});
    return g;
  }
};

// out[r][c] = bias[c] + sum_i x[r][i] * w[c][i], in double.
struct Reference {
  std::vector<double> value, magnitude;
};
Reference reference_fc(int rows, int in, int out, const std::vector<double>& x, const std::vector<double>& w,
                       const std::vector<double>& bias) {
  Reference r;
  for (int row = 0; row < rows; ++row)
    for (int c = 0; c < out; ++c) {
      double sum = bias.empty() ? 0.0 : bias[c], mag = std::fabs(sum);
      for (int i = 0; i < in; ++i) {
        const double term = x[row * in + i] * w[c * in + i];
        sum += term;
        mag += std::fabs(term);
      }
      r.value.push_back(sum);
      r.magnitude.push_back(mag);
    }
  return r;
}

double activate(Activation a, double v) {
  if (a == Activation::kRelu) return std::max(0.0, v);
  if (a == Activation::kRelu6) return std::min(6.0, std::max(0.0, v));
  if (a == Activation::kReluN1To1) return std::min(1.0, std::max(-1.0, v));
  return v;
}

TEST(FullyConnectedKernel, FloatFlattensLeadingDimensionsByHand) {
  FcGraph f;
  f.input_shape = {1, 2, 2, 3};  // 12 values: two rows of 6
  f.out = 2, f.in = 6;
  f.weights = to_bytes(std::vector<float>{1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1});
  f.bias = to_bytes(std::vector<float>{0.5f, -21.f});
  std::vector<float> x(12);
  for (int i = 0; i < 12; ++i) x[i] = static_cast<float>(i + 1);
  auto run = run_single_op(f.build(), {{0, to_bytes(x)}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{2, 2}));
  // Row 0 is 1..6: 1 + 6 + 0.5 and 21 - 21; row 1 is 7..12: 7 + 12 + 0.5 and 57 - 21.
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{7.5f, 0.f, 19.5f, 36.f}));
}

TEST(FullyConnectedKernel, OutputShapesFollowKeepNumDims) {
  for (const Shape& input : {Shape{1, 6}, Shape{4, 3}, Shape{2, 2, 3}, Shape{1, 2, 2, 3}}) {
    FcGraph f;
    f.input_shape = input;
    f.out = 5, f.in = 3;
    f.weights = to_bytes(std::vector<float>(15, 1.f));
    const auto x = to_bytes(std::vector<float>(num_elements(input), 1.f));
    auto run = run_single_op(f.build(), {{0, x}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    EXPECT_EQ(run.output_shape, (Shape{static_cast<int32_t>(num_elements(input) / 3), 5}));
    f.options.keep_num_dims = true;
    if (input.back() != 3) continue;  // keep_num_dims needs the depth last
    run = run_single_op(f.build(), {{0, x}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    Shape want = input;
    want.back() = 5;
    EXPECT_EQ(run.output_shape, want);
    EXPECT_EQ(from_bytes<float>(run.output), std::vector<float>(num_elements(want), 3.f));
  }
}

TEST(FullyConnectedKernel, Int8PerTensorByHandInBothRoundings) {
  // Input scale 0.5, zero point -1: q [5, 1] holds real [3, 1]. Weights scale
  // 0.25 and output scale 1 give multiplier 0.125. Unit 0: 6 * -4 + 4 = -20
  // -> -2.5, the tie that double rounding sends to -3 and single rounding to
  // -2; unit 1: 6 + 2 - 2 = 6 -> 0.75 -> 1. Output zero point 3.
  FcGraph f;
  f.input_shape = {1, 2};
  f.out = 2, f.in = 2;
  f.input_type = f.weight_type = f.output_type = DType::kInt8;
  f.bias_type = DType::kInt32;
  f.input_quant = QuantParams::per_tensor(0.5f, -1);
  f.weight_quant = QuantParams::per_tensor(0.25f, 0);
  f.output_quant = QuantParams::per_tensor(1.f, 3);
  f.weights = to_bytes(std::vector<int8_t>{-4, 0, 1, 1});
  f.bias = to_bytes(std::vector<int32_t>{4, -2});
  const std::vector<int8_t> x = {5, 1};
  auto run = run_single_op(f.build(), {{0, to_bytes(x)}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{0, 4}));
  run = run_single_op(f.build(), {{0, to_bytes(x)}}, KernelOptions{Rounding::kSingle, KernelSet::kReference});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{1, 4}));
}

TEST(FullyConnectedKernel, FloatRandomMatchesDoubleReference) {
  std::mt19937 rng(41);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::uniform_int_distribution<int> dim(1, 12);
  int checked = 0;
  for (int trial = 0; trial < 50; ++trial) {
    FcGraph f;
    const int rows = dim(rng);
    f.in = dim(rng) * 3, f.out = dim(rng);
    f.input_shape = trial % 2 ? Shape{rows, f.in} : Shape{1, rows, f.in};
    f.options.keep_num_dims = trial % 4 == 0;
    f.options.activation = static_cast<Activation>(trial % 4);
    std::vector<float> x(rows * f.in), w(f.out * f.in), bias(trial % 3 ? f.out : 0);
    for (std::vector<float>* v : {&x, &w, &bias})
      for (float& e : *v) e = u(rng);
    f.weights = to_bytes(w);
    f.bias = to_bytes(bias);
    auto run = run_single_op(f.build(), {{0, to_bytes(x)}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    const Reference ref = reference_fc(rows, f.in, f.out, {x.begin(), x.end()}, {w.begin(), w.end()},
                                       {bias.begin(), bias.end()});
    const std::vector<float> got = from_bytes<float>(run.output);
    ASSERT_EQ(got.size(), ref.value.size());
    for (size_t i = 0; i < got.size(); ++i, ++checked)
      ASSERT_NEAR(got[i], activate(f.options.activation, ref.value[i]), 1e-6 * ref.magnitude[i] + 1e-7);
  }
  EXPECT_GT(checked, 1000);
}

TEST(FullyConnectedKernel, Int8RandomWithinOneLsbOfDoubleReference) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> q8(-128, 127), w8(-127, 127), zp(-30, 30), b32(-5000, 5000), dim(1, 24);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  int checked = 0, exact = 0;
  for (int trial = 0; trial < 80; ++trial) {
    FcGraph f;
    const int rows = dim(rng);
    f.in = dim(rng), f.out = dim(rng);
    f.input_shape = {rows, f.in};
    f.options.activation = static_cast<Activation>(trial % 4);
    f.input_type = f.weight_type = f.output_type = DType::kInt8;
    f.bias_type = DType::kInt32;
    const float s_in = scale(rng);
    const int32_t zp_in = zp(rng);
    f.input_quant = QuantParams::per_tensor(s_in, zp_in);
    std::vector<float> s_w(trial % 2 ? f.out : 1);
    for (float& v : s_w) v = scale(rng);
    f.weight_quant = s_w.size() > 1 ? testing::per_axis_symmetric(s_w, 0) : QuantParams::per_tensor(s_w[0], 0);
    std::vector<int8_t> x(rows * f.in), w(f.out * f.in);
    for (int8_t& v : x) v = static_cast<int8_t>(q8(rng));
    for (int8_t& v : w) v = static_cast<int8_t>(w8(rng));
    std::vector<int32_t> bias(trial % 3 ? f.out : 0);
    for (int32_t& v : bias) v = b32(rng);
    f.weights = to_bytes(w);
    f.bias = to_bytes(bias);
    auto unit_scale = [&](size_t c) { return static_cast<double>(s_w[s_w.size() > 1 ? c : 0]); };
    std::vector<double> xr, wr, br;
    for (int8_t v : x) xr.push_back(static_cast<double>(s_in) * (v - zp_in));
    for (size_t i = 0; i < w.size(); ++i) wr.push_back(unit_scale(i / f.in) * w[i]);
    for (size_t c = 0; c < bias.size(); ++c) br.push_back(static_cast<double>(s_in) * unit_scale(c) * bias[c]);
    const Reference ref = reference_fc(rows, f.in, f.out, xr, wr, br);
    double lo = 0, hi = 0;
    for (double v : ref.value)
      lo = std::min(lo, activate(f.options.activation, v)), hi = std::max(hi, activate(f.options.activation, v));
    const double s_out = std::max(hi - lo, 1e-3) / 255.0;
    const int32_t zp_out = static_cast<int32_t>(std::round(-128 - lo / s_out));
    f.output_quant = QuantParams::per_tensor(static_cast<float>(s_out), zp_out);
    for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
      auto run = run_single_op(f.build(), {{0, to_bytes(x)}}, KernelOptions{rounding, KernelSet::kReference});
      ASSERT_TRUE(run.status.ok()) << run.status.message();
      const std::vector<int8_t> got = from_bytes<int8_t>(run.output);
      ASSERT_EQ(got.size(), ref.value.size());
      for (size_t i = 0; i < got.size(); ++i, ++checked) {
        const int32_t want =
            testing::reference_int8(activate(f.options.activation, ref.value[i]), static_cast<float>(s_out), zp_out);
        ASSERT_LE(std::abs(got[i] - want), 1) << "trial " << trial << " index " << i;
        exact += got[i] == want;
      }
    }
  }
  EXPECT_GT(checked, 5000);
  EXPECT_GT(exact, checked * 97 / 100);
}

// Rows whose values quantize exactly: symmetric rows with max|x| = 127 * c
// for a power of two c, asymmetric rows spanning exactly 255 steps of 0.25.
// The output then equals the float product with the dequantized weights, and
// the asymmetric rows exercise the zero-point correction (zero points -128 and 0).
TEST(FullyConnectedKernel, HybridExactOnGridInputs) {
  std::mt19937 rng(43);
  for (bool asymmetric : {false, true}) {
    FcGraph f;
    f.input_shape = {1, 2, 16};
    f.out = 5, f.in = 16;
    f.options.keep_num_dims = true;
    f.options.asymmetric_quantize_inputs = asymmetric;
    f.weight_type = DType::kInt8;
    const float s_w = 1.f / 64;
    f.weight_quant = QuantParams::per_tensor(s_w, 0);
    std::vector<int8_t> w(f.out * f.in);
    for (int8_t& v : w) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng));
    f.weights = to_bytes(w);
    const std::vector<float> bias = {0.5f, -1.f, 0.f, 2.f, 0.25f};
    f.bias = to_bytes(bias);
    std::vector<float> x(32);
    if (!asymmetric) {
      for (int i = 0; i < 16; ++i) x[i] = std::uniform_int_distribution<int>(-127, 127)(rng) / 8.f;
      for (int i = 16; i < 32; ++i) x[i] = std::uniform_int_distribution<int>(-127, 127)(rng) / 4.f;
      x[0] = 127 / 8.f, x[16] = -127 / 4.f;
    } else {
      for (int i = 0; i < 16; ++i) x[i] = 0.25f * std::uniform_int_distribution<int>(0, 255)(rng);
      for (int i = 16; i < 32; ++i) x[i] = 0.25f * std::uniform_int_distribution<int>(-128, 127)(rng);
      x[0] = 0.f, x[1] = 63.75f, x[16] = -32.f, x[17] = 31.75f;
    }
    auto run = run_single_op(f.build(), {{0, to_bytes(x)}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    EXPECT_EQ(run.output_shape, (Shape{1, 2, 5}));
    std::vector<double> wr;
    for (int8_t v : w) wr.push_back(static_cast<double>(s_w) * v);
    const Reference ref = reference_fc(2, f.in, f.out, {x.begin(), x.end()}, wr, {bias.begin(), bias.end()});
    const std::vector<float> got = from_bytes<float>(run.output);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], static_cast<float>(ref.value[i])) << i;
  }
}

// On arbitrary rows the only error is the input quantization: half a step per
// value for symmetric rows, at most one step for asymmetric ones (the nudged
// zero point adds up to half a step), weighted by |w|.
TEST(FullyConnectedKernel, HybridRandomWithinInputQuantizationError) {
  std::mt19937 rng(44);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::uniform_int_distribution<int> dim(1, 20);
  int checked = 0;
  for (int trial = 0; trial < 60; ++trial) {
    FcGraph f;
    const int rows = dim(rng);
    f.in = dim(rng), f.out = dim(rng);
    f.input_shape = {rows, f.in};
    f.options.asymmetric_quantize_inputs = trial % 2 == 1;
    f.options.activation = static_cast<Activation>(trial % 4);
    f.weight_type = DType::kInt8;
    std::vector<float> s_w(trial % 3 ? 1 : f.out);
    for (float& v : s_w) v = 0.01f * (1.5f + u(rng));
    f.weight_quant = s_w.size() > 1 ? testing::per_axis_symmetric(s_w, 0) : QuantParams::per_tensor(s_w[0], 0);
    std::vector<int8_t> w(f.out * f.in);
    for (int8_t& v : w) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng));
    std::vector<float> x(rows * f.in), bias(trial % 4 ? f.out : 0);
    for (float& v : x) v = 2.f * u(rng) + (trial % 5) * 0.3f;
    for (float& v : bias) v = u(rng);
    f.weights = to_bytes(w);
    f.bias = to_bytes(bias);
    auto run = run_single_op(f.build(), {{0, to_bytes(x)}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    std::vector<double> wr;
    for (size_t i = 0; i < w.size(); ++i) wr.push_back(static_cast<double>(s_w[s_w.size() > 1 ? i / f.in : 0]) * w[i]);
    const Reference ref = reference_fc(rows, f.in, f.out, {x.begin(), x.end()}, wr, {bias.begin(), bias.end()});
    const std::vector<float> got = from_bytes<float>(run.output);
    for (int r = 0; r < rows; ++r) {
      const auto [lo, hi] = std::minmax_element(x.begin() + r * f.in, x.begin() + (r + 1) * f.in);
      const double step = f.options.asymmetric_quantize_inputs
                              ? (std::max(0.f, *hi) - std::min(0.f, *lo)) / 255.0
                              : 0.5 * std::max(std::fabs(*lo), std::fabs(*hi)) / 127.0;
      for (int c = 0; c < f.out; ++c, ++checked) {
        double weight_mass = 0;
        for (int i = 0; i < f.in; ++i) weight_mass += std::fabs(wr[c * f.in + i]);
        const size_t k = r * f.out + c;
        ASSERT_NEAR(got[k], activate(f.options.activation, ref.value[k]),
                    step * weight_mass + 1e-5 * ref.magnitude[k] + 1e-6)
            << trial;
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(FullyConnectedKernel, PrepareRejectsBadGraphs) {
  FcGraph f;
  f.input_shape = {2, 6};
  f.out = 3, f.in = 4;
  f.weights = to_bytes(std::vector<float>(12, 1.f));
  const auto x = to_bytes(std::vector<float>(12, 1.f));
  {
    FcGraph bad = f;
    bad.input_shape = {2, 5};  // 10 values do not split into rows of 4
    auto run = run_single_op(bad.build(), {{0, to_bytes(std::vector<float>(10, 1.f))}});
    EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(run.status.message().find("FULLY_CONNECTED"), std::string::npos) << run.status.message();
    EXPECT_NE(run.status.message().find("rows of 4"), std::string::npos) << run.status.message();
  }
  {
    FcGraph bad = f;
    bad.options.keep_num_dims = true;  // last dimension 6, depth 4
    auto run = run_single_op(bad.build(), {{0, x}});
    EXPECT_NE(run.status.message().find("keep_num_dims"), std::string::npos) << run.status.message();
  }
  {
    Graph g = f.build();
    g.tensors[1].shape = {3, 2, 2};
    auto run = run_single_op(g, {{0, x}});
    EXPECT_NE(run.status.message().find("2-D"), std::string::npos) << run.status.message();
  }
  {
    FcGraph bad = f;
    bad.output_type = DType::kInt8;  // float input and weights, int8 output
    bad.output_quant = QuantParams::per_tensor(0.1f, 0);
    EXPECT_EQ(run_single_op(bad.build(), {{0, x}}).status.code(), StatusCode::kUnsupported);
  }
  {
    FcGraph bad = f;  // int8 weights per channel along the input dimension
    bad.input_type = bad.weight_type = bad.output_type = DType::kInt8;
    bad.input_quant = bad.output_quant = QuantParams::per_tensor(0.1f, 0);
    bad.weights = std::vector<uint8_t>(12, 1);
    bad.weight_quant = testing::per_axis_symmetric({0.1f, 0.1f, 0.1f, 0.1f}, 1);
    auto run = run_single_op(bad.build(), {{0, std::vector<uint8_t>(12)}});
    EXPECT_NE(run.status.message().find("on dimension 1"), std::string::npos) << run.status.message();
    bad.weight_quant = QuantParams::per_tensor(0.1f, 0);
    bad.input_quant = QuantParams::per_tensor(0.f, 0);
    run = run_single_op(bad.build(), {{0, std::vector<uint8_t>(12)}});
    EXPECT_NE(run.status.message().find("input scale"), std::string::npos) << run.status.message();
  }
  {
    // int32 accumulators: 70000 terms of up to 128 * 255 could overflow, and
    // so could a bias near 2^31 on top of even a short sum.
    FcGraph deep;
    deep.input_type = deep.weight_type = deep.output_type = DType::kInt8;
    deep.input_quant = deep.output_quant = deep.weight_quant = QuantParams::per_tensor(0.1f, 0);
    deep.out = 1, deep.in = 70000;
    deep.input_shape = {1, 70000};
    deep.weights = std::vector<uint8_t>(70000, 1);
    auto run = run_single_op(deep.build(), {{0, std::vector<uint8_t>(70000)}});
    EXPECT_NE(run.status.message().find("depth 70000"), std::string::npos) << run.status.message();
    deep.in = 4, deep.input_shape = {1, 4};
    deep.weights = std::vector<uint8_t>(4, 1);
    deep.bias_type = DType::kInt32;
    deep.bias = to_bytes(std::vector<int32_t>{2147483000});
    run = run_single_op(deep.build(), {{0, std::vector<uint8_t>(4)}});
    EXPECT_NE(run.status.message().find("overflow"), std::string::npos) << run.status.message();
    deep.bias = to_bytes(std::vector<int32_t>{-1000000});
    EXPECT_TRUE(run_single_op(deep.build(), {{0, std::vector<uint8_t>(4)}}).status.ok());
  }
}

}  // namespace
}  // namespace quantlab
