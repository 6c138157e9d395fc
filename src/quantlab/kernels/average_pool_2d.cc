#include "quantlab/kernels/average_pool_2d.h"

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>

#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantize_values.h"
#include "quantlab/numerics/quantized_reduction.h"

namespace quantlab {
namespace {

template <typename Acc, typename T>
Acc window_sum(const PoolGeometry& g, const PoolWindow& w, const T* input) {
  Acc sum = 0;
  for (int y = w.y_begin; y < w.y_end; ++y)
    for (int x = w.x_begin; x < w.x_end; ++x) sum += input[pool_input_offset(g, w, y, x)];
  return sum;
}

}  // namespace

void average_pool_float(const PoolGeometry& geometry, const float* input, float* output, float activation_min,
                        float activation_max) {
  for_each_pool_window(geometry, [&](int64_t o, const PoolWindow& w) {
    const float average = window_sum<float>(geometry, w, input) / static_cast<float>(w.count());
    output[o] = std::min(std::max(average, activation_min), activation_max);
  });
}

void average_pool_int8(const PoolGeometry& geometry, const int8_t* input, int8_t* output, int32_t activation_min,
                       int32_t activation_max) {
  for_each_pool_window(geometry, [&](int64_t o, const PoolWindow& w) {
    // |sum| <= 128 * filter area, which prepare keeps inside int32.
    const int32_t average = rounded_average(window_sum<int32_t>(geometry, w, input), w.count());
    output[o] = static_cast<int8_t>(std::min(std::max(average, activation_min), activation_max));
  });
}

namespace {

enum class AveragePoolVariant { kFloat32, kInt8 };

struct AveragePoolData : OpData {
  AveragePoolVariant variant = AveragePoolVariant::kFloat32;
  PoolGeometry geometry;
  float float_min = 0.f, float_max = 0.f;
  int32_t quantized_min = 0, quantized_max = 0;
};

Status prepare(PrepareContext& ctx) {
  const Pool2DOptions& options = ctx.op.opts<Pool2DOptions>();
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  if (input.dtype != output.dtype) return ctx.unsupported_types();
  QL_RETURN_IF_ERROR(require_clamp_activation(ctx, options.activation));
  QL_ASSIGN_OR_RETURN(PoolGeometry geometry, plan_pool(ctx, options));
  const int64_t filter_area = int64_t{geometry.filter_h} * geometry.filter_w;
  if (filter_area > (int64_t{1} << 23))
    return ctx.error("filter area " + std::to_string(filter_area) + " is too large for int32 window sums");

  auto data = std::make_unique<AveragePoolData>();
  data->geometry = geometry;
  switch (input.dtype) {
    case DType::kFloat32:
      data->variant = AveragePoolVariant::kFloat32;
      std::tie(data->float_min, data->float_max) = float_activation_range(options.activation);
      break;
    case DType::kInt8:
      QL_RETURN_IF_ERROR(require_same_quant(ctx, input, output));
      data->variant = AveragePoolVariant::kInt8;
      std::tie(data->quantized_min, data->quantized_max) =
          quantized_activation_range(options.activation, output.scale(), output.zero_point(), output.dtype);
      break;
    default:
      return ctx.unsupported_types();
  }
  output.shape = {geometry.batches, geometry.window.out_h, geometry.window.out_w, geometry.channels};
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const AveragePoolData& data = ctx.op_data<AveragePoolData>();
  switch (data.variant) {
    case AveragePoolVariant::kFloat32:
      average_pool_float(data.geometry, ctx.input<float>(0), ctx.output<float>(0), data.float_min, data.float_max);
      return Status::Ok();
    case AveragePoolVariant::kInt8:
      average_pool_int8(data.geometry, ctx.input<int8_t>(0), ctx.output<int8_t>(0), data.quantized_min,
                        data.quantized_max);
      return Status::Ok();
  }
  return internal_error("AVERAGE_POOL_2D: unknown kernel variant");
}

}  // namespace

const Kernel& reference_kernel_AveragePool2D() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
