#include "quantlab/numerics/requantize_batch.h"

#include <algorithm>

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

constexpr int kLanes = 16;

// Rows narrower than this, unless a whole number of vectors, are
// requantized as one flat run with lane arrays repeating the columns.
constexpr int kMaxRepeatedColumns = 64;

bool cpu_has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

// The multipliers the vector form reproduces: left shifts up to 30 and
// right shifts up to 31 (quantize_multiplier yields exactly that range:
// exponents below -31 become a zero multiplier), multipliers >= 0.
bool vector_safe(QuantizedMultiplier m) { return m.multiplier >= 0 && m.shift >= -31 && m.shift <= 30; }

// The zero point is added modulo 2^32, as the vector form's lanes add it and
// as the reference kernels' int32 addition behaves in practice; it can only
// wrap when the scaled value lies within 128 of an int32 limit, which only
// absurd scales produce.
int32_t add_wrapping(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

int8_t requantize_one(int32_t acc, QuantizedMultiplier m, Rounding rounding, int32_t zero_point, int32_t act_min,
                      int32_t act_max) {
  const int32_t v = add_wrapping(multiply_by_quantized_multiplier(acc, m, rounding), zero_point);
  return static_cast<int8_t>(std::min(std::max(v, act_min), act_max));
}

#define QL_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

// Pointers into the lane arrays at the first lane of a vector.
struct LanePointers {
  const int32_t *multiplier, *left_shift, *right_shift, *remainder_mask, *total_shift;
  LanePointers at(int64_t offset) const {
    return {multiplier + offset, left_shift + offset, right_shift + offset, remainder_mask + offset,
            total_shift + offset};
  }
};

struct Output {
  Rounding rounding;
  bool any_left_shift;
  int32_t zero_point, act_min, act_max;
};

// multiply_by_quantized_multiplier, double rounding, 16 lanes:
//   rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x * 2^left, m), right)
QL_AVX512 inline __m512i multiply_double_rounding(__m512i x, const LanePointers& l, __mmask16 valid,
                                                  bool any_left_shift) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i multiplier = _mm512_maskz_loadu_epi32(valid, l.multiplier);
  __m512i a = x;
  if (any_left_shift) {
    // x * 2^left saturated to int32: the shift overflowed when shifting
    // back does not restore x.
    const __m512i left = _mm512_maskz_loadu_epi32(valid, l.left_shift);
    const __m512i shifted = _mm512_sllv_epi32(x, left);
    const __mmask16 overflow = _mm512_cmpneq_epi32_mask(_mm512_srav_epi32(shifted, left), x);
    const __m512i saturated = _mm512_mask_blend_epi32(_mm512_cmplt_epi32_mask(x, zero), _mm512_set1_epi32(INT32_MAX),
                                                      _mm512_set1_epi32(INT32_MIN));
    a = _mm512_mask_blend_epi32(overflow, shifted, saturated);
  }
  // The high multiply nudges a non-negative product p by 2^30 and a negative
  // one by 1 - 2^30, then divides by 2^31 truncating. For p < 0 that is
  // ceil((p + 1 - 2^30) / 2^31) = floor((p + 2^30) / 2^31), so both cases are
  // floor((p + 2^30) / 2^31): bits 31..62 of p + 2^30. (The saturating case
  // a == m == INT32_MIN cannot occur: m >= 0.) _mm512_mul_epi32 multiplies
  // the sign-extended even lanes into int64; odd lanes are moved down first.
  const __m512i nudge = _mm512_set1_epi64(int64_t{1} << 30);
  const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(a, multiplier), nudge);
  const __m512i odd =
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(multiplier, 32)), nudge);
  const __m512i high = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 31), _mm512_slli_epi64(odd, 1));
  // rounding_divide_by_pot(high, right): add one when the remainder exceeds
  // half the divisor (or reaches it, for negative values).
  const __m512i right = _mm512_maskz_loadu_epi32(valid, l.right_shift);
  const __m512i mask = _mm512_maskz_loadu_epi32(valid, l.remainder_mask);
  const __m512i half = _mm512_srai_epi32(mask, 1);
  const __m512i threshold =
      _mm512_mask_add_epi32(half, _mm512_cmplt_epi32_mask(high, zero), half, _mm512_set1_epi32(1));
  const __m512i quotient = _mm512_srav_epi32(high, right);
  return _mm512_mask_add_epi32(quotient, _mm512_cmpgt_epi32_mask(_mm512_and_si512(high, mask), threshold), quotient,
                               _mm512_set1_epi32(1));
}

// (p + 2^(t - 1)) >> t on int64 lanes, t in [1, 62], saturated to int32.
QL_AVX512 inline __m512i round_shift_saturate(__m512i product, __m512i total_shift) {
  const __m512i round = _mm512_sllv_epi64(_mm512_set1_epi64(1), _mm512_sub_epi64(total_shift, _mm512_set1_epi64(1)));
  const __m512i r = _mm512_srav_epi64(_mm512_add_epi64(product, round), total_shift);
  return _mm512_max_epi64(_mm512_min_epi64(r, _mm512_set1_epi64(INT32_MAX)), _mm512_set1_epi64(INT32_MIN));
}

// multiply_by_quantized_multiplier, single rounding, 16 lanes:
// (x * m + 2^(t - 1)) >> t with t = 31 - shift, saturated.
QL_AVX512 inline __m512i multiply_single_rounding(__m512i x, const LanePointers& l, __mmask16 valid) {
  const __m512i multiplier = _mm512_maskz_loadu_epi32(valid, l.multiplier);
  const __m512i total_shift = _mm512_maskz_loadu_epi32(valid, l.total_shift);
  const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
  const __m512i even = round_shift_saturate(_mm512_mul_epi32(x, multiplier), _mm512_and_si512(total_shift, low32));
  const __m512i odd =
      round_shift_saturate(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(multiplier, 32)),
                           _mm512_srli_epi64(total_shift, 32));
  return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

// Up to 16 values whose lanes start at `l`.
QL_AVX512 inline void requantize_vector(const int32_t* acc, int n, const LanePointers& l, const Output& o,
                                        int8_t* out) {
  const __mmask16 valid = static_cast<__mmask16>((1u << n) - 1u);
  const __m512i x = _mm512_maskz_loadu_epi32(valid, acc);
  const __m512i scaled = o.rounding == Rounding::kDouble ? multiply_double_rounding(x, l, valid, o.any_left_shift)
                                                         : multiply_single_rounding(x, l, valid);
  const __m512i clamped = _mm512_min_epi32(
      _mm512_max_epi32(_mm512_add_epi32(scaled, _mm512_set1_epi32(o.zero_point)), _mm512_set1_epi32(o.act_min)),
      _mm512_set1_epi32(o.act_max));
  _mm_mask_storeu_epi8(out, valid, _mm512_cvtepi32_epi8(clamped));
}

// A flat run of `n` values; value i uses lane (i mod period) of `lanes`,
// period a multiple of 16.
QL_AVX512 void requantize_repeating(const int32_t* acc, int64_t n, const LanePointers& lanes, int64_t period,
                                    const Output& o, int8_t* out) {
  int64_t lane = 0;
  for (int64_t i = 0; i < n; i += kLanes) {
    requantize_vector(acc + i, static_cast<int>(std::min<int64_t>(kLanes, n - i)), lanes.at(lane), o, out + i);
    lane += kLanes;
    if (lane == period) lane = 0;
  }
}

// `rows` rows of `count` values whose lanes start at `lanes` in every row.
QL_AVX512 void requantize_rows(const int32_t* acc, int rows, int count, const LanePointers& lanes, const Output& o,
                               int8_t* out) {
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < count; j += kLanes)
      requantize_vector(acc + static_cast<int64_t>(r) * count + j, std::min(kLanes, count - j), lanes.at(j), o,
                        out + static_cast<int64_t>(r) * count + j);
}

#undef QL_AVX512

LanePointers pointers(const std::vector<int32_t>& multiplier, const std::vector<int32_t>& left,
                      const std::vector<int32_t>& right, const std::vector<int32_t>& mask,
                      const std::vector<int32_t>& total) {
  return {multiplier.data(), left.data(), right.data(), mask.data(), total.data()};
}

}  // namespace

Int8Requantizer::LaneArrays Int8Requantizer::lane_arrays(const std::vector<QuantizedMultiplier>& m, int lanes) {
  LaneArrays a;
  for (int i = 0; i < lanes; ++i) {
    const QuantizedMultiplier q = m[i % m.size()];
    const int left = std::max(q.shift, 0), right = std::max(-q.shift, 0);
    a.multiplier.push_back(q.multiplier);
    a.left_shift.push_back(left);
    a.right_shift.push_back(right);
    a.remainder_mask.push_back(static_cast<int32_t>((int64_t{1} << right) - 1));
    a.total_shift.push_back(31 - q.shift);
  }
  return a;
}

Int8Requantizer::Int8Requantizer(const QuantizedMultiplier* multipliers, int columns, Rounding rounding,
                                 int32_t zero_point, int32_t act_min, int32_t act_max)
    : multipliers_(multipliers, multipliers + columns),
      rounding_(rounding),
      zero_point_(zero_point),
      act_min_(act_min),
      act_max_(act_max) {
  static const bool avx512 = cpu_has_avx512();
  vectorized_ = avx512 && columns > 0 && std::all_of(multipliers_.begin(), multipliers_.end(), vector_safe);
  if (!vectorized_) return;
  any_left_shift_ =
      std::any_of(multipliers_.begin(), multipliers_.end(), [](QuantizedMultiplier m) { return m.shift > 0; });
  by_column_ = lane_arrays(multipliers_, columns);
  if (columns % kLanes != 0 && columns < kMaxRepeatedColumns) repeated_ = lane_arrays(multipliers_, kLanes * columns);
}

void Int8Requantizer::requantize(const int32_t* acc, int rows, int first, int count, int8_t* out) const {
  if (!vectorized_) {
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < count; ++j) {
        const int64_t i = static_cast<int64_t>(r) * count + j;
        out[i] = requantize_one(acc[i], multipliers_[first + j], rounding_, zero_point_, act_min_, act_max_);
      }
    return;
  }
  const Output o{rounding_, any_left_shift_, zero_point_, act_min_, act_max_};
  if (first == 0 && count == columns() && !repeated_.multiplier.empty()) {
    // Whole rows narrower than a vector multiple: one flat run, 16 rows per
    // period of the repeated lanes.
    const LaneArrays& r = repeated_;
    requantize_repeating(acc, static_cast<int64_t>(rows) * count,
                         pointers(r.multiplier, r.left_shift, r.right_shift, r.remainder_mask, r.total_shift),
                         static_cast<int64_t>(kLanes) * count, o, out);
    return;
  }
  const LaneArrays& c = by_column_;
  requantize_rows(acc, rows, count,
                  pointers(c.multiplier, c.left_shift, c.right_shift, c.remainder_mask, c.total_shift).at(first), o,
                  out);
}

}  // namespace quantlab
