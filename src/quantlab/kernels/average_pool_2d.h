// AVERAGE_POOL_2D on NHWC tensors. Each output is the average of the input
// elements its window covers inside the input (padding is not counted),
// clamped to the fused activation's range.
#pragma once

#include <cstdint>

#include "quantlab/kernels/pool_geometry.h"

namespace quantlab {

void average_pool_float(const PoolGeometry& geometry, const float* input, float* output, float activation_min,
                        float activation_max);

// The raw int8 values are summed and divided with rounding half away from
// zero; input and output share quantization, so no rescaling happens.
void average_pool_int8(const PoolGeometry& geometry, const int8_t* input, int8_t* output, int32_t activation_min,
                       int32_t activation_max);

}  // namespace quantlab
