// The boundary types of a full-integer model. quantize_full_integer builds
// the graph with float32 inputs and outputs (a QUANTIZE after each input, a
// DEQUANTIZE before each output); this pass changes those boundaries while
// the graph inside stays int8:
//  - kInt8: the boundary ops go; the model's inputs and outputs are the int8
//    tensors (renamed to the names the float boundaries had);
//  - kUInt8: each input becomes a UINT8 tensor with the int8 twin's scale
//    and zero point + 128, feeding the QUANTIZE (uint8 -> int8, an exact
//    shift by 128); each output DEQUANTIZE becomes a QUANTIZE int8 -> uint8
//    with the same scale and zero point + 128.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

enum class IoType : uint8_t { kFloat32, kInt8, kUInt8 };
const char* io_type_name(IoType type);

// `fiq_graph` must have the boundaries quantize_full_integer builds. Errors
// name the input or output that lacks them: a model input read only by float
// (denied) ops, or a model output computed by a float op, has no int8
// parameters to take over.
Result<Graph> set_io_type(const Graph& fiq_graph, IoType type);

}  // namespace quantlab
