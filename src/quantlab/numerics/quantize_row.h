// Run-time quantization of float activations by hybrid (dynamic-range)
// kernels: each row (one FULLY_CONNECTED / BATCH_MATMUL input row, or one
// whole CONV_2D / DEPTHWISE_CONV_2D batch entry) gets its own int8 scale and
// zero point, chosen from that row's values exactly as TFLite's hybrid
// kernels choose them, so that the int32 accumulators match bit for bit.
#pragma once

#include <cstdint>

namespace quantlab {

// real ~= scale * (q - zero_point) for every value of the row.
struct RowQuantization {
  float scale = 1.f;
  int32_t zero_point = 0;
};

// Symmetric: range = max|x| (in float), scale = range / 127, and
// q = round(x * (127 / range)) rounded half away from zero and clamped to
// [-127, 127]; zero_point is 0. A row of zeros gives q = 0 with scale 1.
// `count` >= 0 values are read from `values` and written to `quantized`.
RowQuantization quantize_row_symmetric(const float* values, int64_t count, int8_t* quantized);

// Asymmetric with a nudged zero point: the range [min(0, min x), max(0, max x)]
// is mapped onto [-128, 127] with scale = (max - min) / 255 computed in
// double; the zero point is derived from whichever end of the range gives
// the smaller error, rounded half away from zero and clamped to [-128, 127].
// Then q = round(zero_point + x * (1 / scale)) in float, clamped to
// [-128, 127]. A row of zeros gives q = 0, scale 1, zero point 0.
// NaN inputs quantize to the zero point in both functions.
RowQuantization quantize_row_asymmetric(const float* values, int64_t count, int8_t* quantized);

}  // namespace quantlab
