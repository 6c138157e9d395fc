#include "quantlab/kernels/optimized/float_gemm.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "quantlab/kernels/optimized/intrinsics.h"

namespace quantlab {
namespace {

constexpr int kMaxTileRows = 12;
constexpr int kMaxTileColumns = 2 * kFloatPanelColumns;

int64_t panel_size(int depth) { return static_cast<int64_t>(depth) * kFloatPanelColumns; }

// What every tile function receives besides A and B: the bias of its
// columns (always kPanels * 16 values, zero-padded), the clamp, and where
// its `cols` valid columns go.
struct TileOutput {
  const float* bias;
  float lo, hi;
  float* c;
  int64_t c_stride;
  int cols;
};

template <int kRows>
void tile_portable(const float* a, int64_t a_stride, int depth, const float* b, int64_t /*panel_stride*/,
                   const TileOutput& o) {
  float acc[kRows][kFloatPanelColumns] = {};
  for (int k = 0; k < depth; ++k) {
    const float* w = b + static_cast<int64_t>(k) * kFloatPanelColumns;
    for (int r = 0; r < kRows; ++r) {
      const float x = a[r * a_stride + k];
      for (int j = 0; j < kFloatPanelColumns; ++j) acc[r][j] += x * w[j];
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int j = 0; j < o.cols; ++j) o.c[r * o.c_stride + j] = std::min(std::max(acc[r][j] + o.bias[j], o.lo), o.hi);
}

template <int kRows>
__attribute__((target("avx2,fma"))) void tile_avx2(const float* a, int64_t a_stride, int depth, const float* b,
                                                   int64_t /*panel_stride*/, const TileOutput& o) {
  __m256 acc[kRows][2];
  for (int r = 0; r < kRows; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int k = 0; k < depth; ++k) {
    const float* w = b + static_cast<int64_t>(k) * kFloatPanelColumns;
    const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kRows; ++r) {
      const __m256 x = _mm256_broadcast_ss(a + r * a_stride + k);
      acc[r][0] = _mm256_fmadd_ps(x, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(x, w1, acc[r][1]);
    }
  }
  // max(lo, v) and min(hi, v) return v when v is NaN, so NaN propagates as
  // through the reference's std::min(std::max(v, lo), hi).
  const __m256 lo = _mm256_set1_ps(o.lo), hi = _mm256_set1_ps(o.hi);
  const __m256 bias0 = _mm256_loadu_ps(o.bias), bias1 = _mm256_loadu_ps(o.bias + 8);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i mask0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(o.cols), lane);
  const __m256i mask1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(o.cols - 8), lane);
  for (int r = 0; r < kRows; ++r) {
    const __m256 v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_add_ps(acc[r][0], bias0)));
    const __m256 v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_add_ps(acc[r][1], bias1)));
    float* out = o.c + r * o.c_stride;
    if (o.cols == kFloatPanelColumns) {
      _mm256_storeu_ps(out, v0);
      _mm256_storeu_ps(out + 8, v1);
    } else {
      _mm256_maskstore_ps(out, mask0, v0);
      _mm256_maskstore_ps(out + 8, mask1, v1);
    }
  }
}

template <int kRows, int kPanels>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void tile_avx512(const float* a, int64_t a_stride,
                                                                                 int depth, const float* b,
                                                                                 int64_t panel_stride,
                                                                                 const TileOutput& o) {
  __m512 acc[kRows][kPanels];
#pragma GCC unroll 12
  for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 2
    for (int p = 0; p < kPanels; ++p) acc[r][p] = _mm512_setzero_ps();
  for (int k = 0; k < depth; ++k) {
    __m512 w[kPanels];
#pragma GCC unroll 2
    for (int p = 0; p < kPanels; ++p) w[p] = _mm512_loadu_ps(b + p * panel_stride + static_cast<int64_t>(k) * 16);
#pragma GCC unroll 12
    for (int r = 0; r < kRows; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * a_stride + k]);
#pragma GCC unroll 2
      for (int p = 0; p < kPanels; ++p) acc[r][p] = _mm512_fmadd_ps(x, w[p], acc[r][p]);
    }
  }
  const __m512 lo = _mm512_set1_ps(o.lo), hi = _mm512_set1_ps(o.hi);
  for (int p = 0; p < kPanels; ++p) {
    const int valid = std::min(std::max(o.cols - p * 16, 0), 16);
    const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1u);
    const __m512 bias = _mm512_loadu_ps(o.bias + p * 16);
    for (int r = 0; r < kRows; ++r) {
      const __m512 v = _mm512_min_ps(hi, _mm512_max_ps(lo, _mm512_add_ps(acc[r][p], bias)));
      _mm512_mask_storeu_ps(o.c + r * o.c_stride + p * 16, mask, v);
    }
  }
}

using TileFn = void (*)(const float*, int64_t, int, const float*, int64_t, const TileOutput&);

struct TileSet {
  int rows;
  int panels;
  TileFn by_rows[kMaxTileRows + 1];
};

template <int... R>
constexpr TileSet portable_tiles(std::integer_sequence<int, R...>) {
  return TileSet{static_cast<int>(sizeof...(R)), 1, {nullptr, &tile_portable<R + 1>...}};
}
template <int... R>
constexpr TileSet avx2_tiles(std::integer_sequence<int, R...>) {
  return TileSet{static_cast<int>(sizeof...(R)), 1, {nullptr, &tile_avx2<R + 1>...}};
}
template <int kPanels, int... R>
constexpr TileSet avx512_tiles(std::integer_sequence<int, R...>) {
  return TileSet{static_cast<int>(sizeof...(R)), kPanels, {nullptr, &tile_avx512<R + 1, kPanels>...}};
}

// 12-16 accumulators per tile: enough independent sums to cover the
// latency of the fused multiply-adds.
const TileSet kPortableTiles = portable_tiles(std::make_integer_sequence<int, 4>());
const TileSet kAvx2Tiles = avx2_tiles(std::make_integer_sequence<int, 6>());
const TileSet kAvx512NarrowTiles = avx512_tiles<1>(std::make_integer_sequence<int, 12>());
const TileSet kAvx512WideTiles = avx512_tiles<2>(std::make_integer_sequence<int, 8>());

const TileSet& tiles_for(SimdLevel level, int columns) {
  switch (level) {
    case SimdLevel::kAvx512:
      return columns > kFloatPanelColumns ? kAvx512WideTiles : kAvx512NarrowTiles;
    case SimdLevel::kAvx2:
      return kAvx2Tiles;
    case SimdLevel::kPortable:
      break;
  }
  return kPortableTiles;
}

}  // namespace

int64_t float_packed_size(int columns, int depth) {
  const int64_t panels = (columns + kFloatPanelColumns - 1) / kFloatPanelColumns;
  return panels * panel_size(depth);
}

void pack_float_columns(const float* src, int columns, int depth, int64_t column_stride, int64_t depth_stride,
                        float* packed) {
  std::fill(packed, packed + float_packed_size(columns, depth), 0.f);
  const int64_t stride = panel_size(depth);
  for (int j = 0; j < columns; ++j) {
    float* panel = packed + (j / kFloatPanelColumns) * stride + j % kFloatPanelColumns;
    for (int k = 0; k < depth; ++k)
      panel[static_cast<int64_t>(k) * kFloatPanelColumns] = src[j * column_stride + k * depth_stride];
  }
}

void float_gemm(SimdLevel level, const float* a, int64_t a_stride, int rows, const FloatPackedColumns& b,
                const float* bias, float act_min, float act_max, float* c, int64_t c_stride) {
  const TileSet& tiles = tiles_for(level, b.columns);
  const int64_t stride = panel_size(b.depth);
  const int tile_columns = tiles.panels * kFloatPanelColumns;
  for (int first_col = 0; first_col < b.columns; first_col += tile_columns) {
    const int cols = std::min(tile_columns, b.columns - first_col);
    const TileSet& t = cols <= kFloatPanelColumns && tiles.panels > 1 ? tiles_for(level, cols) : tiles;
    // The tiles read a full panel's worth of bias; pad the last one.
    float padded_bias[kMaxTileColumns] = {};
    if (bias != nullptr) std::copy(bias + first_col, bias + first_col + cols, padded_bias);
    TileOutput out{padded_bias, act_min, act_max, c + first_col, c_stride, cols};
    const float* panel = b.data + (first_col / kFloatPanelColumns) * stride;
    for (int first_row = 0; first_row < rows; first_row += t.rows) {
      const int n = std::min(t.rows, rows - first_row);
      out.c = c + first_row * c_stride + first_col;
      t.by_rows[n](a + first_row * a_stride, a_stride, b.depth, panel, stride, out);
    }
  }
}

}  // namespace quantlab
