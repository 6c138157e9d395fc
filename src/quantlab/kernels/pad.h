// PAD: surrounds the input with a constant along each dimension. The pad
// value is 0 in the real domain: 0 for float and plain integers, the output
// zero point for quantized tensors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"
#include "quantlab/kernels/prepare_checks.h"

namespace quantlab {

struct PadPlan {
  int rank = 0;
  Shape input_shape, output_shape;
  std::array<int32_t, kMaxKernelRank> before{};  // elements added before each dimension
};

// `paddings` holds [rank, 2] values (before, after) per dimension, all >= 0.
Result<PadPlan> plan_pad(const Shape& input_shape, const std::vector<int32_t>& paddings);

// Fills the output with the `element_size`-byte value at `pad_value`, then
// copies the input's innermost rows into place.
void pad_elements(const PadPlan& plan, const void* input, void* output, size_t element_size, const void* pad_value);

}  // namespace quantlab
