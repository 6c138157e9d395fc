#include "quantlab/quant/summary.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

namespace quantlab {
namespace {

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

std::string plural(int count, const char* noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : (std::string(noun) == "bias" ? "es" : "s"));
}

// "2 weights, 4 activations", counting the decisions of each role.
std::string count_by_role(const std::map<TensorRole, int>& counts) {
  std::string out;
  for (const auto& [role, n] : counts) {
    if (!out.empty()) out += ", ";
    out += plural(n, tensor_role_name(role));
  }
  return out;
}

}  // namespace

std::string scheme_summary_line(const SchemeOutcome& outcome) {
  const std::string head = fmt::format("{:<10}", scheme_name(outcome.scheme));
  if (!outcome.status.ok()) return head + "FAILED, nothing written: " + outcome.status.message();
  std::string line = head + outcome.path + "  " + with_thousands(outcome.file_bytes) + " bytes";

  std::map<DType, std::map<TensorRole, int>> quantized;
  std::map<std::pair<TensorRole, std::string>, int> kept_float;
  std::string io;
  for (const TensorDecision& d : outcome.decisions) {
    if (d.role == TensorRole::kInput || d.role == TensorRole::kOutput) {
      io += fmt::format("{}{} {}", io.empty() ? "" : ", ", tensor_role_name(d.role), dtype_name(d.dtype));
      continue;
    }
    if (d.quantized() && d.dtype != DType::kFloat32)
      ++quantized[d.dtype][d.role];
    else if (!d.quantized())
      ++kept_float[{d.role, d.kept_float_because}];
  }
  for (const auto& [dtype, counts] : quantized)
    line += fmt::format(" | {}: {}", dtype_name(dtype), count_by_role(counts));
  if (!kept_float.empty()) {
    line += " | left float:";
    bool first = true;
    for (const auto& [key, n] : kept_float) {
      line += fmt::format("{} {} ({})", first ? "" : ",", plural(n, tensor_role_name(key.first)), key.second);
      first = false;
    }
  }
  if (quantized.empty() && kept_float.empty()) line += " | nothing quantized";
  if (!io.empty()) line += " | " + io;
  return line;
}

std::string quantize_summary_json(const QuantizeRunInfo& info, const std::vector<SchemeOutcome>& outcomes) {
  using nlohmann::ordered_json;
  ordered_json doc;
  doc["model"] = info.model_path;
  doc["model_bytes"] = info.model_bytes;
  doc["calibration"] = {{"source", info.calibration_source},
                        {"detail", info.calibration_detail},
                        {"method", info.calibration_method},
                        {"samples", info.calibration_samples}};
  std::vector<std::string> deny_ops;
  for (OpKind k : info.options.full_integer.selective.deny_ops) deny_ops.push_back(op_kind_name(k));
  doc["options"] = {{"fc_per_channel", info.options.full_integer.fc_per_channel},
                    {"drq_min_elements", info.options.dynamic_range.min_elements},
                    {"drq_asymmetric_inputs", info.options.dynamic_range.asymmetric_inputs},
                    {"deny_ops", deny_ops},
                    {"deny_nodes", info.options.full_integer.selective.deny_nodes}};
  ordered_json schemes = ordered_json::array();
  for (const SchemeOutcome& o : outcomes) {
    ordered_json s;
    s["scheme"] = scheme_name(o.scheme);
    s["ok"] = o.status.ok();
    if (!o.status.ok()) s["error"] = o.status.message();
    s["path"] = o.path;
    s["bytes"] = o.file_bytes;
    ordered_json tensors = ordered_json::array();
    for (const TensorDecision& d : o.decisions) {
      tensors.push_back({{"name", d.tensor},
                         {"op", d.op},
                         {"role", tensor_role_name(d.role)},
                         {"dtype", dtype_name(d.dtype)},
                         {"elements", d.elements},
                         {"quantized", d.quantized() && d.dtype != DType::kFloat32},
                         {"detail", d.detail},
                         {"kept_float_because", d.kept_float_because}});
    }
    s["tensors"] = std::move(tensors);
    schemes.push_back(std::move(s));
  }
  doc["schemes"] = std::move(schemes);
  return doc.dump(1) + "\n";
}

}  // namespace quantlab
