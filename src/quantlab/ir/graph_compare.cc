#include "quantlab/ir/graph_compare.h"

#include <cstdio>
#include <string>
#include <vector>

#include "quantlab/ir/analysis.h"

namespace quantlab {
namespace {

std::string text(float v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  return buf;
}
std::string text(int64_t v) { return std::to_string(v); }
std::string text(int32_t v) { return std::to_string(v); }
std::string text(const std::string& v) { return "'" + v + "'"; }

Status differs(const std::string& where, const std::string& what, const std::string& a, const std::string& b) {
  return invalid_argument(where + ": " + what + " differs: " + a + " vs " + b);
}

// Compares two lists element by element; names the first differing index, or
// the lengths when one is a prefix of the other.
template <typename T>
Status compare_lists(const std::string& where, const std::string& what, const std::vector<T>& a,
                     const std::vector<T>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (!(a[i] == b[i])) return differs(where, what + "[" + std::to_string(i) + "]", text(a[i]), text(b[i]));
  if (a.size() != b.size())
    return differs(where, what + " length", std::to_string(a.size()), std::to_string(b.size()));
  return Status::Ok();
}

Status compare_tensor(const Graph& ga, const Graph& gb, int32_t i) {
  const Tensor& a = ga.tensors[i];
  const Tensor& b = gb.tensors[i];
  const std::string where = describe_tensor(ga, i);
  if (a.name != b.name) return differs(where, "name", text(a.name), text(b.name));
  if (a.dtype != b.dtype) return differs(where, "dtype", dtype_name(a.dtype), dtype_name(b.dtype));
  if (a.shape != b.shape) return differs(where, "shape", shape_to_string(a.shape), shape_to_string(b.shape));
  if (a.shape_signature != b.shape_signature)
    return differs(where, "shape signature", shape_to_string(a.shape_signature), shape_to_string(b.shape_signature));
  if (a.is_variable != b.is_variable)
    return differs(where, "is_variable", std::to_string(a.is_variable), std::to_string(b.is_variable));
  QL_RETURN_IF_ERROR(compare_lists(where, "scale", a.quant.scale, b.quant.scale));
  QL_RETURN_IF_ERROR(compare_lists(where, "zero_point", a.quant.zero_point, b.quant.zero_point));
  if (a.quant.axis != b.quant.axis)
    return differs(where, "quantized dimension", text(a.quant.axis), text(b.quant.axis));
  QL_RETURN_IF_ERROR(compare_lists(where, "min", a.quant.min, b.quant.min));
  QL_RETURN_IF_ERROR(compare_lists(where, "max", a.quant.max, b.quant.max));
  const bool const_a = ga.is_constant(i), const_b = gb.is_constant(i);
  if (const_a != const_b)
    return differs(where, "constness", const_a ? "constant" : "not constant", const_b ? "constant" : "not constant");
  if (const_a) {
    const auto& bytes_a = ga.constant_bytes(i);
    const auto& bytes_b = gb.constant_bytes(i);
    if (bytes_a.size() != bytes_b.size())
      return differs(where, "constant byte count", std::to_string(bytes_a.size()), std::to_string(bytes_b.size()));
    for (size_t k = 0; k < bytes_a.size(); ++k)
      if (bytes_a[k] != bytes_b[k])
        return differs(where, "constant byte " + std::to_string(k), std::to_string(bytes_a[k]),
                       std::to_string(bytes_b[k]));
  }
  return Status::Ok();
}

Status compare_op(const Graph& ga, const Graph& gb, int32_t i) {
  const Op& a = ga.ops[i];
  const Op& b = gb.ops[i];
  const std::string where = describe_op(ga, i);
  if (a.kind != b.kind || op_name(a) != op_name(b)) return differs(where, "op", op_name(a), op_name(b));
  QL_RETURN_IF_ERROR(compare_lists(where, "input", a.inputs, b.inputs));
  QL_RETURN_IF_ERROR(compare_lists(where, "output", a.outputs, b.outputs));
  if (a.version != b.version) return differs(where, "version", text(a.version), text(b.version));
  if (!(a.options == b.options)) {
    const std::string sa = options_summary(ga, a), sb = options_summary(gb, b);
    if (sa != sb) return differs(where, "options", "{" + sa + "}", "{" + sb + "}");
    return invalid_argument(where + ": options differ (in custom option bytes or the options type)");
  }
  return Status::Ok();
}

}  // namespace

Status compare_graphs(const Graph& a, const Graph& b) {
  if (a.description != b.description) return differs("graph", "description", text(a.description), text(b.description));
  if (a.schema_version != b.schema_version)
    return differs("graph", "schema version", std::to_string(a.schema_version), std::to_string(b.schema_version));
  if (a.name != b.name) return differs("graph", "subgraph name", text(a.name), text(b.name));
  if (a.tensors.size() != b.tensors.size())
    return differs("graph", "tensor count", std::to_string(a.tensors.size()), std::to_string(b.tensors.size()));
  for (size_t i = 0; i < a.tensors.size(); ++i) QL_RETURN_IF_ERROR(compare_tensor(a, b, static_cast<int32_t>(i)));
  QL_RETURN_IF_ERROR(compare_lists("graph", "input", a.inputs, b.inputs));
  QL_RETURN_IF_ERROR(compare_lists("graph", "output", a.outputs, b.outputs));
  if (a.ops.size() != b.ops.size())
    return differs("graph", "op count", std::to_string(a.ops.size()), std::to_string(b.ops.size()));
  for (size_t i = 0; i < a.ops.size(); ++i) QL_RETURN_IF_ERROR(compare_op(a, b, static_cast<int32_t>(i)));
  if (a.metadata.size() != b.metadata.size())
    return differs("graph", "metadata count", std::to_string(a.metadata.size()), std::to_string(b.metadata.size()));
  for (size_t i = 0; i < a.metadata.size(); ++i) {
    const std::string where = "metadata " + std::to_string(i);
    if (a.metadata[i].name != b.metadata[i].name)
      return differs(where, "name", text(a.metadata[i].name), text(b.metadata[i].name));
    if (a.metadata[i].data != b.metadata[i].data)
      return invalid_argument(where + " '" + a.metadata[i].name + "': bytes differ (" +
                              std::to_string(a.metadata[i].data.size()) + " vs " +
                              std::to_string(b.metadata[i].data.size()) + " bytes)");
  }
  if (a.signatures.size() != b.signatures.size())
    return differs("graph", "signature count", std::to_string(a.signatures.size()),
                   std::to_string(b.signatures.size()));
  for (size_t i = 0; i < a.signatures.size(); ++i) {
    const SignatureDef& sa = a.signatures[i];
    const SignatureDef& sb = b.signatures[i];
    const std::string where = "signature " + std::to_string(i);
    if (sa.key != sb.key) return differs(where, "key", text(sa.key), text(sb.key));
    auto compare_maps = [&](const auto& ma, const auto& mb, const char* what) -> Status {
      if (ma.size() != mb.size())
        return differs(where, std::string(what) + " count", std::to_string(ma.size()), std::to_string(mb.size()));
      for (size_t k = 0; k < ma.size(); ++k)
        if (ma[k] != mb[k])
          return differs(where, std::string(what) + " " + std::to_string(k),
                         text(ma[k].first) + " -> tensor " + std::to_string(ma[k].second),
                         text(mb[k].first) + " -> tensor " + std::to_string(mb[k].second));
      return Status::Ok();
    };
    QL_RETURN_IF_ERROR(compare_maps(sa.inputs, sb.inputs, "input"));
    QL_RETURN_IF_ERROR(compare_maps(sa.outputs, sb.outputs, "output"));
  }
  return Status::Ok();
}

}  // namespace quantlab
