#include "quantlab/numerics/fixed_point_activations.h"

#include <gemmlowp/fixedpoint/fixedpoint.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace quantlab {
namespace {

constexpr int kSoftmaxDiffIntegerBits = 5;   // exp input format Q5.26
constexpr int kSoftmaxSumIntegerBits = 12;   // sum of up to 4096 exps, Q12.19
constexpr int kLogisticInputIntegerBits = 4; // logistic input format Q4.27
constexpr int kInt8OutputBits = 8;           // outputs are steps of 1/256

// Largest offset-corrected input whose rescaled value stays strictly inside
// the Q(integer_bits) range: floor((2^integer_bits - 1) * 2^(31 -
// integer_bits) / 2^left_shift). Inputs at or beyond it would overflow the
// fixed-point format.
int32_t input_radius(int integer_bits, int left_shift) {
  const double max_rescaled =
      std::ldexp(static_cast<double>((1 << integer_bits) - 1), 31 - integer_bits - left_shift);
  return static_cast<int32_t>(std::min(std::floor(max_rescaled),
                                       static_cast<double>(std::numeric_limits<int32_t>::max())));
}

int32_t clamp_int8(int32_t v) { return std::min<int32_t>(std::max<int32_t>(v, -128), 127); }

}  // namespace

SoftmaxInt8Params make_softmax_int8_params(double beta, double input_scale) {
  SoftmaxInt8Params p;
  // A multiplier this large already drives every non-maximal input's exp to
  // zero, so capping it changes no output.
  const double max_multiplier = static_cast<double>((int64_t{1} << 31) - 1);
  const double real = std::min(beta * input_scale * static_cast<double>(int64_t{1} << (31 - kSoftmaxDiffIntegerBits)),
                               max_multiplier);
  p.input_beta_multiplier = quantize_multiplier(real);
  p.diff_min = -input_radius(kSoftmaxDiffIntegerBits, p.input_beta_multiplier.shift);
  return p;
}

void softmax_int8_row(const int8_t* input, int8_t* output, int depth, const SoftmaxInt8Params& params) {
  using ScaledDiff = gemmlowp::FixedPoint<int32_t, kSoftmaxDiffIntegerBits>;
  using Accumulator = gemmlowp::FixedPoint<int32_t, kSoftmaxSumIntegerBits>;
  using Unit = gemmlowp::FixedPoint<int32_t, 0>;

  int32_t max_in_row = std::numeric_limits<int8_t>::min();
  for (int c = 0; c < depth; ++c) max_in_row = std::max<int32_t>(max_in_row, input[c]);

  auto exp_of_difference = [&](int32_t diff) {
    const int32_t rescaled = multiply_by_quantized_multiplier(diff, params.input_beta_multiplier, Rounding::kDouble);
    return gemmlowp::exp_on_negative_values(ScaledDiff::FromRaw(rescaled));
  };

  Accumulator sum_of_exps = Accumulator::Zero();
  for (int c = 0; c < depth; ++c) {
    const int32_t diff = input[c] - max_in_row;
    if (diff >= params.diff_min) sum_of_exps = sum_of_exps + gemmlowp::Rescale<kSoftmaxSumIntegerBits>(exp_of_difference(diff));
  }

  // 1 / sum: normalize the sum to [1, 2) by its leading zeros, take
  // 1 / (1 + x) for x in [0, 1), and remember how many bits the sum had above
  // the unit to shift them back out at the end. The row maximum contributes
  // exp(0) = 1, so the sum is positive and has a leading one.
  const uint32_t sum_raw = static_cast<uint32_t>(sum_of_exps.raw());
  const int headroom_plus_one = __builtin_clz(sum_raw);
  const int bits_over_unit = kSoftmaxSumIntegerBits - headroom_plus_one;
  const int32_t sum_minus_one = static_cast<int32_t>((sum_raw << headroom_plus_one) - (uint32_t{1} << 31));
  const Unit reciprocal = gemmlowp::one_over_one_plus_x_for_x_in_0_1(Unit::FromRaw(sum_minus_one));
  const int output_shift = bits_over_unit + 31 - kInt8OutputBits;

  for (int c = 0; c < depth; ++c) {
    const int32_t diff = input[c] - max_in_row;
    if (diff < params.diff_min) {
      output[c] = std::numeric_limits<int8_t>::min();
      continue;
    }
    const int32_t probability_256 = gemmlowp::RoundingDivideByPOT((reciprocal * exp_of_difference(diff)).raw(), output_shift);
    output[c] = static_cast<int8_t>(clamp_int8(probability_256 - 128));
  }
}

LogisticInt8Params make_logistic_int8_params(float input_scale, int32_t input_zero_point) {
  LogisticInt8Params p;
  p.input_zero_point = input_zero_point;
  p.input_multiplier = quantize_multiplier(static_cast<double>(input_scale) *
                                           static_cast<double>(int64_t{1} << (31 - kLogisticInputIntegerBits)));
  p.input_range_radius = input_radius(kLogisticInputIntegerBits, p.input_multiplier.shift);
  return p;
}

int8_t logistic_int8_value(int8_t x, const LogisticInt8Params& params) {
  using Input = gemmlowp::FixedPoint<int32_t, kLogisticInputIntegerBits>;
  const int32_t centered = static_cast<int32_t>(x) - params.input_zero_point;
  if (centered <= -params.input_range_radius) return std::numeric_limits<int8_t>::min();
  if (centered >= params.input_range_radius) return std::numeric_limits<int8_t>::max();
  const int32_t input_q4 = multiply_by_quantized_multiplier(centered, params.input_multiplier, Rounding::kDouble);
  const int32_t output_q0 = gemmlowp::logistic(Input::FromRaw(input_q4)).raw();
  // Q0.31 -> steps of 1/256, then shift to the -128 zero point.
  const int32_t probability_256 = gemmlowp::RoundingDivideByPOT(output_q0, 31 - kInt8OutputBits);
  return static_cast<int8_t>(clamp_int8(probability_256 - 128));
}

}  // namespace quantlab
