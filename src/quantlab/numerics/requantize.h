// Fixed-point requantization: turning a real multiplier into an integer
// multiplier and shift, and applying it to int32 accumulators exactly as
// TFLite's kernels do. Every kernel and pass that rescales integers calls
// these functions; none re-derives the arithmetic.
#pragma once

#include <cstdint>

namespace quantlab {

// How a Q31 multiplier is applied to an accumulator.
enum class Rounding : uint8_t {
  // TFLite / TFLite Micro reference kernels: a saturating rounding doubling
  // high multiply followed by a rounding right shift (two roundings).
  kDouble,
  // XNNPACK / ruy / CMSIS-NN style: one 64-bit product, rounded once.
  kSingle,
};

const char* rounding_name(Rounding r);

// real ~= multiplier * 2^(shift - 31), multiplier in [2^30, 2^31) or 0.
struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int shift = 0;  // positive: left shift
};

// Decomposes a real multiplier (>= 0) as TFLite's QuantizeMultiplier does:
// frexp into q in [0.5, 1) and an exponent, q rounded to Q31; a result of
// exactly 2^31 is halved with the exponent raised; exponents below -31 give 0
// and exponents above 31 (real multipliers >= 2^31) saturate to
// {2^31 - 1, 31}, so the shift always lies in [-31, 31].
QuantizedMultiplier quantize_multiplier(double real_multiplier);

// gemmlowp's SaturatingRoundingDoublingHighMul: round(a * b / 2^31),
// saturating the single overflow case a == b == INT32_MIN.
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);

// gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded half away from zero.
// Precondition: 0 <= exponent <= 31.
int32_t rounding_divide_by_pot(int32_t x, int exponent);

// x * real_multiplier rounded to int32, with the given rounding style.
int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier m, Rounding rounding);

// Adds an output zero point to a rescaled value modulo 2^32, as TFLite's
// reference kernels' int32 addition behaves in practice and as the vector
// requantization lanes add it. The sum only leaves int32 when the rescaled
// value lies within the zero point (a value of an 8- or 16-bit type) of an
// int32 limit; in a well-formed model rescaled values lie near the output
// type's range, so only a malformed file (say a scale ratio of 1e19) gets
// there, and it then gets a clamped, meaningless value instead of undefined
// behaviour.
inline int32_t add_zero_point_wrapping(int32_t scaled, int32_t zero_point) {
  return static_cast<int32_t>(static_cast<uint32_t>(scaled) + static_cast<uint32_t>(zero_point));
}

// 64-bit accumulator variant used where sums can exceed int32 (e.g. MEAN over
// large windows). Applies the same rounding as the int32 version.
int32_t multiply_by_quantized_multiplier_64(int64_t x, QuantizedMultiplier m, Rounding rounding);

// The real multiplier input_scale * weight_scale / output_scale of a
// weighted op, with every factor widened to double before multiplying. This
// is how TFLite derives CONV_2D and DEPTHWISE_CONV_2D multipliers (per-tensor
// weights included, broadcast to every channel) and per-channel
// FULLY_CONNECTED multipliers.
double real_multiplier_double_product(float input_scale, float weight_scale, float output_scale);

// The same multiplier with input_scale * weight_scale formed in float (so
// rounded to 24 bits) before widening, as TFLite derives per-tensor
// FULLY_CONNECTED and BATCH_MATMUL multipliers. The two can differ in the
// last bits of the Q31 multiplier and hence, rarely, by 1 LSB in an output.
double real_multiplier_float_product(float input_scale, float weight_scale, float output_scale);

}  // namespace quantlab
