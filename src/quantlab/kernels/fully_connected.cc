#include "quantlab/kernels/fully_connected.h"

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/weighted_op.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

// Sum of w * (x + input_offset) over one row; for int8, prepare bounds the
// depth (and bias) so that the int32 sum cannot overflow.
template <typename T, typename Acc>
Acc dot(const T* x, Acc input_offset, const T* w, int depth) {
  Acc acc = 0;
  for (int d = 0; d < depth; ++d) acc += (static_cast<Acc>(x[d]) + input_offset) * static_cast<Acc>(w[d]);
  return acc;
}

}  // namespace

void fully_connected_float(const FullyConnectedShape& s, const float* input, const float* weights, const float* bias,
                           float act_min, float act_max, float* output) {
  for (int64_t r = 0; r < s.rows; ++r)
    for (int c = 0; c < s.out; ++c) {
      float acc = dot<float, float>(input + r * s.in, 0.f, weights + static_cast<int64_t>(c) * s.in, s.in);
      if (bias != nullptr) acc += bias[c];
      *output++ = std::min(std::max(acc, act_min), act_max);
    }
}

void fully_connected_int8(const FullyConnectedInt8Params& p, const int8_t* input, const int8_t* weights,
                          const int32_t* bias, int8_t* output) {
  const FullyConnectedShape& s = p.shape;
  for (int64_t r = 0; r < s.rows; ++r)
    for (int c = 0; c < s.out; ++c) {
      int32_t acc =
          dot<int8_t, int32_t>(input + r * s.in, -p.input_zero_point, weights + static_cast<int64_t>(c) * s.in, s.in);
      if (bias != nullptr) acc += bias[c];
      acc = add_zero_point_wrapping(multiply_by_quantized_multiplier(acc, p.channel_multipliers[c], p.rounding),
                                    p.output_zero_point);
      *output++ = static_cast<int8_t>(std::min(std::max(acc, p.act_min), p.act_max));
    }
}

void fully_connected_hybrid(const FullyConnectedHybridParams& p, const float* input, const int8_t* weights,
                            const float* bias, const HybridWorkspace& ws, float* output) {
  const FullyConnectedShape& s = p.shape;
  quantize_rows(input, s.rows, s.in, p.asymmetric_inputs, ws);
  for (int64_t r = 0; r < s.rows; ++r)
    for (int c = 0; c < s.out; ++c) {
      int32_t acc = dot<int8_t, int32_t>(ws.values + r * s.in, 0, weights + static_cast<int64_t>(c) * s.in, s.in);
      // sum w * (q - zp) = sum w * q - zp * sum w; symmetric rows have zp 0.
      if (p.asymmetric_inputs) acc -= ws.zero_points[r] * p.weight_row_sums[c];
      float v = static_cast<float>(acc) * (ws.scales[r] * p.channel_scales[c]);
      if (bias != nullptr) v += bias[c];
      *output++ = std::min(std::max(v, p.act_min), p.act_max);
    }
}

namespace {

struct FullyConnectedOpData : OpData {
  WeightedVariant variant = WeightedVariant::kFloat;
  FullyConnectedShape shape;
  float act_min = 0.f, act_max = 0.f;
  FullyConnectedInt8Params int8;      // points into `multipliers`
  FullyConnectedHybridParams hybrid;  // points into `weight_scales`, `row_sums`
  std::vector<QuantizedMultiplier> multipliers;
  std::vector<float> weight_scales;
  std::vector<int32_t> row_sums;
};

// Checks shapes and returns the flattened view plus the output shape: the
// input's shape with its last dimension replaced (keep_num_dims) or [rows, out].
Result<FullyConnectedShape> compute_shape(const PrepareContext& ctx, bool keep_num_dims, Shape* output_shape) {
  const Shape& in = ctx.input(0).shape;
  const Shape& w = ctx.input(1).shape;
  if (w.size() != 2 || w[0] <= 0 || w[1] <= 0)
    return ctx.error("weights must be a non-empty 2-D [out, in] matrix, got " + shape_to_string(w));
  if (in.empty()) return ctx.error("input must have at least one dimension");
  FullyConnectedShape s;
  s.out = w[0];
  s.in = w[1];
  const int64_t n = ctx.input(0).num_elements();
  if (n % s.in != 0)
    return ctx.error("input " + shape_to_string(in) + " does not split into rows of " + std::to_string(s.in));
  s.rows = n / s.in;
  if (keep_num_dims) {
    if (in.back() != s.in)
      return ctx.error("with keep_num_dims the input's last dimension must be " + std::to_string(s.in) + ", got " +
                       shape_to_string(in));
    *output_shape = in;
    output_shape->back() = s.out;
  } else {
    *output_shape = {static_cast<int32_t>(s.rows), s.out};
  }
  if (ctx.has_input(2) && ctx.input(2).num_elements() != s.out)
    return ctx.error("bias has " + std::to_string(ctx.input(2).num_elements()) + " elements, expected " +
                     std::to_string(s.out));
  return s;
}

Status prepare(PrepareContext& ctx) {
  const auto& o = ctx.op.opts<FullyConnectedOptions>();
  QL_ASSIGN_OR_RETURN(const WeightedVariant variant, classify_weighted_op(ctx));
  Shape output_shape;
  QL_ASSIGN_OR_RETURN(const FullyConnectedShape s, compute_shape(ctx, o.keep_num_dims, &output_shape));
  QL_RETURN_IF_ERROR(check_fused_activation(ctx, o.activation));
  auto data = std::make_unique<FullyConnectedOpData>();
  data->variant = variant;
  data->shape = s;
  std::tie(data->act_min, data->act_max) = float_activation_range(o.activation);
  const TensorInfo& input = ctx.input(0);
  const TensorInfo& weights = ctx.input(1);
  TensorInfo& output = ctx.output(0);
  if (variant == WeightedVariant::kInt8) {
    QL_RETURN_IF_ERROR(check_activation_quant(ctx, "input", input));
    QL_RETURN_IF_ERROR(check_activation_quant(ctx, "output", output));
    QL_RETURN_IF_ERROR(check_weight_quant(ctx, weights, 0, s.out, true));
    QL_RETURN_IF_ERROR(check_int32_accumulation(ctx, s.in, kMaxInt8WeightTerm));
    // TFLite forms the per-tensor product in float but per-channel ones in
    // double; following it keeps every Q31 multiplier bit-identical.
    const bool per_channel = weights.quant->per_axis();
    for (float ws : channel_scales(*weights.quant, s.out))
      data->multipliers.push_back(quantize_multiplier(
          per_channel ? real_multiplier_double_product(input.scale(), ws, output.scale())
                      : real_multiplier_float_product(input.scale(), ws, output.scale())));
    FullyConnectedInt8Params& p = data->int8;
    p.shape = s;
    p.input_zero_point = input.zero_point();
    p.output_zero_point = output.zero_point();
    p.channel_multipliers = data->multipliers.data();
    std::tie(p.act_min, p.act_max) =
        quantized_activation_range(o.activation, output.scale(), output.zero_point(), DType::kInt8);
    p.rounding = ctx.options.rounding;
  } else if (variant == WeightedVariant::kHybrid) {
    if (weights.constant == nullptr) return ctx.error("hybrid arithmetic needs constant int8 weights");
    QL_RETURN_IF_ERROR(check_weight_quant(ctx, weights, 0, s.out, true));
    QL_RETURN_IF_ERROR(check_int32_accumulation(ctx, s.in, kMaxInt8WeightTerm));
    data->weight_scales = channel_scales(*weights.quant, s.out);
    if (o.asymmetric_quantize_inputs)
      data->row_sums = weight_row_sums(reinterpret_cast<const int8_t*>(weights.constant), s.out, s.in);
    FullyConnectedHybridParams& p = data->hybrid;
    p.shape = s;
    p.channel_scales = data->weight_scales.data();
    p.asymmetric_inputs = o.asymmetric_quantize_inputs;
    p.weight_row_sums = data->row_sums.data();
    p.act_min = data->act_min;
    p.act_max = data->act_max;
    ctx.scratch_bytes = hybrid_workspace_bytes(s.rows, s.in, false);
  }
  output.shape = output_shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const auto& d = ctx.op_data<FullyConnectedOpData>();
  switch (d.variant) {
    case WeightedVariant::kFloat:
      fully_connected_float(d.shape, ctx.input<float>(0), ctx.input<float>(1), ctx.input<float>(2), d.act_min,
                            d.act_max, ctx.output<float>(0));
      return Status::Ok();
    case WeightedVariant::kInt8:
      fully_connected_int8(d.int8, ctx.input<int8_t>(0), ctx.input<int8_t>(1), ctx.input<int32_t>(2),
                           ctx.output<int8_t>(0));
      return Status::Ok();
    case WeightedVariant::kHybrid: {
      const HybridWorkspace ws = hybrid_workspace(ctx.scratch, d.shape.rows, d.shape.in, false);
      fully_connected_hybrid(d.hybrid, ctx.input<float>(0), ctx.input<int8_t>(1), ctx.input<float>(2), ws,
                             ctx.output<float>(0));
      return Status::Ok();
    }
  }
  return internal_error("FULLY_CONNECTED: prepare chose no known variant");
}

}  // namespace

FullyConnectedPrepared reference_fully_connected_prepared(const OpData& reference_data) {
  const auto& d = static_cast<const FullyConnectedOpData&>(reference_data);
  FullyConnectedPrepared p;
  p.shape = d.shape;
  p.act_min = d.act_min;
  p.act_max = d.act_max;
  if (d.variant == WeightedVariant::kInt8) p.int8 = &d.int8;
  return p;
}

const Kernel& reference_kernel_FullyConnected() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
