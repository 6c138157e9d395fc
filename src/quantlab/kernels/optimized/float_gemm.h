// float32 matrix products for the optimized kernels, with the fused bias and
// activation clamp of TFLite's float kernels.
//
// The right operand B (weights) is packed once into panels of 16 columns,
// depth-major, so that one vector load fetches one depth step of 16 columns.
// Sums run over the depth in order, as the reference kernels' do, but with
// fused multiply-adds; results agree with the reference to within float
// rounding of the sum (relative 1e-6 of the sum of absolute terms in practice).
#pragma once

#include <cstdint>

#include "quantlab/kernels/optimized/simd_level.h"

namespace quantlab {

inline constexpr int kFloatPanelColumns = 16;

// Floats of the packed form of `columns` columns of `depth` values.
int64_t float_packed_size(int columns, int depth);

// Packs B, whose element (depth k, column j) is src[j * column_stride + k * depth_stride],
// into `packed` (float_packed_size floats; padding columns are zero).
void pack_float_columns(const float* src, int columns, int depth, int64_t column_stride, int64_t depth_stride,
                        float* packed);

struct FloatPackedColumns {
  int columns = 0;
  int depth = 0;
  const float* data = nullptr;
};

// C[r][j] = clamp(sum_k A[r][k] * B[k][j] + bias[j], act_min, act_max).
// A is `rows` rows of b.depth floats, `a_stride` floats apart; bias is
// [b.columns] or null; C rows are `c_stride` floats apart.
void float_gemm(SimdLevel level, const float* a, int64_t a_stride, int rows, const FloatPackedColumns& b,
                const float* bias, float act_min, float act_max, float* c, int64_t c_stride);

}  // namespace quantlab
