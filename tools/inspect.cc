// `quantlab inspect`: what a .tflite model holds, as text or JSON.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantlab/core/file_io.h"
#include "quantlab/ir/analysis.h"
#include "quantlab/ir/graph.h"
#include "quantlab/tflite/builtin_names.h"
#include "quantlab/tflite/reader.h"
#include "subcommands.h"

namespace quantlab::cli {
namespace {

struct InspectArgs {
  std::string model;
  bool json = false;
};

// "1,234,567": counts in the text report are easier to compare with grouping.
std::string grouped(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string float_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

int64_t tensor_bytes(const Graph& g, int32_t t) {
  if (g.is_constant(t)) return static_cast<int64_t>(g.constant_bytes(t).size());
  int64_t n = 1;
  for (int32_t d : g.tensors[t].shape) n *= d < 0 ? 0 : d;
  return n * static_cast<int64_t>(dtype_size(g.tensors[t].dtype));
}

// Opaque ops record their options-union tag; show the table's name instead.
std::vector<std::pair<std::string, std::string>> display_options(const Graph& g, const Op& op) {
  auto fields = op_option_fields(g, op);
  if (op.kind == OpKind::kOpaque)
    for (auto& [name, value] : fields)
      if (name == "options_type") value = builtin_options_name(op.opts<OpaqueOptions>().options_type);
  return fields;
}

// "INT8[1, 96, 96, 1]", or "-" for an absent optional input.
std::string tensor_brief(const Graph& g, int32_t t) {
  if (t < 0) return "-";
  return std::string(dtype_name(g.tensors[t].dtype)) + shape_to_string(g.tensors[t].shape);
}

std::string quant_text(const QuantParams& q) {
  if (q.scale.empty()) return "";
  if (q.scale.size() == 1)
    return ", scale: " + float_text(q.scale[0]) + ", zero_point: " +
           (q.zero_point.empty() ? std::string("?") : std::to_string(q.zero_point[0]));
  // Per-channel lists can run to hundreds of values; the text shows a prefix
  // and the count (--json has them all).
  const size_t shown = std::min<size_t>(q.scale.size(), 4);
  std::string s = ", scale: [";
  for (size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + float_text(q.scale[i]);
  if (shown < q.scale.size()) s += ", ...";
  s += "] (" + std::to_string(q.scale.size()) + " values), zero_point: [";
  for (size_t i = 0; i < std::min(shown, q.zero_point.size()); ++i)
    s += (i ? ", " : "") + std::to_string(q.zero_point[i]);
  if (shown < q.zero_point.size()) s += ", ...";
  return s + "], quantized_dimension: " + std::to_string(q.axis);
}

std::string tensor_line(const Graph& g, int32_t t) {
  const Tensor& tensor = g.tensors[t];
  std::string s = "T#" + std::to_string(t) + "(" + tensor.name + ") shape:" + shape_to_string(tensor.shape) +
                  ", type:" + dtype_name(tensor.dtype);
  if (g.is_constant(t)) s += " RO";
  s += " " + std::to_string(tensor_bytes(g, t)) + " bytes";
  if (g.is_constant(t)) s += ", buffer: " + std::to_string(tensor.buffer);
  if (tensor.is_variable) s += ", variable";
  return s + quant_text(tensor.quant);
}

nlohmann::json tensor_json(const Graph& g, int32_t t) {
  const Tensor& tensor = g.tensors[t];
  nlohmann::json j;
  j["index"] = t;
  j["name"] = tensor.name;
  j["dtype"] = dtype_name(tensor.dtype);
  j["shape"] = tensor.shape;
  if (!tensor.shape_signature.empty()) j["shape_signature"] = tensor.shape_signature;
  j["constant"] = g.is_constant(t);
  j["bytes"] = tensor_bytes(g, t);
  if (g.is_constant(t)) j["buffer"] = tensor.buffer;
  if (tensor.is_variable) j["variable"] = true;
  if (!tensor.quant.scale.empty()) {
    j["scale"] = tensor.quant.scale;
    j["zero_point"] = tensor.quant.zero_point;
    j["quantized_dimension"] = tensor.quant.axis;
  }
  if (!tensor.quant.min.empty()) j["min"] = tensor.quant.min;
  if (!tensor.quant.max.empty()) j["max"] = tensor.quant.max;
  return j;
}

nlohmann::json io_json(const Graph& g, const std::vector<int32_t>& ids) {
  nlohmann::json list = nlohmann::json::array();
  for (int32_t t : ids) {
    if (t < 0) {
      list.push_back({{"tensor", -1}});
      continue;
    }
    list.push_back({{"tensor", t}, {"dtype", dtype_name(g.tensors[t].dtype)}, {"shape", g.tensors[t].shape}});
  }
  return list;
}

// The DTypes present, in DType order, for the grouped tensor listing.
std::vector<DType> dtypes_present(const Graph& g) {
  std::vector<DType> types;
  for (const Tensor& t : g.tensors)
    if (std::find(types.begin(), types.end(), t.dtype) == types.end()) types.push_back(t.dtype);
  std::sort(types.begin(), types.end());
  return types;
}

nlohmann::json report_json(const Graph& g, const std::string& path, size_t file_bytes,
                           const std::vector<int32_t>& order) {
  const ModelSummary summary = summarize(g);
  nlohmann::json j;
  j["model"] = path;
  j["file_bytes"] = file_bytes;
  j["description"] = g.description;
  j["schema_version"] = g.schema_version;
  j["subgraph_name"] = g.name;
  nlohmann::json s;
  s["tensors"] = g.tensors.size();
  s["ops"] = g.ops.size();
  s["parameters"] = summary.parameter_count;
  s["macs"] = summary.total_macs;
  s["constant_bytes"] = summary.constant_bytes;
  s["constant_bytes_by_dtype"] = nlohmann::json::object();
  for (const auto& [dtype, bytes] : summary.constant_bytes_by_dtype) s["constant_bytes_by_dtype"][dtype_name(dtype)] = bytes;
  s["op_histogram"] = summary.op_histogram;
  j["summary"] = s;
  j["inputs"] = io_json(g, g.inputs);
  j["outputs"] = io_json(g, g.outputs);
  j["layers"] = nlohmann::json::array();
  for (int32_t oi : order) {
    const Op& op = g.ops[oi];
    nlohmann::json layer;
    layer["index"] = oi;
    layer["op"] = op_name(op);
    layer["version"] = op.version;
    layer["inputs"] = io_json(g, op.inputs);
    layer["outputs"] = io_json(g, op.outputs);
    layer["options"] = nlohmann::json::object();
    for (const auto& [name, value] : display_options(g, op)) layer["options"][name] = value;
    layer["macs"] = op_macs(g, op);
    j["layers"].push_back(layer);
  }
  j["tensors"] = nlohmann::json::object();
  for (DType type : dtypes_present(g)) {
    nlohmann::json list = nlohmann::json::array();
    for (int32_t t = 0; t < static_cast<int32_t>(g.tensors.size()); ++t)
      if (g.tensors[t].dtype == type) list.push_back(tensor_json(g, t));
    j["tensors"][dtype_name(type)] = list;
  }
  j["metadata"] = nlohmann::json::array();
  for (const Metadata& m : g.metadata) j["metadata"].push_back({{"name", m.name}, {"bytes", m.data.size()}});
  j["signatures"] = nlohmann::json::array();
  for (const SignatureDef& sig : g.signatures) {
    nlohmann::json js{{"key", sig.key}, {"inputs", nlohmann::json::object()}, {"outputs", nlohmann::json::object()}};
    for (const auto& [name, t] : sig.inputs) js["inputs"][name] = t;
    for (const auto& [name, t] : sig.outputs) js["outputs"][name] = t;
    j["signatures"].push_back(js);
  }
  return j;
}

void print_text(const Graph& g, const std::string& path, size_t file_bytes, const std::vector<int32_t>& order) {
  const ModelSummary summary = summarize(g);
  std::printf("Model %s\n\nSummary\n", path.c_str());
  std::printf("  description      %s\n", g.description.empty() ? "(none)" : g.description.c_str());
  std::printf("  schema version   %u\n", g.schema_version);
  std::printf("  file size        %s bytes\n", grouped(static_cast<int64_t>(file_bytes)).c_str());
  if (!g.name.empty()) std::printf("  subgraph         %s\n", g.name.c_str());
  std::printf("  tensors          %zu\n", g.tensors.size());
  std::printf("  ops              %zu\n", g.ops.size());
  std::printf("  parameters       %s\n", grouped(summary.parameter_count).c_str());
  std::printf("  MACs             %s\n", grouped(summary.total_macs).c_str());
  std::printf("  constant bytes   %s", grouped(summary.constant_bytes).c_str());
  const char* sep = " (";
  for (const auto& [dtype, bytes] : summary.constant_bytes_by_dtype) {
    std::printf("%s%s %s", sep, dtype_name(dtype), grouped(bytes).c_str());
    sep = ", ";
  }
  std::printf("%s\n", summary.constant_bytes_by_dtype.empty() ? "" : ")");
  std::printf("  op histogram     ");
  sep = "";
  for (const auto& [name, count] : summary.op_histogram) {
    std::printf("%s%s x%d", sep, name.c_str(), count);
    sep = ", ";
  }
  std::printf("\n");
  for (int32_t t : g.inputs) std::printf("  input            %s\n", tensor_line(g, t).c_str());
  for (int32_t t : g.outputs) std::printf("  output           %s\n", tensor_line(g, t).c_str());
  for (const Metadata& m : g.metadata)
    std::printf("  metadata         %s (%zu bytes)\n", m.name.c_str(), m.data.size());
  for (const SignatureDef& s : g.signatures)
    std::printf("  signature        %s (%zu inputs, %zu outputs)\n", s.key.c_str(), s.inputs.size(), s.outputs.size());

  std::printf("\nLayers (%zu, execution order)\n", order.size());
  size_t name_width = 2;
  for (int32_t oi : order) name_width = std::max(name_width, op_name(g.ops[oi]).size());
  std::printf("  %4s  %-*s  %s\n", "#", static_cast<int>(name_width), "op", "inputs -> outputs | options | MACs");
  for (int32_t oi : order) {
    const Op& op = g.ops[oi];
    std::string io;
    for (size_t i = 0; i < op.inputs.size(); ++i) io += (i ? ", " : "") + tensor_brief(g, op.inputs[i]);
    io += " -> ";
    for (size_t i = 0; i < op.outputs.size(); ++i) io += (i ? ", " : "") + tensor_brief(g, op.outputs[i]);
    std::string options;
    for (const auto& [name, value] : display_options(g, op)) options += (options.empty() ? "" : " ") + name + "=" + value;
    std::printf("  %4d  %-*s  %s | %s | %s\n", oi, static_cast<int>(name_width), op_name(op).c_str(), io.c_str(),
                options.empty() ? "-" : options.c_str(), grouped(op_macs(g, op)).c_str());
  }

  std::printf("\nTensors (%zu, by type; RO = constant)\n", g.tensors.size());
  for (DType type : dtypes_present(g)) {
    int count = 0;
    for (const Tensor& t : g.tensors) count += t.dtype == type;
    std::printf("  %s (%d)\n", dtype_name(type), count);
    for (int32_t t = 0; t < static_cast<int32_t>(g.tensors.size()); ++t)
      if (g.tensors[t].dtype == type) std::printf("    %s\n", tensor_line(g, t).c_str());
  }
}

Status run_inspect(const InspectArgs& args) {
  QL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file(args.model));
  QL_ASSIGN_OR_RETURN(Graph graph, read_tflite(bytes.data(), bytes.size(), args.model));
  QL_ASSIGN_OR_RETURN(std::vector<int32_t> order, topological_order(graph));
  if (args.json) {
    std::printf("%s\n", report_json(graph, args.model, bytes.size(), order).dump(1).c_str());
  } else {
    print_text(graph, args.model, bytes.size(), order);
  }
  return Status::Ok();
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  auto* cmd = app.add_subcommand("inspect", "Summarize a .tflite model: size, layers, tensors");
  cmd->footer(
      "Sections of the report:\n"
      "  Summary  description and schema version stored in the file; file size; parameters (elements of\n"
      "           all constant tensors); MACs (multiply-accumulates of one inference: CONV_2D,\n"
      "           DEPTHWISE_CONV_2D, FULLY_CONNECTED and BATCH_MATMUL; other ops count 0); constant bytes\n"
      "           per element type (what quantization shrinks); how often each op appears; the model's\n"
      "           inputs and outputs with their quantization.\n"
      "  Layers   one row per op in execution order: its index in the file, name, input and output\n"
      "           types and shapes ('-' is an absent optional input such as a missing bias), the options\n"
      "           that change its result (padding, strides, fused activation, filter size, keep_num_dims,\n"
      "           adj_x/adj_y, ...), and its MACs.\n"
      "  Tensors  every tensor grouped by element type: T#index(name), shape, RO for constants (weights,\n"
      "           biases, shape operands) with their byte size and buffer, and scale / zero_point for\n"
      "           quantized tensors (real = scale * (q - zero_point); several scales mean per-channel\n"
      "           quantization along quantized_dimension).\n"
      "Ops outside quantlab's op set are listed with their TFLite names and raw options.\n"
      "--json prints the same content as one JSON object (all per-channel scales included).");
  cmd->add_option("model", args->model, "The .tflite model")->required();
  cmd->add_flag("--json", args->json, "Print the report as JSON instead of text");
  cmd->callback([args] {
    const Status s = run_inspect(*args);
    if (!s.ok()) fail("inspect", s);
  });
}

}  // namespace quantlab::cli
