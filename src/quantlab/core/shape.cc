#include "quantlab/core/shape.h"

namespace quantlab {

Result<int64_t> checked_num_elements(const Shape& shape, int64_t limit) {
  int64_t n = 1;
  for (int32_t d : shape) {
    if (d < 0) return invalid_argument("negative dimension " + std::to_string(d) + " in shape " + shape_to_string(shape));
    if (d != 0 && n > limit / d)
      return resource_exhausted("shape " + shape_to_string(shape) + " has more than " + std::to_string(limit) + " elements");
    n *= d;
  }
  return n;
}

int64_t num_elements(const Shape& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int normalize_axis(int axis, int rank) {
  if (axis < 0) axis += rank;
  return (axis < 0 || axis >= rank) ? -1 : axis;
}

}  // namespace quantlab
