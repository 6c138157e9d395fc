#include "quantlab/kernels/optimized/conv_2d.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <tuple>

#include "quantlab/kernels/optimized/kernels.h"
#include "quantlab/kernels/optimized/reference_fallback.h"
#include "quantlab/kernels/weighted_op.h"
#include "quantlab/kernels/window.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

int output_positions(const Conv2DGeometry& g) { return g.out_h * g.out_w; }
int64_t input_batch_size(const Conv2DGeometry& g) { return static_cast<int64_t>(g.in_h) * g.in_w * g.in_c; }

// Rows of A built per chunk: enough to amortize sweeping B once per chunk,
// few enough that the chunk stays in the L2 cache while B's panels stream
// past it.
int chunk_rows_for(const Conv2DGeometry& g, int64_t row_bytes) {
  constexpr int64_t kChunkBytes = 96 * 1024;
  const int64_t rows = std::max<int64_t>(24, kChunkBytes / std::max<int64_t>(row_bytes, 1));
  return static_cast<int>(std::min<int64_t>(rows, output_positions(g)));
}

// Writes rows [first, first + count) of the im2col matrix into `rows`
// (`row_stride` elements apart): row p is the receptive field of output
// position p, tap by tap in the filter's (row, column, channel) order, with
// `pad` where a tap falls outside the input.
template <typename In, typename Out, typename Convert>
void im2col(const Conv2DGeometry& g, const In* input, int first, int count, Out pad, Convert convert, Out* rows,
            int64_t row_stride) {
  const int run = g.filter_w * g.in_c;  // one filter row's taps
  int out_y = first / g.out_w, out_x = first % g.out_w;
  for (int i = 0; i < count; ++i, ++out_x) {
    if (out_x == g.out_w) out_x = 0, ++out_y;
    const int y0 = out_y * g.stride_h - g.pad_top;
    const int x0 = out_x * g.stride_w - g.pad_left;
    Out* row = rows + i * row_stride;
    for (int fy = 0; fy < g.filter_h; ++fy) {
      Out* dst = row + fy * run;
      const int y = y0 + fy * g.dilation_h;
      if (y < 0 || y >= g.in_h) {
        std::fill(dst, dst + run, pad);
        continue;
      }
      const In* src_row = input + static_cast<int64_t>(y) * g.in_w * g.in_c;
      if (g.dilation_w == 1 && x0 >= 0 && x0 + g.filter_w <= g.in_w) {
        // The whole filter row lies inside the input, contiguously.
        const In* src = src_row + static_cast<int64_t>(x0) * g.in_c;
        for (int k = 0; k < run; ++k) dst[k] = convert(src[k]);
        continue;
      }
      for (int fx = 0; fx < g.filter_w; ++fx) {
        const int x = x0 + fx * g.dilation_w;
        Out* tap = dst + fx * g.in_c;
        if (x < 0 || x >= g.in_w) {
          std::fill(tap, tap + g.in_c, pad);
        } else {
          const In* src = src_row + static_cast<int64_t>(x) * g.in_c;
          for (int c = 0; c < g.in_c; ++c) tap[c] = convert(src[c]);
        }
      }
    }
  }
}

uint8_t to_unsigned(int8_t x) { return static_cast<uint8_t>(x ^ 0x80); }  // x + 128
float identity(float x) { return x; }

}  // namespace

OptimizedConv2DInt8::OptimizedConv2DInt8(const Conv2DInt8Params& params, const int8_t* filter, SimdLevel level)
    : g_(params.geometry), level_(level) {
  depth_ = g_.filter_h * g_.filter_w * g_.in_c;
  padded_depth_ = int8_padded_depth(depth_);
  chunk_rows_ = chunk_rows_for(g_, padded_depth_);
  input_zero_point_ = static_cast<int8_t>(params.input_zero_point);
  packed_ = AlignedBuffer<int8_t>(static_cast<size_t>(int8_packed_bytes(g_.out_c, depth_)));
  column_sums_.resize(g_.out_c);
  pack_int8_columns(filter, g_.out_c, depth_, depth_, 1, packed_.data(), column_sums_.data());
  // sum w * (x - zx) = sum w * (x + 128) - (zx + 128) * sum w; the
  // correction is at most 255 * 128 * depth, within the int32 bound prepare checked.
  const int64_t shifted_zero_point = params.input_zero_point + 128;
  for (int32_t s : column_sums_) column_offsets_.push_back(static_cast<int32_t>(-shifted_zero_point * s));
  requantizer_ = Int8Requantizer(params.channel_multipliers, g_.out_c, params.rounding, params.output_zero_point,
                                 params.act_min, params.act_max);
}

int64_t OptimizedConv2DInt8::scratch_bytes() const { return static_cast<int64_t>(chunk_rows_) * padded_depth_; }

void OptimizedConv2DInt8::run(const int8_t* input, const int32_t* bias, int8_t* output, void* scratch) const {
  auto* a = static_cast<uint8_t*>(scratch);
  const Int8OutputStage stage{column_offsets_.data(), bias, &requantizer_};
  const Int8PackedColumns b{g_.out_c, depth_, packed_.data(), column_sums_.data()};
  const uint8_t pad = to_unsigned(input_zero_point_);
  const int positions = output_positions(g_);
  for (int batch = 0; batch < g_.batches; ++batch) {
    const int8_t* in = input + batch * input_batch_size(g_);
    int8_t* out = output + static_cast<int64_t>(batch) * positions * g_.out_c;
    for (int first = 0; first < positions; first += chunk_rows_) {
      const int count = std::min(chunk_rows_, positions - first);
      im2col(g_, in, first, count, pad, to_unsigned, a, padded_depth_);
      for (int i = 0; i < count; ++i)
        std::fill(a + static_cast<int64_t>(i) * padded_depth_ + depth_, a + static_cast<int64_t>(i + 1) * padded_depth_,
                  uint8_t{0});
      int8_gemm(level_, a, padded_depth_, count, nullptr, b, stage, out + static_cast<int64_t>(first) * g_.out_c,
                g_.out_c);
    }
  }
}

OptimizedConv2DFloat::OptimizedConv2DFloat(const Conv2DGeometry& g, const float* filter, float act_min, float act_max,
                                           SimdLevel level)
    : g_(g), level_(level), act_min_(act_min), act_max_(act_max) {
  depth_ = g_.filter_h * g_.filter_w * g_.in_c;
  chunk_rows_ = chunk_rows_for(g_, static_cast<int64_t>(depth_) * 4);
  packed_ = AlignedBuffer<float>(static_cast<size_t>(float_packed_size(g_.out_c, depth_)));
  pack_float_columns(filter, g_.out_c, depth_, depth_, 1, packed_.data());
}

bool OptimizedConv2DFloat::input_is_matrix() const {
  return g_.filter_h == 1 && g_.filter_w == 1 && g_.stride_h == 1 && g_.stride_w == 1 && g_.pad_top == 0 &&
         g_.pad_left == 0 && g_.out_h == g_.in_h && g_.out_w == g_.in_w;
}

int64_t OptimizedConv2DFloat::scratch_bytes() const {
  return input_is_matrix() ? 0 : static_cast<int64_t>(chunk_rows_) * depth_ * 4;
}

void OptimizedConv2DFloat::run(const float* input, const float* bias, float* output, void* scratch) const {
  const FloatPackedColumns b{g_.out_c, depth_, packed_.data()};
  const int positions = output_positions(g_);
  for (int batch = 0; batch < g_.batches; ++batch) {
    const float* in = input + batch * input_batch_size(g_);
    float* out = output + static_cast<int64_t>(batch) * positions * g_.out_c;
    if (input_is_matrix()) {
      float_gemm(level_, in, g_.in_c, positions, b, bias, act_min_, act_max_, out, g_.out_c);
      continue;
    }
    auto* a = static_cast<float*>(scratch);
    for (int first = 0; first < positions; first += chunk_rows_) {
      const int count = std::min(chunk_rows_, positions - first);
      im2col(g_, in, first, count, 0.f, identity, a, depth_);
      float_gemm(level_, a, depth_, count, b, bias, act_min_, act_max_, out + static_cast<int64_t>(first) * g_.out_c,
                 g_.out_c);
    }
  }
}

namespace {

struct Conv2DData : OptimizedOpData {
  std::unique_ptr<OptimizedConv2DInt8> int8;
  std::unique_ptr<OptimizedConv2DFloat> real;
};

Status prepare(PrepareContext& ctx) {
  auto data = std::make_unique<Conv2DData>();
  QL_RETURN_IF_ERROR(prepare_reference(reference_kernel_Conv2D(), ctx, *data));
  const TensorInfo& filter = ctx.input(1);
  QL_ASSIGN_OR_RETURN(const WeightedVariant variant, classify_weighted_op(ctx));
  if (variant == WeightedVariant::kHybrid || filter.constant == nullptr) {
    ctx.data = std::move(data);
    return Status::Ok();
  }
  // The reference prepare validated the op and derived everything the
  // packed form needs.
  const Conv2DPrepared ref = reference_conv_2d_prepared(*data->reference_data);
  const Conv2DGeometry& g = ref.geometry;
  // The packed form counts output positions and filter depth in int. A file
  // can declare more (an empty filter [0, 65536, 65536, 1] costs no bytes);
  // such shapes, and filters without output channels, stay with the
  // reference kernel.
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  if (g.out_c == 0 || int64_t{g.out_h} * g.out_w > kIntMax || int64_t{g.filter_h} * g.filter_w * g.in_c > kIntMax) {
    ctx.data = std::move(data);
    return Status::Ok();
  }
  const SimdLevel level = best_simd_level();
  if (variant == WeightedVariant::kFloat) {
    data->real = std::make_unique<OptimizedConv2DFloat>(g, reinterpret_cast<const float*>(filter.constant),
                                                        ref.act_min, ref.act_max, level);
    ctx.scratch_bytes = std::max(ctx.scratch_bytes, data->real->scratch_bytes());
  } else {
    data->int8 =
        std::make_unique<OptimizedConv2DInt8>(*ref.int8, reinterpret_cast<const int8_t*>(filter.constant), level);
    ctx.scratch_bytes = std::max(ctx.scratch_bytes, data->int8->scratch_bytes());
  }
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const auto& d = ctx.op_data<Conv2DData>();
  if (d.int8) {
    d.int8->run(ctx.input<int8_t>(0), ctx.input<int32_t>(2), ctx.output<int8_t>(0), ctx.scratch);
    return Status::Ok();
  }
  if (d.real) {
    d.real->run(ctx.input<float>(0), ctx.input<float>(2), ctx.output<float>(0), ctx.scratch);
    return Status::Ok();
  }
  return d.eval_reference(ctx);
}

}  // namespace

const Kernel& optimized_kernel_Conv2D() {
  static const Kernel kernel{"optimized", prepare, eval};
  return kernel;
}

}  // namespace quantlab
