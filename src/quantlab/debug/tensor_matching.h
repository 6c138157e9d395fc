// Pairing the tensors of a float model with those of a quantized variant of
// it (full-integer with any I/O type, dynamic-range, selective, or derived
// from quantization-aware training), so that each layer's float output can be
// compared with its quantized twin.
//
// Op order is never used: quantized graphs insert QUANTIZE/DEQUANTIZE ops,
// writers reorder, and converters rename tensors. The match walks producer /
// consumer edges instead, starting from the model inputs (paired by
// position). QUANTIZE and DEQUANTIZE are "transparent": their output carries
// the same real value as their input in another representation, so a chain
// of them is looked through in both graphs. A float op then matches the
// quantized op of the same kind that reads the matched twins of all its
// activation inputs in the same input slots. Constant inputs are not compared
// (their dtype and names change with quantization) except that a constant
// slot must stay constant. Ambiguities (two identical branches) are settled
// by output tensor name, then by the quantized graph's op order. An op the
// edges cannot place (e.g. one with only constant inputs) is matched by its
// output tensor name when a core op of the same kind writes that name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

// True for QUANTIZE and DEQUANTIZE, which change only a value's representation.
bool is_transparent_op(const Op& op);

enum class MatchMethod : uint8_t {
  kStructure,  // through producer/consumer edges from the model inputs
  kName,       // by output tensor name, where the edges could not decide
};
const char* match_method_name(MatchMethod method);

struct MatchedTensor {
  int32_t float_tensor = -1;
  int32_t quant_tensor = -1;
};

struct MatchedOp {
  int32_t float_op = -1;
  int32_t quant_op = -1;
  std::vector<MatchedTensor> outputs;  // output k of the float op with output k of the quantized op
  MatchMethod method = MatchMethod::kStructure;
};

struct GraphMatch {
  // Model input i of each graph. `quant_tensor` is the representation the
  // quantized graph's ops actually read: for a float32 input followed by a
  // QUANTIZE this is the QUANTIZE's int8 output, for a uint8 input the int8
  // tensor after the shift; for an input read directly, the input itself.
  std::vector<MatchedTensor> inputs;
  // Model output i of each graph, each as the graph declares it.
  std::vector<MatchedTensor> outputs;
  // Matched ops in an execution order of the float graph (a topological
  // order: producers first), transparent float ops left out.
  std::vector<MatchedOp> ops;
  // Float ops (not transparent) with no counterpart, in the same order.
  std::vector<int32_t> unmatched_float_ops;
  // For each float tensor, the quantized tensor holding the same real value
  // (the canonical one: not produced by a transparent op), or -1.
  std::vector<int32_t> quant_twin;
  // For each quantized tensor, the float tensor it was matched to, looking
  // through transparent ops (so a QUANTIZE's output maps to the float
  // tensor its input came from), or -1.
  std::vector<int32_t> float_twin;
};

// Pairs `float_graph` and `quant_graph`. Errors: the graphs have different
// numbers of inputs, or a model input's element count differs between them.
// Ops that cannot be paired are listed, not errors: a report can still cover
// the rest.
Result<GraphMatch> match_graphs(const Graph& float_graph, const Graph& quant_graph);

// The tensor `t` after looking back through any chain of transparent ops
// that produced it.
int32_t canonical_tensor(const Graph& g, const GraphIndex& index, int32_t t);

// Ops that read the value of `t`, directly or through transparent ops
// (which are not themselves listed), in op order without repeats.
std::vector<int32_t> value_readers(const Graph& g, const GraphIndex& index, int32_t t);

// `t` and every tensor transparent ops derive from it, `t` first.
std::vector<int32_t> value_representations(const Graph& g, const GraphIndex& index, int32_t t);

}  // namespace quantlab
