#include "quantlab/train/bridge.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

namespace quantlab::train {

namespace {

using Sizes = std::vector<int64_t>;

// Padding before and after one spatial axis under TensorFlow's SAME rule:
// the output keeps ceil(in / stride) positions, and when the total padding
// is odd the extra element goes at the end. (PyTorch's symmetric padding
// cannot express that, hence explicit padding.)
std::pair<int64_t, int64_t> same_padding(int64_t in, int64_t kernel, int64_t stride, int64_t dilation) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t span = (kernel - 1) * dilation + 1;
  const int64_t total = std::max<int64_t>((out - 1) * stride + span - in, 0);
  return {total / 2, total - total / 2};
}

bool is_shape_slot(OpKind kind, size_t slot) {
  switch (kind) {
    case OpKind::kReshape:
    case OpKind::kTranspose:
    case OpKind::kMean:
    case OpKind::kPad: return slot == 1;
    default: return false;
  }
}

Sizes with_batch(int64_t batch, const Shape& shape) {
  Sizes sizes{batch};
  sizes.insert(sizes.end(), shape.begin(), shape.end());
  return sizes;
}

torch::Tensor apply_activation(const torch::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::kNone: return x;
    case Activation::kRelu: return torch::relu(x);
    case Activation::kReluN1To1: return torch::clamp(x, -1.0, 1.0);
    case Activation::kRelu6: return torch::clamp(x, 0.0, 6.0);
    case Activation::kTanh: return torch::tanh(x);
    case Activation::kSignBit: break;  // refused by plan_op
  }
  return x;
}

}  // namespace

// What plan_op works out once per op so that forward only computes.
struct GraphModule::OpPlan {
  Activation activation = Activation::kNone;
  // Window ops (CONV_2D, DEPTHWISE_CONV_2D, pools), in torch::constant_pad_nd
  // order for an NCHW tensor: left, right, top, bottom.
  Sizes pads;
  bool symmetric = true;  // pads can be passed to conv2d itself
  int64_t groups = 1;
  // FULLY_CONNECTED: the input is read as [rows, features] per sample.
  int64_t rows = 0, features = 0;
  // TRANSPOSE permutation / MEAN axes (shifted past the batch dimension),
  // CONCATENATION axis, PAD amounts (constant_pad_nd order).
  Sizes dims;
  // AVERAGE_POOL_2D with SAME padding: in-bounds elements per window.
  torch::Tensor window_counts;
};

GraphModule::~GraphModule() = default;

Result<std::shared_ptr<GraphModule>> GraphModule::create(const Graph& graph) {
  QL_RETURN_IF_ERROR(validate(graph));
  std::shared_ptr<GraphModule> module(new GraphModule());
  module->graph_ = graph;
  const Graph& g = module->graph_;
  QL_ASSIGN_OR_RETURN(module->order_, topological_order(g));
  for (int32_t t : g.inputs)
    if (g.tensors[t].dtype != DType::kFloat32)
      return unsupported("model input " + describe_tensor(g, t) + " is " + dtype_name(g.tensors[t].dtype) +
                         "; the torch bridge runs float32 graphs");
  module->plans_.resize(g.ops.size());
  for (int32_t op_index : module->order_) QL_RETURN_IF_ERROR(module->plan_op(op_index, &module->plans_[op_index]));
  QL_RETURN_IF_ERROR(module->check_shapes());
  return module;
}

Status GraphModule::plan_op(int32_t op_index, OpPlan* plan) {
  const Graph& g = graph_;
  const Op& op = g.ops[op_index];
  auto error = [&](const std::string& message) { return unsupported(describe_op(g, op_index) + ": " + message); };
  if (op.kind == OpKind::kOpaque || op.kind == OpKind::kQuantize || op.kind == OpKind::kDequantize)
    return error("not in the torch bridge's op set (it trains float graphs)");

  // Inputs: float32 data (constants become parameters) or int constants in
  // shape-like positions.
  for (size_t slot = 0; slot < op.inputs.size(); ++slot) {
    const int32_t t = op.inputs[slot];
    if (t < 0) continue;
    const Tensor& tensor = g.tensors[t];
    if (is_shape_slot(op.kind, slot)) {
      if (!g.is_constant(t) || (tensor.dtype != DType::kInt32 && tensor.dtype != DType::kInt64))
        return error("input " + std::to_string(slot) + " " + describe_tensor(g, t) +
                     " must be an int32 or int64 constant");
      continue;
    }
    if (tensor.dtype != DType::kFloat32)
      return error("input " + std::to_string(slot) + " " + describe_tensor(g, t) + " is " + dtype_name(tensor.dtype) +
                   "; the torch bridge trains float32 graphs");
    if (g.is_constant(t) && !weights_.count(t)) {
      const Tensor& c = g.tensors[t];
      Sizes sizes(c.shape.begin(), c.shape.end());
      torch::Tensor value = torch::empty(sizes, torch::kFloat32);
      std::memcpy(value.data_ptr<float>(), g.constant_bytes(t).data(), g.constant_bytes(t).size());
      weights_[t] = register_parameter("t" + std::to_string(t), value);
    }
  }
  for (int32_t t : op.outputs)
    if (g.tensors[t].dtype != DType::kFloat32)
      return error("output " + describe_tensor(g, t) + " is " + dtype_name(g.tensors[t].dtype) +
                   "; the torch bridge trains float32 graphs");

  auto int_constant = [&](int32_t t) {
    std::vector<int64_t> values;
    const auto& bytes = g.constant_bytes(t);
    if (g.tensors[t].dtype == DType::kInt32) {
      for (size_t i = 0; i < bytes.size() / 4; ++i) values.push_back(g.constant_data<int32_t>(t)[i]);
    } else {
      for (size_t i = 0; i < bytes.size() / 8; ++i) values.push_back(g.constant_data<int64_t>(t)[i]);
    }
    return values;
  };
  auto require_rank4 = [&](int32_t t) -> Status {
    if (g.tensors[t].shape.size() != 4)
      return error(describe_tensor(g, t) + " has shape " + shape_to_string(g.tensors[t].shape) +
                   "; the op needs a rank-4 NHWC tensor");
    return Status::Ok();
  };
  auto check_activation = [&](Activation a) -> Status {
    if (a == Activation::kSignBit) return error("fused activation SIGN_BIT is not supported");
    plan->activation = a;
    return Status::Ok();
  };
  auto plan_window = [&](const Shape& in, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw,
                         Padding padding) {
    plan->pads = {0, 0, 0, 0};
    if (padding == Padding::kSame) {
      const auto [top, bottom] = same_padding(in[1], kh, sh, dh);
      const auto [left, right] = same_padding(in[2], kw, sw, dw);
      plan->pads = {left, right, top, bottom};
    }
    plan->symmetric = plan->pads[0] == plan->pads[1] && plan->pads[2] == plan->pads[3];
  };
  const int32_t in0 = op.input(0);
  const Shape& in_shape = g.tensors[in0].shape;

  switch (op.kind) {
    case OpKind::kConv2D:
    case OpKind::kDepthwiseConv2D: {
      QL_RETURN_IF_ERROR(require_rank4(in0));
      const int32_t filter = op.inputs[1];
      if (!g.is_constant(filter)) return error("filter " + describe_tensor(g, filter) + " must be a constant");
      const Shape& f = g.tensors[filter].shape;
      if (f.size() != 4) return error("filter " + describe_tensor(g, filter) + " must have rank 4");
      const int64_t channels = in_shape[3];
      int64_t out_channels;
      if (op.kind == OpKind::kConv2D) {
        const auto& o = op.opts<Conv2DOptions>();
        QL_RETURN_IF_ERROR(check_activation(o.activation));
        if (f[3] != channels)
          return error("filter " + shape_to_string(f) + " reads " + std::to_string(f[3]) + " channels but the input has " +
                       std::to_string(channels));
        plan_window(in_shape, f[1], f[2], o.stride_h, o.stride_w, o.dilation_h, o.dilation_w, o.padding);
        out_channels = f[0];
      } else {
        const auto& o = op.opts<DepthwiseConv2DOptions>();
        QL_RETURN_IF_ERROR(check_activation(o.activation));
        // The output channel c * multiplier + m reads input channel c, which
        // is torch's grouping with one group per input channel.
        if (f[0] != 1 || channels == 0 || f[3] % channels != 0)
          return error("filter " + shape_to_string(f) + " does not fit " + std::to_string(channels) +
                       " input channels");
        plan_window(in_shape, f[1], f[2], o.stride_h, o.stride_w, o.dilation_h, o.dilation_w, o.padding);
        plan->groups = channels;
        out_channels = f[3];
      }
      const int32_t bias = op.input(2);
      if (bias >= 0 && num_elements(g.tensors[bias].shape) != out_channels)
        return error("bias " + describe_tensor(g, bias) + " has " + std::to_string(num_elements(g.tensors[bias].shape)) +
                     " values for " + std::to_string(out_channels) + " output channels");
      return Status::Ok();
    }
    case OpKind::kMaxPool2D:
    case OpKind::kAveragePool2D: {
      QL_RETURN_IF_ERROR(require_rank4(in0));
      const auto& o = op.opts<Pool2DOptions>();
      QL_RETURN_IF_ERROR(check_activation(o.activation));
      if (o.filter_h < 1 || o.filter_w < 1 || o.stride_h < 1 || o.stride_w < 1)
        return error("pool window and strides must be >= 1");
      plan_window(in_shape, o.filter_h, o.filter_w, o.stride_h, o.stride_w, 1, 1, o.padding);
      if (op.kind == OpKind::kAveragePool2D && o.padding == Padding::kSame) {
        // TFLite averages over the in-bounds elements only; counting them
        // once with a padded window sum of ones gives the divisor.
        torch::NoGradGuard no_grad;
        torch::Tensor ones = torch::ones({1, 1, in_shape[1], in_shape[2]});
        ones = torch::constant_pad_nd(ones, plan->pads, 0.0);
        plan->window_counts = torch::avg_pool2d(ones, {o.filter_h, o.filter_w}, {o.stride_h, o.stride_w}) *
                              static_cast<double>(o.filter_h * o.filter_w);
      }
      return Status::Ok();
    }
    case OpKind::kFullyConnected: {
      const auto& o = op.opts<FullyConnectedOptions>();
      QL_RETURN_IF_ERROR(check_activation(o.activation));
      const int32_t weights = op.inputs[1];
      if (!g.is_constant(weights)) return error("weights " + describe_tensor(g, weights) + " must be a constant");
      const Shape& w = g.tensors[weights].shape;
      if (w.size() != 2) return error("weights " + describe_tensor(g, weights) + " must have rank 2");
      const int64_t elements = num_elements(in_shape);
      if (w[1] == 0 || elements % w[1] != 0)
        return error("input " + shape_to_string(in_shape) + " cannot be read as rows of " + std::to_string(w[1]) +
                     " features");
      plan->features = w[1];
      plan->rows = elements / w[1];
      const int32_t bias = op.input(2);
      if (bias >= 0 && num_elements(g.tensors[bias].shape) != w[0])
        return error("bias " + describe_tensor(g, bias) + " does not have " + std::to_string(w[0]) + " values");
      return Status::Ok();
    }
    case OpKind::kAdd: return check_activation(op.opts<AddOptions>().activation);
    case OpKind::kMul: return check_activation(op.opts<MulOptions>().activation);
    case OpKind::kConcatenation: {
      const auto& o = op.opts<ConcatenationOptions>();
      QL_RETURN_IF_ERROR(check_activation(o.activation));
      const int rank = static_cast<int>(g.tensors[op.outputs[0]].shape.size());
      const int axis = normalize_axis(o.axis, rank);
      if (axis < 0) return error("axis " + std::to_string(o.axis) + " is outside rank " + std::to_string(rank));
      for (int32_t t : op.inputs)
        if (static_cast<int>(g.tensors[t].shape.size()) != rank)
          return error("every input must have rank " + std::to_string(rank));
      plan->dims = {axis + 1};
      return Status::Ok();
    }
    case OpKind::kTranspose: {
      const std::vector<int64_t> perm = int_constant(op.inputs[1]);
      const size_t rank = in_shape.size();
      std::vector<bool> seen(rank, false);
      if (perm.size() != rank) return error("permutation has " + std::to_string(perm.size()) + " entries for rank " +
                                            std::to_string(rank));
      plan->dims = {0};
      for (int64_t p : perm) {
        if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p])
          return error("permutation entry " + std::to_string(p) + " is not a permutation of 0.." +
                       std::to_string(rank - 1));
        seen[p] = true;
        plan->dims.push_back(p + 1);
      }
      return Status::Ok();
    }
    case OpKind::kMean: {
      const int rank = static_cast<int>(in_shape.size());
      std::set<int64_t> axes;
      for (int64_t a : int_constant(op.inputs[1])) {
        const int axis = normalize_axis(static_cast<int>(a), rank);
        if (axis < 0) return error("axis " + std::to_string(a) + " is outside rank " + std::to_string(rank));
        axes.insert(axis + 1);
      }
      plan->dims.assign(axes.begin(), axes.end());
      return Status::Ok();
    }
    case OpKind::kPad: {
      const std::vector<int64_t> pads = int_constant(op.inputs[1]);
      const size_t rank = in_shape.size();
      if (pads.size() != 2 * rank)
        return error("paddings hold " + std::to_string(pads.size()) + " values for rank " + std::to_string(rank));
      for (int64_t p : pads)
        if (p < 0) return error("negative padding " + std::to_string(p));
      // constant_pad_nd lists the last dimension first.
      for (size_t d = rank; d-- > 0;) {
        plan->dims.push_back(pads[2 * d]);
        plan->dims.push_back(pads[2 * d + 1]);
      }
      return Status::Ok();
    }
    case OpKind::kBatchMatMul: {
      for (int slot = 0; slot < 2; ++slot)
        if (g.tensors[op.inputs[slot]].shape.size() < 2) return error("operands must have rank >= 2");
      return Status::Ok();
    }
    case OpKind::kSoftmax:
    case OpKind::kLogistic:
    case OpKind::kRelu:
    case OpKind::kRelu6:
    case OpKind::kReshape:
    case OpKind::kSqueeze: return Status::Ok();
    default: break;
  }
  return error("not in the torch bridge's op set");
}

torch::Tensor GraphModule::weight(int32_t op_index, int slot) {
  const Op& op = graph_.ops[op_index];
  const int32_t t = op.inputs[slot];
  const torch::Tensor& w = weights_.at(t);
  if (!hooks_) return w;
  return hooks_->weight(WeightSite{op_index, op.kind, slot, t}, w);
}

torch::Tensor GraphModule::operand(int32_t op_index, int slot, size_t rank, const std::vector<torch::Tensor>& values) {
  const int32_t t = graph_.ops[op_index].inputs[slot];
  const Shape& shape = graph_.tensors[t].shape;
  torch::Tensor value = graph_.is_constant(t) ? weight(op_index, slot) : values[t];
  Sizes sizes{graph_.is_constant(t) ? 1 : value.size(0)};
  sizes.insert(sizes.end(), rank - shape.size(), 1);
  sizes.insert(sizes.end(), shape.begin(), shape.end());
  return value.reshape(sizes);
}

torch::Tensor GraphModule::run_op(int32_t op_index, const std::vector<torch::Tensor>& values) {
  const Op& op = graph_.ops[op_index];
  const OpPlan& plan = plans_[op_index];
  const Shape& out_shape = graph_.tensors[op.outputs[0]].shape;
  const int32_t in0 = op.input(0);
  const torch::Tensor& x = values[in0];
  const int64_t batch = x.defined() ? x.size(0) : 1;
  auto to_nchw = [&](const torch::Tensor& v) {
    const Shape& s = graph_.tensors[in0].shape;
    return v.reshape({-1, s[1], s[2], s[3]}).permute({0, 3, 1, 2});
  };
  auto from_nchw = [&](const torch::Tensor& v) { return v.permute({0, 2, 3, 1}).reshape(with_batch(batch, out_shape)); };

  switch (op.kind) {
    case OpKind::kConv2D:
    case OpKind::kDepthwiseConv2D: {
      int64_t sh, sw, dh, dw;
      if (op.kind == OpKind::kConv2D) {
        const auto& o = op.opts<Conv2DOptions>();
        sh = o.stride_h, sw = o.stride_w, dh = o.dilation_h, dw = o.dilation_w;
      } else {
        const auto& o = op.opts<DepthwiseConv2DOptions>();
        sh = o.stride_h, sw = o.stride_w, dh = o.dilation_h, dw = o.dilation_w;
      }
      torch::Tensor input = to_nchw(x);
      Sizes padding{0, 0};
      if (plan.symmetric) {
        padding = {plan.pads[2], plan.pads[0]};
      } else {
        input = torch::constant_pad_nd(input, plan.pads, 0.0);
      }
      // OHWI -> OIHW; for depthwise [1, kh, kw, C * m] -> [C * m, 1, kh, kw].
      torch::Tensor filter = weight(op_index, 1);
      filter = op.kind == OpKind::kConv2D ? filter.permute({0, 3, 1, 2}) : filter.permute({3, 0, 1, 2});
      const torch::Tensor bias = op.input(2) >= 0 ? weight(op_index, 2).reshape({-1}) : torch::Tensor();
      torch::Tensor y = torch::conv2d(input, filter, bias, {sh, sw}, padding, {dh, dw}, plan.groups);
      return apply_activation(from_nchw(y), plan.activation);
    }
    case OpKind::kMaxPool2D:
    case OpKind::kAveragePool2D: {
      const auto& o = op.opts<Pool2DOptions>();
      torch::Tensor input = to_nchw(x);
      torch::Tensor y;
      if (op.kind == OpKind::kMaxPool2D) {
        // -inf padding never wins a max, so SAME windows see only real values.
        if (!(plan.pads[0] == 0 && plan.pads[1] == 0 && plan.pads[2] == 0 && plan.pads[3] == 0))
          input = torch::constant_pad_nd(input, plan.pads, -std::numeric_limits<double>::infinity());
        y = torch::max_pool2d(input, {o.filter_h, o.filter_w}, {o.stride_h, o.stride_w});
      } else if (plan.window_counts.defined()) {
        input = torch::constant_pad_nd(input, plan.pads, 0.0);
        const double area = static_cast<double>(o.filter_h * o.filter_w);
        y = torch::avg_pool2d(input, {o.filter_h, o.filter_w}, {o.stride_h, o.stride_w}) * area / plan.window_counts;
      } else {
        y = torch::avg_pool2d(input, {o.filter_h, o.filter_w}, {o.stride_h, o.stride_w});
      }
      return apply_activation(from_nchw(y), plan.activation);
    }
    case OpKind::kFullyConnected: {
      const torch::Tensor rows = x.reshape({batch, plan.rows, plan.features});
      const torch::Tensor bias = op.input(2) >= 0 ? weight(op_index, 2).reshape({-1}) : torch::Tensor();
      torch::Tensor y = torch::nn::functional::linear(rows, weight(op_index, 1), bias);
      return apply_activation(y.reshape(with_batch(batch, out_shape)), plan.activation);
    }
    case OpKind::kAdd:
    case OpKind::kMul: {
      const size_t rank = std::max(graph_.tensors[op.inputs[0]].shape.size(), graph_.tensors[op.inputs[1]].shape.size());
      const torch::Tensor a = operand(op_index, 0, rank, values);
      const torch::Tensor b = operand(op_index, 1, rank, values);
      return apply_activation(op.kind == OpKind::kAdd ? a + b : a * b, plan.activation);
    }
    case OpKind::kConcatenation: {
      const size_t rank = out_shape.size();
      std::vector<torch::Tensor> parts;
      int64_t n = 1;
      for (int32_t t : op.inputs)
        if (!graph_.is_constant(t)) n = values[t].size(0);
      for (size_t slot = 0; slot < op.inputs.size(); ++slot) {
        torch::Tensor part = operand(op_index, static_cast<int>(slot), rank, values);
        Sizes expanded = part.sizes().vec();
        expanded[0] = n;
        parts.push_back(part.expand(expanded));
      }
      return apply_activation(torch::cat(parts, plan.dims[0]), plan.activation);
    }
    case OpKind::kBatchMatMul: {
      const auto& o = op.opts<BatchMatMulOptions>();
      const size_t rank = std::max(graph_.tensors[op.inputs[0]].shape.size(), graph_.tensors[op.inputs[1]].shape.size());
      torch::Tensor a = operand(op_index, 0, rank, values);
      torch::Tensor b = operand(op_index, 1, rank, values);
      if (o.adj_x) a = a.transpose(-1, -2);
      if (o.adj_y) b = b.transpose(-1, -2);
      torch::Tensor y = torch::matmul(a, b);
      return y.reshape(with_batch(y.size(0), out_shape));
    }
    case OpKind::kTranspose: return x.permute(plan.dims);
    case OpKind::kMean: return torch::mean(x, plan.dims, true).reshape(with_batch(batch, out_shape));
    case OpKind::kPad: return torch::constant_pad_nd(x, plan.dims, 0.0);
    case OpKind::kReshape:
    case OpKind::kSqueeze: return x.reshape(with_batch(batch, out_shape));
    case OpKind::kSoftmax: return torch::softmax(x * static_cast<double>(op.opts<SoftmaxOptions>().beta), -1);
    case OpKind::kLogistic: return torch::sigmoid(x);
    case OpKind::kRelu: return torch::relu(x);
    case OpKind::kRelu6: return torch::clamp(x, 0.0, 6.0);
    default: break;
  }
  return torch::Tensor();  // unreachable: plan_op refused every other kind
}

Result<std::vector<torch::Tensor>> GraphModule::forward(const std::vector<torch::Tensor>& inputs,
                                                        const std::vector<int32_t>& wanted) {
  const Graph& g = graph_;
  if (inputs.size() != g.inputs.size())
    return invalid_argument("the model has " + std::to_string(g.inputs.size()) + " inputs but " +
                            std::to_string(inputs.size()) + " were given");
  std::vector<torch::Tensor> values(g.tensors.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int32_t t = g.inputs[i];
    const Shape& declared = g.tensors[t].shape;
    const torch::Tensor& in = inputs[i];
    const bool fits = in.defined() && in.scalar_type() == torch::kFloat32 &&
                      in.dim() == static_cast<int64_t>(declared.size()) + 1 &&
                      std::equal(declared.begin(), declared.end(), in.sizes().begin() + 1);
    if (!fits)
      return invalid_argument("model input " + describe_tensor(g, t) + " expects float32 [N, " +
                              shape_to_string(declared).substr(1) + (in.defined() ? ", got a tensor of sizes " +
                              std::string(c10::str(in.sizes())) : std::string(", got an undefined tensor")));
    values[t] = hooks_ ? hooks_->activation(ActivationSite{-1, OpKind::kOpaque, t}, in) : in;
  }
  int32_t current = -1;
  try {
    for (int32_t op_index : order_) {
      current = op_index;
      const Op& op = g.ops[op_index];
      torch::Tensor y = run_op(op_index, values);
      if (hooks_) y = hooks_->activation(ActivationSite{op_index, op.kind, op.outputs[0]}, y);
      values[op.outputs[0]] = std::move(y);
    }
  } catch (const c10::Error& e) {
    return internal_error(describe_op(g, current) + ": torch: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return internal_error(describe_op(g, current) + ": " + e.what());
  }
  std::vector<torch::Tensor> result;
  for (int32_t t : wanted.empty() ? g.outputs : wanted) {
    if (t < 0 || t >= static_cast<int32_t>(values.size()) || !values[t].defined())
      return invalid_argument("tensor " + std::to_string(t) + " is not computed by the model");
    result.push_back(values[t]);
  }
  return result;
}

Status GraphModule::check_shapes() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> inputs;
  for (int32_t t : graph_.inputs) inputs.push_back(torch::zeros(with_batch(1, graph_.tensors[t].shape)));
  std::vector<int32_t> every_output;
  for (int32_t op_index : order_) every_output.push_back(graph_.ops[op_index].outputs[0]);
  QL_ASSIGN_OR_RETURN(const std::vector<torch::Tensor> values, forward(inputs, every_output));
  for (size_t i = 0; i < values.size(); ++i) {
    const int32_t t = every_output[i];
    const Sizes want = with_batch(1, graph_.tensors[t].shape);
    if (values[i].sizes().vec() != want)
      return invalid_argument(describe_op(graph_, order_[i]) + " computes " + std::string(c10::str(values[i].sizes())) +
                              " for " + describe_tensor(graph_, t) + " but the graph declares " +
                              shape_to_string(graph_.tensors[t].shape) + " (batch dimension first)");
  }
  return Status::Ok();
}

torch::Tensor GraphModule::parameter_for(int32_t tensor) const {
  auto it = weights_.find(tensor);
  return it == weights_.end() ? torch::Tensor() : it->second;
}

Status GraphModule::write_weights(Graph* graph) const {
  std::vector<int> buffer_users(graph->buffers.size(), 0);
  for (const Tensor& t : graph->tensors)
    if (t.buffer >= 0 && t.buffer < static_cast<int32_t>(buffer_users.size())) ++buffer_users[t.buffer];
  for (const auto& [t, parameter] : weights_) {
    if (t >= static_cast<int32_t>(graph->tensors.size()) || !graph->is_constant(t) ||
        graph->tensors[t].dtype != DType::kFloat32 ||
        Sizes(graph->tensors[t].shape.begin(), graph->tensors[t].shape.end()) != parameter.sizes().vec())
      return invalid_argument("cannot write trained weights: " + describe_tensor(*graph, t) +
                              " is not the float32 constant of shape " + std::string(c10::str(parameter.sizes())) +
                              " the module was built with");
    const torch::Tensor values = parameter.detach().contiguous().to(torch::kCPU);
    std::vector<uint8_t> bytes(static_cast<size_t>(values.numel()) * sizeof(float));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data_ptr<float>(), bytes.size());
    const int32_t buffer = graph->tensors[t].buffer;
    if (buffer_users[buffer] == 1) {
      graph->buffers[buffer] = std::move(bytes);
    } else {
      --buffer_users[buffer];
      graph->set_constant(t, std::move(bytes));
      buffer_users.push_back(1);
    }
  }
  return Status::Ok();
}

Result<Graph> GraphModule::trained_graph() const {
  Graph g = graph_;
  QL_RETURN_IF_ERROR(write_weights(&g));
  return g;
}

}  // namespace quantlab::train
