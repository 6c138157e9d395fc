// Test support (header only, used by kernel tests): builds a graph holding
// one op, its inputs (activations with data, or constants) and one output,
// and runs it with run_single_op.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "quantlab/kernels/op_test_runner.h"

namespace quantlab {
namespace testing {

class SingleOpGraph {
 public:
  // A non-constant input carrying `values` for the run.
  template <typename T>
  int32_t input(DType dtype, Shape shape, const std::vector<T>& values, QuantParams quant = {}) {
    const int32_t t = graph_.add_activation(next_name(), dtype, std::move(shape), std::move(quant));
    activations_[t] = to_bytes(values);
    return t;
  }

  template <typename T>
  int32_t constant(DType dtype, Shape shape, const std::vector<T>& values, QuantParams quant = {}) {
    return graph_.add_constant(next_name(), dtype, std::move(shape), to_bytes(values), std::move(quant));
  }

  // The output; its shape is left empty for prepare to fill in.
  int32_t output(DType dtype, QuantParams quant = {}) {
    output_ = graph_.add_activation(next_name(), dtype, {}, std::move(quant));
    return output_;
  }

  void op(OpKind kind, std::vector<int32_t> inputs, OpOptions options = NoOptions{}) {
    graph_.ops.push_back(Op{kind, std::move(inputs), {output_}, std::move(options)});
  }

  SingleOpRun run(KernelOptions options = {}) const { return run_single_op(graph_, activations_, options); }

  Graph& graph() { return graph_; }

 private:
  std::string next_name() { return "t" + std::to_string(graph_.tensors.size()); }

  Graph graph_;
  std::map<int32_t, std::vector<uint8_t>> activations_;
  int32_t output_ = -1;
};

}  // namespace testing
}  // namespace quantlab
