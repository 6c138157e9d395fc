#include "quantlab/kernels/broadcast.h"

#include <algorithm>
#include <string>

namespace quantlab {
namespace {

// Row-major strides of `shape` aligned to the last `rank` output dimensions,
// with 0 wherever the input's dimension is 1 (or absent).
std::array<int64_t, kMaxKernelRank> broadcast_strides(const Shape& shape, const Shape& output_shape) {
  std::array<int64_t, kMaxKernelRank> strides{};
  const int rank = static_cast<int>(output_shape.size());
  const int offset = rank - static_cast<int>(shape.size());
  int64_t stride = 1;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    strides[d + offset] = shape[d] == 1 ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

}  // namespace

Result<BroadcastPlan> plan_broadcast(const Shape& a, const Shape& b) {
  BroadcastPlan plan;
  const size_t rank = std::max(a.size(), b.size());
  if (rank > static_cast<size_t>(kMaxKernelRank))
    return unsupported("broadcasting " + shape_to_string(a) + " with " + shape_to_string(b) + " needs rank " +
                       std::to_string(rank) + "; at most " + std::to_string(kMaxKernelRank) + " is supported");
  plan.output_shape.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    // Dimension i counted from the end.
    const int32_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int32_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      return invalid_argument("shapes " + shape_to_string(a) + " and " + shape_to_string(b) +
                              " do not broadcast (dimension " + std::to_string(da) + " vs " + std::to_string(db) + ")");
    plan.output_shape[rank - 1 - i] = da == 1 ? db : da;
  }
  plan.rank = static_cast<int>(rank);
  plan.num_elements = num_elements(plan.output_shape);
  plan.same_shape = num_elements(a) == plan.num_elements && num_elements(b) == plan.num_elements;
  plan.strides_a = broadcast_strides(a, plan.output_shape);
  plan.strides_b = broadcast_strides(b, plan.output_shape);
  return plan;
}

}  // namespace quantlab
