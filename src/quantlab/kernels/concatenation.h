// CONCATENATION along one axis. Inputs agree on every other dimension.
// Values move as opaque elements, except that int8/uint8 inputs quantized
// differently from the output are requantized to the output's parameters
// with the exact 31-bit multiplier, as QUANTIZE does. (Converters give int8
// concatenations one shared quantization, which the TFLite runtimes expect;
// this only matters for graphs built otherwise.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"
#include "quantlab/numerics/quantized_arithmetic.h"

namespace quantlab {

struct ConcatPlan {
  int64_t outer = 1;                  // product of the dimensions before the axis
  std::vector<int64_t> input_inner;   // per input: its axis size times the inner dimensions
  int64_t output_inner = 0;           // sum of input_inner
  Shape output_shape;
};

// `axis` may be negative. Errors name the first input whose shape disagrees.
Result<ConcatPlan> plan_concatenation(const std::vector<Shape>& input_shapes, int axis);

// One input's contribution: its slices of `input_inner` elements placed at
// column `column` (in elements) of each of the plan's `outer` output rows.
// `requantize` is null to copy bytes, or the parameters to rescale int8
// (is_uint8 false) or uint8 (is_uint8 true) elements.
void concatenate_input(const ConcatPlan& plan, size_t input_index, int64_t column, const void* input, void* output,
                       size_t element_size, const RequantizeParams* requantize, bool is_uint8);

}  // namespace quantlab
