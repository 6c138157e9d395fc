#include "quantlab/kernels/squeeze.h"

#include <memory>
#include <string>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/kernels/reshape.h"

namespace quantlab {

Result<Shape> squeeze_shape(const Shape& input_shape, const std::vector<int32_t>& dims) {
  const int rank = static_cast<int>(input_shape.size());
  std::vector<bool> remove(input_shape.size(), dims.empty());
  if (dims.empty()) {
    for (int d = 0; d < rank; ++d) remove[d] = input_shape[d] == 1;
  }
  for (int32_t dim : dims) {
    const int d = normalize_axis(dim, rank);
    if (d < 0)
      return invalid_argument("squeeze dimension " + std::to_string(dim) + " is outside input shape " +
                              shape_to_string(input_shape));
    if (input_shape[d] != 1)
      return invalid_argument("squeeze dimension " + std::to_string(dim) + " of input shape " +
                              shape_to_string(input_shape) + " has size " + std::to_string(input_shape[d]) +
                              ", not 1");
    remove[d] = true;
  }
  Shape out;
  for (int d = 0; d < rank; ++d)
    if (!remove[d]) out.push_back(input_shape[d]);
  return out;
}

namespace {

struct SqueezeData : OpData {
  int64_t bytes = 0;
};

Status prepare(PrepareContext& ctx) {
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  if (input.dtype != output.dtype || dtype_size(input.dtype) == 0) return ctx.unsupported_types();
  auto shape = squeeze_shape(input.shape, ctx.op.opts<SqueezeOptions>().squeeze_dims);
  if (!shape.ok()) return op_context(ctx, shape.status());
  auto data = std::make_unique<SqueezeData>();
  data->bytes = input.bytes();
  output.shape = std::move(shape).value();
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  copy_tensor_bytes(ctx.input<void>(0), ctx.output<void>(0), ctx.op_data<SqueezeData>().bytes);
  return Status::Ok();
}

}  // namespace

const Kernel& reference_kernel_Squeeze() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
