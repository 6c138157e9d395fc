#include "quantlab/kernels/prepare_checks.h"

#include <cstring>
#include <limits>
#include <string>

namespace quantlab {

Status op_unsupported(const PrepareContext& ctx, const std::string& message) {
  return unsupported(describe_op(ctx.graph, ctx.op_index) + ": " + message);
}

Status op_context(const PrepareContext& ctx, const Status& status) {
  return status.with_context(describe_op(ctx.graph, ctx.op_index));
}

Status require_per_tensor_quant(const PrepareContext& ctx, const TensorInfo& t, const char* role) {
  if (t.quant == nullptr || t.quant->scale.size() != 1 || t.quant->zero_point.size() != 1)
    return ctx.error(std::string(role) + " of type " + dtype_name(t.dtype) +
                     " needs per-tensor quantization (one scale and zero point); it has " +
                     std::to_string(t.quant ? t.quant->scale.size() : 0) + " scales");
  return Status::Ok();
}

bool same_per_tensor_quant(const TensorInfo& a, const TensorInfo& b) {
  return a.scale() == b.scale() && a.zero_point() == b.zero_point();
}

Status require_same_quant(const PrepareContext& ctx, const TensorInfo& input, const TensorInfo& output) {
  QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, input, "input"));
  QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, output, "output"));
  if (!same_per_tensor_quant(input, output))
    return ctx.error("input and output quantization must match (input scale " + std::to_string(input.scale()) +
                     " zero point " + std::to_string(input.zero_point()) + ", output scale " +
                     std::to_string(output.scale()) + " zero point " + std::to_string(output.zero_point()) + ")");
  return Status::Ok();
}

Status require_clamp_activation(const PrepareContext& ctx, Activation act) {
  switch (act) {
    case Activation::kNone:
    case Activation::kRelu:
    case Activation::kReluN1To1:
    case Activation::kRelu6:
      return Status::Ok();
    case Activation::kTanh:
    case Activation::kSignBit:
      break;
  }
  return op_unsupported(ctx, std::string("fused activation ") + activation_name(act) + " is not supported");
}

Result<std::vector<int32_t>> read_constant_indices(const PrepareContext& ctx, size_t index, const char* role,
                                                   int max_rank) {
  if (!ctx.has_input(index)) return ctx.error(std::string(role) + " input is missing");
  const TensorInfo& t = ctx.input(index);
  if (t.constant == nullptr)
    return op_unsupported(ctx, std::string(role) + " must be a constant tensor");
  if (static_cast<int>(t.shape.size()) > max_rank)
    return ctx.error(std::string(role) + " has shape " + shape_to_string(t.shape) + "; expected rank <= " +
                     std::to_string(max_rank));
  const int64_t n = t.num_elements();
  std::vector<int32_t> values(static_cast<size_t>(n));
  if (t.dtype == DType::kInt32) {
    std::memcpy(values.data(), t.constant, static_cast<size_t>(n) * sizeof(int32_t));
  } else if (t.dtype == DType::kInt64) {
    for (int64_t i = 0; i < n; ++i) {
      int64_t v;
      std::memcpy(&v, t.constant + i * sizeof(int64_t), sizeof(v));
      if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        return ctx.error(std::string(role) + " value " + std::to_string(v) + " does not fit in int32");
      values[static_cast<size_t>(i)] = static_cast<int32_t>(v);
    }
  } else {
    return ctx.error(std::string(role) + " must be INT32 or INT64, not " + dtype_name(t.dtype));
  }
  return values;
}

}  // namespace quantlab
