#include "quantlab/kernels/add.h"

#include <algorithm>

#include "quantlab/kernels/elementwise_binary.h"

namespace quantlab {

void add_float(const BroadcastPlan& plan, const float* a, const float* b, float* out, float activation_min,
               float activation_max) {
  for_each_broadcast(plan, [&](int64_t o, int64_t ia, int64_t ib) {
    out[o] = std::min(std::max(a[ia] + b[ib], activation_min), activation_max);
  });
}

void add_int8(const BroadcastPlan& plan, const int8_t* a, const int8_t* b, int8_t* out,
              const QuantizedAddParams& params) {
  for_each_broadcast(plan, [&](int64_t o, int64_t ia, int64_t ib) {
    out[o] = static_cast<int8_t>(quantized_add(a[ia], b[ib], params));
  });
}

namespace {

Status prepare(PrepareContext& ctx) {
  // A lambda, as the builder's trailing default argument (the int8 left
  // shift) is not part of its function type.
  const auto make_params = [](float s1, int32_t z1, float s2, int32_t z2, float s_out, int32_t z_out, int32_t lo,
                              int32_t hi, Rounding rounding) {
    return make_quantized_add_params(s1, z1, s2, z2, s_out, z_out, lo, hi, rounding);
  };
  return elementwise::prepare_binary<QuantizedAddParams>(ctx, ctx.op.opts<AddOptions>().activation, make_params);
}

Status eval(const EvalContext& ctx) {
  return elementwise::eval_binary<QuantizedAddParams>(ctx, add_float, add_int8);
}

}  // namespace

const Kernel& reference_kernel_Add() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
