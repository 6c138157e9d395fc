// What a quantization pass returns: the new graph and, for every tensor it
// considered, what it did and why, so that a report can answer "which
// tensors were quantized, which were left float, and why".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/dtype.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

enum class TensorRole : uint8_t { kInput, kActivation, kWeight, kBias, kOutput };
const char* tensor_role_name(TensorRole role);

struct TensorDecision {
  std::string tensor;  // the tensor's name in the input (float) graph
  std::string op;      // the op it belongs to, as describe_op names it in the input graph
  TensorRole role = TensorRole::kActivation;
  DType dtype = DType::kFloat32;  // its type in the output graph
  int64_t elements = 0;
  std::string detail;              // how it was quantized ("per-channel, axis 0"; "scale 0.0235, zero point -128")
  std::string kept_float_because;  // empty when quantized
  bool quantized() const { return kept_float_because.empty(); }
};

struct QuantizedGraph {
  Graph graph;
  std::vector<TensorDecision> decisions;
};

}  // namespace quantlab
