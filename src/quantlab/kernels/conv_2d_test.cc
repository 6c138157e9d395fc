// CONV_2D kernel tests: hand-computed cases, random cases against a naive
// double-precision convolution written here, and prepare-time errors.
#include "quantlab/kernels/conv_2d.h"

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

struct ConvSpec {
  int batches = 1, in_h = 1, in_w = 1, in_c = 1, out_c = 1, filter_h = 1, filter_w = 1;
  Conv2DOptions options;
};

// Output length and leading padding, derived from TFLite's definitions:
// SAME keeps ceil(in / stride) outputs and splits the padding evenly with the
// odd element at the end; VALID keeps only windows fully inside the input.
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
  std::vector<double> magnitude;  // sum of |terms|, for float tolerances
};

// Naive NHWC x OHWI convolution in double; `bias` may be empty.
Reference reference_conv(const ConvSpec& s, const std::vector<double>& x, const std::vector<double>& w,
                         const std::vector<double>& bias) {
  const Conv2DOptions& o = s.options;
  const int oh = out_size(o.padding, s.in_h, s.filter_h, o.stride_h, o.dilation_h);
  const int ow = out_size(o.padding, s.in_w, s.filter_w, o.stride_w, o.dilation_w);
  const int pt = pad_before(o.padding, s.in_h, oh, s.filter_h, o.stride_h, o.dilation_h);
  const int pl = pad_before(o.padding, s.in_w, ow, s.filter_w, o.stride_w, o.dilation_w);
  Reference r;
  r.shape = {s.batches, oh, ow, s.out_c};
  for (int b = 0; b < s.batches; ++b)
    for (int y = 0; y < oh; ++y)
      for (int xo = 0; xo < ow; ++xo)
        for (int oc = 0; oc < s.out_c; ++oc) {
          double sum = bias.empty() ? 0.0 : bias[oc], mag = std::fabs(sum);
          for (int fy = 0; fy < s.filter_h; ++fy)
            for (int fx = 0; fx < s.filter_w; ++fx) {
              const int iy = y * o.stride_h - pt + fy * o.dilation_h, ix = xo * o.stride_w - pl + fx * o.dilation_w;
              if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) continue;
              for (int c = 0; c < s.in_c; ++c) {
                const double term = x[((b * s.in_h + iy) * s.in_w + ix) * s.in_c + c] *
                                    w[((oc * s.filter_h + fy) * s.filter_w + fx) * s.in_c + c];
                sum += term;
                mag += std::fabs(term);
              }
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

// A one-op graph: tensor 0 input, 1 weights, 2 bias (when given), last output.
struct ConvGraph {
  ConvSpec spec;
  DType input_type = DType::kFloat32, weight_type = DType::kFloat32, bias_type = DType::kFloat32;
  DType output_type = DType::kFloat32;
  QuantParams input_quant, weight_quant, output_quant;
  std::vector<uint8_t> weights, bias;  // bias empty: absent (index -1)
  bool weights_constant = true;

  Graph build() const {
    Graph g;
    const ConvSpec& s = spec;
    g.add_activation("input", input_type, {s.batches, s.in_h, s.in_w, s.in_c}, input_quant);
    const Shape wshape = {s.out_c, s.filter_h, s.filter_w, s.in_c};
    if (weights_constant) g.add_constant("weights", weight_type, wshape, weights, weight_quant);
    else g.add_activation("weights", weight_type, wshape, weight_quant);
    int32_t bias_index = -1;
    if (!bias.empty()) bias_index = g.add_constant("bias", bias_type, {s.out_c}, bias);
    const int32_t out = g.add_activation("output", output_type, {}, output_quant);
    g.ops.push_back(Op{OpKind::kConv2D, {0, 1, bias_index}, {out}, s.options});
    return g;
  }
};

TEST(Conv2DKernel, FloatSameStrideOneByHand) {
  ConvGraph c;
  c.spec = {1, 3, 3, 1, 2, 3, 3, {}};
  c.spec.options.padding = Padding::kSame;
  c.spec.options.activation = Activation::kRelu;
  std::vector<float> w(18, 1.f);
  std::fill(w.begin() + 9, w.end(), -1.f);
  c.weights = to_bytes(w);
  c.bias = to_bytes(std::vector<float>{0.5f, 30.f});
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto run = run_single_op(c.build(), {{0, to_bytes(x)}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 3, 3, 2}));
  // Channel 0: sums of the in-bounds 3x3 neighbourhood + 0.5; channel 1:
  // relu(30 - that sum).
  const std::vector<float> sums = {12, 21, 16, 27, 45, 33, 24, 39, 28};
  std::vector<float> want;
  for (float s : sums) want.push_back(s + 0.5f), want.push_back(std::max(0.f, 30.f - s));
  EXPECT_EQ(from_bytes<float>(run.output), want);
}

TEST(Conv2DKernel, FloatDilatedStridedValidWithoutBiasByHand) {
  ConvGraph c;
  c.spec = {1, 5, 5, 1, 1, 2, 2, {}};
  c.spec.options.padding = Padding::kValid;
  c.spec.options.stride_h = c.spec.options.stride_w = 2;
  c.spec.options.dilation_h = c.spec.options.dilation_w = 2;
  c.weights = to_bytes(std::vector<float>{1, 10, 100, 1000});
  std::vector<float> x(25);
  for (int i = 0; i < 25; ++i) x[i] = static_cast<float>(i);
  auto run = run_single_op(c.build(), {{0, to_bytes(x)}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(run.output_shape, (Shape{1, 2, 2, 1}));
  // Output (i, j) reads x at rows 2i, 2i+2 and columns 2j, 2j+2.
  EXPECT_EQ(from_bytes<float>(run.output), (std::vector<float>{13020, 15242, 24130, 26352}));
}

ConvSpec random_spec(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  ConvSpec s;
  s.batches = pick(1, 2);
  s.in_h = pick(1, 9), s.in_w = pick(1, 9), s.in_c = pick(1, 5), s.out_c = pick(1, 6);
  s.filter_h = pick(1, 4), s.filter_w = pick(1, 4);
  s.options.stride_h = pick(1, 3), s.options.stride_w = pick(1, 3);
  s.options.dilation_h = pick(1, 2), s.options.dilation_w = pick(1, 2);
  s.options.padding = pick(0, 1) ? Padding::kSame : Padding::kValid;
  s.options.activation = static_cast<Activation>(pick(0, 3));  // NONE, RELU, RELU_N1_TO_1, RELU6
  // VALID needs the dilated filter to fit.
  if (s.options.padding == Padding::kValid) {
    s.in_h = std::max(s.in_h, (s.filter_h - 1) * s.options.dilation_h + 1);
    s.in_w = std::max(s.in_w, (s.filter_w - 1) * s.options.dilation_w + 1);
  }
  return s;
}

TEST(Conv2DKernel, FloatRandomMatchesDoubleReference) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  int checked = 0;
  for (int trial = 0; trial < 60; ++trial) {
    ConvGraph c;
    c.spec = random_spec(rng);
    const ConvSpec& s = c.spec;
    std::vector<float> x(s.batches * s.in_h * s.in_w * s.in_c), w(s.out_c * s.filter_h * s.filter_w * s.in_c),
        bias(trial % 3 == 0 ? 0 : s.out_c);
    for (std::vector<float>* v : {&x, &w, &bias})
      for (float& e : *v) e = u(rng);
    c.weights = to_bytes(w);
    c.bias = to_bytes(bias);
    auto run = run_single_op(c.build(), {{0, to_bytes(x)}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    const Reference ref = reference_conv(s, {x.begin(), x.end()}, {w.begin(), w.end()}, {bias.begin(), bias.end()});
    ASSERT_EQ(run.output_shape, ref.shape);
    const std::vector<float> got = from_bytes<float>(run.output);
    for (size_t i = 0; i < got.size(); ++i, ++checked)
      ASSERT_NEAR(got[i], activate(s.options.activation, ref.value[i]), 1e-6 * ref.magnitude[i] + 1e-7) << trial;
  }
  EXPECT_GT(checked, 1000);
}

TEST(Conv2DKernel, Int8PerChannelByHandInBothRoundings) {
  // Input scale 0.5, zero point -1; weights scales 0.25 and 0.125; output
  // scale 1, zero point 3. Accumulators (with bias): pixel 0 -> -8 and 12,
  // pixel 1 -> -20 and -2. Multipliers 0.125 and 0.0625.
  // -20 * 0.125 = -2.5: double rounding rounds 2.5 away from zero (-3), single
  // rounding rounds half up (-2).
  ConvGraph c;
  c.spec = {1, 1, 2, 2, 2, 1, 1, {}};
  c.spec.options.padding = Padding::kValid;
  c.input_type = c.weight_type = c.output_type = DType::kInt8;
  c.bias_type = DType::kInt32;
  c.input_quant = QuantParams::per_tensor(0.5f, -1);
  c.weight_quant = testing::per_axis_symmetric({0.25f, 0.125f}, 0);
  c.output_quant = QuantParams::per_tensor(1.f, 3);
  c.weights = to_bytes(std::vector<int8_t>{2, -4, 8, 1});
  c.bias = to_bytes(std::vector<int32_t>{4, -8});
  const std::vector<int8_t> x = {1, 3, -1, 5};
  auto run = run_single_op(c.build(), {{0, to_bytes(x)}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{2, 4, 0, 3}));
  run = run_single_op(c.build(), {{0, to_bytes(x)}}, KernelOptions{Rounding::kSingle, KernelSet::kReference});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_EQ(from_bytes<int8_t>(run.output), (std::vector<int8_t>{2, 4, 1, 3}));
}

TEST(Conv2DKernel, Int8RandomWithinOneLsbOfDoubleReference) {
  std::mt19937 rng(22);
  std::uniform_int_distribution<int> q8(-128, 127), w8(-127, 127), zp(-20, 20), b32(-3000, 3000);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f);
  int checked = 0, exact = 0;
  for (int trial = 0; trial < 80; ++trial) {
    ConvGraph c;
    c.spec = random_spec(rng);
    const ConvSpec& s = c.spec;
    c.input_type = c.weight_type = c.output_type = DType::kInt8;
    c.bias_type = DType::kInt32;
    const float s_in = scale(rng);
    const int32_t zp_in = zp(rng);
    c.input_quant = QuantParams::per_tensor(s_in, zp_in);
    std::vector<float> s_w(trial % 2 == 0 ? s.out_c : 1);
    for (float& v : s_w) v = scale(rng) / 4;
    c.weight_quant = s_w.size() > 1 ? testing::per_axis_symmetric(s_w, 0) : QuantParams::per_tensor(s_w[0], 0);
    std::vector<int8_t> x(s.batches * s.in_h * s.in_w * s.in_c), w(s.out_c * s.filter_h * s.filter_w * s.in_c);
    for (int8_t& v : x) v = static_cast<int8_t>(q8(rng));
    for (int8_t& v : w) v = static_cast<int8_t>(w8(rng));
    std::vector<int32_t> bias(trial % 3 == 0 ? 0 : s.out_c);
    for (int32_t& v : bias) v = b32(rng);
    c.weights = to_bytes(w);
    c.bias = to_bytes(bias);
    // Real values in double: weights per output channel, bias at s_in * s_w.
    std::vector<double> xr, wr, br;
    for (int8_t v : x) xr.push_back(static_cast<double>(s_in) * (v - zp_in));
    const int per_oc = s.filter_h * s.filter_w * s.in_c;
    for (size_t i = 0; i < w.size(); ++i)
      wr.push_back(static_cast<double>(s_w[s_w.size() > 1 ? i / per_oc : 0]) * w[i]);
    for (size_t oc = 0; oc < bias.size(); ++oc)
      br.push_back(static_cast<double>(s_in) * s_w[s_w.size() > 1 ? oc : 0] * bias[oc]);
    const Reference ref = reference_conv(s, xr, wr, br);
    // Output parameters spanning the activated reference range.
    double lo = 0, hi = 0;
    for (double v : ref.value)
      lo = std::min(lo, activate(s.options.activation, v)), hi = std::max(hi, activate(s.options.activation, v));
    const double s_out = std::max(hi - lo, 1e-3) / 255.0;
    const int32_t zp_out = static_cast<int32_t>(std::round(-128 - lo / s_out));
    c.output_quant = QuantParams::per_tensor(static_cast<float>(s_out), zp_out);
    for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
      auto run = run_single_op(c.build(), {{0, to_bytes(x)}}, KernelOptions{rounding, KernelSet::kReference});
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
  EXPECT_GT(exact, checked * 97 / 100);  // 1 LSB only where the real value sits near a rounding tie
}

// Hybrid inputs on a 0.25 grid spanning exactly 255 steps quantize without
// error (scale 0.25 exactly), so the output is the float convolution of the
// input with the dequantized weights. Batch 0 spans [0, 63.75] (zero point
// -128), batch 1 spans [-32, 31.75] (zero point 0).
TEST(Conv2DKernel, HybridExactOnGridInputs) {
  std::mt19937 rng(23);
  ConvGraph c;
  c.spec = {2, 5, 4, 3, 4, 3, 2, {}};
  c.spec.options.padding = Padding::kSame;
  c.spec.options.stride_h = 2;
  c.weight_type = DType::kInt8;
  const std::vector<float> s_w = {1.f / 64, 1.f / 128, 1.f / 32, 1.f / 256};
  c.weight_quant = testing::per_axis_symmetric(s_w, 0);
  const ConvSpec& s = c.spec;
  std::vector<int8_t> w(s.out_c * s.filter_h * s.filter_w * s.in_c);
  for (int8_t& v : w) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng));
  const std::vector<float> bias = {0.5f, -1.f, 0.f, 2.f};
  c.weights = to_bytes(w);
  c.bias = to_bytes(bias);
  const int per_batch = s.in_h * s.in_w * s.in_c;
  std::vector<float> x(2 * per_batch);
  for (int i = 0; i < per_batch; ++i) {
    x[i] = 0.25f * std::uniform_int_distribution<int>(0, 255)(rng);
    x[per_batch + i] = 0.25f * std::uniform_int_distribution<int>(-128, 127)(rng);
  }
  x[0] = 0.f, x[1] = 63.75f, x[per_batch] = -32.f, x[per_batch + 1] = 31.75f;
  auto run = run_single_op(c.build(), {{0, to_bytes(x)}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  std::vector<double> wr;
  const int per_oc = s.filter_h * s.filter_w * s.in_c;
  for (size_t i = 0; i < w.size(); ++i) wr.push_back(static_cast<double>(s_w[i / per_oc]) * w[i]);
  const Reference ref = reference_conv(s, {x.begin(), x.end()}, wr, {bias.begin(), bias.end()});
  ASSERT_EQ(run.output_shape, ref.shape);
  const std::vector<float> got = from_bytes<float>(run.output);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], static_cast<float>(ref.value[i])) << i;
}

// On arbitrary inputs the only error is the input's quantization: at most one
// step (scale) per input value, weighted by |w| of the taps.
TEST(Conv2DKernel, HybridRandomWithinInputQuantizationError) {
  std::mt19937 rng(24);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  int checked = 0;
  for (int trial = 0; trial < 40; ++trial) {
    ConvGraph c;
    c.spec = random_spec(rng);
    const ConvSpec& s = c.spec;
    c.weight_type = DType::kInt8;
    std::vector<float> s_w(s.out_c);
    for (float& v : s_w) v = 0.01f * (1 + u(rng) * u(rng));
    c.weight_quant = testing::per_axis_symmetric(s_w, 0);
    std::vector<int8_t> w(s.out_c * s.filter_h * s.filter_w * s.in_c);
    for (int8_t& v : w) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng));
    std::vector<float> x(s.batches * s.in_h * s.in_w * s.in_c), bias(trial % 2 ? s.out_c : 0);
    for (float& v : x) v = 3.f * u(rng) + 0.5f;
    for (float& v : bias) v = u(rng);
    c.weights = to_bytes(w);
    c.bias = to_bytes(bias);
    auto run = run_single_op(c.build(), {{0, to_bytes(x)}});
    ASSERT_TRUE(run.status.ok()) << run.status.message();
    std::vector<double> wr, wabs;
    const int per_oc = s.filter_h * s.filter_w * s.in_c;
    for (size_t i = 0; i < w.size(); ++i) wr.push_back(static_cast<double>(s_w[i / per_oc]) * w[i]);
    for (double v : wr) wabs.push_back(std::fabs(v));
    const Reference ref = reference_conv(s, {x.begin(), x.end()}, wr, {bias.begin(), bias.end()});
    const Reference mass = reference_conv(s, std::vector<double>(x.size(), 1.0), wabs, {});
    const int per_batch = s.in_h * s.in_w * s.in_c;
    const std::vector<float> got = from_bytes<float>(run.output);
    const int per_out_batch = static_cast<int>(got.size()) / s.batches;
    for (size_t i = 0; i < got.size(); ++i, ++checked) {
      const int b = static_cast<int>(i) / per_out_batch;
      const auto [lo, hi] = std::minmax_element(x.begin() + b * per_batch, x.begin() + (b + 1) * per_batch);
      const double step = (std::max(0.f, *hi) - std::min(0.f, *lo)) / 255.0;
      const double want = activate(s.options.activation, ref.value[i]);
      ASSERT_NEAR(got[i], want, step * mass.value[i] + 1e-5 * ref.magnitude[i] + 1e-6) << trial;
    }
  }
  EXPECT_GT(checked, 500);
}

ConvGraph small_float_conv() {
  ConvGraph c;
  c.spec = {1, 4, 4, 2, 3, 3, 3, {}};
  c.weights = to_bytes(std::vector<float>(3 * 3 * 3 * 2, 0.5f));
  return c;
}

TEST(Conv2DKernel, MissingBiasAsTwoInputs) {
  ConvGraph c = small_float_conv();
  Graph g = c.build();
  g.ops[0].inputs.resize(2);  // no bias slot at all
  auto run = run_single_op(g, {{0, to_bytes(std::vector<float>(32, 1.f))}});
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  // Centre pixels see all 9 taps of 2 channels: 18 * 0.5.
  EXPECT_EQ(from_bytes<float>(run.output)[(1 * 4 + 1) * 3], 9.f);
}

TEST(Conv2DKernel, PrepareRejectsBadGraphs) {
  {
    ConvGraph c = small_float_conv();
    c.spec.in_c = 3;  // filter depth stays 2
    c.weights = to_bytes(std::vector<float>(3 * 3 * 3 * 3, 0.5f));
    Graph g = c.build();
    g.tensors[1].shape = {3, 3, 3, 2};
    g.buffers[g.tensors[1].buffer].resize(3 * 3 * 3 * 2 * 4);
    auto run = run_single_op(g, {{0, to_bytes(std::vector<float>(48, 1.f))}});
    EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(run.status.message().find("CONV_2D"), std::string::npos) << run.status.message();
    EXPECT_NE(run.status.message().find("input channels 3"), std::string::npos) << run.status.message();
  }
  {
    ConvGraph c = small_float_conv();
    c.input_type = DType::kInt8;  // int8 input with float weights
    c.input_quant = QuantParams::per_tensor(0.1f, 0);
    auto run = run_single_op(c.build(), {{0, std::vector<uint8_t>(32)}});
    EXPECT_EQ(run.status.code(), StatusCode::kUnsupported);
    EXPECT_NE(run.status.message().find("INT8"), std::string::npos) << run.status.message();
  }
  {
    ConvGraph c = small_float_conv();
    c.spec.options.activation = Activation::kTanh;
    auto run = run_single_op(c.build(), {{0, to_bytes(std::vector<float>(32, 1.f))}});
    EXPECT_EQ(run.status.code(), StatusCode::kUnsupported);
    EXPECT_NE(run.status.message().find("TANH"), std::string::npos) << run.status.message();
  }
  {
    ConvGraph c = small_float_conv();
    c.spec.options.padding = Padding::kValid;
    c.spec.in_h = 2;  // a 3x3 filter does not fit
    auto run = run_single_op(c.build(), {{0, to_bytes(std::vector<float>(16, 1.f))}});
    EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  }
  {
    ConvGraph c = small_float_conv();
    c.bias = to_bytes(std::vector<float>(2, 0.f));
    Graph g = c.build();
    g.tensors[2].shape = {2};  // 3 output channels
    auto run = run_single_op(g, {{0, to_bytes(std::vector<float>(32, 1.f))}});
    EXPECT_NE(run.status.message().find("bias has 2 elements, expected 3"), std::string::npos) << run.status.message();
  }
  // int8: per-channel scale count, weight zero point, hybrid with variable weights.
  ConvGraph q = small_float_conv();
  q.input_type = q.weight_type = q.output_type = DType::kInt8;
  q.input_quant = QuantParams::per_tensor(0.1f, 0);
  q.output_quant = QuantParams::per_tensor(0.2f, 0);
  q.weights = std::vector<uint8_t>(3 * 3 * 3 * 2, 1);
  q.weight_quant = testing::per_axis_symmetric({0.1f, 0.1f}, 0);
  auto run = run_single_op(q.build(), {{0, std::vector<uint8_t>(32)}});
  EXPECT_NE(run.status.message().find("2 scales"), std::string::npos) << run.status.message();
  q.weight_quant = QuantParams::per_tensor(0.1f, 5);
  run = run_single_op(q.build(), {{0, std::vector<uint8_t>(32)}});
  EXPECT_NE(run.status.message().find("symmetric"), std::string::npos) << run.status.message();
  q.weight_quant = QuantParams::per_tensor(0.1f, 0);
  q.input_type = q.output_type = DType::kFloat32;
  q.weights_constant = false;
  run = run_single_op(q.build(), {{0, std::vector<uint8_t>(128)}, {1, std::vector<uint8_t>(54)}});
  EXPECT_NE(run.status.message().find("constant"), std::string::npos) << run.status.message();
}

}  // namespace
}  // namespace quantlab
