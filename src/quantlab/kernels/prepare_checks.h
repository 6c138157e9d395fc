// Checks and constant-tensor readers shared by the prepare functions of the
// element-wise, pooling, reduction and data-movement kernels. Every error
// names the op (through PrepareContext::error) and the offending value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/kernels/kernel.h"

namespace quantlab {

// An Unsupported error prefixed with "op N (KIND): ", like PrepareContext::error.
Status op_unsupported(const PrepareContext& ctx, const std::string& message);

// `status` prefixed with "op N (KIND): ", keeping its code.
Status op_context(const PrepareContext& ctx, const Status& status);

// `t` carries one scale and one zero point (per-tensor quantization). The
// graph validator has already checked that scales are finite and positive.
// `role` names the tensor in the message ("input 1", "output").
Status require_per_tensor_quant(const PrepareContext& ctx, const TensorInfo& t, const char* role);

// Input and output share scale and zero point (ops that only move or select
// quantized values, such as the pools).
Status require_same_quant(const PrepareContext& ctx, const TensorInfo& input, const TensorInfo& output);

// True when both tensors carry identical per-tensor scale and zero point.
bool same_per_tensor_quant(const TensorInfo& a, const TensorInfo& b);

// Fused activations a kernel can apply by clamping: NONE, RELU, RELU_N1_TO_1
// and RELU6 (TANH and SIGN_BIT are not clamps).
Status require_clamp_activation(const PrepareContext& ctx, Activation act);

// The values of constant input `index`, an INT32 or INT64 tensor of at most
// `max_rank` dimensions, as int32. An error if the input is absent, not
// constant, of another type, or holds a value outside int32.
Result<std::vector<int32_t>> read_constant_indices(const PrepareContext& ctx, size_t index, const char* role,
                                                   int max_rank = 1);

// The largest rank the reference kernels index with fixed-size arrays
// (TFLite's broadcasting and transpose limit).
constexpr int kMaxKernelRank = 6;

}  // namespace quantlab
