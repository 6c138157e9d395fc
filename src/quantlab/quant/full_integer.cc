#include "quantlab/quant/full_integer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <utility>

#include "quantlab/numerics/choose_params.h"
#include "quantlab/quant/graph_edit.h"
#include "quantlab/quant/model_checks.h"
#include "quantlab/quant/op_rules.h"

namespace quantlab {
namespace {

enum class Domain : uint8_t { kFloat, kInt8 };

std::string describe_params(const AffineParams& p) {
  return fmt::format("scale {:.6g}, zero point {}", p.scale, p.zero_point);
}

// Builds the int8 graph op by op in topological order, so every op it emits
// (including inserted QUANTIZE/DEQUANTIZE) comes after its inputs' producers.
// Tensors of the float graph keep their indices in the output graph until
// the final clean-up; new tensors are appended.
class FullIntegerPass {
 public:
  FullIntegerPass(const Graph& src, const CalibrationTable& ranges, const FullIntegerOptions& options)
      : src_(src), ranges_(ranges), options_(options), out_(src), namer_(src), keys_(calibration_keys(src)) {}

  Result<QuantizedGraph> run() {
    QL_RETURN_IF_ERROR(check_quantizable_float_model(src_));
    QL_ASSIGN_OR_RETURN(denied_, denied_op_reasons(src_, options_.selective));
    QL_ASSIGN_OR_RETURN(std::vector<int32_t> order, topological_order(src_));
    home_.assign(src_.tensors.size(), Domain::kFloat);
    for (size_t oi = 0; oi < src_.ops.size(); ++oi)
      if (denied_[oi].empty())
        for (int32_t t : src_.ops[oi].outputs) home_[t] = Domain::kInt8;

    out_.ops.clear();
    for (int32_t oi : order) QL_RETURN_IF_ERROR(denied_[oi].empty() ? emit_int8_op(oi) : emit_float_op(oi));
    QL_RETURN_IF_ERROR(dequantize_model_outputs());
    std::vector<TensorDecision> input_decisions;
    for (int32_t t : src_.inputs)
      input_decisions.push_back(TensorDecision{src_.tensors[t].name, "model input", TensorRole::kInput, DType::kFloat32,
                                               num_elements(src_.tensors[t].shape), home_quantize_detail(t), ""});
    decisions_.insert(decisions_.begin(), input_decisions.begin(), input_decisions.end());
    remove_unused_tensors(out_);
    make_tensor_names_unique(out_);
    Status valid = validate(out_);
    if (!valid.ok()) return internal_error("full-integer quantization built an invalid graph: " + valid.message());
    return QuantizedGraph{std::move(out_), std::move(decisions_)};
  }

 private:
  // --- parameters -----------------------------------------------------------
  Result<AffineParams> calibrated_params(int32_t t) const {
    const TensorRange* r = ranges_.find(keys_[t]);
    if (!r)
      return not_found("no calibrated range for " + describe_tensor(src_, t) + " (key '" + keys_[t] +
                       "'); calibrate this model or load ranges that include it");
    return choose_activation_params(r->min, r->max, DType::kInt8);
  }

  std::string calibrated_detail(int32_t t, const AffineParams& p) const {
    const TensorRange* r = ranges_.find(keys_[t]);
    return describe_params(p) + fmt::format(" (calibrated range [{:.6g}, {:.6g}])", r->min, r->max);
  }

  std::string home_quantize_detail(int32_t t) const {
    auto it = converted_.find({t, Domain::kInt8});
    if (it == converted_.end()) return "float32, read only by float ops";
    return "float32, quantized inside by QUANTIZE to int8 " + describe_params(params_.at(it->second));
  }

  // --- tensors ----------------------------------------------------------------
  int32_t add_twin(int32_t t, const std::string& suffix, DType dtype, QuantParams quant) {
    Tensor twin;
    twin.name = namer_.fresh(src_.tensors[t].name + suffix);
    twin.dtype = dtype;
    twin.shape = src_.tensors[t].shape;
    twin.shape_signature = src_.tensors[t].shape_signature;
    twin.quant = std::move(quant);
    return out_.add_tensor(std::move(twin));
  }

  void emit(OpKind kind, int32_t input, int32_t output) {
    Op op;
    op.kind = kind;
    op.inputs = {input};
    op.outputs = {output};
    op.options = default_options(kind);
    out_.ops.push_back(std::move(op));
  }

  // Tensor t as the domain `d` needs it, converting once and reusing the copy.
  Result<int32_t> in_domain(int32_t t, Domain d) {
    if (home_[t] == d) return t;
    auto it = converted_.find({t, d});
    if (it != converted_.end()) return it->second;
    int32_t copy;
    if (d == Domain::kInt8) {
      QL_ASSIGN_OR_RETURN(AffineParams p, calibrated_params(t));
      copy = add_twin(t, "_int8", DType::kInt8, QuantParams::per_tensor(p.scale, p.zero_point));
      params_[copy] = p;
      emit(OpKind::kQuantize, t, copy);
    } else {
      copy = add_twin(t, "_float", DType::kFloat32, {});
      emit(OpKind::kDequantize, t, copy);
    }
    converted_[{t, d}] = copy;
    return copy;
  }

  // A requantized copy of int8 tensor `t` with parameters `p`.
  int32_t requantized(int32_t t, const AffineParams& p) {
    Tensor copy = out_.tensors[t];
    copy.name = namer_.fresh(copy.name + "_requantized");
    copy.buffer = -1;
    copy.quant = QuantParams::per_tensor(p.scale, p.zero_point);
    const int32_t n = out_.add_tensor(std::move(copy));
    params_[n] = p;
    emit(OpKind::kQuantize, t, n);
    return n;
  }

  // A new constant replacing float constant `t`; it keeps t's name (made
  // unique at the end if the float original survives).
  int32_t add_constant_like(int32_t t, DType dtype, Shape shape, std::vector<uint8_t> bytes, QuantParams quant) {
    return out_.add_constant(src_.tensors[t].name, dtype, std::move(shape), std::move(bytes), std::move(quant));
  }

  // --- inputs of an int8 op ---------------------------------------------------------
  Result<int32_t> activation_input(int32_t oi, int32_t t) {
    if (!src_.is_constant(t)) return in_domain(t, Domain::kInt8);
    const QuantizedConstant q =
        quantize_constant_asymmetric(src_.constant_data<float>(t), num_elements(src_.tensors[t].shape));
    const int32_t n = add_constant_like(t, DType::kInt8, src_.tensors[t].shape, to_bytes(q.values),
                                        QuantParams::per_tensor(q.params.scale, q.params.zero_point));
    params_[n] = q.params;
    decide(t, describe_op(src_, oi), TensorRole::kActivation, DType::kInt8,
           "constant operand, " + describe_params(q.params) + " from its own range", "");
    return n;
  }

  Result<int32_t> weight_input(int32_t oi, int32_t t, const OpQuantRule& rule, std::vector<float>& scales) {
    if (!src_.is_constant(t))
      return unsupported(describe_op(src_, oi) + ": weights " + describe_tensor(src_, t) +
                         " are not constant; full-integer quantization needs constant weights");
    const Tensor& w = src_.tensors[t];
    const int axis = weight_per_channel(rule, options_.fc_per_channel) ? rule.weight_channel_axis : -1;
    if (axis >= static_cast<int>(w.shape.size()))
      return invalid_argument(describe_op(src_, oi) + ": weights " + describe_tensor(src_, t) + " of shape " +
                              shape_to_string(w.shape) + " have no channel axis " + std::to_string(axis));
    SymmetricWeights q = quantize_weights_symmetric(src_.constant_data<float>(t), w.shape, axis);
    QuantParams qp;
    qp.scale = q.scales;
    qp.zero_point.assign(q.scales.size(), 0);
    qp.axis = std::max(axis, 0);
    scales = q.scales;
    const std::string detail =
        axis >= 0 ? fmt::format("int8 symmetric, per channel (axis {}, {} scales)", axis, q.scales.size())
                  : fmt::format("int8 symmetric, per tensor (scale {:.6g})", q.scales[0]);
    decide(t, describe_op(src_, oi), TensorRole::kWeight, DType::kInt8, detail, "");
    return add_constant_like(t, DType::kInt8, w.shape, to_bytes(q.values), std::move(qp));
  }

  Result<int32_t> bias_input(int32_t oi, int32_t t, float input_scale, const std::vector<float>& weight_scales) {
    QL_ASSIGN_OR_RETURN(int32_t channels, weighted_op_output_channels(src_, oi));
    std::vector<float> values(static_cast<size_t>(channels), 0.f);
    if (t >= 0) {
      if (!src_.is_constant(t))
        return unsupported(describe_op(src_, oi) + ": bias " + describe_tensor(src_, t) + " is not constant");
      if (num_elements(src_.tensors[t].shape) != channels)
        return invalid_argument(describe_op(src_, oi) + ": bias " + describe_tensor(src_, t) + " has " +
                                std::to_string(num_elements(src_.tensors[t].shape)) + " elements for " +
                                std::to_string(channels) + " output channels");
      const float* data = src_.constant_data<float>(t);
      values.assign(data, data + channels);
    }
    const QuantizedBias q = quantize_bias(values.data(), channels, input_scale, weight_scales);
    QuantParams qp;
    qp.scale = q.scales;
    qp.zero_point.assign(q.scales.size(), 0);
    const std::string detail = "int32, scale = input scale x weight scale";
    if (t >= 0) {
      decide(t, describe_op(src_, oi), TensorRole::kBias, DType::kInt32, detail, "");
      return add_constant_like(t, DType::kInt32, {channels}, to_bytes(q.values), std::move(qp));
    }
    const std::string name = namer_.fresh(src_.tensors[src_.ops[oi].outputs[0]].name + "_bias");
    decisions_.push_back(TensorDecision{name, describe_op(src_, oi), TensorRole::kBias, DType::kInt32, channels,
                                        detail + " (zeros: the op had no bias)", ""});
    return out_.add_constant(name, DType::kInt32, {channels}, to_bytes(q.values), std::move(qp));
  }

  // --- ops ---------------------------------------------------------------------
  Status emit_int8_op(int32_t oi) {
    const Op& op = src_.ops[oi];
    const OpQuantRule& rule = *find_op_rule(op.kind);
    Op q = op;
    std::vector<float> weight_scales;
    int bias_slot = -1;
    for (size_t i = 0; i < std::max(op.inputs.size(), rule.inputs.size()); ++i) {
      const int32_t t = op.input(i);
      InputRole role = rule.role(i);
      if (role == InputRole::kBias) bias_slot = static_cast<int>(i);
      if (t < 0) continue;
      if (role == InputRole::kWeightIfConstant)
        role = src_.is_constant(t) ? InputRole::kWeight : InputRole::kActivation;
      if (role == InputRole::kActivation) {
        QL_ASSIGN_OR_RETURN(q.inputs[i], activation_input(oi, t));
      } else if (role == InputRole::kWeight) {
        QL_ASSIGN_OR_RETURN(q.inputs[i], weight_input(oi, t, rule, weight_scales));
      }
    }
    for (int32_t out : op.outputs) {
      AffineParams p;
      std::string detail;
      switch (rule.output) {
        case OutputParams::kCalibrated:
        case OutputParams::kInputsMatchOutput: {
          QL_ASSIGN_OR_RETURN(p, calibrated_params(out));
          detail = calibrated_detail(out, p);
          break;
        }
        case OutputParams::kFixed:
          p = AffineParams{rule.fixed_scale, rule.fixed_zero_point};
          detail = describe_params(p) + " (fixed by " + op_kind_name(op.kind) + ")";
          break;
        case OutputParams::kSameAsInput:
          p = params_.at(q.inputs[0]);
          detail = describe_params(p) + " (same as its input)";
          break;
        case OutputParams::kNotQuantizable:
          return internal_error(describe_op(src_, oi) + " reached the int8 pass");
      }
      out_.tensors[out].dtype = DType::kInt8;
      out_.tensors[out].quant = QuantParams::per_tensor(p.scale, p.zero_point);
      params_[out] = p;
      decide(out, describe_op(src_, oi), TensorRole::kActivation, DType::kInt8, detail, "");
    }
    if (rule.output == OutputParams::kInputsMatchOutput) {
      const AffineParams& p = params_.at(op.outputs[0]);
      for (size_t i = 0; i < q.inputs.size(); ++i) {
        const AffineParams& in = params_.at(q.inputs[i]);
        if (in.scale != p.scale || in.zero_point != p.zero_point) q.inputs[i] = requantized(q.inputs[i], p);
      }
    }
    if (bias_slot >= 0) {
      q.inputs.resize(std::max(q.inputs.size(), static_cast<size_t>(bias_slot) + 1), -1);
      QL_ASSIGN_OR_RETURN(q.inputs[bias_slot],
                          bias_input(oi, op.input(bias_slot), params_.at(q.inputs[0]).scale, weight_scales));
    }
    out_.ops.push_back(std::move(q));
    return Status::Ok();
  }

  Status emit_float_op(int32_t oi) {
    const Op& op = src_.ops[oi];
    Op f = op;
    const std::string& why = denied_[oi];
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const int32_t t = op.inputs[i];
      if (t < 0) continue;
      if (src_.is_constant(t)) {
        const OpQuantRule& rule = *find_op_rule(op.kind);
        if (rule.role(i) != InputRole::kIndex)
          decide(t, describe_op(src_, oi), rule.role(i) == InputRole::kBias ? TensorRole::kBias : TensorRole::kWeight,
                 DType::kFloat32, "float32", why);
        continue;
      }
      QL_ASSIGN_OR_RETURN(f.inputs[i], in_domain(t, Domain::kFloat));
    }
    if (takes_bias(op.kind) && op.input(2) < 0) {
      QL_ASSIGN_OR_RETURN(int32_t channels, weighted_op_output_channels(src_, oi));
      const std::string name = namer_.fresh(src_.tensors[op.outputs[0]].name + "_bias");
      f.inputs.resize(3, -1);
      f.inputs[2] = out_.add_constant(name, DType::kFloat32, {channels},
                                      std::vector<uint8_t>(static_cast<size_t>(channels) * sizeof(float), 0));
    }
    for (int32_t out : op.outputs)
      decide(out, describe_op(src_, oi), TensorRole::kActivation, DType::kFloat32, "float32", why);
    out_.ops.push_back(std::move(f));
    return Status::Ok();
  }

  // Model outputs stay float: an int8 output gets a DEQUANTIZE whose result
  // takes over the output's name (and its place in signatures).
  Status dequantize_model_outputs() {
    for (size_t i = 0; i < out_.outputs.size(); ++i) {
      const int32_t t = src_.outputs[i];
      if (home_[t] == Domain::kFloat) continue;
      QL_ASSIGN_OR_RETURN(int32_t f, in_domain(t, Domain::kFloat));
      const std::string name = src_.tensors[t].name;
      out_.tensors[t].name = namer_.fresh(name + "_int8");
      out_.tensors[f].name = name;
      out_.outputs[i] = f;
      for (SignatureDef& s : out_.signatures)
        for (auto& entry : s.outputs)
          if (entry.second == t) entry.second = f;
      for (TensorDecision& d : decisions_)
        if (d.tensor == name && d.role == TensorRole::kActivation) d.role = TensorRole::kOutput;
    }
    return Status::Ok();
  }

  void decide(int32_t t, const std::string& op, TensorRole role, DType dtype, const std::string& detail,
              const std::string& why_float) {
    decisions_.push_back(
        TensorDecision{src_.tensors[t].name, op, role, dtype, num_elements(src_.tensors[t].shape), detail, why_float});
  }

  const Graph& src_;
  const CalibrationTable& ranges_;
  const FullIntegerOptions& options_;
  Graph out_;
  TensorNamer namer_;
  std::vector<std::string> keys_;
  std::vector<std::string> denied_;
  std::vector<Domain> home_;
  std::unordered_map<int32_t, AffineParams> params_;  // int8 tensors of out_
  std::map<std::pair<int32_t, Domain>, int32_t> converted_;
  std::vector<TensorDecision> decisions_;
};

}  // namespace

Result<QuantizedGraph> quantize_full_integer(const Graph& float_graph, const CalibrationTable& ranges,
                                             const FullIntegerOptions& options) {
  return FullIntegerPass(float_graph, ranges, options).run();
}

}  // namespace quantlab
