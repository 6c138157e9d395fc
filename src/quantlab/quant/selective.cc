#include "quantlab/quant/selective.h"

#include <algorithm>

namespace quantlab {

Result<std::vector<std::string>> denied_op_reasons(const Graph& g, const SelectiveOptions& options) {
  std::vector<std::string> reasons(g.ops.size());
  for (size_t oi = 0; oi < g.ops.size(); ++oi) {
    const Op& op = g.ops[oi];
    if (std::find(options.deny_ops.begin(), options.deny_ops.end(), op.kind) != options.deny_ops.end())
      reasons[oi] = std::string(op_kind_name(op.kind)) + " ops are denied";
  }
  for (const std::string& node : options.deny_nodes) {
    bool found = false;
    for (size_t oi = 0; oi < g.ops.size(); ++oi) {
      for (int32_t t : g.ops[oi].outputs) {
        if (t < 0 || g.tensors[t].name != node) continue;
        found = true;
        if (reasons[oi].empty()) reasons[oi] = "node '" + node + "' is denied";
      }
    }
    if (!found) return not_found("denied node '" + node + "': no op writes a tensor of that name");
  }
  return reasons;
}

}  // namespace quantlab
