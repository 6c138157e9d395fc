#include "training_args.h"

#include <filesystem>

#include <fmt/format.h>

#include "subcommands.h"

namespace quantlab::cli {

Result<TrainingSplits> load_training_splits(const std::string& path, uint64_t seed) {
  namespace fs = std::filesystem;
  TrainingSplits s;
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

train::TrainOptions TrainingArgs::train_options() const {
  train::TrainOptions options;
  options.epochs = epochs;
  options.batch_size = batch;
  options.learning_rate = lr;
  options.seed = seed;
  options.patience = patience;
  return options;
}

void add_training_options(CLI::App* cmd, TrainingArgs* args, const std::string& epochs_help,
                          const std::string& seed_help, const std::string& threads_help) {
  cmd->add_option("--data", args->data, "Directory with train.npz, val.npz [, test.npz], or one .npz/.csv to split")
      ->required();
  cmd->add_option("--epochs", args->epochs, fmt::format("{} (default {})", epochs_help, args->epochs))
      ->check(positive_number());
  cmd->add_option("--batch", args->batch, fmt::format("Batch size (default {})", args->batch))
      ->check(positive_number());
  cmd->add_option("--lr", args->lr, fmt::format("Adam learning rate (default {})", args->lr))
      ->check(positive_number());
  cmd->add_option("--seed", args->seed, fmt::format("{} (default {})", seed_help, args->seed));
  cmd->add_option("--threads", args->threads, threads_help + " (default: one per core)");
  cmd->add_option("--patience", args->patience,
                  fmt::format("Early-stopping patience in epochs; 0 = never (default {})", args->patience));
}

}  // namespace quantlab::cli
