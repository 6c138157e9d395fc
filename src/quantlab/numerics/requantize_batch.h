// Requantization of many accumulators at once: the output stage of the int8
// weighted ops (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL) as
// the optimized kernels run it, a row of outputs per call.
//
// Every value comes out exactly as multiply_by_quantized_multiplier would
// give it (both rounding styles): the vector form computes the same integer
// expressions lane by lane, and values whose multiplier lies outside the
// range it handles go through the scalar function. AVX-512 is used when the
// CPU has it (chosen at run time); otherwise the scalar function runs.
#pragma once

#include <cstdint>

#include "quantlab/numerics/requantize.h"

namespace quantlab {

// For j < count:
//   out[j] = clamp(multiply_by_quantized_multiplier(acc[j], multipliers[j], rounding) + zero_point,
//                  act_min, act_max)
// Precondition: -128 <= act_min <= act_max <= 127.
void requantize_to_int8(const int32_t* acc, int count, const QuantizedMultiplier* multipliers, Rounding rounding,
                        int32_t zero_point, int32_t act_min, int32_t act_max, int8_t* out);

// Whether requantize_to_int8 runs its AVX-512 form on this CPU.
bool requantize_to_int8_is_vectorized();

}  // namespace quantlab
