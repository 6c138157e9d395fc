// MAX_POOL_2D on NHWC tensors: the largest input element each window covers
// inside the input, clamped to the fused activation's range. Quantized
// inputs and outputs share quantization, so the maximum of the raw values is
// the quantized maximum.
#pragma once

#include <cstdint>

#include "quantlab/kernels/pool_geometry.h"

namespace quantlab {

void max_pool_float(const PoolGeometry& geometry, const float* input, float* output, float activation_min,
                    float activation_max);

void max_pool_int8(const PoolGeometry& geometry, const int8_t* input, int8_t* output, int32_t activation_min,
                   int32_t activation_max);

}  // namespace quantlab
