// Optimized DEPTHWISE_CONV_2D: direct convolution vectorized over channels,
// one output row at a time. The in-bounds filter taps of each output row and
// column are computed once at prepare; every block of channels sums its taps
// in registers, in the reference's (filter row, filter column) order. A depth
// multiplier above 1 first expands the input so that output channel c reads
// expanded channel c. int8 rows are requantized in one call per row.
//
// Two shapes get other treatment. With a single input channel the op is a
// convolution with out_c one-channel filters and runs as one (a matrix
// product, no expansion). With fewer than 16 channels at stride 1, a vector
// holds 16 / channels adjacent output positions, whose inputs lie side by
// side, instead of leaving most lanes idle.
//
// The int8 form reproduces depthwise_conv_2d_int8 bit for bit; the float form
// agrees with depthwise_conv_2d_float to float rounding.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "quantlab/kernels/depthwise_conv_2d.h"
#include "quantlab/kernels/optimized/aligned_buffer.h"
#include "quantlab/kernels/optimized/conv_2d.h"
#include "quantlab/kernels/optimized/simd_level.h"
#include "quantlab/numerics/requantize_batch.h"

namespace quantlab {

// The filter taps of one output row (or column) that fall inside the input:
// taps [first, last) read input row (column) `origin + tap * dilation`.
struct TapRange {
  int origin = 0;
  int first = 0, last = 0;
};

class OptimizedDepthwiseConv2DInt8 {
 public:
  // `params` as depthwise_conv_2d_int8 takes them (copied); `filter` [1, fh, fw, out_c].
  OptimizedDepthwiseConv2DInt8(const DepthwiseConv2DInt8Params& params, const int8_t* filter, SimdLevel level);

  int64_t scratch_bytes() const;  // 4-byte aligned scratch

  // Same contract as depthwise_conv_2d_int8; bias [out_c] or null.
  void run(const int8_t* input, const int32_t* bias, int8_t* output, void* scratch) const;

 private:
  Conv2DGeometry g_;
  SimdLevel level_;
  int32_t input_zero_point_ = 0;
  std::vector<TapRange> rows_, columns_;
  AlignedBuffer<int32_t> weights_;        // [taps][out_c rounded up to 16], widened once
  AlignedBuffer<int32_t> tiled_weights_;  // [taps][16]: each tap's weights repeated, or empty
  Int8Requantizer requantizer_;
  std::unique_ptr<OptimizedConv2DInt8> as_convolution_;  // with a single input channel
};

class OptimizedDepthwiseConv2DFloat {
 public:
  // `filter` [1, fh, fw, out_c]; outputs clamped to [act_min, act_max].
  OptimizedDepthwiseConv2DFloat(const Conv2DGeometry& g, const float* filter, float act_min, float act_max,
                                SimdLevel level);

  int64_t scratch_bytes() const;  // 4-byte aligned scratch

  // Same contract as depthwise_conv_2d_float; bias [out_c] or null.
  void run(const float* input, const float* bias, float* output, void* scratch) const;

 private:
  Conv2DGeometry g_;
  SimdLevel level_;
  float act_min_, act_max_;
  std::vector<TapRange> rows_, columns_;
  AlignedBuffer<float> weights_;                          // [taps][out_c rounded up to 16]
  AlignedBuffer<float> tiled_weights_;                    // [taps][16]: each tap's weights repeated, or empty
  std::unique_ptr<OptimizedConv2DFloat> as_convolution_;  // with a single input channel
};

}  // namespace quantlab
