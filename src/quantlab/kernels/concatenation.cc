#include "quantlab/kernels/concatenation.h"

#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {

Result<ConcatPlan> plan_concatenation(const std::vector<Shape>& input_shapes, int axis) {
  if (input_shapes.empty()) return invalid_argument("no inputs");
  const Shape& first = input_shapes[0];
  const int rank = static_cast<int>(first.size());
  const int a = normalize_axis(axis, rank);
  if (a < 0) return invalid_argument("axis " + std::to_string(axis) + " is outside input shape " + shape_to_string(first));
  ConcatPlan plan;
  plan.output_shape = first;
  plan.output_shape[a] = 0;
  for (size_t i = 0; i < input_shapes.size(); ++i) {
    const Shape& s = input_shapes[i];
    bool compatible = static_cast<int>(s.size()) == rank;
    for (int d = 0; compatible && d < rank; ++d) compatible = d == a || s[d] == first[d];
    if (!compatible)
      return invalid_argument("input " + std::to_string(i) + " shape " + shape_to_string(s) +
                              " does not match input 0 shape " + shape_to_string(first) + " outside axis " +
                              std::to_string(a));
    // Each input's dimension is below 2^31, but their sum need not be.
    const int64_t joined = int64_t{plan.output_shape[a]} + s[a];
    if (joined > std::numeric_limits<int32_t>::max())
      return invalid_argument("the inputs' sizes along axis " + std::to_string(a) + " add up past 2^31 - 1 at input " +
                              std::to_string(i) + " shape " + shape_to_string(s));
    plan.output_shape[a] = static_cast<int32_t>(joined);
    int64_t inner = 1;
    for (int d = a; d < rank; ++d) inner *= s[d];
    plan.input_inner.push_back(inner);
    plan.output_inner += inner;
  }
  for (int d = 0; d < a; ++d) plan.outer *= first[d];
  return plan;
}

void concatenate_input(const ConcatPlan& plan, size_t input_index, int64_t column, const void* input, void* output,
                       size_t element_size, const RequantizeParams* requantize, bool is_uint8) {
  const int64_t inner = plan.input_inner[input_index];
  for (int64_t row = 0; row < plan.outer; ++row) {
    const int64_t in_offset = row * inner;
    const int64_t out_offset = row * plan.output_inner + column;
    if (requantize == nullptr) {
      std::memcpy(static_cast<uint8_t*>(output) + out_offset * element_size,
                  static_cast<const uint8_t*>(input) + in_offset * element_size, static_cast<size_t>(inner) * element_size);
    } else if (is_uint8) {
      const auto* in = static_cast<const uint8_t*>(input) + in_offset;
      auto* out = static_cast<uint8_t*>(output) + out_offset;
      for (int64_t i = 0; i < inner; ++i) out[i] = static_cast<uint8_t>(requantize_value(in[i], *requantize));
    } else {
      const auto* in = static_cast<const int8_t*>(input) + in_offset;
      auto* out = static_cast<int8_t*>(output) + out_offset;
      for (int64_t i = 0; i < inner; ++i) out[i] = static_cast<int8_t>(requantize_value(in[i], *requantize));
    }
  }
}

namespace {

struct ConcatData : OpData {
  ConcatPlan plan;
  size_t element_size = 0;
  bool is_uint8 = false;
  // Per input: requantization parameters when its quantization differs
  // from the output's, else none (a plain copy).
  std::vector<std::optional<RequantizeParams>> requantize;
};

Status prepare(PrepareContext& ctx) {
  const ConcatenationOptions& options = ctx.op.opts<ConcatenationOptions>();
  TensorInfo& output = ctx.output(0);
  const size_t element_size = dtype_size(output.dtype);
  if (element_size == 0) return ctx.unsupported_types();
  if (options.activation != Activation::kNone)
    return op_unsupported(ctx, std::string("fused activation ") + activation_name(options.activation) +
                                   " is not supported");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) return ctx.error("input " + std::to_string(i) + " is missing");
    if (ctx.input(i).dtype != output.dtype) return ctx.unsupported_types();
    shapes.push_back(ctx.input(i).shape);
  }
  auto plan = plan_concatenation(shapes, options.axis);
  if (!plan.ok()) return op_context(ctx, plan.status());

  auto data = std::make_unique<ConcatData>();
  data->plan = std::move(plan).value();
  data->element_size = element_size;
  data->is_uint8 = output.dtype == DType::kUInt8;
  data->requantize.resize(ctx.num_inputs());
  const bool quantized_bytes = output.dtype == DType::kInt8 || output.dtype == DType::kUInt8;
  if (quantized_bytes && output.quant->has_scale()) {
    QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, output, "output"));
    const auto [qmin, qmax] = quantized_range(output.dtype);
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const TensorInfo& input = ctx.input(i);
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, input, ("input " + std::to_string(i)).c_str()));
      if (same_per_tensor_quant(input, output)) continue;
      data->requantize[i] = make_requantize_params(input.scale(), input.zero_point(), output.scale(),
                                                   output.zero_point(), qmin, qmax, ctx.options.rounding);
    }
  }
  output.shape = data->plan.output_shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const ConcatData& data = ctx.op_data<ConcatData>();
  int64_t column = 0;
  for (size_t i = 0; i < data.plan.input_inner.size(); ++i) {
    const RequantizeParams* requantize = data.requantize[i] ? &*data.requantize[i] : nullptr;
    concatenate_input(data.plan, i, column, ctx.input<void>(i), ctx.output<void>(0), data.element_size, requantize,
                      data.is_uint8);
    column += data.plan.input_inner[i];
  }
  return Status::Ok();
}

}  // namespace

const Kernel& reference_kernel_Concatenation() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
