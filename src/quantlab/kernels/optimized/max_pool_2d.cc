#include "quantlab/kernels/optimized/max_pool_2d.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <tuple>

#include "quantlab/kernels/optimized/intrinsics.h"
#include "quantlab/kernels/optimized/kernels.h"
#include "quantlab/kernels/optimized/reference_fallback.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

// The in-bounds window of output position (oy, ox): input rows [y0, y1),
// columns [x0, x1). (A plain function: lambdas would not inherit the
// vector functions' target attributes.)
struct Window {
  int y0, y1, x0, x1;
};

inline Window window_at(const PoolGeometry& g, int oy, int ox) {
  const int y = oy * g.stride_h - g.window.pad_top, x = ox * g.stride_w - g.window.pad_left;
  return {std::max(y, 0), std::min(y + g.filter_h, g.input_h), std::max(x, 0), std::min(x + g.filter_w, g.input_w)};
}

inline int64_t position_offset(const PoolGeometry& g, int batch, int y, int x) {
  return ((static_cast<int64_t>(batch) * g.input_h + y) * g.input_w + x) * g.channels;
}

// _mm512_max_ps(x, m) returns its second operand m when x is NaN or when
// both are zeros, exactly as the reference's std::max(m, x) does; the clamp
// likewise keeps the value on ties.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void max_pool_float_avx512(const PoolGeometry& g,
                                                                                           const float* input,
                                                                                           float* output, float lo,
                                                                                           float hi) {
  const __m512 low = _mm512_set1_ps(lo), high = _mm512_set1_ps(hi);
  const __m512 lowest = _mm512_set1_ps(std::numeric_limits<float>::lowest());
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.window.out_h; ++oy)
      for (int ox = 0; ox < g.window.out_w; ++ox) {
        const Window w = window_at(g, oy, ox);
        for (int c = 0; c < g.channels; c += 16) {
          const __mmask16 mask = static_cast<__mmask16>((1u << std::min(16, g.channels - c)) - 1u);
          __m512 m = lowest;
          for (int y = w.y0; y < w.y1; ++y)
            for (int x = w.x0; x < w.x1; ++x)
              m = _mm512_max_ps(_mm512_maskz_loadu_ps(mask, input + position_offset(g, b, y, x) + c), m);
          _mm512_mask_storeu_ps(output + c, mask, _mm512_min_ps(high, _mm512_max_ps(low, m)));
        }
        output += g.channels;
      }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void max_pool_int8_avx512(const PoolGeometry& g,
                                                                                          const int8_t* input,
                                                                                          int8_t* output, int8_t lo,
                                                                                          int8_t hi) {
  const __m128i low = _mm_set1_epi8(lo), high = _mm_set1_epi8(hi), lowest = _mm_set1_epi8(-128);
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.window.out_h; ++oy)
      for (int ox = 0; ox < g.window.out_w; ++ox) {
        const Window w = window_at(g, oy, ox);
        for (int c = 0; c < g.channels; c += 16) {
          const __mmask16 mask = static_cast<__mmask16>((1u << std::min(16, g.channels - c)) - 1u);
          __m128i m = lowest;
          for (int y = w.y0; y < w.y1; ++y)
            for (int x = w.x0; x < w.x1; ++x)
              m = _mm_max_epi8(m, _mm_maskz_loadu_epi8(mask, input + position_offset(g, b, y, x) + c));
          _mm_mask_storeu_epi8(output + c, mask, _mm_min_epi8(_mm_max_epi8(m, low), high));
        }
        output += g.channels;
      }
}

}  // namespace

// Below AVX-512 the reference loops run: there is no faster portable form
// worth keeping beside them.
void optimized_max_pool_float(SimdLevel level, const PoolGeometry& g, const float* input, float* output,
                              float activation_min, float activation_max) {
  if (level == SimdLevel::kAvx512) return max_pool_float_avx512(g, input, output, activation_min, activation_max);
  max_pool_float(g, input, output, activation_min, activation_max);
}

void optimized_max_pool_int8(SimdLevel level, const PoolGeometry& g, const int8_t* input, int8_t* output,
                             int32_t activation_min, int32_t activation_max) {
  const auto lo = static_cast<int8_t>(activation_min), hi = static_cast<int8_t>(activation_max);
  if (level == SimdLevel::kAvx512) return max_pool_int8_avx512(g, input, output, lo, hi);
  max_pool_int8(g, input, output, activation_min, activation_max);
}

namespace {

struct MaxPoolData : OptimizedOpData {
  PoolGeometry geometry;
  DType dtype = DType::kFloat32;
  float float_min = 0.f, float_max = 0.f;
  int32_t quantized_min = 0, quantized_max = 0;
};

Status prepare(PrepareContext& ctx) {
  auto data = std::make_unique<MaxPoolData>();
  QL_RETURN_IF_ERROR(prepare_reference(reference_kernel_MaxPool2D(), ctx, *data));
  // The reference prepare validated the op; derive the same parameters.
  const Pool2DOptions& options = ctx.op.opts<Pool2DOptions>();
  QL_ASSIGN_OR_RETURN(data->geometry, plan_pool(ctx, options));
  const TensorInfo& output = ctx.output(0);
  data->dtype = output.dtype;
  std::tie(data->float_min, data->float_max) = float_activation_range(options.activation);
  if (output.dtype == DType::kInt8)
    std::tie(data->quantized_min, data->quantized_max) =
        quantized_activation_range(options.activation, output.scale(), output.zero_point(), output.dtype);
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const auto& d = ctx.op_data<MaxPoolData>();
  switch (d.dtype) {
    case DType::kFloat32:
      optimized_max_pool_float(best_simd_level(), d.geometry, ctx.input<float>(0), ctx.output<float>(0), d.float_min,
                               d.float_max);
      return Status::Ok();
    case DType::kInt8:
      optimized_max_pool_int8(best_simd_level(), d.geometry, ctx.input<int8_t>(0), ctx.output<int8_t>(0),
                              d.quantized_min, d.quantized_max);
      return Status::Ok();
    default:
      return d.eval_reference(ctx);
  }
}

}  // namespace

const Kernel& optimized_kernel_MaxPool2D() {
  static const Kernel kernel{"optimized", prepare, eval};
  return kernel;
}

}  // namespace quantlab
