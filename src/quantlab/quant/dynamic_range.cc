#include "quantlab/quant/dynamic_range.h"

#include <fmt/format.h>

#include "quantlab/numerics/choose_params.h"
#include "quantlab/quant/graph_edit.h"
#include "quantlab/quant/model_checks.h"
#include "quantlab/quant/op_rules.h"

namespace quantlab {
namespace {

// Marks a hybrid FULLY_CONNECTED / BATCH_MATMUL to quantize its inputs asymmetrically.
void set_asymmetric_inputs(Op& op) {
  if (auto* fc = std::get_if<FullyConnectedOptions>(&op.options)) fc->asymmetric_quantize_inputs = true;
  if (auto* bmm = std::get_if<BatchMatMulOptions>(&op.options)) bmm->asymmetric_quantize_inputs = true;
}

}  // namespace

Result<QuantizedGraph> quantize_dynamic_range(const Graph& float_graph, const DynamicRangeOptions& options) {
  QL_RETURN_IF_ERROR(check_quantizable_float_model(float_graph));
  QL_ASSIGN_OR_RETURN(std::vector<std::string> denied, denied_op_reasons(float_graph, options.selective));
  const Graph& src = float_graph;
  QuantizedGraph result{src, {}};
  Graph& out = result.graph;
  auto decide = [&](int32_t t, int32_t oi, TensorRole role, DType dtype, std::string detail, std::string why) {
    result.decisions.push_back(TensorDecision{src.tensors[t].name, describe_op(src, oi), role, dtype,
                                              num_elements(src.tensors[t].shape), std::move(detail), std::move(why)});
  };

  for (int32_t oi = 0; oi < static_cast<int32_t>(src.ops.size()); ++oi) {
    const Op& op = src.ops[oi];
    const OpQuantRule& rule = *find_op_rule(op.kind);
    if (!rule.dynamic_range) continue;
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const int32_t t = op.inputs[i];
      const InputRole role = rule.role(i);
      if (t < 0) continue;
      if (role == InputRole::kBias) {
        decide(t, oi, TensorRole::kBias, DType::kFloat32, "float32", "dynamic-range models keep biases float");
        continue;
      }
      if (role != InputRole::kWeight && role != InputRole::kWeightIfConstant) continue;
      if (!src.is_constant(t)) continue;  // BATCH_MATMUL of two activations: nothing to quantize ahead of time
      const int64_t count = num_elements(src.tensors[t].shape);
      if (!denied[oi].empty()) {
        decide(t, oi, TensorRole::kWeight, DType::kFloat32, "float32", denied[oi]);
        continue;
      }
      if (count < options.min_elements) {
        decide(t, oi, TensorRole::kWeight, DType::kFloat32, fmt::format("float32, {} elements", count),
               fmt::format("fewer than {} elements", options.min_elements));
        continue;
      }
      const Tensor& w = src.tensors[t];
      const int axis = weight_per_channel(rule, options.fc_per_channel) ? rule.weight_channel_axis : -1;
      if (axis >= static_cast<int>(w.shape.size()))
        return invalid_argument(describe_op(src, oi) + ": weights " + describe_tensor(src, t) + " of shape " +
                                shape_to_string(w.shape) + " have no channel axis " + std::to_string(axis));
      SymmetricWeights q = quantize_weights_symmetric(src.constant_data<float>(t), w.shape, axis);
      QuantParams qp;
      qp.scale = q.scales;
      qp.zero_point.assign(q.scales.size(), 0);
      qp.axis = std::max(axis, 0);
      out.ops[oi].inputs[i] = out.add_constant(w.name, DType::kInt8, w.shape, to_bytes(q.values), std::move(qp));
      if (options.asymmetric_inputs) set_asymmetric_inputs(out.ops[oi]);
      decide(t, oi, TensorRole::kWeight, DType::kInt8,
             axis >= 0 ? fmt::format("int8 symmetric, per channel (axis {}), {} elements", axis, count)
                       : fmt::format("int8 symmetric, per tensor, {} elements", count),
             "");
    }
  }
  QL_ASSIGN_OR_RETURN(std::vector<int32_t> biased, add_zero_float_biases(out));
  for (int32_t oi : biased) {
    const int32_t bias = out.ops[oi].inputs[2];
    result.decisions.push_back(TensorDecision{out.tensors[bias].name, describe_op(src, oi), TensorRole::kBias,
                                              DType::kFloat32, num_elements(out.tensors[bias].shape),
                                              "float32 zeros: the op had no bias",
                                              "dynamic-range models keep biases float"});
  }
  remove_unused_tensors(out);
  make_tensor_names_unique(out);
  Status valid = validate(out);
  if (!valid.ok()) return internal_error("dynamic-range quantization built an invalid graph: " + valid.message());
  return result;
}

}  // namespace quantlab
