#include "quantlab/quant/model_checks.h"

#include "quantlab/quant/op_rules.h"

namespace quantlab {
namespace {

Status require_float(const Graph& g, int32_t t, const std::string& where) {
  const DType dtype = g.tensors[t].dtype;
  if (dtype == DType::kFloat32) return Status::Ok();
  return invalid_argument(where + " " + describe_tensor(g, t) + " is " + dtype_name(dtype) +
                          "; quantization needs a float32 model");
}

}  // namespace

Status check_quantizable_float_model(const Graph& g) {
  QL_RETURN_IF_ERROR(validate(g));
  for (size_t i = 0; i < g.inputs.size(); ++i)
    QL_RETURN_IF_ERROR(require_float(g, g.inputs[i], "model input " + std::to_string(i)));
  for (size_t i = 0; i < g.outputs.size(); ++i)
    QL_RETURN_IF_ERROR(require_float(g, g.outputs[i], "model output " + std::to_string(i)));
  for (int32_t oi = 0; oi < static_cast<int32_t>(g.ops.size()); ++oi) {
    const Op& op = g.ops[oi];
    const OpQuantRule* rule = find_op_rule(op.kind);
    if (!rule) return unsupported(describe_op(g, oi) + " has no quantization rule");
    if (rule->output == OutputParams::kNotQuantizable)
      return invalid_argument(describe_op(g, oi) +
                              " already converts between float and integer; quantization "
                              "needs a float model");
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      if (op.inputs[i] < 0 || rule->role(i) == InputRole::kIndex) continue;
      QL_RETURN_IF_ERROR(require_float(g, op.inputs[i], describe_op(g, oi) + " input " + std::to_string(i)));
    }
    for (int32_t t : op.outputs) QL_RETURN_IF_ERROR(require_float(g, t, describe_op(g, oi) + " output"));
  }
  return Status::Ok();
}

}  // namespace quantlab
