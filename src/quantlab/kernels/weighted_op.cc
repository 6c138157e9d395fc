#include "quantlab/kernels/weighted_op.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "quantlab/kernels/window.h"

namespace quantlab {
namespace {

bool valid_scale(float s) { return std::isfinite(s) && s > 0.f; }

}  // namespace

Result<WeightedVariant> classify_weighted_op(const PrepareContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("input and weights are required");
  const DType in = ctx.input(0).dtype, w = ctx.input(1).dtype, out = ctx.tensors[ctx.op.outputs[0]].dtype;
  const bool has_bias = ctx.has_input(2);
  const DType bias = has_bias ? ctx.input(2).dtype : DType::kFloat32;
  if (in == DType::kFloat32 && w == DType::kFloat32 && out == DType::kFloat32 && bias == DType::kFloat32)
    return WeightedVariant::kFloat;
  if (in == DType::kInt8 && w == DType::kInt8 && out == DType::kInt8 && (!has_bias || bias == DType::kInt32))
    return WeightedVariant::kInt8;
  if (in == DType::kFloat32 && w == DType::kInt8 && out == DType::kFloat32 && bias == DType::kFloat32)
    return WeightedVariant::kHybrid;
  return ctx.unsupported_types();
}

Status check_activation_quant(const PrepareContext& ctx, const char* role, const TensorInfo& t) {
  if (t.quant == nullptr || t.quant->scale.size() != 1)
    return ctx.error(std::string(role) + " must have exactly one quantization scale");
  if (!valid_scale(t.scale()))
    return ctx.error(std::string(role) + " scale " + std::to_string(t.scale()) + " must be finite and positive");
  const int32_t zp = t.zero_point();
  if (zp < -128 || zp > 127)
    return ctx.error(std::string(role) + " zero point " + std::to_string(zp) + " is outside [-128, 127]");
  return Status::Ok();
}

Status check_weight_quant(const PrepareContext& ctx, const TensorInfo& w, int axis, int64_t channels,
                          bool allow_per_channel) {
  if (w.quant == nullptr || w.quant->scale.empty()) return ctx.error("int8 weights have no quantization scale");
  const QuantParams& q = *w.quant;
  const int64_t n = static_cast<int64_t>(q.scale.size());
  if (n != 1) {
    if (!allow_per_channel)
      return ctx.error("weights must be quantized per tensor, found " + std::to_string(n) + " scales");
    if (n != channels || q.axis != axis)
      return ctx.error("weights have " + std::to_string(n) + " scales on dimension " + std::to_string(q.axis) +
                       "; expected 1, or " + std::to_string(channels) + " on dimension " + std::to_string(axis));
  }
  for (int64_t c = 0; c < n; ++c)
    if (!valid_scale(q.scale[c]))
      return ctx.error("weight scale " + std::to_string(q.scale[c]) + " (channel " + std::to_string(c) +
                       ") must be finite and positive");
  for (int64_t zp : q.zero_point)
    if (zp != 0) return ctx.error("int8 weights must be symmetric, found zero point " + std::to_string(zp));
  return Status::Ok();
}

Status check_int32_accumulation(const PrepareContext& ctx, int64_t depth, int64_t max_term) {
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  int64_t max_bias = 0;
  if (ctx.has_input(2) && ctx.input(2).dtype == DType::kInt32 && ctx.input(2).constant != nullptr) {
    const auto* bias = reinterpret_cast<const int32_t*>(ctx.input(2).constant);
    for (int64_t i = 0; i < ctx.input(2).num_elements(); ++i)
      max_bias = std::max(max_bias, std::abs(static_cast<int64_t>(bias[i])));
  }
  if (depth > (kInt32Max - max_bias) / max_term)
    return ctx.error("accumulation depth " + std::to_string(depth) + " with bias magnitude up to " +
                     std::to_string(max_bias) + " could overflow the int32 accumulator");
  return Status::Ok();
}

Status check_fused_activation(const PrepareContext& ctx, Activation act) {
  if (act == Activation::kTanh || act == Activation::kSignBit)
    return unsupported(describe_op(ctx.graph, ctx.op_index) + ": fused activation " + activation_name(act) +
                       " is not supported");
  return Status::Ok();
}

Result<Conv2DGeometry> plan_convolution(const PrepareContext& ctx, const Shape& filter, int out_c,
                                        const ConvolutionWindow& o) {
  const Shape& in = ctx.input(0).shape;
  if (o.stride_h < 1 || o.stride_w < 1 || o.dilation_h < 1 || o.dilation_w < 1)
    return ctx.error("strides and dilations must be >= 1");
  if (!window_fits_int(o.padding, in[1], filter[1], o.stride_h, o.dilation_h) ||
      !window_fits_int(o.padding, in[2], filter[2], o.stride_w, o.dilation_w))
    return ctx.error("filter " + shape_to_string(filter) + " with dilation " + std::to_string(o.dilation_h) + "x" +
                     std::to_string(o.dilation_w) + " over input " + shape_to_string(in) +
                     " spans more than 2^31 - 1 positions");
  Conv2DGeometry g;
  g.batches = in[0], g.in_h = in[1], g.in_w = in[2], g.in_c = in[3];
  g.out_c = out_c, g.filter_h = filter[1], g.filter_w = filter[2];
  g.stride_h = o.stride_h, g.stride_w = o.stride_w, g.dilation_h = o.dilation_h, g.dilation_w = o.dilation_w;
  const Window2D win = compute_window(o.padding, g.in_h, g.in_w, g.filter_h, g.filter_w, g.stride_h, g.stride_w,
                                      g.dilation_h, g.dilation_w);
  if (win.out_h <= 0 || win.out_w <= 0)
    return ctx.error("filter " + shape_to_string(filter) + " does not fit input " + shape_to_string(in) +
                     " with VALID padding");
  g.out_h = win.out_h, g.out_w = win.out_w, g.pad_top = win.pad_top, g.pad_left = win.pad_left;
  if (ctx.has_input(2) && ctx.input(2).num_elements() != g.out_c)
    return ctx.error("bias has " + std::to_string(ctx.input(2).num_elements()) + " elements, expected " +
                     std::to_string(g.out_c));
  return g;
}

}  // namespace quantlab
