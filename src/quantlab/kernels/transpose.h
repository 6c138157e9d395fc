// TRANSPOSE: output dimension i is input dimension perm[i], for any
// permutation of rank <= kMaxKernelRank. Elements move as opaque values, so
// one routine serves every dtype of the same size.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"
#include "quantlab/kernels/prepare_checks.h"

namespace quantlab {

struct TransposePlan {
  int rank = 0;
  Shape output_shape;
  // Input stride of each output dimension (the stride of input dim perm[i]).
  std::array<int64_t, kMaxKernelRank> input_strides{};
  int64_t num_elements = 0;
};

// Validates `perm` (negative entries count from the end; each dimension
// exactly once) and builds the plan.
Result<TransposePlan> plan_transpose(const Shape& input_shape, const std::vector<int32_t>& perm);

// Moves elements of `element_size` bytes (1, 2, 4 or 8); returns false for
// any other size.
bool transpose_elements(const TransposePlan& plan, const void* input, void* output, size_t element_size);

}  // namespace quantlab
