// Tensor shapes. Dimensions are int32 as in TFLite; element counts are int64
// and computed with overflow checks because shapes come from untrusted files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"

namespace quantlab {

using Shape = std::vector<int32_t>;

// Product of the dimensions; an error if a dimension is negative or the
// product exceeds `limit` (which also rules out int64 overflow).
Result<int64_t> checked_num_elements(const Shape& shape, int64_t limit = int64_t{1} << 40);

// Product of the dimensions for shapes already validated (no checks).
int64_t num_elements(const Shape& shape);

// "[1, 100, 6, 1]" as TFLite tools print shapes.
std::string shape_to_string(const Shape& shape);

// Resolves a possibly negative axis against `rank`; -1 if out of range.
int normalize_axis(int axis, int rank);

}  // namespace quantlab
