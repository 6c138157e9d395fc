#include "quantlab/kernels/pool_geometry.h"

#include <string>
#include <tuple>

#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {

Result<PoolGeometry> plan_pool(const PrepareContext& ctx, const Pool2DOptions& options) {
  const TensorInfo& input = ctx.input(0);
  if (input.shape.size() != 4)
    return ctx.error("input must be NHWC (rank 4); it has shape " + shape_to_string(input.shape));
  if (options.filter_h < 1 || options.filter_w < 1 || options.stride_h < 1 || options.stride_w < 1)
    return ctx.error("filter " + std::to_string(options.filter_h) + "x" + std::to_string(options.filter_w) +
                     " and stride " + std::to_string(options.stride_h) + "x" + std::to_string(options.stride_w) +
                     " must be positive");
  if (!window_fits_int(options.padding, input.shape[1], options.filter_h, options.stride_h, 1) ||
      !window_fits_int(options.padding, input.shape[2], options.filter_w, options.stride_w, 1))
    return ctx.error("filter " + std::to_string(options.filter_h) + "x" + std::to_string(options.filter_w) +
                     " over input " + shape_to_string(input.shape) + " spans more than 2^31 - 1 positions");
  PoolGeometry g;
  g.batches = input.shape[0];
  g.input_h = input.shape[1];
  g.input_w = input.shape[2];
  g.channels = input.shape[3];
  g.filter_h = options.filter_h;
  g.filter_w = options.filter_w;
  g.stride_h = options.stride_h;
  g.stride_w = options.stride_w;
  g.window = compute_window(options.padding, g.input_h, g.input_w, g.filter_h, g.filter_w, g.stride_h, g.stride_w,
                            /*dilation_h=*/1, /*dilation_w=*/1);
  if (g.window.out_h < 1 || g.window.out_w < 1)
    return ctx.error("filter " + std::to_string(g.filter_h) + "x" + std::to_string(g.filter_w) + " with " +
                     padding_name(options.padding) + " padding does not fit input " + shape_to_string(input.shape));
  return g;
}

Result<std::unique_ptr<PoolData>> prepare_pool(PrepareContext& ctx) {
  const Pool2DOptions& options = ctx.op.opts<Pool2DOptions>();
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  if (input.dtype != output.dtype) return ctx.unsupported_types();
  QL_RETURN_IF_ERROR(require_clamp_activation(ctx, options.activation));
  auto data = std::make_unique<PoolData>();
  QL_ASSIGN_OR_RETURN(data->geometry, plan_pool(ctx, options));
  switch (input.dtype) {
    case DType::kFloat32:
      std::tie(data->float_min, data->float_max) = float_activation_range(options.activation);
      break;
    case DType::kInt8:
      QL_RETURN_IF_ERROR(require_same_quant(ctx, input, output));
      data->int8 = true;
      std::tie(data->quantized_min, data->quantized_max) =
          quantized_activation_range(options.activation, output.scale(), output.zero_point(), output.dtype);
      break;
    default:
      return ctx.unsupported_types();
  }
  const PoolGeometry& g = data->geometry;
  output.shape = {g.batches, g.window.out_h, g.window.out_w, g.channels};
  return data;
}

}  // namespace quantlab
