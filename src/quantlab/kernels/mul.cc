#include "quantlab/kernels/mul.h"

#include <algorithm>
#include <memory>
#include <tuple>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {

void mul_float(const BroadcastPlan& plan, const float* a, const float* b, float* out, float activation_min,
               float activation_max) {
  for_each_broadcast(plan, [&](int64_t o, int64_t ia, int64_t ib) {
    out[o] = std::min(std::max(a[ia] * b[ib], activation_min), activation_max);
  });
}

void mul_int8(const BroadcastPlan& plan, const int8_t* a, const int8_t* b, int8_t* out,
              const QuantizedMulParams& params) {
  for_each_broadcast(plan, [&](int64_t o, int64_t ia, int64_t ib) {
    out[o] = static_cast<int8_t>(quantized_mul(a[ia], b[ib], params));
  });
}

namespace {

enum class MulVariant { kFloat32, kInt8 };

struct MulData : OpData {
  MulVariant variant = MulVariant::kFloat32;
  BroadcastPlan plan;
  float activation_min = 0.f, activation_max = 0.f;
  QuantizedMulParams quantized;
};

Status prepare(PrepareContext& ctx) {
  const MulOptions& options = ctx.op.opts<MulOptions>();
  const TensorInfo& a = ctx.input(0);
  const TensorInfo& b = ctx.input(1);
  TensorInfo& out = ctx.output(0);
  if (a.dtype != b.dtype || a.dtype != out.dtype) return ctx.unsupported_types();
  QL_RETURN_IF_ERROR(require_clamp_activation(ctx, options.activation));
  auto plan = plan_broadcast(a.shape, b.shape);
  if (!plan.ok()) return op_context(ctx, plan.status());

  auto data = std::make_unique<MulData>();
  data->plan = std::move(plan).value();
  switch (a.dtype) {
    case DType::kFloat32:
      data->variant = MulVariant::kFloat32;
      std::tie(data->activation_min, data->activation_max) = float_activation_range(options.activation);
      break;
    case DType::kInt8: {
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, a, "input 0"));
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, b, "input 1"));
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, out, "output"));
      data->variant = MulVariant::kInt8;
      const auto [act_min, act_max] =
          quantized_activation_range(options.activation, out.scale(), out.zero_point(), out.dtype);
      data->quantized = make_quantized_mul_params(a.scale(), a.zero_point(), b.scale(), b.zero_point(), out.scale(),
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

Status eval(const EvalContext& ctx) {
  const MulData& data = ctx.op_data<MulData>();
  switch (data.variant) {
    case MulVariant::kFloat32:
      mul_float(data.plan, ctx.input<float>(0), ctx.input<float>(1), ctx.output<float>(0), data.activation_min,
                data.activation_max);
      return Status::Ok();
    case MulVariant::kInt8:
      mul_int8(data.plan, ctx.input<int8_t>(0), ctx.input<int8_t>(1), ctx.output<int8_t>(0), data.quantized);
      return Status::Ok();
  }
  return internal_error("MUL: unknown kernel variant");
}

}  // namespace

const Kernel& reference_kernel_Mul() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
