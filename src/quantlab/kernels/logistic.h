// LOGISTIC (sigmoid): 1 / (1 + exp(-x)) element-wise.
#pragma once

#include <cstdint>

#include "quantlab/numerics/fixed_point_activations.h"

namespace quantlab {

// As TFLite's reference kernel: 1 above 16.619 (where the float result
// rounds to 1 anyway), exp(x) below -9 (where 1 + exp(-x) ~ exp(-x)), the
// formula in between.
void logistic_float(const float* input, float* output, int64_t size);

// int8 in, int8 out with scale 1/256 and zero point -128, in fixed point.
void logistic_int8(const int8_t* input, int8_t* output, int64_t size, const LogisticInt8Params& params);

}  // namespace quantlab
