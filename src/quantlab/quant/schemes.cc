#include "quantlab/quant/schemes.h"

#include "quantlab/quant/graph_edit.h"
#include "quantlab/quant/model_checks.h"

namespace quantlab {
namespace {

Result<QuantizedGraph> rewrite_float(const Graph& float_graph) {
  QL_RETURN_IF_ERROR(check_quantizable_float_model(float_graph));
  QuantizedGraph result{float_graph, {}};
  QL_ASSIGN_OR_RETURN(std::vector<int32_t> biased, add_zero_float_biases(result.graph));
  for (int32_t oi : biased) {
    const Tensor& bias = result.graph.tensors[result.graph.ops[oi].inputs[2]];
    result.decisions.push_back(TensorDecision{
        bias.name, describe_op(float_graph, oi), TensorRole::kBias, DType::kFloat32, num_elements(bias.shape),
        "float32 zeros: the op had no bias", "the float scheme quantizes nothing"});
  }
  return result;
}

// After the boundaries changed, the input/output decisions name the new dtypes.
void update_io_decisions(QuantizedGraph& q) {
  for (TensorDecision& d : q.decisions) {
    if (d.role != TensorRole::kInput && d.role != TensorRole::kOutput) continue;
    const std::vector<int32_t>& io = d.role == TensorRole::kInput ? q.graph.inputs : q.graph.outputs;
    for (int32_t t : io) {
      if (q.graph.tensors[t].name != d.tensor) continue;
      d.dtype = q.graph.tensors[t].dtype;
      if (d.dtype != DType::kFloat32) d.detail = std::string(dtype_name(d.dtype)) + " model boundary";
    }
  }
}

}  // namespace

const std::vector<Scheme>& all_schemes() {
  static const std::vector<Scheme> schemes = {Scheme::kFloat, Scheme::kDynamicRange, Scheme::kFullIntegerFloatIo,
                                              Scheme::kFullIntegerInt8Io, Scheme::kFullIntegerUInt8Io};
  return schemes;
}

const char* scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::kFloat:
      return "float";
    case Scheme::kDynamicRange:
      return "drq";
    case Scheme::kFullIntegerFloatIo:
      return "fiq-f32";
    case Scheme::kFullIntegerInt8Io:
      return "fiq-int8";
    case Scheme::kFullIntegerUInt8Io:
      return "fiq-uint8";
  }
  return "float";
}

std::optional<Scheme> scheme_from_name(const std::string& name) {
  for (Scheme s : all_schemes())
    if (name == scheme_name(s)) return s;
  return std::nullopt;
}

bool scheme_needs_ranges(Scheme scheme) {
  return scheme == Scheme::kFullIntegerFloatIo || scheme == Scheme::kFullIntegerInt8Io ||
         scheme == Scheme::kFullIntegerUInt8Io;
}

Result<QuantizedGraph> convert_model(const Graph& float_graph, Scheme scheme, const CalibrationTable* ranges,
                                     const ConversionOptions& options) {
  switch (scheme) {
    case Scheme::kFloat:
      return rewrite_float(float_graph);
    case Scheme::kDynamicRange:
      return quantize_dynamic_range(float_graph, options.dynamic_range);
    case Scheme::kFullIntegerFloatIo:
    case Scheme::kFullIntegerInt8Io:
    case Scheme::kFullIntegerUInt8Io:
      break;
  }
  if (!ranges)
    return invalid_argument(std::string(scheme_name(scheme)) +
                            " needs calibrated ranges: give calibration data or a saved range table");
  QL_ASSIGN_OR_RETURN(QuantizedGraph q, quantize_full_integer(float_graph, *ranges, options.full_integer));
  const IoType io = scheme == Scheme::kFullIntegerInt8Io    ? IoType::kInt8
                    : scheme == Scheme::kFullIntegerUInt8Io ? IoType::kUInt8
                                                            : IoType::kFloat32;
  QL_ASSIGN_OR_RETURN(q.graph, set_io_type(q.graph, io));
  update_io_decisions(q);
  return q;
}

}  // namespace quantlab
