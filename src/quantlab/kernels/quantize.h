// QUANTIZE: float to int8/uint8/int16 (round half away from zero, saturate),
// or integer to integer requantization (int8/uint8/int16 in any
// combination) with the exact 31-bit multiplier s_in / s_out.
#pragma once

#include <cstdint>

#include "quantlab/core/dtype.h"
#include "quantlab/numerics/quantized_arithmetic.h"

namespace quantlab {

// Writes `size` values of `output_type` (kInt8, kUInt8 or kInt16); false
// for any other type.
bool quantize_floats(const float* input, void* output, DType output_type, int64_t size, float scale,
                     int32_t zero_point);

// Rescales `size` values of `input_type` into `output_type` (each kInt8,
// kUInt8 or kInt16); params.output_min/max must be the output type's range.
bool requantize_integers(const void* input, DType input_type, void* output, DType output_type, int64_t size,
                         const RequantizeParams& params);

}  // namespace quantlab
