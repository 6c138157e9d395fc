// What train, prune, factorize and qat share on the command line: where the
// data comes from and how the fine-tuning runs.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"
#include "quantlab/train/trainer.h"

namespace quantlab::cli {

struct TrainingSplits {
  Dataset train, val, test;
  bool has_test = false;
  std::string origin;  // where the splits came from, for the log
  // Reports are computed on the test split when there is one.
  const Dataset& eval() const { return has_test ? test : val; }
  const char* eval_name() const { return has_test ? "test" : "val"; }
};

// A directory holds train.npz, val.npz (or validation.npz) and optionally
// test.npz; a single file is split 80/10/10 with the seed (stratified for
// class labels).
Result<TrainingSplits> load_training_splits(const std::string& path, uint64_t seed);

// The data and fine-tuning options; each command sets its own defaults
// before registering them.
struct TrainingArgs {
  std::string data;
  int epochs = 20;
  int batch = 64;
  double lr = 1e-3;
  uint64_t seed = 1;
  int threads = 0;
  int patience = 5;

  train::TrainOptions train_options() const;
};

// Adds --data (required), --epochs, --batch, --lr, --seed, --threads and
// --patience; the help texts show the defaults in `args`.
void add_training_options(CLI::App* cmd, TrainingArgs* args, const std::string& epochs_help,
                          const std::string& seed_help, const std::string& threads_help);

}  // namespace quantlab::cli
