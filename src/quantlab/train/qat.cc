#include "quantlab/train/qat.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "quantlab/numerics/choose_params.h"
#include "quantlab/train/bridge.h"

namespace quantlab::train {
namespace {

// TFLite rounds half away from zero; torch::round rounds half to even.
torch::Tensor round_half_away(const torch::Tensor& v) { return torch::sign(v) * torch::floor(torch::abs(v) + 0.5); }

// Symmetric int8 in [-127, 127] with scale max|w| / 127 per slice along
// `axis` (or for the whole tensor when axis < 0); the scale is formed in
// double and stored as float, as quantize_weights_symmetric does, and an
// all-zero slice gets scale 1.
torch::Tensor fake_quant_weight(const torch::Tensor& w, int axis) {
  const torch::Tensor wd = w.to(torch::kFloat64);
  torch::Tensor amax;
  if (axis < 0) {
    amax = wd.detach().abs().max();
  } else {
    std::vector<int64_t> dims;
    for (int64_t d = 0; d < wd.dim(); ++d)
      if (d != axis) dims.push_back(d);
    amax = dims.empty() ? wd.detach().abs() : wd.detach().abs().amax(dims, /*keepdim=*/true);
  }
  torch::Tensor scale = (amax / 127.0).to(torch::kFloat32).to(torch::kFloat64);
  scale = torch::where(scale > 0, scale, torch::ones_like(scale));
  const torch::Tensor q = torch::clamp(round_half_away(wd.detach() / scale), -127, 127);
  const torch::Tensor dequantized = (q * scale).to(torch::kFloat32);
  return w + (dequantized - w).detach();
}

// Asymmetric int8 with `p`: values outside the representable range are
// clamped (no gradient there), inside the rounding is passed straight through.
torch::Tensor fake_quant_activation(const torch::Tensor& x, const AffineParams& p) {
  const double scale = p.scale;
  const double lo = (-128.0 - p.zero_point) * scale, hi = (127.0 - p.zero_point) * scale;
  const torch::Tensor clamped = torch::clamp(x, lo, hi);
  const torch::Tensor q = torch::clamp(round_half_away(clamped.detach().to(torch::kFloat64) / scale) + p.zero_point,
                                       -128, 127);
  const torch::Tensor dequantized = ((q - p.zero_point) * scale).to(torch::kFloat32);
  return clamped + (dequantized - clamped).detach();
}

bool shares_input_params(OpKind kind) {
  return kind == OpKind::kMaxPool2D || kind == OpKind::kAveragePool2D || kind == OpKind::kReshape ||
         kind == OpKind::kTranspose || kind == OpKind::kSqueeze;
}

bool has_fixed_output(OpKind kind) { return kind == OpKind::kSoftmax || kind == OpKind::kLogistic; }

struct Range {
  float min = 0, max = 0;
};

class FakeQuantHooks : public BridgeHooks {
 public:
  FakeQuantHooks(const Graph& graph, double decay, bool fc_per_channel)
      : graph_(graph), decay_(decay), fc_per_channel_(fc_per_channel) {}

  void attach(GraphModule* module) {
    module_ = module;
    // Weights that hold exact zeros were pruned: keep them zero.
    for (const Op& op : graph_.ops) {
      if (op.kind != OpKind::kConv2D && op.kind != OpKind::kDepthwiseConv2D && op.kind != OpKind::kFullyConnected)
        continue;
      const torch::Tensor p = module->parameter_for(op.input(1));
      if (!p.defined() || masks_.count(op.input(1))) continue;
      const torch::Tensor nonzero = (p.detach() != 0).to(torch::kFloat32);
      if (nonzero.sum().item<double>() < static_cast<double>(p.numel())) masks_[op.input(1)] = nonzero;
    }
  }

  void apply_masks() {
    torch::NoGradGuard no_grad;
    for (const auto& [tensor, mask] : masks_) module_->parameter_for(tensor).mul_(mask);
  }

  void freeze(std::map<int32_t, Range> ranges) {
    ranges_ = std::move(ranges);
    frozen_ = true;
  }

  torch::Tensor weight(const WeightSite& site, const torch::Tensor& w) override {
    if (site.input_slot != 1) return w;
    int axis = -2;
    switch (site.kind) {
      case OpKind::kConv2D: axis = 0; break;
      case OpKind::kDepthwiseConv2D: axis = 3; break;
      case OpKind::kFullyConnected: axis = fc_per_channel_ ? 0 : -1; break;
      case OpKind::kBatchMatMul: axis = -1; break;
      default: return w;
    }
    const auto mask = masks_.find(site.tensor);
    return fake_quant_weight(mask == masks_.end() ? w : w * mask->second, axis);
  }

  torch::Tensor activation(const ActivationSite& site, const torch::Tensor& x) override {
    if (site.op_index >= 0) {
      const Op& op = graph_.ops[static_cast<size_t>(site.op_index)];
      if (has_fixed_output(site.kind)) {
        ranges_[site.tensor] = {0.0f, 1.0f};
        return fake_quant_activation(x, AffineParams{1.0f / 256.0f, -128});
      }
      if (shares_input_params(site.kind)) {
        const auto source = ranges_.find(op.input(0));
        if (source == ranges_.end()) return x;
        ranges_[site.tensor] = source->second;
        // Max pooling and data movement keep values on the input's grid;
        // average pooling rounds back onto it.
        if (site.kind != OpKind::kAveragePool2D) return x;
        return fake_quant_activation(x, choose_activation_params(source->second.min, source->second.max));
      }
    }
    const bool learning = module_ && module_->is_training() && !frozen_;
    auto it = ranges_.find(site.tensor);
    if (learning) {
      const torch::Tensor detached = x.detach();
      const Range batch{detached.min().item<float>(), detached.max().item<float>()};
      if (it == ranges_.end()) {
        it = ranges_.emplace(site.tensor, batch).first;
      } else {
        it->second.min = static_cast<float>(decay_ * it->second.min + (1.0 - decay_) * batch.min);
        it->second.max = static_cast<float>(decay_ * it->second.max + (1.0 - decay_) * batch.max);
      }
    }
    if (it == ranges_.end()) return x;  // no range yet (evaluation before any training step)
    return fake_quant_activation(x, choose_activation_params(it->second.min, it->second.max));
  }

  const std::map<int32_t, Range>& ranges() const { return ranges_; }

 private:
  const Graph& graph_;
  double decay_;
  bool fc_per_channel_;
  bool frozen_ = false;
  GraphModule* module_ = nullptr;
  std::map<int32_t, torch::Tensor> masks_;
  std::map<int32_t, Range> ranges_;
};

}  // namespace

Result<QatResult> quantization_aware_train(Graph* graph, const Dataset& train_data, const Dataset& val,
                                           const Dataset* test, const QatOptions& options) {
  if (!(options.range_decay >= 0.0 && options.range_decay < 1.0))
    return invalid_argument("range decay " + std::to_string(options.range_decay) + " must be in [0, 1)");
  const Graph structure = *graph;
  auto hooks = std::make_shared<FakeQuantHooks>(structure, options.range_decay, options.fc_per_channel);
  TrainOptions train_options = options.train;
  train_options.on_start = [&](GraphModule& module) {
    hooks->attach(&module);
    module.set_hooks(hooks);
  };
  train_options.after_step = [&](GraphModule&, int64_t) { hooks->apply_masks(); };
  QatResult result;
  QL_ASSIGN_OR_RETURN(result.summary, train_graph(graph, train_data, val, test, train_options));
  const std::vector<std::string> keys = calibration_keys(*graph);
  result.ranges.method = "qat";
  result.ranges.samples = train_data.size();
  for (const auto& [tensor, range] : hooks->ranges()) {
    TensorRange r;
    r.min = r.observed_min = range.min;
    r.max = r.observed_max = range.max;
    result.ranges.ranges[keys[static_cast<size_t>(tensor)]] = r;
  }
  return result;
}

Result<std::vector<int32_t>> fake_quant_predictions(const Graph& graph, const CalibrationTable& ranges,
                                                    const Dataset& data, bool fc_per_channel) {
  if (graph.inputs.size() != 1 || graph.outputs.size() != 1)
    return invalid_argument("fake-quant predictions need a model with one input and one output");
  if (data.x.dtype != DType::kFloat32) return invalid_argument("the samples must be float32");
  const std::vector<std::string> keys = calibration_keys(graph);
  std::map<int32_t, Range> frozen;
  for (size_t t = 0; t < keys.size(); ++t)
    if (const TensorRange* r = ranges.find(keys[t])) frozen[static_cast<int32_t>(t)] = {r->min, r->max};
  QL_ASSIGN_OR_RETURN(std::shared_ptr<GraphModule> module, GraphModule::create(graph));
  auto hooks = std::make_shared<FakeQuantHooks>(module->graph(), 0.0, fc_per_channel);
  hooks->attach(module.get());
  hooks->freeze(std::move(frozen));
  module->set_hooks(hooks);
  module->eval();
  torch::NoGradGuard no_grad;

  const Shape& declared = graph.tensors[static_cast<size_t>(graph.inputs[0])].shape;
  const int64_t n = data.size();
  if (n * num_elements(declared) != num_elements(data.x.shape))
    return invalid_argument("the samples " + shape_to_string(data.x.shape) + " do not fit the model input " +
                            shape_to_string(declared));
  std::vector<int64_t> sizes = {n};
  sizes.insert(sizes.end(), declared.begin(), declared.end());
  const torch::Tensor all =
      torch::from_blob(const_cast<uint8_t*>(data.x.bytes.data()), sizes, torch::kFloat32).clone();
  std::vector<int32_t> predictions;
  predictions.reserve(static_cast<size_t>(n));
  for (int64_t begin = 0; begin < n; begin += 256) {
    const int64_t end = std::min<int64_t>(n, begin + 256);
    QL_ASSIGN_OR_RETURN(const std::vector<torch::Tensor> out, module->forward({all.slice(0, begin, end)}));
    const torch::Tensor rows = out[0].reshape({end - begin, -1});
    const torch::Tensor classes = rows.size(1) == 1 ? (rows.squeeze(1) >= 0.5).to(torch::kInt32)
                                                    : rows.argmax(1).to(torch::kInt32);
    const torch::Tensor c = classes.contiguous();
    predictions.insert(predictions.end(), c.data_ptr<int32_t>(), c.data_ptr<int32_t>() + c.numel());
  }
  return predictions;
}

}  // namespace quantlab::train
