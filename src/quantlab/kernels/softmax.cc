#include "quantlab/kernels/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"

namespace quantlab {

void softmax_float(const float* input, float* output, int64_t rows, int depth, float beta) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = input + r * depth;
    float* out = output + r * depth;
    // Subtracting the row maximum keeps every exp argument <= 0, so nothing
    // overflows; the ratio is unchanged.
    float max = std::numeric_limits<float>::lowest();
    for (int c = 0; c < depth; ++c) max = std::max(max, in[c]);
    float sum = 0.f;
    for (int c = 0; c < depth; ++c) {
      out[c] = std::exp((in[c] - max) * beta);
      sum += out[c];
    }
    for (int c = 0; c < depth; ++c) out[c] /= sum;
  }
}

void softmax_int8(const int8_t* input, int8_t* output, int64_t rows, int depth, const SoftmaxInt8Params& params) {
  for (int64_t r = 0; r < rows; ++r) softmax_int8_row(input + r * depth, output + r * depth, depth, params);
}

namespace {

enum class SoftmaxVariant { kFloat32, kInt8 };

struct SoftmaxData : OpData {
  SoftmaxVariant variant = SoftmaxVariant::kFloat32;
  int64_t rows = 0;
  int depth = 0;
  float beta = 1.f;
  SoftmaxInt8Params quantized;
};

// The fixed output quantization of int8 SOFTMAX and LOGISTIC.
constexpr float kProbabilityScale = 1.f / 256.f;
constexpr int32_t kProbabilityZeroPoint = -128;

Status prepare(PrepareContext& ctx) {
  const SoftmaxOptions& options = ctx.op.opts<SoftmaxOptions>();
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  if (input.dtype != output.dtype) return ctx.unsupported_types();
  if (input.shape.empty()) return ctx.error("input must have at least one dimension");
  if (!(options.beta > 0.f) || !std::isfinite(options.beta))
    return ctx.error("beta " + std::to_string(options.beta) + " must be finite and positive");

  auto data = std::make_unique<SoftmaxData>();
  data->depth = input.shape.back();
  data->rows = data->depth == 0 ? 0 : input.num_elements() / data->depth;
  data->beta = options.beta;
  switch (input.dtype) {
    case DType::kFloat32:
      data->variant = SoftmaxVariant::kFloat32;
      break;
    case DType::kInt8:
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, input, "input"));
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, output, "output"));
      if (std::abs(output.scale() - kProbabilityScale) > 1e-6f * kProbabilityScale ||
          output.zero_point() != kProbabilityZeroPoint)
        return op_unsupported(ctx, "int8 output must have scale 1/256 and zero point -128; it has scale " +
                                       std::to_string(output.scale()) + " and zero point " +
                                       std::to_string(output.zero_point()));
      // The fixed-point sum holds at most 2^12 - 1 unit exps.
      if (data->depth >= 4096) return op_unsupported(ctx, "int8 rows longer than 4095 are not supported");
      data->variant = SoftmaxVariant::kInt8;
      data->quantized = make_softmax_int8_params(options.beta, input.scale());
      break;
    default:
      return ctx.unsupported_types();
  }
  output.shape = input.shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const SoftmaxData& data = ctx.op_data<SoftmaxData>();
  switch (data.variant) {
    case SoftmaxVariant::kFloat32:
      softmax_float(ctx.input<float>(0), ctx.output<float>(0), data.rows, data.depth, data.beta);
      return Status::Ok();
    case SoftmaxVariant::kInt8:
      softmax_int8(ctx.input<int8_t>(0), ctx.output<int8_t>(0), data.rows, data.depth, data.quantized);
      return Status::Ok();
  }
  return internal_error("SOFTMAX: unknown kernel variant");
}

}  // namespace

const Kernel& reference_kernel_Softmax() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
