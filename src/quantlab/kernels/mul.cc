#include "quantlab/kernels/mul.h"

#include <algorithm>

#include "quantlab/kernels/elementwise_binary.h"

namespace quantlab {

void mul_float(const BroadcastPlan& plan, const float* a, const float* b, float* out, float activation_min,
               float activation_max) {
  for_each_broadcast(plan, [&](int64_t o, int64_t ia, int64_t ib) {
    out[o] = std::min(std::max(a[ia] * b[ib], activation_min), activation_max);
  });
}

void mul_int8(const BroadcastPlan& plan, const int8_t* a, const int8_t* b, int8_t* out,
              const QuantizedMulParams& params) {
  for_each_broadcast(plan, [&](int64_t o, int64_t ia, int64_t ib) {
    out[o] = static_cast<int8_t>(quantized_mul(a[ia], b[ib], params));
  });
}

namespace {

Status prepare(PrepareContext& ctx) {
  return elementwise::prepare_binary<QuantizedMulParams>(ctx, ctx.op.opts<MulOptions>().activation,
                                                         make_quantized_mul_params);
}

Status eval(const EvalContext& ctx) {
  return elementwise::eval_binary<QuantizedMulParams>(ctx, mul_float, mul_int8);
}

}  // namespace

const Kernel& reference_kernel_Mul() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
