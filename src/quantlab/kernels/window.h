// Geometry of sliding windows (convolution and pooling), as TFLite computes it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "quantlab/ir/op_options.h"

namespace quantlab {

// Output length along one spatial axis.
//   SAME:  ceil(in / stride)
//   VALID: ceil((in - effective_filter + 1) / stride), effective_filter = (filter - 1) * dilation + 1
// Formed in int64 (a file may declare a filter and dilation whose product
// overflows int); a VALID window larger than the input gives 0.
inline int window_output_size(Padding padding, int in, int filter, int stride, int dilation) {
  const int64_t effective = (int64_t{filter} - 1) * dilation + 1;
  const int64_t out = padding == Padding::kSame ? (int64_t{in} + stride - 1) / stride
                                                : (int64_t{in} - effective + stride) / stride;
  return static_cast<int>(std::clamp<int64_t>(out, 0, std::numeric_limits<int>::max()));
}

// Padding before the first element (top or left); TFLite puts the odd extra
// padding element at the end.
inline int window_padding_before(int in, int out, int filter, int stride, int dilation) {
  const int64_t effective = (int64_t{filter} - 1) * dilation + 1;
  const int64_t total = (int64_t{out} - 1) * stride + effective - in;
  return total > 0 ? static_cast<int>(std::min<int64_t>(total / 2, std::numeric_limits<int>::max())) : 0;
}

// Kernels index input positions as out * stride - pad + tap * dilation in
// int. Prepare refuses windows whose effective filter (filter - 1) *
// dilation + 1 or whose last position (and one past it) leaves int: a file
// can declare a dilation of 2^30 at no cost. A window that yields no output
// passes; the callers refuse it as not fitting the input.
inline bool window_fits_int(Padding padding, int64_t in, int64_t filter, int64_t stride, int64_t dilation) {
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  const int64_t effective = (filter - 1) * dilation + 1;
  if (in > kIntMax || effective > kIntMax) return false;
  const int64_t out = padding == Padding::kSame ? (in + stride - 1) / stride : (in - effective + stride) / stride;
  if (out <= 0) return true;
  const int64_t total = (out - 1) * stride + effective - in;
  const int64_t pad = padding == Padding::kSame && total > 0 ? total / 2 : 0;
  return (out - 1) * stride - pad + effective - 1 < kIntMax;
}

struct Window2D {
  int out_h = 0, out_w = 0;
  int pad_top = 0, pad_left = 0;
};

inline Window2D compute_window(Padding padding, int in_h, int in_w, int filter_h, int filter_w, int stride_h,
                               int stride_w, int dilation_h, int dilation_w) {
  Window2D w;
  w.out_h = window_output_size(padding, in_h, filter_h, stride_h, dilation_h);
  w.out_w = window_output_size(padding, in_w, filter_w, stride_w, dilation_w);
  if (padding == Padding::kSame) {
    w.pad_top = window_padding_before(in_h, w.out_h, filter_h, stride_h, dilation_h);
    w.pad_left = window_padding_before(in_w, w.out_w, filter_w, stride_w, dilation_w);
  }
  return w;
}

}  // namespace quantlab
