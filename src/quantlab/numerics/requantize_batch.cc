#include "quantlab/numerics/requantize_batch.h"

#include <algorithm>
#include <cstddef>

// GCC 12's AVX-512 headers make "undefined" vectors from self-initialized
// variables, which -Wuninitialized reports wherever such an intrinsic is
// inlined; those values are never read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

namespace quantlab {
namespace {

// The vector form loads 16 multipliers as 32 consecutive int32 values.
static_assert(sizeof(QuantizedMultiplier) == 8 && offsetof(QuantizedMultiplier, multiplier) == 0 &&
                  offsetof(QuantizedMultiplier, shift) == 4 && sizeof(int) == 4,
              "QuantizedMultiplier must be two packed 32-bit fields");

int8_t requantize_one(int32_t acc, QuantizedMultiplier m, Rounding rounding, int32_t zero_point, int32_t act_min,
                      int32_t act_max) {
  const int32_t v = multiply_by_quantized_multiplier(acc, m, rounding) + zero_point;
  return static_cast<int8_t>(std::min(std::max(v, act_min), act_max));
}

void requantize_scalar(const int32_t* acc, int count, const QuantizedMultiplier* multipliers, Rounding rounding,
                       int32_t zero_point, int32_t act_min, int32_t act_max, int8_t* out) {
  for (int j = 0; j < count; ++j)
    out[j] = requantize_one(acc[j], multipliers[j], rounding, zero_point, act_min, act_max);
}

#define QL_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

// Truncating division of int64 lanes by 2^31, as C++'s `/` on int64:
// negative values are biased by 2^31 - 1 before the arithmetic shift.
QL_AVX512 inline __m512i divide_by_2_31_truncating(__m512i v) {
  const __m512i bias = _mm512_and_si512(_mm512_srai_epi64(v, 63), _mm512_set1_epi64((int64_t{1} << 31) - 1));
  return _mm512_srai_epi64(_mm512_add_epi64(v, bias), 31);
}

// saturating_rounding_doubling_high_mul on int64 lanes holding the product
// a * b: round(a * b / 2^31) with the nudge 2^30 for non-negative products and
// 1 - 2^30 for negative ones, then truncation. (The saturating case
// a == b == INT32_MIN cannot occur: multipliers are never negative here.)
QL_AVX512 inline __m512i high_mul_of_product(__m512i product) {
  const __mmask8 negative = _mm512_cmplt_epi64_mask(product, _mm512_setzero_si512());
  const __m512i nudge =
      _mm512_mask_blend_epi64(negative, _mm512_set1_epi64(int64_t{1} << 30), _mm512_set1_epi64(1 - (int64_t{1} << 30)));
  return divide_by_2_31_truncating(_mm512_add_epi64(product, nudge));
}

// Packs the low 32 bits of the int64 lanes of `even` (results for lanes
// 0, 2, ...) and `odd` (lanes 1, 3, ...) back into 16 int32 lanes.
QL_AVX512 inline __m512i interleave_low_halves(__m512i even, __m512i odd) {
  return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

// multiply_by_quantized_multiplier with double rounding, 16 lanes.
QL_AVX512 inline __m512i multiply_double_rounding(__m512i x, __m512i multiplier, __m512i shift) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i left = _mm512_max_epi32(shift, zero);
  const __m512i right = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);
  // x * 2^left saturated to int32: the shift overflowed when shifting back
  // does not restore x.
  const __m512i shifted = _mm512_sllv_epi32(x, left);
  const __mmask16 overflow = _mm512_cmpneq_epi32_mask(_mm512_srav_epi32(shifted, left), x);
  const __m512i saturated = _mm512_mask_blend_epi32(_mm512_cmplt_epi32_mask(x, zero), _mm512_set1_epi32(INT32_MAX),
                                                    _mm512_set1_epi32(INT32_MIN));
  const __m512i a = _mm512_mask_blend_epi32(overflow, shifted, saturated);
  // _mm512_mul_epi32 multiplies the sign-extended even lanes into int64.
  const __m512i even = high_mul_of_product(_mm512_mul_epi32(a, multiplier));
  const __m512i odd = high_mul_of_product(_mm512_mul_epi32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(multiplier, 32)));
  const __m512i high = interleave_low_halves(even, odd);
  // rounding_divide_by_pot(high, right).
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), right), _mm512_set1_epi32(1));
  const __m512i remainder = _mm512_and_si512(high, mask);
  const __m512i threshold = _mm512_mask_add_epi32(_mm512_srai_epi32(mask, 1), _mm512_cmplt_epi32_mask(high, zero),
                                                  _mm512_srai_epi32(mask, 1), _mm512_set1_epi32(1));
  const __m512i quotient = _mm512_srav_epi32(high, right);
  return _mm512_mask_add_epi32(quotient, _mm512_cmpgt_epi32_mask(remainder, threshold), quotient,
                               _mm512_set1_epi32(1));
}

// (x * multiplier + 2^(t - 1)) >> t, t = 31 - shift in [1, 62], saturated to
// int32, on the int64 lanes of one half.
QL_AVX512 inline __m512i single_rounding_half(__m512i product, __m512i total_shift) {
  const __m512i round = _mm512_sllv_epi64(_mm512_set1_epi64(1), _mm512_sub_epi64(total_shift, _mm512_set1_epi64(1)));
  const __m512i r = _mm512_srav_epi64(_mm512_add_epi64(product, round), total_shift);
  return _mm512_max_epi64(_mm512_min_epi64(r, _mm512_set1_epi64(INT32_MAX)), _mm512_set1_epi64(INT32_MIN));
}

// multiply_by_quantized_multiplier with single rounding, 16 lanes.
QL_AVX512 inline __m512i multiply_single_rounding(__m512i x, __m512i multiplier, __m512i shift) {
  const __m512i total_shift = _mm512_sub_epi32(_mm512_set1_epi32(31), shift);  // positive
  const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
  const __m512i even = single_rounding_half(_mm512_mul_epi32(x, multiplier), _mm512_and_si512(total_shift, low32));
  const __m512i odd = single_rounding_half(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(multiplier, 32)),
                                           _mm512_srli_epi64(total_shift, 32));
  return interleave_low_halves(even, odd);
}

QL_AVX512 void requantize_avx512(const int32_t* acc, int count, const QuantizedMultiplier* multipliers,
                                 Rounding rounding, int32_t zero_point, int32_t act_min, int32_t act_max,
                                 int8_t* out) {
  const auto* fields = reinterpret_cast<const int32_t*>(multipliers);
  const __m512i even_index = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd_index = _mm512_add_epi32(even_index, _mm512_set1_epi32(1));
  const __m512i zp = _mm512_set1_epi32(zero_point);
  const __m512i lo = _mm512_set1_epi32(act_min), hi = _mm512_set1_epi32(act_max);
  // Shifts the vector form reproduces: left shifts up to 30, right shifts up
  // to 31 (quantize_multiplier never yields less than -31), multipliers >= 0.
  const __m512i min_shift = _mm512_set1_epi32(-31), max_shift = _mm512_set1_epi32(30);
  for (int j = 0; j < count; j += 16) {
    const int n = std::min(16, count - j);
    const __mmask16 valid = static_cast<__mmask16>((1u << n) - 1u);
    const __mmask16 first_half = static_cast<__mmask16>((1u << std::min(16, 2 * n)) - 1u);
    const __mmask16 second_half = static_cast<__mmask16>((1u << std::max(0, 2 * n - 16)) - 1u);
    const __m512i fields_lo = _mm512_maskz_loadu_epi32(first_half, fields + 2 * j);
    const __m512i fields_hi = _mm512_maskz_loadu_epi32(second_half, fields + 2 * j + 16);
    const __m512i multiplier = _mm512_permutex2var_epi32(fields_lo, even_index, fields_hi);
    const __m512i shift = _mm512_permutex2var_epi32(fields_lo, odd_index, fields_hi);
    const __mmask16 in_range = _mm512_cmpge_epi32_mask(shift, min_shift) & _mm512_cmple_epi32_mask(shift, max_shift) &
                               _mm512_cmpge_epi32_mask(multiplier, _mm512_setzero_si512());
    if ((in_range & valid) != valid) {
      requantize_scalar(acc + j, n, multipliers + j, rounding, zero_point, act_min, act_max, out + j);
      continue;
    }
    const __m512i x = _mm512_maskz_loadu_epi32(valid, acc + j);
    const __m512i scaled = rounding == Rounding::kDouble ? multiply_double_rounding(x, multiplier, shift)
                                                         : multiply_single_rounding(x, multiplier, shift);
    const __m512i clamped = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(scaled, zp), lo), hi);
    _mm_mask_storeu_epi8(out + j, valid, _mm512_cvtepi32_epi8(clamped));
  }
}

#undef QL_AVX512

bool cpu_has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

}  // namespace

bool requantize_to_int8_is_vectorized() {
  static const bool vectorized = cpu_has_avx512();
  return vectorized;
}

void requantize_to_int8(const int32_t* acc, int count, const QuantizedMultiplier* multipliers, Rounding rounding,
                        int32_t zero_point, int32_t act_min, int32_t act_max, int8_t* out) {
  if (requantize_to_int8_is_vectorized())
    requantize_avx512(acc, count, multipliers, rounding, zero_point, act_min, act_max, out);
  else
    requantize_scalar(acc, count, multipliers, rounding, zero_point, act_min, act_max, out);
}

}  // namespace quantlab
