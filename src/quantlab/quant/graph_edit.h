// Structural edits the quantization passes share: fresh tensor names,
// constants from typed vectors, zero biases, dropping what nothing reads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

// Hands out tensor names not yet used in a graph: `base`, else base_1, base_2...
class TensorNamer {
 public:
  explicit TensorNamer(const Graph& g);
  std::string fresh(const std::string& base);
  void claim(const std::string& name) { used_.insert(name); }

 private:
  std::unordered_set<std::string> used_;
};

// The little-endian bytes of a typed vector (the hosts quantlab supports are
// little-endian, as the file format is).
template <typename T>
std::vector<uint8_t> to_bytes(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// Output channels of a CONV_2D (filter dim 0), DEPTHWISE_CONV_2D (filter
// dim 3) or FULLY_CONNECTED (weights dim 0); an error naming the op when the
// weight shape does not say.
Result<int32_t> weighted_op_output_channels(const Graph& g, int32_t op_index);

// Whether `op` is CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED, the ops that
// every written model gives a bias.
bool takes_bias(OpKind kind);

// Gives every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED op whose bias is
// absent a float32 bias of zeros (runtimes differ on whether they accept a
// missing bias; all accept zeros). Only for ops whose output is float32; the
// full-integer pass makes its own int32 biases. Returns the ops changed.
Result<std::vector<int32_t>> add_zero_float_biases(Graph& g);

// Renames every tensor whose name an earlier tensor (lower index) already
// has to "<name>_<dtype>" (e.g. "dense/kernel_int8"), made unique. Passes
// give a quantized constant its float original's name; this settles the
// cases where both survive.
void make_tensor_names_unique(Graph& g);

// Reorders g.ops so every op follows the producers of its inputs (the order
// runtimes execute a file's ops in); a stable order where edges allow.
Status sort_ops_topologically(Graph& g);

// Drops tensors that no op, graph input/output or signature refers to, and
// buffers that no remaining tensor refers to, renumbering the rest in order.
void remove_unused_tensors(Graph& g);

}  // namespace quantlab
