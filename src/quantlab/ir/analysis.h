// Facts about a graph for reports and `quantlab inspect`: multiply-accumulate
// counts per op, parameter and constant-byte totals, an op histogram, and a
// readable rendering of each op's options. Pure functions of the graph.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "quantlab/core/dtype.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

// Multiply-accumulates of one inference at the graph's stored shapes:
//   CONV_2D            output elements x kh x kw x in_channels   (filter [out, kh, kw, in])
//   DEPTHWISE_CONV_2D  output elements x kh x kw                 (each output channel has its own kh x kw filter)
//   FULLY_CONNECTED    output elements x input depth             (weights [out, in])
//   BATCH_MATMUL       output elements x contracted dimension    (last dim of x, or the one before with adj_x)
// Every other op counts 0: element-wise ops, pooling, softmax and data
// movement do no multiply-accumulate against weights, and ops outside the op
// set (opaque) are not analysed. Bias additions are not counted. Missing or
// malformed shapes give 0 rather than an error: this is a report, not a check.
// Precondition: `op` belongs to `g` (its tensor indices index g.tensors or are -1).
int64_t op_macs(const Graph& g, const Op& op);

struct ModelSummary {
  int64_t parameter_count = 0;  // elements of all constant tensors (Graph::parameter_count)
  int64_t total_macs = 0;       // sum of op_macs over all ops
  int64_t constant_bytes = 0;   // bytes of constant data; a buffer shared by tensors counts once
  std::map<DType, int64_t> constant_bytes_by_dtype;  // same, split by the dtype of the first tensor using it
  std::map<std::string, int> op_histogram;           // op display name -> count, sorted by name
};

ModelSummary summarize(const Graph& g);

// The options that characterise an op, as (name, value) pairs in a fixed order:
// e.g. CONV_2D {padding SAME, stride 2x2, dilation 1x1, activation RELU6,
// filter 3x3 (read from the filter tensor)}. Ops without options give an
// empty list; opaque ops give their options type, custom code and raw fields.
std::vector<std::pair<std::string, std::string>> op_option_fields(const Graph& g, const Op& op);
// The same joined as "padding=SAME stride=2x2 ...".
std::string options_summary(const Graph& g, const Op& op);

}  // namespace quantlab
