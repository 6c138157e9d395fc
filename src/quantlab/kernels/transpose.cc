#include "quantlab/kernels/transpose.h"

#include <memory>
#include <string>

#include "quantlab/kernels/kernel.h"

namespace quantlab {

Result<TransposePlan> plan_transpose(const Shape& input_shape, const std::vector<int32_t>& perm) {
  const int rank = static_cast<int>(input_shape.size());
  if (rank > kMaxKernelRank)
    return unsupported("input rank " + std::to_string(rank) + " exceeds " + std::to_string(kMaxKernelRank));
  if (static_cast<int>(perm.size()) != rank)
    return invalid_argument("permutation has " + std::to_string(perm.size()) + " entries for input shape " +
                            shape_to_string(input_shape));
  std::array<int64_t, kMaxKernelRank> strides{};
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= input_shape[d];
  }
  TransposePlan plan;
  plan.rank = rank;
  std::array<bool, kMaxKernelRank> used{};
  for (int i = 0; i < rank; ++i) {
    const int d = normalize_axis(perm[i], rank);
    if (d < 0 || used[d])
      return invalid_argument("perm entry " + std::to_string(perm[i]) + " at position " + std::to_string(i) +
                              " does not make a permutation of " + std::to_string(rank) + " dimensions");
    used[d] = true;
    plan.output_shape.push_back(input_shape[d]);
    plan.input_strides[i] = strides[d];
  }
  plan.num_elements = num_elements(input_shape);
  return plan;
}

namespace {

template <typename T>
void transpose_typed(const TransposePlan& plan, const T* input, T* output) {
  if (plan.num_elements == 0) return;
  if (plan.rank == 0) {
    output[0] = input[0];
    return;
  }
  // Walk the output in order with an odometer, following the input offset.
  std::array<int32_t, kMaxKernelRank> index{};
  const int last = plan.rank - 1;
  const int32_t inner = plan.output_shape[last];
  const int64_t inner_stride = plan.input_strides[last];
  int64_t out = 0, in = 0;
  while (true) {
    for (int32_t i = 0; i < inner; ++i) output[out++] = input[in + i * inner_stride];
    int d = last - 1;
    for (; d >= 0; --d) {
      in += plan.input_strides[d];
      if (++index[d] < plan.output_shape[d]) break;
      in -= plan.input_strides[d] * plan.output_shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

}  // namespace

bool transpose_elements(const TransposePlan& plan, const void* input, void* output, size_t element_size) {
  switch (element_size) {
    case 1: transpose_typed(plan, static_cast<const uint8_t*>(input), static_cast<uint8_t*>(output)); return true;
    case 2: transpose_typed(plan, static_cast<const uint16_t*>(input), static_cast<uint16_t*>(output)); return true;
    case 4: transpose_typed(plan, static_cast<const uint32_t*>(input), static_cast<uint32_t*>(output)); return true;
    case 8: transpose_typed(plan, static_cast<const uint64_t*>(input), static_cast<uint64_t*>(output)); return true;
    default: return false;
  }
}

namespace {

struct TransposeData : OpData {
  TransposePlan plan;
  size_t element_size = 0;
};

Status prepare(PrepareContext& ctx) {
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  const size_t element_size = dtype_size(input.dtype);
  if (input.dtype != output.dtype ||
      (element_size != 1 && element_size != 2 && element_size != 4 && element_size != 8))
    return ctx.unsupported_types();
  QL_ASSIGN_OR_RETURN(std::vector<int32_t> perm, read_constant_indices(ctx, 1, "perm"));
  auto plan = plan_transpose(input.shape, perm);
  if (!plan.ok()) return op_context(ctx, plan.status());
  auto data = std::make_unique<TransposeData>();
  data->plan = std::move(plan).value();
  data->element_size = element_size;
  output.shape = data->plan.output_shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const TransposeData& data = ctx.op_data<TransposeData>();
  if (transpose_elements(data.plan, ctx.input<void>(0), ctx.output<void>(0), data.element_size))
    return Status::Ok();
  return internal_error("TRANSPOSE: unsupported element size " + std::to_string(data.element_size));
}

}  // namespace

const Kernel& reference_kernel_Transpose() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
