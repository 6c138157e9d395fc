// int8 matrix products for the optimized kernels, with TFLite's integer
// output stage (per-column requantization, output zero point, clamp).
//
// Operands. The left operand A holds activations shifted to unsigned bytes,
// a = x + 128, because the 8-bit dot-product instructions multiply unsigned
// by signed bytes; each row is padded with zeros to a multiple of 4. The
// right operand B (weights) is packed once into panels of 16 columns in
// which every 4 consecutive depth values of one column sit together, the
// order those instructions consume. Zero padding contributes nothing.
//
// Exactness. With a = x + 128 and any zero points za (of A, shifted by 128)
// and zb (of B),
//   sum (a - za) * (b - zb) = sum a*b - za * sum b - zb * sum a + depth * za * zb,
// so callers fold everything but sum a*b into per-column and per-row
// offsets. All of it is integer arithmetic modulo 2^32 and the true sum fits
// in int32 (prepare-time checks bound it), so the result is the exact
// accumulator the reference kernels compute, whatever the order of terms.
#pragma once

#include <cstdint>

#include "quantlab/kernels/optimized/simd_level.h"
#include "quantlab/numerics/requantize_batch.h"

namespace quantlab {

inline constexpr int kInt8PanelColumns = 16;

// Depth rounded up to whole groups of 4.
inline int int8_padded_depth(int depth) { return (depth + 3) / 4 * 4; }

// Bytes of the packed form of `columns` columns of `depth` values.
int64_t int8_packed_bytes(int columns, int depth);

// A packed right operand (see pack_int8_columns).
struct Int8PackedColumns {
  int columns = 0;
  int depth = 0;
  const int8_t* data = nullptr;          // int8_packed_bytes(columns, depth) bytes
  const int32_t* column_sums = nullptr;  // [columns]: sum over the depth of each column
};

// Packs B, whose element (depth k, column j) is src[j * column_stride + k * depth_stride],
// into `packed` (int8_packed_bytes long) and writes each column's sum into
// `column_sums` ([columns]).
void pack_int8_columns(const int8_t* src, int columns, int depth, int64_t column_stride, int64_t depth_stride,
                       int8_t* packed, int32_t* column_sums);

// Writes row `x` (length `depth`, int8) as unsigned bytes x + 128 followed by
// zeros up to int8_padded_depth(depth).
void int8_row_to_unsigned(const int8_t* x, int depth, uint8_t* a);

// What happens to each accumulator of column j and row r:
//   acc + column_offsets[j] (+ column_bias[j]) (+ row_offsets[r])
// then requantized with the requantizer's multiplier of column j, plus the
// output zero point, clamped (numerics/requantize_batch.h).
struct Int8OutputStage {
  const int32_t* column_offsets = nullptr;       // [columns], required
  const int32_t* column_bias = nullptr;          // [columns] or null (a bias known only at run time)
  const Int8Requantizer* requantizer = nullptr;  // for all columns, required
};

// C = output_stage(A * B). A is `rows` rows of int8_padded_depth(b.depth)
// unsigned bytes, `a_stride` bytes apart; row_offsets is [rows] or null; C
// rows are `c_stride` bytes apart with b.columns values each.
void int8_gemm(SimdLevel level, const uint8_t* a, int64_t a_stride, int rows, const int32_t* row_offsets,
               const Int8PackedColumns& b, const Int8OutputStage& stage, int8_t* c, int64_t c_stride);

}  // namespace quantlab
