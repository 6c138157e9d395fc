// Classification metrics against scikit-learn: many random cases and the
// edge cases where zero-division conventions matter are written to .npy,
// scored by tests/oracles/classification_metrics.py under the system
// Python, and every value must agree to 1e-9.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "quantlab/core/file_io.h"
#include "quantlab/data/npy.h"
#include "quantlab/data/test_python.h"
#include "quantlab/metrics/classification.h"

namespace quantlab {
namespace {

using nlohmann::json;

constexpr double kTolerance = 1e-9;

enum class CaseKind { kMulticlass, kMultilabel, kBinary };

struct MetricCase {
  std::string name;
  CaseKind kind = CaseKind::kMulticlass;
  int32_t num_classes = 2;               // multiclass and binary
  std::vector<int32_t> y_true, y_pred;   // multiclass and binary
  Array multi_true, multi_pred;          // multilabel: uint8 [N, L]
};

MetricCase multiclass_case(std::string name, int32_t k, std::vector<int32_t> t, std::vector<int32_t> p) {
  MetricCase c;
  c.name = std::move(name);
  c.num_classes = k;
  c.y_true = std::move(t);
  c.y_pred = std::move(p);
  return c;
}

MetricCase binary_case(std::string name, std::vector<int32_t> t, std::vector<int32_t> p) {
  MetricCase c = multiclass_case(std::move(name), 2, std::move(t), std::move(p));
  c.kind = CaseKind::kBinary;
  return c;
}

MetricCase multilabel_case(std::string name, int32_t rows, int32_t labels, const std::vector<uint8_t>& t,
                           const std::vector<uint8_t>& p) {
  MetricCase c;
  c.name = std::move(name);
  c.kind = CaseKind::kMultilabel;
  c.multi_true = Array::from_vector<uint8_t>({rows, labels}, t);
  c.multi_pred = Array::from_vector<uint8_t>({rows, labels}, p);
  return c;
}

int32_t draw(std::mt19937_64& rng, int32_t lo, int32_t hi) {  // inclusive
  return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
}
double draw_unit(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

std::vector<MetricCase> build_cases() {
  std::vector<MetricCase> cases;
  // ---- multiclass edge cases ----
  cases.push_back(multiclass_case("mc_never_predicted", 3, {0, 1, 2, 2, 1, 0}, {0, 1, 1, 1, 1, 0}));
  cases.push_back(multiclass_case("mc_never_present", 3, {0, 1, 1, 0, 1, 0}, {0, 2, 1, 2, 1, 0}));
  cases.push_back(multiclass_case("mc_absent_classes", 5, {0, 1, 2, 2, 1, 0, 2}, {0, 2, 2, 1, 1, 0, 2}));
  cases.push_back(multiclass_case("mc_all_correct", 4, {3, 0, 1, 2, 2, 3}, {3, 0, 1, 2, 2, 3}));
  cases.push_back(multiclass_case("mc_all_wrong", 4, {3, 0, 1, 2, 2, 3}, {0, 1, 2, 3, 3, 0}));
  cases.push_back(multiclass_case("mc_single_class", 1, {0, 0, 0, 0}, {0, 0, 0, 0}));
  cases.push_back(multiclass_case("mc_single_true_class_other_predicted", 3, {1, 1, 1}, {1, 2, 1}));
  cases.push_back(multiclass_case("mc_single_sample", 6, {4}, {2}));
  cases.push_back(multiclass_case("mc_constant_prediction", 3, {0, 1, 2, 1, 0, 2, 2}, {1, 1, 1, 1, 1, 1, 1}));
  cases.push_back(multiclass_case("mc_disjoint", 4, {0, 0, 1, 1}, {2, 3, 2, 3}));
  // ---- multilabel edge cases (rows of L entries) ----
  cases.push_back(multilabel_case("ml_empty_column", 4, 3, {1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0},
                                  {1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0}));
  cases.push_back(multilabel_case("ml_column_only_predicted", 3, 3, {1, 0, 0, 0, 1, 0, 1, 1, 0},
                                  {1, 0, 1, 0, 1, 1, 1, 0, 0}));
  cases.push_back(multilabel_case("ml_column_only_true", 3, 2, {1, 1, 0, 1, 1, 0}, {1, 0, 0, 0, 1, 0}));
  cases.push_back(multilabel_case("ml_all_correct", 3, 3, {1, 0, 1, 0, 0, 1, 1, 1, 0}, {1, 0, 1, 0, 0, 1, 1, 1, 0}));
  cases.push_back(multilabel_case("ml_all_wrong", 2, 3, {1, 0, 1, 0, 1, 0}, {0, 1, 0, 1, 0, 1}));
  cases.push_back(multilabel_case("ml_all_zero", 3, 2, {0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}));
  cases.push_back(multilabel_case("ml_all_one", 2, 3, {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}));
  cases.push_back(multilabel_case("ml_empty_rows", 4, 2, {0, 0, 1, 0, 0, 0, 0, 1}, {0, 0, 1, 1, 0, 1, 0, 0}));
  cases.push_back(multilabel_case("ml_nothing_predicted", 3, 2, {1, 0, 0, 1, 1, 1}, {0, 0, 0, 0, 0, 0}));
  cases.push_back(multilabel_case("ml_single_row", 1, 4, {1, 0, 1, 0}, {1, 1, 0, 0}));
  // ---- binary edge cases ----
  cases.push_back(binary_case("bin_all_zero", {0, 0, 0}, {0, 0, 0}));
  cases.push_back(binary_case("bin_all_one", {1, 1, 1}, {1, 1, 1}));
  cases.push_back(binary_case("bin_no_positive_prediction", {1, 0, 1, 0}, {0, 0, 0, 0}));
  cases.push_back(binary_case("bin_no_positive_label", {0, 0, 0, 0}, {0, 1, 0, 1}));

  // ---- random cases ----
  std::mt19937_64 rng(20240611);
  for (int k = 0; k < 150; ++k) {
    const int32_t classes = draw(rng, 2, 7);
    const int32_t n = draw(rng, 1, 80);
    // Skewed class weights; some classes get weight 0 so they never occur.
    std::vector<double> weights(static_cast<size_t>(classes));
    for (auto& w : weights) w = draw_unit(rng) < 0.2 ? 0.0 : draw_unit(rng);
    weights[0] += 0.01;
    std::discrete_distribution<int32_t> label(weights.begin(), weights.end());
    const double skill = draw_unit(rng);
    // Predictions come from a possibly narrower set, so some classes are never predicted.
    const int32_t predicted_classes = draw(rng, 1, classes);
    MetricCase c = multiclass_case("mc_random_" + std::to_string(k), classes, {}, {});
    for (int32_t i = 0; i < n; ++i) {
      const int32_t t = label(rng);
      c.y_true.push_back(t);
      c.y_pred.push_back(draw_unit(rng) < skill ? t : draw(rng, 0, predicted_classes - 1));
    }
    cases.push_back(std::move(c));
  }
  for (int k = 0; k < 150; ++k) {
    const int32_t labels = draw(rng, 2, 6);
    const int32_t n = draw(rng, 1, 60);
    std::vector<double> density(static_cast<size_t>(labels));
    for (auto& d : density) d = draw_unit(rng) < 0.15 ? 0.0 : draw_unit(rng);
    const double error_rate = draw_unit(rng) * 0.6;
    std::vector<uint8_t> t, p;
    for (int32_t i = 0; i < n; ++i)
      for (int32_t l = 0; l < labels; ++l) {
        const uint8_t v = draw_unit(rng) < density[static_cast<size_t>(l)];
        t.push_back(v);
        p.push_back(draw_unit(rng) < error_rate ? static_cast<uint8_t>(1 - v) : v);
      }
    cases.push_back(multilabel_case("ml_random_" + std::to_string(k), n, labels, t, p));
  }
  for (int k = 0; k < 60; ++k) {
    const int32_t n = draw(rng, 1, 50);
    const double positive_rate = draw_unit(rng);
    const double error_rate = draw_unit(rng) * 0.5;
    MetricCase c = binary_case("bin_random_" + std::to_string(k), {}, {});
    for (int32_t i = 0; i < n; ++i) {
      const int32_t t = draw_unit(rng) < positive_rate;
      c.y_true.push_back(t);
      c.y_pred.push_back(draw_unit(rng) < error_rate ? 1 - t : t);
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

// Writes the cases and runs the oracle; returns its JSON ("cases" by name).
json run_sklearn_oracle(const testing::ScratchDir& dir, const std::vector<MetricCase>& cases) {
  json manifest = json::array();
  for (const auto& c : cases) {
    const std::string true_file = c.name + "_true.npy";
    const std::string pred_file = c.name + "_pred.npy";
    if (c.kind == CaseKind::kMultilabel) {
      EXPECT_TRUE(write_npy(dir.file(true_file), c.multi_true).ok());
      EXPECT_TRUE(write_npy(dir.file(pred_file), c.multi_pred).ok());
    } else {
      const Shape shape = {static_cast<int32_t>(c.y_true.size())};
      EXPECT_TRUE(write_npy(dir.file(true_file), Array::from_vector<int32_t>(shape, c.y_true)).ok());
      EXPECT_TRUE(write_npy(dir.file(pred_file), Array::from_vector<int32_t>(shape, c.y_pred)).ok());
    }
    const char* kind = c.kind == CaseKind::kMulticlass ? "multiclass"
                       : c.kind == CaseKind::kMultilabel ? "multilabel" : "binary";
    manifest.push_back({{"name", c.name}, {"kind", kind}, {"num_classes", c.num_classes},
                        {"true", true_file}, {"pred", pred_file}});
  }
  EXPECT_TRUE(write_file_atomic(dir.file("manifest.json"), manifest.dump()).ok());

  const std::string script = std::string(QL_SOURCE_DIR) + "/tests/oracles/classification_metrics.py";
  const std::string out = dir.file("sklearn.json");
  const auto run = testing::run_command(std::string(testing::system_python()) + " " + testing::shell_quote(script) +
                                        " " + testing::shell_quote(dir.path()) + " " + testing::shell_quote(out));
  if (run.exit_code != 0) {
    ADD_FAILURE() << "the scikit-learn oracle did not run (exit " << run.exit_code << "). These tests need "
                  << testing::system_python() << " with numpy and scikit-learn (Debian: apt-get install "
                  << "python3-sklearn).\n" << run.output;
    return json();
  }
  auto text = read_text_file(out);
  if (!text.ok()) {
    ADD_FAILURE() << text.status().message();
    return json();
  }
  return json::parse(*text);
}

// null in the oracle's output means NaN (an undefined value).
void expect_matches(double ours, const json& theirs, const std::string& what) {
  if (theirs.is_null()) {
    EXPECT_TRUE(std::isnan(ours)) << what << ": sklearn says undefined (NaN), ours is " << ours;
  } else {
    EXPECT_NEAR(ours, theirs.get<double>(), kTolerance) << what;
  }
}

void expect_averaged(const AveragedScores& ours, const json& theirs, const std::string& what) {
  expect_matches(ours.precision, theirs["precision"], what + " precision");
  expect_matches(ours.recall, theirs["recall"], what + " recall");
  expect_matches(ours.f1, theirs["f1"], what + " f1");
  expect_matches(ours.jaccard, theirs["jaccard"], what + " jaccard");
}

void expect_per_class(const std::vector<ClassScores>& ours, const json& theirs, const std::string& what) {
  ASSERT_EQ(ours.size(), theirs["precision"].size()) << what;
  for (size_t c = 0; c < ours.size(); ++c) {
    const std::string w = what + " class " + std::to_string(c);
    expect_matches(ours[c].precision, theirs["precision"][c], w + " precision");
    expect_matches(ours[c].recall, theirs["recall"][c], w + " recall");
    expect_matches(ours[c].f1, theirs["f1"][c], w + " f1");
    expect_matches(ours[c].jaccard, theirs["jaccard"][c], w + " jaccard");
    EXPECT_EQ(static_cast<double>(ours[c].support), theirs["support"][c].get<double>()) << w << " support";
  }
}

void check_multiclass(const MetricCase& c, const json& expected) {
  auto report = evaluate_multiclass(c.y_true, c.y_pred, c.num_classes);
  ASSERT_TRUE(report.ok()) << report.status().message();
  expect_matches(report->accuracy, expected["accuracy"], "accuracy");
  expect_matches(report->balanced_accuracy, expected["balanced_accuracy"], "balanced accuracy");
  expect_matches(report->cohen_kappa, expected["cohen_kappa"], "cohen kappa");
  expect_averaged(report->macro, expected["macro"], "macro");
  expect_averaged(report->micro, expected["micro"], "micro");
  expect_averaged(report->weighted, expected["weighted"], "weighted");
  const ConfusionMatrix& cm = report->confusion;
  expect_averaged(averaged_scores(cm, MulticlassAverage::kMacro, ClassSet::kAll), expected["macro_all"], "macro all");
  expect_averaged(averaged_scores(cm, MulticlassAverage::kMicro, ClassSet::kAll), expected["micro_all"], "micro all");
  expect_averaged(averaged_scores(cm, MulticlassAverage::kWeighted, ClassSet::kAll), expected["weighted_all"],
                  "weighted all");
  expect_per_class(report->per_class, expected["per_class"], "per class");
  for (int32_t t = 0; t < c.num_classes; ++t)
    for (int32_t p = 0; p < c.num_classes; ++p)
      EXPECT_EQ(static_cast<double>(cm.at(t, p)), expected["confusion"][t][p].get<double>())
          << "confusion[" << t << "][" << p << "]";
}

void check_multilabel(const MetricCase& c, const json& expected) {
  auto report = evaluate_multilabel(c.multi_true, c.multi_pred);
  ASSERT_TRUE(report.ok()) << report.status().message();
  expect_matches(report->binary_accuracy, expected["binary_accuracy"], "binary accuracy");
  expect_matches(report->hamming_loss, expected["hamming_loss"], "hamming loss");
  expect_matches(report->exact_match_ratio, expected["exact_match"], "exact match");
  expect_averaged(report->macro, expected["macro"], "macro");
  expect_averaged(report->micro, expected["micro"], "micro");
  expect_averaged(report->weighted, expected["weighted"], "weighted");
  expect_averaged(report->samples, expected["samples"], "samples");
  expect_per_class(report->per_label, expected["per_label"], "per label");
}

void check_binary(const MetricCase& c, const json& expected) {
  auto cm = confusion_matrix(c.y_true, c.y_pred, 2);
  ASSERT_TRUE(cm.ok()) << cm.status().message();
  expect_averaged(binary_scores(*cm, 1), expected, "binary");
  expect_matches(accuracy(*cm), expected["accuracy"], "accuracy");
}

TEST(MetricsSklearn, AgreesWithScikitLearnOnRandomAndEdgeCases) {
  testing::ScratchDir dir;
  ASSERT_FALSE(dir.path().empty()) << "cannot create a temporary directory";
  const std::vector<MetricCase> cases = build_cases();
  ASSERT_EQ(cases.size(), 384u);  // 24 edge cases + 150 + 150 + 60 random
  const json oracle = run_sklearn_oracle(dir, cases);
  ASSERT_TRUE(oracle.contains("cases")) << "no oracle output";
  int checked = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(oracle["cases"].contains(c.name));
    const json& expected = oracle["cases"][c.name];
    switch (c.kind) {
      case CaseKind::kMulticlass: check_multiclass(c, expected); break;
      case CaseKind::kMultilabel: check_multilabel(c, expected); break;
      case CaseKind::kBinary: check_binary(c, expected); break;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 384);
}

}  // namespace
}  // namespace quantlab
