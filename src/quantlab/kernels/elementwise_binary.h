// The shared skeleton of the element-wise binary kernels (ADD, MUL): two
// broadcast-compatible inputs of one dtype and a fused clamp activation,
// in float32 or in int8 with per-tensor parameters. Each kernel supplies
// only its arithmetic: the float and int8 loops and the builder of its
// quantized parameters (numerics/quantized_arithmetic.h).
#pragma once

#include <memory>
#include <tuple>

#include "quantlab/kernels/broadcast.h"
#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab::elementwise {

template <typename QuantParams>
struct BinaryData : OpData {
  bool int8 = false;
  BroadcastPlan plan;
  float activation_min = 0.f, activation_max = 0.f;
  QuantParams quantized;
};

// MakeParams(a_scale, a_zero_point, b_scale, b_zero_point, out_scale,
// out_zero_point, act_min, act_max, rounding) -> QuantParams.
template <typename QuantParams, typename MakeParams>
Status prepare_binary(PrepareContext& ctx, Activation activation, MakeParams make_params) {
  const TensorInfo& a = ctx.input(0);
  const TensorInfo& b = ctx.input(1);
  TensorInfo& out = ctx.output(0);
  if (a.dtype != b.dtype || a.dtype != out.dtype) return ctx.unsupported_types();
  QL_RETURN_IF_ERROR(require_clamp_activation(ctx, activation));
  auto plan = plan_broadcast(a.shape, b.shape);
  if (!plan.ok()) return op_context(ctx, plan.status());

  auto data = std::make_unique<BinaryData<QuantParams>>();
  data->plan = std::move(plan).value();
  switch (a.dtype) {
    case DType::kFloat32:
      std::tie(data->activation_min, data->activation_max) = float_activation_range(activation);
      break;
    case DType::kInt8: {
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, a, "input 0"));
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, b, "input 1"));
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, out, "output"));
      data->int8 = true;
      const auto [act_min, act_max] = quantized_activation_range(activation, out.scale(), out.zero_point(), out.dtype);
      data->quantized = make_params(a.scale(), a.zero_point(), b.scale(), b.zero_point(), out.scale(),
                                    out.zero_point(), act_min, act_max, ctx.options.rounding);
      break;
    }
    default:
      return ctx.unsupported_types();
  }
  out.shape = data->plan.output_shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

// FloatLoop(plan, a, b, out, act_min, act_max); Int8Loop(plan, a, b, out, params).
template <typename QuantParams, typename FloatLoop, typename Int8Loop>
Status eval_binary(const EvalContext& ctx, FloatLoop float_loop, Int8Loop int8_loop) {
  const auto& data = ctx.op_data<BinaryData<QuantParams>>();
  if (data.int8) {
    int8_loop(data.plan, ctx.input<int8_t>(0), ctx.input<int8_t>(1), ctx.output<int8_t>(0), data.quantized);
  } else {
    float_loop(data.plan, ctx.input<float>(0), ctx.input<float>(1), ctx.output<float>(0), data.activation_min,
               data.activation_max);
  }
  return Status::Ok();
}

}  // namespace quantlab::elementwise
