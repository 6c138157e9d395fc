#include "quantlab/kernels/mean.h"

#include <memory>
#include <string>

namespace quantlab {
namespace {

// Visits the offsets of one odometer over `sizes` with `strides`, starting
// from `base`, last dimension fastest.
template <typename F>
void for_each_offset(int rank, const std::array<int32_t, kMaxKernelRank>& sizes,
                     const std::array<int64_t, kMaxKernelRank>& strides, int64_t base, F&& f) {
  for (int d = 0; d < rank; ++d)
    if (sizes[d] == 0) return;
  std::array<int32_t, kMaxKernelRank> index{};
  int64_t offset = base;
  while (true) {
    f(offset);
    int d = rank - 1;
    for (; d >= 0; --d) {
      offset += strides[d];
      if (++index[d] < sizes[d]) break;
      offset -= strides[d] * sizes[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// Calls f(output_index, sum) with the sum of each output's inputs, summed in
// input (row-major) order.
template <typename Acc, typename T, typename F>
void for_each_sum(const ReductionPlan& plan, const T* input, F&& f) {
  int64_t out = 0;
  for_each_offset(plan.num_kept, plan.kept_sizes, plan.kept_strides, 0, [&](int64_t base) {
    Acc sum = 0;
    for_each_offset(plan.num_reduced, plan.reduced_sizes, plan.reduced_strides, base,
                    [&](int64_t offset) { sum += input[offset]; });
    f(out++, sum);
  });
}

}  // namespace

ReductionPlan plan_reduction(const Shape& input_shape, const bool* reduced_axis) {
  ReductionPlan plan;
  const int rank = static_cast<int>(input_shape.size());
  int64_t stride = 1;
  std::array<int64_t, kMaxKernelRank> strides{};
  for (int d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= input_shape[d];
  }
  for (int d = 0; d < rank; ++d) {
    if (reduced_axis[d]) {
      plan.reduced_sizes[plan.num_reduced] = input_shape[d];
      plan.reduced_strides[plan.num_reduced++] = strides[d];
      plan.count *= input_shape[d];
    } else {
      plan.kept_sizes[plan.num_kept] = input_shape[d];
      plan.kept_strides[plan.num_kept++] = strides[d];
      plan.num_outputs *= input_shape[d];
    }
  }
  return plan;
}

void mean_float(const ReductionPlan& plan, const float* input, float* output) {
  const float count = static_cast<float>(plan.count);
  for_each_sum<float>(plan, input, [&](int64_t o, float sum) { output[o] = sum / count; });
}

void mean_int8(const ReductionPlan& plan, const int8_t* input, int8_t* output, const QuantizedMeanParams& params) {
  for_each_sum<int64_t>(plan, input,
                        [&](int64_t o, int64_t sum) { output[o] = static_cast<int8_t>(quantized_mean(sum, params)); });
}

namespace {

enum class MeanVariant { kFloat32, kInt8 };

struct MeanData : OpData {
  MeanVariant variant = MeanVariant::kFloat32;
  ReductionPlan plan;
  QuantizedMeanParams quantized;
};

Status prepare(PrepareContext& ctx) {
  const ReducerOptions& options = ctx.op.opts<ReducerOptions>();
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  if (input.dtype != output.dtype) return ctx.unsupported_types();
  const int rank = static_cast<int>(input.shape.size());
  if (rank > kMaxKernelRank)
    return op_unsupported(ctx, "input rank " + std::to_string(rank) + " exceeds " + std::to_string(kMaxKernelRank));
  QL_ASSIGN_OR_RETURN(std::vector<int32_t> axes, read_constant_indices(ctx, 1, "axis"));

  bool reduced[kMaxKernelRank] = {};
  for (int32_t axis : axes) {
    const int resolved = normalize_axis(axis, rank);
    if (resolved < 0)
      return ctx.error("axis " + std::to_string(axis) + " is outside input shape " + shape_to_string(input.shape));
    reduced[resolved] = true;  // repeated axes reduce once
  }
  Shape output_shape;
  for (int d = 0; d < rank; ++d) {
    if (!reduced[d]) output_shape.push_back(input.shape[d]);
    else if (options.keep_dims) output_shape.push_back(1);
  }

  auto data = std::make_unique<MeanData>();
  data->plan = plan_reduction(input.shape, reduced);
  if (data->plan.count == 0)
    return ctx.error("reduces over an empty dimension of input shape " + shape_to_string(input.shape));
  switch (input.dtype) {
    case DType::kFloat32:
      data->variant = MeanVariant::kFloat32;
      break;
    case DType::kInt8:
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, input, "input"));
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, output, "output"));
      // Offset-corrected sums are int32 in the reference kernel.
      if (data->plan.count > (int64_t{1} << 23))
        return op_unsupported(ctx, "averaging " + std::to_string(data->plan.count) + " int8 elements overflows int32");
      // Identical input and output quantization takes the same path (TFLite
      // Micro's current behaviour; older versions truncated raw sum / count).
      data->variant = MeanVariant::kInt8;
      data->quantized = make_quantized_mean_params(input.scale(), input.zero_point(), output.scale(),
                                                   output.zero_point(), data->plan.count, -128, 127,
                                                   ctx.options.rounding);
      break;
    default:
      return ctx.unsupported_types();
  }
  output.shape = output_shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const MeanData& data = ctx.op_data<MeanData>();
  switch (data.variant) {
    case MeanVariant::kFloat32:
      mean_float(data.plan, ctx.input<float>(0), ctx.output<float>(0));
      return Status::Ok();
    case MeanVariant::kInt8:
      mean_int8(data.plan, ctx.input<int8_t>(0), ctx.output<int8_t>(0), data.quantized);
      return Status::Ok();
  }
  return internal_error("MEAN: unknown kernel variant");
}

}  // namespace

const Kernel& reference_kernel_Mean() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
