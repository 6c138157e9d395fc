#include "quantlab/ir/graph.h"

#include <cmath>
#include <limits>
#include <optional>
#include <queue>
#include <utility>

namespace quantlab {

const std::vector<uint8_t>& Graph::constant_bytes(int32_t t) const {
  static const std::vector<uint8_t> kEmpty;
  if (!is_constant(t)) return kEmpty;
  return buffers[tensors[t].buffer];
}

int32_t Graph::add_tensor(Tensor t) {
  tensors.push_back(std::move(t));
  return static_cast<int32_t>(tensors.size() - 1);
}

int32_t Graph::add_activation(std::string tensor_name, DType dtype, Shape shape, QuantParams quant) {
  Tensor t;
  t.name = std::move(tensor_name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.quant = std::move(quant);
  return add_tensor(std::move(t));
}

int32_t Graph::add_buffer(std::vector<uint8_t> bytes) {
  buffers.push_back(std::move(bytes));
  return static_cast<int32_t>(buffers.size() - 1);
}

int32_t Graph::add_constant(std::string tensor_name, DType dtype, Shape shape, std::vector<uint8_t> bytes,
                            QuantParams quant) {
  Tensor t;
  t.name = std::move(tensor_name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.quant = std::move(quant);
  t.buffer = add_buffer(std::move(bytes));
  return add_tensor(std::move(t));
}

void Graph::set_constant(int32_t t, std::vector<uint8_t> bytes) { tensors[t].buffer = add_buffer(std::move(bytes)); }

int64_t Graph::parameter_count() const {
  int64_t n = 0;
  for (const Tensor& t : tensors)
    if (t.buffer >= 0) n += num_elements(t.shape);
  return n;
}

GraphIndex::GraphIndex(const Graph& g) : producer(g.tensors.size(), -1), consumers(g.tensors.size()) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    for (int32_t t : g.ops[i].outputs)
      if (t >= 0 && t < static_cast<int32_t>(g.tensors.size())) producer[t] = static_cast<int32_t>(i);
    for (int32_t t : g.ops[i].inputs)
      if (t >= 0 && t < static_cast<int32_t>(g.tensors.size())) consumers[t].push_back(static_cast<int32_t>(i));
  }
}

std::string op_name(const Op& op) {
  if (op.kind == OpKind::kOpaque) {
    const auto& o = op.opts<OpaqueOptions>();
    if (!o.name.empty()) return o.name;
    return o.custom_code.empty() ? "BUILTIN_" + std::to_string(o.builtin_code) : o.custom_code;
  }
  return op_kind_name(op.kind);
}

std::string describe_tensor(const Graph& g, int32_t t) {
  std::string s = "tensor " + std::to_string(t);
  if (t >= 0 && t < static_cast<int32_t>(g.tensors.size()) && !g.tensors[t].name.empty())
    s += " '" + g.tensors[t].name + "'";
  return s;
}

std::string describe_op(const Graph& g, int32_t op_index) {
  std::string s = "op " + std::to_string(op_index);
  if (op_index >= 0 && op_index < static_cast<int32_t>(g.ops.size())) s += " (" + op_name(g.ops[op_index]) + ")";
  return s;
}

Result<std::vector<int32_t>> topological_order(const Graph& g) {
  const size_t n = g.ops.size();
  GraphIndex index(g);
  std::vector<int> pending(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (int32_t t : g.ops[i].inputs)
      if (t >= 0 && t < static_cast<int32_t>(g.tensors.size()) && index.producer[t] >= 0) ++pending[i];
  // A min-heap on op index keeps the stored order wherever the edges allow it.
  std::priority_queue<int32_t, std::vector<int32_t>, std::greater<int32_t>> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.push(static_cast<int32_t>(i));
  std::vector<int32_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    int32_t op = ready.top();
    ready.pop();
    order.push_back(op);
    for (int32_t t : g.ops[op].outputs) {
      if (t < 0 || t >= static_cast<int32_t>(g.tensors.size())) continue;
      for (int32_t c : index.consumers[t])
        if (--pending[c] == 0) ready.push(c);
    }
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i)
      if (pending[i] > 0)
        return invalid_argument("graph has a cycle through " + describe_op(g, static_cast<int32_t>(i)));
  }
  return order;
}

namespace {

// The range of an integer type a quantized tensor can have; nullopt for
// other types (64-bit integers need no check: every stored zero point fits).
template <typename T>
std::pair<int64_t, int64_t> range_of() {
  return {std::numeric_limits<T>::min(), std::numeric_limits<T>::max()};
}

std::optional<std::pair<int64_t, int64_t>> integer_type_range(DType t) {
  switch (t) {
    case DType::kInt8: return range_of<int8_t>();
    case DType::kUInt8: return range_of<uint8_t>();
    case DType::kInt16: return range_of<int16_t>();
    case DType::kUInt16: return range_of<uint16_t>();
    case DType::kInt32: return range_of<int32_t>();
    case DType::kUInt32: return range_of<uint32_t>();
    default: return std::nullopt;
  }
}

Status validate_quant(const Graph& g, int32_t ti) {
  const Tensor& t = g.tensors[ti];
  const QuantParams& q = t.quant;
  if (q.scale.empty()) {
    if (!q.zero_point.empty() && q.zero_point.size() != 1)
      return invalid_argument(describe_tensor(g, ti) + " has " + std::to_string(q.zero_point.size()) +
                              " zero points but no scale");
    return Status::Ok();
  }
  for (size_t i = 0; i < q.scale.size(); ++i) {
    float s = q.scale[i];
    if (!std::isfinite(s) || s <= 0.0f)
      return invalid_argument(describe_tensor(g, ti) + ": scale[" + std::to_string(i) + "] = " + std::to_string(s) +
                              " must be finite and positive");
  }
  if (q.zero_point.size() != q.scale.size())
    return invalid_argument(describe_tensor(g, ti) + " has " + std::to_string(q.scale.size()) + " scales but " +
                            std::to_string(q.zero_point.size()) + " zero points");
  // A zero point is a value of the tensor's own integer type. The integer
  // kernels rely on that: ADD shifts (q - zero_point), at most 9 bits for
  // 8-bit types, left by 20 bits in int32, which a zero point from outside
  // the type's range would overflow.
  if (const auto range = integer_type_range(t.dtype)) {
    const auto [lowest, highest] = *range;
    for (size_t i = 0; i < q.zero_point.size(); ++i)
      if (q.zero_point[i] < lowest || q.zero_point[i] > highest)
        return invalid_argument(describe_tensor(g, ti) + ": zero_point[" + std::to_string(i) + "] = " +
                                std::to_string(q.zero_point[i]) + " is outside the " + dtype_name(t.dtype) +
                                " range [" + std::to_string(lowest) + ", " + std::to_string(highest) + "]");
  }
  if (q.scale.size() > 1) {
    const int rank = static_cast<int>(t.shape.size());
    if (q.axis < 0 || q.axis >= rank)
      return invalid_argument(describe_tensor(g, ti) + ": quantized dimension " + std::to_string(q.axis) +
                              " is outside its rank-" + std::to_string(rank) + " shape");
    if (static_cast<int64_t>(q.scale.size()) != t.shape[q.axis])
      return invalid_argument(describe_tensor(g, ti) + ": " + std::to_string(q.scale.size()) +
                              " per-axis scales for dimension " + std::to_string(q.axis) + " of size " +
                              std::to_string(t.shape[q.axis]));
  }
  return Status::Ok();
}

}  // namespace

Status validate(const Graph& g) {
  const int32_t num_tensors = static_cast<int32_t>(g.tensors.size());
  for (int32_t ti = 0; ti < num_tensors; ++ti) {
    const Tensor& t = g.tensors[ti];
    auto count = checked_num_elements(t.shape);
    if (!count.ok()) return count.status().with_context(describe_tensor(g, ti));
    if (t.buffer >= static_cast<int32_t>(g.buffers.size()))
      return invalid_argument(describe_tensor(g, ti) + " refers to buffer " + std::to_string(t.buffer) + " of " +
                              std::to_string(g.buffers.size()));
    if (t.buffer >= 0 && t.dtype != DType::kString) {
      const uint64_t want = static_cast<uint64_t>(*count) * dtype_size(t.dtype);
      const uint64_t have = g.buffers[t.buffer].size();
      if (want != have)
        return invalid_argument(describe_tensor(g, ti) + " of shape " + shape_to_string(t.shape) + " and type " +
                                dtype_name(t.dtype) + " needs " + std::to_string(want) + " bytes but its buffer has " +
                                std::to_string(have));
    }
    QL_RETURN_IF_ERROR(validate_quant(g, ti));
  }
  auto check_io = [&](const std::vector<int32_t>& list, const char* what) -> Status {
    for (int32_t t : list)
      if (t < 0 || t >= num_tensors)
        return invalid_argument(std::string("graph ") + what + " " + std::to_string(t) + " is not a tensor index (" +
                                std::to_string(num_tensors) + " tensors)");
    return Status::Ok();
  };
  QL_RETURN_IF_ERROR(check_io(g.inputs, "input"));
  QL_RETURN_IF_ERROR(check_io(g.outputs, "output"));

  std::vector<int32_t> producer(num_tensors, -1);
  for (int32_t oi = 0; oi < static_cast<int32_t>(g.ops.size()); ++oi) {
    const Op& op = g.ops[oi];
    const OpKindInfo& info = op_kind_info(op.kind);
    if (op.kind != OpKind::kOpaque) {
      const int n_in = static_cast<int>(op.inputs.size());
      if (n_in < info.min_inputs || n_in > info.max_inputs)
        return invalid_argument(describe_op(g, oi) + " has " + std::to_string(n_in) + " inputs; expected " +
                                (info.min_inputs == info.max_inputs
                                     ? std::to_string(info.min_inputs)
                                     : std::to_string(info.min_inputs) + " to " + std::to_string(info.max_inputs)));
      if (static_cast<int>(op.outputs.size()) != info.num_outputs)
        return invalid_argument(describe_op(g, oi) + " has " + std::to_string(op.outputs.size()) +
                                " outputs; expected " + std::to_string(info.num_outputs));
      if (op.options.index() != default_options(op.kind).index())
        return internal_error(describe_op(g, oi) + " holds options of the wrong type");
    } else if (!std::holds_alternative<OpaqueOptions>(op.options)) {
      return internal_error(describe_op(g, oi) + " is opaque but holds typed options");
    }
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const int32_t t = op.inputs[i];
      if (t < -1 || t >= num_tensors)
        return invalid_argument(describe_op(g, oi) + " input " + std::to_string(i) + " is tensor " +
                                std::to_string(t) + ", outside 0.." + std::to_string(num_tensors - 1));
      if (t == -1 && static_cast<int>(i) < info.min_inputs && op.kind != OpKind::kOpaque)
        return invalid_argument(describe_op(g, oi) + " input " + std::to_string(i) + " is required but absent");
    }
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      const int32_t t = op.outputs[i];
      if (t < 0 || t >= num_tensors)
        return invalid_argument(describe_op(g, oi) + " output " + std::to_string(i) + " is tensor " +
                                std::to_string(t) + ", outside 0.." + std::to_string(num_tensors - 1));
      if (producer[t] >= 0)
        return invalid_argument(describe_tensor(g, t) + " is written by both " + describe_op(g, producer[t]) +
                                " and " + describe_op(g, oi));
      if (g.tensors[t].buffer >= 0)
        return invalid_argument(describe_tensor(g, t) + " is constant but is written by " + describe_op(g, oi));
      producer[t] = oi;
    }
  }
  auto order = topological_order(g);
  if (!order.ok()) return order.status();
  return Status::Ok();
}

}  // namespace quantlab
