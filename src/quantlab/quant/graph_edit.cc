#include "quantlab/quant/graph_edit.h"

#include <cctype>
#include <utility>

namespace quantlab {

TensorNamer::TensorNamer(const Graph& g) {
  for (const Tensor& t : g.tensors) used_.insert(t.name);
}

std::string TensorNamer::fresh(const std::string& base) {
  std::string name = base;
  for (int n = 1; used_.count(name); ++n) name = base + "_" + std::to_string(n);
  used_.insert(name);
  return name;
}

bool takes_bias(OpKind kind) {
  return kind == OpKind::kConv2D || kind == OpKind::kDepthwiseConv2D || kind == OpKind::kFullyConnected;
}

Result<int32_t> weighted_op_output_channels(const Graph& g, int32_t op_index) {
  const Op& op = g.ops[op_index];
  const int32_t w = op.input(1);
  if (w < 0) return invalid_argument(describe_op(g, op_index) + " has no weights");
  const Shape& shape = g.tensors[w].shape;
  const size_t axis = op.kind == OpKind::kDepthwiseConv2D ? 3 : 0;
  if (shape.size() <= axis || shape[axis] <= 0)
    return invalid_argument(describe_op(g, op_index) + ": weights " + describe_tensor(g, w) + " of shape " +
                            shape_to_string(shape) + " do not give an output channel count");
  return shape[axis];
}

Result<std::vector<int32_t>> add_zero_float_biases(Graph& g) {
  TensorNamer namer(g);
  std::vector<int32_t> changed;
  for (int32_t oi = 0; oi < static_cast<int32_t>(g.ops.size()); ++oi) {
    if (!takes_bias(g.ops[oi].kind) || g.ops[oi].input(2) >= 0) continue;
    if (g.tensors[g.ops[oi].outputs[0]].dtype != DType::kFloat32) continue;
    QL_ASSIGN_OR_RETURN(int32_t channels, weighted_op_output_channels(g, oi));
    const std::string base = g.tensors[g.ops[oi].outputs[0]].name + "_bias";
    const int32_t bias = g.add_constant(namer.fresh(base), DType::kFloat32, {channels},
                                        std::vector<uint8_t>(static_cast<size_t>(channels) * sizeof(float), 0));
    Op& op = g.ops[oi];
    op.inputs.resize(3, -1);
    op.inputs[2] = bias;
    changed.push_back(oi);
  }
  return changed;
}

void make_tensor_names_unique(Graph& g) {
  TensorNamer namer(g);
  std::unordered_set<std::string> seen;
  for (Tensor& t : g.tensors) {
    if (seen.insert(t.name).second) continue;
    std::string suffix = dtype_name(t.dtype);
    for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    t.name = namer.fresh(t.name + "_" + suffix);
    seen.insert(t.name);
  }
}

Status sort_ops_topologically(Graph& g) {
  QL_ASSIGN_OR_RETURN(std::vector<int32_t> order, topological_order(g));
  std::vector<Op> sorted;
  sorted.reserve(g.ops.size());
  for (int32_t oi : order) sorted.push_back(std::move(g.ops[oi]));
  g.ops = std::move(sorted);
  return Status::Ok();
}

void remove_unused_tensors(Graph& g) {
  const size_t n = g.tensors.size();
  std::vector<bool> used(n, false);
  auto mark = [&](int32_t t) {
    if (t >= 0 && static_cast<size_t>(t) < n) used[t] = true;
  };
  for (const Op& op : g.ops) {
    for (int32_t t : op.inputs) mark(t);
    for (int32_t t : op.outputs) mark(t);
  }
  for (int32_t t : g.inputs) mark(t);
  for (int32_t t : g.outputs) mark(t);
  for (const SignatureDef& s : g.signatures) {
    for (const auto& entry : s.inputs) mark(entry.second);
    for (const auto& entry : s.outputs) mark(entry.second);
  }

  std::vector<int32_t> new_index(n, -1);
  std::vector<Tensor> kept;
  for (size_t t = 0; t < n; ++t) {
    if (!used[t]) continue;
    new_index[t] = static_cast<int32_t>(kept.size());
    kept.push_back(std::move(g.tensors[t]));
  }
  g.tensors = std::move(kept);
  auto remap = [&](int32_t& t) {
    if (t >= 0) t = new_index[t];
  };
  for (Op& op : g.ops) {
    for (int32_t& t : op.inputs) remap(t);
    for (int32_t& t : op.outputs) remap(t);
  }
  for (int32_t& t : g.inputs) remap(t);
  for (int32_t& t : g.outputs) remap(t);
  for (SignatureDef& s : g.signatures) {
    for (auto& entry : s.inputs) remap(entry.second);
    for (auto& entry : s.outputs) remap(entry.second);
  }

  std::vector<int32_t> new_buffer(g.buffers.size(), -1);
  std::vector<std::vector<uint8_t>> buffers;
  for (Tensor& t : g.tensors) {
    if (t.buffer < 0) continue;
    int32_t& b = new_buffer[t.buffer];
    if (b < 0) {
      b = static_cast<int32_t>(buffers.size());
      buffers.push_back(std::move(g.buffers[t.buffer]));
    }
    t.buffer = b;
  }
  g.buffers = std::move(buffers);
}

}  // namespace quantlab
