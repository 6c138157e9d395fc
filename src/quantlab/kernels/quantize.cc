#include "quantlab/kernels/quantize.h"

#include <memory>
#include <string>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

bool is_quantized_integer(DType t) { return t == DType::kInt8 || t == DType::kUInt8 || t == DType::kInt16; }

template <typename Out>
void quantize_typed(const float* input, Out* output, int64_t size, float scale, int32_t zero_point) {
  const auto [qmin, qmax] = quantized_range(DTypeOf<Out>::value);
  for (int64_t i = 0; i < size; ++i) output[i] = static_cast<Out>(quantize_value(input[i], scale, zero_point, qmin, qmax));
}

template <typename In, typename Out>
void requantize_typed(const In* input, Out* output, int64_t size, const RequantizeParams& params) {
  for (int64_t i = 0; i < size; ++i) output[i] = static_cast<Out>(requantize_value(input[i], params));
}

template <typename In>
bool requantize_from(const In* input, void* output, DType output_type, int64_t size, const RequantizeParams& params) {
  switch (output_type) {
    case DType::kInt8: requantize_typed(input, static_cast<int8_t*>(output), size, params); return true;
    case DType::kUInt8: requantize_typed(input, static_cast<uint8_t*>(output), size, params); return true;
    case DType::kInt16: requantize_typed(input, static_cast<int16_t*>(output), size, params); return true;
    default: return false;
  }
}

}  // namespace

bool quantize_floats(const float* input, void* output, DType output_type, int64_t size, float scale,
                     int32_t zero_point) {
  switch (output_type) {
    case DType::kInt8: quantize_typed(input, static_cast<int8_t*>(output), size, scale, zero_point); return true;
    case DType::kUInt8: quantize_typed(input, static_cast<uint8_t*>(output), size, scale, zero_point); return true;
    case DType::kInt16: quantize_typed(input, static_cast<int16_t*>(output), size, scale, zero_point); return true;
    default: return false;
  }
}

bool requantize_integers(const void* input, DType input_type, void* output, DType output_type, int64_t size,
                         const RequantizeParams& params) {
  switch (input_type) {
    case DType::kInt8: return requantize_from(static_cast<const int8_t*>(input), output, output_type, size, params);
    case DType::kUInt8: return requantize_from(static_cast<const uint8_t*>(input), output, output_type, size, params);
    case DType::kInt16: return requantize_from(static_cast<const int16_t*>(input), output, output_type, size, params);
    default: return false;
  }
}

namespace {

enum class QuantizeVariant { kFromFloat, kRequantize };

struct QuantizeData : OpData {
  QuantizeVariant variant = QuantizeVariant::kFromFloat;
  DType input_type = DType::kFloat32, output_type = DType::kInt8;
  int64_t size = 0;
  float scale = 1.f;
  int32_t zero_point = 0;
  RequantizeParams requantize;
};

Status prepare(PrepareContext& ctx) {
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  if (!is_quantized_integer(output.dtype)) return ctx.unsupported_types();
  QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, output, "output"));
  auto data = std::make_unique<QuantizeData>();
  data->input_type = input.dtype;
  data->output_type = output.dtype;
  data->size = input.num_elements();
  if (input.dtype == DType::kFloat32) {
    data->variant = QuantizeVariant::kFromFloat;
    data->scale = output.scale();
    data->zero_point = output.zero_point();
  } else if (is_quantized_integer(input.dtype)) {
    QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, input, "input"));
    data->variant = QuantizeVariant::kRequantize;
    const auto [qmin, qmax] = quantized_range(output.dtype);
    data->requantize = make_requantize_params(input.scale(), input.zero_point(), output.scale(), output.zero_point(),
                                              qmin, qmax, ctx.options.rounding);
  } else {
    return ctx.unsupported_types();
  }
  output.shape = input.shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const QuantizeData& data = ctx.op_data<QuantizeData>();
  switch (data.variant) {
    case QuantizeVariant::kFromFloat:
      if (quantize_floats(ctx.input<float>(0), ctx.output<void>(0), data.output_type, data.size, data.scale,
                          data.zero_point))
        return Status::Ok();
      break;
    case QuantizeVariant::kRequantize:
      if (requantize_integers(ctx.input<void>(0), data.input_type, ctx.output<void>(0), data.output_type, data.size,
                              data.requantize))
        return Status::Ok();
      break;
  }
  return internal_error(std::string("QUANTIZE: no kernel variant for ") + dtype_name(data.input_type) + " -> " +
                        dtype_name(data.output_type));
}

}  // namespace

const Kernel& reference_kernel_Quantize() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
