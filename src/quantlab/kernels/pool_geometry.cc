#include "quantlab/kernels/pool_geometry.h"

#include <string>

namespace quantlab {

Result<PoolGeometry> plan_pool(const PrepareContext& ctx, const Pool2DOptions& options) {
  const TensorInfo& input = ctx.input(0);
  if (input.shape.size() != 4)
    return ctx.error("input must be NHWC (rank 4); it has shape " + shape_to_string(input.shape));
  if (options.filter_h < 1 || options.filter_w < 1 || options.stride_h < 1 || options.stride_w < 1)
    return ctx.error("filter " + std::to_string(options.filter_h) + "x" + std::to_string(options.filter_w) +
                     " and stride " + std::to_string(options.stride_h) + "x" + std::to_string(options.stride_w) +
                     " must be positive");
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

}  // namespace quantlab
