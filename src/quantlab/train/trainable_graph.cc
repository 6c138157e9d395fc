#include "quantlab/train/trainable_graph.h"

namespace quantlab::train {

int add_missing_biases(Graph* graph) {
  int added = 0;
  for (Op& op : graph->ops) {
    if (op.kind != OpKind::kConv2D && op.kind != OpKind::kDepthwiseConv2D && op.kind != OpKind::kFullyConnected)
      continue;
    if (op.input(2) >= 0) continue;
    const Tensor& weights = graph->tensors[op.inputs[1]];
    // Output channels: dim 0 of CONV_2D (OHWI) and FULLY_CONNECTED ([out, in])
    // weights, dim 3 of DEPTHWISE_CONV_2D ([1, kh, kw, in * multiplier]).
    const int32_t channels = op.kind == OpKind::kDepthwiseConv2D ? weights.shape.back() : weights.shape.front();
    const std::string name = weights.name + "/bias";
    const int32_t bias = graph->add_constant(name, DType::kFloat32, {channels},
                                             std::vector<uint8_t>(static_cast<size_t>(channels) * sizeof(float), 0));
    op.inputs.resize(3, -1);
    op.inputs[2] = bias;
    ++added;
  }
  return added;
}

int64_t trainable_parameter_count(const Graph& graph) {
  std::vector<bool> counted(graph.tensors.size(), false);
  int64_t count = 0;
  for (const Op& op : graph.ops)
    for (int32_t t : op.inputs) {
      if (t < 0 || counted[t] || !graph.is_constant(t) || graph.tensors[t].dtype != DType::kFloat32) continue;
      counted[t] = true;
      count += num_elements(graph.tensors[t].shape);
    }
  return count;
}

const char* head_kind_name(HeadKind kind) {
  switch (kind) {
    case HeadKind::kSoftmax: return "softmax";
    case HeadKind::kSigmoid: return "sigmoid";
    case HeadKind::kNone: return "none";
  }
  return "none";
}

Result<OutputHead> find_output_head(const Graph& graph) {
  if (graph.outputs.size() != 1)
    return unsupported("training needs a model with exactly one output; this one has " +
                       std::to_string(graph.outputs.size()));
  OutputHead head;
  head.output_tensor = graph.outputs[0];
  head.logits_tensor = head.output_tensor;
  const Tensor& out = graph.tensors[head.output_tensor];
  if (out.dtype != DType::kFloat32)
    return unsupported("model output " + describe_tensor(graph, head.output_tensor) + " is " + dtype_name(out.dtype) +
                       "; training needs a float32 output");
  if (out.shape.empty())
    return unsupported("model output " + describe_tensor(graph, head.output_tensor) + " is a scalar");
  head.num_outputs = out.shape.back();
  GraphIndex index(graph);
  const int32_t producer = index.producer[head.output_tensor];
  if (producer < 0) return head;
  const Op& op = graph.ops[producer];
  if (op.kind == OpKind::kSoftmax) {
    head.kind = HeadKind::kSoftmax;
    head.softmax_beta = op.opts<SoftmaxOptions>().beta;
    head.logits_tensor = op.inputs[0];
  } else if (op.kind == OpKind::kLogistic) {
    head.kind = HeadKind::kSigmoid;
    head.logits_tensor = op.inputs[0];
  }
  return head;
}

}  // namespace quantlab::train
