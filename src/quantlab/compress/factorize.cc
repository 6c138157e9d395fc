#include "quantlab/compress/factorize.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace quantlab::compress {
namespace {

std::vector<uint8_t> bytes_of(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat32).contiguous();
  std::vector<uint8_t> b(static_cast<size_t>(c.numel()) * sizeof(float));
  if (!b.empty()) std::memcpy(b.data(), c.data_ptr<float>(), b.size());
  return b;
}

std::vector<uint8_t> int32_bytes(const std::vector<int32_t>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(int32_t));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// W [out, in] of `tensor` as a double tensor.
torch::Tensor weight_matrix(const Graph& g, int32_t tensor, int32_t out, int32_t in) {
  const std::vector<uint8_t>& bytes = g.constant_bytes(tensor);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return torch::tensor(values, torch::kFloat32).reshape({out, in}).to(torch::kFloat64);
}

struct Truncated {
  torch::Tensor left;   // U_r sqrt(S_r)      [rows, r]
  torch::Tensor right;  // sqrt(S_r) V_r^T    [r, cols]
  double relative_error = 0;
};

Truncated truncated_svd(const torch::Tensor& m, int64_t rank) {
  const auto [u, s, vh] = torch::linalg_svd(m, /*full_matrices=*/false);
  const torch::Tensor root = s.slice(0, 0, rank).sqrt();
  Truncated t;
  t.left = u.slice(1, 0, rank) * root.unsqueeze(0);
  t.right = root.unsqueeze(1) * vh.slice(0, 0, rank);
  // The discarded singular values carry the whole Frobenius error.
  const double total = s.pow(2).sum().item<double>();
  const double kept = s.slice(0, 0, rank).pow(2).sum().item<double>();
  t.relative_error = total > 0 ? std::sqrt(std::max(0.0, total - kept) / total) : 0.0;
  return t;
}

Op make_op(OpKind kind, std::vector<int32_t> inputs, int32_t output, OpOptions options) {
  Op op;
  op.kind = kind;
  op.inputs = std::move(inputs);
  op.outputs = {output};
  op.options = std::move(options);
  return op;
}

Op reshape_op(Graph* g, int32_t x, int32_t out, const Shape& shape, const std::string& name) {
  const int32_t target = g->add_constant(name + "/shape", DType::kInt32, {static_cast<int32_t>(shape.size())},
                                         int32_bytes(shape));
  ReshapeOptions o;
  o.has_new_shape = true;
  o.new_shape = shape;
  return make_op(OpKind::kReshape, {x, target}, out, o);
}

struct DenseLayer {
  int32_t op_index, x, weights, bias, y;
  int32_t out, in;
  Activation activation;
  std::string name;
};

Result<DenseLayer> dense_layer(const Graph& g, int32_t op_index) {
  if (op_index < 0 || op_index >= static_cast<int32_t>(g.ops.size()))
    return invalid_argument("op index " + std::to_string(op_index) + " is not in the graph (" +
                            std::to_string(g.ops.size()) + " ops)");
  const Op& op = g.ops[static_cast<size_t>(op_index)];
  if (op.kind != OpKind::kFullyConnected)
    return invalid_argument(describe_op(g, op_index) + " is not a FULLY_CONNECTED layer");
  DenseLayer d{op_index, op.input(0), op.input(1), op.input(2), op.outputs[0], 0, 0,
               op.opts<FullyConnectedOptions>().activation, ""};
  if (!g.is_constant(d.weights) || g.tensors[static_cast<size_t>(d.weights)].dtype != DType::kFloat32)
    return invalid_argument(describe_op(g, op_index) + ": weights must be a float32 constant");
  const Shape& w = g.tensors[static_cast<size_t>(d.weights)].shape;
  if (w.size() != 2) return invalid_argument(describe_op(g, op_index) + ": weights must have rank 2");
  d.out = w[0];
  d.in = w[1];
  d.name = g.tensors[static_cast<size_t>(d.weights)].name;
  if (num_elements(g.tensors[static_cast<size_t>(d.x)].shape) != d.in)
    return invalid_argument(describe_op(g, op_index) + ": input " + describe_tensor(g, d.x) +
                            " is not a single row of " + std::to_string(d.in) + " features");
  if (d.bias >= 0 && (!g.is_constant(d.bias) || g.tensors[static_cast<size_t>(d.bias)].dtype != DType::kFloat32))
    return invalid_argument(describe_op(g, op_index) + ": bias must be a float32 constant");
  return d;
}

struct TrainShape {
  std::array<int32_t, 2> in, out;  // {M1, M2}, {N1, N2}
};

Result<TrainShape> train_shape(const DenseLayer& d, const FactorizeOptions& o, const Graph& g) {
  TrainShape s{o.in_factors, o.out_factors};
  if (s.in[0] == 0 && s.in[1] == 0) s.in = balanced_factors(d.in);
  if (s.out[0] == 0 && s.out[1] == 0) s.out = balanced_factors(d.out);
  if (static_cast<int64_t>(s.in[0]) * s.in[1] != d.in || s.in[0] < 1)
    return invalid_argument(describe_op(g, d.op_index) + ": input factors " + std::to_string(s.in[0]) + " x " +
                            std::to_string(s.in[1]) + " do not multiply to " + std::to_string(d.in) +
                            " (a prime size cannot be split)");
  if (static_cast<int64_t>(s.out[0]) * s.out[1] != d.out || s.out[0] < 1)
    return invalid_argument(describe_op(g, d.op_index) + ": output factors " + std::to_string(s.out[0]) + " x " +
                            std::to_string(s.out[1]) + " do not multiply to " + std::to_string(d.out) +
                            " (a prime size cannot be split)");
  return s;
}

int32_t max_rank(FactorMethod method, int32_t out, int32_t in, const TrainShape& s) {
  if (method == FactorMethod::kSvd) return std::min(out, in);
  return std::min(s.in[1] * s.out[1], s.in[0] * s.out[0]);
}

// The two-layer replacement of dense layer `d` (SVD).
std::vector<Op> svd_ops(Graph* g, const DenseLayer& d, int32_t rank, FactorizedLayer* report) {
  const Truncated t = truncated_svd(weight_matrix(*g, d.weights, d.out, d.in), rank);
  report->relative_error = t.relative_error;
  const int32_t first = g->add_constant(d.name + "/svd_a", DType::kFloat32, {rank, d.in}, bytes_of(t.right));
  const int32_t second = g->add_constant(d.name + "/svd_b", DType::kFloat32, {d.out, rank}, bytes_of(t.left));
  const int32_t mid = g->add_activation(d.name + "/svd_mid", DType::kFloat32, {1, rank});
  FullyConnectedOptions inner;
  FullyConnectedOptions outer = std::get<FullyConnectedOptions>(g->ops[static_cast<size_t>(d.op_index)].options);
  inner.keep_num_dims = false;
  return {make_op(OpKind::kFullyConnected, {d.x, first, -1}, mid, inner),
          make_op(OpKind::kFullyConnected, {mid, second, d.bias}, d.y, outer)};
}

// The tensor-train chain replacing dense layer `d` (see the header).
std::vector<Op> train_ops(Graph* g, const DenseLayer& d, int32_t rank, const TrainShape& s, FactorizedLayer* report) {
  const int32_t m1 = s.in[0], m2 = s.in[1], n1 = s.out[0], n2 = s.out[1], r = rank;
  // W[(n2, n1), (m1, m2)] rearranged as [(m2, n2), (m1, n1)].
  const torch::Tensor w = weight_matrix(*g, d.weights, d.out, d.in);
  const torch::Tensor m = w.reshape({n2, n1, m1, m2}).permute({3, 0, 2, 1}).reshape({m2 * n2, m1 * n1});
  const Truncated t = truncated_svd(m, r);
  report->relative_error = t.relative_error;
  const std::string& name = d.name;
  const int32_t core1 = g->add_constant(name + "/tt_core1", DType::kFloat32, {m2, n2 * r},
                                        bytes_of(t.left.reshape({m2, n2 * r})));
  const int32_t core2 = g->add_constant(name + "/tt_core2", DType::kFloat32, {r * m1, n1},
                                        bytes_of(t.right.reshape({r * m1, n1})));
  int32_t bias = d.bias;
  if (bias < 0)
    bias = g->add_constant(name + "/tt_bias", DType::kFloat32, {d.out},
                           std::vector<uint8_t>(static_cast<size_t>(d.out) * sizeof(float), 0));
  const int32_t t0 = g->add_activation(name + "/tt_in", DType::kFloat32, {1, m1, m2});
  const int32_t t1 = g->add_activation(name + "/tt_core1_out", DType::kFloat32, {1, m1, n2 * r});
  const int32_t t2 = g->add_activation(name + "/tt_transposed", DType::kFloat32, {1, n2 * r, m1});
  const int32_t t3 = g->add_activation(name + "/tt_regrouped", DType::kFloat32, {1, n2, r * m1});
  const int32_t t4 = g->add_activation(name + "/tt_core2_out", DType::kFloat32, {1, n2, n1});
  const Shape out_shape = g->tensors[static_cast<size_t>(d.y)].shape;
  const int32_t t5 = g->add_activation(name + "/tt_out", DType::kFloat32, out_shape);
  const int32_t perm = g->add_constant(name + "/tt_perm", DType::kInt32, {3}, int32_bytes({0, 2, 1}));
  AddOptions add;
  add.activation = d.activation;
  std::vector<Op> ops;
  ops.push_back(reshape_op(g, d.x, t0, {1, m1, m2}, name + "/tt_in"));
  ops.push_back(make_op(OpKind::kBatchMatMul, {t0, core1}, t1, BatchMatMulOptions{}));
  ops.push_back(make_op(OpKind::kTranspose, {t1, perm}, t2, NoOptions{}));
  ops.push_back(reshape_op(g, t2, t3, {1, n2, r * m1}, name + "/tt_regrouped"));
  ops.push_back(make_op(OpKind::kBatchMatMul, {t3, core2}, t4, BatchMatMulOptions{}));
  ops.push_back(reshape_op(g, t4, t5, out_shape, name + "/tt_out"));
  ops.push_back(make_op(OpKind::kAdd, {t5, bias}, d.y, add));
  return ops;
}

// Drops the tensors no op, model input/output or signature refers to (the
// replaced weights) and the buffers no remaining tensor uses, so the
// written file holds only the factors.
void remove_unreferenced_tensors(Graph* g) {
  std::vector<bool> used(g->tensors.size(), false);
  auto mark = [&](int32_t t) {
    if (t >= 0 && t < static_cast<int32_t>(used.size())) used[static_cast<size_t>(t)] = true;
  };
  for (const Op& op : g->ops) {
    for (int32_t t : op.inputs) mark(t);
    for (int32_t t : op.outputs) mark(t);
  }
  for (int32_t t : g->inputs) mark(t);
  for (int32_t t : g->outputs) mark(t);
  for (const SignatureDef& s : g->signatures) {
    for (const auto& [name, t] : s.inputs) mark(t);
    for (const auto& [name, t] : s.outputs) mark(t);
  }
  std::vector<int32_t> tensor_map(g->tensors.size(), -1);
  std::vector<Tensor> tensors;
  for (size_t t = 0; t < g->tensors.size(); ++t) {
    if (!used[t]) continue;
    tensor_map[t] = static_cast<int32_t>(tensors.size());
    tensors.push_back(std::move(g->tensors[t]));
  }
  std::vector<int32_t> buffer_map(g->buffers.size(), -1);
  std::vector<std::vector<uint8_t>> buffers;
  for (Tensor& t : tensors) {
    if (t.buffer < 0 || t.buffer >= static_cast<int32_t>(buffer_map.size())) continue;
    int32_t& mapped = buffer_map[static_cast<size_t>(t.buffer)];
    if (mapped < 0) {
      mapped = static_cast<int32_t>(buffers.size());
      buffers.push_back(std::move(g->buffers[static_cast<size_t>(t.buffer)]));
    }
    t.buffer = mapped;
  }
  auto remap = [&](int32_t& t) {
    if (t >= 0) t = tensor_map[static_cast<size_t>(t)];
  };
  for (Op& op : g->ops) {
    for (int32_t& t : op.inputs) remap(t);
    for (int32_t& t : op.outputs) remap(t);
  }
  for (int32_t& t : g->inputs) remap(t);
  for (int32_t& t : g->outputs) remap(t);
  for (SignatureDef& s : g->signatures) {
    for (auto& [name, t] : s.inputs) remap(t);
    for (auto& [name, t] : s.outputs) remap(t);
  }
  g->tensors = std::move(tensors);
  g->buffers = std::move(buffers);
}

}  // namespace

const char* factor_method_name(FactorMethod method) {
  return method == FactorMethod::kSvd ? "svd" : "tt";
}

std::array<int32_t, 2> balanced_factors(int32_t n) {
  for (int32_t a = static_cast<int32_t>(std::sqrt(static_cast<double>(std::max(n, 0)))); a >= 2; --a)
    if (n % a == 0) return {a, n / a};
  return {0, 0};
}

int64_t factorized_weight_count(FactorMethod method, int32_t out, int32_t in, int32_t rank,
                                std::array<int32_t, 2> in_factors, std::array<int32_t, 2> out_factors) {
  if (rank < 1) return -1;
  if (method == FactorMethod::kSvd)
    return rank <= std::min(out, in) ? static_cast<int64_t>(rank) * (static_cast<int64_t>(out) + in) : -1;
  if (in_factors[0] == 0 && in_factors[1] == 0) in_factors = balanced_factors(in);
  if (out_factors[0] == 0 && out_factors[1] == 0) out_factors = balanced_factors(out);
  if (static_cast<int64_t>(in_factors[0]) * in_factors[1] != in || in_factors[0] < 1) return -1;
  if (static_cast<int64_t>(out_factors[0]) * out_factors[1] != out || out_factors[0] < 1) return -1;
  const TrainShape s{in_factors, out_factors};
  if (rank > max_rank(method, out, in, s)) return -1;
  return static_cast<int64_t>(rank) * (static_cast<int64_t>(s.in[1]) * s.out[1] + static_cast<int64_t>(s.in[0]) * s.out[0]);
}

Result<std::vector<FactorizedLayer>> factorize_dense_layers(Graph* graph, const FactorizeOptions& options) {
  if (options.rank < 1) return invalid_argument("rank " + std::to_string(options.rank) + " must be >= 1");
  std::vector<int32_t> chosen = options.ops;
  const bool explicit_ops = !chosen.empty();
  if (!explicit_ops) {
    for (int32_t i = 0; i < static_cast<int32_t>(graph->ops.size()); ++i) {
      if (graph->ops[static_cast<size_t>(i)].kind != OpKind::kFullyConnected) continue;
      auto d = dense_layer(*graph, i);
      if (!d.ok()) continue;
      const int64_t after = factorized_weight_count(options.method, d->out, d->in, options.rank,
                                                    options.in_factors, options.out_factors);
      if (after >= 0 && after < static_cast<int64_t>(d->out) * d->in) chosen.push_back(i);
    }
    if (chosen.empty())
      return invalid_argument(std::string("no dense layer gets fewer parameters from a rank-") +
                              std::to_string(options.rank) + " " + factor_method_name(options.method) +
                              " factorization");
  }
  std::sort(chosen.begin(), chosen.end());
  chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());

  // Check every layer before changing anything, so an error leaves the
  // graph as it was.
  std::vector<DenseLayer> layers;
  std::vector<TrainShape> shapes;
  for (int32_t op_index : chosen) {
    QL_ASSIGN_OR_RETURN(const DenseLayer d, dense_layer(*graph, op_index));
    TrainShape s{{0, 0}, {0, 0}};
    if (options.method == FactorMethod::kTensorTrain) {
      QL_ASSIGN_OR_RETURN(s, train_shape(d, options, *graph));
    }
    const int32_t limit = max_rank(options.method, d.out, d.in, s);
    if (options.rank > limit)
      return invalid_argument(describe_op(*graph, op_index) + ": rank " + std::to_string(options.rank) +
                              " exceeds the maximum " + std::to_string(limit) + " of its " +
                              factor_method_name(options.method) + " factorization");
    layers.push_back(d);
    shapes.push_back(s);
  }

  torch::NoGradGuard no_grad;
  std::vector<FactorizedLayer> reports;
  std::vector<std::vector<Op>> replacements;
  for (size_t k = 0; k < layers.size(); ++k) {
    const DenseLayer& d = layers[k];
    FactorizedLayer report;
    report.op_index = d.op_index;
    report.name = d.name;
    report.in = d.in;
    report.out = d.out;
    report.rank = options.rank;
    report.weights_before = static_cast<int64_t>(d.out) * d.in;
    if (options.method == FactorMethod::kSvd) {
      replacements.push_back(svd_ops(graph, d, options.rank, &report));
    } else {
      report.in_factors = shapes[k].in;
      report.out_factors = shapes[k].out;
      replacements.push_back(train_ops(graph, d, options.rank, shapes[k], &report));
    }
    report.weights_after = factorized_weight_count(options.method, d.out, d.in, options.rank, shapes[k].in,
                                                   shapes[k].out);
    reports.push_back(report);
  }
  // Splice from the back so earlier op indices stay valid.
  for (size_t k = layers.size(); k-- > 0;) {
    const auto at = graph->ops.begin() + layers[k].op_index;
    graph->ops.erase(at);
    graph->ops.insert(graph->ops.begin() + layers[k].op_index, replacements[k].begin(), replacements[k].end());
  }
  remove_unreferenced_tensors(graph);
  QL_RETURN_IF_ERROR(validate(*graph));
  return reports;
}

}  // namespace quantlab::compress
