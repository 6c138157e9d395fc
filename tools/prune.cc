// `quantlab prune`: magnitude pruning of conv and dense weights with
// fine-tuning; reports sparsity per layer, accuracy before and after, and
// the file size raw and deflate-compressed.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "quantlab/compress/prune.h"
#include "quantlab/core/file_io.h"
#include "quantlab/data/dataset.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "quantlab/train/trainer.h"
#include "subcommands.h"
#include "training_args.h"

namespace quantlab::cli {
namespace {

struct PruneArgs {
  TrainingArgs training{"", 20, 64, 1e-3, 1, 0, 5};
  std::string model;
  std::string output;
  double sparsity = 0.65;
  double initial_sparsity = 0.0;
  std::string schedule = "polynomial";
  std::string scope = "layer";
  int ramp_epochs = 4;
  int update_every = 10;
};

Status run_prune(const PruneArgs& args) {
  const int threads = train::configure_threads(args.training.threads);
  QL_ASSIGN_OR_RETURN(const TrainingSplits data, load_training_splits(args.training.data, args.training.seed));
  const Dataset& eval_data = data.has_test ? data.test : data.val;
  const char* eval_name = data.has_test ? "test" : "val";
  QL_ASSIGN_OR_RETURN(Graph graph, read_tflite_file(args.model));

  QL_ASSIGN_OR_RETURN(const train::EvalStats before, train::evaluate_graph(graph, eval_data));
  const compress::SparsityReport initial = compress::measure_sparsity(graph);
  std::printf("model: %s, %zu prunable weight tensors, %lld weights (%.1f%% zero)\n", args.model.c_str(),
              initial.layers.size(), static_cast<long long>(initial.total), 100.0 * initial.sparsity());
  std::printf("pruning to %.1f%% (%s schedule, %s scope), %d thread%s\n", 100.0 * args.sparsity,
              args.schedule.c_str(), args.scope.c_str(), threads, threads == 1 ? "" : "s");

  compress::PruneOptions options;
  options.final_sparsity = args.sparsity;
  options.initial_sparsity = args.initial_sparsity;
  options.schedule = args.schedule == "constant" ? compress::PruneSchedule::kConstant
                                                  : compress::PruneSchedule::kPolynomial;
  options.scope = args.scope == "global" ? compress::PruneScope::kGlobal : compress::PruneScope::kLayer;
  options.ramp_epochs = args.ramp_epochs;
  options.mask_update_every = args.update_every;
  options.train = args.training.train_options();
  QL_ASSIGN_OR_RETURN(const compress::PruneSummary summary,
                      compress::prune_graph(&graph, data.train, data.val, nullptr, options));
  QL_ASSIGN_OR_RETURN(const train::EvalStats after, train::evaluate_graph(graph, eval_data));

  std::printf("\n%-40s %-18s %10s %10s %9s\n", "weight", "op", "weights", "zeros", "sparsity");
  for (const compress::LayerSparsity& layer : summary.sparsity.layers) {
    std::printf("%-40s %-18s %10lld %10lld %8.2f%%\n", layer.name.c_str(),
                (std::to_string(layer.weight.op_index) + " " + op_kind_name(layer.weight.kind)).c_str(),
                static_cast<long long>(layer.total), static_cast<long long>(layer.zeros), 100.0 * layer.sparsity());
  }
  std::printf("%-40s %-18s %10lld %10lld %8.2f%%\n", "total", "", static_cast<long long>(summary.sparsity.total),
              static_cast<long long>(summary.sparsity.zeros), 100.0 * summary.sparsity.sparsity());
  std::printf("\nramp %lld steps; fine-tuning kept epoch %d of %zu\n", static_cast<long long>(summary.ramp_steps),
              summary.fine_tune.best_epoch, summary.fine_tune.epochs.size());
  std::printf("%s accuracy: before %.4f  after %.4f  (%lld samples)\n", eval_name, before.accuracy, after.accuracy,
              static_cast<long long>(after.samples));

  graph.description += "; pruned by quantlab prune to " + std::to_string(args.sparsity) + " sparsity";
  QL_RETURN_IF_ERROR(write_tflite_file(graph, args.output));
  QL_ASSIGN_OR_RETURN(const std::vector<uint8_t> original_bytes, read_file(args.model));
  QL_ASSIGN_OR_RETURN(const std::vector<uint8_t> pruned_bytes, read_file(args.output));
  QL_ASSIGN_OR_RETURN(const int64_t original_deflated, compress::deflate_size(original_bytes));
  QL_ASSIGN_OR_RETURN(const int64_t pruned_deflated, compress::deflate_size(pruned_bytes));
  std::printf("file size: original %zu bytes (deflated %lld), pruned %zu bytes (deflated %lld)\n",
              original_bytes.size(), static_cast<long long>(original_deflated), pruned_bytes.size(),
              static_cast<long long>(pruned_deflated));
  std::printf("wrote %s\n", args.output.c_str());
  return Status::Ok();
}

}  // namespace

void register_prune(CLI::App& app) {
  auto args = std::make_shared<PruneArgs>();
  auto* cmd = app.add_subcommand("prune", "Magnitude-prune conv and dense weights of a float .tflite, with fine-tuning");
  cmd->add_option("model", args->model, "Float .tflite model")->required();
  add_training_options(cmd, &args->training, "Fine-tuning epochs with the final masks",
                       "Seed for shuffling and splitting", "Torch threads");
  cmd->add_option("-o,--output", args->output, "Where to write the pruned .tflite model")->required();
  cmd->add_option("--sparsity", args->sparsity, "Final fraction of zero weights (default 0.65)")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--initial-sparsity", args->initial_sparsity, "Sparsity at the start of the ramp (default 0)")
      ->check(CLI::Range(0.0, 0.999));
  cmd->add_option("--schedule", args->schedule, "constant or polynomial (default polynomial, power 3)")
      ->check(CLI::IsMember({"constant", "polynomial"}));
  cmd->add_option("--scope", args->scope, "layer (each tensor) or global (one threshold) (default layer)")
      ->check(CLI::IsMember({"layer", "global"}));
  cmd->add_option("--ramp-epochs", args->ramp_epochs, "Epochs of the polynomial ramp (default 4)")
      ->check(non_negative_number());
  cmd->add_option("--update-every", args->update_every, "Recompute masks every N steps during the ramp (default 10)")
      ->check(positive_number());
  cmd->callback([args] {
    const Status s = run_prune(*args);
    if (!s.ok()) fail("prune", s);
  });
}

}  // namespace quantlab::cli
