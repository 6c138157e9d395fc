// Optimized MAX_POOL_2D: each window's maximum taken over whole blocks of
// channels at once. Selecting a maximum involves no arithmetic, so the
// results equal max_pool_float / max_pool_int8 exactly (NaN inputs are
// skipped and signed zeros resolved as std::max resolves them).
#pragma once

#include <cstdint>

#include "quantlab/kernels/max_pool_2d.h"
#include "quantlab/kernels/optimized/simd_level.h"

namespace quantlab {

// Same contracts as max_pool_float and max_pool_int8.
void optimized_max_pool_float(SimdLevel level, const PoolGeometry& g, const float* input, float* output,
                              float activation_min, float activation_max);
void optimized_max_pool_int8(SimdLevel level, const PoolGeometry& g, const int8_t* input, int8_t* output,
                             int32_t activation_min, int32_t activation_max);

}  // namespace quantlab
