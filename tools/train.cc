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

namespace quantlab::cli {
namespace {

struct TrainArgs {
  std::string arch;
  std::string init;
  std::string data;
  std::string output;
  std::string task;  // empty: from the labels
  int epochs = 30;
  int batch = 64;
  double lr = 1e-3;
  uint64_t seed = 1;
  double scale = 1.0;
  int threads = 0;
  int patience = 8;
  double threshold = 0.5;
};

struct Splits {
  Dataset train, val, test;
  bool has_test = false;
  std::string origin;
};

// A directory holds train.npz, val.npz (or validation.npz) and optionally
// test.npz; a single file is split 80/10/10 with the seed (stratified for
// class labels).
Result<Splits> load_splits(const std::string& path, uint64_t seed) {
  namespace fs = std::filesystem;
  Splits s;
  if (fs::is_directory(path)) {
    const fs::path dir(path);
    QL_ASSIGN_OR_RETURN(s.train, read_dataset_npz((dir / "train.npz").string()));
    const fs::path val = fs::exists(dir / "val.npz") ? dir / "val.npz" : dir / "validation.npz";
    QL_ASSIGN_OR_RETURN(s.val, read_dataset_npz(val.string()));
    if (fs::exists(dir / "test.npz")) {
      QL_ASSIGN_OR_RETURN(s.test, read_dataset_npz((dir / "test.npz").string()));
      s.has_test = true;
    }
    s.origin = path + " (train/val" + std::string(s.has_test ? "/test" : "") + " files)";
    return s;
  }
  QL_ASSIGN_OR_RETURN(const Dataset all, read_dataset(path));
  SplitOptions options;
  options.seed = seed;
  QL_ASSIGN_OR_RETURN(DatasetSplits parts, split_dataset(all, options));
  s.train = std::move(parts.train);
  s.val = std::move(parts.val);
  s.test = std::move(parts.test);
  s.has_test = s.test.size() > 0;
  s.origin = path + " (split 80/10/10 with seed " + std::to_string(seed) + ")";
  return s;
}

// The zoo request that fits the data: input = one sample's shape; head and
// output count from the labels (a softmax over K classes, one sigmoid per
// label for multi-hot labels, one sigmoid for two classes unless
// --task multiclass).
Result<zoo::ModelRequest> request_for_data(const TrainArgs& args, const Dataset& train) {
  QL_ASSIGN_OR_RETURN(zoo::ModelRequest r, zoo::default_request(args.arch));
  r.input_shape = train.sample_shape();
  r.width_scale = args.scale;
  r.seed = args.seed;
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
  const int threads = train::configure_threads(args.threads);
  QL_ASSIGN_OR_RETURN(const Splits data, load_splits(args.data, args.seed));

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
  std::printf("training: Adam lr %g, batch %d, up to %d epochs (patience %d), seed %llu, %d thread%s\n", args.lr,
              args.batch, args.epochs, args.patience, static_cast<unsigned long long>(args.seed), threads,
              threads == 1 ? "" : "s");

  train::TrainOptions options;
  options.epochs = args.epochs;
  options.batch_size = args.batch;
  options.learning_rate = args.lr;
  options.seed = args.seed;
  options.patience = args.patience;
  options.threshold = args.threshold;
  const bool multilabel = data.train.label_kind() == LabelKind::kMultiHot;
  ProgressPrinter printer(args.epochs, underscored(multilabel ? "macro F1" : "accuracy"));
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
  graph.description += "; trained by quantlab train on " + args.data + " (" + std::to_string(summary.best_epoch) +
                       " epochs kept)";
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
  cmd->add_option("--data", args->data, "Directory with train.npz, val.npz [, test.npz], or one .npz/.csv to split")
      ->required();
  cmd->add_option("-o,--output", args->output, "Where to write the trained .tflite model")->required();
  cmd->add_option("--epochs", args->epochs, "Maximum number of epochs (default 30)")->check(CLI::PositiveNumber);
  cmd->add_option("--batch", args->batch, "Batch size (default 64)")->check(CLI::PositiveNumber);
  cmd->add_option("--lr", args->lr, "Adam learning rate (default 0.001)")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "Seed for weight initialization, shuffling and splitting (default 1)");
  cmd->add_option("--scale", args->scale, "Width scale of the architecture: filter and dense widths x W (default 1)")
      ->check(CLI::Range(1e-6, 16.0));
  cmd->add_option("--threads", args->threads, "Torch threads (default: one per core)");
  cmd->add_option("--patience", args->patience,
                  "Stop after this many epochs without a lower validation loss; 0 = never (default 8)");
  cmd->add_option("--task", args->task, "With --arch: multiclass, multilabel or binary (default: from the labels)")
      ->check(CLI::IsMember({"multiclass", "multilabel", "binary"}));
  cmd->add_option("--threshold", args->threshold, "Sigmoid decision threshold for the metrics (default 0.5)");
  cmd->callback([args] {
    const Status s = run_train(*args);
    if (!s.ok()) fail("train", s);
  });
}

}  // namespace quantlab::cli
