#include "quantlab/kernels/dequantize.h"

#include <memory>
#include <string>
#include <vector>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

template <typename In>
void dequantize_typed(const In* input, float* output, const DequantizeLayout& layout, const float* scales,
                      const int32_t* zero_points) {
  if (layout.channels == 1) {
    for (int64_t i = 0; i < layout.size; ++i) output[i] = dequantize_value(input[i], scales[0], zero_points[0]);
    return;
  }
  for (int64_t i = 0; i < layout.size; ++i) {
    const int64_t c = (i / layout.inner) % layout.channels;
    output[i] = dequantize_value(input[i], scales[c], zero_points[c]);
  }
}

}  // namespace

bool dequantize_values(const void* input, DType input_type, float* output, const DequantizeLayout& layout,
                       const float* scales, const int32_t* zero_points) {
  switch (input_type) {
    case DType::kInt8: dequantize_typed(static_cast<const int8_t*>(input), output, layout, scales, zero_points); return true;
    case DType::kUInt8: dequantize_typed(static_cast<const uint8_t*>(input), output, layout, scales, zero_points); return true;
    case DType::kInt16: dequantize_typed(static_cast<const int16_t*>(input), output, layout, scales, zero_points); return true;
    default: return false;
  }
}

namespace {

struct DequantizeData : OpData {
  DType input_type = DType::kInt8;
  DequantizeLayout layout;
  std::vector<float> scales;
  std::vector<int32_t> zero_points;
};

Status prepare(PrepareContext& ctx) {
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  const bool supported_input =
      input.dtype == DType::kInt8 || input.dtype == DType::kUInt8 || input.dtype == DType::kInt16;
  if (!supported_input || output.dtype != DType::kFloat32) return ctx.unsupported_types();
  const QuantParams& q = *input.quant;
  if (q.scale.empty() || q.scale.size() != q.zero_point.size())
    return ctx.error(std::string("input of type ") + dtype_name(input.dtype) + " has no quantization parameters");

  auto data = std::make_unique<DequantizeData>();
  data->input_type = input.dtype;
  data->layout.size = input.num_elements();
  data->scales = q.scale;
  data->zero_points.assign(q.zero_point.begin(), q.zero_point.end());
  if (q.per_axis()) {
    const int rank = static_cast<int>(input.shape.size());
    if (q.axis < 0 || q.axis >= rank || input.shape[q.axis] != static_cast<int32_t>(q.scale.size()))
      return ctx.error("per-axis quantization with " + std::to_string(q.scale.size()) + " scales on axis " +
                       std::to_string(q.axis) + " does not fit input shape " + shape_to_string(input.shape));
    data->layout.channels = static_cast<int64_t>(q.scale.size());
    for (int d = q.axis + 1; d < rank; ++d) data->layout.inner *= input.shape[d];
  }
  output.shape = input.shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const DequantizeData& data = ctx.op_data<DequantizeData>();
  if (dequantize_values(ctx.input<void>(0), data.input_type, ctx.output<float>(0), data.layout, data.scales.data(),
                        data.zero_points.data()))
    return Status::Ok();
  return internal_error(std::string("DEQUANTIZE: no kernel variant for ") + dtype_name(data.input_type));
}

}  // namespace

const Kernel& reference_kernel_Dequantize() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
