// MEAN over a set of axes. Each output is the average of the input elements
// that share its indices along the kept axes.
#pragma once

#include <array>
#include <cstdint>

#include "quantlab/core/shape.h"
#include "quantlab/kernels/prepare_checks.h"
#include "quantlab/numerics/quantized_reduction.h"

namespace quantlab {

// The input's dimensions split into kept ones (one output per index) and
// reduced ones (summed over), each with its input stride, in input order.
struct ReductionPlan {
  int num_kept = 0, num_reduced = 0;
  std::array<int32_t, kMaxKernelRank> kept_sizes{}, reduced_sizes{};
  std::array<int64_t, kMaxKernelRank> kept_strides{}, reduced_strides{};
  int64_t num_outputs = 1;
  int64_t count = 1;  // input elements per output
};

// reduced_axis[d] says whether dimension d is summed over.
// Precondition: rank(input_shape) <= kMaxKernelRank.
ReductionPlan plan_reduction(const Shape& input_shape, const bool* reduced_axis);

// Float sums are accumulated in float in input order, then divided.
void mean_float(const ReductionPlan& plan, const float* input, float* output);

// int8: the reference integer algorithm (QuantizedMeanParams), also when
// input and output share quantization.
void mean_int8(const ReductionPlan& plan, const int8_t* input, int8_t* output, const QuantizedMeanParams& params);

}  // namespace quantlab
