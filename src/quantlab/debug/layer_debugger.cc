#include "quantlab/debug/layer_debugger.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include "quantlab/numerics/quantize_values.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/runtime/model_io.h"

namespace quantlab {
namespace {

template <typename T>
void dequantize_typed(const T* q, int64_t n, const QuantParams& quant, const Shape& shape, float* out) {
  if (quant.scale.empty()) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(q[i]);
    return;
  }
  if (!quant.per_axis()) {
    const float scale = quant.scale[0];
    const int32_t zero_point = quant.zero_point.empty() ? 0 : static_cast<int32_t>(quant.zero_point[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = dequantize_value(static_cast<int32_t>(q[i]), scale, zero_point);
    return;
  }
  // Per-axis: element i belongs to channel (i / inner) % channels, where
  // inner is the product of the dimensions after the axis (C order).
  const int axis = quant.axis;
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t channels = axis < static_cast<int>(shape.size()) ? shape[axis] : 1;
  for (int64_t i = 0; i < n; ++i) {
    const size_t c = static_cast<size_t>((i / inner) % std::max<int64_t>(channels, 1));
    const float scale = quant.scale[std::min(c, quant.scale.size() - 1)];
    const int32_t zero_point =
        quant.zero_point.empty() ? 0 : static_cast<int32_t>(quant.zero_point[std::min(c, quant.zero_point.size() - 1)]);
    out[i] = dequantize_value(static_cast<int32_t>(q[i]), scale, zero_point);
  }
}

// The real values of one sample of a tensor (`shape` elements of `dtype`).
Status dequantize_sample(DType dtype, const QuantParams& quant, const Shape& shape, const void* data, float* out,
                         const std::string& what) {
  const int64_t n = num_elements(shape);
  switch (dtype) {
    case DType::kFloat32: std::memcpy(out, data, static_cast<size_t>(n) * sizeof(float)); return Status::Ok();
    case DType::kInt8: dequantize_typed(static_cast<const int8_t*>(data), n, quant, shape, out); return Status::Ok();
    case DType::kUInt8: dequantize_typed(static_cast<const uint8_t*>(data), n, quant, shape, out); return Status::Ok();
    case DType::kInt16: dequantize_typed(static_cast<const int16_t*>(data), n, quant, shape, out); return Status::Ok();
    case DType::kInt32: dequantize_typed(static_cast<const int32_t*>(data), n, quant, shape, out); return Status::Ok();
    default: break;
  }
  return unsupported(what + ": the debugger compares FLOAT32, INT8, UINT8, INT16 and INT32 tensors, not " +
                     dtype_name(dtype));
}

// Keeps the real values of chosen tensors for every sample of one invoke.
class ValueCapture : public Observer {
 public:
  ValueCapture(const Interpreter& interp, const std::vector<int32_t>& tensors, int64_t samples) {
    for (int32_t t : tensors) {
      if (t < 0 || slot_.count(t)) continue;
      slot_[t] = data_.size();
      const int64_t n = interp.tensor_info(t).num_elements();
      elements_.push_back(n);
      data_.emplace_back(static_cast<size_t>(n * samples), 0.f);
    }
  }

  void on_inputs(int64_t sample, const std::vector<TensorView>& inputs) override { store(sample, inputs); }
  void on_op_output(int64_t sample, int32_t, const std::vector<TensorView>& outputs) override {
    store(sample, outputs);
  }

  // The values of tensor `t` for `sample`. Precondition: t was captured.
  const float* values(int32_t t, int64_t sample) const {
    const size_t s = slot_.at(t);
    return data_[s].data() + sample * elements_[s];
  }
  const Status& status() const { return status_; }

 private:
  void store(int64_t sample, const std::vector<TensorView>& views) {
    for (const TensorView& v : views) {
      auto it = slot_.find(v.tensor);
      if (it == slot_.end()) continue;
      const size_t s = it->second;
      Status st = dequantize_sample(v.info->dtype, *v.info->quant, v.info->shape, v.data,
                                    data_[s].data() + sample * elements_[s], "tensor " + std::to_string(v.tensor));
      if (!st.ok() && status_.ok()) status_ = st;
    }
  }

  std::unordered_map<int32_t, size_t> slot_;
  std::vector<int64_t> elements_;
  std::vector<std::vector<float>> data_;
  Status status_;
};

// One quantized op in a graph of its own, fed float reference activations.
struct IsolatedOp {
  std::unique_ptr<Interpreter> interpreter;
  std::vector<int32_t> reference_inputs;  // float tensor feeding each graph input
  std::vector<size_t> output_layers;      // report layer of each graph output
};

Result<IsolatedOp> isolate_op(const Graph& q, const GraphMatch& match, const Graph& f, int32_t quant_op,
                              const InterpreterOptions& options) {
  const Op& qop = q.ops[quant_op];
  Graph g;
  g.name = "isolated " + describe_op(q, quant_op);
  Op op = qop;
  IsolatedOp iso;
  std::map<int32_t, int32_t> copied;
  for (size_t i = 0; i < qop.inputs.size(); ++i) {
    const int32_t t = qop.inputs[i];
    if (t < 0) continue;
    auto it = copied.find(t);
    if (it != copied.end()) {
      op.inputs[i] = it->second;
      continue;
    }
    const Tensor& src = q.tensors[t];
    int32_t n;
    if (q.is_constant(t)) {
      n = g.add_constant(src.name, src.dtype, src.shape, q.constant_bytes(t), src.quant);
    } else {
      const int32_t ft = match.float_twin[t];
      if (ft < 0) return not_found("its input " + describe_tensor(q, t) + " has no float twin to take values from");
      if (num_elements(f.tensors[ft].shape) != num_elements(src.shape))
        return invalid_argument("its input " + describe_tensor(q, t) + " and the float " + describe_tensor(f, ft) +
                                " differ in size");
      Tensor copy = src;
      copy.buffer = -1;
      n = g.add_tensor(std::move(copy));
      g.inputs.push_back(n);
      iso.reference_inputs.push_back(ft);
    }
    copied[t] = n;
    op.inputs[i] = n;
  }
  for (size_t k = 0; k < qop.outputs.size(); ++k) {
    Tensor copy = q.tensors[qop.outputs[k]];
    copy.buffer = -1;
    op.outputs[k] = g.add_tensor(std::move(copy));
    g.outputs.push_back(op.outputs[k]);
  }
  g.ops.push_back(std::move(op));
  QL_ASSIGN_OR_RETURN(iso.interpreter, Interpreter::create(g, options));
  return iso;
}

// Samples in `arrays[i]` (converted to model input i's dtype); an error when
// the inputs disagree.
Result<int64_t> count_samples(const Interpreter& interp, const std::vector<Array>& arrays) {
  int64_t samples = -1;
  for (size_t i = 0; i < arrays.size(); ++i) {
    QL_ASSIGN_OR_RETURN(int64_t n, interp.batch_size_of(i, {arrays[i].dtype, arrays[i].shape, arrays[i].bytes.data()}));
    if (samples >= 0 && n != samples)
      return invalid_argument("the data for the model inputs disagree on the number of samples: " +
                              std::to_string(samples) + " vs " + std::to_string(n));
    samples = n;
  }
  return samples;
}

Result<std::vector<Array>> convert_inputs(const Interpreter& interp, const std::vector<Array>& inputs,
                                          const std::string& model) {
  std::vector<Array> converted;
  for (size_t i = 0; i < inputs.size(); ++i) {
    QL_ASSIGN_OR_RETURN(Array a, convert_to_input(inputs[i], interp.input_info(i), false,
                                                  model + " input " + std::to_string(i)));
    converted.push_back(std::move(a));
  }
  return converted;
}

struct OutputAccumulator {
  double sum_sq = 0, max_abs = 0;
  int64_t values = 0, agreements = 0, samples = 0;
};

int64_t argmax(const float* v, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

// Runs the models over the data in groups and accumulates every statistic.
class DebugRun {
 public:
  DebugRun(const Graph& f, const Graph& q, const GraphMatch& match, const DebugOptions& options)
      : f_(f), q_(q), match_(match), options_(options) {}

  Result<DebugReport> run(const std::vector<Array>& inputs) {
    const InterpreterOptions io{options_.kernels, options_.threads};
    QL_ASSIGN_OR_RETURN(float_interp_, Interpreter::create(f_, io));
    QL_ASSIGN_OR_RETURN(quant_interp_, Interpreter::create(q_, io));
    if (inputs.size() != f_.inputs.size())
      return invalid_argument("the models have " + std::to_string(f_.inputs.size()) + " input(s) but data for " +
                              std::to_string(inputs.size()) + " was given");
    QL_ASSIGN_OR_RETURN(float_inputs_, convert_inputs(*float_interp_, inputs, "float model"));
    QL_ASSIGN_OR_RETURN(quant_inputs_, convert_inputs(*quant_interp_, inputs, "quantized model"));
    QL_ASSIGN_OR_RETURN(int64_t samples, count_samples(*float_interp_, float_inputs_));
    QL_ASSIGN_OR_RETURN(int64_t quant_samples, count_samples(*quant_interp_, quant_inputs_));
    if (samples != quant_samples)
      return invalid_argument("the data makes " + std::to_string(samples) + " samples for the float model but " +
                              std::to_string(quant_samples) + " for the quantized model (their input shapes differ)");
    if (options_.max_samples > 0) samples = std::min(samples, options_.max_samples);
    if (samples <= 0) return invalid_argument("the data holds no samples");
    report_.samples = samples;
    report_.has_propagated = options_.propagated;
    report_.has_isolated = options_.isolated;

    describe_layers();
    if (options_.isolated) prepare_isolated(io);
    choose_captured_tensors();
    prop_.resize(report_.layers.size());
    iso_.resize(report_.layers.size());
    input_acc_.resize(f_.inputs.size());
    output_acc_.resize(std::min(f_.outputs.size(), q_.outputs.size()));

    const int64_t group = group_size(samples);
    for (int64_t begin = 0; begin < samples; begin += group)
      QL_RETURN_IF_ERROR(run_group(begin, std::min(group, samples - begin)));
    finish();
    return std::move(report_);
  }

 private:
  void describe_layers() {
    for (const MatchedOp& mo : match_.ops) {
      for (const MatchedTensor& mt : mo.outputs) {
        LayerReport l;
        l.layer = static_cast<int32_t>(report_.layers.size());
        l.op_name = op_name(q_.ops[mo.quant_op]);
        l.float_op = mo.float_op;
        l.quant_op = mo.quant_op;
        l.float_tensor = mt.float_tensor;
        l.quant_tensor = mt.quant_tensor;
        l.tensor_name = f_.tensors[mt.float_tensor].name;
        const Tensor& qt = q_.tensors[mt.quant_tensor];
        l.quant_tensor_name = qt.name;
        l.quant_dtype = qt.dtype;
        l.has_scale = is_integer(qt.dtype) && qt.quant.has_scale() && !qt.quant.per_axis();
        if (l.has_scale) {
          l.scale = qt.quant.scale[0];
          l.zero_point = qt.quant.zero_point.empty() ? 0 : qt.quant.zero_point[0];
        }
        l.matched_by = mo.method;
        report_.layers.push_back(std::move(l));
      }
    }
    for (int32_t fo : match_.unmatched_float_ops) report_.unmatched_ops.push_back(describe_op(f_, fo));
  }

  void prepare_isolated(const InterpreterOptions& io) {
    size_t layer = 0;
    for (const MatchedOp& mo : match_.ops) {
      auto iso = isolate_op(q_, match_, f_, mo.quant_op, io);
      if (!iso.ok()) {
        for (size_t k = 0; k < mo.outputs.size(); ++k)
          report_.layers[layer + k].isolated_note = "cannot run alone: " + iso.status().message();
      } else {
        // The isolated graph's outputs are the op's outputs in order; only
        // those that were matched have a layer.
        const Op& qop = q_.ops[mo.quant_op];
        iso->output_layers.assign(qop.outputs.size(), SIZE_MAX);
        for (size_t k = 0; k < mo.outputs.size(); ++k)
          for (size_t j = 0; j < qop.outputs.size(); ++j)
            if (qop.outputs[j] == mo.outputs[k].quant_tensor) iso->output_layers[j] = layer + k;
        isolated_.push_back(std::move(iso).value());
      }
      layer += mo.outputs.size();
    }
  }

  void choose_captured_tensors() {
    for (int32_t t : f_.inputs) float_captured_.push_back(t);
    for (const LayerReport& l : report_.layers) {
      float_captured_.push_back(l.float_tensor);
      quant_captured_.push_back(l.quant_tensor);
    }
    for (const IsolatedOp& iso : isolated_)
      for (int32_t t : iso.reference_inputs) float_captured_.push_back(t);
    for (const MatchedTensor& in : match_.inputs) quant_captured_.push_back(in.quant_tensor);
  }

  int64_t group_size(int64_t samples) const {
    int64_t per_sample = 0;
    for (int32_t t : float_captured_) per_sample += float_interp_->tensor_info(t).num_elements();
    for (int32_t t : quant_captured_) per_sample += quant_interp_->tensor_info(t).num_elements();
    per_sample = std::max<int64_t>(1, per_sample * static_cast<int64_t>(sizeof(float)));
    return std::clamp<int64_t>(options_.max_group_bytes / per_sample, 1, std::min<int64_t>(samples, 1024));
  }

  static std::vector<const void*> slice(const Interpreter& interp, const std::vector<Array>& arrays, int64_t begin) {
    std::vector<const void*> ptrs;
    for (size_t i = 0; i < arrays.size(); ++i) ptrs.push_back(arrays[i].bytes.data() + begin * interp.input_info(i).bytes());
    return ptrs;
  }

  static std::vector<std::vector<uint8_t>> output_buffers(const Interpreter& interp, int64_t n,
                                                          std::vector<void*>& ptrs) {
    std::vector<std::vector<uint8_t>> buffers;
    for (size_t i = 0; i < interp.num_outputs(); ++i)
      buffers.emplace_back(static_cast<size_t>(interp.output_info(i).bytes() * n));
    for (auto& b : buffers) ptrs.push_back(b.data());
    return buffers;
  }

  Status run_group(int64_t begin, int64_t n) {
    ValueCapture float_values(*float_interp_, float_captured_, n);
    ValueCapture quant_values(*quant_interp_, quant_captured_, n);
    std::vector<void*> float_out_ptrs, quant_out_ptrs;
    auto float_out = output_buffers(*float_interp_, n, float_out_ptrs);
    auto quant_out = output_buffers(*quant_interp_, n, quant_out_ptrs);
    QL_RETURN_IF_ERROR(float_interp_->invoke(n, slice(*float_interp_, float_inputs_, begin), float_out_ptrs, &float_values)
                           .with_context("running the float model"));
    QL_RETURN_IF_ERROR(float_values.status());
    QL_RETURN_IF_ERROR(quant_interp_->invoke(n, slice(*quant_interp_, quant_inputs_, begin), quant_out_ptrs, &quant_values)
                           .with_context("running the quantized model"));
    QL_RETURN_IF_ERROR(quant_values.status());

    for (size_t li = 0; li < report_.layers.size(); ++li) {
      const LayerReport& l = report_.layers[li];
      const int64_t elements = float_interp_->tensor_info(l.float_tensor).num_elements();
      const double scale = l.has_scale ? l.scale : 0.0;
      for (int64_t s = 0; s < n; ++s)
        prop_[li].add_sample(float_values.values(l.float_tensor, s), quant_values.values(l.quant_tensor, s), elements,
                             scale);
    }
    for (size_t i = 0; i < f_.inputs.size(); ++i) {
      const int32_t qt = match_.inputs[i].quant_tensor;
      const TensorInfo& info = quant_interp_->tensor_info(qt);
      if (!is_integer(info.dtype)) continue;
      const double scale = info.quant->per_axis() ? 0.0 : info.scale();
      for (int64_t s = 0; s < n; ++s)
        input_acc_[i].add_sample(float_values.values(f_.inputs[i], s), quant_values.values(qt, s), info.num_elements(),
                                 scale);
    }
    QL_RETURN_IF_ERROR(accumulate_outputs(float_out, quant_out, n));
    for (IsolatedOp& iso : isolated_) QL_RETURN_IF_ERROR(run_isolated(iso, float_values, n));
    return Status::Ok();
  }

  Status accumulate_outputs(const std::vector<std::vector<uint8_t>>& float_out,
                            const std::vector<std::vector<uint8_t>>& quant_out, int64_t n) {
    for (size_t i = 0; i < output_acc_.size(); ++i) {
      const TensorInfo& fo = float_interp_->output_info(i);
      const TensorInfo& qo = quant_interp_->output_info(i);
      const int64_t elements = fo.num_elements();
      if (qo.num_elements() != elements) continue;
      std::vector<float> fv(static_cast<size_t>(elements)), qv(static_cast<size_t>(elements));
      OutputAccumulator& acc = output_acc_[i];
      for (int64_t s = 0; s < n; ++s) {
        QL_RETURN_IF_ERROR(dequantize_sample(fo.dtype, *fo.quant, fo.shape, float_out[i].data() + s * fo.bytes(),
                                             fv.data(), "float model output " + std::to_string(i)));
        QL_RETURN_IF_ERROR(dequantize_sample(qo.dtype, *qo.quant, qo.shape, quant_out[i].data() + s * qo.bytes(),
                                             qv.data(), "quantized model output " + std::to_string(i)));
        for (int64_t e = 0; e < elements; ++e) {
          const double d = static_cast<double>(fv[e]) - static_cast<double>(qv[e]);
          acc.sum_sq += d * d;
          acc.max_abs = std::max(acc.max_abs, std::fabs(d));
        }
        acc.values += elements;
        acc.samples += 1;
        if (argmax(fv.data(), elements) == argmax(qv.data(), elements)) ++acc.agreements;
      }
    }
    return Status::Ok();
  }

  Status run_isolated(IsolatedOp& iso, const ValueCapture& float_values, int64_t n) {
    Interpreter& interp = *iso.interpreter;
    std::vector<Array> inputs;
    std::vector<const void*> in_ptrs;
    for (size_t j = 0; j < iso.reference_inputs.size(); ++j) {
      const TensorInfo& info = interp.input_info(j);
      const int64_t elements = info.num_elements();
      Shape shape = info.shape;
      if (shape.empty()) shape = {1};
      shape[0] *= static_cast<int32_t>(n);
      std::vector<float> real(static_cast<size_t>(elements * n));
      for (int64_t s = 0; s < n; ++s)
        std::memcpy(real.data() + s * elements, float_values.values(iso.reference_inputs[j], s),
                    static_cast<size_t>(elements) * sizeof(float));
      QL_ASSIGN_OR_RETURN(Array converted, convert_to_input(Array::from_vector(shape, real), info, false,
                                                            "isolated " + interp.graph().name));
      inputs.push_back(std::move(converted));
    }
    for (const Array& a : inputs) in_ptrs.push_back(a.bytes.data());
    std::vector<void*> out_ptrs;
    auto outputs = output_buffers(interp, n, out_ptrs);
    QL_RETURN_IF_ERROR(interp.invoke(n, in_ptrs, out_ptrs).with_context(interp.graph().name));
    for (size_t k = 0; k < outputs.size(); ++k) {
      const size_t layer = iso.output_layers[k];
      if (layer == SIZE_MAX) continue;
      const LayerReport& l = report_.layers[layer];
      const TensorInfo& info = interp.output_info(k);
      std::vector<float> values(static_cast<size_t>(info.num_elements()));
      for (int64_t s = 0; s < n; ++s) {
        QL_RETURN_IF_ERROR(dequantize_sample(info.dtype, *info.quant, info.shape, outputs[k].data() + s * info.bytes(),
                                             values.data(), interp.graph().name));
        iso_[layer].add_sample(float_values.values(l.float_tensor, s), values.data(), info.num_elements(),
                               l.has_scale ? l.scale : 0.0);
      }
    }
    return Status::Ok();
  }

  void finish() {
    for (size_t li = 0; li < report_.layers.size(); ++li) {
      LayerReport& l = report_.layers[li];
      if (options_.propagated) l.propagated = prop_[li].finish();
      if (options_.isolated && l.isolated_note.empty()) l.isolated = iso_[li].finish();
    }
    for (size_t i = 0; i < f_.inputs.size(); ++i) {
      const int32_t qt = match_.inputs[i].quant_tensor;
      if (!is_integer(q_.tensors[qt].dtype)) continue;
      report_.inputs.push_back({f_.tensors[f_.inputs[i]].name, q_.tensors[qt].dtype, input_acc_[i].finish()});
    }
    for (size_t i = 0; i < output_acc_.size(); ++i) {
      const OutputAccumulator& acc = output_acc_[i];
      OutputReport o;
      o.name = f_.tensors[f_.outputs[i]].name;
      o.elements = float_interp_->output_info(i).num_elements();
      if (acc.values > 0) {
        o.mean_squared_error = acc.sum_sq / static_cast<double>(acc.values);
        o.max_abs_error = acc.max_abs;
      }
      if (o.elements > 1 && acc.samples > 0)
        o.top1_agreement = static_cast<double>(acc.agreements) / static_cast<double>(acc.samples);
      report_.outputs.push_back(std::move(o));
    }
  }

  const Graph& f_;
  const Graph& q_;
  const GraphMatch& match_;
  const DebugOptions& options_;
  std::unique_ptr<Interpreter> float_interp_, quant_interp_;
  std::vector<Array> float_inputs_, quant_inputs_;
  std::vector<IsolatedOp> isolated_;
  std::vector<int32_t> float_captured_, quant_captured_;
  std::vector<LayerErrorAccumulator> prop_, iso_, input_acc_;
  std::vector<OutputAccumulator> output_acc_;
  DebugReport report_;
};

}  // namespace

const char* debug_view_name(DebugView view) {
  switch (view) {
    case DebugView::kPropagated: return "propagated";
    case DebugView::kIsolated: return "isolated";
  }
  return "?";
}

Result<DebugReport> debug_quantization(const Graph& float_graph, const Graph& quant_graph,
                                       const std::vector<Array>& inputs, const DebugOptions& options) {
  QL_ASSIGN_OR_RETURN(GraphMatch match, match_graphs(float_graph, quant_graph));
  return DebugRun(float_graph, quant_graph, match, options).run(inputs);
}

Result<TaskComparison> compare_on_task(const Graph& float_graph, const Graph& quant_graph, const Dataset& data,
                                       const EvalOptions& options) {
  TaskComparison c;
  auto f = evaluate(float_graph, data, options);
  if (!f.ok()) return f.status().with_context("evaluating the float model");
  EvalOptions quant_options = options;
  quant_options.task = f->task;  // the same decisions for both, whatever the output dtype
  auto q = evaluate(quant_graph, data, quant_options);
  if (!q.ok()) return q.status().with_context("evaluating the quantized model");
  c.task = f->task;
  c.float_metrics = f->metrics;
  c.quant_metrics = q->metrics;
  return c;
}

std::vector<const LayerReport*> suspect_layers(const DebugReport& report, double threshold) {
  std::vector<std::pair<double, const LayerReport*>> found;
  for (const LayerReport& l : report.layers) {
    double worst = -1.0;
    for (DebugView v : {DebugView::kPropagated, DebugView::kIsolated})
      if (l.view(v) && l.view(v)->rmse_over_scale > threshold) worst = std::max(worst, l.view(v)->rmse_over_scale);
    if (worst >= 0.0) found.push_back({worst, &l});
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<const LayerReport*> out;
  for (const auto& f : found) out.push_back(f.second);
  return out;
}

std::vector<const LayerReport*> worst_layers(const DebugReport& report, DebugView view, size_t count) {
  std::vector<const LayerReport*> scaled, unscaled;
  for (const LayerReport& l : report.layers) {
    const auto& s = l.view(view);
    if (!s || s->mean_squared_error == 0.0) continue;  // an exact layer is nobody's worst
    if (!std::isnan(s->rmse_over_scale))
      scaled.push_back(&l);
    else if (!std::isnan(s->sqnr_db))
      unscaled.push_back(&l);
  }
  std::stable_sort(scaled.begin(), scaled.end(), [view](const LayerReport* a, const LayerReport* b) {
    return a->view(view)->rmse_over_scale > b->view(view)->rmse_over_scale;
  });
  std::stable_sort(unscaled.begin(), unscaled.end(), [view](const LayerReport* a, const LayerReport* b) {
    return a->view(view)->sqnr_db < b->view(view)->sqnr_db;
  });
  scaled.insert(scaled.end(), unscaled.begin(), unscaled.end());
  if (scaled.size() > count) scaled.resize(count);
  return scaled;
}

}  // namespace quantlab
