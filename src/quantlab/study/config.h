// A study's configuration: which synthetic datasets to make, which zoo
// models to train on them, which stages (original, pruned, final), which
// strategies (PTQ, QAT) and which of the five conversions to run, and the
// training, pruning, factorization and QAT settings that shape each step.
//
// The configuration is JSON; every key is documented in docs/study.md.
// Unknown keys are errors (a misspelt key would otherwise silently fall
// back to its default), and every error names the source, the key path and
// the bad value. Keys that are absent take the defaults below, which are
// the original study's sizes (the "full" profile).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantlab/compress/factorize.h"
#include "quantlab/compress/prune.h"
#include "quantlab/core/status.h"
#include "quantlab/quant/schemes.h"
#include "quantlab/study/results.h"

namespace quantlab::study {

enum class DatasetKind : uint8_t {
  kHar,  // synth::generate_har: wrist-worn activity windows, 6 classes
  kEcg,  // synth::generate_ecg: multi-label ECG records, 5 labels
};
const char* dataset_kind_name(DatasetKind kind);  // "har", "ecg"

struct DatasetConfig {
  std::string name;                  // referenced by ModelConfig::dataset
  DatasetKind kind = DatasetKind::kHar;
  int64_t samples = 6000;            // windows (har, >= 30) or records (ecg, >= 10), over all splits
  int subjects = 30;                 // har only, >= 3
  int leads = 12;                    // ecg only, 1..12
  int length = 500;                  // ecg only, samples per record
  double sample_rate_hz = 100.0;     // ecg only, 50..1000
};

// Settings a model may override; absent values take the study-wide ones.
struct ModelConfig {
  std::string family;                // display name, "SmartWatch"
  std::string size;                  // "lean" or "fat"
  std::string arch;                  // zoo architecture, "smartwatch-lean"; unique in a study
  std::string dataset;               // a DatasetConfig::name
  double width_scale = 1.0;          // zoo::ModelRequest::width_scale, in (0, 16]
  std::optional<double> sparsity;    // pruning.sparsity for this model
  std::optional<compress::FactorMethod> factor_method;
  std::optional<int32_t> factor_rank;
};

struct TrainingConfig {
  int epochs = 30;
  int batch_size = 64;
  double learning_rate = 1e-3;
  int patience = 8;                  // 0: no early stopping
};

struct PruningConfig {
  double sparsity = 0.8;             // final sparsity, [0, 1)
  double initial_sparsity = 0.0;     // polynomial schedule
  compress::PruneSchedule schedule = compress::PruneSchedule::kPolynomial;
  compress::PruneScope scope = compress::PruneScope::kLayer;
  int ramp_epochs = 4;
  int fine_tune_epochs = 10;         // with fixed masks, after the ramp
  int mask_update_every = 10;
};

struct FactorizationConfig {
  compress::FactorMethod method = compress::FactorMethod::kTensorTrain;
  // Tensor train where a layer's dimensions allow, else SVD for that layer.
  bool svd_fallback = true;
  int32_t rank = 8;
  int fine_tune_epochs = 10;         // keeping the pruning zeros
};

struct QatConfig {
  int epochs = 10;
  double learning_rate = 5e-4;
  double range_decay = 0.99;
};

struct StudyConfig {
  std::string name = "study";
  // "quick", "full" (the built-in profiles) or "custom" (a config file).
  std::string profile = "custom";
  uint64_t seed = 1;
  std::vector<DatasetConfig> datasets;
  std::vector<ModelConfig> models;
  std::vector<Stage> stages;
  std::vector<Strategy> strategies;
  std::vector<Scheme> schemes;
  TrainingConfig training;
  PruningConfig pruning;
  FactorizationConfig factorization;
  QatConfig qat;
  int calibration_samples = 200;     // from the training split
  int debug_samples = 50;            // from the evaluation split; 0: no debugger runs
  std::string eval_split = "test";   // "test" or "val"
  // What this configuration changes from the original study's sizes (the report
  // states it); free text.
  std::vector<std::string> profile_notes;
};

// Parses and validates a configuration. `source` names the text in errors
// ("study.json: models[2].arch: unknown architecture 'foo' (known: ...)").
// Never aborts, whatever the bytes.
Result<StudyConfig> parse_study_config(const std::string& text, const std::string& source);

// The built-in profiles: "quick" (every family, size, stage, strategy and
// scheme at small sizes, well within 10 minutes on two cores) and "full"
// (the original study's sizes). Unknown names give the quick profile; check with
// is_builtin_profile first.
StudyConfig builtin_study(const std::string& profile);
bool is_builtin_profile(const std::string& profile);

// The configuration as JSON, every key written; parse_study_config of its
// dump gives the same configuration back.
nlohmann::json config_to_json(const StudyConfig& config);

// Keeps only the models whose family (case-insensitive) is in `families`,
// and the datasets they use. Error naming the unknown family when one
// matches no model.
Status restrict_to_families(StudyConfig* config, const std::vector<std::string>& families);

}  // namespace quantlab::study
