#include "quantlab/study/runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <vector>
#include <string>

#include "quantlab/core/file_io.h"
#include "quantlab/data/synth.h"
#include "quantlab/eval/evaluate.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/study/config.h"
#include "quantlab/tflite/reader.h"

namespace quantlab::study {
namespace {

namespace fs = std::filesystem;

// One family, one size, one epoch everywhere: 30 pipelines in seconds.
StudyConfig tiny_config() {
  auto parsed = parse_study_config(R"({
    "name": "tiny", "seed": 3,
    "datasets": [{"name": "har", "kind": "har", "samples": 120, "subjects": 6}],
    "models": [{"family": "SmartWatch", "size": "lean", "arch": "smartwatch-lean", "dataset": "har",
                "width_scale": 1.0, "sparsity": 0.5}],
    "training": {"epochs": 1, "batch_size": 32, "patience": 0},
    "pruning": {"ramp_epochs": 1, "fine_tune_epochs": 1},
    "factorization": {"rank": 2, "fine_tune_epochs": 1},
    "qat": {"epochs": 1},
    "calibration_samples": 16,
    "debug_samples": 4
  })",
                                   "tiny");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return *parsed;
}

class StudyRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("quantlab_study_runner_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  StudyRun run(const StudyConfig& config, int jobs = 2) {
    StudyOptions options;
    options.out_dir = dir_.string();
    options.jobs = jobs;
    options.progress = false;
    auto result = run_study(config, options);
    EXPECT_TRUE(result.ok()) << result.status().message();
    return result.ok() ? *result : StudyRun{};
  }

  fs::path dir_;
};

// Pipelines as JSON without the per-run fields (timings, cached flag).
nlohmann::json comparable(const StudyResults& r) {
  nlohmann::json doc = results_to_json(r)["pipelines"];
  for (nlohmann::json& p : doc) {
    p.erase("cached");
    p.erase("eval_seconds");
  }
  return doc;
}

TEST_F(StudyRunnerTest, RunsEveryPipelineWritesOutputsAndRerunsFromCache) {
  const StudyConfig config = tiny_config();
  const StudyRun first = run(config);
  EXPECT_EQ(first.steps.total, 36);  // train, prune, factorize, 3 qat, 30 pipelines
  EXPECT_EQ(first.steps.run, 36);
  EXPECT_EQ(first.steps.cached, 0);
  EXPECT_EQ(first.failed_pipelines, 0);
  ASSERT_EQ(first.results.pipelines.size(), 30u);
  ASSERT_EQ(first.results.models.size(), 6u);  // 3 stages x (PTQ, QAT)
  for (const PipelineResult& p : first.results.pipelines) {
    EXPECT_TRUE(p.error.empty()) << p.id << ": " << p.error;
    ASSERT_EQ(p.metrics.size(), 6u) << p.id;
    EXPECT_EQ(p.metrics[0].name, "Accuracy");
    EXPECT_TRUE(fs::is_regular_file(dir_ / p.model_path)) << p.model_path;
    ASSERT_TRUE(p.tensors.has_value());
    EXPECT_EQ(p.debug.has_value(), p.scheme != Scheme::kFloat) << p.id;
    if (p.debug) {
      EXPECT_EQ(p.debug->samples, 4);
      EXPECT_FALSE(p.debug->layers.empty());
      EXPECT_TRUE(fs::is_regular_file(dir_ / p.debug->html_path));
      EXPECT_TRUE(fs::is_regular_file(dir_ / p.debug->csv_path));
    }
    // Full-integer conversions hold int8 weights; the float one none.
    const bool integer = p.scheme == Scheme::kFullIntegerInt8Io || p.scheme == Scheme::kFullIntegerUInt8Io ||
                         p.scheme == Scheme::kFullIntegerFloatIo;
    if (integer) {
      EXPECT_EQ(p.tensors->quantized_weights, p.tensors->weight_tensors) << p.id;
    }
    if (p.scheme == Scheme::kFloat) {
      EXPECT_EQ(p.tensors->quantized_weights, 0) << p.id;
    }
    // Only the schemes with integer model inputs are also evaluated with
    // plain-cast inputs, on the same six metrics.
    const bool integer_input = p.scheme == Scheme::kFullIntegerInt8Io || p.scheme == Scheme::kFullIntegerUInt8Io;
    if (integer_input) {
      ASSERT_EQ(p.plain_cast_metrics.size(), 6u) << p.id;
      EXPECT_EQ(p.plain_cast_metrics[0].name, "Accuracy");
      ASSERT_TRUE(p.plain_cast_inputs.has_value()) << p.id;
      EXPECT_GT(p.plain_cast_inputs->values, 0) << p.id;
    } else {
      EXPECT_TRUE(p.plain_cast_metrics.empty()) << p.id;
      EXPECT_FALSE(p.plain_cast_inputs.has_value()) << p.id;
    }
  }
  for (const char* name : {"results.json", "results.csv", "report.md", "report.html", "study.json"})
    EXPECT_TRUE(fs::is_regular_file(dir_ / name)) << name;

  // The accuracy in the results is the fraction of test windows whose
  // argmax matches the label, recounted here from the published model.
  synth::HarOptions har;
  har.seed = 3;
  har.num_windows = 120;
  har.num_subjects = 6;
  auto splits = synth::generate_har(har);
  ASSERT_TRUE(splits.ok());
  auto stats = compute_normalization(splits->train);
  ASSERT_TRUE(stats.ok());
  ASSERT_TRUE(apply_normalization(&splits->test, *stats).ok());
  const PipelineResult& int8 = first.results.pipelines[3];
  ASSERT_EQ(int8.id, "smartwatch-lean/original/ptq/fiq-int8");
  auto model = read_tflite_file((dir_ / int8.model_path).string());
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto scores = predict_scores(*model, splits->test.x, EvalOptions{});
  ASSERT_TRUE(scores.ok()) << scores.status().message();
  const float* s = reinterpret_cast<const float*>(scores->bytes.data());
  const int32_t* labels = reinterpret_cast<const int32_t*>(splits->test.y.bytes.data());
  int64_t correct = 0;
  const int64_t n = splits->test.size();
  for (int64_t i = 0; i < n; ++i) {
    int best = 0;
    for (int c = 1; c < 6; ++c)
      if (s[i * 6 + c] > s[i * 6 + best]) best = c;
    correct += best == labels[i] ? 1 : 0;
  }
  EXPECT_DOUBLE_EQ(int8.metric("Accuracy"), static_cast<double>(correct) / static_cast<double>(n));

  // The plain-cast accuracy, recounted the naive harness's way: each input
  // value x / scale + zero_point truncated toward zero, wrapped modulo 256
  // into int8, fed to the interpreter as it is; the argmax of the int8
  // outputs (dequantization keeps their order) against the label.
  {
    auto interpreter = Interpreter::create(*model);
    ASSERT_TRUE(interpreter.ok()) << interpreter.status().message();
    const TensorInfo& input = (*interpreter)->input_info(0);
    const TensorInfo& output = (*interpreter)->output_info(0);
    ASSERT_EQ(input.dtype, DType::kInt8);
    ASSERT_EQ(output.dtype, DType::kInt8);
    ASSERT_EQ(output.num_elements(), 6);
    const double scale = input.scale();
    const int32_t zero_point = input.zero_point();
    ASSERT_GT(scale, 0.0);
    const int64_t values = splits->test.x.num_elements();
    ASSERT_EQ(values, n * input.num_elements());
    const float* x = reinterpret_cast<const float*>(splits->test.x.bytes.data());
    std::vector<int8_t> cast(static_cast<size_t>(values));
    int64_t differs_from_rounding = 0, outside = 0;
    for (int64_t i = 0; i < values; ++i) {
      const double real = static_cast<double>(x[i]) / scale + zero_point;
      const int64_t truncated = static_cast<int64_t>(real);  // toward zero
      outside += truncated < -128 || truncated > 127 ? 1 : 0;
      const int64_t wrapped = ((truncated % 256) + 256) % 256;
      cast[static_cast<size_t>(i)] = static_cast<int8_t>(wrapped >= 128 ? wrapped - 256 : wrapped);
      const double rounded = std::min(127.0, std::max(-128.0, std::round(real)));
      differs_from_rounding += cast[static_cast<size_t>(i)] != static_cast<int8_t>(rounded) ? 1 : 0;
    }
    EXPECT_GT(differs_from_rounding, 0) << "the test data never tells the two quantizations apart";
    // The report's input counts are these.
    ASSERT_TRUE(int8.plain_cast_inputs.has_value());
    EXPECT_EQ(int8.plain_cast_inputs->values, values);
    EXPECT_EQ(int8.plain_cast_inputs->changed, differs_from_rounding);
    EXPECT_EQ(int8.plain_cast_inputs->wrapped, outside);
    std::vector<int8_t> outputs(static_cast<size_t>(n * 6));
    ASSERT_TRUE((*interpreter)->invoke(n, {cast.data()}, {outputs.data()}).ok());
    int64_t naive_correct = 0;
    for (int64_t i = 0; i < n; ++i) {
      int best = 0;
      for (int c = 1; c < 6; ++c)
        if (outputs[static_cast<size_t>(i * 6 + c)] > outputs[static_cast<size_t>(i * 6 + best)]) best = c;
      naive_correct += best == labels[i] ? 1 : 0;
    }
    EXPECT_DOUBLE_EQ(int8.plain_cast_metric("Accuracy"), static_cast<double>(naive_correct) / static_cast<double>(n));
  }

  // results.json round-trips; results.csv has one row per pipeline and metric.
  auto text = read_text_file((dir_ / "results.json").string());
  ASSERT_TRUE(text.ok());
  auto reread = results_from_json(nlohmann::json::parse(*text), "results.json");
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  EXPECT_EQ(results_to_json(*reread).dump(), nlohmann::json::parse(*text).dump());
  EXPECT_EQ(reread->steps_run, 36);
  EXPECT_EQ(reread->steps_total, 36);
  auto csv = read_text_file((dir_ / "results.csv").string());
  ASSERT_TRUE(csv.ok());
  std::istringstream lines(*csv);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) rows += line.empty() ? 0 : 1;
  EXPECT_EQ(rows, 1 + 30 * 6);

  // The pruned stage holds the configured share of zeros.
  for (const StageModel& m : first.results.models) {
    EXPECT_TRUE(m.error.empty()) << m.error;
    if (m.stage != Stage::kOriginal) {
      EXPECT_NEAR(m.sparsity, 0.5, 0.05) << stage_name(m.stage);
    }
  }

  // A rerun of the same configuration runs nothing and gives the same results.
  const StudyRun second = run(config);
  EXPECT_EQ(second.steps.run, 0);
  EXPECT_EQ(second.steps.cached, 36);
  EXPECT_EQ(second.results.steps_cached, 36);
  EXPECT_EQ(second.results.steps_run, 0);
  for (const PipelineResult& p : second.results.pipelines) EXPECT_TRUE(p.cached);
  EXPECT_EQ(comparable(second.results), comparable(first.results));

  // Changing the QAT epochs redoes the QAT steps and their pipelines only.
  StudyConfig more_qat = config;
  more_qat.qat.epochs = 2;
  const StudyRun third = run(more_qat);
  EXPECT_EQ(third.steps.run, 3 + 15);
  EXPECT_EQ(third.steps.cached, 36 - 18);
  for (const PipelineResult& p : third.results.pipelines)
    EXPECT_EQ(p.cached, p.strategy == Strategy::kPtq) << p.id;
}

TEST_F(StudyRunnerTest, FailedStepFailsItsPipelinesOnly) {
  StudyConfig config = tiny_config();
  config.models[0].factor_rank = 100000;  // no dense layer has that many rows
  config.strategies = {Strategy::kPtq};
  const StudyRun result = run(config, 1);
  ASSERT_EQ(result.results.pipelines.size(), 15u);
  EXPECT_EQ(result.failed_pipelines, 5);
  EXPECT_EQ(result.steps.failed, 1 + 5);
  for (const PipelineResult& p : result.results.pipelines) {
    if (p.stage == Stage::kFinal) {
      EXPECT_NE(p.error.find("step 'factorize smartwatch-lean' failed"), std::string::npos) << p.error;
      EXPECT_NE(p.error.find("rank-100000"), std::string::npos) << p.error;
      EXPECT_TRUE(p.metrics.empty());
    } else {
      EXPECT_TRUE(p.error.empty()) << p.id << ": " << p.error;
      EXPECT_EQ(p.metrics.size(), 6u);
    }
  }
  bool final_model_failed = false;
  for (const StageModel& m : result.results.models)
    if (m.stage == Stage::kFinal) final_model_failed = !m.error.empty();
  EXPECT_TRUE(final_model_failed);
  EXPECT_TRUE(fs::is_regular_file(dir_ / "report.html"));
}

}  // namespace
}  // namespace quantlab::study
