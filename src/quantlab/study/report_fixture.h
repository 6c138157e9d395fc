// A small study's results written out by hand, for the report tests: two
// families (SmartWatch, multiclass, lean and fat; BSPC, multilabel, lean
// only), stages original and final, PTQ and QAT, three schemes plus FIQ –
// UInt8 for SmartWatch's lean original model. It holds the cases a report
// must survive: a failed pipeline, a model that could not be made, an
// undefined metric, debugger layers whose tensor names contain "</script>"
// and quotes, and integer-input pipelines with and without a plain-cast
// evaluation (BSPC's have none, as results written before it). Every number is chosen here, so the tests
// derive the expected cells and marks by hand.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "quantlab/study/results.h"

namespace quantlab::study::fixture {

inline constexpr const char* kHostileTensor = "model/dense</script><script>alert(\"it's\")</script>";
// "<!--<script>" inside a script element would make the parser swallow the
// element's real end tag.
inline constexpr const char* kCommentTensor = "Identity \"out\" <!--<script>";
inline constexpr const char* kFailedError = "quantize: tensor <model/dense> has no calibrated range | 0 samples";
inline constexpr const char* kModelError = "factorize: rank 8 exceeds the smallest dimension 4 of model/conv1d";

// The six multiclass metrics of a model with accuracy `a`: offsets chosen so
// each column differs and the marks can be worked out from `a` alone.
inline std::vector<Metric> multiclass_metrics(double a) {
  return {{"Accuracy", a},           {"Precision", a - 0.010},          {"Recall", a - 0.020},
          {"F1", a - 0.015},         {"Balanced Accuracy", a - 0.005},  {"Cohen's Kappa", a - 0.100}};
}

inline std::vector<Metric> multilabel_metrics(double binary_accuracy) {
  return {{"Binary Accuracy", binary_accuracy},
          {"Precision", binary_accuracy - 0.030},
          {"Recall", binary_accuracy - 0.040},
          {"F1", binary_accuracy - 0.035},
          {"Hamming Loss", 1.0 - binary_accuracy, false},
          {"Jaccard Score", binary_accuracy - 0.200},
          {"Exact Match", binary_accuracy - 0.300}};
}

inline TensorAnalysis float_analysis() {
  TensorAnalysis a;
  a.by_dtype = {{"float32", 20, 9, 3000}, {"int32", 1, 1, 8}};
  a.activation_tensors = 11;
  a.weight_tensors = 8;
  return a;
}

inline TensorAnalysis drq_analysis() {
  TensorAnalysis a;
  a.by_dtype = {{"float32", 19, 8, 1464}, {"int8", 1, 1, 1536}, {"int32", 1, 1, 8}};
  a.activation_tensors = 11;
  a.weight_tensors = 8;
  a.quantized_weights = 1;
  a.kept_float = {"model/conv2d/Conv2D: 16 elements, fewer than 1024", "model/conv2d/BiasAdd: bias"};
  return a;
}

inline TensorAnalysis fiq_int8_analysis() {
  TensorAnalysis a;
  a.by_dtype = {{"int8", 19, 4, 1600}, {"int32", 4, 4, 40}};
  a.activation_tensors = 11;
  a.quantized_activations = 11;
  a.weight_tensors = 8;
  a.quantized_weights = 8;
  return a;
}

inline DebugSummary debug_summary(const std::string& stem, double rmse_first) {
  DebugSummary d;
  d.csv_path = "debug/" + stem + ".csv";
  d.json_path = "debug/" + stem + ".json";
  d.md_path = "debug/" + stem + ".md";
  d.html_path = "debug/" + stem + ".html";
  d.samples = 50;
  d.output_mse = 0.0123;
  d.top1_agreement = 0.96;
  d.statistics = {"rmse/scale", "cosine_similarity", "sqnr_db"};
  d.layers = {
      {0, "CONV_2D", "model/conv2d/Relu", {{"rmse/scale", rmse_first}, {"cosine_similarity", 0.999}, {"sqnr_db", 31.5}}, {}},
      {1, "FULLY_CONNECTED", kHostileTensor,
       {{"rmse/scale", 0.41}, {"cosine_similarity", std::numeric_limits<double>::quiet_NaN()}, {"sqnr_db", 12.0}},
       {}},
      {2, "SOFTMAX", kCommentTensor, {{"rmse/scale", 0.05}, {"cosine_similarity", 0.98}, {"sqnr_db", 20.0}}, {}},
  };
  d.worst_layers = {std::string("FULLY_CONNECTED ") + kHostileTensor + " (rmse/scale 0.41)",
                    "CONV_2D model/conv2d/Relu (rmse/scale 0.30)"};
  return d;
}

struct Outcome {
  const char* size;
  Stage stage;
  Strategy strategy;
  Scheme scheme;
  double value;  // accuracy (SmartWatch) or binary accuracy (BSPC); NaN: the metric is undefined
  // The main metric with plain-cast inputs (integer-input schemes); NaN:
  // not evaluated that way (as in results written before that evaluation).
  double plain_cast = std::numeric_limits<double>::quiet_NaN();
};

inline StudyResults make_results() {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  StudyResults r;
  r.name = "fixture study";
  r.profile = "quick";
  r.started_at = "2026-11-30T09:00:00Z";
  r.wall_seconds = 252.0;
  r.jobs = 2;
  r.profile_notes = {"widths x0.5", "2,000 synthetic windows instead of 10,299"};
  r.steps_total = 40;
  r.steps_run = 30;
  r.steps_cached = 8;
  r.steps_failed = 2;
  r.datasets = {{"SmartWatch", "synthetic HAR windows, 6 classes, 30 subjects"},
                {"BSPC", "synthetic 12-lead ECG records, 5 labels"}};
  r.config = {
      {"name", "fixture study"},
      {"datasets", {{{"name", "har"}, {"kind", "har"}}, {{"name", "ecg"}, {"kind", "ecg"}}}},
      {"models",
       {{{"family", "SmartWatch"}, {"size", "lean"}, {"arch", "smartwatch-lean"}},
        {{"family", "SmartWatch"}, {"size", "fat"}, {"arch", "smartwatch-fat"}},
        {{"family", "BSPC"}, {"size", "lean"}, {"arch", "bspc-lean"}}}},
      {"stages", {"original", "final"}},
      {"strategies", {"ptq", "qat"}},
      {"schemes", {"float", "drq", "fiq-int8", "fiq-uint8"}},
      {"note", "a </script> in the config stays text"},
  };

  // Float models. SmartWatch: 2,456 parameters before pruning, the final
  // models half the deflated size. BSPC's final model could not be made.
  for (const char* size : {"lean", "fat"})
    for (Stage stage : {Stage::kOriginal, Stage::kFinal})
      for (Strategy strategy : {Strategy::kPtq, Strategy::kQat}) {
        StageModel m;
        m.family = "SmartWatch";
        m.size = size;
        m.arch = std::string("smartwatch-") + size;
        m.stage = stage;
        m.strategy = strategy;
        m.path = std::string("models/") + m.arch + "." + stage_name(stage) + "." + strategy_name(strategy) + ".tflite";
        const bool fat = std::string(size) == "fat";
        m.parameters = stage == Stage::kOriginal ? (fat ? 9824 : 2456) : (fat ? 3000 : 1100);
        m.nonzero_parameters = stage == Stage::kOriginal ? m.parameters : m.parameters / 5;
        m.sparsity = stage == Stage::kOriginal ? 0.0 : 0.8;
        m.macs = stage == Stage::kOriginal ? 120000 : 40000;
        m.file_bytes = stage == Stage::kOriginal ? 12000 : 6000;
        m.deflated_bytes = stage == Stage::kOriginal ? 2000 : 1000;
        if (stage == Stage::kFinal) m.notes = {"dense: tensor train, rank 8", "conv2d_1: SVD, rank 4"};
        m.layers = {{0, "CONV_2D", "model/conv2d/Relu", "[1, 50, 6, 4]"},
                    {1, "FULLY_CONNECTED", kHostileTensor, "[1, 6]"},
                    {2, "SOFTMAX", kCommentTensor, "[1, 6]"}};
        r.models.push_back(m);
      }
  for (Stage stage : {Stage::kOriginal, Stage::kFinal})
    for (Strategy strategy : {Strategy::kPtq, Strategy::kQat}) {
      StageModel m;
      m.family = "BSPC";
      m.size = "lean";
      m.arch = "bspc-lean";
      m.stage = stage;
      m.strategy = strategy;
      if (stage == Stage::kFinal) {
        m.error = kModelError;
      } else {
        m.parameters = 5000;
        m.nonzero_parameters = 5000;
        m.macs = 90000;
        m.file_bytes = 22000;
        m.deflated_bytes = 19000;
        m.layers = {{0, "CONV_2D", "model/conv1d/Relu", "[1, 250, 1, 8]"}, {1, "LOGISTIC", "Identity", "[1, 5]"}};
      }
      r.models.push_back(m);
    }

  const std::vector<Outcome> smartwatch = {
      // PTQ: the original study's SmartWatch numbers, rounded.
      {"lean", Stage::kOriginal, Strategy::kPtq, Scheme::kFloat, 0.934},
      {"lean", Stage::kOriginal, Strategy::kPtq, Scheme::kDynamicRange, 0.934},
      {"lean", Stage::kOriginal, Strategy::kPtq, Scheme::kFullIntegerInt8Io, 0.809, 0.412},
      {"fat", Stage::kOriginal, Strategy::kPtq, Scheme::kFloat, 0.949},
      {"fat", Stage::kOriginal, Strategy::kPtq, Scheme::kDynamicRange, 0.948},
      {"fat", Stage::kOriginal, Strategy::kPtq, Scheme::kFullIntegerInt8Io, 0.821, 0.655},
      {"lean", Stage::kFinal, Strategy::kPtq, Scheme::kFloat, 0.923},
      {"lean", Stage::kFinal, Strategy::kPtq, Scheme::kDynamicRange, 0.923},
      {"lean", Stage::kFinal, Strategy::kPtq, Scheme::kFullIntegerInt8Io, 0.776, 0.776},
      {"fat", Stage::kFinal, Strategy::kPtq, Scheme::kFloat, 0.940},
      {"fat", Stage::kFinal, Strategy::kPtq, Scheme::kDynamicRange, kNaN},
      // fat/final/ptq/fiq-int8 fails (added below).
      {"lean", Stage::kOriginal, Strategy::kQat, Scheme::kFloat, 0.917},
      {"lean", Stage::kOriginal, Strategy::kQat, Scheme::kDynamicRange, 0.939},
      {"lean", Stage::kOriginal, Strategy::kQat, Scheme::kFullIntegerInt8Io, 0.830, 0.800},
      {"fat", Stage::kOriginal, Strategy::kQat, Scheme::kFloat, 0.914},
      {"fat", Stage::kOriginal, Strategy::kQat, Scheme::kDynamicRange, 0.951},
      {"fat", Stage::kOriginal, Strategy::kQat, Scheme::kFullIntegerInt8Io, 0.750},
      {"lean", Stage::kFinal, Strategy::kQat, Scheme::kFloat, 0.908},
      {"lean", Stage::kFinal, Strategy::kQat, Scheme::kDynamicRange, 0.904},
      {"lean", Stage::kFinal, Strategy::kQat, Scheme::kFullIntegerInt8Io, 0.624, 0.500},
      {"fat", Stage::kFinal, Strategy::kQat, Scheme::kFloat, 0.919},
      {"fat", Stage::kFinal, Strategy::kQat, Scheme::kDynamicRange, 0.918},
      {"fat", Stage::kFinal, Strategy::kQat, Scheme::kFullIntegerInt8Io, 0.700, 0.650},
      // FIQ – UInt8 for the lean original model only.
      {"lean", Stage::kOriginal, Strategy::kPtq, Scheme::kFullIntegerUInt8Io, 0.809, 0.209},
      {"lean", Stage::kOriginal, Strategy::kQat, Scheme::kFullIntegerUInt8Io, 0.833, 0.833},
  };
  auto add = [&](const std::string& family, const std::string& arch_prefix, Task task, const Outcome& c) {
    PipelineResult p;
    p.family = family;
    p.size = c.size;
    p.arch = arch_prefix + c.size;
    p.stage = c.stage;
    p.strategy = c.strategy;
    p.scheme = c.scheme;
    p.id = p.arch + "/" + stage_name(c.stage) + "/" + strategy_name(c.strategy) + "/" + scheme_name(c.scheme);
    p.model_path = "models/" + p.arch + "." + stage_name(c.stage) + "." + strategy_name(c.strategy) + "." +
                   scheme_name(c.scheme) + ".tflite";
    p.file_bytes = c.scheme == Scheme::kFloat ? 12000 : (c.scheme == Scheme::kDynamicRange ? 11000 : 5000);
    p.task = task;
    p.metrics = task == Task::kMultilabel ? multilabel_metrics(c.value) : multiclass_metrics(c.value);
    if (!std::isnan(c.plain_cast)) {
      p.plain_cast_metrics =
          task == Task::kMultilabel ? multilabel_metrics(c.plain_cast) : multiclass_metrics(c.plain_cast);
      // 60 test windows of 600 values; the cast changes half of them, and
      // wraps 90 only for the UInt8 PTQ model.
      const bool wraps = c.scheme == Scheme::kFullIntegerUInt8Io && c.strategy == Strategy::kPtq;
      p.plain_cast_inputs = PlainCastInputs{36000, 18000, wraps ? 90 : 0};
    }
    p.eval_samples = 600;
    if (c.scheme == Scheme::kFloat) p.tensors = float_analysis();
    if (c.scheme == Scheme::kDynamicRange) p.tensors = drq_analysis();
    if (c.scheme == Scheme::kFullIntegerInt8Io) p.tensors = fiq_int8_analysis();
    r.pipelines.push_back(p);
  };
  for (const Outcome& c : smartwatch) add("SmartWatch", "smartwatch-", Task::kMulticlass, c);

  PipelineResult failed;
  failed.family = "SmartWatch";
  failed.size = "fat";
  failed.arch = "smartwatch-fat";
  failed.stage = Stage::kFinal;
  failed.strategy = Strategy::kPtq;
  failed.scheme = Scheme::kFullIntegerInt8Io;
  failed.id = "smartwatch-fat/final/ptq/fiq-int8";
  failed.task = Task::kMulticlass;
  failed.error = kFailedError;
  r.pipelines.push_back(failed);

  const std::vector<Outcome> bspc = {
      {"lean", Stage::kOriginal, Strategy::kPtq, Scheme::kFloat, 0.862},
      {"lean", Stage::kOriginal, Strategy::kPtq, Scheme::kDynamicRange, 0.861},
      {"lean", Stage::kOriginal, Strategy::kPtq, Scheme::kFullIntegerInt8Io, 0.843},
      {"lean", Stage::kOriginal, Strategy::kQat, Scheme::kFloat, 0.878},
      {"lean", Stage::kOriginal, Strategy::kQat, Scheme::kDynamicRange, 0.873},
      {"lean", Stage::kOriginal, Strategy::kQat, Scheme::kFullIntegerInt8Io, 0.851},
  };
  for (const Outcome& c : bspc) add("BSPC", "bspc-", Task::kMultilabel, c);

  // Debugger runs: PTQ fiq-int8 of three SmartWatch versions (the fourth
  // failed) and PTQ DRQ of one.
  for (PipelineResult& p : r.pipelines) {
    if (p.family != "SmartWatch" || p.strategy != Strategy::kPtq || !p.error.empty()) continue;
    if (p.scheme == Scheme::kFullIntegerInt8Io)
      p.debug = debug_summary(p.arch + "." + stage_name(p.stage) + ".fiq-int8", p.size == "lean" ? 0.30 : 0.20);
    if (p.scheme == Scheme::kDynamicRange && p.size == "lean" && p.stage == Stage::kOriginal)
      p.debug = debug_summary(p.arch + ".original.drq", 0.10);
  }
  r.pipelines[0].cached = true;
  return r;
}

}  // namespace quantlab::study::fixture
