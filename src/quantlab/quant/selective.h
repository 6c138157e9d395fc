// Selective quantization: ops the user keeps in float inside an otherwise
// quantized model, named by kind (every MEAN) or by the name of a tensor
// they write (one node, as the debugger reports it).
#pragma once

#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

struct SelectiveOptions {
  std::vector<OpKind> deny_ops;         // kinds kept float
  std::vector<std::string> deny_nodes;  // output tensor names whose ops are kept float
};

// For each op of `g`: empty when it may be quantized, else why it stays
// float ("MEAN ops are denied", "node 'x' is denied"). An error names a
// deny-node that no op writes, since a typo would otherwise pass silently.
Result<std::vector<std::string>> denied_op_reasons(const Graph& g, const SelectiveOptions& options);

}  // namespace quantlab
