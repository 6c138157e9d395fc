#include "quantlab/kernels/optimized/kernels.h"

#include "quantlab/kernels/optimized/simd_level.h"

namespace quantlab {
namespace {

DType dtype_of(const Graph& g, int32_t t) { return g.tensors[t].dtype; }

// Input 0, input 1 and output 0 share `t`, and the optional bias (input 2)
// is `bias_type`.
bool uniform_types(const Graph& g, const Op& op, DType t, DType bias_type) {
  if (op.input(0) < 0 || op.input(1) < 0 || op.outputs.empty()) return false;
  if (dtype_of(g, op.inputs[0]) != t || dtype_of(g, op.inputs[1]) != t || dtype_of(g, op.outputs[0]) != t) return false;
  return op.input(2) < 0 || dtype_of(g, op.inputs[2]) == bias_type;
}

bool float_or_int8(const Graph& g, const Op& op) {
  return uniform_types(g, op, DType::kFloat32, DType::kFloat32) || uniform_types(g, op, DType::kInt8, DType::kInt32);
}

}  // namespace

const Kernel* find_optimized_kernel(const Graph& graph, const Op& op) {
  switch (op.kind) {
    case OpKind::kConv2D:
      return float_or_int8(graph, op) && graph.is_constant(op.input(1)) ? &optimized_kernel_Conv2D() : nullptr;
    case OpKind::kDepthwiseConv2D:
      return float_or_int8(graph, op) && graph.is_constant(op.input(1)) ? &optimized_kernel_DepthwiseConv2D() : nullptr;
    case OpKind::kFullyConnected:
      return float_or_int8(graph, op) && graph.is_constant(op.input(1)) ? &optimized_kernel_FullyConnected() : nullptr;
    case OpKind::kBatchMatMul:
      return op.input(2) < 0 && float_or_int8(graph, op) ? &optimized_kernel_BatchMatMul() : nullptr;
    case OpKind::kMaxPool2D: {
      if (best_simd_level() != SimdLevel::kAvx512 || op.input(0) < 0 || op.outputs.empty()) return nullptr;
      const DType in = dtype_of(graph, op.inputs[0]), out = dtype_of(graph, op.outputs[0]);
      return in == out && (in == DType::kFloat32 || in == DType::kInt8) ? &optimized_kernel_MaxPool2D() : nullptr;
    }
    default:
      return nullptr;
  }
}

}  // namespace quantlab
