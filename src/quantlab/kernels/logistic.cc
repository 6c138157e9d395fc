#include "quantlab/kernels/logistic.h"

#include <cmath>
#include <memory>
#include <string>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/prepare_checks.h"

namespace quantlab {

void logistic_float(const float* input, float* output, int64_t size) {
  constexpr float kUpperCutoff = 16.619047164916992188f;
  constexpr float kLowerCutoff = -9.f;
  for (int64_t i = 0; i < size; ++i) {
    const float x = input[i];
    if (x > kUpperCutoff) output[i] = 1.f;
    else if (x < kLowerCutoff) output[i] = std::exp(x);
    else output[i] = 1.f / (1.f + std::exp(-x));
  }
}

void logistic_int8(const int8_t* input, int8_t* output, int64_t size, const LogisticInt8Params& params) {
  for (int64_t i = 0; i < size; ++i) output[i] = logistic_int8_value(input[i], params);
}

namespace {

enum class LogisticVariant { kFloat32, kInt8 };

struct LogisticData : OpData {
  LogisticVariant variant = LogisticVariant::kFloat32;
  int64_t size = 0;
  LogisticInt8Params quantized;
};

constexpr float kProbabilityScale = 1.f / 256.f;
constexpr int32_t kProbabilityZeroPoint = -128;

Status prepare(PrepareContext& ctx) {
  const TensorInfo& input = ctx.input(0);
  TensorInfo& output = ctx.output(0);
  if (input.dtype != output.dtype) return ctx.unsupported_types();
  auto data = std::make_unique<LogisticData>();
  data->size = input.num_elements();
  switch (input.dtype) {
    case DType::kFloat32:
      data->variant = LogisticVariant::kFloat32;
      break;
    case DType::kInt8:
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, input, "input"));
      QL_RETURN_IF_ERROR(require_per_tensor_quant(ctx, output, "output"));
      if (std::abs(output.scale() - kProbabilityScale) > 1e-6f * kProbabilityScale ||
          output.zero_point() != kProbabilityZeroPoint)
        return op_unsupported(ctx, "int8 output must have scale 1/256 and zero point -128; it has scale " +
                                       std::to_string(output.scale()) + " and zero point " +
                                       std::to_string(output.zero_point()));
      data->variant = LogisticVariant::kInt8;
      data->quantized = make_logistic_int8_params(input.scale(), input.zero_point());
      break;
    default:
      return ctx.unsupported_types();
  }
  output.shape = input.shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const LogisticData& data = ctx.op_data<LogisticData>();
  switch (data.variant) {
    case LogisticVariant::kFloat32:
      logistic_float(ctx.input<float>(0), ctx.output<float>(0), data.size);
      return Status::Ok();
    case LogisticVariant::kInt8:
      logistic_int8(ctx.input<int8_t>(0), ctx.output<int8_t>(0), data.size, data.quantized);
      return Status::Ok();
  }
  return internal_error("LOGISTIC: unknown kernel variant");
}

}  // namespace

const Kernel& reference_kernel_Logistic() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
