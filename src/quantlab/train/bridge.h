// The IR <-> libtorch bridge: a float graph in the op set becomes a torch
// module that computes what the runtime computes, with every float constant
// (filters, biases, dense weights, constant operands) a trainable parameter;
// after training the values go back into the graph's constants.
//
// Layout: values keep the IR's NHWC layout and the graph's declared shapes,
// with one extra leading dimension for the samples of a batch: a tensor the
// graph declares as [1, 100, 6, 1] is [N, 1, 100, 6, 1] here. Convolutions
// and pools see their input as a channels-last view of NCHW (a permute, no
// copy) and are permuted back; parameters stay in the IR's layout (OHWI
// filters, [out, in] dense weights) and are permuted where an op uses them,
// so writing them back is a plain copy. TensorFlow's SAME padding, which may
// pad one more at the end than at the start, is applied explicitly.
//
// Extension points for the compression passes: BridgeHooks sees every
// weight just before an op uses it (pruning masks, fake quantization of
// weights) and every op output after its fused activation (fake
// quantization of activations). Structural rewrites (low-rank factors) are
// graph passes; the bridge is then rebuilt from the rewritten graph.
//
// This header includes torch/torch.h: include it only from train/ and
// compress/ sources.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab::train {

// A weight as one op reads it.
struct WeightSite {
  int32_t op_index;
  OpKind kind;
  int input_slot;   // position among the op's inputs (1 = filter, 2 = bias for CONV_2D)
  int32_t tensor;   // graph tensor index of the constant
};

// An activation: a model input (op_index = -1) or an op's output.
struct ActivationSite {
  int32_t op_index;
  OpKind kind;      // the producing op's kind (meaningless for a model input)
  int32_t tensor;
};

class BridgeHooks {
 public:
  virtual ~BridgeHooks() = default;
  // Returns the value the op uses in place of the parameter `w` (same
  // shape, IR layout). Must stay differentiable with respect to `w` for the
  // parameter to train.
  virtual torch::Tensor weight(const WeightSite& /*site*/, const torch::Tensor& w) { return w; }
  // Returns the value consumers see in place of `x` ([N, ...declared shape]).
  virtual torch::Tensor activation(const ActivationSite& /*site*/, const torch::Tensor& x) { return x; }
};

class GraphModule : public torch::nn::Module {
 public:
  // Builds the module from `graph` (copied). Checks that every op is in
  // the bridge's op set with supported options, every activation is
  // float32, and shape-like inputs (reshape targets, axes, permutations,
  // paddings) are int32/int64 constants; then runs one zero sample through
  // the module and checks every op's output against the graph's declared
  // shape. Errors name the op, tensor and value.
  static Result<std::shared_ptr<GraphModule>> create(const Graph& graph);
  ~GraphModule() override;

  const Graph& graph() const { return graph_; }

  // Runs the graph on a batch. inputs[i] is float32 [N, ...declared shape
  // of model input i]. Returns the values of `wanted` tensor indices (the
  // model outputs when empty), each [N, ...declared shape]. A failure
  // inside torch (a wrong input shape) comes back as an error naming the op.
  Result<std::vector<torch::Tensor>> forward(const std::vector<torch::Tensor>& inputs,
                                             const std::vector<int32_t>& wanted = {});

  // The trainable parameter holding float constant `tensor` (IR layout and
  // shape), or an undefined tensor when `tensor` is not one.
  torch::Tensor parameter_for(int32_t tensor) const;
  // Every parameter, keyed by graph tensor index.
  const std::map<int32_t, torch::Tensor>& weights() const { return weights_; }

  // Installs hooks (null restores the identity).
  void set_hooks(std::shared_ptr<BridgeHooks> hooks) { hooks_ = std::move(hooks); }

  // Copies every parameter's current value into the matching constant of
  // `graph`, which must have the structure the module was built from (same
  // tensor indices, shapes and float32 dtype). A buffer shared with another
  // tensor is not overwritten: the tensor gets a fresh buffer.
  Status write_weights(Graph* graph) const;
  // A copy of the module's graph holding the current parameter values.
  Result<Graph> trained_graph() const;

 private:
  struct OpPlan;
  GraphModule() = default;
  Status plan_op(int32_t op_index, OpPlan* plan);
  Status check_shapes();
  torch::Tensor weight(int32_t op_index, int slot);
  // A constant or activation operand with a leading batch dimension (1 for
  // constants) and `rank` sample dimensions (leading 1s added), so that
  // torch broadcasting matches TFLite's per-sample broadcasting.
  torch::Tensor operand(int32_t op_index, int slot, size_t rank, const std::vector<torch::Tensor>& values);
  torch::Tensor run_op(int32_t op_index, const std::vector<torch::Tensor>& values);

  Graph graph_;
  std::vector<int32_t> order_;
  std::vector<OpPlan> plans_;  // indexed by op index
  std::map<int32_t, torch::Tensor> weights_;
  std::shared_ptr<BridgeHooks> hooks_;
};

}  // namespace quantlab::train
