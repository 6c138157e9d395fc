// ADD: element-wise sum of two broadcast-compatible tensors with a fused
// clamp activation. Reference math over raw pointers.
#pragma once

#include <cstdint>

#include "quantlab/kernels/broadcast.h"
#include "quantlab/numerics/quantized_arithmetic.h"

namespace quantlab {

// out = clamp(a + b, activation_min, activation_max), in float.
void add_float(const BroadcastPlan& plan, const float* a, const float* b, float* out, float activation_min,
               float activation_max);

// The int8 sum with TFLite's fixed-point rescaling (see QuantizedAddParams).
void add_int8(const BroadcastPlan& plan, const int8_t* a, const int8_t* b, int8_t* out,
              const QuantizedAddParams& params);

}  // namespace quantlab
