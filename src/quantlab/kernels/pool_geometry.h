// Shared geometry and preparation of AVERAGE_POOL_2D and MAX_POOL_2D on
// NHWC tensors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/window.h"

namespace quantlab {

struct PoolGeometry {
  int batches = 0, input_h = 0, input_w = 0, channels = 0;
  int filter_h = 0, filter_w = 0, stride_h = 0, stride_w = 0;
  Window2D window;  // output size and leading padding
};

// Validates a pool's input (rank 4, NHWC) and options, and computes its
// geometry; the output shape is [batches, window.out_h, window.out_w, channels].
Result<PoolGeometry> plan_pool(const PrepareContext& ctx, const Pool2DOptions& options);

// What both pools prepare: the geometry and the fused clamp, in float32 or
// in int8 (where input and output must share their parameters).
struct PoolData : OpData {
  PoolGeometry geometry;
  bool int8 = false;
  float float_min = 0.f, float_max = 0.f;
  int32_t quantized_min = 0, quantized_max = 0;
};

// Validates the pool, sets the output shape and returns its data.
Result<std::unique_ptr<PoolData>> prepare_pool(PrepareContext& ctx);

// FloatPool(geometry, in, out, float_min, float_max);
// Int8Pool(geometry, in, out, quantized_min, quantized_max).
template <typename FloatPool, typename Int8Pool>
Status eval_pool(const EvalContext& ctx, FloatPool float_pool, Int8Pool int8_pool) {
  const PoolData& d = ctx.op_data<PoolData>();
  if (d.int8) {
    int8_pool(d.geometry, ctx.input<int8_t>(0), ctx.output<int8_t>(0), d.quantized_min, d.quantized_max);
  } else {
    float_pool(d.geometry, ctx.input<float>(0), ctx.output<float>(0), d.float_min, d.float_max);
  }
  return Status::Ok();
}

// The part of the input one output element's window covers, clipped to the
// input: padded positions are not visited, which is why averages divide by
// the number of in-bounds elements rather than the filter area.
struct PoolWindow {
  int y_begin, y_end, x_begin, x_end;
  int channel;
  int64_t batch_offset;  // offset of the batch's first input element
  int count() const { return (y_end - y_begin) * (x_end - x_begin); }
};

// Offset of input element (y, x) of the window's batch and channel.
inline int64_t pool_input_offset(const PoolGeometry& g, const PoolWindow& w, int y, int x) {
  return w.batch_offset + (static_cast<int64_t>(y) * g.input_w + x) * g.channels + w.channel;
}

// Calls f(output_offset, window) for every output element in NHWC order.
template <typename F>
void for_each_pool_window(const PoolGeometry& g, F&& f) {
  int64_t out = 0;
  for (int b = 0; b < g.batches; ++b) {
    const int64_t batch_offset = static_cast<int64_t>(b) * g.input_h * g.input_w * g.channels;
    for (int oy = 0; oy < g.window.out_h; ++oy) {
      const int origin_y = oy * g.stride_h - g.window.pad_top;
      for (int ox = 0; ox < g.window.out_w; ++ox) {
        const int origin_x = ox * g.stride_w - g.window.pad_left;
        PoolWindow w;
        w.y_begin = std::max(origin_y, 0);
        w.y_end = std::min(origin_y + g.filter_h, g.input_h);
        w.x_begin = std::max(origin_x, 0);
        w.x_end = std::min(origin_x + g.filter_w, g.input_w);
        w.batch_offset = batch_offset;
        for (int c = 0; c < g.channels; ++c) {
          w.channel = c;
          f(out++, w);
        }
      }
    }
  }
}

}  // namespace quantlab
