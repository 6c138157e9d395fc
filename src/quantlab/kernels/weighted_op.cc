#include "quantlab/kernels/weighted_op.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace quantlab {
namespace {

bool valid_scale(float s) { return std::isfinite(s) && s > 0.f; }

}  // namespace

Result<WeightedVariant> classify_weighted_op(const PrepareContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("input and weights are required");
  const DType in = ctx.input(0).dtype, w = ctx.input(1).dtype, out = ctx.tensors[ctx.op.outputs[0]].dtype;
  const bool has_bias = ctx.has_input(2);
  const DType bias = has_bias ? ctx.input(2).dtype : DType::kFloat32;
  if (in == DType::kFloat32 && w == DType::kFloat32 && out == DType::kFloat32 && bias == DType::kFloat32)
    return WeightedVariant::kFloat;
  if (in == DType::kInt8 && w == DType::kInt8 && out == DType::kInt8 && (!has_bias || bias == DType::kInt32))
    return WeightedVariant::kInt8;
  if (in == DType::kFloat32 && w == DType::kInt8 && out == DType::kFloat32 && bias == DType::kFloat32)
    return WeightedVariant::kHybrid;
  return ctx.unsupported_types();
}

Status check_activation_quant(const PrepareContext& ctx, const char* role, const TensorInfo& t) {
  if (t.quant == nullptr || t.quant->scale.size() != 1)
    return ctx.error(std::string(role) + " must have exactly one quantization scale");
  if (!valid_scale(t.scale()))
    return ctx.error(std::string(role) + " scale " + std::to_string(t.scale()) + " must be finite and positive");
  const int32_t zp = t.zero_point();
  if (zp < -128 || zp > 127)
    return ctx.error(std::string(role) + " zero point " + std::to_string(zp) + " is outside [-128, 127]");
  return Status::Ok();
}

Status check_weight_quant(const PrepareContext& ctx, const TensorInfo& w, int axis, int64_t channels,
                          bool allow_per_channel) {
  if (w.quant == nullptr || w.quant->scale.empty()) return ctx.error("int8 weights have no quantization scale");
  const QuantParams& q = *w.quant;
  const int64_t n = static_cast<int64_t>(q.scale.size());
  if (n != 1) {
    if (!allow_per_channel)
      return ctx.error("weights must be quantized per tensor, found " + std::to_string(n) + " scales");
    if (n != channels || q.axis != axis)
      return ctx.error("weights have " + std::to_string(n) + " scales on dimension " + std::to_string(q.axis) +
                       "; expected 1, or " + std::to_string(channels) + " on dimension " + std::to_string(axis));
  }
  for (int64_t c = 0; c < n; ++c)
    if (!valid_scale(q.scale[c]))
      return ctx.error("weight scale " + std::to_string(q.scale[c]) + " (channel " + std::to_string(c) +
                       ") must be finite and positive");
  for (int64_t zp : q.zero_point)
    if (zp != 0) return ctx.error("int8 weights must be symmetric, found zero point " + std::to_string(zp));
  return Status::Ok();
}

Status check_int32_accumulation(const PrepareContext& ctx, int64_t depth, int64_t max_term) {
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  int64_t max_bias = 0;
  if (ctx.has_input(2) && ctx.input(2).dtype == DType::kInt32 && ctx.input(2).constant != nullptr) {
    const auto* bias = reinterpret_cast<const int32_t*>(ctx.input(2).constant);
    for (int64_t i = 0; i < ctx.input(2).num_elements(); ++i)
      max_bias = std::max(max_bias, std::abs(static_cast<int64_t>(bias[i])));
  }
  if (depth > (kInt32Max - max_bias) / max_term)
    return ctx.error("accumulation depth " + std::to_string(depth) + " with bias magnitude up to " +
                     std::to_string(max_bias) + " could overflow the int32 accumulator");
  return Status::Ok();
}

Status check_fused_activation(const PrepareContext& ctx, Activation act) {
  if (act == Activation::kTanh || act == Activation::kSignBit)
    return unsupported(describe_op(ctx.graph, ctx.op_index) + ": fused activation " + activation_name(act) +
                       " is not supported");
  return Status::Ok();
}

}  // namespace quantlab
