#include "quantlab/compress/prune.h"

#include <zip.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

#include "quantlab/train/bridge.h"

namespace quantlab::compress {
namespace {

bool is_prunable_kind(OpKind kind) {
  return kind == OpKind::kConv2D || kind == OpKind::kDepthwiseConv2D || kind == OpKind::kFullyConnected;
}

// The values of one group (a layer, or every layer for global scope) as
// views into the weights they belong to.
struct ValueRef {
  size_t weight;  // index into the weight list
  int64_t offset;
};

// keep[w][i] = 0 for the ceil(sparsity * n) smallest |value| of each group.
// Equal magnitudes are ordered by their position in the group, so exactly
// that many values are masked even when many weights are already zero.
std::vector<std::vector<uint8_t>> magnitude_masks(const std::vector<std::vector<float>>& weights, double sparsity,
                                                  PruneScope scope) {
  std::vector<std::vector<uint8_t>> keep(weights.size());
  for (size_t w = 0; w < weights.size(); ++w) keep[w].assign(weights[w].size(), 1);
  std::vector<std::vector<ValueRef>> groups;
  if (scope == PruneScope::kGlobal) groups.emplace_back();
  for (size_t w = 0; w < weights.size(); ++w) {
    if (scope == PruneScope::kLayer) groups.emplace_back();
    for (int64_t i = 0; i < static_cast<int64_t>(weights[w].size()); ++i) groups.back().push_back({w, i});
  }
  for (std::vector<ValueRef>& group : groups) {
    // Rounded up, so the group reaches at least the requested sparsity (the
    // small margin keeps an exact product such as 0.5 * 4 from rounding up).
    const int64_t masked = static_cast<int64_t>(std::ceil(sparsity * static_cast<double>(group.size()) - 1e-9));
    if (masked <= 0) continue;
    auto magnitude = [&](const ValueRef& r) { return std::fabs(weights[r.weight][static_cast<size_t>(r.offset)]); };
    // The position in `group` breaks ties: ValueRefs are created in order,
    // so (weight, offset) is that position.
    auto smaller = [&](const ValueRef& a, const ValueRef& b) {
      const float ma = magnitude(a), mb = magnitude(b);
      if (ma != mb) return ma < mb;
      return a.weight != b.weight ? a.weight < b.weight : a.offset < b.offset;
    };
    std::nth_element(group.begin(), group.begin() + (masked - 1), group.end(), smaller);
    for (int64_t i = 0; i < masked; ++i) {
      const ValueRef& r = group[static_cast<size_t>(i)];
      keep[r.weight][static_cast<size_t>(r.offset)] = 0;
    }
  }
  return keep;
}

std::vector<float> constant_floats(const Graph& graph, int32_t tensor) {
  const std::vector<uint8_t>& bytes = graph.constant_bytes(tensor);
  std::vector<float> values(bytes.size() / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

Status check_sparsity(double sparsity, const char* what) {
  if (!(sparsity >= 0.0 && sparsity < 1.0))
    return invalid_argument(std::string(what) + " " + std::to_string(sparsity) + " must be in [0, 1)");
  return Status::Ok();
}

// Holds the masks during fine-tuning: the bridge sees every masked weight
// as w * mask (so pruned values get no gradient), and after each optimizer
// step the parameters themselves are multiplied by the mask (Adam's moments
// could otherwise move a pruned value off zero).
class MaskHooks : public train::BridgeHooks {
 public:
  MaskHooks(std::vector<PrunableWeight> weights, PruneScope scope) : weights_(std::move(weights)), scope_(scope) {}

  torch::Tensor weight(const train::WeightSite& site, const torch::Tensor& w) override {
    const auto it = masks_.find(site.tensor);
    return it == masks_.end() ? w : w * it->second;
  }

  // Recomputes every mask from the module's current values at `sparsity`.
  void update_masks(train::GraphModule& module, double sparsity) {
    std::vector<std::vector<float>> values;
    std::vector<torch::Tensor> parameters;
    for (const PrunableWeight& w : weights_) {
      torch::Tensor p = module.parameter_for(w.tensor);
      if (!p.defined()) continue;
      const torch::Tensor flat = p.detach().to(torch::kFloat32).contiguous().flatten();
      values.emplace_back(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
      parameters.push_back(p);
    }
    const std::vector<std::vector<uint8_t>> keep = magnitude_masks(values, sparsity, scope_);
    masks_.clear();
    size_t next = 0;
    for (const PrunableWeight& w : weights_) {
      if (!module.parameter_for(w.tensor).defined()) continue;
      const std::vector<uint8_t>& k = keep[next];
      std::vector<float> mask(k.begin(), k.end());
      masks_[w.tensor] = torch::tensor(mask).reshape(parameters[next].sizes());
      ++next;
    }
    apply(module);
  }

  // Masks exactly the values that are zero now (an already pruned model).
  void keep_zeros(train::GraphModule& module) {
    masks_.clear();
    for (const PrunableWeight& w : weights_) {
      const torch::Tensor p = module.parameter_for(w.tensor);
      if (!p.defined()) continue;
      const torch::Tensor nonzero = (p.detach() != 0).to(torch::kFloat32);
      if (nonzero.sum().item<double>() < static_cast<double>(p.numel())) masks_[w.tensor] = nonzero;
    }
  }

  void apply(train::GraphModule& module) {
    torch::NoGradGuard no_grad;
    for (const auto& [tensor, mask] : masks_) {
      torch::Tensor p = module.parameter_for(tensor);
      if (p.defined()) p.mul_(mask);
    }
  }

 private:
  std::vector<PrunableWeight> weights_;
  PruneScope scope_;
  std::map<int32_t, torch::Tensor> masks_;
};

int64_t steps_per_epoch(int64_t samples, int batch_size) {
  return (samples + batch_size - 1) / std::max(batch_size, 1);
}

}  // namespace

std::vector<PrunableWeight> prunable_weights(const Graph& graph) {
  std::vector<PrunableWeight> out;
  std::vector<bool> seen(graph.tensors.size(), false);
  for (int32_t i = 0; i < static_cast<int32_t>(graph.ops.size()); ++i) {
    const Op& op = graph.ops[static_cast<size_t>(i)];
    if (!is_prunable_kind(op.kind)) continue;
    const int32_t t = op.input(1);
    if (t < 0 || !graph.is_constant(t) || graph.tensors[static_cast<size_t>(t)].dtype != DType::kFloat32) continue;
    if (seen[static_cast<size_t>(t)]) continue;
    seen[static_cast<size_t>(t)] = true;
    out.push_back({i, op.kind, t});
  }
  return out;
}

double polynomial_sparsity(double initial, double final, int64_t step, int64_t begin_step, int64_t end_step) {
  if (end_step <= begin_step) return step >= begin_step ? final : initial;
  const double progress =
      std::clamp(static_cast<double>(step - begin_step) / static_cast<double>(end_step - begin_step), 0.0, 1.0);
  const double remaining = 1.0 - progress;
  return final + (initial - final) * remaining * remaining * remaining;
}

Status prune_by_magnitude(Graph* graph, double sparsity, PruneScope scope) {
  QL_RETURN_IF_ERROR(check_sparsity(sparsity, "sparsity"));
  const std::vector<PrunableWeight> weights = prunable_weights(*graph);
  std::vector<std::vector<float>> values;
  for (const PrunableWeight& w : weights) values.push_back(constant_floats(*graph, w.tensor));
  const std::vector<std::vector<uint8_t>> keep = magnitude_masks(values, sparsity, scope);
  for (size_t w = 0; w < weights.size(); ++w) {
    for (size_t i = 0; i < values[w].size(); ++i)
      if (!keep[w][i]) values[w][i] = 0.0f;
    std::vector<uint8_t> bytes(values[w].size() * sizeof(float));
    if (!bytes.empty()) std::memcpy(bytes.data(), values[w].data(), bytes.size());
    graph->set_constant(weights[w].tensor, std::move(bytes));
  }
  return Status::Ok();
}

SparsityReport measure_sparsity(const Graph& graph) {
  SparsityReport report;
  for (const PrunableWeight& w : prunable_weights(graph)) {
    LayerSparsity layer;
    layer.weight = w;
    layer.name = graph.tensors[static_cast<size_t>(w.tensor)].name;
    for (float v : constant_floats(graph, w.tensor)) {
      layer.zeros += v == 0.0f ? 1 : 0;
      ++layer.total;
    }
    report.zeros += layer.zeros;
    report.total += layer.total;
    report.layers.push_back(std::move(layer));
  }
  return report;
}

Result<PruneSummary> prune_graph(Graph* graph, const Dataset& train_data, const Dataset& val, const Dataset* test,
                                 const PruneOptions& options) {
  QL_RETURN_IF_ERROR(check_sparsity(options.final_sparsity, "final sparsity"));
  QL_RETURN_IF_ERROR(check_sparsity(options.initial_sparsity, "initial sparsity"));
  if (options.mask_update_every < 1)
    return invalid_argument("mask update frequency " + std::to_string(options.mask_update_every) + " must be >= 1");
  const std::vector<PrunableWeight> weights = prunable_weights(*graph);
  if (weights.empty()) return invalid_argument("the model has no float conv or dense weights to prune");

  PruneSummary summary;
  if (options.schedule == PruneSchedule::kPolynomial && options.ramp_epochs > 0) {
    // The ramp: sparsity rises from initial to final over all its steps
    // except the last epoch, so the final masks see one epoch of training.
    const int64_t per_epoch = steps_per_epoch(train_data.size(), options.train.batch_size);
    const int64_t end_step = std::max<int64_t>(1, per_epoch * std::max(options.ramp_epochs - 1, 1));
    summary.ramp_steps = end_step;
    auto hooks = std::make_shared<MaskHooks>(weights, options.scope);
    train::TrainOptions ramp = options.train;
    ramp.epochs = options.ramp_epochs;
    ramp.patience = 0;
    ramp.on_start = [&](train::GraphModule& module) {
      module.set_hooks(hooks);
      hooks->update_masks(module, options.initial_sparsity);
    };
    ramp.after_step = [&](train::GraphModule& module, int64_t step) {
      if (step % options.mask_update_every == 0 || step == end_step) {
        hooks->update_masks(module,
                            polynomial_sparsity(options.initial_sparsity, options.final_sparsity, step, 0, end_step));
      } else {
        hooks->apply(module);
      }
    };
    QL_ASSIGN_OR_RETURN(const train::TrainSummary ramp_summary, train::train_graph(graph, train_data, val, nullptr, ramp));
    (void)ramp_summary;
  }
  // The kept ramp epoch may predate the final sparsity: prune to it by
  // magnitude, then fine-tune with these masks fixed.
  QL_RETURN_IF_ERROR(prune_by_magnitude(graph, options.final_sparsity, options.scope));
  auto hooks = std::make_shared<MaskHooks>(weights, options.scope);
  train::TrainOptions hold = options.train;
  hold.on_start = [&](train::GraphModule& module) {
    module.set_hooks(hooks);
    hooks->update_masks(module, options.final_sparsity);
  };
  hold.after_step = [&](train::GraphModule& module, int64_t) { hooks->apply(module); };
  QL_ASSIGN_OR_RETURN(summary.fine_tune, train::train_graph(graph, train_data, val, test, hold));
  summary.sparsity = measure_sparsity(*graph);
  return summary;
}

Result<train::TrainSummary> fine_tune_keeping_zeros(Graph* graph, const Dataset& train_data, const Dataset& val,
                                                    const Dataset* test, const train::TrainOptions& options) {
  auto hooks = std::make_shared<MaskHooks>(prunable_weights(*graph), PruneScope::kLayer);
  train::TrainOptions tuning = options;
  tuning.on_start = [&](train::GraphModule& module) {
    module.set_hooks(hooks);
    hooks->keep_zeros(module);
  };
  tuning.after_step = [&](train::GraphModule& module, int64_t) { hooks->apply(module); };
  return train::train_graph(graph, train_data, val, test, tuning);
}

Result<int64_t> deflate_size(const std::vector<uint8_t>& bytes) {
  // A zip archive built in memory with one deflated entry; the entry's
  // compressed size is the figure a gzip of the file would show, less the
  // few bytes of gzip's own header.
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* archive_source = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (!archive_source) return internal_error("cannot create an in-memory zip buffer");
  zip_source_keep(archive_source);
  zip_t* archive = zip_open_from_source(archive_source, ZIP_TRUNCATE, &error);
  if (!archive) {
    zip_source_free(archive_source);
    return internal_error("cannot open an in-memory zip archive");
  }
  zip_source_t* entry = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
  const zip_int64_t index = entry ? zip_file_add(archive, "model.tflite", entry, ZIP_FL_OVERWRITE) : -1;
  if (index < 0) {
    if (entry) zip_source_free(entry);
    zip_discard(archive);
    zip_source_free(archive_source);
    return internal_error("cannot add the model to an in-memory zip archive");
  }
  zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 0);
  if (zip_close(archive) != 0) {
    zip_discard(archive);
    zip_source_free(archive_source);
    return internal_error("cannot deflate the model in memory");
  }
  zip_t* reopened = zip_open_from_source(archive_source, ZIP_RDONLY, &error);
  if (!reopened) {
    zip_source_free(archive_source);
    return internal_error("cannot reopen the in-memory zip archive");
  }
  zip_stat_t stat;
  zip_stat_init(&stat);
  const int rc = zip_stat_index(reopened, 0, 0, &stat);
  zip_discard(reopened);
  if (rc != 0 || !(stat.valid & ZIP_STAT_COMP_SIZE)) return internal_error("cannot read the deflated size");
  return static_cast<int64_t>(stat.comp_size);
}

}  // namespace quantlab::compress
