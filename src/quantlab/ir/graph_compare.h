// Structural equality of two graphs, reported as the first difference in
// words. Round-trip tests (file -> graph -> file -> graph) and passes that must
// preserve a graph use it.
#pragma once

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

// OK when `a` and `b` hold the same model: description, schema version and
// subgraph name; every tensor's name, dtype, shape, shape signature,
// is_variable, quantization (scale, zero point, axis, min, max) and constant
// bytes; graph inputs and outputs; every op's kind, tensors, version and
// options; metadata; signatures. Buffer numbering is not compared, only the
// bytes each tensor sees. Otherwise an error naming the first difference,
// e.g. "tensor 5 'x': scale[0] differs: 0.1 vs 0.2".
Status compare_graphs(const Graph& a, const Graph& b);

}  // namespace quantlab
