// BATCH_MATMUL: reference float, int8 (both operands int8, variable or
// constant) and hybrid (float LHS, constant int8 RHS) batched matrix
// products with broadcasting of the batch dimensions. For each batch index,
//   out[m, n] = sum_k lhs'[m, k] * rhs'[k, n]
// where lhs' is lhs or, with adj_x, its last two dimensions swapped (and rhs'
// likewise with adj_y). Plain math over raw pointers; the kernel's
// prepare/eval (batch_matmul.cc) validate and precompute.
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/kernels/hybrid.h"
#include "quantlab/numerics/requantize.h"

namespace quantlab {

// Batch dimensions beyond the two matrix dimensions (ranks up to 6).
inline constexpr int kBatchMatMulMaxBatchDims = 4;

struct BatchMatMulShape {
  // The batch dimensions of the output and of each operand, all of length
  // batch_rank (operands padded with leading 1s); each operand dimension
  // equals the output's or is 1 (broadcast).
  int batch_rank = 0;
  int32_t out_batch[kBatchMatMulMaxBatchDims] = {};
  int32_t lhs_batch[kBatchMatMulMaxBatchDims] = {};
  int32_t rhs_batch[kBatchMatMulMaxBatchDims] = {};
  int m = 0, k = 0, n = 0;  // lhs' is [m, k], rhs' is [k, n], out is [m, n]
  bool adj_x = false, adj_y = false;
};

// Float: each output is the float sum over k in order.
void batch_matmul_float(const BatchMatMulShape& s, const float* lhs, const float* rhs, float* output);

struct BatchMatMulInt8Params {
  BatchMatMulShape shape;
  int32_t lhs_zero_point = 0, rhs_zero_point = 0, output_zero_point = 0;
  QuantizedMultiplier multiplier;  // lhs_scale * rhs_scale / output_scale
  Rounding rounding = Rounding::kDouble;
};

// Integer as TFLite's reference BatchMatMul: sum of (l - lhs_zp) * (r - rhs_zp),
// requantized, offset by the output zero point and clamped to int8 (the op
// has no fused activation).
void batch_matmul_int8(const BatchMatMulInt8Params& p, const int8_t* lhs, const int8_t* rhs, int8_t* output);

struct BatchMatMulHybridParams {
  BatchMatMulShape shape;
  float rhs_scale = 1.f;                     // per-tensor, symmetric
  bool asymmetric_inputs = false;            // the op's asymmetric_quantize_inputs
  const int32_t* rhs_column_sums = nullptr;  // [rhs batches, n]; read only when asymmetric
};

// Number of lhs' rows a hybrid product quantizes: the lhs batches times m.
// Its workspace is hybrid_workspace(scratch, rows, k, /*with_row_buffer=*/true).
int64_t batch_matmul_hybrid_rows(const BatchMatMulShape& s);

// Hybrid as TFLite's: every row of lhs' (k values) is quantized on its own
// into `ws`, symmetric or asymmetric, then
//   out = float(sum q * r - zero_point * column_sum(r)) * (row_scale * rhs_scale).
void batch_matmul_hybrid(const BatchMatMulHybridParams& p, const float* lhs, const int8_t* rhs,
                         const HybridWorkspace& ws, float* output);

// Sum over k of rhs'[k, n] for every rhs batch and column n: the correction
// for asymmetrically quantized LHS rows. Returns [rhs batches * n].
std::vector<int32_t> batch_matmul_rhs_column_sums(const BatchMatMulShape& s, const int8_t* rhs);

}  // namespace quantlab
