// Optimized BATCH_MATMUL: each output batch is one matrix product lhs' x rhs'
// (int8_gemm / float_gemm). rhs' is packed once at prepare when it is a
// constant, else once per run into scratch memory; lhs' is gathered into
// scratch when adj_x transposes it (and, for int8, shifted to unsigned
// bytes). The int8 form reproduces batch_matmul_int8 bit for bit, zero points
// on both operands included; the float form agrees with batch_matmul_float to
// float rounding.
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/kernels/batch_matmul.h"
#include "quantlab/kernels/optimized/aligned_buffer.h"
#include "quantlab/kernels/optimized/float_gemm.h"
#include "quantlab/kernels/optimized/int8_gemm.h"

namespace quantlab {

class OptimizedBatchMatMulInt8 {
 public:
  // `params` as batch_matmul_int8 takes them (copied). `constant_rhs` is the
  // rhs when it is a constant (packed here), or null to pack it in `run`.
  OptimizedBatchMatMulInt8(const BatchMatMulInt8Params& params, const int8_t* constant_rhs, SimdLevel level);

  int64_t scratch_bytes() const;  // 4-byte aligned scratch

  // Same contract as batch_matmul_int8.
  void run(const int8_t* lhs, const int8_t* rhs, int8_t* output, void* scratch) const;

 private:
  int64_t rhs_batches() const;
  // Packs every rhs batch into `packed` and writes each batch's column offsets.
  void pack_rhs(const int8_t* rhs, int8_t* packed, int32_t* column_sums, int32_t* column_offsets) const;

  BatchMatMulInt8Params params_;
  SimdLevel level_;
  bool rhs_is_constant_ = false;
  int padded_depth_ = 0;
  int64_t packed_bytes_ = 0;  // per rhs batch
  AlignedBuffer<int8_t> packed_;
  std::vector<int32_t> column_sums_, column_offsets_;  // [rhs batches][n]
  Int8Requantizer requantizer_;                        // the one multiplier for every column
};

class OptimizedBatchMatMulFloat {
 public:
  // `constant_rhs` is the rhs when it is a constant (packed here), or null.
  OptimizedBatchMatMulFloat(const BatchMatMulShape& shape, const float* constant_rhs, SimdLevel level);

  int64_t scratch_bytes() const;  // 4-byte aligned scratch

  // Same contract as batch_matmul_float.
  void run(const float* lhs, const float* rhs, float* output, void* scratch) const;

 private:
  int64_t rhs_batches() const;
  void pack_rhs(const float* rhs, float* packed) const;

  BatchMatMulShape shape_;
  SimdLevel level_;
  bool rhs_is_constant_ = false;
  int64_t packed_size_ = 0;  // floats per rhs batch
  AlignedBuffer<float> packed_;
};

}  // namespace quantlab
