// `quantlab train`: train a zoo architecture on a dataset, or fine-tune an
// existing float .tflite model, and write the result as .tflite.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "quantlab/data/dataset.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "quantlab/train/trainable_graph.h"
#include "quantlab/train/trainer.h"
#include "quantlab/zoo/zoo.h"
#include "subcommands.h"
#include "training_args.h"

namespace quantlab::cli {
namespace {

struct TrainArgs {
  TrainingArgs training{"", 30, 64, 1e-3, 1, 0, 8};
  std::string arch;
  std::string init;
  std::string output;
  std::string task;  // empty: from the labels
  double scale = 1.0;
  double threshold = 0.5;
};

// The zoo request that fits the data: input = one sample's shape; head and
// output count from the labels (a softmax over K classes, one sigmoid per
// label for multi-hot labels, one sigmoid for two classes unless
// --task multiclass).
Result<zoo::ModelRequest> request_for_data(const TrainArgs& args, const Dataset& train) {
  QL_ASSIGN_OR_RETURN(zoo::ModelRequest r, zoo::default_request(args.arch));
  r.input_shape = train.sample_shape();
  r.width_scale = args.scale;
  r.seed = args.training.seed;
  const int32_t labels = train.num_labels();
  if (train.label_kind() == LabelKind::kMultiHot) {
    if (!args.task.empty() && args.task != "multilabel")
      return invalid_argument("--task " + args.task + " does not fit multi-hot labels");
    r.head = zoo::Head::kSigmoid;
    r.num_outputs = labels;
    return r;
  }
  if (args.task == "multilabel") return invalid_argument("--task multilabel needs multi-hot labels [N, L]");
  if (labels < 2) return invalid_argument("the training labels hold " + std::to_string(labels) + " class; need 2 or more");
  const bool binary = args.task == "binary" || (args.task.empty() && labels == 2);
  if (binary && labels > 2)
    return invalid_argument("--task binary, but the labels use " + std::to_string(labels) + " classes");
  r.head = binary ? zoo::Head::kSigmoid : zoo::Head::kSoftmax;
  r.num_outputs = binary ? 1 : labels;
  return r;
}

// Draws the per-epoch progress bar on a terminal; elsewhere prints only the
// epoch lines.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(int epochs, const std::string& metric)
      : epochs_(epochs), metric_(metric), tty_(isatty(fileno(stdout)) != 0) {}

  void batch(int epoch, int64_t done, int64_t total, double loss) {
    if (!tty_) return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / std::max<int64_t>(total, 1));
    std::string bar(static_cast<size_t>(filled), '=');
    bar.resize(kWidth, '.');
    std::printf("\repoch %*d/%d [%s] %lld/%lld loss %.4f", width(), epoch, epochs_, bar.c_str(),
                static_cast<long long>(done), static_cast<long long>(total), loss);
    std::fflush(stdout);
  }

  void epoch(const train::EpochStats& s) {
    if (tty_) std::printf("\r\033[K");
    std::printf("epoch %*d/%d  loss %.4f  val_loss %.4f  val_%s %.4f  %.1fs%s\n", width(), s.epoch, epochs_,
                s.train_loss, s.val_loss, metric_.c_str(), s.val_metric, s.seconds, s.improved ? "  *" : "");
    std::fflush(stdout);
  }

 private:
  int width() const { return static_cast<int>(std::to_string(epochs_).size()); }
  int epochs_;
  std::string metric_;
  bool tty_;
};

std::string underscored(std::string s) {
  for (char& c : s)
    if (c == ' ') c = '_';
  return s;
}

Status run_train(const TrainArgs& args) {
  if (args.arch.empty() == args.init.empty())
    return invalid_argument("give exactly one of --arch NAME (a zoo architecture) or --init MODEL.tflite");
  const int threads = train::configure_threads(args.training.threads);
  QL_ASSIGN_OR_RETURN(const TrainingSplits data, load_training_splits(args.training.data, args.training.seed));

  Graph graph;
  if (!args.arch.empty()) {
    QL_ASSIGN_OR_RETURN(const zoo::ModelRequest request, request_for_data(args, data.train));
    QL_ASSIGN_OR_RETURN(zoo::ZooModel model, zoo::build_model(request));
    graph = std::move(model.graph);
    std::printf("model: %s, input %s, %d output%s (%s), width scale %g, %lld parameters\n", request.arch.c_str(),
                shape_to_string(data.train.sample_shape()).c_str(), request.num_outputs,
                request.num_outputs == 1 ? "" : "s", zoo::head_name(request.head), request.width_scale,
                static_cast<long long>(train::trainable_parameter_count(graph)));
    for (const std::string& note : model.adaptations) std::printf("  adapted: %s\n", note.c_str());
  } else {
    QL_ASSIGN_OR_RETURN(graph, read_tflite_file(args.init));
    std::printf("model: fine-tuning %s, %lld parameters\n", args.init.c_str(),
                static_cast<long long>(train::trainable_parameter_count(graph)));
  }
  std::printf("data: %s: train %lld, val %lld%s samples\n", data.origin.c_str(),
              static_cast<long long>(data.train.size()), static_cast<long long>(data.val.size()),
              data.has_test ? (", test " + std::to_string(data.test.size())).c_str() : "");
  const TrainingArgs& t = args.training;
  std::printf("training: Adam lr %g, batch %d, up to %d epochs (patience %d), seed %llu, %d thread%s\n", t.lr, t.batch,
              t.epochs, t.patience, static_cast<unsigned long long>(t.seed), threads, threads == 1 ? "" : "s");

  train::TrainOptions options = args.training.train_options();
  options.threshold = args.threshold;
  const bool multilabel = data.train.label_kind() == LabelKind::kMultiHot;
  ProgressPrinter printer(args.training.epochs, underscored(multilabel ? "macro F1" : "accuracy"));
  train::TrainProgress progress;
  progress.on_batch = [&](int epoch, int64_t done, int64_t total, double loss) {
    printer.batch(epoch, done, total, loss);
  };
  progress.on_epoch = [&](const train::EpochStats& s) { printer.epoch(s); };

  QL_ASSIGN_OR_RETURN(const train::TrainSummary summary,
                      train::train_graph(&graph, data.train, data.val, data.has_test ? &data.test : nullptr, options,
                                         progress));
  std::printf("best epoch %d of %zu%s; %s task; %.1f s\n", summary.best_epoch, summary.epochs.size(),
              summary.stopped_early ? " (stopped early)" : "", train::train_task_name(summary.task), summary.seconds);
  if (summary.has_test) {
    if (summary.task == train::TrainTask::kMultilabel) {
      std::printf("test: macro F1 %.4f  binary accuracy %.4f  loss %.4f  (%lld samples)\n", summary.test.macro_f1,
                  summary.test.accuracy, summary.test.loss, static_cast<long long>(summary.test.samples));
    } else {
      std::printf("test: accuracy %.4f  macro F1 %.4f  loss %.4f  (%lld samples)\n", summary.test.accuracy,
                  summary.test.macro_f1, summary.test.loss, static_cast<long long>(summary.test.samples));
    }
  }
  graph.description += "; trained by quantlab train on " + args.training.data + " (" +
                       std::to_string(summary.best_epoch) + " epochs kept)";
  QL_RETURN_IF_ERROR(write_tflite_file(graph, args.output));
  std::printf("wrote %s\n", args.output.c_str());
  return Status::Ok();
}

}  // namespace

void register_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train a zoo architecture (or fine-tune a float .tflite) on a dataset");
  cmd->add_option("--arch", args->arch, "Zoo architecture: " + zoo::architecture_names());
  cmd->add_option("--init", args->init, "Fine-tune this float .tflite model instead of building one");
  add_training_options(cmd, &args->training, "Maximum number of epochs",
                       "Seed for weight initialization, shuffling and splitting", "Torch threads");
  cmd->add_option("-o,--output", args->output, "Where to write the trained .tflite model")->required();
  cmd->add_option("--scale", args->scale, "Width scale of the architecture: filter and dense widths x W (default 1)")
      ->check(CLI::Range(1e-6, 16.0));
  cmd->add_option("--task", args->task, "With --arch: multiclass, multilabel or binary (default: from the labels)")
      ->check(CLI::IsMember({"multiclass", "multilabel", "binary"}));
  cmd->add_option("--threshold", args->threshold, "Sigmoid decision threshold for the metrics (default 0.5)");
  cmd->callback([args] {
    const Status s = run_train(*args);
    if (!s.ok()) fail("train", s);
  });
}

}  // namespace quantlab::cli
