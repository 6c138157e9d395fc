#include "quantlab/kernels/optimized/depthwise_conv_2d.h"

#include <algorithm>
#include <memory>
#include <tuple>

#include "quantlab/kernels/optimized/intrinsics.h"
#include "quantlab/kernels/optimized/kernels.h"
#include "quantlab/kernels/optimized/reference_fallback.h"
#include "quantlab/kernels/weighted_op.h"
#include "quantlab/kernels/window.h"
#include "quantlab/numerics/quantize_values.h"
#include "quantlab/numerics/requantize_batch.h"

namespace quantlab {
namespace {

constexpr int kChannelBlock = 16;

int padded(int channels) { return (channels + kChannelBlock - 1) / kChannelBlock * kChannelBlock; }
int64_t input_batch_size(const Conv2DGeometry& g) { return static_cast<int64_t>(g.in_h) * g.in_w * g.in_c; }
int64_t expanded_size(const Conv2DGeometry& g) { return static_cast<int64_t>(g.in_h) * g.in_w * g.out_c; }
int64_t output_row_size(const Conv2DGeometry& g) { return static_cast<int64_t>(g.out_w) * g.out_c; }

// For each of `out` output positions along one axis, the taps inside [0, in).
std::vector<TapRange> tap_ranges(int out, int in, int filter, int stride, int dilation, int pad) {
  std::vector<TapRange> ranges(out);
  for (int o = 0; o < out; ++o) {
    TapRange& r = ranges[o];
    r.origin = o * stride - pad;
    r.first = filter;
    r.last = 0;
    for (int t = 0; t < filter; ++t) {
      const int i = r.origin + t * dilation;
      if (i < 0 || i >= in) continue;
      r.first = std::min(r.first, t);
      r.last = t + 1;
    }
    if (r.first >= r.last) r.first = r.last = 0;  // no tap inside: the sum is empty
  }
  return ranges;
}

// [taps][padded channels] copy of a [1, fh, fw, channels] filter, in T.
template <typename T, typename W>
AlignedBuffer<T> widen_filter(const Conv2DGeometry& g, const W* filter) {
  const int taps = g.filter_h * g.filter_w, stride = padded(g.out_c);
  AlignedBuffer<T> weights(static_cast<size_t>(taps) * stride);
  for (int t = 0; t < taps; ++t)
    for (int c = 0; c < g.out_c; ++c) weights.data()[t * stride + c] = static_cast<T>(filter[t * g.out_c + c]);
  return weights;
}

// For fewer than 16 channels at stride 1: how many adjacent output
// positions share a vector (0 when the layout does not allow it). Their
// inputs, channels of adjacent input positions, lie side by side.
int positions_per_vector(const Conv2DGeometry& g) {
  return g.stride_w == 1 && g.out_c < kChannelBlock && kChannelBlock % g.out_c == 0 ? kChannelBlock / g.out_c : 0;
}

// [taps][16]: each tap's weights repeated for positions_per_vector positions.
template <typename T, typename W>
AlignedBuffer<T> tile_filter(const Conv2DGeometry& g, const W* filter) {
  const int taps = g.filter_h * g.filter_w;
  AlignedBuffer<T> tiled(static_cast<size_t>(taps) * kChannelBlock);
  for (int t = 0; t < taps; ++t)
    for (int l = 0; l < kChannelBlock; ++l)
      tiled.data()[t * kChannelBlock + l] = static_cast<T>(filter[t * g.out_c + l % g.out_c]);
  return tiled;
}

// The output columns whose filter taps all lie inside the input, [first, last).
std::pair<int, int> interior_columns(const std::vector<TapRange>& columns, int filter_w) {
  int first = static_cast<int>(columns.size()), last = 0;
  for (int x = 0; x < static_cast<int>(columns.size()); ++x)
    if (columns[x].first == 0 && columns[x].last == filter_w) first = std::min(first, x), last = x + 1;
  return {first, std::max(first, last)};
}

// A depthwise filter [1, fh, fw, out_c] as the OHWI filter of a convolution
// over one input channel: [out_c, fh, fw, 1].
template <typename T>
std::vector<T> as_convolution_filter(const Conv2DGeometry& g, const T* filter) {
  const int taps = g.filter_h * g.filter_w;
  std::vector<T> ohwi(static_cast<size_t>(taps) * g.out_c);
  for (int t = 0; t < taps; ++t)
    for (int c = 0; c < g.out_c; ++c) ohwi[static_cast<size_t>(c) * taps + t] = filter[t * g.out_c + c];
  return ohwi;
}

// With a depth multiplier m, output channel c reads input channel c / m:
// copy each input value m times so channels line up one to one.
template <typename T>
void expand_channels(const Conv2DGeometry& g, const T* input, T* expanded) {
  const int multiplier = g.out_c / g.in_c;
  const int64_t positions = static_cast<int64_t>(g.in_h) * g.in_w;
  for (int64_t p = 0; p < positions; ++p)
    for (int c = 0; c < g.in_c; ++c) {
      T* out = expanded + p * g.out_c + c * multiplier;
      std::fill(out, out + multiplier, input[p * g.in_c + c]);
    }
}

// Everything one output row needs; `out` is the row's first value.
template <typename T, typename W, typename Out>
struct RowArgs {
  const Conv2DGeometry* g;
  const T* input;           // one batch entry, channels = out_c
  const TapRange* row;      // the output row's filter rows
  const TapRange* columns;  // per output column
  const W* weights;         // [taps][padded channels]
  Out* out;                 // out_w x out_c
  // Several positions per vector (AVX-512 only): positions per vector,
  // [taps][16] repeated weights, and the interior columns where it applies.
  int positions = 0;
  const W* tiled_weights = nullptr;
  int interior_first = 0, interior_last = 0;

  // Whether positions [x, x + positions) can share one vector.
  bool packs(int x) const { return positions > 0 && x >= interior_first && x + positions <= interior_last; }
};

const int8_t* input_at(const Conv2DGeometry& g, const int8_t* input, int y, int x) {
  return input + (static_cast<int64_t>(y) * g.in_w + x) * g.out_c;
}
const float* input_at(const Conv2DGeometry& g, const float* input, int y, int x) {
  return input + (static_cast<int64_t>(y) * g.in_w + x) * g.out_c;
}

// Filters with at most this many taps have each position's taps listed
// once (input and weight addresses) before its channel blocks run.
constexpr int kMaxListedTaps = 64;

// Lists the in-bounds taps of the output position whose column is `col` in
// the row `r`: how many, or -1 when there are too many to list.
template <typename Row, typename T, typename W>
int list_taps(const Row& r, const TapRange& col, const T** inputs, const W** weights) {
  const Conv2DGeometry& g = *r.g;
  const int taps = (r.row->last - r.row->first) * (col.last - col.first);
  if (taps > kMaxListedTaps) return -1;
  const int stride = padded(g.out_c);
  int n = 0;
  for (int fy = r.row->first; fy < r.row->last; ++fy)
    for (int fx = col.first; fx < col.last; ++fx, ++n) {
      inputs[n] = input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin + fx * g.dilation_w);
      weights[n] = r.weights + (fy * g.filter_w + fx) * stride;
    }
  return n;
}

// --- int8: acc[x][c] = bias[c] + sum over taps of w[tap][c] * (input - zero_point).
// Each product fits in int32 (|255 * 128|); prepare bounded the sum.

struct Int8Row : RowArgs<int8_t, int32_t, int32_t> {
  const int32_t* bias;        // [out_c] or null
  const int32_t* tiled_bias;  // [16]: bias repeated like tiled_weights
  int32_t zero_point;
};

void int8_row_portable(const Int8Row& r) {
  const Conv2DGeometry& g = *r.g;
  const int stride = padded(g.out_c);
  for (int x = 0; x < g.out_w; ++x) {
    int32_t* acc = r.out + x * g.out_c;
    for (int c = 0; c < g.out_c; ++c) acc[c] = r.bias != nullptr ? r.bias[c] : 0;
    const TapRange& col = r.columns[x];
    for (int fy = r.row->first; fy < r.row->last; ++fy)
      for (int fx = col.first; fx < col.last; ++fx) {
        const int8_t* in = input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin + fx * g.dilation_w);
        const int32_t* w = r.weights + (fy * g.filter_w + fx) * stride;
        for (int c = 0; c < g.out_c; ++c) acc[c] += w[c] * (in[c] - r.zero_point);
      }
  }
}

__attribute__((target("avx2,fma"))) void int8_row_avx2(const Int8Row& r) {
  const Conv2DGeometry& g = *r.g;
  const int stride = padded(g.out_c);
  const __m256i zp = _mm256_set1_epi32(r.zero_point);
  for (int x = 0; x < g.out_w; ++x) {
    int32_t* acc = r.out + x * g.out_c;
    const TapRange& col = r.columns[x];
    int c = 0;
    for (; c + 8 <= g.out_c; c += 8) {
      __m256i sum =
          r.bias != nullptr ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.bias + c)) : _mm256_setzero_si256();
      for (int fy = r.row->first; fy < r.row->last; ++fy)
        for (int fx = col.first; fx < col.last; ++fx) {
          const int8_t* in = input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin + fx * g.dilation_w);
          const int32_t* w = r.weights + (fy * g.filter_w + fx) * stride;
          const __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + c)));
          const __m256i wt = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + c));
          sum = _mm256_add_epi32(sum, _mm256_mullo_epi32(_mm256_sub_epi32(v, zp), wt));
        }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + c), sum);
    }
    for (; c < g.out_c; ++c) {
      int32_t sum = r.bias != nullptr ? r.bias[c] : 0;
      for (int fy = r.row->first; fy < r.row->last; ++fy)
        for (int fx = col.first; fx < col.last; ++fx) {
          const int8_t* in = input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin + fx * g.dilation_w);
          sum += r.weights[(fy * g.filter_w + fx) * stride + c] * (in[c] - r.zero_point);
        }
      acc[c] = sum;
    }
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void int8_row_avx512(const Int8Row& r) {
  const Conv2DGeometry& g = *r.g;
  const int stride = padded(g.out_c);
  const __m512i zp = _mm512_set1_epi32(r.zero_point);
  for (int x = 0; x < g.out_w;) {
    int32_t* acc = r.out + x * g.out_c;
    const TapRange& col = r.columns[x];
    if (r.packs(x)) {
      __m512i sum = _mm512_loadu_si512(r.tiled_bias);
      for (int fy = r.row->first; fy < r.row->last; ++fy) {
        const int8_t* in = input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin);
        const int32_t* w = r.tiled_weights + fy * g.filter_w * kChannelBlock;
        for (int fx = 0; fx < g.filter_w; ++fx) {
          const __m512i v =
              _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + fx * g.dilation_w * g.out_c)));
          sum = _mm512_add_epi32(
              sum, _mm512_mullo_epi32(_mm512_sub_epi32(v, zp), _mm512_loadu_si512(w + fx * kChannelBlock)));
        }
      }
      _mm512_storeu_si512(acc, sum);
      x += r.positions;
      continue;
    }
    // The position's taps, listed once for all its channel blocks.
    const int8_t* tap_inputs[kMaxListedTaps];
    const int32_t* tap_weights[kMaxListedTaps];
    const int taps = list_taps(r, col, tap_inputs, tap_weights);
    for (int c = 0; c < g.out_c; c += kChannelBlock) {
      // Masked loads and stores never touch values past the last channel.
      const __mmask16 mask = static_cast<__mmask16>((1u << std::min(kChannelBlock, g.out_c - c)) - 1u);
      __m512i sum = r.bias != nullptr ? _mm512_maskz_loadu_epi32(mask, r.bias + c) : _mm512_setzero_si512();
      if (taps >= 0) {
        for (int t = 0; t < taps; ++t) {
          const __m512i v = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, tap_inputs[t] + c));
          sum = _mm512_add_epi32(sum,
                                 _mm512_mullo_epi32(_mm512_sub_epi32(v, zp), _mm512_loadu_si512(tap_weights[t] + c)));
        }
      } else {
        for (int fy = r.row->first; fy < r.row->last; ++fy)
          for (int fx = col.first; fx < col.last; ++fx) {
            const int8_t* in = input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin + fx * g.dilation_w);
            const __m512i v = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, in + c));
            const __m512i wt = _mm512_loadu_si512(r.weights + (fy * g.filter_w + fx) * stride + c);
            sum = _mm512_add_epi32(sum, _mm512_mullo_epi32(_mm512_sub_epi32(v, zp), wt));
          }
      }
      _mm512_mask_storeu_epi32(acc + c, mask, sum);
    }
    ++x;
  }
}

using Int8RowFn = void (*)(const Int8Row&);

Int8RowFn int8_row_for(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return int8_row_avx512;
    case SimdLevel::kAvx2:
      return int8_row_avx2;
    case SimdLevel::kPortable:
      break;
  }
  return int8_row_portable;
}

// --- float: out[x][c] = clamp(sum over taps of input * w[tap][c] + bias[c]).
// The vector clamps take max(lo, v) and min(hi, v), which return v when it
// is NaN, so NaN propagates as through the reference's std::min/std::max.

struct FloatRow : RowArgs<float, float, float> {
  const float* bias;        // [out_c] or null
  const float* tiled_bias;  // [16]: bias repeated like tiled_weights (zeros without bias)
  float lo, hi;
};

void float_row_portable(const FloatRow& r) {
  const Conv2DGeometry& g = *r.g;
  const int stride = padded(g.out_c);
  for (int x = 0; x < g.out_w; ++x) {
    float* out = r.out + x * g.out_c;
    const TapRange& col = r.columns[x];
    for (int c = 0; c < g.out_c; ++c) {
      float sum = 0.f;
      for (int fy = r.row->first; fy < r.row->last; ++fy)
        for (int fx = col.first; fx < col.last; ++fx)
          sum += input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin + fx * g.dilation_w)[c] *
                 r.weights[(fy * g.filter_w + fx) * stride + c];
      if (r.bias != nullptr) sum += r.bias[c];
      out[c] = std::min(std::max(sum, r.lo), r.hi);
    }
  }
}

__attribute__((target("avx2,fma"))) void float_row_avx2(const FloatRow& r) {
  const Conv2DGeometry& g = *r.g;
  const int stride = padded(g.out_c);
  const __m256 lo = _mm256_set1_ps(r.lo), hi = _mm256_set1_ps(r.hi);
  for (int x = 0; x < g.out_w; ++x) {
    float* out = r.out + x * g.out_c;
    const TapRange& col = r.columns[x];
    int c = 0;
    for (; c + 8 <= g.out_c; c += 8) {
      __m256 sum = _mm256_setzero_ps();
      for (int fy = r.row->first; fy < r.row->last; ++fy)
        for (int fx = col.first; fx < col.last; ++fx) {
          const float* in = input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin + fx * g.dilation_w);
          sum = _mm256_fmadd_ps(_mm256_loadu_ps(in + c),
                                _mm256_loadu_ps(r.weights + (fy * g.filter_w + fx) * stride + c), sum);
        }
      if (r.bias != nullptr) sum = _mm256_add_ps(sum, _mm256_loadu_ps(r.bias + c));
      _mm256_storeu_ps(out + c, _mm256_min_ps(hi, _mm256_max_ps(lo, sum)));
    }
    for (; c < g.out_c; ++c) {
      float sum = 0.f;
      for (int fy = r.row->first; fy < r.row->last; ++fy)
        for (int fx = col.first; fx < col.last; ++fx)
          sum = std::fma(input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin + fx * g.dilation_w)[c],
                         r.weights[(fy * g.filter_w + fx) * stride + c], sum);
      if (r.bias != nullptr) sum += r.bias[c];
      out[c] = std::min(std::max(sum, r.lo), r.hi);
    }
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void float_row_avx512(const FloatRow& r) {
  const Conv2DGeometry& g = *r.g;
  const int stride = padded(g.out_c);
  const __m512 lo = _mm512_set1_ps(r.lo), hi = _mm512_set1_ps(r.hi);
  for (int x = 0; x < g.out_w;) {
    float* out = r.out + x * g.out_c;
    const TapRange& col = r.columns[x];
    if (r.packs(x)) {
      __m512 sum = _mm512_setzero_ps();
      for (int fy = r.row->first; fy < r.row->last; ++fy) {
        const float* in = input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin);
        const float* w = r.tiled_weights + fy * g.filter_w * kChannelBlock;
        for (int fx = 0; fx < g.filter_w; ++fx)
          sum = _mm512_fmadd_ps(_mm512_loadu_ps(in + fx * g.dilation_w * g.out_c),
                                _mm512_loadu_ps(w + fx * kChannelBlock), sum);
      }
      if (r.bias != nullptr) sum = _mm512_add_ps(sum, _mm512_loadu_ps(r.tiled_bias));
      _mm512_storeu_ps(out, _mm512_min_ps(hi, _mm512_max_ps(lo, sum)));
      x += r.positions;
      continue;
    }
    for (int c = 0; c < g.out_c; c += kChannelBlock) {
      const __mmask16 mask = static_cast<__mmask16>((1u << std::min(kChannelBlock, g.out_c - c)) - 1u);
      __m512 sum = _mm512_setzero_ps();
      for (int fy = r.row->first; fy < r.row->last; ++fy)
        for (int fx = col.first; fx < col.last; ++fx) {
          const float* in = input_at(g, r.input, r.row->origin + fy * g.dilation_h, col.origin + fx * g.dilation_w);
          sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, in + c),
                                _mm512_loadu_ps(r.weights + (fy * g.filter_w + fx) * stride + c), sum);
        }
      if (r.bias != nullptr) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(mask, r.bias + c));
      _mm512_mask_storeu_ps(out + c, mask, _mm512_min_ps(hi, _mm512_max_ps(lo, sum)));
    }
    ++x;
  }
}

using FloatRowFn = void (*)(const FloatRow&);

FloatRowFn float_row_for(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return float_row_avx512;
    case SimdLevel::kAvx2:
      return float_row_avx2;
    case SimdLevel::kPortable:
      break;
  }
  return float_row_portable;
}

}  // namespace

OptimizedDepthwiseConv2DInt8::OptimizedDepthwiseConv2DInt8(const DepthwiseConv2DInt8Params& params,
                                                           const int8_t* filter, SimdLevel level)
    : g_(params.geometry), level_(level), input_zero_point_(params.input_zero_point) {
  if (g_.in_c == 1) {
    Conv2DInt8Params p;
    p.geometry = g_;
    p.input_zero_point = params.input_zero_point;
    p.output_zero_point = params.output_zero_point;
    p.channel_multipliers = params.channel_multipliers;
    p.act_min = params.act_min;
    p.act_max = params.act_max;
    p.rounding = params.rounding;
    as_convolution_ = std::make_unique<OptimizedConv2DInt8>(p, as_convolution_filter(g_, filter).data(), level);
    return;
  }
  rows_ = tap_ranges(g_.out_h, g_.in_h, g_.filter_h, g_.stride_h, g_.dilation_h, g_.pad_top);
  columns_ = tap_ranges(g_.out_w, g_.in_w, g_.filter_w, g_.stride_w, g_.dilation_w, g_.pad_left);
  weights_ = widen_filter<int32_t>(g_, filter);
  if (positions_per_vector(g_) > 0) tiled_weights_ = tile_filter<int32_t>(g_, filter);
  requantizer_ = Int8Requantizer(params.channel_multipliers, g_.out_c, params.rounding, params.output_zero_point,
                                 params.act_min, params.act_max);
}

int64_t OptimizedDepthwiseConv2DInt8::scratch_bytes() const {
  if (as_convolution_) return as_convolution_->scratch_bytes();
  // One row of int32 accumulators, then the expanded input when multiplying depth.
  return 4 * output_row_size(g_) + (g_.out_c == g_.in_c ? 0 : expanded_size(g_));
}

void OptimizedDepthwiseConv2DInt8::run(const int8_t* input, const int32_t* bias, int8_t* output, void* scratch) const {
  if (as_convolution_) return as_convolution_->run(input, bias, output, scratch);
  auto* acc = static_cast<int32_t*>(scratch);
  auto* expanded = reinterpret_cast<int8_t*>(acc + output_row_size(g_));
  const Int8RowFn sum_row = int8_row_for(level_);
  int32_t tiled_bias[kChannelBlock] = {};
  if (bias != nullptr)
    for (int l = 0; l < kChannelBlock; ++l) tiled_bias[l] = bias[l % g_.out_c];
  Int8Row row;
  row.g = &g_;
  row.columns = columns_.data();
  row.weights = weights_.data();
  row.out = acc;
  row.positions = tiled_weights_.size() > 0 ? positions_per_vector(g_) : 0;
  row.tiled_weights = tiled_weights_.data();
  std::tie(row.interior_first, row.interior_last) = interior_columns(columns_, g_.filter_w);
  row.bias = bias;
  row.tiled_bias = tiled_bias;
  row.zero_point = input_zero_point_;
  for (int batch = 0; batch < g_.batches; ++batch) {
    row.input = input + batch * input_batch_size(g_);
    if (g_.out_c != g_.in_c) {
      expand_channels(g_, row.input, expanded);
      row.input = expanded;
    }
    for (int y = 0; y < g_.out_h; ++y) {
      row.row = &rows_[y];
      sum_row(row);
      requantizer_.requantize(acc, g_.out_w, 0, g_.out_c, output);
      output += output_row_size(g_);
    }
  }
}

OptimizedDepthwiseConv2DFloat::OptimizedDepthwiseConv2DFloat(const Conv2DGeometry& g, const float* filter,
                                                             float act_min, float act_max, SimdLevel level)
    : g_(g), level_(level), act_min_(act_min), act_max_(act_max) {
  if (g_.in_c == 1) {
    as_convolution_ =
        std::make_unique<OptimizedConv2DFloat>(g_, as_convolution_filter(g_, filter).data(), act_min, act_max, level);
    return;
  }
  rows_ = tap_ranges(g_.out_h, g_.in_h, g_.filter_h, g_.stride_h, g_.dilation_h, g_.pad_top);
  columns_ = tap_ranges(g_.out_w, g_.in_w, g_.filter_w, g_.stride_w, g_.dilation_w, g_.pad_left);
  weights_ = widen_filter<float>(g_, filter);
  if (positions_per_vector(g_) > 0) tiled_weights_ = tile_filter<float>(g_, filter);
}

int64_t OptimizedDepthwiseConv2DFloat::scratch_bytes() const {
  if (as_convolution_) return as_convolution_->scratch_bytes();
  return g_.out_c == g_.in_c ? 0 : 4 * expanded_size(g_);
}

void OptimizedDepthwiseConv2DFloat::run(const float* input, const float* bias, float* output, void* scratch) const {
  if (as_convolution_) return as_convolution_->run(input, bias, output, scratch);
  const FloatRowFn sum_row = float_row_for(level_);
  float tiled_bias[kChannelBlock] = {};
  if (bias != nullptr)
    for (int l = 0; l < kChannelBlock; ++l) tiled_bias[l] = bias[l % g_.out_c];
  FloatRow row;
  row.g = &g_;
  row.columns = columns_.data();
  row.weights = weights_.data();
  row.positions = tiled_weights_.size() > 0 ? positions_per_vector(g_) : 0;
  row.tiled_weights = tiled_weights_.data();
  std::tie(row.interior_first, row.interior_last) = interior_columns(columns_, g_.filter_w);
  row.bias = bias;
  row.tiled_bias = tiled_bias;
  row.lo = act_min_;
  row.hi = act_max_;
  for (int batch = 0; batch < g_.batches; ++batch) {
    row.input = input + batch * input_batch_size(g_);
    if (g_.out_c != g_.in_c) {
      expand_channels(g_, row.input, static_cast<float*>(scratch));
      row.input = static_cast<const float*>(scratch);
    }
    for (int y = 0; y < g_.out_h; ++y) {
      row.row = &rows_[y];
      row.out = output;
      sum_row(row);
      output += output_row_size(g_);
    }
  }
}

namespace {

struct DepthwiseData : OptimizedOpData {
  std::unique_ptr<OptimizedDepthwiseConv2DInt8> int8;
  std::unique_ptr<OptimizedDepthwiseConv2DFloat> real;
};

Status prepare(PrepareContext& ctx) {
  auto data = std::make_unique<DepthwiseData>();
  QL_RETURN_IF_ERROR(prepare_reference(reference_kernel_DepthwiseConv2D(), ctx, *data));
  const TensorInfo& filter = ctx.input(1);
  const TensorInfo& output = ctx.output(0);
  QL_ASSIGN_OR_RETURN(const WeightedVariant variant, classify_weighted_op(ctx));
  if (variant == WeightedVariant::kHybrid || filter.constant == nullptr) {
    ctx.data = std::move(data);
    return Status::Ok();
  }
  // The reference prepare validated the op and derived everything the
  // packed form needs.
  const DepthwiseConv2DPrepared ref = reference_depthwise_conv_2d_prepared(*data->reference_data);
  const Conv2DGeometry& g = ref.geometry;
  // The packed form keeps a 12-byte tap table entry per output row and
  // column, built here, before memory planning weighs the output: a file
  // declaring an input of height 838860805 asked for 10 GB of tables before
  // its 53 GB activations were refused. Outputs without elements and axes
  // beyond 2^20 positions (far more than any real activation; the tables
  // then stay below 24 MiB) stay with the reference kernel, which allocates
  // nothing per position.
  constexpr int kMaxPackedPositions = 1 << 20;
  if (output.num_elements() == 0 || g.out_h > kMaxPackedPositions || g.out_w > kMaxPackedPositions) {
    ctx.data = std::move(data);
    return Status::Ok();
  }
  const SimdLevel level = best_simd_level();
  if (variant == WeightedVariant::kFloat) {
    data->real = std::make_unique<OptimizedDepthwiseConv2DFloat>(g, reinterpret_cast<const float*>(filter.constant),
                                                                 ref.act_min, ref.act_max, level);
    ctx.scratch_bytes = std::max(ctx.scratch_bytes, data->real->scratch_bytes());
  } else {
    data->int8 = std::make_unique<OptimizedDepthwiseConv2DInt8>(
        *ref.int8, reinterpret_cast<const int8_t*>(filter.constant), level);
    ctx.scratch_bytes = std::max(ctx.scratch_bytes, data->int8->scratch_bytes());
  }
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const auto& d = ctx.op_data<DepthwiseData>();
  if (d.int8) {
    d.int8->run(ctx.input<int8_t>(0), ctx.input<int32_t>(2), ctx.output<int8_t>(0), ctx.scratch);
    return Status::Ok();
  }
  if (d.real) {
    d.real->run(ctx.input<float>(0), ctx.input<float>(2), ctx.output<float>(0), ctx.scratch);
    return Status::Ok();
  }
  return d.eval_reference(ctx);
}

}  // namespace

const Kernel& optimized_kernel_DepthwiseConv2D() {
  static const Kernel kernel{"optimized", prepare, eval};
  return kernel;
}

}  // namespace quantlab
