// Shared pieces of the hybrid (dynamic-range) kernels: float activations,
// int8 constant weights, float outputs. Each kernel quantizes its float input
// per row at run time (numerics/quantize_row.h), accumulates int8 x int8 in
// int32, and rescales the accumulator to float:
//   out = float(acc - zero_point * weight_row_sum) * (input_scale * weight_scale[c]) + bias[c]
// The arithmetic lives in numerics; this file holds the scratch layout and
// the per-channel constants computed once at prepare time.
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/ir/graph.h"

namespace quantlab {

// Per-invoke buffers of a hybrid kernel, carved out of the interpreter's
// scratch memory: the quantized rows plus one scale and zero point per row,
// and optionally a float buffer of one row (for gathering strided rows).
struct HybridWorkspace {
  int8_t* values = nullptr;       // rows * row_size
  float* scales = nullptr;        // rows
  int32_t* zero_points = nullptr; // rows
  float* row_buffer = nullptr;    // row_size, or null when not requested
};

// Bytes of scratch a workspace for `rows` rows of `row_size` values needs.
int64_t hybrid_workspace_bytes(int64_t rows, int64_t row_size, bool with_row_buffer);

// Lays the workspace out in `scratch` (at least hybrid_workspace_bytes long
// and 4-byte aligned): the 4-byte arrays first, the int8 values last.
HybridWorkspace hybrid_workspace(void* scratch, int64_t rows, int64_t row_size, bool with_row_buffer);

// Quantizes `rows` contiguous rows of `row_size` floats into the workspace,
// symmetric or asymmetric as TFLite's hybrid kernels do.
void quantize_rows(const float* input, int64_t rows, int64_t row_size, bool asymmetric, const HybridWorkspace& ws);

// One float scale per channel: the weight tensor's per-channel scales, or
// its single per-tensor scale repeated. Precondition: q has 1 or `channels` scales.
std::vector<float> channel_scales(const QuantParams& q, int64_t channels);

// Sum of each row of a row-major [rows, cols] int8 matrix; the correction
// term for asymmetrically quantized inputs. |sum| <= 128 * cols fits int32
// for any cols below 2^24.
std::vector<int32_t> weight_row_sums(const int8_t* weights, int64_t rows, int64_t cols);

}  // namespace quantlab
