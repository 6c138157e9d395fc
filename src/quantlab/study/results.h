// What a study produces: the float model of every (model, stage, strategy)
// and one result per pipeline (that model converted with one scheme,
// evaluated, its tensors analysed by dtype, and, for quantized schemes,
// debugged layer by layer against its float model). The runner fills these
// structures, results.json stores them, and the reports are rendered from
// them alone, so a report can be re-rendered from results.json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantlab/core/status.h"
#include "quantlab/eval/evaluate.h"
#include "quantlab/quant/schemes.h"

namespace quantlab::study {

// The compression stages of the study, in the order it builds them.
enum class Stage : uint8_t {
  kOriginal,  // trained from scratch ("before pruning")
  kPruned,    // magnitude-pruned and fine-tuned ("before LRF")
  kFinal,     // pruned, then low-rank factorized and fine-tuned
};
const std::vector<Stage>& all_stages();
const char* stage_name(Stage stage);          // "original", "pruned", "final"
const char* stage_display_name(Stage stage);  // "Before pruning", "Before LRF (pruned)", "Final (pruned + LRF)"
std::optional<Stage> stage_from_name(const std::string& name);

// How the quantized models of a stage were obtained.
enum class Strategy : uint8_t {
  kPtq,  // post-training quantization of the stage's float model
  kQat,  // quantization-aware fine-tuning first, then conversion
};
const std::vector<Strategy>& all_strategies();
const char* strategy_name(Strategy strategy);          // "ptq", "qat"
const char* strategy_display_name(Strategy strategy);  // "Post-training quantization (PTQ)", ...
std::optional<Strategy> strategy_from_name(const std::string& name);

// One row of a layer index: the op at `index` in execution order.
struct LayerIndexEntry {
  int32_t index = 0;
  std::string op_name;       // "CONV_2D"
  std::string output_name;   // the op's first output tensor
  std::string output_shape;  // "[1, 50, 6, 4]"
};

// The float model of one (model, stage, strategy): for PTQ the trained,
// pruned or factorized model; for QAT the same model after
// quantization-aware fine-tuning.
struct StageModel {
  std::string family;  // "SmartWatch", "BSPC", "BSPC-GAP"
  std::string size;    // "lean" or "fat"
  std::string arch;    // the zoo architecture, "smartwatch-lean"
  Stage stage = Stage::kOriginal;
  Strategy strategy = Strategy::kPtq;
  std::string path;    // the float .tflite, relative to the output directory
  int64_t parameters = 0;          // elements of every float constant (weights and biases)
  int64_t nonzero_parameters = 0;  // of which not exactly zero
  int64_t macs = 0;                // multiply-accumulates per sample
  int64_t file_bytes = 0;
  int64_t deflated_bytes = 0;      // the file after deflate, as a zip stores it
  double sparsity = 0;             // zeros among the prunable conv/dense weights
  std::vector<LayerIndexEntry> layers;
  std::vector<std::string> notes;  // how it was made: shape adaptations, factorized layers, ranks
  std::string error;               // non-empty: this model could not be made
};

// Tensors of one converted model, counted by dtype: which tensors the
// conversion quantized (why float and DRQ perform alike: DRQ stores int8
// weights but computes in float).
struct DtypeCount {
  std::string dtype;            // "float32", "int8", "int32", "uint8"
  int64_t tensors = 0;          // all tensors of this dtype
  int64_t constant_tensors = 0; // of which constants (weights, biases)
  int64_t constant_bytes = 0;
};
struct TensorAnalysis {
  std::vector<DtypeCount> by_dtype;  // dtypes present, largest count first
  int64_t activation_tensors = 0;    // non-constant tensors
  int64_t quantized_activations = 0; // of which integer
  int64_t weight_tensors = 0;        // constant tensors read by ops as weights or biases
  int64_t quantized_weights = 0;     // of which integer
  std::vector<std::string> kept_float;  // "tensor: reason", from the quantizer's decisions
};

// One layer of a debugger run: statistic name -> value, per view (empty
// map when the view was not computed).
struct DebugLayer {
  int32_t layer = 0;
  std::string op_name;
  std::string tensor_name;
  std::map<std::string, double> propagated;
  std::map<std::string, double> isolated;
};
struct DebugSummary {
  std::string csv_path;   // relative to the output directory
  std::string json_path;
  std::string md_path;
  std::string html_path;  // the debugger's own chart page
  int64_t samples = 0;
  double output_mse = 0;
  double top1_agreement = 0;           // NaN when not defined
  std::vector<std::string> statistics; // statistic names in the order charts show them
  std::vector<DebugLayer> layers;
  std::vector<std::string> worst_layers;  // "CONV_2D model/conv2d_2/Relu (rmse/scale 0.41)", worst first
};

// What a plain cast does to the evaluation inputs of an integer-input
// model, value by value, against rounding with saturation.
struct PlainCastInputs {
  int64_t values = 0;   // input values quantized (samples x elements per sample)
  int64_t changed = 0;  // of which the cast gives another integer than rounding with saturation
  int64_t wrapped = 0;  // of which outside the type's range, so the cast wrapped them modulo 256
};

// One pipeline: a stage model converted with one scheme and evaluated.
struct PipelineResult {
  std::string id;       // "smartwatch-lean/original/ptq/fiq-int8"
  std::string family, size, arch;
  Stage stage = Stage::kOriginal;
  Strategy strategy = Strategy::kPtq;
  Scheme scheme = Scheme::kFloat;
  std::string model_path;  // relative to the output directory
  int64_t file_bytes = 0;
  Task task = Task::kAuto;
  std::vector<Metric> metrics;  // the original study's six for the task, in its order
  // The same six when real inputs are quantized by a plain C cast
  // (InputQuantization::kPlainCast: truncation, wrap-around) instead of
  // rounding and saturation, as a naive harness does. Computed only for
  // schemes whose model input is integer (fiq-int8, fiq-uint8); empty
  // otherwise.
  std::vector<Metric> plain_cast_metrics;
  std::optional<PlainCastInputs> plain_cast_inputs;  // with plain_cast_metrics
  double eval_seconds = 0;
  int64_t eval_samples = 0;
  std::optional<TensorAnalysis> tensors;
  std::optional<DebugSummary> debug;  // quantized schemes
  std::string error;     // non-empty: the pipeline failed; the message names the step
  bool cached = false;   // taken from a previous run's artefacts
  double metric(const std::string& name) const;  // NaN when absent
  double plain_cast_metric(const std::string& name) const;  // NaN when absent
};

struct StudyResults {
  std::string name;
  std::string profile;            // "quick", "full", or "custom"
  nlohmann::json config;          // the resolved config, as run
  std::string started_at;         // ISO 8601, UTC
  double wall_seconds = 0;
  int jobs = 1;
  // Steps of the work graph (train, prune, factorize, qat, pipeline) in the
  // run that wrote these results: executed, taken from the cache, failed
  // (or not run because a step they need failed).
  int steps_total = 0, steps_run = 0, steps_cached = 0, steps_failed = 0;
  std::vector<std::string> profile_notes;         // what the profile changes from the original study's sizes
  std::map<std::string, std::string> datasets;    // family -> how its data was made
  std::vector<StageModel> models;
  std::vector<PipelineResult> pipelines;
};

// results.json and results.csv (one row per pipeline and metric).
nlohmann::json results_to_json(const StudyResults& results);
Result<StudyResults> results_from_json(const nlohmann::json& json, const std::string& source);
std::string results_csv(const StudyResults& results);

}  // namespace quantlab::study
