#include "quantlab/debug/fallback.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "quantlab/numerics/quantize_values.h"
#include "quantlab/tflite/writer.h"

namespace quantlab {
namespace {

bool has_weights(OpKind kind) {
  return kind == OpKind::kConv2D || kind == OpKind::kDepthwiseConv2D || kind == OpKind::kFullyConnected ||
         kind == OpKind::kBatchMatMul;
}

// The constant tensor behind input `slot` of op `op` (looking through a
// DEQUANTIZE of the weights), or -1 when that input is not constant.
int32_t constant_input(const Graph& g, const GraphIndex& index, const Op& op, size_t slot) {
  const int32_t t = op.input(slot);
  if (t < 0) return -1;
  const int32_t c = canonical_tensor(g, index, t);
  return g.is_constant(c) ? c : -1;
}

// The name selective quantization knows an op by: its first output's name.
std::string node_name(const Graph& g, const Op& op) {
  return op.outputs.empty() || op.outputs[0] < 0 ? std::string() : g.tensors[op.outputs[0]].name;
}

struct Candidate {
  std::string layer;
  std::vector<std::string> nodes;
};

// A model's score on the data: the held metric and its outputs' distance
// from the float model's.
struct Measurement {
  double metric = 0;
  double output_mse = 0;
  int64_t bytes = 0;
  Array scores;
};

class FallbackSearch {
 public:
  FallbackSearch(const Graph& f, const Graph& q, const FallbackOptions& options) : f_(f), q_(q), options_(options) {}

  Result<FallbackResult> run(const Dataset& given) {
    QL_ASSIGN_OR_RETURN(GraphMatch match, match_graphs(f_, q_));
    QL_ASSIGN_OR_RETURN(recipe_, infer_recipe(f_, q_, match));
    if (options_.ranges) {
      recipe_.ranges = *options_.ranges;
      recipe_.ranges_source = "the given calibration table";
    }
    result_.scheme = scheme_name(recipe_.scheme);
    result_.ranges_source = recipe_.ranges_source;
    result_.max_drop_points = options_.max_drop_points;
    const SelectiveOptions& initial = recipe_.scheme == Scheme::kDynamicRange ? recipe_.options.dynamic_range.selective
                                                                              : recipe_.options.full_integer.selective;
    result_.initially_float = initial.deny_nodes;
    build_candidates(match, initial.deny_nodes);
    if (candidates_.empty()) return invalid_argument("the quantized model has no quantized layer that could be kept float");

    QL_RETURN_IF_ERROR(prepare_data(given));
    QL_ASSIGN_OR_RETURN(Measurement float_m, measure(f_));
    float_scores_ = float_m.scores;
    result_.float_metric = float_m.metric;
    result_.float_bytes = float_m.bytes;
    QL_ASSIGN_OR_RETURN(Measurement given_m, measure(q_));
    result_.given_metric = given_m.metric;
    result_.given_bytes = given_m.bytes;

    std::vector<std::string> kept;
    QL_ASSIGN_OR_RETURN(Measurement current, measure_with(kept));
    result_.start_metric = current.metric;
    result_.start_bytes = current.bytes;
    result_.recreation_max_abs_diff = max_abs_difference(current.scores, given_m.scores);

    const int max_steps = options_.max_steps > 0 ? options_.max_steps : static_cast<int>(candidates_.size());
    for (int step = 0; step < max_steps && !within_limit(current.metric); ++step) {
      const Candidate* best = nullptr;
      Measurement best_m;
      int tried = 0;
      Status first_failure;
      for (const Candidate& c : candidates_) {
        std::vector<std::string> trial = with_nodes(kept, c.nodes);
        if (trial.size() == kept.size()) continue;  // already kept float
        auto m = measure_with(trial);
        if (!m.ok()) {
          // Some sets cannot be built (an int8 model output computed by a
          // float op); the others still compete.
          if (first_failure.ok()) first_failure = m.status().with_context("keeping layer '" + c.layer + "' float");
          continue;
        }
        ++tried;
        if (!best || better(*m, best_m)) {
          best = &c;
          best_m = std::move(m).value();
        }
      }
      if (!best && !first_failure.ok() && result_.steps.empty()) return first_failure;
      if (!best || !improves(best_m, current)) break;
      kept = with_nodes(kept, best->nodes);
      current = best_m;
      FallbackStep s;
      s.layer = best->layer;
      for (const std::string& n : best->nodes)
        if (std::find(result_.kept_float.begin(), result_.kept_float.end(), n) == result_.kept_float.end()) {
          s.added_nodes.push_back(n);
          result_.kept_float.push_back(n);
        }
      s.metric = current.metric;
      s.output_mse = current.output_mse;
      s.model_bytes = current.bytes;
      s.candidates_tried = tried;
      result_.steps.push_back(std::move(s));
    }
    QL_ASSIGN_OR_RETURN(Graph final_model, apply_recipe(f_, recipe_, kept));
    result_.final_metric = current.metric;
    result_.final_bytes = current.bytes;
    result_.reached = within_limit(current.metric);
    result_.model = std::move(final_model);
    return std::move(result_);
  }

 private:
  void build_candidates(const GraphMatch& match, const std::vector<std::string>& initially_float) {
    const GraphIndex qi(q_), fi(f_);
    auto already_float = [&](const std::string& n) {
      return std::find(initially_float.begin(), initially_float.end(), n) != initially_float.end();
    };
    const std::vector<int32_t> group = shared_parameter_groups(match);
    std::set<std::vector<std::string>> seen;
    auto add = [&](const std::string& layer, std::vector<std::string> nodes) {
      std::vector<std::string> key = nodes;
      std::sort(key.begin(), key.end());
      if (!nodes.empty() && seen.insert(key).second) candidates_.push_back({layer, std::move(nodes)});
    };
    for (const MatchedOp& mo : match.ops) {
      const Op& fop = f_.ops[mo.float_op];
      const Op& qop = q_.ops[mo.quant_op];
      const std::string node = node_name(f_, fop);
      if (node.empty() || already_float(node) || mo.outputs.empty()) continue;
      if (recipe_.scheme == Scheme::kDynamicRange) {
        const int32_t w = has_weights(qop.kind) ? constant_input(q_, qi, qop, 1) : -1;
        if (w >= 0 && is_integer(q_.tensors[w].dtype)) add(node, {node});
        continue;
      }
      if (!is_integer(q_.tensors[mo.outputs[0].quant_tensor].dtype)) continue;
      add(node, {node});
      // Every op writing or reading a tensor of the layer's parameter group:
      // then no tensor of the group is quantized, whatever its range.
      std::vector<std::string> whole = {node};
      auto take = [&](int32_t op_index) {
        const std::string n = node_name(f_, f_.ops[op_index]);
        if (!n.empty() && !already_float(n) && std::find(whole.begin(), whole.end(), n) == whole.end())
          whole.push_back(n);
      };
      const int32_t g = group[fop.outputs[0]];
      for (size_t t = 0; t < f_.tensors.size(); ++t) {
        if (group[t] != g) continue;
        if (fi.producer[t] >= 0 && !is_transparent_op(f_.ops[fi.producer[t]])) take(fi.producer[t]);
        for (int32_t reader : value_readers(f_, fi, static_cast<int32_t>(t))) take(reader);
      }
      if (whole.size() > 1) add(node, std::move(whole));
    }
  }

  // Float tensors grouped by shared quantization parameters: an op whose
  // quantized output has exactly its activation input's scale and zero
  // point (pooling, reshapes: "same as input" in the rule table) ties the
  // two, so a bad range on one is a bad range on all. Returns each float
  // tensor's group representative.
  std::vector<int32_t> shared_parameter_groups(const GraphMatch& match) const {
    std::vector<int32_t> parent(f_.tensors.size());
    for (size_t t = 0; t < parent.size(); ++t) parent[t] = static_cast<int32_t>(t);
    auto find = [&](int32_t t) {
      while (parent[t] != t) t = parent[t] = parent[parent[t]];
      return t;
    };
    const GraphIndex qi(q_);
    for (const MatchedOp& mo : match.ops) {
      const Op& qop = q_.ops[mo.quant_op];
      if (mo.outputs.empty() || qop.inputs.empty() || qop.input(0) < 0) continue;
      const Tensor& out = q_.tensors[mo.outputs[0].quant_tensor];
      const Tensor& in = q_.tensors[qop.inputs[0]];
      if (!is_integer(out.dtype) || !is_integer(in.dtype) || q_.is_constant(qop.inputs[0])) continue;
      if (!out.quant.has_scale() || in.quant.scale != out.quant.scale || in.quant.zero_point != out.quant.zero_point)
        continue;
      const int32_t float_in = match.float_twin[qop.inputs[0]];
      if (float_in < 0) continue;
      parent[find(float_in)] = find(mo.outputs[0].float_tensor);
    }
    std::vector<int32_t> group(parent.size());
    for (size_t t = 0; t < parent.size(); ++t) group[t] = find(static_cast<int32_t>(t));
    return group;
  }

  Status prepare_data(const Dataset& given) {
    data_ = given;
    if (given.y.num_elements() > 0 && !given.y.shape.empty()) {
      labels_derived_ = false;
      return Status::Ok();
    }
    // No labels: the float model's decisions are the labels, so the metric
    // measures agreement with the float model.
    QL_ASSIGN_OR_RETURN(Array scores, predict_scores(f_, given.x, options_.eval));
    const int64_t n = given.size();
    const int64_t width = n > 0 ? scores.num_elements() / n : 0;
    std::vector<int32_t> labels(static_cast<size_t>(n));
    const float* s = scores.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      if (width == 1) {
        labels[i] = s[i] >= options_.eval.threshold ? 1 : 0;
        continue;
      }
      int32_t best = 0;
      for (int64_t c = 1; c < width; ++c)
        if (s[i * width + c] > s[i * width + best]) best = static_cast<int32_t>(c);
      labels[i] = best;
    }
    data_.y = Array::from_vector<int32_t>({static_cast<int32_t>(n)}, labels);
    data_.label_names.clear();
    labels_derived_ = true;
    return Status::Ok();
  }

  Result<Measurement> measure(const Graph& model) {
    ++result_.evaluations;
    EvalOptions eval = options_.eval;
    if (labels_derived_ && eval.task == Task::kAuto) {
      // Labels taken from a multi-output float model may use fewer classes
      // than it has outputs; multiclass keeps the argmax decision.
      const Shape& out = model.tensors[model.outputs[0]].shape;
      eval.task = num_elements(out) > 1 ? Task::kMulticlass : Task::kBinary;
    }
    QL_ASSIGN_OR_RETURN(EvalResult r, evaluate(model, data_, eval));
    Measurement m;
    if (result_.metric.empty()) QL_RETURN_IF_ERROR(choose_metric(r));
    m.metric = r.metric(metric_name_);
    if (std::isnan(m.metric)) return invalid_argument("the evaluation reports no metric '" + metric_name_ + "'");
    m.scores = std::move(r.scores);
    if (float_scores_.num_elements() == m.scores.num_elements() && m.scores.num_elements() > 0) {
      const float* a = float_scores_.data<float>();
      const float* b = m.scores.data<float>();
      double sum = 0;
      for (int64_t i = 0; i < m.scores.num_elements(); ++i) sum += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      m.output_mse = sum / static_cast<double>(m.scores.num_elements());
    }
    QL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, write_tflite(model));
    m.bytes = static_cast<int64_t>(bytes.size());
    return m;
  }

  Status choose_metric(const EvalResult& r) {
    if (r.metrics.empty()) return invalid_argument("the evaluation reports no metrics");
    const Metric* chosen = &r.metrics[0];
    if (!options_.metric.empty()) {
      chosen = nullptr;
      std::string known;
      for (const Metric& m : r.metrics) {
        known += (known.empty() ? "" : ", ") + m.name;
        if (m.name == options_.metric) chosen = &m;
      }
      if (!chosen) return invalid_argument("unknown metric '" + options_.metric + "' for task " + task_name(r.task) +
                                           " (known: " + known + ")");
    }
    metric_name_ = chosen->name;
    result_.higher_is_better = chosen->higher_is_better;
    result_.metric = labels_derived_ && chosen == &r.metrics[0] ? "Top-1 agreement with float" : chosen->name;
    return Status::Ok();
  }

  Result<Measurement> measure_with(const std::vector<std::string>& nodes) {
    std::vector<std::string> key = nodes;
    std::sort(key.begin(), key.end());
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    QL_ASSIGN_OR_RETURN(Graph model, apply_recipe(f_, recipe_, nodes));
    QL_ASSIGN_OR_RETURN(Measurement m, measure(model));
    cache_[key] = m;
    return m;
  }

  static std::vector<std::string> with_nodes(std::vector<std::string> kept, const std::vector<std::string>& nodes) {
    for (const std::string& n : nodes)
      if (std::find(kept.begin(), kept.end(), n) == kept.end()) kept.push_back(n);
    return kept;
  }

  bool within_limit(double metric) const { return result_.drop_points(metric) <= options_.max_drop_points + 1e-9; }

  // Whether `a` is a better next step than `b` (see the header).
  bool better(const Measurement& a, const Measurement& b) const {
    const bool a_ok = within_limit(a.metric), b_ok = within_limit(b.metric);
    if (a_ok != b_ok) return a_ok;
    if (a_ok && a.bytes != b.bytes) return a.bytes < b.bytes;
    const double da = result_.drop_points(a.metric), db = result_.drop_points(b.metric);
    if (da != db) return da < db;
    if (a.output_mse != b.output_mse) return a.output_mse < b.output_mse;
    return a.bytes < b.bytes;
  }

  bool improves(const Measurement& next, const Measurement& current) const {
    const double dn = result_.drop_points(next.metric), dc = result_.drop_points(current.metric);
    return dn < dc || (dn == dc && next.output_mse < current.output_mse);
  }

  static double max_abs_difference(const Array& a, const Array& b) {
    if (a.num_elements() != b.num_elements() || !a.data<float>() || !b.data<float>())
      return std::numeric_limits<double>::quiet_NaN();
    double worst = 0;
    for (int64_t i = 0; i < a.num_elements(); ++i)
      worst = std::max(worst, std::fabs(double(a.data<float>()[i]) - b.data<float>()[i]));
    return worst;
  }

  const Graph& f_;
  const Graph& q_;
  const FallbackOptions& options_;
  QuantizationRecipe recipe_;
  std::vector<Candidate> candidates_;
  Dataset data_;
  bool labels_derived_ = false;
  std::string metric_name_;
  Array float_scores_;
  std::map<std::vector<std::string>, Measurement> cache_;
  FallbackResult result_;
};

}  // namespace

CalibrationTable recover_ranges(const Graph& float_graph, const Graph& quant_graph, const GraphMatch& match) {
  CalibrationTable table;
  table.method = "recovered";
  const std::vector<std::string> keys = calibration_keys(float_graph);
  const GraphIndex qi(quant_graph);
  for (size_t ft = 0; ft < float_graph.tensors.size(); ++ft) {
    const int32_t qt = match.quant_twin[ft];
    if (qt < 0 || float_graph.is_constant(static_cast<int32_t>(ft))) continue;
    for (int32_t r : value_representations(quant_graph, qi, qt)) {
      const Tensor& t = quant_graph.tensors[r];
      if ((t.dtype != DType::kInt8 && t.dtype != DType::kUInt8) || !t.quant.has_scale() || t.quant.per_axis()) continue;
      const auto [qmin, qmax] = quantized_range(t.dtype);
      const int32_t zp = t.quant.zero_point.empty() ? 0 : static_cast<int32_t>(t.quant.zero_point[0]);
      TensorRange range;
      range.min = dequantize_value(qmin, t.quant.scale[0], zp);
      range.max = dequantize_value(qmax, t.quant.scale[0], zp);
      range.observed_min = range.min;
      range.observed_max = range.max;
      table.ranges[keys[ft]] = range;
      break;
    }
  }
  return table;
}

Result<QuantizationRecipe> infer_recipe(const Graph& float_graph, const Graph& quant_graph, const GraphMatch& match) {
  QuantizationRecipe recipe;
  const GraphIndex qi(quant_graph);
  bool int8_activations = false, int8_weights = false, fc_per_channel = false, asymmetric = false;
  for (const MatchedOp& mo : match.ops) {
    const Op& qop = quant_graph.ops[mo.quant_op];
    for (const MatchedTensor& mt : mo.outputs)
      if (is_integer(quant_graph.tensors[mt.quant_tensor].dtype)) int8_activations = true;
    if (!has_weights(qop.kind)) continue;
    const int32_t w = constant_input(quant_graph, qi, qop, 1);
    if (w < 0 || !is_integer(quant_graph.tensors[w].dtype)) continue;
    int8_weights = true;
    if (qop.kind == OpKind::kFullyConnected) {
      fc_per_channel |= quant_graph.tensors[w].quant.per_axis();
      asymmetric |= qop.opts<FullyConnectedOptions>().asymmetric_quantize_inputs;
    }
    if (qop.kind == OpKind::kBatchMatMul) asymmetric |= qop.opts<BatchMatMulOptions>().asymmetric_quantize_inputs;
  }
  if (int8_activations) {
    if (quant_graph.inputs.empty()) return invalid_argument("the quantized model has no inputs");
    const DType in = quant_graph.tensors[quant_graph.inputs[0]].dtype;
    if (in == DType::kFloat32)
      recipe.scheme = Scheme::kFullIntegerFloatIo;
    else if (in == DType::kInt8)
      recipe.scheme = Scheme::kFullIntegerInt8Io;
    else if (in == DType::kUInt8)
      recipe.scheme = Scheme::kFullIntegerUInt8Io;
    else
      return unsupported(std::string("a full-integer model with ") + dtype_name(in) +
                         " inputs; the quantizer writes float32, int8 or uint8 boundaries");
    recipe.options.full_integer.fc_per_channel = fc_per_channel;
    for (const MatchedOp& mo : match.ops)
      if (!mo.outputs.empty() && !is_integer(quant_graph.tensors[mo.outputs[0].quant_tensor].dtype))
        recipe.options.full_integer.selective.deny_nodes.push_back(node_name(float_graph, float_graph.ops[mo.float_op]));
    recipe.ranges = recover_ranges(float_graph, quant_graph, match);
    recipe.ranges_source = "recovered from the quantized model's scales and zero points";
    return recipe;
  }
  if (!int8_weights)
    return invalid_argument("the quantized model has neither integer activations nor integer weights: nothing was quantized");
  recipe.scheme = Scheme::kDynamicRange;
  DynamicRangeOptions& drq = recipe.options.dynamic_range;
  // Every eligible weight the given model quantized is quantized again; the
  // ones it left float are kept float by name, whatever their size.
  drq.min_elements = 0;
  drq.fc_per_channel = fc_per_channel;
  drq.asymmetric_inputs = asymmetric;
  for (const MatchedOp& mo : match.ops) {
    const Op& qop = quant_graph.ops[mo.quant_op];
    if (!has_weights(qop.kind)) continue;
    const int32_t w = constant_input(quant_graph, qi, qop, 1);
    if (w >= 0 && !is_integer(quant_graph.tensors[w].dtype))
      drq.selective.deny_nodes.push_back(node_name(float_graph, float_graph.ops[mo.float_op]));
  }
  recipe.ranges_source = "not needed (dynamic range)";
  return recipe;
}

Result<Graph> apply_recipe(const Graph& float_graph, const QuantizationRecipe& recipe,
                           const std::vector<std::string>& extra_float_nodes) {
  ConversionOptions options = recipe.options;
  SelectiveOptions& selective = recipe.scheme == Scheme::kDynamicRange ? options.dynamic_range.selective
                                                                       : options.full_integer.selective;
  for (const std::string& n : extra_float_nodes)
    if (std::find(selective.deny_nodes.begin(), selective.deny_nodes.end(), n) == selective.deny_nodes.end())
      selective.deny_nodes.push_back(n);
  QL_ASSIGN_OR_RETURN(QuantizedGraph q, convert_model(float_graph, recipe.scheme, &recipe.ranges, options));
  return std::move(q.graph);
}

Result<FallbackResult> auto_fallback(const Graph& float_graph, const Graph& quant_graph, const Dataset& data,
                                     const FallbackOptions& options) {
  return FallbackSearch(float_graph, quant_graph, options).run(data);
}

}  // namespace quantlab
