#include "quantlab/metrics/classification.h"

#include <gtest/gtest.h>

#include <cmath>

namespace quantlab {
namespace {

void expect_scores(const AveragedScores& s, double p, double r, double f1, double j) {
  EXPECT_DOUBLE_EQ(s.precision, p);
  EXPECT_DOUBLE_EQ(s.recall, r);
  EXPECT_DOUBLE_EQ(s.f1, f1);
  EXPECT_DOUBLE_EQ(s.jaccard, j);
}

void expect_error(const Status& s, const std::string& needle) {
  ASSERT_FALSE(s.ok()) << "expected an error containing '" << needle << "'";
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

// y_true [0, 0, 1, 1, 2], y_pred [0, 1, 1, 1, 0]. Confusion rows (true) are
// [1 1 0], [0 2 0], [1 0 0]. Per class (tp, fp, fn): 0 -> (1, 1, 1),
// 1 -> (2, 1, 0), 2 -> (0, 0, 1): class 2 is never predicted, so its
// precision is 0/0, scored 0.
TEST(ClassificationMetrics, MulticlassHandDerived) {
  auto report = evaluate_multiclass({0, 0, 1, 1, 2}, {0, 1, 1, 1, 0}, 3);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->confusion.counts, (std::vector<int64_t>{1, 1, 0, 0, 2, 0, 1, 0, 0}));
  EXPECT_DOUBLE_EQ(report->accuracy, 0.6);
  EXPECT_DOUBLE_EQ(report->balanced_accuracy, 0.5);  // mean of recalls 1/2, 1, 0
  // Row sums [2 2 1], column sums [2 3 0]: p_o = 3/5, p_e = (2*2 + 2*3 + 1*0) / 25
  // = 2/5, kappa = (3/5 - 2/5) / (1 - 2/5) = 1/3.
  EXPECT_DOUBLE_EQ(report->cohen_kappa, 1.0 / 3.0);
  ASSERT_EQ(report->per_class.size(), 3u);
  EXPECT_DOUBLE_EQ(report->per_class[1].precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(report->per_class[1].f1, 0.8);
  EXPECT_EQ(report->per_class[2].support, 1);
  EXPECT_EQ(report->per_class[2].precision, 0.0);
  expect_scores(report->macro, (0.5 + 2.0 / 3.0) / 3.0, 0.5, (0.5 + 0.8) / 3.0, (1.0 / 3.0 + 2.0 / 3.0) / 3.0);
  expect_scores(report->micro, 0.6, 0.6, 0.6, 3.0 / 7.0);  // jaccard tp / (tp + fp + fn) = 3 / (3 + 2 + 2)
  expect_scores(report->weighted, (2 * 0.5 + 2 * 2.0 / 3.0) / 5.0, 0.6, (2 * 0.5 + 2 * 0.8) / 5.0,
                (2.0 / 3.0 + 4.0 / 3.0) / 5.0);
}

TEST(ClassificationMetrics, ClassSetChangesOnlyTheMacroAverage) {
  // Same data with a fourth class that never occurs: kAll averages it in as zeros.
  auto cm = confusion_matrix({0, 0, 1, 1, 2}, {0, 1, 1, 1, 0}, 4);
  ASSERT_TRUE(cm.ok());
  const double macro_precision_present = (0.5 + 2.0 / 3.0) / 3.0;
  EXPECT_DOUBLE_EQ(averaged_scores(*cm).precision, macro_precision_present);
  EXPECT_DOUBLE_EQ(averaged_scores(*cm, MulticlassAverage::kMacro, ClassSet::kAll).precision,
                   (0.5 + 2.0 / 3.0) / 4.0);
  EXPECT_DOUBLE_EQ(averaged_scores(*cm, MulticlassAverage::kWeighted, ClassSet::kAll).recall, 0.6);
}

TEST(ClassificationMetrics, KappaUndefinedForOneClassAndBinaryScores) {
  auto one = confusion_matrix({0, 0, 0}, {0, 0, 0}, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(std::isnan(cohen_kappa(*one)));
  EXPECT_DOUBLE_EQ(accuracy(*one), 1.0);

  // tp 2, fp 1, fn 1 for class 1.
  auto cm = confusion_matrix({1, 1, 1, 0, 0}, {1, 1, 0, 1, 0}, 2);
  ASSERT_TRUE(cm.ok());
  expect_scores(binary_scores(*cm), 2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 0.5);
  EXPECT_TRUE(std::isnan(binary_scores(*cm, 2).precision));

  ConfusionMatrix empty;
  empty.num_classes = 2;
  empty.counts.assign(4, 0);
  EXPECT_TRUE(std::isnan(accuracy(empty)));
  EXPECT_TRUE(std::isnan(cohen_kappa(empty)));
}

// true [[1 0 1] [0 0 0]], pred [[1 1 0] [0 0 0]]: label 0 correct, label 1
// only predicted, label 2 only true; row 1 is empty in both.
TEST(ClassificationMetrics, MultilabelHandDerived) {
  const Array t = Array::from_vector<uint8_t>({2, 3}, {1, 0, 1, 0, 0, 0});
  const Array p = Array::from_vector<uint8_t>({2, 3}, {1, 1, 0, 0, 0, 0});
  auto r = evaluate_multilabel(t, p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_DOUBLE_EQ(r->hamming_loss, 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(r->binary_accuracy, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(r->exact_match_ratio, 0.5);
  expect_scores(r->macro, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0);
  expect_scores(r->micro, 0.5, 0.5, 0.5, 1.0 / 3.0);
  // Row 0: tp 1, fp 1, fn 1; row 1 has nothing true or predicted: all 0.
  expect_scores(r->samples, 0.25, 0.25, 0.25, 1.0 / 6.0);
  // Supports [1, 0, 1]: only labels 0 (all 1) and 2 (all 0) weigh in.
  expect_scores(r->weighted, 0.5, 0.5, 0.5, 0.5);

  // bool and int32 inputs count the same.
  Array tb = t;
  tb.dtype = DType::kBool;
  auto same = evaluate_multilabel(tb, Array::from_vector<int32_t>({2, 3}, {1, 1, 0, 0, 0, 0}));
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_DOUBLE_EQ(same->macro.f1, r->macro.f1);
}

TEST(ClassificationMetrics, RejectsBadInputsWithPreciseErrors) {
  expect_error(confusion_matrix({0, 1}, {0}, 2).status(), "2 true labels but 1 predictions");
  expect_error(confusion_matrix({0, 3}, {0, 1}, 3).status(), "true label 1 is 3, outside [0, 3)");
  expect_error(confusion_matrix({0, 1}, {0, -1}, 3).status(), "prediction 1 is -1");
  expect_error(confusion_matrix({}, {}, 0).status(), "num_classes must be >= 1");
  expect_error(evaluate_multiclass({}, {}, 2).status(), "no samples");

  const Array ok = Array::from_vector<uint8_t>({2, 2}, {1, 0, 0, 1});
  expect_error(count_multilabel(ok, Array::from_vector<uint8_t>({2, 2}, {1, 0, 2, 1})).status(),
               "predictions row 1 column 0 is 2");
  expect_error(count_multilabel(ok, Array::from_vector<uint8_t>({1, 4}, {1, 0, 0, 1})).status(),
               "shape [2, 2] but predictions [1, 4]");
  expect_error(count_multilabel(Array::from_vector<float>({2, 2}, {1, 0, 0, 1}), ok).status(), "FLOAT32");
  expect_error(count_multilabel(Array::from_vector<uint8_t>({4}, {1, 0, 0, 1}), ok).status(), "shape [N, L]");
}

}  // namespace
}  // namespace quantlab
