#include "quantlab/kernels/depthwise_conv_2d.h"

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/weighted_op.h"
#include "quantlab/kernels/window.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

// Sum of filter * (input + input_offset) over the in-bounds taps of output
// channel `oc` (which reads input channel `ic`) at one output position.
template <typename T, typename Acc>
Acc window_sum(const Conv2DGeometry& g, const T* input_batch, Acc input_offset, const T* filter, int out_y, int out_x,
               int ic, int oc) {
  Acc acc = 0;
  const int y0 = out_y * g.stride_h - g.pad_top;
  const int x0 = out_x * g.stride_w - g.pad_left;
  for (int fy = 0; fy < g.filter_h; ++fy) {
    const int y = y0 + fy * g.dilation_h;
    if (y < 0 || y >= g.in_h) continue;
    for (int fx = 0; fx < g.filter_w; ++fx) {
      const int x = x0 + fx * g.dilation_w;
      if (x < 0 || x >= g.in_w) continue;
      const T in = input_batch[(static_cast<int64_t>(y) * g.in_w + x) * g.in_c + ic];
      const T w = filter[(static_cast<int64_t>(fy) * g.filter_w + fx) * g.out_c + oc];
      acc += (static_cast<Acc>(in) + input_offset) * static_cast<Acc>(w);
    }
  }
  return acc;
}

int64_t input_batch_size(const Conv2DGeometry& g) { return static_cast<int64_t>(g.in_h) * g.in_w * g.in_c; }

// Calls visit(batch, out_y, out_x, in_channel, out_channel, flat output index).
template <typename Visit>
void for_each_output(const Conv2DGeometry& g, Visit visit) {
  const int multiplier = g.out_c / g.in_c;
  int64_t index = 0;
  for (int b = 0; b < g.batches; ++b)
    for (int y = 0; y < g.out_h; ++y)
      for (int x = 0; x < g.out_w; ++x)
        for (int ic = 0; ic < g.in_c; ++ic)
          for (int m = 0; m < multiplier; ++m) visit(b, y, x, ic, ic * multiplier + m, index++);
}

}  // namespace

void depthwise_conv_2d_float(const Conv2DGeometry& g, const float* input, const float* filter, const float* bias,
                             float act_min, float act_max, float* output) {
  for_each_output(g, [&](int b, int y, int x, int ic, int oc, int64_t i) {
    float acc = window_sum<float, float>(g, input + b * input_batch_size(g), 0.f, filter, y, x, ic, oc);
    if (bias != nullptr) acc += bias[oc];
    output[i] = std::min(std::max(acc, act_min), act_max);
  });
}

void depthwise_conv_2d_int8(const DepthwiseConv2DInt8Params& p, const int8_t* input, const int8_t* filter,
                            const int32_t* bias, int8_t* output) {
  const Conv2DGeometry& g = p.geometry;
  for_each_output(g, [&](int b, int y, int x, int ic, int oc, int64_t i) {
    int32_t acc =
        window_sum<int8_t, int32_t>(g, input + b * input_batch_size(g), -p.input_zero_point, filter, y, x, ic, oc);
    if (bias != nullptr) acc += bias[oc];
    acc = add_zero_point_wrapping(multiply_by_quantized_multiplier(acc, p.channel_multipliers[oc], p.rounding),
                                 p.output_zero_point);
    output[i] = static_cast<int8_t>(std::min(std::max(acc, p.act_min), p.act_max));
  });
}

void depthwise_conv_2d_hybrid(const DepthwiseConv2DHybridParams& p, const float* input, const int8_t* filter,
                              const float* bias, const HybridWorkspace& ws, float* output) {
  const Conv2DGeometry& g = p.geometry;
  quantize_rows(input, g.batches, input_batch_size(g), /*asymmetric=*/true, ws);
  for_each_output(g, [&](int b, int y, int x, int ic, int oc, int64_t i) {
    const int32_t acc = window_sum<int8_t, int32_t>(g, ws.values + b * input_batch_size(g), -ws.zero_points[b],
                                                    filter, y, x, ic, oc);
    float v = static_cast<float>(acc) * (ws.scales[b] * p.channel_scales[oc]);
    if (bias != nullptr) v += bias[oc];
    output[i] = std::min(std::max(v, p.act_min), p.act_max);
  });
}

namespace {

struct DepthwiseConv2DOpData : OpData {
  WeightedVariant variant = WeightedVariant::kFloat;
  Conv2DGeometry geometry;
  float act_min = 0.f, act_max = 0.f;
  DepthwiseConv2DInt8Params int8;      // points into `multipliers`
  DepthwiseConv2DHybridParams hybrid;  // points into `weight_scales`
  std::vector<QuantizedMultiplier> multipliers;
  std::vector<float> weight_scales;
};

Result<Conv2DGeometry> compute_geometry(const PrepareContext& ctx, const DepthwiseConv2DOptions& o) {
  const Shape& in = ctx.input(0).shape;
  const Shape& w = ctx.input(1).shape;
  if (in.size() != 4) return ctx.error("input must be 4-D NHWC, got " + shape_to_string(in));
  if (w.size() != 4 || w[0] != 1) return ctx.error("filter must be [1, h, w, channels], got " + shape_to_string(w));
  if (in[3] <= 0 || w[3] % in[3] != 0)
    return ctx.error("filter channels " + std::to_string(w[3]) + " are not a multiple of input channels " +
                     std::to_string(in[3]));
  const int multiplier = w[3] / in[3];
  if (o.depth_multiplier > 0 && o.depth_multiplier != multiplier)
    return ctx.error("depth_multiplier option " + std::to_string(o.depth_multiplier) + " disagrees with filter " +
                     shape_to_string(w) + " over input " + shape_to_string(in));
  return plan_convolution(ctx, w, w[3], {o.padding, o.stride_h, o.stride_w, o.dilation_h, o.dilation_w});
}

Status prepare(PrepareContext& ctx) {
  const auto& o = ctx.op.opts<DepthwiseConv2DOptions>();
  QL_ASSIGN_OR_RETURN(const WeightedVariant variant, classify_weighted_op(ctx));
  QL_ASSIGN_OR_RETURN(const Conv2DGeometry g, compute_geometry(ctx, o));
  QL_RETURN_IF_ERROR(check_fused_activation(ctx, o.activation));
  auto data = std::make_unique<DepthwiseConv2DOpData>();
  data->variant = variant;
  data->geometry = g;
  std::tie(data->act_min, data->act_max) = float_activation_range(o.activation);
  const TensorInfo& input = ctx.input(0);
  const TensorInfo& filter = ctx.input(1);
  TensorInfo& output = ctx.output(0);
  if (variant == WeightedVariant::kInt8) {
    QL_RETURN_IF_ERROR(check_activation_quant(ctx, "input", input));
    QL_RETURN_IF_ERROR(check_activation_quant(ctx, "output", output));
    QL_RETURN_IF_ERROR(check_weight_quant(ctx, filter, 3, g.out_c, true));
    QL_RETURN_IF_ERROR(check_int32_accumulation(ctx, int64_t{g.filter_h} * g.filter_w, kMaxInt8WeightTerm));
    for (float s : channel_scales(*filter.quant, g.out_c))
      data->multipliers.push_back(
          quantize_multiplier(real_multiplier_double_product(input.scale(), s, output.scale())));
    DepthwiseConv2DInt8Params& p = data->int8;
    p.geometry = g;
    p.input_zero_point = input.zero_point();
    p.output_zero_point = output.zero_point();
    p.channel_multipliers = data->multipliers.data();
    std::tie(p.act_min, p.act_max) =
        quantized_activation_range(o.activation, output.scale(), output.zero_point(), DType::kInt8);
    p.rounding = ctx.options.rounding;
  } else if (variant == WeightedVariant::kHybrid) {
    if (filter.constant == nullptr) return ctx.error("hybrid arithmetic needs constant int8 weights");
    QL_RETURN_IF_ERROR(check_weight_quant(ctx, filter, 3, g.out_c, true));
    QL_RETURN_IF_ERROR(check_int32_accumulation(ctx, int64_t{g.filter_h} * g.filter_w, kMaxInt8WeightTerm));
    data->weight_scales = channel_scales(*filter.quant, g.out_c);
    data->hybrid = DepthwiseConv2DHybridParams{g, data->weight_scales.data(), data->act_min, data->act_max};
    ctx.scratch_bytes = hybrid_workspace_bytes(g.batches, input_batch_size(g), false);
  }
  output.shape = {g.batches, g.out_h, g.out_w, g.out_c};
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const auto& d = ctx.op_data<DepthwiseConv2DOpData>();
  switch (d.variant) {
    case WeightedVariant::kFloat:
      depthwise_conv_2d_float(d.geometry, ctx.input<float>(0), ctx.input<float>(1), ctx.input<float>(2), d.act_min,
                              d.act_max, ctx.output<float>(0));
      return Status::Ok();
    case WeightedVariant::kInt8:
      depthwise_conv_2d_int8(d.int8, ctx.input<int8_t>(0), ctx.input<int8_t>(1), ctx.input<int32_t>(2),
                             ctx.output<int8_t>(0));
      return Status::Ok();
    case WeightedVariant::kHybrid: {
      const HybridWorkspace ws = hybrid_workspace(ctx.scratch, d.geometry.batches, input_batch_size(d.geometry), false);
      depthwise_conv_2d_hybrid(d.hybrid, ctx.input<float>(0), ctx.input<int8_t>(1), ctx.input<float>(2), ws,
                               ctx.output<float>(0));
      return Status::Ok();
    }
  }
  return internal_error("DEPTHWISE_CONV_2D: prepare chose no known variant");
}

}  // namespace

DepthwiseConv2DPrepared reference_depthwise_conv_2d_prepared(const OpData& reference_data) {
  const auto& d = static_cast<const DepthwiseConv2DOpData&>(reference_data);
  DepthwiseConv2DPrepared p;
  p.geometry = d.geometry;
  p.act_min = d.act_min;
  p.act_max = d.act_max;
  if (d.variant == WeightedVariant::kInt8) p.int8 = &d.int8;
  return p;
}

const Kernel& reference_kernel_DepthwiseConv2D() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
