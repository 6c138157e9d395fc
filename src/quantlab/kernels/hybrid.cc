#include "quantlab/kernels/hybrid.h"

#include "quantlab/numerics/quantize_row.h"

namespace quantlab {

int64_t hybrid_workspace_bytes(int64_t rows, int64_t row_size, bool with_row_buffer) {
  const int64_t four_byte_words = 2 * rows + (with_row_buffer ? row_size : 0);
  return 4 * four_byte_words + rows * row_size;
}

HybridWorkspace hybrid_workspace(void* scratch, int64_t rows, int64_t row_size, bool with_row_buffer) {
  HybridWorkspace ws;
  auto* bytes = static_cast<uint8_t*>(scratch);
  ws.scales = reinterpret_cast<float*>(bytes);
  bytes += 4 * rows;
  ws.zero_points = reinterpret_cast<int32_t*>(bytes);
  bytes += 4 * rows;
  if (with_row_buffer) {
    ws.row_buffer = reinterpret_cast<float*>(bytes);
    bytes += 4 * row_size;
  }
  ws.values = reinterpret_cast<int8_t*>(bytes);
  return ws;
}

void quantize_rows(const float* input, int64_t rows, int64_t row_size, bool asymmetric, const HybridWorkspace& ws) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = input + r * row_size;
    int8_t* out = ws.values + r * row_size;
    const RowQuantization q =
        asymmetric ? quantize_row_asymmetric(row, row_size, out) : quantize_row_symmetric(row, row_size, out);
    ws.scales[r] = q.scale;
    ws.zero_points[r] = q.zero_point;
  }
}

std::vector<float> channel_scales(const QuantParams& q, int64_t channels) {
  if (q.scale.size() == 1) return std::vector<float>(static_cast<size_t>(channels), q.scale[0]);
  return q.scale;
}

std::vector<int32_t> weight_row_sums(const int8_t* weights, int64_t rows, int64_t cols) {
  std::vector<int32_t> sums(static_cast<size_t>(rows), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) sums[r] += weights[r * cols + c];
  return sums;
}

}  // namespace quantlab
