// Fixed-point SOFTMAX and LOGISTIC on int8, as TFLite's reference kernels
// (and TFLite Micro) compute them with gemmlowp's fixed-point exp and
// logistic. Both produce outputs quantized with scale 1/256 and zero point
// -128, so an output q means (q + 128) / 256.
#pragma once

#include <cstdint>

#include "quantlab/numerics/requantize.h"

namespace quantlab {

// SOFTMAX int8. Differences x - max(row) (<= 0, in input quantization steps)
// are scaled by beta * input_scale into Q5.26 fixed point (5 integer bits:
// exp of anything below -32 is negligible). Differences below `diff_min`
// would overflow that format and contribute exp(...) ~ 0, so they are
// skipped and give output -128.
struct SoftmaxInt8Params {
  // beta * input_scale * 2^26 as a multiplier >= 1 (capped at 2^31 - 1).
  QuantizedMultiplier input_beta_multiplier;
  int32_t diff_min = 0;  // most negative difference that is still evaluated
};

// Precondition: beta * input_scale finite and positive.
SoftmaxInt8Params make_softmax_int8_params(double beta, double input_scale);

// Softmax of one row of `depth` int8 values into int8 outputs.
void softmax_int8_row(const int8_t* input, int8_t* output, int depth, const SoftmaxInt8Params& params);

// LOGISTIC int8. Offset-corrected inputs are scaled into Q4.27 fixed point.
// Inputs whose magnitude reaches `input_range_radius` steps (found once in
// prepare: 15 * 2^(27 - shift) with the multiplier q * 2^shift, q in
// [0.5, 1), i.e. 7.5 to 15 in real units, where the int8 result has already
// saturated) map straight to the output extremes.
struct LogisticInt8Params {
  int32_t input_zero_point = 0;
  int32_t input_range_radius = 0;
  QuantizedMultiplier input_multiplier;  // input_scale * 2^27
};

// Precondition: input_scale finite and positive.
LogisticInt8Params make_logistic_int8_params(float input_scale, int32_t input_zero_point);

int8_t logistic_int8_value(int8_t x, const LogisticInt8Params& params);

}  // namespace quantlab
