// Geometry of sliding windows (convolution and pooling), as TFLite computes it.
#pragma once

#include "quantlab/ir/op_options.h"

namespace quantlab {

// Output length along one spatial axis.
//   SAME:  ceil(in / stride)
//   VALID: ceil((in - effective_filter + 1) / stride), effective_filter = (filter - 1) * dilation + 1
inline int window_output_size(Padding padding, int in, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  if (padding == Padding::kSame) return (in + stride - 1) / stride;
  return (in - effective + stride) / stride;
}

// Padding before the first element (top or left); TFLite puts the odd extra
// padding element at the end.
inline int window_padding_before(int in, int out, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  const int total = (out - 1) * stride + effective - in;
  return total > 0 ? total / 2 : 0;
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
