// Magnitude pruning of convolution and dense weights, in the manner of
// TensorFlow's model optimization toolkit: during fine-tuning the target
// sparsity ramps from an initial to a final value along a polynomial of
// power 3, masks are recomputed from the current weight magnitudes every
// few steps, and the masked weights stay exactly zero. The pruned graph
// holds the zeros in its constants (a .tflite stores dense tensors, so the
// saving shows in the deflate-compressed file size).
//
// This header does not include libtorch, so the CLI can use it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"
#include "quantlab/ir/graph.h"
#include "quantlab/train/trainer.h"

namespace quantlab::compress {

enum class PruneSchedule : uint8_t {
  kConstant,    // the final sparsity from the first step
  kPolynomial,  // initial -> final over the ramp with power 3
};
enum class PruneScope : uint8_t {
  kLayer,   // every weight tensor reaches the sparsity on its own
  kGlobal,  // one magnitude threshold across all prunable weights
};

// A weight tensor the pruner masks: the filter of a CONV_2D or
// DEPTHWISE_CONV_2D, or the weight matrix of a FULLY_CONNECTED, when it is
// a float32 constant.
struct PrunableWeight {
  int32_t op_index = -1;
  OpKind kind = OpKind::kOpaque;
  int32_t tensor = -1;
};
// Each tensor once (the first op reading it), in op order.
std::vector<PrunableWeight> prunable_weights(const Graph& graph);

// Sparsity at `step` of the polynomial decay: from `initial` at `begin_step`
// to `final` at `end_step` (and held after), final + (initial - final) *
// (1 - progress)^3.
double polynomial_sparsity(double initial, double final, int64_t step, int64_t begin_step, int64_t end_step);

// Zeroes the ceil(sparsity * n) smallest-magnitude values of each prunable
// weight (layer scope) or of all of them together (global scope); ties are
// broken by position so the count is exact. `sparsity` in [0, 1).
Status prune_by_magnitude(Graph* graph, double sparsity, PruneScope scope);

struct LayerSparsity {
  PrunableWeight weight;
  std::string name;  // the weight tensor's name
  int64_t zeros = 0;
  int64_t total = 0;
  double sparsity() const { return total > 0 ? static_cast<double>(zeros) / static_cast<double>(total) : 0.0; }
};
struct SparsityReport {
  std::vector<LayerSparsity> layers;
  int64_t zeros = 0;  // over all prunable weights
  int64_t total = 0;
  double sparsity() const { return total > 0 ? static_cast<double>(zeros) / static_cast<double>(total) : 0.0; }
};
// Counts exact zeros in the prunable weights.
SparsityReport measure_sparsity(const Graph& graph);

struct PruneOptions {
  double final_sparsity = 0.65;    // in [0, 1)
  double initial_sparsity = 0.0;   // polynomial schedule only
  PruneSchedule schedule = PruneSchedule::kPolynomial;
  PruneScope scope = PruneScope::kLayer;
  // Masks are recomputed every this many steps during the ramp (the
  // toolkit's default frequency is 100; small datasets need fewer).
  int mask_update_every = 10;
  // Polynomial schedule: epochs of the ramp, during which the sparsity
  // rises; fine-tuning with fixed masks (train.epochs, early stopping on
  // the validation loss) follows, so the kept epoch always has the final
  // sparsity.
  int ramp_epochs = 4;
  train::TrainOptions train;  // fine-tuning; on_start/after_step are the pruner's
};

struct PruneSummary {
  SparsityReport sparsity;
  int64_t ramp_steps = 0;
  train::TrainSummary fine_tune;
};

// Prunes `graph` in place with fine-tuning on `train_data`/`val` (and
// evaluates `test` when given, as train_graph does).
Result<PruneSummary> prune_graph(Graph* graph, const Dataset& train_data, const Dataset& val, const Dataset* test,
                                 const PruneOptions& options);

// Fine-tunes `graph` like train_graph while every conv or dense weight that
// is exactly zero now stays zero (pruned models through later passes).
Result<train::TrainSummary> fine_tune_keeping_zeros(Graph* graph, const Dataset& train_data, const Dataset& val,
                                                    const Dataset* test, const train::TrainOptions& options);

// Size of `bytes` after deflate at the default level, as a zip entry
// stores it.
Result<int64_t> deflate_size(const std::vector<uint8_t>& bytes);

}  // namespace quantlab::compress
