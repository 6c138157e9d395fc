// Optimized FULLY_CONNECTED: the input rows times the packed weights, one
// matrix product (int8_gemm / float_gemm). The int8 form reproduces
// fully_connected_int8 bit for bit; the float form agrees with
// fully_connected_float to float rounding.
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/kernels/fully_connected.h"
#include "quantlab/kernels/optimized/aligned_buffer.h"
#include "quantlab/kernels/optimized/float_gemm.h"
#include "quantlab/kernels/optimized/int8_gemm.h"

namespace quantlab {

class OptimizedFullyConnectedInt8 {
 public:
  // `params` as fully_connected_int8 takes them (copied); `weights` [out, in].
  OptimizedFullyConnectedInt8(const FullyConnectedInt8Params& params, const int8_t* weights, SimdLevel level);

  int64_t scratch_bytes() const;  // any alignment

  // Same contract as fully_connected_int8; bias [out] or null.
  void run(const int8_t* input, const int32_t* bias, int8_t* output, void* scratch) const;

 private:
  FullyConnectedShape shape_;
  SimdLevel level_;
  int padded_depth_ = 0;
  int chunk_rows_ = 0;
  AlignedBuffer<int8_t> packed_;
  std::vector<int32_t> column_sums_, column_offsets_;
  Int8Requantizer requantizer_;
};

class OptimizedFullyConnectedFloat {
 public:
  // `weights` [out, in]; outputs clamped to [act_min, act_max].
  OptimizedFullyConnectedFloat(const FullyConnectedShape& shape, const float* weights, float act_min, float act_max,
                               SimdLevel level);

  // Same contract as fully_connected_float; bias [out] or null. No scratch.
  void run(const float* input, const float* bias, float* output) const;

 private:
  FullyConnectedShape shape_;
  SimdLevel level_;
  float act_min_, act_max_;
  AlignedBuffer<float> packed_;
};

}  // namespace quantlab
