// DEPTHWISE_CONV_2D kernel tests: hand-computed cases, random cases against a
// naive double-precision depthwise convolution written here, prepare errors.
#include "quantlab/kernels/depthwise_conv_2d.h"

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

struct DwSpec {
  int batches = 1, in_h = 1, in_w = 1, in_c = 1, multiplier = 1, filter_h = 1, filter_w = 1;
  DepthwiseConv2DOptions options;
  int out_c() const { return in_c * multiplier; }
};

// TFLite's window definitions: SAME keeps ceil(in / stride) outputs with the
// odd padding element at the end; VALID keeps windows fully inside.
int out_size(Padding p, int in, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  return p == Padding::kSame ? (in + stride - 1) / stride : (in - effective) / stride + 1;
}
int pad_before(Padding p, int in, int out, int filter, int stride, int dilation) {
  if (p == Padding::kValid) return 0;
  const int effective = (filter - 1) * dilation + 1;
  return std::max(0, (out - 1) * stride + effective - in) / 2;
}

struct Reference {
  Shape shape;
  std::vector<double> value;      // before the activation
  std::vector<double> magnitude;  // sum of |terms|
};

// Output channel oc = ic * multiplier + m reads input channel ic and filter
// column oc of the [1, h, w, out_c] filter. `bias` may be empty.
Reference reference_depthwise(const DwSpec& s, const std::vector<double>& x, const std::vector<double>& w,
                              const std::vector<double>& bias) {
  const DepthwiseConv2DOptions& o = s.options;
  const int oh = out_size(o.padding, s.in_h, s.filter_h, o.stride_h, o.dilation_h);
  const int ow = out_size(o.padding, s.in_w, s.filter_w, o.stride_w, o.dilation_w);
  const int pt = pad_before(o.padding, s.in_h, oh, s.filter_h, o.stride_h, o.dilation_h);
  const int pl = pad_before(o.padding, s.in_w, ow, s.filter_w, o.stride_w, o.dilation_w);
  Reference r;
  r.shape = {s.batches, oh, ow, s.out_c()};
  for (int b = 0; b < s.batches; ++b)
    for (int y = 0; y < oh; ++y)
      for (int xo = 0; xo < ow; ++xo)
        for (int oc = 0; oc < s.out_c(); ++oc) {
          const int ic = oc / s.multiplier;
          double sum = bias.empty() ? 0.0 : bias[oc], mag = std::fabs(sum);
          for (int fy = 0; fy < s.filter_h; ++fy)
            for (int fx = 0; fx < s.filter_w; ++fx) {
              const int iy = y * o.stride_h - pt + fy * o.dilation_h, ix = xo * o.stride_w - pl + fx * o.dilation_w;
              if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) continue;
              const double term =
                  x[((b * s.in_h + iy) * s.in_w + ix) * s.in_c + ic] * w[(fy * s.filter_w + fx) * s.out_c() + oc];
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

// Tensor 0 input, 1 weights, 2 bias (when given), last output.
struct DwGraph {
  DwSpec spec;
  DType input_type = DType::kFloat32, weight_type = DType::kFloat32, bias_type = DType::kFloat32;
  DType output_type = DType::kFloat32;
  QuantParams input_quant, weight_quant, output_quant;
  std::vector<uint8_t> weights, bias;  // bias empty: absent (index -1)

  Graph build() const {
    Graph g;
    const DwSpec& s = spec;
    g.add_activation("input", input_type, {s.batches, s.in_h, s.in_w, s.in_c}, input_quant);
    g.add_constant("weights", weight_type, {1, s.filter_h, s.filter_w, s.out_c()}, weights, weight_quant);
    int32_t bias_index = -1;
    if (!bias.empty()) bias_index = g.add_constant("bias", bias_type, {s.out_c()}, bias);
    const int32_t out = g.add_activation("output", output_type, {}, output_quant);
    g.ops.push_back(Op{OpKind::kDepthwiseConv2D, {0, 1, bias_index}, {out}, s.options});
    return g;
  }
};

TEST(DepthwiseConv2DKernel, FloatMultiplierTwoByHand) {
  DwGraph d;
  d.spec = {1, 2, 2, 2, 2, 2, 2, {}};
  d.spec.options.padding = Padding::kValid;
  d.spec.options.depth_multiplier = 2;
  // Per tap (0,0), (0,1), (1,0), (1,1): columns are output channels 0..3.
  d.weights = to_bytes(std::vector<float>{1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, -1, 1, 0});
  d.bias = to_bytes(std::vector<float>{0.5f, 0.f, 0.f, -20.f});
  // Channel 0 holds 1..4, channel 1 holds 10..40.
  const std::vector<float> x = {1, 10, 2, 20, 3, 30, 4, 40};
  auto run = run_single_op(d.build(), {{0, to_bytes(x)}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 1, 1, 4}));
  // oc0 = sum(ch0) + 0.5, oc1 = 1 - 4, oc2 = sum(ch1), oc3 = 20 - 20.
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{10.5f, -3.f, 100.f, 0.f}));
}

TEST(DepthwiseConv2DKernel, Int8PerChannelByHandInBothRoundings) {
  // Input scale 0.5, zero point -1: q [5, 1] is real [3, 1]. Channel 0:
  // 6 * -4 + 4 = -20 at multiplier 0.5 * 0.25 = 0.125 -> -2.5, a tie that
  // double rounding sends to -3 and single rounding to -2. Channel 1:
  // 2 * 3 - 2 = 4 at 0.0625 -> 0.25 -> 0. Output zero point 3.
  DwGraph d;
  d.spec = {1, 1, 1, 2, 1, 1, 1, {}};
  d.input_type = d.weight_type = d.output_type = DType::kInt8;
  d.bias_type = DType::kInt32;
  d.input_quant = QuantParams::per_tensor(0.5f, -1);
  d.weight_quant = testing::per_axis_symmetric({0.25f, 0.125f}, 3);
  d.output_quant = QuantParams::per_tensor(1.f, 3);
  d.weights = to_bytes(std::vector<int8_t>{-4, 3});
  d.bias = to_bytes(std::vector<int32_t>{4, -2});
  const std::vector<int8_t> x = {5, 1};
  auto run = run_single_op(d.build(), {{0, to_bytes(x)}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{0, 3}));
  run = run_single_op(d.build(), {{0, to_bytes(x)}}, KernelOptions{Rounding::kSingle, KernelSet::kReference});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{1, 3}));
}

DwSpec random_spec(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  DwSpec s;
  s.batches = pick(1, 2);
  s.in_h = pick(1, 9), s.in_w = pick(1, 9), s.in_c = pick(1, 5), s.multiplier = pick(1, 3);
  s.filter_h = pick(1, 4), s.filter_w = pick(1, 4);
  s.options.depth_multiplier = pick(0, 1) ? s.multiplier : 0;  // 0: taken from the shapes
  s.options.stride_h = pick(1, 3), s.options.stride_w = pick(1, 3);
  s.options.dilation_h = pick(1, 2), s.options.dilation_w = pick(1, 2);
  s.options.padding = pick(0, 1) ? Padding::kSame : Padding::kValid;
  s.options.activation = static_cast<Activation>(pick(0, 3));
  if (s.options.padding == Padding::kValid) {
    s.in_h = std::max(s.in_h, (s.filter_h - 1) * s.options.dilation_h + 1);
    s.in_w = std::max(s.in_w, (s.filter_w - 1) * s.options.dilation_w + 1);
  }
  return s;
}

TEST(DepthwiseConv2DKernel, FloatRandomMatchesDoubleReference) {
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  int checked = 0;
  for (int trial = 0; trial < 60; ++trial) {
    DwGraph d;
    d.spec = random_spec(rng);
    const DwSpec& s = d.spec;
    std::vector<float> x(s.batches * s.in_h * s.in_w * s.in_c), w(s.filter_h * s.filter_w * s.out_c()),
        bias(trial % 3 == 0 ? 0 : s.out_c());
    for (std::vector<float>* v : {&x, &w, &bias})
      for (float& e : *v) e = u(rng);
    d.weights = to_bytes(w);
    d.bias = to_bytes(bias);
    auto run = run_single_op(d.build(), {{0, to_bytes(x)}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    const Reference ref =
        reference_depthwise(s, {x.begin(), x.end()}, {w.begin(), w.end()}, {bias.begin(), bias.end()});
    ASSERT_EQ(run.output_shape, ref.shape);
    const std::vector<float> got = from_bytes<float>(run.output);
    for (size_t i = 0; i < got.size(); ++i, ++checked)
      ASSERT_NEAR(got[i], activate(s.options.activation, ref.value[i]), 1e-6 * ref.magnitude[i] + 1e-7) << trial;
  }
  EXPECT_GT(checked, 1000);
}

TEST(DepthwiseConv2DKernel, Int8RandomWithinOneLsbOfDoubleReference) {
  std::mt19937 rng(32);
  std::uniform_int_distribution<int> q8(-128, 127), w8(-127, 127), zp(-20, 20), b32(-3000, 3000);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  int checked = 0, exact = 0;
  for (int trial = 0; trial < 80; ++trial) {
    DwGraph d;
    d.spec = random_spec(rng);
    const DwSpec& s = d.spec;
    d.input_type = d.weight_type = d.output_type = DType::kInt8;
    d.bias_type = DType::kInt32;
    const float s_in = scale(rng);
    const int32_t zp_in = zp(rng);
    d.input_quant = QuantParams::per_tensor(s_in, zp_in);
    std::vector<float> s_w(trial % 2 == 0 ? s.out_c() : 1);
    for (float& v : s_w) v = scale(rng);
    d.weight_quant = s_w.size() > 1 ? testing::per_axis_symmetric(s_w, 3) : QuantParams::per_tensor(s_w[0], 0);
    std::vector<int8_t> x(s.batches * s.in_h * s.in_w * s.in_c), w(s.filter_h * s.filter_w * s.out_c());
    for (int8_t& v : x) v = static_cast<int8_t>(q8(rng));
    for (int8_t& v : w) v = static_cast<int8_t>(w8(rng));
    std::vector<int32_t> bias(trial % 3 == 0 ? 0 : s.out_c());
    for (int32_t& v : bias) v = b32(rng);
    d.weights = to_bytes(w);
    d.bias = to_bytes(bias);
    auto channel_scale = [&](size_t oc) { return static_cast<double>(s_w[s_w.size() > 1 ? oc : 0]); };
    std::vector<double> xr, wr, br;
    for (int8_t v : x) xr.push_back(static_cast<double>(s_in) * (v - zp_in));
    for (size_t i = 0; i < w.size(); ++i) wr.push_back(channel_scale(i % s.out_c()) * w[i]);
    for (size_t oc = 0; oc < bias.size(); ++oc) br.push_back(static_cast<double>(s_in) * channel_scale(oc) * bias[oc]);
    const Reference ref = reference_depthwise(s, xr, wr, br);
    double lo = 0, hi = 0;
    for (double v : ref.value)
      lo = std::min(lo, activate(s.options.activation, v)), hi = std::max(hi, activate(s.options.activation, v));
    const double s_out = std::max(hi - lo, 1e-3) / 255.0;
    const int32_t zp_out = static_cast<int32_t>(std::round(-128 - lo / s_out));
    d.output_quant = QuantParams::per_tensor(static_cast<float>(s_out), zp_out);
    for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
      auto run = run_single_op(d.build(), {{0, to_bytes(x)}}, KernelOptions{rounding, KernelSet::kReference});
      ASSERT_TRUE(run.status.ok()) << run.status.message();
      ASSERT_EQ(run.output_shape, ref.shape);
      const std::vector<int8_t> got = from_bytes<int8_t>(run.output);
      for (size_t i = 0; i < got.size(); ++i, ++checked) {
        const int32_t want =
            testing::reference_int8(activate(s.options.activation, ref.value[i]), static_cast<float>(s_out), zp_out);
        ASSERT_LE(std::abs(got[i] - want), 1) << "trial " << trial << " index " << i;
        exact += got[i] == want;
      }
    }
  }
  EXPECT_GT(checked, 2000);
  EXPECT_GT(exact, checked * 97 / 100);
}

// Inputs on a 0.25 grid spanning exactly 255 steps quantize without error,
// so the output is the float depthwise convolution with dequantized weights.
// Batch 0 spans [0, 63.75] (zero point -128), batch 1 [-32, 31.75] (zero point 0).
TEST(DepthwiseConv2DKernel, HybridExactOnGridInputs) {
  std::mt19937 rng(33);
  DwGraph d;
  d.spec = {2, 6, 5, 2, 2, 3, 3, {}};
  d.spec.options.depth_multiplier = 2;
  d.spec.options.padding = Padding::kSame;
  d.spec.options.stride_w = 2;
  d.spec.options.activation = Activation::kRelu;
  d.weight_type = DType::kInt8;
  const std::vector<float> s_w = {1.f / 64, 1.f / 128, 1.f / 32, 1.f / 256};
  d.weight_quant = testing::per_axis_symmetric(s_w, 3);
  const DwSpec& s = d.spec;
  std::vector<int8_t> w(s.filter_h * s.filter_w * s.out_c());
  for (int8_t& v : w) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng));
  d.weights = to_bytes(w);
  const int per_batch = s.in_h * s.in_w * s.in_c;
  std::vector<float> x(2 * per_batch);
  for (int i = 0; i < per_batch; ++i) {
    x[i] = 0.25f * std::uniform_int_distribution<int>(0, 255)(rng);
    x[per_batch + i] = 0.25f * std::uniform_int_distribution<int>(-128, 127)(rng);
  }
  x[0] = 0.f, x[1] = 63.75f, x[per_batch] = -32.f, x[per_batch + 1] = 31.75f;
  auto run = run_single_op(d.build(), {{0, to_bytes(x)}});  // no bias
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  std::vector<double> wr;
  for (size_t i = 0; i < w.size(); ++i) wr.push_back(static_cast<double>(s_w[i % s.out_c()]) * w[i]);
  const Reference ref = reference_depthwise(s, {x.begin(), x.end()}, wr, {});
  ASSERT_EQ(run.output_shape, ref.shape);
  const std::vector<float> got = from_bytes<float>(run.output);
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_FLOAT_EQ(got[i], static_cast<float>(std::max(0.0, ref.value[i]))) << i;
}

TEST(DepthwiseConv2DKernel, HybridRandomWithinInputQuantizationError) {
  std::mt19937 rng(34);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  int checked = 0;
  for (int trial = 0; trial < 40; ++trial) {
    DwGraph d;
    d.spec = random_spec(rng);
    const DwSpec& s = d.spec;
    d.weight_type = DType::kInt8;
    std::vector<float> s_w(s.out_c());
    for (float& v : s_w) v = 0.01f * (1 + u(rng) * u(rng));
    d.weight_quant = testing::per_axis_symmetric(s_w, 3);
    std::vector<int8_t> w(s.filter_h * s.filter_w * s.out_c());
    for (int8_t& v : w) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng));
    std::vector<float> x(s.batches * s.in_h * s.in_w * s.in_c), bias(trial % 2 ? s.out_c() : 0);
    for (float& v : x) v = 2.f * u(rng) - 0.7f;
    for (float& v : bias) v = u(rng);
    d.weights = to_bytes(w);
    d.bias = to_bytes(bias);
    auto run = run_single_op(d.build(), {{0, to_bytes(x)}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    std::vector<double> wr, wabs;
    for (size_t i = 0; i < w.size(); ++i) wr.push_back(static_cast<double>(s_w[i % s.out_c()]) * w[i]);
    for (double v : wr) wabs.push_back(std::fabs(v));
    const Reference ref = reference_depthwise(s, {x.begin(), x.end()}, wr, {bias.begin(), bias.end()});
    const Reference mass = reference_depthwise(s, std::vector<double>(x.size(), 1.0), wabs, {});
    const int per_batch = s.in_h * s.in_w * s.in_c;
    const std::vector<float> got = from_bytes<float>(run.output);
    const int per_out_batch = static_cast<int>(got.size()) / s.batches;
    for (size_t i = 0; i < got.size(); ++i, ++checked) {
      const int b = static_cast<int>(i) / per_out_batch;
      const auto [lo, hi] = std::minmax_element(x.begin() + b * per_batch, x.begin() + (b + 1) * per_batch);
      const double step = (std::max(0.f, *hi) - std::min(0.f, *lo)) / 255.0;
      ASSERT_NEAR(got[i], activate(s.options.activation, ref.value[i]),
                  step * mass.value[i] + 1e-5 * ref.magnitude[i] + 1e-6)
          << trial;
    }
  }
  EXPECT_GT(checked, 500);
}

TEST(DepthwiseConv2DKernel, PrepareRejectsBadGraphs) {
  DwGraph d;
  d.spec = {1, 4, 4, 2, 2, 3, 3, {}};
  d.spec.options.depth_multiplier = 2;
  d.weights = to_bytes(std::vector<float>(3 * 3 * 4, 1.f));
  const auto input = to_bytes(std::vector<float>(32, 1.f));
  {
    DwGraph bad = d;
    bad.spec.options.depth_multiplier = 3;  // the filter says 2
    auto run = run_single_op(bad.build(), {{0, input}});
    EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(run.status.message().find("DEPTHWISE_CONV_2D"), std::string::npos) << run.status.message();
    EXPECT_NE(run.status.message().find("depth_multiplier option 3"), std::string::npos) << run.status.message();
  }
  {
    Graph g = d.build();
    g.tensors[1].shape = {1, 3, 4, 3};  // 3 channels over 2 inputs
    auto run = run_single_op(g, {{0, input}});
    EXPECT_NE(run.status.message().find("not a multiple"), std::string::npos) << run.status.message();
  }
  {
    // int8 weights quantized per channel on dimension 0 instead of 3.
    DwGraph q = d;
    q.input_type = q.weight_type = q.output_type = DType::kInt8;
    q.input_quant = QuantParams::per_tensor(0.1f, 0);
    q.output_quant = QuantParams::per_tensor(0.1f, 0);
    q.weights = std::vector<uint8_t>(36, 1);
    q.weight_quant = testing::per_axis_symmetric({0.1f, 0.1f, 0.1f, 0.1f}, 0);
    auto run = run_single_op(q.build(), {{0, std::vector<uint8_t>(32)}});
    EXPECT_NE(run.status.message().find("dimension 3"), std::string::npos) << run.status.message();
  }
  {
    DwGraph t = d;
    t.spec.options.activation = Activation::kSignBit;
    EXPECT_EQ(run_single_op(t.build(), {{0, input}}).status.code(), StatusCode::kUnsupported);
  }
}

}  // namespace
}  // namespace quantlab
