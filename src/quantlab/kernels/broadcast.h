// Broadcasting of two inputs to one output, as TFLite's binary ops do it
// (NumPy rules): shapes are aligned at their last dimension, missing leading
// dimensions count as 1, and each aligned pair must be equal or contain a 1.
// Prepare builds a BroadcastPlan once; eval walks it with
// for_each_broadcast, which hands each output offset with the two input
// offsets it reads.
#pragma once

#include <array>
#include <cstdint>

#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"
#include "quantlab/kernels/prepare_checks.h"

namespace quantlab {

struct BroadcastPlan {
  Shape output_shape;
  int rank = 0;  // rank of output_shape, <= kMaxKernelRank
  // Element strides of each input along every output dimension; 0 where the
  // input has size 1 (or lacks the dimension) and is therefore repeated.
  std::array<int64_t, kMaxKernelRank> strides_a{}, strides_b{};
  bool same_shape = false;  // no broadcasting: offsets are all equal
  int64_t num_elements = 0;
};

// An InvalidArgument error names both shapes when they do not broadcast, an
// Unsupported one when the output rank exceeds kMaxKernelRank.
Result<BroadcastPlan> plan_broadcast(const Shape& a, const Shape& b);

// Calls f(output_offset, offset_a, offset_b) for every output element in
// row-major order.
template <typename F>
void for_each_broadcast(const BroadcastPlan& plan, F&& f) {
  if (plan.same_shape) {
    for (int64_t i = 0; i < plan.num_elements; ++i) f(i, i, i);
    return;
  }
  if (plan.num_elements == 0) return;
  if (plan.rank == 0) {
    f(0, 0, 0);
    return;
  }
  // An odometer over the output index; the innermost dimension runs in a
  // tight loop and the outer ones carry.
  std::array<int32_t, kMaxKernelRank> index{};
  const int last = plan.rank - 1;
  const int32_t inner = plan.output_shape[last];
  int64_t out = 0, offset_a = 0, offset_b = 0;
  while (true) {
    for (int32_t i = 0; i < inner; ++i)
      f(out + i, offset_a + i * plan.strides_a[last], offset_b + i * plan.strides_b[last]);
    out += inner;
    int d = last - 1;
    for (; d >= 0; --d) {
      offset_a += plan.strides_a[d];
      offset_b += plan.strides_b[d];
      if (++index[d] < plan.output_shape[d]) break;
      offset_a -= plan.strides_a[d] * plan.output_shape[d];
      offset_b -= plan.strides_b[d] * plan.output_shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

}  // namespace quantlab
