// SQUEEZE: removes dimensions of size 1 (all of them, or the listed ones).
// The data is unchanged; the kernel copies bytes (reshape.h).
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"

namespace quantlab {

// The squeezed shape. `dims` may be negative (counted from the end); an
// empty list removes every dimension of size 1. An InvalidArgument error
// names a listed dimension that is out of range or not of size 1.
Result<Shape> squeeze_shape(const Shape& input_shape, const std::vector<int32_t>& dims);

}  // namespace quantlab
