// Requantization of many accumulators at once: the output stage of the int8
// weighted ops (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL) as
// the optimized kernels run it, a block of output rows per call.
//
// Every value comes out exactly as multiply_by_quantized_multiplier would
// give it (both rounding styles), then offset by the output zero point and
// clamped. The vector form (AVX-512, chosen at run time) evaluates the same
// integer expressions lane by lane; the multipliers are split once, when a
// kernel is prepared, into the per-lane arrays it loads. Without AVX-512, or
// for a multiplier outside the range the vector form handles (shifts beyond
// what quantize_multiplier produces), the scalar function runs value by value.
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/numerics/requantize.h"

namespace quantlab {

// The requantization of a layer's output channels ("columns"): one
// multiplier per column, one rounding style, zero point and clamp.
class Int8Requantizer {
 public:
  Int8Requantizer() = default;
  // `multipliers` [columns] (copied). Precondition: -128 <= act_min <= act_max <= 127.
  Int8Requantizer(const QuantizedMultiplier* multipliers, int columns, Rounding rounding, int32_t zero_point,
                  int32_t act_min, int32_t act_max);

  int columns() const { return static_cast<int>(multipliers_.size()); }
  // Whether requantize runs the AVX-512 form.
  bool vectorized() const { return vectorized_; }

  // Requantizes `rows` rows of the columns [first, first + count), stored
  // contiguously (rows x count, row-major) in `acc`, into `out` (same layout):
  //   out[r * count + j] = clamp(multiply_by_quantized_multiplier(acc[r * count + j],
  //                              multipliers[first + j], rounding) + zero_point, act_min, act_max)
  // with the zero point added modulo 2^32 (it wraps only for values within
  // 128 of an int32 limit, as the reference kernels' int32 addition does).
  void requantize(const int32_t* acc, int rows, int first, int count, int8_t* out) const;

 private:
  // Per-lane arrays of the vector form, for lanes that hold one column each
  // (`lanes` = columns), or, when rows are narrower than a vector, for 16
  // rows' worth of lanes repeating the columns (`lanes` = 16 x columns).
  struct LaneArrays {
    std::vector<int32_t> multiplier, left_shift, right_shift, remainder_mask, total_shift;
  };
  static LaneArrays lane_arrays(const std::vector<QuantizedMultiplier>& m, int lanes);

  std::vector<QuantizedMultiplier> multipliers_;
  Rounding rounding_ = Rounding::kDouble;
  int32_t zero_point_ = 0, act_min_ = -128, act_max_ = 127;
  bool vectorized_ = false;
  bool any_left_shift_ = false;
  LaneArrays by_column_;  // lane j = column j
  LaneArrays repeated_;   // lane i = column i % columns, over 16 rows; empty when not needed
};

}  // namespace quantlab
