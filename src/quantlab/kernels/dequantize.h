// DEQUANTIZE: int8, uint8 or int16 to float32, real = scale * (q - zero_point),
// with one scale (per-tensor) or one per index of the quantized axis
// (per-channel constant weights).
#pragma once

#include <cstdint>

#include "quantlab/core/dtype.h"

namespace quantlab {

// How the scale and zero point vary over the flat element index i:
// channel = (i / inner) % channels; per-tensor is channels = 1.
struct DequantizeLayout {
  int64_t size = 0;
  int64_t inner = 1;    // product of the dimensions after the quantized axis
  int64_t channels = 1;
};

// `scales`/`zero_points` hold `layout.channels` entries. False for input
// types other than kInt8, kUInt8, kInt16.
bool dequantize_values(const void* input, DType input_type, float* output, const DequantizeLayout& layout,
                       const float* scales, const int32_t* zero_points);

}  // namespace quantlab
