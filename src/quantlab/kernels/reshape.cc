#include "quantlab/kernels/reshape.h"

#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"

namespace quantlab {

Result<Shape> resolve_reshape(const Shape& input_shape, const std::vector<int32_t>& requested) {
  const int64_t count = num_elements(input_shape);
  Shape shape(requested.begin(), requested.end());
  int inferred = -1;
  // Up to eight int32 dimensions can multiply past int64; the product then
  // saturates (a later 0 still makes it 0), and any saturated product is
  // far above every valid element count, so it can only mismatch.
  constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred >= 0)
        return invalid_argument("new shape " + shape_to_string(shape) + " has more than one -1 dimension");
      inferred = static_cast<int>(i);
    } else if (shape[i] < 0) {
      return invalid_argument("new shape " + shape_to_string(shape) + " has negative dimension " +
                              std::to_string(shape[i]));
    } else if (shape[i] != 0 && known > kSaturated / shape[i]) {
      known = kSaturated;
    } else {
      known *= shape[i];
    }
  }
  if (known == kSaturated)
    return invalid_argument("new shape " + shape_to_string(shape) + " has 2^63 - 1 or more elements but input shape " +
                            shape_to_string(input_shape) + " has " + std::to_string(count));
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return invalid_argument("cannot infer the -1 dimension of " + shape_to_string(shape) + " for input shape " +
                              shape_to_string(input_shape));
    shape[inferred] = static_cast<int32_t>(count / known);
    known *= shape[inferred];
  }
  if (known != count)
    return invalid_argument("new shape " + shape_to_string(shape) + " has " + std::to_string(known) +
                            " elements but input shape " + shape_to_string(input_shape) + " has " +
                            std::to_string(count));
  return shape;
}

void copy_tensor_bytes(const void* input, void* output, int64_t bytes) {
  if (input != output && bytes > 0) std::memcpy(output, input, static_cast<size_t>(bytes));
}

namespace {

struct ReshapeData : OpData {
  int64_t bytes = 0;
};

// The requested shape: a constant shape tensor (input 1) wins over the
// options; without either, the output's declared shape is used.
Result<std::vector<int32_t>> requested_shape(const PrepareContext& ctx) {
  if (ctx.has_input(1) && ctx.input(1).constant != nullptr) return read_constant_indices(ctx, 1, "shape");
  const ReshapeOptions& options = ctx.op.opts<ReshapeOptions>();
  if (options.has_new_shape) return options.new_shape;
  const Shape& declared = ctx.graph.tensors[ctx.op.outputs[0]].shape;
  return std::vector<int32_t>(declared.begin(), declared.end());
}

Status prepare(PrepareContext& ctx) {
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  if (input.dtype != output.dtype || dtype_size(input.dtype) == 0) return ctx.unsupported_types();
  QL_ASSIGN_OR_RETURN(std::vector<int32_t> requested, requested_shape(ctx));
  auto shape = resolve_reshape(input.shape, requested);
  if (!shape.ok()) return op_context(ctx, shape.status());
  auto data = std::make_unique<ReshapeData>();
  data->bytes = input.bytes();
  output.shape = std::move(shape).value();
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const ReshapeData& data = ctx.op_data<ReshapeData>();
  copy_tensor_bytes(ctx.input<void>(0), ctx.output<void>(0), data.bytes);
  return Status::Ok();
}

}  // namespace

const Kernel& reference_kernel_Reshape() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
