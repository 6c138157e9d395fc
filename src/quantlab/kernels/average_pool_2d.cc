#include "quantlab/kernels/average_pool_2d.h"

#include <algorithm>
#include <memory>
#include <string>

#include "quantlab/numerics/quantized_reduction.h"

namespace quantlab {
namespace {

template <typename Acc, typename T>
Acc window_sum(const PoolGeometry& g, const PoolWindow& w, const T* input) {
  Acc sum = 0;
  for (int y = w.y_begin; y < w.y_end; ++y)
    for (int x = w.x_begin; x < w.x_end; ++x) sum += input[pool_input_offset(g, w, y, x)];
  return sum;
}

}  // namespace

void average_pool_float(const PoolGeometry& geometry, const float* input, float* output, float activation_min,
                        float activation_max) {
  for_each_pool_window(geometry, [&](int64_t o, const PoolWindow& w) {
    const float average = window_sum<float>(geometry, w, input) / static_cast<float>(w.count());
    output[o] = std::min(std::max(average, activation_min), activation_max);
  });
}

void average_pool_int8(const PoolGeometry& geometry, const int8_t* input, int8_t* output, int32_t activation_min,
                       int32_t activation_max) {
  for_each_pool_window(geometry, [&](int64_t o, const PoolWindow& w) {
    // |sum| <= 128 * filter area, which prepare keeps inside int32.
    const int32_t average = rounded_average(window_sum<int32_t>(geometry, w, input), w.count());
    output[o] = static_cast<int8_t>(std::min(std::max(average, activation_min), activation_max));
  });
}

namespace {

Status prepare(PrepareContext& ctx) {
  QL_ASSIGN_OR_RETURN(std::unique_ptr<PoolData> data, prepare_pool(ctx));
  const int64_t filter_area = int64_t{data->geometry.filter_h} * data->geometry.filter_w;
  if (filter_area > (int64_t{1} << 23))
    return ctx.error("filter area " + std::to_string(filter_area) + " is too large for int32 window sums");
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) { return eval_pool(ctx, average_pool_float, average_pool_int8); }

}  // namespace

const Kernel& reference_kernel_AveragePool2D() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
