// Prepare-time helpers shared by the ops that carry weights (CONV_2D,
// DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL): choosing the arithmetic
// from dtypes and validating quantization parameters. Errors name the op,
// the tensor's role and the bad value.
#pragma once

#include <cstdint>

#include "quantlab/ir/op_options.h"
#include "quantlab/kernels/conv_2d.h"
#include "quantlab/kernels/kernel.h"

namespace quantlab {

// The arithmetic families of an op with weights, told apart by dtypes:
//   kFloat:  float32 input, weights, bias and output
//   kInt8:   int8 input, weights and output, int32 bias
//   kHybrid: float32 input, bias and output with int8 weights
enum class WeightedVariant { kFloat, kInt8, kHybrid };

// Classifies an op whose inputs are (input, weights, optional bias) and whose
// output 0 is the result; an Unsupported error lists the dtypes otherwise.
Result<WeightedVariant> classify_weighted_op(const PrepareContext& ctx);

// An error unless the int8 activation `t` has a single finite, positive scale
// and a zero point in [-128, 127]. `role` names the tensor ("input", "output").
Status check_activation_quant(const PrepareContext& ctx, const char* role, const TensorInfo& t);

// An error unless the int8 weights `w` are symmetric (every zero point 0) and
// carry either one scale or `channels` scales along dimension `axis`, all
// finite and positive. With `allow_per_channel` false only one scale is valid.
Status check_weight_quant(const PrepareContext& ctx, const TensorInfo& w, int axis, int64_t channels,
                          bool allow_per_channel);

// Largest magnitude of one accumulator term w * (x - zero_point) with int8
// operands (|w| <= 128, |x - zero_point| <= 255), and of (a - za) * (b - zb)
// when both operands carry zero points.
inline constexpr int64_t kMaxInt8WeightTerm = 128 * 255;
inline constexpr int64_t kMaxInt8ProductTerm = 255 * 255;

// Integer kernels accumulate in int32, as TFLite does. An error unless `depth`
// terms of magnitude at most `max_term`, plus the largest constant int32 bias
// (input 2, when present), are guaranteed to fit, so that no file can make an
// accumulator overflow.
Status check_int32_accumulation(const PrepareContext& ctx, int64_t depth, int64_t max_term);

// An error for fused activations these kernels do not apply (TANH, SIGN_BIT).
Status check_fused_activation(const PrepareContext& ctx, Activation act);

// The window of a convolution (CONV_2D or DEPTHWISE_CONV_2D, whose filter
// layouts differ but both hold the window in dimensions 1 and 2): the
// geometry of input 0 (NHWC) under `filter` with `out_c` output channels and
// the options' padding, strides and dilations. Errors: strides or dilations
// below 1, a window whose positions do not fit int, a filter larger than a
// VALID-padded input, a bias whose length is not `out_c`.
struct ConvolutionWindow {
  Padding padding = Padding::kSame;
  int stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
};
Result<Conv2DGeometry> plan_convolution(const PrepareContext& ctx, const Shape& filter, int out_c,
                                        const ConvolutionWindow& window);

}  // namespace quantlab
