// MUL: element-wise product of two broadcast-compatible tensors with a fused
// clamp activation. Reference math over raw pointers.
#pragma once

#include <cstdint>

#include "quantlab/kernels/broadcast.h"
#include "quantlab/numerics/quantized_arithmetic.h"

namespace quantlab {

// out = clamp(a * b, activation_min, activation_max), in float.
void mul_float(const BroadcastPlan& plan, const float* a, const float* b, float* out, float activation_min,
               float activation_max);

// The int8 product rescaled by s_a * s_b / s_out (see QuantizedMulParams).
void mul_int8(const BroadcastPlan& plan, const int8_t* a, const int8_t* b, int8_t* out,
              const QuantizedMulParams& params);

}  // namespace quantlab
