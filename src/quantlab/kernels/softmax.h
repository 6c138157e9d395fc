// SOFTMAX along the last dimension: exp(beta * (x - max)) / sum, row by row.
#pragma once

#include <cstdint>

#include "quantlab/numerics/fixed_point_activations.h"

namespace quantlab {

// `rows` rows of `depth` values each.
void softmax_float(const float* input, float* output, int64_t rows, int depth, float beta);

// int8 in, int8 out with scale 1/256 and zero point -128, in fixed point.
void softmax_int8(const int8_t* input, int8_t* output, int64_t rows, int depth, const SoftmaxInt8Params& params);

}  // namespace quantlab
