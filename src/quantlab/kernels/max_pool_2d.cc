#include "quantlab/kernels/max_pool_2d.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <tuple>

#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

template <typename T>
void max_pool(const PoolGeometry& g, const T* input, T* output, T activation_min, T activation_max) {
  for_each_pool_window(g, [&](int64_t o, const PoolWindow& w) {
    T max = std::numeric_limits<T>::lowest();
    for (int y = w.y_begin; y < w.y_end; ++y)
      for (int x = w.x_begin; x < w.x_end; ++x) max = std::max(max, input[pool_input_offset(g, w, y, x)]);
    output[o] = std::min(std::max(max, activation_min), activation_max);
  });
}

}  // namespace

void max_pool_float(const PoolGeometry& geometry, const float* input, float* output, float activation_min,
                    float activation_max) {
  max_pool<float>(geometry, input, output, activation_min, activation_max);
}

void max_pool_int8(const PoolGeometry& geometry, const int8_t* input, int8_t* output, int32_t activation_min,
                   int32_t activation_max) {
  max_pool<int8_t>(geometry, input, output, static_cast<int8_t>(activation_min), static_cast<int8_t>(activation_max));
}

namespace {

enum class MaxPoolVariant { kFloat32, kInt8 };

struct MaxPoolData : OpData {
  MaxPoolVariant variant = MaxPoolVariant::kFloat32;
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

  auto data = std::make_unique<MaxPoolData>();
  data->geometry = geometry;
  switch (input.dtype) {
    case DType::kFloat32:
      data->variant = MaxPoolVariant::kFloat32;
      std::tie(data->float_min, data->float_max) = float_activation_range(options.activation);
      break;
    case DType::kInt8:
      QL_RETURN_IF_ERROR(require_same_quant(ctx, input, output));
      data->variant = MaxPoolVariant::kInt8;
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
  const MaxPoolData& data = ctx.op_data<MaxPoolData>();
  switch (data.variant) {
    case MaxPoolVariant::kFloat32:
      max_pool_float(data.geometry, ctx.input<float>(0), ctx.output<float>(0), data.float_min, data.float_max);
      return Status::Ok();
    case MaxPoolVariant::kInt8:
      max_pool_int8(data.geometry, ctx.input<int8_t>(0), ctx.output<int8_t>(0), data.quantized_min,
                    data.quantized_max);
      return Status::Ok();
  }
  return internal_error("MAX_POOL_2D: unknown kernel variant");
}

}  // namespace

const Kernel& reference_kernel_MaxPool2D() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
