#include "quantlab/kernels/pad.h"

#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"

namespace quantlab {

Result<PadPlan> plan_pad(const Shape& input_shape, const std::vector<int32_t>& paddings) {
  const int rank = static_cast<int>(input_shape.size());
  if (rank > kMaxKernelRank)
    return unsupported("input rank " + std::to_string(rank) + " exceeds " + std::to_string(kMaxKernelRank));
  if (static_cast<int>(paddings.size()) != 2 * rank)
    return invalid_argument("paddings hold " + std::to_string(paddings.size()) + " values; input shape " +
                            shape_to_string(input_shape) + " needs " + std::to_string(2 * rank));
  PadPlan plan;
  plan.rank = rank;
  plan.input_shape = input_shape;
  for (int d = 0; d < rank; ++d) {
    const int32_t before = paddings[2 * d], after = paddings[2 * d + 1];
    if (before < 0 || after < 0)
      return invalid_argument("negative padding (" + std::to_string(before) + ", " + std::to_string(after) +
                              ") for dimension " + std::to_string(d));
    // Each term is below 2^31, so the sum is exact in int64; a padded
    // dimension must still be a valid int32 dimension.
    const int64_t padded = int64_t{input_shape[d]} + before + after;
    if (padded > std::numeric_limits<int32_t>::max())
      return invalid_argument("padding (" + std::to_string(before) + ", " + std::to_string(after) + ") of dimension " +
                              std::to_string(d) + " (" + std::to_string(input_shape[d]) + ") gives " +
                              std::to_string(padded) + ", beyond 2^31 - 1");
    plan.before[d] = before;
    plan.output_shape.push_back(static_cast<int32_t>(padded));
  }
  return plan;
}

void pad_elements(const PadPlan& plan, const void* input, void* output, size_t element_size, const void* pad_value) {
  auto* out = static_cast<uint8_t*>(output);
  const auto* in = static_cast<const uint8_t*>(input);
  const int64_t out_count = num_elements(plan.output_shape);
  for (int64_t i = 0; i < out_count; ++i) std::memcpy(out + i * element_size, pad_value, element_size);
  if (num_elements(plan.input_shape) == 0) return;
  if (plan.rank == 0) {
    std::memcpy(out, in, element_size);
    return;
  }
  std::array<int64_t, kMaxKernelRank> out_strides{};
  int64_t stride = 1;
  for (int d = plan.rank - 1; d >= 0; --d) {
    out_strides[d] = stride;
    stride *= plan.output_shape[d];
  }
  // Each innermost input row lands contiguously in the output; an odometer
  // over the outer input dimensions finds where.
  const int last = plan.rank - 1;
  const size_t row_bytes = static_cast<size_t>(plan.input_shape[last]) * element_size;
  std::array<int32_t, kMaxKernelRank> index{};
  int64_t in_offset = 0;
  while (true) {
    int64_t out_offset = plan.before[last];
    for (int d = 0; d < last; ++d) out_offset += (index[d] + plan.before[d]) * out_strides[d];
    std::memcpy(out + out_offset * element_size, in + in_offset * element_size, row_bytes);
    in_offset += plan.input_shape[last];
    int d = last - 1;
    for (; d >= 0; --d) {
      if (++index[d] < plan.input_shape[d]) break;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

namespace {

struct PadData : OpData {
  PadPlan plan;
  size_t element_size = 0;
  std::array<uint8_t, 8> pad_value{};  // one element's bytes
};

template <typename T>
void store_value(std::array<uint8_t, 8>& bytes, int32_t value) {
  const T v = static_cast<T>(value);
  std::memcpy(bytes.data(), &v, sizeof(T));
}

// The bytes of one pad element: zero, or the quantized zero point (the
// quantized value of real 0).
Status pad_value_bytes(const PrepareContext& ctx, const TensorInfo& output, std::array<uint8_t, 8>& bytes) {
  bytes.fill(0);
  const bool quantized = output.quant != nullptr && output.quant->has_scale();
  if (!quantized || output.zero_point() == 0) return Status::Ok();
  QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, output, "output"));
  switch (output.dtype) {
    case DType::kInt8: store_value<int8_t>(bytes, output.zero_point()); return Status::Ok();
    case DType::kUInt8: store_value<uint8_t>(bytes, output.zero_point()); return Status::Ok();
    case DType::kInt16: store_value<int16_t>(bytes, output.zero_point()); return Status::Ok();
    case DType::kInt32: store_value<int32_t>(bytes, output.zero_point()); return Status::Ok();
    default:
      return ctx.error("zero point " + std::to_string(output.zero_point()) + " on a " + dtype_name(output.dtype) +
                       " output is not supported");
  }
}

Status prepare(PrepareContext& ctx) {
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  const size_t element_size = dtype_size(input.dtype);
  if (input.dtype != output.dtype || element_size == 0 || element_size > 8) return ctx.unsupported_types();
  QL_ASSIGN_OR_RETURN(std::vector<int32_t> paddings, read_constant_indices(ctx, 1, "paddings", 2));
  auto plan = plan_pad(input.shape, paddings);
  if (!plan.ok()) return op_context(ctx, plan.status());
  auto data = std::make_unique<PadData>();
  data->plan = std::move(plan).value();
  data->element_size = element_size;
  QL_RETURN_IF_ERROR(pad_value_bytes(ctx, output, data->pad_value));
  output.shape = data->plan.output_shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const PadData& data = ctx.op_data<PadData>();
  pad_elements(data.plan, ctx.input<void>(0), ctx.output<void>(0), data.element_size, data.pad_value.data());
  return Status::Ok();
}

}  // namespace

const Kernel& reference_kernel_Pad() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
