// The five conversions of a float model: the model itself, dynamic-range
// quantization and full-integer quantization with float32, int8 or uint8
// boundaries. Each is a pure function of (model, ranges, options).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/quant/dynamic_range.h"
#include "quantlab/quant/full_integer.h"
#include "quantlab/quant/io_type.h"
#include "quantlab/quant/quantized_graph.h"

namespace quantlab {

enum class Scheme : uint8_t {
  kFloat,               // "float": the float model re-written (zero biases added where missing)
  kDynamicRange,        // "drq"
  kFullIntegerFloatIo,  // "fiq-f32"
  kFullIntegerInt8Io,   // "fiq-int8"
  kFullIntegerUInt8Io,  // "fiq-uint8"
};

// Every scheme, in the order reports list them.
const std::vector<Scheme>& all_schemes();
const char* scheme_name(Scheme scheme);
std::optional<Scheme> scheme_from_name(const std::string& name);
// Whether the scheme needs calibrated ranges (the full-integer ones).
bool scheme_needs_ranges(Scheme scheme);

struct ConversionOptions {
  FullIntegerOptions full_integer;
  DynamicRangeOptions dynamic_range;
};

// Converts `float_graph` with `scheme`. `ranges` may be null for schemes
// that do not need them; a full-integer scheme without ranges is an error.
// Decisions of the model's inputs and outputs name their final dtype.
Result<QuantizedGraph> convert_model(const Graph& float_graph, Scheme scheme, const CalibrationTable* ranges,
                                     const ConversionOptions& options);

}  // namespace quantlab
