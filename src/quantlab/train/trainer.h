// Training float graphs with libtorch: Adam, cross-entropy or binary
// cross-entropy chosen from the model's head and the labels, early stopping
// on the validation loss, the best epoch's weights written back into the
// graph. The graph may come from the zoo or from any float .tflite file
// (fine-tuning), as long as the torch bridge supports its ops.
//
// This header does not include libtorch, so the CLI and other modules can
// use it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"
#include "quantlab/ir/graph.h"

namespace quantlab::train {

class GraphModule;  // the torch module of a graph (train/bridge.h, libtorch)

// Sets the threads libtorch uses for one op (`threads` <= 0: one per core)
// and pins OpenBLAS, which libtorch may call from inside those threads, to
// one thread so the two never oversubscribe the cores. Returns the count set.
int configure_threads(int threads);

struct TrainOptions {
  int epochs = 30;             // >= 1
  int batch_size = 64;         // >= 1
  double learning_rate = 1e-3; // > 0
  uint64_t seed = 1;           // shuffling (and torch's generator)
  // Stop after this many epochs without a lower validation loss (0: never
  // stop early). The weights of the best epoch are kept.
  int patience = 8;
  // Multi-label / binary decisions: output probability >= threshold.
  double threshold = 0.5;
  // Extension points for compression passes (callers include
  // train/bridge.h): `on_start` runs once on the module before the first
  // step (install BridgeHooks: pruning masks, fake quantization);
  // `after_step` runs after every optimizer step, counted from 1 (update a
  // pruning schedule, re-apply masks to the parameters).
  std::function<void(GraphModule&)> on_start;
  std::function<void(GraphModule&, int64_t step)> after_step;
};

// How the loss and the validation metric were chosen.
enum class TrainTask : uint8_t {
  kMulticlass,  // softmax (or raw logits) + class indices: cross-entropy, accuracy
  kMultilabel,  // sigmoid (or raw logits) + multi-hot labels: BCE, macro F1
  kBinary,      // one sigmoid output + class indices 0/1: BCE, accuracy
};
const char* train_task_name(TrainTask task);

struct EpochStats {
  int epoch = 0;  // 1-based
  double train_loss = 0;
  double val_loss = 0;
  double val_metric = 0;  // accuracy or macro F1, see TrainSummary::metric_name
  double seconds = 0;
  bool improved = false;  // lowest validation loss so far
};

struct EvalStats {
  double loss = 0;
  double metric = 0;     // the task's main metric
  double accuracy = 0;   // multiclass/binary: accuracy; multilabel: binary accuracy over all entries
  double macro_f1 = 0;   // macro F1 over classes (multiclass) or labels (multilabel/binary: positive class)
  int64_t samples = 0;
};

struct TrainSummary {
  TrainTask task = TrainTask::kMulticlass;
  std::string metric_name;  // "accuracy" or "macro F1"
  std::vector<EpochStats> epochs;
  int best_epoch = 0;
  bool stopped_early = false;
  double seconds = 0;
  EvalStats test;           // valid when has_test
  bool has_test = false;
};

// Receives progress as training runs (the CLI draws its progress bar).
struct TrainProgress {
  // After each batch: 1-based epoch, samples done in this epoch, of total,
  // running mean training loss.
  std::function<void(int epoch, int64_t done, int64_t total, double loss)> on_batch;
  std::function<void(const EpochStats&)> on_epoch;
};

// Trains the float constants of `graph` in place. `train` and `val` must
// fit the model input (x [N, ...] for a model input [1, ...]) and carry
// labels the head can learn: class indices for a softmax head (or a single
// sigmoid output with labels 0/1), multi-hot labels for a sigmoid head with
// one output per label. `test`, when non-null, is evaluated once with the
// final weights. Errors name the mismatch (shapes, label kinds, counts).
Result<TrainSummary> train_graph(Graph* graph, const Dataset& train, const Dataset& val, const Dataset* test,
                                 const TrainOptions& options, const TrainProgress& progress = {});

// Loss and metrics of `graph` on `data` through the torch bridge (the same
// computation training uses). `batch_size` >= 1.
Result<EvalStats> evaluate_graph(const Graph& graph, const Dataset& data, double threshold = 0.5,
                                 int batch_size = 256);

}  // namespace quantlab::train
