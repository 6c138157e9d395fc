// The in-memory graph every stage of quantlab reads and writes.
//
// Layout convention (written once, here): activations are NHWC; CONV_2D
// filters are OHWI [out, kh, kw, in]; DEPTHWISE_CONV_2D filters are
// [1, kh, kw, in * multiplier]; FULLY_CONNECTED weights are [out, in].
// Conversions to other layouts happen only at the edges (the torch bridge).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "quantlab/core/dtype.h"
#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"
#include "quantlab/ir/op_kind.h"
#include "quantlab/ir/op_options.h"

namespace quantlab {

// Affine quantization: real = scale * (q - zero_point). Per-tensor when one
// scale is given; per-axis along `axis` when there is one scale per index of
// that dimension. `min`/`max` are optional recorded float ranges.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int32_t axis = 0;
  std::vector<float> min, max;

  bool has_scale() const { return !scale.empty(); }
  bool per_axis() const { return scale.size() > 1; }
  bool operator==(const QuantParams& o) const {
    return scale == o.scale && zero_point == o.zero_point && axis == o.axis && min == o.min && max == o.max;
  }
  bool operator!=(const QuantParams& o) const { return !(*this == o); }

  static QuantParams per_tensor(float s, int64_t zp) {
    QuantParams q;
    q.scale = {s};
    q.zero_point = {zp};
    return q;
  }
};

struct Tensor {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  Shape shape_signature;  // optional; -1 marks a dynamic dimension
  QuantParams quant;
  int32_t buffer = -1;    // index into Graph::buffers; -1 when not constant
  bool is_variable = false;
};

struct Op {
  OpKind kind = OpKind::kOpaque;
  std::vector<int32_t> inputs;   // tensor indices; -1 marks an absent optional input
  std::vector<int32_t> outputs;
  OpOptions options = NoOptions{};
  int32_t version = 1;           // operator-code version, kept for round trips

  template <typename T>
  const T& opts() const { return std::get<T>(options); }
  template <typename T>
  T& opts() { return std::get<T>(options); }
  // Input i, or -1 when absent or beyond the op's inputs.
  int32_t input(size_t i) const { return i < inputs.size() ? inputs[i] : -1; }
};

struct Metadata {
  std::string name;
  std::vector<uint8_t> data;
};

struct SignatureDef {
  std::string key;
  std::vector<std::pair<std::string, int32_t>> inputs, outputs;  // (name, tensor index)
};

struct Graph {
  std::string name;          // subgraph name
  std::string description;   // model description
  uint32_t schema_version = 3;
  std::vector<Tensor> tensors;
  std::vector<Op> ops;
  std::vector<int32_t> inputs, outputs;
  std::vector<std::vector<uint8_t>> buffers;  // constant data, referenced by Tensor::buffer
  std::vector<Metadata> metadata;
  std::vector<SignatureDef> signatures;

  bool is_constant(int32_t t) const { return t >= 0 && tensors[t].buffer >= 0; }
  // Constant bytes of tensor t; empty when t is not constant.
  const std::vector<uint8_t>& constant_bytes(int32_t t) const;
  template <typename T>
  const T* constant_data(int32_t t) const {
    return reinterpret_cast<const T*>(constant_bytes(t).data());
  }

  int32_t add_tensor(Tensor t);
  // Adds a non-constant tensor (an activation, input or output).
  int32_t add_activation(std::string name, DType dtype, Shape shape, QuantParams quant = {});
  int32_t add_buffer(std::vector<uint8_t> bytes);
  // Adds a constant tensor owning `bytes` (size must equal shape x dtype size).
  int32_t add_constant(std::string name, DType dtype, Shape shape, std::vector<uint8_t> bytes,
                       QuantParams quant = {});
  // Replaces tensor t's constant data with new bytes in a fresh buffer, so
  // that other tensors sharing the old buffer are unaffected.
  void set_constant(int32_t t, std::vector<uint8_t> bytes);

  // Sum of elements of all constant tensors (the model's parameter count).
  int64_t parameter_count() const;
};

// Producer/consumer lookups over a graph's edges. Built once, invalidated by
// any structural change to the graph.
struct GraphIndex {
  std::vector<int32_t> producer;               // tensor -> op index, -1 if none
  std::vector<std::vector<int32_t>> consumers;  // tensor -> op indices that read it

  explicit GraphIndex(const Graph& g);
};

// Op indices ordered so every op comes after the producers of its inputs;
// ties keep the stored order. An error names a tensor on a cycle.
Result<std::vector<int32_t>> topological_order(const Graph& g);

// Structural validation of a graph: index ranges, arity, options types,
// constant sizes, quantization parameters, single producers, acyclicity.
// Errors name the op/tensor index, its name and the bad value.
Status validate(const Graph& g);

// "tensor 5 'conv/Relu'" for error messages.
std::string describe_tensor(const Graph& g, int32_t t);
// The op's display name: the kind's name, or an opaque op's own name.
std::string op_name(const Op& op);
// "op 3 (CONV_2D)" for error messages.
std::string describe_op(const Graph& g, int32_t op_index);

}  // namespace quantlab
