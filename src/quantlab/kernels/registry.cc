#include <string>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/optimized/kernels.h"

namespace quantlab {

Status PrepareContext::error(const std::string& message) const {
  return invalid_argument(describe_op(graph, op_index) + ": " + message);
}

Status PrepareContext::unsupported_types() const {
  std::string s = describe_op(graph, op_index) + ": unsupported type combination (inputs";
  for (int32_t t : op.inputs) s += std::string(" ") + (t < 0 ? "-" : dtype_name(tensors[t].dtype));
  s += "; outputs";
  for (int32_t t : op.outputs) s += std::string(" ") + dtype_name(tensors[t].dtype);
  return unsupported(s + ")");
}

const Kernel* find_kernel(const Graph& graph, const Op& op, const KernelOptions& options) {
  if (options.kernels == KernelSet::kOptimized) {
    if (const Kernel* optimized = find_optimized_kernel(graph, op)) return optimized;
  }
  switch (op.kind) {
#define QL_OP(Kind, NAME, code, Options, min_in, max_in, n_out) \
  case OpKind::k##Kind:                                         \
    return &reference_kernel_##Kind();
#include "quantlab/ir/ops.def"
#undef QL_OP
    case OpKind::kOpaque:
      return nullptr;
  }
  return nullptr;
}

}  // namespace quantlab
