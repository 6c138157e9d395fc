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
// int; every such value lies within [-effective, in + effective), where
// effective = (filter - 1) * dilation + 1, so a window is only usable when
// in + effective fits int. Prepare refuses the others (a file can declare a
// dilation of 2^30 at no cost).
inline bool window_fits_int(int64_t in, int64_t filter, int64_t dilation) {
  const int64_t effective = (filter - 1) * dilation + 1;
  return effective <= int64_t{std::numeric_limits<int>::max()} - in;
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
