#include "quantlab/kernels/max_pool_2d.h"

#include <algorithm>
#include <limits>
#include <memory>


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

Status prepare(PrepareContext& ctx) {
  QL_ASSIGN_OR_RETURN(std::unique_ptr<PoolData> data, prepare_pool(ctx));
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) { return eval_pool(ctx, max_pool_float, max_pool_int8); }

}  // namespace

const Kernel& reference_kernel_MaxPool2D() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
