#include "quantlab/kernels/conv_2d.h"

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

// Sum of filter * (input + input_offset) over the taps of one output position
// that fall inside the input; taps in the padding contribute nothing, which
// is real zero in every variant. For int8, prepare bounds the window size
// (and bias) so that the int32 sum cannot overflow.
template <typename T, typename Acc>
Acc window_sum(const Conv2DGeometry& g, const T* input_batch, Acc input_offset, const T* filter_channel, int out_y,
               int out_x) {
  Acc acc = 0;
  const int y0 = out_y * g.stride_h - g.pad_top;
  const int x0 = out_x * g.stride_w - g.pad_left;
  for (int fy = 0; fy < g.filter_h; ++fy) {
    const int y = y0 + fy * g.dilation_h;
    if (y < 0 || y >= g.in_h) continue;
    for (int fx = 0; fx < g.filter_w; ++fx) {
      const int x = x0 + fx * g.dilation_w;
      if (x < 0 || x >= g.in_w) continue;
      const T* in = input_batch + (static_cast<int64_t>(y) * g.in_w + x) * g.in_c;
      const T* w = filter_channel + (static_cast<int64_t>(fy) * g.filter_w + fx) * g.in_c;
      for (int c = 0; c < g.in_c; ++c) acc += (static_cast<Acc>(in[c]) + input_offset) * static_cast<Acc>(w[c]);
    }
  }
  return acc;
}

int64_t input_batch_size(const Conv2DGeometry& g) { return static_cast<int64_t>(g.in_h) * g.in_w * g.in_c; }
int64_t filter_channel_size(const Conv2DGeometry& g) { return static_cast<int64_t>(g.filter_h) * g.filter_w * g.in_c; }

}  // namespace

void conv_2d_float(const Conv2DGeometry& g, const float* input, const float* filter, const float* bias,
                   float act_min, float act_max, float* output) {
  for (int b = 0; b < g.batches; ++b)
    for (int y = 0; y < g.out_h; ++y)
      for (int x = 0; x < g.out_w; ++x)
        for (int oc = 0; oc < g.out_c; ++oc) {
          float acc = window_sum<float, float>(g, input + b * input_batch_size(g), 0.f,
                                               filter + oc * filter_channel_size(g), y, x);
          if (bias != nullptr) acc += bias[oc];
          *output++ = std::min(std::max(acc, act_min), act_max);
        }
}

void conv_2d_int8(const Conv2DInt8Params& p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                  int8_t* output) {
  const Conv2DGeometry& g = p.geometry;
  for (int b = 0; b < g.batches; ++b)
    for (int y = 0; y < g.out_h; ++y)
      for (int x = 0; x < g.out_w; ++x)
        for (int oc = 0; oc < g.out_c; ++oc) {
          int32_t acc = window_sum<int8_t, int32_t>(g, input + b * input_batch_size(g), -p.input_zero_point,
                                                    filter + oc * filter_channel_size(g), y, x);
          if (bias != nullptr) acc += bias[oc];
          acc = add_zero_point_wrapping(multiply_by_quantized_multiplier(acc, p.channel_multipliers[oc], p.rounding),
                                       p.output_zero_point);
          *output++ = static_cast<int8_t>(std::min(std::max(acc, p.act_min), p.act_max));
        }
}

void conv_2d_hybrid(const Conv2DHybridParams& p, const float* input, const int8_t* filter, const float* bias,
                    const HybridWorkspace& ws, float* output) {
  const Conv2DGeometry& g = p.geometry;
  quantize_rows(input, g.batches, input_batch_size(g), /*asymmetric=*/true, ws);
  for (int b = 0; b < g.batches; ++b)
    for (int y = 0; y < g.out_h; ++y)
      for (int x = 0; x < g.out_w; ++x)
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int8_t* quantized = ws.values + b * input_batch_size(g);
          const int32_t acc = window_sum<int8_t, int32_t>(g, quantized, -ws.zero_points[b],
                                                          filter + oc * filter_channel_size(g), y, x);
          float v = static_cast<float>(acc) * (ws.scales[b] * p.channel_scales[oc]);
          if (bias != nullptr) v += bias[oc];
          *output++ = std::min(std::max(v, p.act_min), p.act_max);
        }
}

namespace {

struct Conv2DOpData : OpData {
  WeightedVariant variant = WeightedVariant::kFloat;
  Conv2DGeometry geometry;
  float act_min = 0.f, act_max = 0.f;         // float and hybrid
  Conv2DInt8Params int8;                      // points into `multipliers`
  Conv2DHybridParams hybrid;                  // points into `weight_scales`
  std::vector<QuantizedMultiplier> multipliers;
  std::vector<float> weight_scales;
};

Result<Conv2DGeometry> compute_geometry(const PrepareContext& ctx, const Conv2DOptions& o) {
  const Shape& in = ctx.input(0).shape;
  const Shape& w = ctx.input(1).shape;
  if (in.size() != 4) return ctx.error("input must be 4-D NHWC, got " + shape_to_string(in));
  if (w.size() != 4) return ctx.error("filter must be 4-D OHWI, got " + shape_to_string(w));
  if (w[3] != in[3])
    return ctx.error("filter input depth " + std::to_string(w[3]) + " differs from input channels " +
                     std::to_string(in[3]) + " (grouped convolution is not supported)");
  return plan_convolution(ctx, w, w[0], {o.padding, o.stride_h, o.stride_w, o.dilation_h, o.dilation_w});
}

Status prepare(PrepareContext& ctx) {
  const auto& o = ctx.op.opts<Conv2DOptions>();
  QL_ASSIGN_OR_RETURN(const WeightedVariant variant, classify_weighted_op(ctx));
  QL_ASSIGN_OR_RETURN(const Conv2DGeometry g, compute_geometry(ctx, o));
  QL_RETURN_IF_ERROR(check_fused_activation(ctx, o.activation));
  auto data = std::make_unique<Conv2DOpData>();
  data->variant = variant;
  data->geometry = g;
  std::tie(data->act_min, data->act_max) = float_activation_range(o.activation);
  const TensorInfo& input = ctx.input(0);
  const TensorInfo& filter = ctx.input(1);
  TensorInfo& output = ctx.output(0);
  if (variant == WeightedVariant::kInt8) {
    QL_RETURN_IF_ERROR(check_activation_quant(ctx, "input", input));
    QL_RETURN_IF_ERROR(check_activation_quant(ctx, "output", output));
    QL_RETURN_IF_ERROR(check_weight_quant(ctx, filter, 0, g.out_c, true));
    QL_RETURN_IF_ERROR(check_int32_accumulation(ctx, filter_channel_size(g), kMaxInt8WeightTerm));
    for (float s : channel_scales(*filter.quant, g.out_c))
      data->multipliers.push_back(
          quantize_multiplier(real_multiplier_double_product(input.scale(), s, output.scale())));
    Conv2DInt8Params& p = data->int8;
    p.geometry = g;
    p.input_zero_point = input.zero_point();
    p.output_zero_point = output.zero_point();
    p.channel_multipliers = data->multipliers.data();
    std::tie(p.act_min, p.act_max) =
        quantized_activation_range(o.activation, output.scale(), output.zero_point(), DType::kInt8);
    p.rounding = ctx.options.rounding;
  } else if (variant == WeightedVariant::kHybrid) {
    if (filter.constant == nullptr) return ctx.error("hybrid arithmetic needs constant int8 weights");
    QL_RETURN_IF_ERROR(check_weight_quant(ctx, filter, 0, g.out_c, true));
    QL_RETURN_IF_ERROR(check_int32_accumulation(ctx, filter_channel_size(g), kMaxInt8WeightTerm));
    data->weight_scales = channel_scales(*filter.quant, g.out_c);
    data->hybrid = Conv2DHybridParams{g, data->weight_scales.data(), data->act_min, data->act_max};
    ctx.scratch_bytes = hybrid_workspace_bytes(g.batches, input_batch_size(g), false);
  }
  output.shape = {g.batches, g.out_h, g.out_w, g.out_c};
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const auto& d = ctx.op_data<Conv2DOpData>();
  switch (d.variant) {
    case WeightedVariant::kFloat:
      conv_2d_float(d.geometry, ctx.input<float>(0), ctx.input<float>(1), ctx.input<float>(2), d.act_min, d.act_max,
                    ctx.output<float>(0));
      return Status::Ok();
    case WeightedVariant::kInt8:
      conv_2d_int8(d.int8, ctx.input<int8_t>(0), ctx.input<int8_t>(1), ctx.input<int32_t>(2), ctx.output<int8_t>(0));
      return Status::Ok();
    case WeightedVariant::kHybrid: {
      const HybridWorkspace ws = hybrid_workspace(ctx.scratch, d.geometry.batches, input_batch_size(d.geometry), false);
      conv_2d_hybrid(d.hybrid, ctx.input<float>(0), ctx.input<int8_t>(1), ctx.input<float>(2), ws,
                     ctx.output<float>(0));
      return Status::Ok();
    }
  }
  return internal_error("CONV_2D: prepare chose no known variant");
}

}  // namespace

Conv2DPrepared reference_conv_2d_prepared(const OpData& reference_data) {
  const auto& d = static_cast<const Conv2DOpData&>(reference_data);
  Conv2DPrepared p;
  p.geometry = d.geometry;
  p.act_min = d.act_min;
  p.act_max = d.act_max;
  if (d.variant == WeightedVariant::kInt8) p.int8 = &d.int8;
  return p;
}

const Kernel& reference_kernel_Conv2D() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
