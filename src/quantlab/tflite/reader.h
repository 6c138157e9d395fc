// Reading TensorFlow Lite flatbuffers into the graph IR. This is an edge of
// the house: the data is untrusted, so it is verified as a flatbuffer before
// any field is read, every index is range-checked, and the finished graph
// passes validate(). Errors start with `source` and name the tensor or op
// index and the bad value; nothing here aborts on bad input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

// Parses `size` bytes at `data` (a whole .tflite file; any alignment).
// `source` names the data in error messages, usually the file path.
//
// Mapping: one subgraph only (more is kUnsupported); tensors keep name, dtype,
// shape, shape_signature, quantization and is_variable; a tensor is constant
// when its file buffer is not buffer 0 and holds bytes, and constant tensors
// sharing a file buffer share a Graph::buffers entry. Operators in ops.def get
// their typed options; every other builtin or custom operator becomes
// OpKind::kOpaque with its code, options tag, scalar option fields and custom
// option bytes preserved (see OpaqueOptions). The few options tables of such
// operators that hold vectors or strings cannot be carried that way and are
// refused (kUnsupported), as are sparse tensors, non-affine quantization,
// operator intermediates and the second (StableHLO) options union.
//
// A rank-1 tensor with one scale per element whose quantized_dimension lies
// outside its rank (some converters wrote this for biases) is read with
// axis 0, the only axis its scales can follow.
Result<Graph> read_tflite(const uint8_t* data, size_t size, const std::string& source);

// Reads and parses a .tflite file; errors name the path.
Result<Graph> read_tflite_file(const std::string& path);

}  // namespace quantlab
