// The optimized kernels as the interpreter sees them: find_kernel picks
// them for float32 and int8 ops with constant weights and leaves every other
// form to the reference kernels; through prepare and eval, each optimized
// kernel gives exactly the reference kernel's int8 outputs (both rounding
// styles, per-tensor and per-channel weights, fused activations) and its
// float outputs to within float rounding, on random single-op graphs.
#include "quantlab/kernels/optimized/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "quantlab/kernels/optimized/test_support.h"
#include "quantlab/kernels/single_op_graph.h"

namespace quantlab {
namespace {

using testing::from_bytes;
using testing::SingleOpGraph;
using testing::uniform_int;

float uniform_real(std::mt19937& rng, float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }

QuantParams activation_quant(std::mt19937& rng) {
  return QuantParams::per_tensor(uniform_real(rng, 0.005f, 0.1f), uniform_int(rng, -128, 127));
}

// Symmetric weight quantization, per tensor or one scale per index of `axis`.
QuantParams weight_quant(std::mt19937& rng, int channels, int axis, bool per_channel) {
  std::vector<float> scales(per_channel ? channels : 1);
  for (float& s : scales) s = uniform_real(rng, 0.0005f, 0.02f);
  return testing::per_axis_symmetric(scales, axis);
}

Activation random_activation(std::mt19937& rng) {
  const Activation all[] = {Activation::kNone, Activation::kRelu, Activation::kRelu6, Activation::kReluN1To1};
  return all[uniform_int(rng, 0, 3)];
}

// Runs the graph with both kernel families and compares output 0.
void expect_same_outputs(const SingleOpGraph& graph, DType dtype, Rounding rounding, const std::string& what) {
  KernelOptions reference_options, optimized_options;
  reference_options.kernels = KernelSet::kReference;
  optimized_options.kernels = KernelSet::kOptimized;
  reference_options.rounding = optimized_options.rounding = rounding;
  const testing::SingleOpRun reference = graph.run(reference_options);
  const testing::SingleOpRun optimized = graph.run(optimized_options);
  ASSERT_TRUE(reference.status.ok()) << what << ": " << reference.status.message();
  ASSERT_TRUE(optimized.status.ok()) << what << ": " << optimized.status.message();
  EXPECT_EQ(optimized.output_shape, reference.output_shape) << what;
  if (dtype == DType::kInt8) {
    testing::expect_identical(from_bytes<int8_t>(optimized.output), from_bytes<int8_t>(reference.output), what);
  } else {
    // Random inputs in [-1, 1): the sums' magnitudes stay below the depth.
    const std::vector<float> got = from_bytes<float>(optimized.output), want = from_bytes<float>(reference.output);
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5 * (1 + std::fabs(want[i])) * 16) << what;
  }
}

const Kernel* kernel_for(const Graph& g, KernelSet set) {
  KernelOptions options;
  options.kernels = set;
  return find_kernel(g, g.ops[0], options);
}

TEST(OptimizedKernels, Conv2DThroughPrepareAndEval) {
  std::mt19937 rng(501);
  for (int trial = 0; trial < 60; ++trial) {
    const DType dtype = trial % 3 == 0 ? DType::kFloat32 : DType::kInt8;
    const int h = uniform_int(rng, 1, 10), w = uniform_int(rng, 1, 10), c = uniform_int(rng, 1, 12);
    const int out_c = uniform_int(rng, 1, 36), fh = uniform_int(rng, 1, 3), fw = uniform_int(rng, 1, 3);
    Conv2DOptions o;
    o.padding = trial % 2 ? Padding::kSame : Padding::kValid;
    if (o.padding == Padding::kValid && (fh > h || fw > w)) o.padding = Padding::kSame;
    o.stride_h = uniform_int(rng, 1, 2), o.stride_w = uniform_int(rng, 1, 2);
    o.dilation_h = o.dilation_w = o.padding == Padding::kSame ? uniform_int(rng, 1, 2) : 1;
    o.activation = random_activation(rng);
    const bool with_bias = trial % 4 != 0, per_channel = trial % 5 != 0;
    SingleOpGraph g;
    std::vector<int32_t> inputs;
    if (dtype == DType::kInt8) {
      inputs.push_back(
          g.input(DType::kInt8, {1, h, w, c}, testing::random_int8(rng, h * w * c), activation_quant(rng)));
      inputs.push_back(g.constant(DType::kInt8, {out_c, fh, fw, c}, testing::random_int8(rng, out_c * fh * fw * c),
                                  weight_quant(rng, out_c, 0, per_channel)));
      inputs.push_back(with_bias ? g.constant(DType::kInt32, {out_c}, testing::random_bias(rng, out_c)) : -1);
      g.output(DType::kInt8, activation_quant(rng));
    } else {
      inputs.push_back(g.input(DType::kFloat32, {1, h, w, c}, testing::random_floats(rng, h * w * c)));
      inputs.push_back(
          g.constant(DType::kFloat32, {out_c, fh, fw, c}, testing::random_floats(rng, out_c * fh * fw * c)));
      inputs.push_back(with_bias ? g.constant(DType::kFloat32, {out_c}, testing::random_floats(rng, out_c)) : -1);
      g.output(DType::kFloat32);
    }
    g.op(OpKind::kConv2D, inputs, o);
    ASSERT_STREQ(kernel_for(g.graph(), KernelSet::kOptimized)->name, "optimized");
    for (Rounding r : {Rounding::kDouble, Rounding::kSingle})
      expect_same_outputs(g, dtype, r, "CONV_2D trial " + std::to_string(trial) + " " + rounding_name(r));
  }
}

TEST(OptimizedKernels, DepthwiseConv2DThroughPrepareAndEval) {
  std::mt19937 rng(502);
  for (int trial = 0; trial < 60; ++trial) {
    const DType dtype = trial % 3 == 0 ? DType::kFloat32 : DType::kInt8;
    const int h = uniform_int(rng, 1, 10), w = uniform_int(rng, 1, 10), c = uniform_int(rng, 1, 20);
    const int multiplier = uniform_int(rng, 1, 3), fh = uniform_int(rng, 1, 3), fw = uniform_int(rng, 1, 3);
    const int out_c = c * multiplier;
    DepthwiseConv2DOptions o;
    o.padding = Padding::kSame;
    o.stride_h = uniform_int(rng, 1, 2), o.stride_w = uniform_int(rng, 1, 2);
    o.depth_multiplier = multiplier;
    o.activation = random_activation(rng);
    const bool with_bias = trial % 4 != 0, per_channel = trial % 5 != 0;
    SingleOpGraph g;
    std::vector<int32_t> inputs;
    if (dtype == DType::kInt8) {
      inputs.push_back(
          g.input(DType::kInt8, {1, h, w, c}, testing::random_int8(rng, h * w * c), activation_quant(rng)));
      inputs.push_back(g.constant(DType::kInt8, {1, fh, fw, out_c}, testing::random_int8(rng, fh * fw * out_c),
                                  weight_quant(rng, out_c, 3, per_channel)));
      inputs.push_back(with_bias ? g.constant(DType::kInt32, {out_c}, testing::random_bias(rng, out_c)) : -1);
      g.output(DType::kInt8, activation_quant(rng));
    } else {
      inputs.push_back(g.input(DType::kFloat32, {1, h, w, c}, testing::random_floats(rng, h * w * c)));
      inputs.push_back(g.constant(DType::kFloat32, {1, fh, fw, out_c}, testing::random_floats(rng, fh * fw * out_c)));
      inputs.push_back(with_bias ? g.constant(DType::kFloat32, {out_c}, testing::random_floats(rng, out_c)) : -1);
      g.output(DType::kFloat32);
    }
    g.op(OpKind::kDepthwiseConv2D, inputs, o);
    ASSERT_STREQ(kernel_for(g.graph(), KernelSet::kOptimized)->name, "optimized");
    for (Rounding r : {Rounding::kDouble, Rounding::kSingle})
      expect_same_outputs(g, dtype, r, "DEPTHWISE_CONV_2D trial " + std::to_string(trial) + " " + rounding_name(r));
  }
}

TEST(OptimizedKernels, FullyConnectedThroughPrepareAndEval) {
  // Per-tensor int8 weights take TFLite's float-product multiplier and
  // per-channel ones the double product; both must match the reference.
  std::mt19937 rng(503);
  for (int trial = 0; trial < 60; ++trial) {
    const DType dtype = trial % 3 == 0 ? DType::kFloat32 : DType::kInt8;
    const int rows = uniform_int(rng, 1, 6), in = uniform_int(rng, 1, 120), out = uniform_int(rng, 1, 50);
    FullyConnectedOptions o;
    o.activation = random_activation(rng);
    o.keep_num_dims = trial % 2 == 0;
    const bool with_bias = trial % 4 != 0, per_channel = trial % 2 != 0;
    SingleOpGraph g;
    std::vector<int32_t> inputs;
    if (dtype == DType::kInt8) {
      inputs.push_back(
          g.input(DType::kInt8, {1, rows, in}, testing::random_int8(rng, rows * in), activation_quant(rng)));
      inputs.push_back(g.constant(DType::kInt8, {out, in}, testing::random_int8(rng, out * in),
                                  weight_quant(rng, out, 0, per_channel)));
      inputs.push_back(with_bias ? g.constant(DType::kInt32, {out}, testing::random_bias(rng, out)) : -1);
      g.output(DType::kInt8, activation_quant(rng));
    } else {
      inputs.push_back(g.input(DType::kFloat32, {1, rows, in}, testing::random_floats(rng, rows * in)));
      inputs.push_back(g.constant(DType::kFloat32, {out, in}, testing::random_floats(rng, out * in)));
      inputs.push_back(with_bias ? g.constant(DType::kFloat32, {out}, testing::random_floats(rng, out)) : -1);
      g.output(DType::kFloat32);
    }
    g.op(OpKind::kFullyConnected, inputs, o);
    ASSERT_STREQ(kernel_for(g.graph(), KernelSet::kOptimized)->name, "optimized");
    for (Rounding r : {Rounding::kDouble, Rounding::kSingle})
      expect_same_outputs(g, dtype, r, "FULLY_CONNECTED trial " + std::to_string(trial) + " " + rounding_name(r));
  }
}

// TFLite derives per-tensor FULLY_CONNECTED multipliers from the float
// product input_scale * weight_scale, and every CONV_2D / DEPTHWISE_CONV_2D
// multiplier from the double product. The two differ in the last bits and
// change an output only where an accumulator lands next to a rounding tie,
// which random inputs almost never hit. These scales make the two
// multipliers differ; a small real multiplier spreads each output step over
// many accumulators, so their ties fall on different integers.
struct BoundaryCase {
  float in_scale = 0, w_scale = 0, out_scale = 0;
  std::vector<int32_t> accumulators;  // where the two multipliers disagree
};

BoundaryCase boundary_case(std::mt19937& rng) {
  BoundaryCase c;
  QuantizedMultiplier from_float, from_double;
  do {
    c.in_scale = uniform_real(rng, 0.001f, 0.01f), c.w_scale = uniform_real(rng, 0.0005f, 0.002f);
    c.out_scale = uniform_real(rng, 0.05f, 0.2f);
    from_float = quantize_multiplier(real_multiplier_float_product(c.in_scale, c.w_scale, c.out_scale));
    from_double = quantize_multiplier(real_multiplier_double_product(c.in_scale, c.w_scale, c.out_scale));
  } while (from_float.multiplier == from_double.multiplier && from_float.shift == from_double.shift);
  // Look next to each rounding tie (k + 1/2) / multiplier.
  const double real = real_multiplier_double_product(c.in_scale, c.w_scale, c.out_scale);
  for (int k = -120; k < 120; ++k)
    for (int d = -3; d <= 3; ++d) {
      const int32_t acc = static_cast<int32_t>(std::llround((k + 0.5) / real)) + d;
      if (multiply_by_quantized_multiplier(acc, from_float, Rounding::kDouble) !=
          multiply_by_quantized_multiplier(acc, from_double, Rounding::kDouble))
        c.accumulators.push_back(acc);
    }
  return c;
}

// One op per kind whose accumulators are exactly the biases: per-tensor
// int8 weights, the input at its zero point (so every product is 0).
TEST(OptimizedKernels, PerTensorMultipliersFollowTheReference) {
  std::mt19937 rng(507);
  for (OpKind kind : {OpKind::kFullyConnected, OpKind::kConv2D, OpKind::kDepthwiseConv2D}) {
    const BoundaryCase c = boundary_case(rng);
    ASSERT_FALSE(c.accumulators.empty());
    const int channels = static_cast<int>(c.accumulators.size()), depth = 4;
    const QuantParams in_quant = QuantParams::per_tensor(c.in_scale, 3);
    const QuantParams w_quant = testing::per_axis_symmetric({c.w_scale}, 0);
    SingleOpGraph g;
    int32_t x = -1, w = -1;
    OpOptions options;
    if (kind == OpKind::kFullyConnected) {
      x = g.input(DType::kInt8, {1, depth}, std::vector<int8_t>(depth, 3), in_quant);
      w = g.constant(DType::kInt8, {channels, depth}, testing::random_int8(rng, channels * depth), w_quant);
      options = FullyConnectedOptions{};
    } else if (kind == OpKind::kConv2D) {
      x = g.input(DType::kInt8, {1, 1, 1, depth}, std::vector<int8_t>(depth, 3), in_quant);
      w = g.constant(DType::kInt8, {channels, 1, 1, depth}, testing::random_int8(rng, channels * depth), w_quant);
      options = Conv2DOptions{};
    } else {
      x = g.input(DType::kInt8, {1, 1, 1, channels}, std::vector<int8_t>(channels, 3), in_quant);
      w = g.constant(DType::kInt8, {1, 1, 1, channels}, testing::random_int8(rng, channels), w_quant);
      options = DepthwiseConv2DOptions{};
    }
    const int32_t b = g.constant(DType::kInt32, {channels}, c.accumulators);
    g.output(DType::kInt8, QuantParams::per_tensor(c.out_scale, 0));
    g.op(kind, {x, w, b}, options);
    expect_same_outputs(g, DType::kInt8, Rounding::kDouble,
                        std::string(op_kind_name(kind)) + " near rounding ties of its multiplier");
  }
}

TEST(OptimizedKernels, BatchMatMulThroughPrepareAndEval) {
  std::mt19937 rng(504);
  for (int trial = 0; trial < 60; ++trial) {
    const DType dtype = trial % 3 == 0 ? DType::kFloat32 : DType::kInt8;
    const int b = uniform_int(rng, 1, 3), m = uniform_int(rng, 1, 20), k = uniform_int(rng, 1, 40),
              n = uniform_int(rng, 1, 20);
    BatchMatMulOptions o;
    o.adj_x = trial % 2 == 0;
    o.adj_y = trial % 3 == 0;
    const bool constant_rhs = trial % 4 != 0;
    const Shape lhs_shape = o.adj_x ? Shape{b, k, m} : Shape{b, m, k};
    const Shape rhs_shape = o.adj_y ? Shape{b, n, k} : Shape{b, k, n};
    SingleOpGraph g;
    std::vector<int32_t> inputs;
    if (dtype == DType::kInt8) {
      inputs.push_back(g.input(DType::kInt8, lhs_shape, testing::random_int8(rng, b * m * k), activation_quant(rng)));
      const std::vector<int8_t> rhs = testing::random_int8(rng, b * k * n);
      const QuantParams rhs_quant = activation_quant(rng);
      inputs.push_back(constant_rhs ? g.constant(DType::kInt8, rhs_shape, rhs, rhs_quant)
                                    : g.input(DType::kInt8, rhs_shape, rhs, rhs_quant));
      g.output(DType::kInt8, activation_quant(rng));
    } else {
      inputs.push_back(g.input(DType::kFloat32, lhs_shape, testing::random_floats(rng, b * m * k)));
      const std::vector<float> rhs = testing::random_floats(rng, b * k * n);
      inputs.push_back(constant_rhs ? g.constant(DType::kFloat32, rhs_shape, rhs)
                                    : g.input(DType::kFloat32, rhs_shape, rhs));
      g.output(DType::kFloat32);
    }
    g.op(OpKind::kBatchMatMul, inputs, o);
    ASSERT_STREQ(kernel_for(g.graph(), KernelSet::kOptimized)->name, "optimized");
    for (Rounding r : {Rounding::kDouble, Rounding::kSingle})
      expect_same_outputs(g, dtype, r, "BATCH_MATMUL trial " + std::to_string(trial) + " " + rounding_name(r));
  }
}

TEST(OptimizedKernels, OtherFormsKeepTheReferenceKernel) {
  std::mt19937 rng(505);
  // Hybrid: float activations with int8 weights.
  SingleOpGraph hybrid;
  const int32_t x = hybrid.input(DType::kFloat32, {1, 8}, testing::random_floats(rng, 8));
  const int32_t w =
      hybrid.constant(DType::kInt8, {4, 8}, testing::random_int8(rng, 32), weight_quant(rng, 4, 0, false));
  hybrid.output(DType::kFloat32);
  hybrid.op(OpKind::kFullyConnected, {x, w, -1}, FullyConnectedOptions{});
  EXPECT_STREQ(kernel_for(hybrid.graph(), KernelSet::kOptimized)->name, "reference");

  // Weights computed at run time cannot be packed at prepare.
  SingleOpGraph variable;
  const int32_t vx = variable.input(DType::kFloat32, {1, 3, 3, 2}, testing::random_floats(rng, 18));
  const int32_t vw = variable.input(DType::kFloat32, {4, 1, 1, 2}, testing::random_floats(rng, 8));
  variable.output(DType::kFloat32);
  variable.op(OpKind::kConv2D, {vx, vw, -1}, Conv2DOptions{});
  EXPECT_STREQ(kernel_for(variable.graph(), KernelSet::kOptimized)->name, "reference");

  // Ops without an optimized form, and the reference family on request.
  SingleOpGraph relu;
  relu.output(DType::kFloat32);
  relu.op(OpKind::kRelu, {relu.input(DType::kFloat32, {4}, testing::random_floats(rng, 4))});
  EXPECT_STREQ(kernel_for(relu.graph(), KernelSet::kOptimized)->name, "reference");
  SingleOpGraph fc;
  const int32_t fx = fc.input(DType::kFloat32, {1, 8}, testing::random_floats(rng, 8));
  const int32_t fw = fc.constant(DType::kFloat32, {4, 8}, testing::random_floats(rng, 32));
  fc.output(DType::kFloat32);
  fc.op(OpKind::kFullyConnected, {fx, fw, -1}, FullyConnectedOptions{});
  EXPECT_STREQ(kernel_for(fc.graph(), KernelSet::kOptimized)->name, "optimized");
  EXPECT_STREQ(kernel_for(fc.graph(), KernelSet::kReference)->name, "reference");
}

TEST(OptimizedKernels, PrepareRejectsWhatTheReferenceRejects) {
  // Validation is the reference prepare's: a filter depth that does not
  // match the input fails the same way through either family.
  std::mt19937 rng(506);
  SingleOpGraph g;
  const int32_t x = g.input(DType::kFloat32, {1, 4, 4, 3}, testing::random_floats(rng, 48));
  const int32_t w = g.constant(DType::kFloat32, {2, 1, 1, 5}, testing::random_floats(rng, 10));
  g.output(DType::kFloat32);
  g.op(OpKind::kConv2D, {x, w, -1}, Conv2DOptions{});
  KernelOptions reference_options, optimized_options;
  reference_options.kernels = KernelSet::kReference;
  const testing::SingleOpRun reference = g.run(reference_options), optimized = g.run(optimized_options);
  ASSERT_FALSE(optimized.status.ok());
  EXPECT_EQ(optimized.status.message(), reference.status.message());
}

}  // namespace
}  // namespace quantlab
