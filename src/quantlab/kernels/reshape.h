// RESHAPE: the same elements in the same order under a new shape.
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"

namespace quantlab {

// The output shape for `requested` (TFLite's convention: at most one -1,
// inferred so the element count matches the input's). An InvalidArgument
// error names both shapes when they cannot match.
Result<Shape> resolve_reshape(const Shape& input_shape, const std::vector<int32_t>& requested);

// Copies `bytes` bytes unless input and output share storage (the
// interpreter may alias them for ops that only relabel a shape).
void copy_tensor_bytes(const void* input, void* output, int64_t bytes);

}  // namespace quantlab
