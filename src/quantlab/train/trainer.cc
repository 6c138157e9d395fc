#include "quantlab/train/trainer.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "quantlab/metrics/classification.h"
#include "quantlab/train/bridge.h"
#include "quantlab/train/trainable_graph.h"

namespace quantlab::train {
namespace {

// The order of one epoch's samples: a Fisher-Yates shuffle driven by the
// run's own generator rather than libtorch's global one, so that runs with
// the same seed visit the same batches even while other trainings run in
// other threads of the process (the study trains several models at once).
torch::Tensor epoch_order(int64_t size, std::mt19937_64& rng) {
  std::vector<int64_t> order(static_cast<size_t>(size));
  std::iota(order.begin(), order.end(), int64_t{0});
  for (int64_t i = size - 1; i > 0; --i) {
    std::uniform_int_distribution<int64_t> pick(0, i);
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(pick(rng))]);
  }
  return torch::tensor(order, torch::kInt64);
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A dataset as tensors in the bridge's batch layout, plus its labels as the
// metrics want them.
struct TensorData {
  torch::Tensor x;        // float32 [N, 1, ...sample]
  torch::Tensor targets;  // int64 [N] (cross-entropy) or float32 [N, L] (BCE)
  std::vector<int32_t> class_labels;  // multiclass / binary
  Array multi_hot;                    // multilabel, uint8 [N, L]
  int64_t size = 0;
};

Result<TrainTask> choose_task(const OutputHead& head, const Dataset& data, const std::string& what) {
  const bool multi_hot = data.label_kind() == LabelKind::kMultiHot;
  const int32_t labels = data.num_labels();
  const std::string outputs = std::to_string(head.num_outputs) + " output" + (head.num_outputs == 1 ? "" : "s");
  switch (head.kind) {
    case HeadKind::kSoftmax:
      if (multi_hot)
        return invalid_argument(what + ": the model ends in SOFTMAX (one class per sample) but the labels are "
                                "multi-hot; use a sigmoid head for multi-label data");
      if (labels > head.num_outputs)
        return invalid_argument(what + ": labels use " + std::to_string(labels) + " classes but the model has " +
                                outputs);
      return TrainTask::kMulticlass;
    case HeadKind::kSigmoid:
      if (multi_hot) {
        if (labels != head.num_outputs)
          return invalid_argument(what + ": " + std::to_string(labels) + " label columns for a model with " + outputs);
        return TrainTask::kMultilabel;
      }
      if (head.num_outputs != 1)
        return invalid_argument(what + ": the model has " + outputs +
                                " behind a sigmoid but the labels are class indices; give multi-hot labels, or use "
                                "one sigmoid output for a binary task");
      if (labels > 2)
        return invalid_argument(what + ": a single sigmoid output can learn 2 classes, the labels use " +
                                std::to_string(labels));
      return TrainTask::kBinary;
    case HeadKind::kNone:
      if (multi_hot) {
        if (labels != head.num_outputs)
          return invalid_argument(what + ": " + std::to_string(labels) + " label columns for a model with " + outputs);
        return TrainTask::kMultilabel;
      }
      if (labels > head.num_outputs)
        return invalid_argument(what + ": labels use " + std::to_string(labels) + " classes but the model has " +
                                outputs);
      return TrainTask::kMulticlass;
  }
  return internal_error("unknown head kind");
}

Result<TensorData> to_tensors(const Graph& graph, TrainTask task, const Dataset& data, const std::string& what) {
  QL_RETURN_IF_ERROR(validate_dataset(data).with_context(what));
  const Shape& input = graph.tensors[graph.inputs[0]].shape;
  if (input.empty() || input[0] != 1)
    return unsupported("model input " + shape_to_string(input) + " must have a leading batch dimension of 1");
  QL_RETURN_IF_ERROR(check_input_shape(data, input).with_context(what));
  TensorData t;
  t.size = data.size();
  std::vector<int64_t> sizes{t.size};
  sizes.insert(sizes.end(), input.begin(), input.end());
  t.x = torch::empty(sizes, torch::kFloat32);
  std::memcpy(t.x.data_ptr<float>(), data.x.bytes.data(), data.x.bytes.size());
  if (task == TrainTask::kMultilabel) {
    t.multi_hot = data.y;
    t.targets = torch::empty({t.size, data.y.shape[1]}, torch::kUInt8);
    std::memcpy(t.targets.data_ptr<uint8_t>(), data.y.bytes.data(), data.y.bytes.size());
    t.targets = t.targets.to(torch::kFloat32);
  } else {
    t.class_labels = data.y.to_vector<int32_t>();
    t.targets = torch::empty({t.size}, torch::kInt32);
    std::memcpy(t.targets.data_ptr<int32_t>(), t.class_labels.data(), t.class_labels.size() * sizeof(int32_t));
    t.targets = t.targets.to(torch::kInt64);
  }
  return t;
}

// The loss on a batch of logits [B, K] (the head op's input).
torch::Tensor batch_loss(TrainTask task, const OutputHead& head, const torch::Tensor& logits,
                         const torch::Tensor& targets) {
  switch (task) {
    case TrainTask::kMulticlass:
      return torch::nn::functional::cross_entropy(logits * static_cast<double>(head.softmax_beta), targets);
    case TrainTask::kMultilabel: return torch::binary_cross_entropy_with_logits(logits, targets);
    case TrainTask::kBinary:
      return torch::binary_cross_entropy_with_logits(logits.reshape({-1}), targets.to(torch::kFloat32));
  }
  return torch::Tensor();
}

// Logits of a batch as [B, K].
Result<torch::Tensor> batch_logits(GraphModule& module, const OutputHead& head, const torch::Tensor& x) {
  QL_ASSIGN_OR_RETURN(std::vector<torch::Tensor> out, module.forward({x}, {head.logits_tensor}));
  return out[0].reshape({x.size(0), head.num_outputs});
}

Result<EvalStats> evaluate_tensors(GraphModule& module, const OutputHead& head, TrainTask task,
                                   const TensorData& data, double threshold, int batch_size) {
  torch::NoGradGuard no_grad;
  EvalStats stats;
  stats.samples = data.size;
  if (data.size == 0) return stats;
  double loss_sum = 0;
  std::vector<int32_t> predicted_classes;
  std::vector<uint8_t> predicted_hot;
  for (int64_t begin = 0; begin < data.size; begin += batch_size) {
    const int64_t end = std::min<int64_t>(data.size, begin + batch_size);
    const torch::Tensor targets = data.targets.slice(0, begin, end);
    QL_ASSIGN_OR_RETURN(const torch::Tensor logits, batch_logits(module, head, data.x.slice(0, begin, end)));
    loss_sum += batch_loss(task, head, logits, targets).item<double>() * static_cast<double>(end - begin);
    if (task == TrainTask::kMulticlass) {
      const torch::Tensor best = logits.argmax(1).to(torch::kInt32).contiguous();
      predicted_classes.insert(predicted_classes.end(), best.data_ptr<int32_t>(), best.data_ptr<int32_t>() + best.numel());
    } else {
      const torch::Tensor hot = (torch::sigmoid(logits) >= threshold).to(torch::kUInt8).contiguous();
      if (task == TrainTask::kBinary) {
        for (int64_t i = 0; i < hot.numel(); ++i) predicted_classes.push_back(hot.data_ptr<uint8_t>()[i]);
      } else {
        predicted_hot.insert(predicted_hot.end(), hot.data_ptr<uint8_t>(), hot.data_ptr<uint8_t>() + hot.numel());
      }
    }
  }
  stats.loss = loss_sum / static_cast<double>(data.size);
  if (task == TrainTask::kMultilabel) {
    Array predictions = data.multi_hot;
    std::memcpy(predictions.bytes.data(), predicted_hot.data(), predicted_hot.size());
    QL_ASSIGN_OR_RETURN(const MultilabelReport report, evaluate_multilabel(data.multi_hot, predictions));
    stats.accuracy = report.binary_accuracy;
    stats.macro_f1 = report.macro.f1;
    stats.metric = stats.macro_f1;
  } else {
    int32_t classes = task == TrainTask::kBinary ? 2 : head.num_outputs;
    QL_ASSIGN_OR_RETURN(const MulticlassReport report,
                        evaluate_multiclass(data.class_labels, predicted_classes, classes));
    stats.accuracy = report.accuracy;
    stats.macro_f1 = task == TrainTask::kBinary ? binary_scores(report.confusion, 1).f1 : report.macro.f1;
    stats.metric = stats.accuracy;
  }
  return stats;
}

Status check_options(const TrainOptions& o) {
  if (o.epochs < 1) return invalid_argument("epochs " + std::to_string(o.epochs) + " must be >= 1");
  if (o.batch_size < 1) return invalid_argument("batch size " + std::to_string(o.batch_size) + " must be >= 1");
  if (!(o.learning_rate > 0.0 && std::isfinite(o.learning_rate)))
    return invalid_argument("learning rate " + std::to_string(o.learning_rate) + " must be finite and positive");
  if (o.patience < 0) return invalid_argument("patience " + std::to_string(o.patience) + " must be >= 0");
  if (!(o.threshold > 0.0 && o.threshold < 1.0))
    return invalid_argument("threshold " + std::to_string(o.threshold) + " must be in (0, 1)");
  return Status::Ok();
}

Result<TrainSummary> train_impl(Graph* graph, const Dataset& train, const Dataset& val, const Dataset* test,
                                const TrainOptions& options, const TrainProgress& progress) {
  QL_RETURN_IF_ERROR(check_options(options));
  add_missing_biases(graph);
  QL_ASSIGN_OR_RETURN(const OutputHead head, find_output_head(*graph));
  if (num_elements(graph->tensors[head.logits_tensor].shape) != head.num_outputs)
    return unsupported("the model's output " + shape_to_string(graph->tensors[head.output_tensor].shape) +
                       " holds more than one row per sample; training needs [1, outputs]");
  QL_ASSIGN_OR_RETURN(const TrainTask task, choose_task(head, train, "training data"));
  QL_ASSIGN_OR_RETURN(const TrainTask val_task, choose_task(head, val, "validation data"));
  if (val_task != task) return invalid_argument("validation labels are not of the training labels' kind");
  if (train.size() == 0) return invalid_argument("the training data is empty");
  if (val.size() == 0) return invalid_argument("the validation data is empty");
  QL_ASSIGN_OR_RETURN(const TensorData train_data, to_tensors(*graph, task, train, "training data"));
  QL_ASSIGN_OR_RETURN(const TensorData val_data, to_tensors(*graph, task, val, "validation data"));

  std::mt19937_64 shuffle_rng(options.seed);
  QL_ASSIGN_OR_RETURN(std::shared_ptr<GraphModule> module, GraphModule::create(*graph));
  if (options.on_start) options.on_start(*module);
  torch::optim::Adam optimizer(module->parameters(), torch::optim::AdamOptions(options.learning_rate));
  int64_t step = 0;

  TrainSummary summary;
  summary.task = task;
  summary.metric_name = task == TrainTask::kMultilabel ? "macro F1" : "accuracy";
  const auto start = Clock::now();
  double best_loss = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_weights;
  int epochs_without_improvement = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    module->train();
    const torch::Tensor order = epoch_order(train_data.size, shuffle_rng);
    double loss_sum = 0;
    int64_t done = 0;
    for (int64_t begin = 0; begin < train_data.size; begin += options.batch_size) {
      const int64_t end = std::min<int64_t>(train_data.size, begin + options.batch_size);
      const torch::Tensor index = order.slice(0, begin, end);
      QL_ASSIGN_OR_RETURN(const torch::Tensor logits,
                          batch_logits(*module, head, train_data.x.index_select(0, index)));
      const torch::Tensor loss = batch_loss(task, head, logits, train_data.targets.index_select(0, index));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      if (options.after_step) options.after_step(*module, ++step);
      const double value = loss.item<double>();
      if (!std::isfinite(value))
        return invalid_argument("training diverged in epoch " + std::to_string(epoch) +
                                " (the loss is not finite); try a smaller learning rate");
      loss_sum += value * static_cast<double>(end - begin);
      done = end;
      if (progress.on_batch) progress.on_batch(epoch, done, train_data.size, loss_sum / static_cast<double>(done));
    }
    module->eval();
    QL_ASSIGN_OR_RETURN(const EvalStats val_stats,
                        evaluate_tensors(*module, head, task, val_data, options.threshold, 256));
    EpochStats stats;
    stats.epoch = epoch;
    stats.train_loss = loss_sum / static_cast<double>(train_data.size);
    stats.val_loss = val_stats.loss;
    stats.val_metric = val_stats.metric;
    stats.seconds = seconds_since(epoch_start);
    stats.improved = val_stats.loss < best_loss;
    if (stats.improved) {
      best_loss = val_stats.loss;
      summary.best_epoch = epoch;
      epochs_without_improvement = 0;
      torch::NoGradGuard no_grad;
      best_weights.clear();
      for (const torch::Tensor& p : module->parameters()) best_weights.push_back(p.detach().clone());
    } else {
      ++epochs_without_improvement;
    }
    summary.epochs.push_back(stats);
    if (progress.on_epoch) progress.on_epoch(stats);
    if (options.patience > 0 && epochs_without_improvement >= options.patience && epoch < options.epochs) {
      summary.stopped_early = true;
      break;
    }
  }
  {
    torch::NoGradGuard no_grad;
    auto parameters = module->parameters();
    for (size_t i = 0; i < parameters.size() && i < best_weights.size(); ++i) parameters[i].copy_(best_weights[i]);
  }
  QL_RETURN_IF_ERROR(module->write_weights(graph));
  if (test) {
    QL_ASSIGN_OR_RETURN(const TensorData test_data, to_tensors(*graph, task, *test, "test data"));
    QL_ASSIGN_OR_RETURN(summary.test, evaluate_tensors(*module, head, task, test_data, options.threshold, 256));
    summary.has_test = true;
  }
  summary.seconds = seconds_since(start);
  return summary;
}

}  // namespace

int configure_threads(int threads) {
  // OpenBLAS reads OPENBLAS_NUM_THREADS when it is loaded, before main, so
  // the count is set through its API; looked up at run time because the
  // BLAS behind libtorch is chosen by the system, not linked here.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
  const int count = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(count);
  return count;
}

const char* train_task_name(TrainTask task) {
  switch (task) {
    case TrainTask::kMulticlass: return "multiclass";
    case TrainTask::kMultilabel: return "multilabel";
    case TrainTask::kBinary: return "binary";
  }
  return "multiclass";
}

Result<TrainSummary> train_graph(Graph* graph, const Dataset& train, const Dataset& val, const Dataset* test,
                                 const TrainOptions& options, const TrainProgress& progress) {
  try {
    return train_impl(graph, train, val, test, options, progress);
  } catch (const c10::Error& e) {
    return internal_error(std::string("training failed inside torch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return internal_error(std::string("training failed: ") + e.what());
  }
}

Result<EvalStats> evaluate_graph(const Graph& graph, const Dataset& data, double threshold, int batch_size) {
  if (batch_size < 1) return invalid_argument("batch size must be >= 1");
  try {
    Graph g = graph;
    add_missing_biases(&g);
    QL_ASSIGN_OR_RETURN(const OutputHead head, find_output_head(g));
    QL_ASSIGN_OR_RETURN(const TrainTask task, choose_task(head, data, "data"));
    QL_ASSIGN_OR_RETURN(const TensorData tensors, to_tensors(g, task, data, "data"));
    QL_ASSIGN_OR_RETURN(std::shared_ptr<GraphModule> module, GraphModule::create(g));
    module->eval();
    return evaluate_tensors(*module, head, task, tensors, threshold, batch_size);
  } catch (const c10::Error& e) {
    return internal_error(std::string("evaluation failed inside torch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return internal_error(std::string("evaluation failed: ") + e.what());
  }
}

}  // namespace quantlab::train
