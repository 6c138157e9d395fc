// Optimized CONV_2D: the convolution as a matrix product. Each output
// position's receptive field (filter rows x filter columns x input channels,
// in the filter's OHWI order) becomes one row of A ("im2col", built a chunk
// of rows at a time in scratch memory); the filter, packed once, is B.
// Padding taps hold the input zero point (int8) or 0 (float), so they add
// nothing, as in the reference kernel.
//
// The int8 form reproduces the reference conv_2d_int8 bit for bit; the
// float form agrees with conv_2d_float to float rounding.
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/kernels/conv_2d.h"
#include "quantlab/kernels/optimized/aligned_buffer.h"
#include "quantlab/kernels/optimized/float_gemm.h"
#include "quantlab/kernels/optimized/int8_gemm.h"

namespace quantlab {

class OptimizedConv2DInt8 {
 public:
  // `params` as conv_2d_int8 takes them (copied); `filter` [out_c, fh, fw, in_c].
  OptimizedConv2DInt8(const Conv2DInt8Params& params, const int8_t* filter, SimdLevel level);

  // Bytes of scratch memory `run` needs (any alignment).
  int64_t scratch_bytes() const;

  // Same contract as conv_2d_int8; bias [out_c] or null.
  void run(const int8_t* input, const int32_t* bias, int8_t* output, void* scratch) const;

 private:
  Conv2DGeometry g_;
  SimdLevel level_;
  int depth_ = 0, padded_depth_ = 0;
  int chunk_rows_ = 0;
  int8_t input_zero_point_ = 0;
  AlignedBuffer<int8_t> packed_;
  std::vector<int32_t> column_sums_, column_offsets_;
  Int8Requantizer requantizer_;
};

class OptimizedConv2DFloat {
 public:
  // `filter` [out_c, fh, fw, in_c]; outputs clamped to [act_min, act_max].
  OptimizedConv2DFloat(const Conv2DGeometry& g, const float* filter, float act_min, float act_max, SimdLevel level);

  int64_t scratch_bytes() const;

  // Same contract as conv_2d_float; bias [out_c] or null.
  void run(const float* input, const float* bias, float* output, void* scratch) const;

 private:
  // A 1x1 filter at stride 1 reads each input position's channels as they
  // lie in memory: the input is already A.
  bool input_is_matrix() const;

  Conv2DGeometry g_;
  SimdLevel level_;
  float act_min_, act_max_;
  int depth_ = 0;
  int chunk_rows_ = 0;
  AlignedBuffer<float> packed_;
};

}  // namespace quantlab
