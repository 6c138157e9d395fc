#include "quantlab/kernels/optimized/int8_gemm.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "quantlab/kernels/optimized/intrinsics.h"

namespace quantlab {
namespace {

constexpr int kPanelGroupBytes = kInt8PanelColumns * 4;  // one group of 4 depth values for 16 columns

// Widest tile any level computes: rows x (2 panels of 16 columns).
constexpr int kMaxTileRows = 12;
constexpr int kMaxTileColumns = 2 * kInt8PanelColumns;

int64_t panel_bytes(int depth) { return static_cast<int64_t>(int8_padded_depth(depth)) / 4 * kPanelGroupBytes; }

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// One tile: kRows rows of A times kPanels panels of B. Accumulators start
// at column_init[j] (+ row_init[r]), so the offsets of the output stage cost
// nothing; sums wrap modulo 2^32 like the vector instructions, which is
// exact because the final accumulator fits in int32 (see int8_gemm.h).
struct TileArgs {
  const uint8_t* a;
  int64_t a_stride;
  int groups;                  // padded depth / 4
  const int8_t* b;             // first panel
  int64_t panel_stride;        // bytes between panels
  const int32_t* column_init;  // kPanels * 16 values
  const int32_t* row_init;     // kRows values, or null
  int32_t* tile;               // kRows x (kPanels * 16), row-major
};

int32_t row_init_of(const TileArgs& t, int r) { return t.row_init != nullptr ? t.row_init[r] : 0; }

template <int kRows>
void tile_portable(const TileArgs& t) {
  uint32_t acc[kRows][kInt8PanelColumns];
  for (int r = 0; r < kRows; ++r)
    for (int j = 0; j < kInt8PanelColumns; ++j)
      acc[r][j] = static_cast<uint32_t>(t.column_init[j]) + static_cast<uint32_t>(row_init_of(t, r));
  for (int g = 0; g < t.groups; ++g) {
    const int8_t* w = t.b + static_cast<int64_t>(g) * kPanelGroupBytes;
    for (int r = 0; r < kRows; ++r) {
      const uint8_t* x = t.a + r * t.a_stride + 4 * g;
      for (int j = 0; j < kInt8PanelColumns; ++j)
        acc[r][j] +=
            static_cast<uint32_t>(x[0] * w[4 * j] + x[1] * w[4 * j + 1] + x[2] * w[4 * j + 2] + x[3] * w[4 * j + 3]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int j = 0; j < kInt8PanelColumns; ++j) t.tile[r * kInt8PanelColumns + j] = static_cast<int32_t>(acc[r][j]);
}

// AVX2 has no unsigned-by-signed byte dot product that cannot saturate, so
// bytes are widened to 16 bits: each 32-bit lane of a packed group holds
// (w0, w1, w2, w3) of one column; the even bytes (w0, w2) and odd bytes
// (w1, w3) become int16 pairs and multiply-add against (a0, a2) and (a1, a3)
// exactly (|255 * 128 * 2| < 2^31).
template <int kRows>
__attribute__((target("avx2,fma"))) void tile_avx2(const TileArgs& t) {
  const __m256i init0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.column_init));
  const __m256i init1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.column_init + 8));
  __m256i acc[kRows][2];
  for (int r = 0; r < kRows; ++r) {
    const __m256i row = _mm256_set1_epi32(row_init_of(t, r));
    acc[r][0] = _mm256_add_epi32(init0, row);
    acc[r][1] = _mm256_add_epi32(init1, row);
  }
  const __m256i low_bytes = _mm256_set1_epi32(0x00FF00FF);
  for (int g = 0; g < t.groups; ++g) {
    const int8_t* w = t.b + static_cast<int64_t>(g) * kPanelGroupBytes;
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
    const __m256i w0_even = _mm256_srai_epi16(_mm256_slli_epi16(w0, 8), 8), w0_odd = _mm256_srai_epi16(w0, 8);
    const __m256i w1_even = _mm256_srai_epi16(_mm256_slli_epi16(w1, 8), 8), w1_odd = _mm256_srai_epi16(w1, 8);
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const __m256i x = _mm256_set1_epi32(static_cast<int>(load_u32(t.a + r * t.a_stride + 4 * g)));
      const __m256i x_even = _mm256_and_si256(x, low_bytes);
      const __m256i x_odd = _mm256_and_si256(_mm256_srli_epi32(x, 8), low_bytes);
      acc[r][0] = _mm256_add_epi32(
          acc[r][0], _mm256_add_epi32(_mm256_madd_epi16(x_even, w0_even), _mm256_madd_epi16(x_odd, w0_odd)));
      acc[r][1] = _mm256_add_epi32(
          acc[r][1], _mm256_add_epi32(_mm256_madd_epi16(x_even, w1_even), _mm256_madd_epi16(x_odd, w1_odd)));
    }
  }
  for (int r = 0; r < kRows; ++r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(t.tile + r * kInt8PanelColumns), acc[r][0]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(t.tile + r * kInt8PanelColumns + 8), acc[r][1]);
  }
}

// AVX-512 VNNI: vpdpbusd adds four u8 x s8 products into each int32 lane
// without intermediate saturation.
template <int kRows, int kPanels>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void tile_avx512(const TileArgs& t) {
  __m512i acc[kRows][kPanels];
#pragma GCC unroll 12
  for (int r = 0; r < kRows; ++r) {
    const __m512i row = _mm512_set1_epi32(row_init_of(t, r));
#pragma GCC unroll 2
    for (int p = 0; p < kPanels; ++p) acc[r][p] = _mm512_add_epi32(_mm512_loadu_si512(t.column_init + 16 * p), row);
  }
  for (int g = 0; g < t.groups; ++g) {
    __m512i w[kPanels];
#pragma GCC unroll 2
    for (int p = 0; p < kPanels; ++p)
      w[p] = _mm512_loadu_si512(t.b + p * t.panel_stride + static_cast<int64_t>(g) * kPanelGroupBytes);
#pragma GCC unroll 12
    for (int r = 0; r < kRows; ++r) {
      const __m512i x = _mm512_set1_epi32(static_cast<int>(load_u32(t.a + r * t.a_stride + 4 * g)));
#pragma GCC unroll 2
      for (int p = 0; p < kPanels; ++p) acc[r][p] = _mm512_dpbusd_epi32(acc[r][p], x, w[p]);
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int p = 0; p < kPanels; ++p) _mm512_storeu_si512(t.tile + (r * kPanels + p) * 16, acc[r][p]);
}

using TileFn = void (*)(const TileArgs&);

// The tile functions of one level, indexed by row count (1..rows).
struct TileSet {
  int rows;    // rows of a full tile
  int panels;  // panels per tile
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

// One panel per tile with 12 rows when B is narrow, two panels with 8 rows
// otherwise: 12-16 independent accumulators cover the dot products' latency.
const TileSet kPortableTiles = portable_tiles(std::make_integer_sequence<int, 4>());
const TileSet kAvx2Tiles = avx2_tiles(std::make_integer_sequence<int, 4>());
const TileSet kAvx512NarrowTiles = avx512_tiles<1>(std::make_integer_sequence<int, 12>());
const TileSet kAvx512WideTiles = avx512_tiles<2>(std::make_integer_sequence<int, 8>());

const TileSet& tiles_for(SimdLevel level, int columns) {
  switch (level) {
    case SimdLevel::kAvx512:
      return columns > kInt8PanelColumns ? kAvx512WideTiles : kAvx512NarrowTiles;
    case SimdLevel::kAvx2:
      return kAvx2Tiles;
    case SimdLevel::kPortable:
      break;
  }
  return kPortableTiles;
}

}  // namespace

int64_t int8_packed_bytes(int columns, int depth) {
  const int64_t panels = (columns + kInt8PanelColumns - 1) / kInt8PanelColumns;
  return panels * panel_bytes(depth);
}

void pack_int8_columns(const int8_t* src, int columns, int depth, int64_t column_stride, int64_t depth_stride,
                       int8_t* packed, int32_t* column_sums) {
  std::memset(packed, 0, static_cast<size_t>(int8_packed_bytes(columns, depth)));
  const int64_t stride = panel_bytes(depth);
  for (int j = 0; j < columns; ++j) {
    int8_t* panel = packed + (j / kInt8PanelColumns) * stride + (j % kInt8PanelColumns) * 4;
    int32_t sum = 0;
    for (int k = 0; k < depth; ++k) {
      const int8_t v = src[j * column_stride + k * depth_stride];
      panel[(k / 4) * kPanelGroupBytes + k % 4] = v;
      sum += v;
    }
    column_sums[j] = sum;
  }
}

void int8_row_to_unsigned(const int8_t* x, int depth, uint8_t* a) {
  for (int k = 0; k < depth; ++k) a[k] = static_cast<uint8_t>(x[k] ^ 0x80);  // x + 128 in two's complement
  for (int k = depth; k < int8_padded_depth(depth); ++k) a[k] = 0;
}

void int8_gemm(SimdLevel level, const uint8_t* a, int64_t a_stride, int rows, const int32_t* row_offsets,
               const Int8PackedColumns& b, const Int8OutputStage& stage, int8_t* c, int64_t c_stride) {
  const TileSet& widest = tiles_for(level, b.columns);
  const int64_t stride = panel_bytes(b.depth);
  alignas(64) int32_t tile[kMaxTileRows * kMaxTileColumns];
  alignas(64) int32_t column_init[kMaxTileColumns];
  int8_t requantized[kMaxTileRows * kMaxTileColumns];
  for (int first_col = 0; first_col < b.columns; first_col += widest.panels * kInt8PanelColumns) {
    const int cols = std::min(widest.panels * kInt8PanelColumns, b.columns - first_col);
    // Past the last panel there is no B to read: a short last tile uses one panel.
    const TileSet& t = cols <= kInt8PanelColumns ? tiles_for(level, cols) : widest;
    const int tile_cols = t.panels * kInt8PanelColumns;
    // Columns beyond `cols` come from B's zero padding and are dropped
    // before requantization.
    for (int j = 0; j < tile_cols; ++j) {
      uint32_t init = 0;
      if (j < cols) {
        init = static_cast<uint32_t>(stage.column_offsets[first_col + j]);
        if (stage.column_bias != nullptr) init += static_cast<uint32_t>(stage.column_bias[first_col + j]);
      }
      column_init[j] = static_cast<int32_t>(init);
    }
    TileArgs args;
    args.a_stride = a_stride;
    args.groups = int8_padded_depth(b.depth) / 4;
    args.b = b.data + (first_col / kInt8PanelColumns) * stride;
    args.panel_stride = stride;
    args.column_init = column_init;
    args.tile = tile;
    for (int first_row = 0; first_row < rows; first_row += t.rows) {
      const int n = std::min(t.rows, rows - first_row);
      args.a = a + first_row * a_stride;
      args.row_init = row_offsets != nullptr ? row_offsets + first_row : nullptr;
      t.by_rows[n](args);
      if (cols < tile_cols)  // compact the rows: each moves to a lower address
        for (int r = 1; r < n; ++r) std::memmove(tile + r * cols, tile + r * tile_cols, sizeof(int32_t) * cols);
      // The whole tile is requantized in one call.
      int8_t* out = c + first_row * c_stride + first_col;
      const bool contiguous = c_stride == cols;
      stage.requantizer->requantize(tile, n, first_col, cols, contiguous ? out : requantized);
      if (!contiguous)
        for (int r = 0; r < n; ++r) std::memcpy(out + r * c_stride, requantized + r * cols, static_cast<size_t>(cols));
    }
  }
}

}  // namespace quantlab
