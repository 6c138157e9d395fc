#include "quantlab/kernels/relu.h"

#include <algorithm>
#include <memory>
#include <tuple>

#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {

void clamp_float(const float* input, float* output, int64_t size, float lower, float upper) {
  for (int64_t i = 0; i < size; ++i) output[i] = std::min(std::max(input[i], lower), upper);
}

void clamp_requantized_int8(const int8_t* input, int8_t* output, int64_t size, const RequantizeParams& params) {
  for (int64_t i = 0; i < size; ++i) output[i] = static_cast<int8_t>(requantize_value(input[i], params));
}

void clamp_requantized_uint8(const uint8_t* input, uint8_t* output, int64_t size, const RequantizeParams& params) {
  for (int64_t i = 0; i < size; ++i) output[i] = static_cast<uint8_t>(requantize_value(input[i], params));
}

namespace {

enum class ClampVariant { kFloat32, kInt8, kUInt8 };

struct ClampData : OpData {
  ClampVariant variant = ClampVariant::kFloat32;
  int64_t size = 0;
  float lower = 0.f, upper = 0.f;
  RequantizeParams quantized;  // output_min/max hold the quantized bounds
};

}  // namespace

Status prepare_clamp_activation(PrepareContext& ctx, Activation act) {
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  if (input.dtype != output.dtype) return ctx.unsupported_types();
  auto data = std::make_unique<ClampData>();
  data->size = input.num_elements();
  switch (input.dtype) {
    case DType::kFloat32:
      data->variant = ClampVariant::kFloat32;
      std::tie(data->lower, data->upper) = float_activation_range(act);
      break;
    case DType::kInt8:
    case DType::kUInt8: {
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, input, "input"));
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, output, "output"));
      data->variant = input.dtype == DType::kInt8 ? ClampVariant::kInt8 : ClampVariant::kUInt8;
      const auto [lower, upper] = quantized_activation_range(act, output.scale(), output.zero_point(), output.dtype);
      data->quantized = make_requantize_params(input.scale(), input.zero_point(), output.scale(),
                                               output.zero_point(), lower, upper, ctx.options.rounding);
      break;
    }
    default:
      return ctx.unsupported_types();
  }
  output.shape = input.shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval_clamp_activation(const EvalContext& ctx) {
  const ClampData& data = ctx.op_data<ClampData>();
  switch (data.variant) {
    case ClampVariant::kFloat32:
      clamp_float(ctx.input<float>(0), ctx.output<float>(0), data.size, data.lower, data.upper);
      return Status::Ok();
    case ClampVariant::kInt8:
      clamp_requantized_int8(ctx.input<int8_t>(0), ctx.output<int8_t>(0), data.size, data.quantized);
      return Status::Ok();
    case ClampVariant::kUInt8:
      clamp_requantized_uint8(ctx.input<uint8_t>(0), ctx.output<uint8_t>(0), data.size, data.quantized);
      return Status::Ok();
  }
  return internal_error("RELU/RELU6: unknown kernel variant");
}

namespace {

Status prepare_relu(PrepareContext& ctx) { return prepare_clamp_activation(ctx, Activation::kRelu); }

}  // namespace

const Kernel& reference_kernel_Relu() {
  static const Kernel kernel{"reference", prepare_relu, eval_clamp_activation};
  return kernel;
}

}  // namespace quantlab
