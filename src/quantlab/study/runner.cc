#include "quantlab/study/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <sys/ioctl.h>
#include <unistd.h>

#include "quantlab/compress/factorize.h"
#include "quantlab/compress/prune.h"
#include "quantlab/core/file_io.h"
#include "quantlab/core/progress.h"
#include "quantlab/core/thread_pool.h"
#include "quantlab/data/synth.h"
#include "quantlab/debug/debug_charts.h"
#include "quantlab/debug/debug_report.h"
#include "quantlab/debug/layer_debugger.h"
#include "quantlab/eval/evaluate.h"
#include "quantlab/ir/analysis.h"
#include "quantlab/numerics/quantize_values.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/quant/schemes.h"
#include "quantlab/study/report.h"
#include "quantlab/study/results_io.h"
#include "quantlab/study/step_cache.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "quantlab/train/qat.h"
#include "quantlab/train/trainable_graph.h"
#include "quantlab/train/trainer.h"
#include "quantlab/zoo/zoo.h"

namespace quantlab::study {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Bump when a step's artefacts or record change meaning, so that old cache
// entries are not reused.
constexpr int kCacheFormatVersion = 1;
// The same for pipeline steps alone, so that a change to the pipeline
// record does not discard the trained models: 2 added plain_cast_metrics,
// 3 plain_cast_inputs.
constexpr int kPipelineFormatVersion = 3;

enum class StepKind : uint8_t { kTrain, kPrune, kFactorize, kQat, kPipeline };

const char* step_kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::kTrain: return "train";
    case StepKind::kPrune: return "prune";
    case StepKind::kFactorize: return "factorize";
    case StepKind::kQat: return "qat";
    case StepKind::kPipeline: return "pipeline";
  }
  return "?";
}

enum class StepState : uint8_t { kPending, kRunning, kDone, kFailed };

struct Step {
  StepKind kind = StepKind::kTrain;
  std::string name;   // "train smartwatch-lean", "smartwatch-lean/pruned/qat/drq"
  std::string key;
  size_t model = 0;   // index into config.models
  Stage stage = Stage::kOriginal;
  Strategy strategy = Strategy::kPtq;
  Scheme scheme = Scheme::kFloat;
  int source = -1;    // the step whose float model this one reads
  StepState state = StepState::kPending;
  bool cached = false;
  std::string error;
  json record;        // the completion record (loaded or written)
  double seconds = 0;
  // Estimated work for the progress display: the model's multiply-
  // accumulates per sample times the samples the step pushes through it.
  double work = 1;
};

struct PreparedData {
  DatasetSplits splits;
  std::string key;
  std::string description;
  const Dataset* eval = nullptr;  // test or val, as the config says
  Dataset debug;                  // the first debug_samples of the eval split
};

std::string iso_utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---- Data ---------------------------------------------------------------------

Result<PreparedData> prepare_dataset(const DatasetConfig& d, const StudyConfig& config) {
  PreparedData out;
  std::ostringstream how;
  if (d.kind == DatasetKind::kHar) {
    synth::HarOptions o;
    o.seed = config.seed;
    o.num_windows = d.samples;
    o.num_subjects = d.subjects;
    QL_ASSIGN_OR_RETURN(out.splits, synth::generate_har(o));
    how << "synthetic HAR (wrist accelerometer + gyroscope, 100 x 6 windows, 6 activities): " << d.samples
        << " windows from " << d.subjects << " simulated subjects, split by subject";
  } else {
    synth::EcgOptions o;
    o.seed = config.seed;
    o.num_records = d.samples;
    o.leads = d.leads;
    o.length = d.length;
    o.sample_rate_hz = d.sample_rate_hz;
    QL_ASSIGN_OR_RETURN(out.splits, synth::generate_ecg(o));
    how << "synthetic multi-label ECG (5 labels): " << d.samples << " records of " << d.length << " samples x "
        << d.leads << " leads at " << d.sample_rate_hz << " Hz, split 80/10/10";
  }
  // Channels differ in scale by orders of magnitude (m/s^2 against rad/s,
  // mV); every split is normalized with the training split's statistics.
  QL_ASSIGN_OR_RETURN(const NormalizationStats stats, compute_normalization(out.splits.train));
  QL_RETURN_IF_ERROR(apply_normalization(&out.splits.train, stats));
  QL_RETURN_IF_ERROR(apply_normalization(&out.splits.val, stats));
  QL_RETURN_IF_ERROR(apply_normalization(&out.splits.test, stats));
  how << " (train " << out.splits.train.size() << ", val " << out.splits.val.size() << ", test "
      << out.splits.test.size() << "), normalized per channel with the training statistics";
  out.description = how.str();
  json key = {{"step", "data"}, {"version", kCacheFormatVersion}, {"seed", config.seed}};
  // The JSON must outlive the loop: a range over a member of the temporary
  // config_to_json(config) would read freed memory.
  const json config_json = config_to_json(config);
  for (const json& entry : config_json.at("datasets"))
    if (entry.at("name") == d.name) key["dataset"] = entry;
  out.key = content_key(key);
  return out;
}

// ---- Float-model facts ------------------------------------------------------------

Result<StageModel> describe_stage_model(const Graph& graph, const std::vector<uint8_t>& file) {
  StageModel m;
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    const Tensor& tensor = graph.tensors[t];
    if (tensor.dtype != DType::kFloat32 || tensor.buffer < 0) continue;
    const std::vector<uint8_t>& bytes = graph.constant_bytes(static_cast<int32_t>(t));
    const size_t count = bytes.size() / sizeof(float);
    const float* values = reinterpret_cast<const float*>(bytes.data());
    m.parameters += static_cast<int64_t>(count);
    for (size_t i = 0; i < count; ++i) m.nonzero_parameters += values[i] != 0.0f ? 1 : 0;
  }
  m.macs = summarize(graph).total_macs;
  m.file_bytes = static_cast<int64_t>(file.size());
  QL_ASSIGN_OR_RETURN(m.deflated_bytes, compress::deflate_size(file));
  m.sparsity = compress::measure_sparsity(graph).sparsity();
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op& op = graph.ops[i];
    LayerIndexEntry e;
    e.index = static_cast<int32_t>(i);
    e.op_name = op_kind_name(op.kind);
    if (!op.outputs.empty() && op.outputs[0] >= 0 && static_cast<size_t>(op.outputs[0]) < graph.tensors.size()) {
      e.output_name = graph.tensors[static_cast<size_t>(op.outputs[0])].name;
      e.output_shape = shape_to_string(graph.tensors[static_cast<size_t>(op.outputs[0])].shape);
    }
    m.layers.push_back(e);
  }
  return m;
}

TensorAnalysis analyse_tensors(const QuantizedGraph& converted) {
  const Graph& g = converted.graph;
  TensorAnalysis a;
  std::vector<bool> read_by_op(g.tensors.size(), false);
  for (const Op& op : g.ops)
    for (int32_t t : op.inputs)
      if (t >= 0 && static_cast<size_t>(t) < g.tensors.size()) read_by_op[static_cast<size_t>(t)] = true;
  std::map<std::string, DtypeCount> counts;
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const Tensor& tensor = g.tensors[t];
    const bool constant = tensor.buffer >= 0 && !g.constant_bytes(static_cast<int32_t>(t)).empty();
    DtypeCount& c = counts[lowercase(dtype_name(tensor.dtype))];
    c.dtype = lowercase(dtype_name(tensor.dtype));
    ++c.tensors;
    if (constant) {
      ++c.constant_tensors;
      c.constant_bytes += static_cast<int64_t>(g.constant_bytes(static_cast<int32_t>(t)).size());
      // Shape operands (int32 reshape targets) are constants but not weights.
      if (read_by_op[t] && (tensor.dtype == DType::kFloat32 || is_integer(tensor.dtype)) &&
          !(tensor.dtype == DType::kInt32 && tensor.shape.size() <= 1 && !tensor.quant.scale.size())) {
        ++a.weight_tensors;
        a.quantized_weights += tensor.dtype != DType::kFloat32 ? 1 : 0;
      }
    } else {
      ++a.activation_tensors;
      a.quantized_activations += is_integer(tensor.dtype) ? 1 : 0;
    }
  }
  for (auto& [name, c] : counts) a.by_dtype.push_back(c);
  std::stable_sort(a.by_dtype.begin(), a.by_dtype.end(),
                   [](const DtypeCount& x, const DtypeCount& y) { return x.tensors > y.tensors; });
  // The quantizer's own reasons; a float conversion keeps every tensor for
  // the same reason, so the list is cut short.
  constexpr size_t kMaxListed = 40;
  size_t kept = 0;
  for (const TensorDecision& d : converted.decisions) {
    if (d.quantized()) continue;
    if (++kept <= kMaxListed) a.kept_float.push_back(d.tensor + " (" + tensor_role_name(d.role) + "): " +
                                                     d.kept_float_because);
  }
  if (kept > kMaxListed)
    a.kept_float.push_back("... and " + std::to_string(kept - kMaxListed) + " more tensors kept float");
  return a;
}

// True when the model's first input is int8 or uint8: real inputs must be
// quantized before they reach it, correctly or by a plain cast.
bool has_integer_input(const Graph& graph) {
  if (graph.inputs.empty() || graph.inputs[0] < 0 || static_cast<size_t>(graph.inputs[0]) >= graph.tensors.size())
    return false;
  const DType dtype = graph.tensors[static_cast<size_t>(graph.inputs[0])].dtype;
  return dtype == DType::kInt8 || dtype == DType::kUInt8;
}

// Compares, value by value, the plain cast of x / scale + zero_point
// (truncated toward zero, wrapped modulo 256) with its correct quantization
// (rounded half away from zero, saturated), for the model's first input.
PlainCastInputs compare_plain_cast(const Graph& graph, const Array& x) {
  PlainCastInputs out;
  const Tensor& input = graph.tensors[static_cast<size_t>(graph.inputs[0])];
  if (input.quant.scale.empty() || input.quant.zero_point.empty() || x.dtype != DType::kFloat32) return out;
  const float scale = input.quant.scale[0];
  const int32_t zero_point = static_cast<int32_t>(input.quant.zero_point[0]);
  const auto [lowest, highest] = quantized_range(input.dtype);
  const float* values = reinterpret_cast<const float*>(x.bytes.data());
  out.values = x.num_elements();
  for (int64_t i = 0; i < out.values; ++i) {
    const PlainCast cast = plain_cast_value(values[i], scale, zero_point);
    const int32_t correct = quantize_value(values[i], scale, zero_point, lowest, highest);
    const int32_t stored = input.dtype == DType::kInt8 ? static_cast<int32_t>(static_cast<int8_t>(cast.low_byte))
                                                       : static_cast<int32_t>(cast.low_byte);
    out.wrapped += cast.truncated < lowest || cast.truncated > highest ? 1 : 0;
    out.changed += stored != correct ? 1 : 0;
  }
  return out;
}

// ---- The engine ---------------------------------------------------------------

class StudyEngine {
 public:
  StudyEngine(const StudyConfig& config, const StudyOptions& options)
      : config_(config), options_(options), cache_(fs::path(options.out_dir) / "cache") {}

  Result<StudyRun> run();

 private:
  // Planning: the datasets, the steps with their keys, their work estimates.
  Status prepare_data();
  void plan();
  int add_step(Step step, const json& key_fields);
  void estimate_work();
  Result<zoo::ModelRequest> model_request(const ModelConfig& m) const;
  std::string model_dir(const ModelConfig& m, Stage stage, Strategy strategy) const;

  // The schedule: each worker takes the first step whose source is done.
  void work(int threads);
  int pick_ready_step();  // under mutex_
  void finish_step(int index, Status status, json record, double seconds);

  // The steps. Each writes its artefacts into its cache entry and fills the
  // completion record: "files" (artefacts that must exist), "published"
  // ([artefact, path under the output directory] pairs) and its result.
  Status execute(Step& step, int threads, json* record);
  Status run_train(const Step& step, json* record);
  Status run_prune(const Step& step, json* record);
  Status run_factorize(const Step& step, json* record);
  Status run_qat(const Step& step, json* record);
  Status run_pipeline(const Step& step, int threads, json* record);
  Status finish_float_step(const Step& step, Graph graph, std::vector<std::string> notes, json* record);
  Result<Graph> load_source_graph(const Step& step) const;
  train::TrainOptions train_options(int epochs) const;

  // Progress.
  void progress_loop();
  std::string progress_line();

  Result<StudyResults> assemble(double wall_seconds);

  const StudyConfig& config_;
  StudyOptions options_;
  StepCache cache_;
  std::map<std::string, PreparedData> data_;  // by dataset name
  std::vector<Step> steps_;
  // step index of train / prune / factorize per model, and qat per (model, stage)
  std::vector<std::map<Stage, int>> stage_step_;
  std::vector<std::map<Stage, int>> qat_step_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_progress_ = false;
  Clock::time_point start_;
  StepCounts counts_;
};

std::string StudyEngine::model_dir(const ModelConfig& m, Stage stage, Strategy strategy) const {
  return (fs::path("models") / m.family / m.arch / stage_name(stage) / strategy_name(strategy)).string();
}


Status StudyEngine::prepare_data() {
  for (const DatasetConfig& d : config_.datasets) {
    QL_ASSIGN_OR_RETURN(PreparedData data, prepare_dataset(d, config_));
    data_[d.name] = std::move(data);
    PreparedData& stored = data_[d.name];
    stored.eval = config_.eval_split == "val" ? &stored.splits.val : &stored.splits.test;
    std::vector<int64_t> first;
    for (int64_t i = 0; i < std::min<int64_t>(config_.debug_samples, stored.eval->size()); ++i) first.push_back(i);
    stored.debug = select_samples(*stored.eval, first);
  }
  return Status::Ok();
}

int StudyEngine::add_step(Step step, const json& key_fields) {
  json key = key_fields;
  key["step"] = step_kind_name(step.kind);
  key["version"] = kCacheFormatVersion;
  if (step.kind == StepKind::kPipeline) key["pipeline_version"] = kPipelineFormatVersion;
  step.key = content_key(key);
  steps_.push_back(std::move(step));
  return static_cast<int>(steps_.size()) - 1;
}

void StudyEngine::plan() {
  const json cfg = config_to_json(config_);
  const json training = cfg["training"];
  stage_step_.assign(config_.models.size(), {});
  qat_step_.assign(config_.models.size(), {});
  auto wants = [&](Stage s) {
    return std::find(config_.stages.begin(), config_.stages.end(), s) != config_.stages.end();
  };
  const bool want_qat = std::find(config_.strategies.begin(), config_.strategies.end(), Strategy::kQat) !=
                        config_.strategies.end();
  for (size_t mi = 0; mi < config_.models.size(); ++mi) {
    const ModelConfig& m = config_.models[mi];
    const PreparedData& data = data_.at(m.dataset);
    // The chain is built up to the last wanted stage: a later stage needs
    // the earlier ones as its starting point.
    const bool need_pruned = wants(Stage::kPruned) || wants(Stage::kFinal);
    Step train_step;
    train_step.kind = StepKind::kTrain;
    train_step.name = "train " + m.arch;
    train_step.model = mi;
    train_step.stage = Stage::kOriginal;
    const int train_index = add_step(train_step, {{"data", data.key},
                                                  {"arch", m.arch},
                                                  {"width_scale", m.width_scale},
                                                  {"seed", config_.seed},
                                                  {"training", training}});
    stage_step_[mi][Stage::kOriginal] = train_index;
    if (need_pruned) {
      Step prune;
      prune.kind = StepKind::kPrune;
      prune.name = "prune " + m.arch;
      prune.model = mi;
      prune.stage = Stage::kPruned;
      prune.source = train_index;
      const int prune_index =
          add_step(prune, {{"from", steps_[static_cast<size_t>(train_index)].key},
                           {"sparsity", m.sparsity.value_or(config_.pruning.sparsity)},
                           {"pruning", cfg["pruning"]},
                           {"training", training}});
      stage_step_[mi][Stage::kPruned] = prune_index;
      if (wants(Stage::kFinal)) {
        Step factorize;
        factorize.kind = StepKind::kFactorize;
        factorize.name = "factorize " + m.arch;
        factorize.model = mi;
        factorize.stage = Stage::kFinal;
        factorize.source = prune_index;
        stage_step_[mi][Stage::kFinal] = add_step(
            factorize,
            {{"from", steps_[static_cast<size_t>(prune_index)].key},
             {"method", compress::factor_method_name(m.factor_method.value_or(config_.factorization.method))},
             {"rank", m.factor_rank.value_or(config_.factorization.rank)},
             {"factorization", cfg["factorization"]},
             {"training", training}});
      }
    }
    for (Stage stage : config_.stages) {
      const int stage_index = stage_step_[mi].at(stage);
      if (want_qat) {
        Step qat;
        qat.kind = StepKind::kQat;
        qat.name = "qat " + m.arch + "/" + stage_name(stage);
        qat.model = mi;
        qat.stage = stage;
        qat.strategy = Strategy::kQat;
        qat.source = stage_index;
        qat_step_[mi][stage] = add_step(qat, {{"from", steps_[static_cast<size_t>(stage_index)].key},
                                              {"qat", cfg["qat"]},
                                              {"batch_size", config_.training.batch_size},
                                              {"patience", config_.training.patience},
                                              {"seed", config_.seed}});
      }
    }
  }
  // Pipelines after every float step, so the workers take the long
  // training chains first and the short pipelines fill in around them.
  for (size_t mi = 0; mi < config_.models.size(); ++mi) {
    const ModelConfig& m = config_.models[mi];
    const PreparedData& data = data_.at(m.dataset);
    for (Stage stage : config_.stages) {
      for (Strategy strategy : config_.strategies) {
        const int source = strategy == Strategy::kPtq ? stage_step_[mi].at(stage) : qat_step_[mi].at(stage);
        for (Scheme scheme : config_.schemes) {
          Step p;
          p.kind = StepKind::kPipeline;
          p.name = m.arch + "/" + stage_name(stage) + "/" + strategy_name(strategy) + "/" + scheme_name(scheme);
          p.model = mi;
          p.stage = stage;
          p.strategy = strategy;
          p.scheme = scheme;
          p.source = source;
          json key = {{"from", steps_[static_cast<size_t>(source)].key},
                      {"scheme", scheme_name(scheme)},
                      {"data", data.key},
                      {"eval_split", config_.eval_split},
                      {"debug_samples", scheme == Scheme::kFloat ? 0 : config_.debug_samples}};
          if (strategy == Strategy::kPtq && scheme_needs_ranges(scheme))
            key["calibration_samples"] = config_.calibration_samples;
          add_step(p, key);
        }
      }
    }
  }
}

void StudyEngine::estimate_work() {
  // Backward passes and the optimizer cost about twice the forward pass;
  // fake quantization roughly doubles a QAT epoch again.
  constexpr double kTrainingFactor = 3.0, kQatFactor = 2.0;
  std::vector<double> macs(config_.models.size(), 1.0);
  for (size_t mi = 0; mi < config_.models.size(); ++mi) {
    auto request = model_request(config_.models[mi]);
    if (!request.ok()) continue;
    auto model = zoo::build_model(*request);
    if (model.ok()) macs[mi] = std::max<double>(1.0, static_cast<double>(summarize(model->graph).total_macs));
  }
  for (Step& s : steps_) {
    const PreparedData& data = data_.at(config_.models[s.model].dataset);
    const double train_samples = static_cast<double>(data.splits.train.size() + data.splits.val.size());
    // Each sample also costs a fixed overhead (op dispatch, batching,
    // small tensors), worth about 2M multiply-accumulates on this kind of
    // model; without it small models look far cheaper than they run.
    const double m = macs[s.model] + 2e6;
    switch (s.kind) {
      case StepKind::kTrain:
        s.work = kTrainingFactor * m * train_samples * config_.training.epochs;
        break;
      case StepKind::kPrune:
        s.work = kTrainingFactor * m * train_samples * (config_.pruning.ramp_epochs + config_.pruning.fine_tune_epochs);
        break;
      case StepKind::kFactorize:
        s.work = kTrainingFactor * m * train_samples * config_.factorization.fine_tune_epochs;
        break;
      case StepKind::kQat:
        s.work = kTrainingFactor * kQatFactor * m * train_samples * config_.qat.epochs;
        break;
      case StepKind::kPipeline: {
        const double debug = s.scheme == Scheme::kFloat ? 0.0 : 3.0 * static_cast<double>(data.debug.size());
        const double calibration = s.strategy == Strategy::kPtq && scheme_needs_ranges(s.scheme)
                                       ? static_cast<double>(config_.calibration_samples)
                                       : 0.0;
        // Integer-input schemes are evaluated twice (correct and plain-cast inputs).
        const double evaluations = s.scheme == Scheme::kFullIntegerInt8Io || s.scheme == Scheme::kFullIntegerUInt8Io
                                       ? 2.0
                                       : 1.0;
        s.work = m * (evaluations * static_cast<double>(data.eval->size()) + debug + calibration);
        break;
      }
    }
  }
}

train::TrainOptions StudyEngine::train_options(int epochs) const {
  train::TrainOptions o;
  o.epochs = epochs;
  o.batch_size = config_.training.batch_size;
  o.learning_rate = config_.training.learning_rate;
  o.patience = config_.training.patience;
  o.seed = config_.seed;
  return o;
}

Result<Graph> StudyEngine::load_source_graph(const Step& step) const {
  const Step& source = steps_[static_cast<size_t>(step.source)];
  return read_tflite_file(cache_.file(source.key, "model.tflite"));
}

// Writes the float model of a train/prune/factorize/qat step into its cache
// entry and its published place, and describes it.
Status StudyEngine::finish_float_step(const Step& step, Graph graph, std::vector<std::string> notes, json* record) {
  const ModelConfig& m = config_.models[step.model];
  QL_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, write_tflite(graph));
  QL_RETURN_IF_ERROR(write_file_atomic(cache_.file(step.key, "model.tflite"), bytes));
  QL_ASSIGN_OR_RETURN(StageModel described, describe_stage_model(graph, bytes));
  described.family = m.family;
  described.size = m.size;
  described.arch = m.arch;
  described.stage = step.stage;
  described.strategy = step.strategy;
  described.path = (fs::path(model_dir(m, step.stage, step.strategy)) / "source-float.tflite").string();
  described.notes = std::move(notes);
  (*record)["stage_model"] = stage_model_to_json(described);
  (*record)["published"] = json::array({json::array({"model.tflite", described.path})});
  return Status::Ok();
}

Result<zoo::ModelRequest> StudyEngine::model_request(const ModelConfig& m) const {
  const PreparedData& data = data_.at(m.dataset);
  QL_ASSIGN_OR_RETURN(zoo::ModelRequest request, zoo::default_request(m.arch));
  request.input_shape = data.splits.train.sample_shape();
  // Multi-hot labels (ECG) take one sigmoid per label; class indices (HAR)
  // a softmax over the classes.
  request.head = data.splits.train.label_kind() == LabelKind::kMultiHot ? zoo::Head::kSigmoid : zoo::Head::kSoftmax;
  request.num_outputs = data.splits.train.num_labels();
  request.width_scale = m.width_scale;
  request.seed = config_.seed;
  return request;
}

Status StudyEngine::run_train(const Step& step, json* record) {
  const ModelConfig& m = config_.models[step.model];
  const PreparedData& data = data_.at(m.dataset);
  QL_ASSIGN_OR_RETURN(const zoo::ModelRequest request, model_request(m));
  QL_ASSIGN_OR_RETURN(zoo::ZooModel model, zoo::build_model(request));
  QL_ASSIGN_OR_RETURN(const train::TrainSummary summary,
                      train::train_graph(&model.graph, data.splits.train, data.splits.val, nullptr,
                                         train_options(config_.training.epochs)));
  std::vector<std::string> notes = model.adaptations;
  std::ostringstream how;
  how << "trained from scratch: width scale " << m.width_scale << ", " << summary.epochs.size()
      << " epochs, kept epoch " << summary.best_epoch;
  if (summary.best_epoch >= 1)
    how << " (validation " << summary.metric_name << " "
        << summary.epochs[static_cast<size_t>(summary.best_epoch - 1)].val_metric << ")";
  notes.push_back(how.str());
  return finish_float_step(step, std::move(model.graph), notes, record);
}

Status StudyEngine::run_prune(const Step& step, json* record) {
  const ModelConfig& m = config_.models[step.model];
  const PreparedData& data = data_.at(m.dataset);
  QL_ASSIGN_OR_RETURN(Graph graph, load_source_graph(step));
  compress::PruneOptions o;
  o.final_sparsity = m.sparsity.value_or(config_.pruning.sparsity);
  o.initial_sparsity = std::min(config_.pruning.initial_sparsity, o.final_sparsity);
  o.schedule = config_.pruning.schedule;
  o.scope = config_.pruning.scope;
  o.mask_update_every = config_.pruning.mask_update_every;
  o.ramp_epochs = config_.pruning.ramp_epochs;
  o.train = train_options(config_.pruning.fine_tune_epochs);
  QL_ASSIGN_OR_RETURN(const compress::PruneSummary summary,
                      compress::prune_graph(&graph, data.splits.train, data.splits.val, nullptr, o));
  std::ostringstream how;
  how << "magnitude-pruned to " << o.final_sparsity << " sparsity (measured " << summary.sparsity.sparsity()
      << " over " << summary.sparsity.layers.size() << " conv/dense weights), " << config_.pruning.ramp_epochs
      << " ramp + " << summary.fine_tune.epochs.size() << " fine-tuning epochs";
  return finish_float_step(step, std::move(graph), {how.str()}, record);
}

Status StudyEngine::run_factorize(const Step& step, json* record) {
  const ModelConfig& m = config_.models[step.model];
  const PreparedData& data = data_.at(m.dataset);
  QL_ASSIGN_OR_RETURN(Graph graph, load_source_graph(step));
  compress::FactorizeOptions o;
  o.method = m.factor_method.value_or(config_.factorization.method);
  o.rank = m.factor_rank.value_or(config_.factorization.rank);
  std::vector<std::string> notes;
  std::vector<compress::FactorizedLayer> layers;
  std::string first_failure;
  auto note_layers = [&](const std::vector<compress::FactorizedLayer>& done, compress::FactorMethod method) {
    for (const compress::FactorizedLayer& l : done) {
      std::ostringstream n;
      n << factor_method_name(method) << " rank " << l.rank << ": " << l.name << " [" << l.out << " x " << l.in
        << "]";
      if (method == compress::FactorMethod::kTensorTrain)
        n << " (in " << l.in_factors[0] << " x " << l.in_factors[1] << ", out " << l.out_factors[0] << " x "
          << l.out_factors[1] << ")";
      n << ", " << l.weights_before << " -> " << l.weights_after << " weights, truncation error "
        << l.relative_error;
      notes.push_back(n.str());
      layers.push_back(l);
    }
  };
  auto first = compress::factorize_dense_layers(&graph, o);
  if (first.ok()) note_layers(*first, o.method);
  else first_failure = first.status().message();
  if (o.method == compress::FactorMethod::kTensorTrain && config_.factorization.svd_fallback) {
    // Dense layers the tensor train cannot shrink (a prime dimension, a
    // rank above its limit) get a truncated SVD instead.
    compress::FactorizeOptions svd = o;
    svd.method = compress::FactorMethod::kSvd;
    auto second = compress::factorize_dense_layers(&graph, svd);
    if (second.ok()) note_layers(*second, compress::FactorMethod::kSvd);
    else if (layers.empty()) first_failure += "; svd: " + second.status().message();
  }
  if (layers.empty())
    return invalid_argument("cannot factorize " + m.arch + ": " + first_failure);
  QL_ASSIGN_OR_RETURN(const train::TrainSummary tuned,
                      compress::fine_tune_keeping_zeros(&graph, data.splits.train, data.splits.val, nullptr,
                                                        train_options(config_.factorization.fine_tune_epochs)));
  notes.push_back("fine-tuned " + std::to_string(tuned.epochs.size()) + " epochs keeping the pruning zeros");
  return finish_float_step(step, std::move(graph), notes, record);
}

Status StudyEngine::run_qat(const Step& step, json* record) {
  const ModelConfig& m = config_.models[step.model];
  const PreparedData& data = data_.at(m.dataset);
  QL_ASSIGN_OR_RETURN(Graph graph, load_source_graph(step));
  train::add_missing_biases(&graph);
  train::QatOptions o;
  o.train = train_options(config_.qat.epochs);
  o.train.learning_rate = config_.qat.learning_rate;
  o.range_decay = config_.qat.range_decay;
  QL_ASSIGN_OR_RETURN(const train::QatResult qat,
                      train::quantization_aware_train(&graph, data.splits.train, data.splits.val, nullptr, o));
  QL_RETURN_IF_ERROR(write_file_atomic(cache_.file(step.key, "ranges.json"), calibration_table_to_json(qat.ranges)));
  std::ostringstream how;
  how << "quantization-aware fine-tuning of the " << stage_name(step.stage) << " model: " << qat.summary.epochs.size()
      << " epochs at learning rate " << config_.qat.learning_rate << ", " << qat.ranges.ranges.size()
      << " learned activation ranges";
  QL_RETURN_IF_ERROR(finish_float_step(step, std::move(graph), {how.str()}, record));
  (*record)["files"] = json::array({"model.tflite", "ranges.json"});
  return Status::Ok();
}

Status StudyEngine::run_pipeline(const Step& step, int threads, json* record) {
  const ModelConfig& m = config_.models[step.model];
  const PreparedData& data = data_.at(m.dataset);
  const Step& source = steps_[static_cast<size_t>(step.source)];
  QL_ASSIGN_OR_RETURN(const Graph float_graph, load_source_graph(step));

  CalibrationTable ranges;
  const CalibrationTable* ranges_ptr = nullptr;
  if (scheme_needs_ranges(step.scheme)) {
    if (step.strategy == Strategy::kQat) {
      QL_ASSIGN_OR_RETURN(const std::string text, read_text_file(cache_.file(source.key, "ranges.json")));
      QL_ASSIGN_OR_RETURN(ranges, calibration_table_from_json(text, "ranges.json"));
    } else {
      CalibrationOptions c;
      c.max_samples = config_.calibration_samples;
      c.interpreter.threads = threads;
      QL_ASSIGN_OR_RETURN(ranges, calibrate(float_graph, {data.splits.train.x}, c));
    }
    ranges_ptr = &ranges;
  }
  QL_ASSIGN_OR_RETURN(const QuantizedGraph converted,
                      convert_model(float_graph, step.scheme, ranges_ptr, ConversionOptions{}));
  QL_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, write_tflite(converted.graph));
  QL_RETURN_IF_ERROR(write_file_atomic(cache_.file(step.key, "model.tflite"), bytes));

  const std::string dir = model_dir(m, step.stage, step.strategy);
  PipelineResult p;
  p.id = step.name;
  p.family = m.family;
  p.size = m.size;
  p.arch = m.arch;
  p.stage = step.stage;
  p.strategy = step.strategy;
  p.scheme = step.scheme;
  p.model_path = (fs::path(dir) / (std::string(scheme_name(step.scheme)) + ".tflite")).string();
  p.file_bytes = static_cast<int64_t>(bytes.size());
  json published = json::array({json::array({"model.tflite", p.model_path})});
  json files = json::array({"model.tflite"});

  EvalOptions eval_options;
  eval_options.threads = threads;
  QL_ASSIGN_OR_RETURN(const EvalResult evaluated, evaluate(converted.graph, *data.eval, eval_options));
  p.task = evaluated.task;
  p.metrics = evaluated.metrics;
  p.eval_seconds = evaluated.seconds;
  p.eval_samples = evaluated.samples;
  if (has_integer_input(converted.graph)) {
    // What a harness that casts (x / scale + zero_point) to the input type
    // would have measured; one more pass over the evaluation split.
    EvalOptions plain_cast = eval_options;
    plain_cast.input_quantization = InputQuantization::kPlainCast;
    QL_ASSIGN_OR_RETURN(const EvalResult naive, evaluate(converted.graph, *data.eval, plain_cast));
    p.plain_cast_metrics = naive.metrics;
    p.plain_cast_inputs = compare_plain_cast(converted.graph, data.eval->x);
  }
  p.tensors = analyse_tensors(converted);

  if (step.scheme != Scheme::kFloat && data.debug.size() > 0) {
    DebugOptions d;
    d.threads = threads;
    auto debugged = debug_quantization(float_graph, converted.graph, {data.debug.x}, d);
    if (!debugged.ok()) {
      p.error = "debug " + step.name + ": " + debugged.status().message();
    } else {
      const DebugReport& report = *debugged;
      DebugReportContext context;
      context.float_model = "source-float.tflite";
      context.quant_model = std::string(scheme_name(step.scheme)) + ".tflite";
      const std::string stem = std::string(scheme_name(step.scheme)) + ".debug";
      const std::vector<std::pair<std::string, std::string>> debug_files = {
          {"layers.csv", layer_stats_csv(report, DebugView::kPropagated)},
          {"layers_isolated.csv", layer_stats_csv(report, DebugView::kIsolated)},
          {"debug.json", debug_report_json(report, context, nullptr)},
          {"summary.md", debug_summary_markdown(report, context, nullptr)},
          {"charts.html", debug_charts_html(report, context)},
      };
      for (const auto& [name, text] : debug_files) {
        QL_RETURN_IF_ERROR(write_file_atomic(cache_.file(step.key, name), text));
        files.push_back(name);
        published.push_back(json::array({name, (fs::path(dir) / stem / name).string()}));
      }
      DebugSummary s;
      s.csv_path = (fs::path(dir) / stem / "layers.csv").string();
      s.json_path = (fs::path(dir) / stem / "debug.json").string();
      s.md_path = (fs::path(dir) / stem / "summary.md").string();
      s.html_path = (fs::path(dir) / stem / "charts.html").string();
      s.samples = report.samples;
      if (!report.outputs.empty()) {
        s.output_mse = report.outputs[0].mean_squared_error;
        s.top1_agreement = report.outputs[0].top1_agreement;
      }
      for (const LayerMetricInfo& metric : layer_metrics()) s.statistics.push_back(metric.name);
      for (const LayerReport& l : report.layers) {
        DebugLayer dl;
        dl.layer = l.layer;
        dl.op_name = l.op_name;
        dl.tensor_name = l.tensor_name;
        for (const LayerMetricInfo& metric : layer_metrics()) {
          if (l.propagated) dl.propagated[metric.name] = metric.value(*l.propagated);
          if (l.isolated) dl.isolated[metric.name] = metric.value(*l.isolated);
        }
        s.layers.push_back(std::move(dl));
      }
      for (const LayerReport* l : worst_layers(report, DebugView::kPropagated, 5)) {
        std::ostringstream w;
        w << l->op_name << " " << l->tensor_name;
        if (l->propagated) {
          if (l->has_scale) w << " (rmse/scale " << l->propagated->rmse_over_scale << ")";
          else w << " (SQNR " << l->propagated->sqnr_db << " dB)";
        }
        s.worst_layers.push_back(w.str());
      }
      p.debug = std::move(s);
    }
  }
  (*record)["pipeline"] = pipeline_to_json(p);
  (*record)["files"] = files;
  (*record)["published"] = published;
  return Status::Ok();
}

Status StudyEngine::execute(Step& step, int threads, json* record) {
  (*record) = json::object();
  (*record)["files"] = json::array({"model.tflite"});
  switch (step.kind) {
    case StepKind::kTrain: return run_train(step, record);
    case StepKind::kPrune: return run_prune(step, record);
    case StepKind::kFactorize: return run_factorize(step, record);
    case StepKind::kQat: return run_qat(step, record);
    case StepKind::kPipeline: return run_pipeline(step, threads, record);
  }
  return internal_error("unknown step kind");
}

int StudyEngine::pick_ready_step() {
  for (size_t i = 0; i < steps_.size(); ++i) {
    Step& s = steps_[i];
    if (s.state != StepState::kPending) continue;
    if (s.source < 0) return static_cast<int>(i);
    const Step& source = steps_[static_cast<size_t>(s.source)];
    if (source.state == StepState::kDone) return static_cast<int>(i);
    if (source.state == StepState::kFailed) {
      // Nothing to run: the step this one reads failed.
      // Sources come before the steps that read them, so one forward pass
      // fails whole chains.
      s.state = StepState::kFailed;
      s.error = source.error;  // names the failed step and its cause
      ++counts_.failed;
      changed_.notify_all();
    }
  }
  return -1;
}

void StudyEngine::finish_step(int index, Status status, json record, double seconds) {
  Step& step = steps_[static_cast<size_t>(index)];
  if (status.ok()) {
    // Publish first, then the record: the record is the step's last write.
    for (const json& entry : record["published"]) {
      const Status published = cache_.publish(step.key, entry[0].get<std::string>(),
                                              (fs::path(options_.out_dir) / entry[1].get<std::string>()).string());
      if (!published.ok()) {
        status = published;
        break;
      }
    }
  }
  if (status.ok()) {
    record["key"] = step.key;
    record["step"] = step.name;
    record["seconds"] = seconds;
    status = cache_.complete(step.key, record);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  step.seconds = seconds;
  if (status.ok()) {
    step.state = StepState::kDone;
    step.record = std::move(record);
    ++counts_.run;
  } else {
    step.state = StepState::kFailed;
    step.error = "step '" + step.name + "' failed: " + status.message();
    ++counts_.failed;
  }
  changed_.notify_all();
}

void StudyEngine::work(int threads) {
  while (true) {
    int index = -1;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      while (true) {
        index = pick_ready_step();
        if (index >= 0) break;
        const bool anything_left = std::any_of(steps_.begin(), steps_.end(), [](const Step& s) {
          return s.state == StepState::kPending || s.state == StepState::kRunning;
        });
        if (!anything_left) return;
        changed_.wait(lock);
      }
      steps_[static_cast<size_t>(index)].state = StepState::kRunning;
    }
    Step& step = steps_[static_cast<size_t>(index)];
    const auto started = Clock::now();
    json record;
    Status status = execute(step, threads, &record);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    finish_step(index, status, std::move(record), seconds);
  }
}

// ---- Progress -----------------------------------------------------------------

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof(text), "%lldh%02lldm", static_cast<long long>(s / 3600),
                               static_cast<long long>((s / 60) % 60));
  else std::snprintf(text, sizeof(text), "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return text;
}

std::string StudyEngine::progress_line() {
  int pipelines = 0, done = 0, running = 0, failed = 0;
  std::vector<std::string> now;
  // Seconds per unit of work, measured on the steps run so far; before the
  // first step finishes, a rate typical of one core.
  double measured_work = 0, measured_seconds = 0, remaining_work = 0;
  for (const Step& s : steps_) {
    if (s.kind == StepKind::kPipeline) {
      ++pipelines;
      done += s.state == StepState::kDone ? 1 : 0;
      running += s.state == StepState::kRunning ? 1 : 0;
      failed += s.state == StepState::kFailed ? 1 : 0;
    }
    if (s.state == StepState::kRunning) now.push_back(s.name);
    if (s.state == StepState::kDone && !s.cached) {
      measured_work += s.work;
      measured_seconds += s.seconds;
    }
    if (s.state == StepState::kPending) remaining_work += s.work;
    if (s.state == StepState::kRunning) remaining_work += s.work / 2;
  }
  const double seconds_per_work = measured_work > 0 ? measured_seconds / measured_work : 1.5e-10;
  const int jobs = std::max(1, options_.jobs);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  std::ostringstream line;
  line << "study: pipelines " << done << " done, " << running << " running, " << failed << " failed of " << pipelines
       << " | " << format_duration(elapsed) << " elapsed, ~" << format_duration(remaining_work * seconds_per_work / jobs)
       << " left";
  if (!now.empty()) {
    line << " | now:";
    for (size_t i = 0; i < now.size() && i < 3; ++i) line << " " << now[i];
  }
  return line.str();
}

// Columns of the terminal on stderr (80 when unknown).
size_t terminal_columns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 10) return size.ws_col;
  return 80;
}

void StudyEngine::progress_loop() {
  const bool terminal = ProgressBar::stderr_is_terminal();
  const auto period = terminal ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000);
  size_t last_width = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    const bool stopping = changed_.wait_for(lock, period, [&] { return stop_progress_; });
    std::string line = progress_line();
    if (terminal) {
      // One screen line, so that the carriage return redraws it in place.
      const size_t columns = terminal_columns() - 1;
      if (line.size() > columns) line = line.substr(0, columns - 3) + "...";
      const size_t width = line.size();
      if (width < last_width) line += std::string(last_width - width, ' ');
      last_width = width;
      std::fprintf(stderr, "\r%s%s", line.c_str(), stopping ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
    if (stopping) break;
  }
}

// ---- Results --------------------------------------------------------------------

Result<StudyResults> StudyEngine::assemble(double wall_seconds) {
  StudyResults r;
  r.name = config_.name;
  r.profile = config_.profile;
  r.config = config_to_json(config_);
  r.wall_seconds = wall_seconds;
  r.jobs = options_.jobs;
  r.profile_notes = config_.profile_notes;
  for (const ModelConfig& m : config_.models) r.datasets[m.family] = data_.at(m.dataset).description;
  for (const Step& s : steps_) {
    if (s.kind == StepKind::kPipeline) continue;
    if (s.kind != StepKind::kQat && std::find(config_.stages.begin(), config_.stages.end(), s.stage) ==
                                        config_.stages.end())
      continue;
    const ModelConfig& m = config_.models[s.model];
    // A QAT step's stage model is a QAT row; a train/prune/factorize
    // step's is the stage's PTQ row when PTQ runs, and is listed anyway
    // (the stage's float model) when only QAT does.
    StageModel model;
    if (s.state == StepState::kDone) {
      QL_RETURN_IF_ERROR(read_stage_model_json(s.record.at("stage_model"), "stage_model",
                                               cache_.file(s.key, "done.json"), &model));
    } else {
      model.family = m.family;
      model.size = m.size;
      model.arch = m.arch;
      model.stage = s.stage;
      model.strategy = s.strategy;
      model.error = s.error.empty() ? "not run" : s.error;
    }
    r.models.push_back(std::move(model));
  }
  for (const Step& s : steps_) {
    if (s.kind != StepKind::kPipeline) continue;
    const ModelConfig& m = config_.models[s.model];
    PipelineResult p;
    if (s.state == StepState::kDone) {
      QL_RETURN_IF_ERROR(read_pipeline_json(s.record.at("pipeline"), "pipeline", cache_.file(s.key, "done.json"), &p));
      p.cached = s.cached;
    } else {
      p.id = s.name;
      p.family = m.family;
      p.size = m.size;
      p.arch = m.arch;
      p.stage = s.stage;
      p.strategy = s.strategy;
      p.scheme = s.scheme;
      p.error = s.error.empty() ? "not run" : s.error;
    }
    r.pipelines.push_back(std::move(p));
  }
  return r;
}

Result<StudyRun> StudyEngine::run() {
  start_ = Clock::now();
  const std::string started_at = iso_utc_now();
  if (options_.jobs <= 0) options_.jobs = ThreadPool::hardware_threads();
  const int cores = ThreadPool::hardware_threads();
  const int threads = train::configure_threads(std::max(1, cores / options_.jobs));
  std::error_code ec;
  fs::create_directories(options_.out_dir, ec);
  if (ec) return io_error("cannot create the output directory " + options_.out_dir + ": " + ec.message());

  QL_RETURN_IF_ERROR(prepare_data());
  plan();
  estimate_work();
  counts_.total = static_cast<int>(steps_.size());
  // Steps complete from an earlier run are taken as they are; their
  // published copies are restored if they went missing.
  for (Step& s : steps_) {
    std::optional<json> record = cache_.load(s.key);
    if (!record) continue;
    bool published = true;
    for (const json& entry : (*record)["published"])
      published = published && cache_.publish(s.key, entry[0].get<std::string>(),
                                               (fs::path(options_.out_dir) / entry[1].get<std::string>()).string())
                                   .ok();
    if (!published) continue;
    s.state = StepState::kDone;
    s.cached = true;
    s.record = std::move(*record);
    ++counts_.cached;
  }

  std::thread progress;
  if (options_.progress) progress = std::thread([this] { progress_loop(); });
  {
    std::vector<std::thread> workers;
    for (int i = 1; i < options_.jobs; ++i) workers.emplace_back([this, threads] { work(threads); });
    work(threads);
    for (std::thread& t : workers) t.join();
  }
  if (progress.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_progress_ = true;
    }
    changed_.notify_all();
    progress.join();
  }

  StudyRun run;
  const double wall = std::chrono::duration<double>(Clock::now() - start_).count();
  QL_ASSIGN_OR_RETURN(run.results, assemble(wall));
  run.results.started_at = started_at;
  run.steps = counts_;
  run.results.steps_total = counts_.total;
  run.results.steps_run = counts_.run;
  run.results.steps_cached = counts_.cached;
  run.results.steps_failed = counts_.failed;
  for (const PipelineResult& p : run.results.pipelines) run.failed_pipelines += p.error.empty() ? 0 : 1;

  const fs::path out(options_.out_dir);
  QL_RETURN_IF_ERROR(write_file_atomic((out / "study.json").string(), config_to_json(config_).dump(2) + "\n"));
  QL_RETURN_IF_ERROR(write_file_atomic((out / "results.json").string(), results_to_json(run.results).dump(1) + "\n"));
  QL_RETURN_IF_ERROR(write_file_atomic((out / "results.csv").string(), results_csv(run.results)));
  run.report_markdown_path = (out / "report.md").string();
  run.report_html_path = (out / "report.html").string();
  QL_RETURN_IF_ERROR(write_file_atomic(run.report_markdown_path, report_markdown(run.results)));
  QL_RETURN_IF_ERROR(write_file_atomic(run.report_html_path, report_html(run.results)));
  return run;
}

}  // namespace

Result<StudyRun> run_study(const StudyConfig& config, const StudyOptions& options) {
  if (config.models.empty()) return invalid_argument("the study has no models");
  StudyEngine engine(config, options);
  return engine.run();
}

Result<std::vector<std::string>> rerender_reports(const std::string& out_dir) {
  const std::string path = (fs::path(out_dir) / "results.json").string();
  QL_ASSIGN_OR_RETURN(const std::string text, read_text_file(path));
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid_argument(path + ": not valid JSON");
  QL_ASSIGN_OR_RETURN(const StudyResults results, results_from_json(doc, path));
  const std::string md = (fs::path(out_dir) / "report.md").string();
  const std::string html = (fs::path(out_dir) / "report.html").string();
  QL_RETURN_IF_ERROR(write_file_atomic(md, report_markdown(results)));
  QL_RETURN_IF_ERROR(write_file_atomic(html, report_html(results)));
  return std::vector<std::string>{md, html};
}

}  // namespace quantlab::study
